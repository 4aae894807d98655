"""Whole-head photos through the mirror's own Pipeline, at the resolution the mirror shows, and
what the instruments of ``train.instruments`` read from them.

    view = HeadView("engines")
    head = view.head("img/182640.jpg", attributes)         # Head, or None without a face
    detail, crop = view.show(head, view.style("bald"))     # (256, 256, 3), (128, 128, 3) uint8

A photo is tracked and aligned as the mirror does it (``Pipeline.track``: the model's 128-px crop
and the renderer's 256-px detail crop of the same square); an edit is the Pipeline's composited
output frame (``Pipeline.edit`` then ``Pipeline.compose``), cut back out of the frame with the
photo's own alignment. The unedited crops are cut out of the photo the same way, so an edit and
its original differ only where the mirror changed the picture.

Style names are the Pipeline's: its library's (``styles.json``, and any the library gains),
``hairloss:N`` for a stage of the hair-loss scale (``mirror.edit.hairloss``), or the path of a
reference photo. ``NAME@ATTRIBUTES`` names which CelebA attributes real people with the style
have (``Bald+Receding_Hairline``: either; a leading ``-``: none of them), for a style the
project does not know yet; ``style_target`` knows the library's and the scale's.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass

import cv2
import numpy as np

from mirror.errors import MirrorError
from mirror.face.align import warp_to_crop
from mirror.face.regions import EARS, FOREHEAD_TOP, brow_line, face_oval, hair_reach, skull
from mirror.types import AlignedFace, Frame

MIN_SIDE = 150   # px: a smaller photo (CelebA's standard 89 x 109 framing) holds too little of the head
                 # for the 256-px detail crop (it would be blown up over three times)
# The hair-loss scale's stages and the CelebA attributes of real people who look like them:
# (attributes, +1: has one of them / -1: has none).
STAGE_TARGETS = {-1: (("Bald", "Receding_Hairline"), -1), 1: (("Receding_Hairline",), 1),
                 2: (("Receding_Hairline",), 1), 3: (("Receding_Hairline",), 1),
                 4: (("Bald", "Receding_Hairline"), 1), 5: (("Bald",), 1)}
# Difference-of-Gaussian bands of the grey detail crop (sigmas in px at 256; 0: the crop itself):
# from single-pixel grain and strand edges to locks.
BAND_SIGMAS = (0.0, 0.7, 1.4, 2.8, 5.6)
REGIONS = ("forehead", "crown", "temples", "sides", "outside")
MIN_REGION = 20   # px: a smaller region's statistics are left at 0


@dataclass
class Head:
    """One tracked photo.

    Attributes:
        name: the photo's file name; attributes: (A,) int8 +1/-1 CelebA labels.
        frame: the photo as a Frame; aligned: the Pipeline's AlignedFace of it (segmented).
        detail, crop: (R, R, 3) and (S, S, 3) uint8 BGR, the photo cut out as ``HeadView.show``
            cuts an edit out; landmarks: (478, 2) float32 in detail-crop pixels.
    """

    name: str
    attributes: np.ndarray
    frame: Frame
    aligned: AlignedFace
    detail: np.ndarray
    crop: np.ndarray
    landmarks: np.ndarray


class HeadView:
    """The mirror's Pipeline on photos (static: no smoothing, no background plate).

    Args:
        engines: the engines folder; backend: a ``mirror.backends.CHOICES`` name.
        static: photos; False: a video stream (``pipeline.process`` its frames in order).
        transplanted: shape styles drawn from the donor bank (``Pipeline(transplanted=...)``);
            None: the Pipeline's default.
    """

    def __init__(self, engines: str, backend: str = "onnxruntime", static: bool = True,
                 transplanted: tuple[str, ...] | None = None):
        from mirror.run.app import Pipeline

        extra = {} if transplanted is None else {"transplanted": tuple(transplanted)}
        self.pipeline = Pipeline(engines, backend=backend, static=static, **extra)
        self.styles = self.pipeline.styles
        self._references: dict[str, object] = {}

    def head(self, path: str, attributes: np.ndarray | None = None) -> Head | None:
        """The photo at ``path`` tracked and aligned, or None where it shows no face."""
        from mirror.io.source import read_image

        frame, aligned = self.pipeline.track(Frame(0, 0, read_image(path)))
        if aligned is None:
            return None
        detail, crop = self.cut(frame.image, aligned)
        return Head(os.path.basename(path), attributes, frame, aligned, detail, crop,
                    aligned.landmarks * np.float32(aligned.scale))

    @staticmethod
    def cut(image: np.ndarray, aligned: AlignedFace) -> tuple[np.ndarray, np.ndarray]:
        """(detail, crop): a frame-sized picture cut out with the face's alignment, at the
        renderer's and at the model's resolution."""
        size = aligned.crop.shape[0]
        return (warp_to_crop(image, aligned.detail_to_crop, size * aligned.scale),
                warp_to_crop(image, aligned.to_crop, size))

    def style(self, name: str):
        """The Pipeline's style called ``name`` (see the module docstring); MirrorError if unknown."""
        from mirror.edit import hairloss

        name = name.split("@")[0]
        if name.startswith(hairloss.NAME + ":"):
            try:
                *scale, stage = name.split(":")[1:]
                return hairloss.scale_style(self.styles, int(stage), *scale)
            except (ValueError, KeyError, TypeError) as error:
                raise MirrorError(f"{name}: {error}") from None
        if os.path.isfile(name):
            if name not in self._references:
                self._references[name] = self.pipeline.reference_style(name)
            return self._references[name]
        return self.styles.get(name)

    def show(self, head: Head, style, strength: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
        """(detail, crop) uint8 BGR: ``style`` on ``head`` as the mirror composites it, cut out
        of the output frame as ``Head.detail`` and ``Head.crop`` were."""
        edited = self.pipeline.edit(head.frame, head.aligned, style, strength)
        return self.cut(self.pipeline.compose(head.frame, head.aligned, edited), head.aligned)

    def close(self) -> None:
        self.pipeline.close()

    def __enter__(self) -> "HeadView":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def style_target(name: str) -> tuple[tuple[str, ...], int] | None:
    """(CelebA attributes, +1 / -1) of real people with the style ``name`` (+1: one of the
    attributes, -1: none), from ``NAME@...`` or the project's own styles; None if not known."""
    from mirror.edit import hairloss
    from train.directions import STYLES

    if "@" in name:
        spec = name.split("@", 1)[1]
        sign = -1 if spec.startswith("-") else 1
        attributes = tuple(a for a in spec.lstrip("-").split("+") if a)
        return (attributes, sign) if attributes else None
    if name.startswith(hairloss.NAME + ":"):
        stage = name.split(":", 1)[1]
        return STAGE_TARGETS.get(int(stage)) if stage.lstrip("-").isdigit() else None
    if name in STYLES:
        columns, target, _, _ = STYLES[name]
        return tuple(columns), target
    return None


def has_target(attributes: np.ndarray, names: list[str], target: tuple[tuple[str, ...], int]) -> np.ndarray:
    """(N,) bool: which of (N, A) +1/-1 labels show ``target`` (``style_target``)."""
    columns, sign = target
    unknown = [c for c in columns if c not in names]
    if unknown:
        raise MirrorError(f"unknown CelebA attribute(s) {', '.join(unknown)}")
    present = np.stack([np.asarray(attributes)[:, names.index(c)] > 0 for c in columns]).any(axis=0)
    return present if sign > 0 else ~present


@dataclass
class PhotoSet:
    """Whole-head photos of a prepared set's splits: paths (N,), attributes (N, A) int8 and
    their names, split (N,) (``train.data.SPLITS`` values)."""

    paths: list[str]
    attributes: np.ndarray
    names: list[str]
    split: np.ndarray


def whole_photos(data: str, splits: tuple[str, ...], photos: str | None = None, min_side: int = MIN_SIDE
                 ) -> PhotoSet:
    """The photos of a prepared aligned set (``train.prepare``) in ``splits`` that show the
    whole head large enough (both sides at least ``min_side`` px), in the set's order.

    Args:
        photos: the folder of the photos (default: the set's summary.json ``data`` + ``img``).

    Raises:
        MirrorError: a folder that is not a prepared set, photos that are not there, or none
            large enough.
    """
    from PIL import Image

    from train.data import SPLITS, attribute_names

    folder = photo_folder(data, photos)
    if not os.path.isdir(folder):
        raise MirrorError(f"photo folder not found: {folder} (pass --photos)")
    with open(os.path.join(data, "images.txt")) as f:
        files = f.read().split()
    split = np.load(os.path.join(data, "split.npy"))
    attributes = np.load(os.path.join(data, "attributes.npy"))
    rows = np.flatnonzero(np.isin(split, [SPLITS[s] for s in splits]))
    kept = []
    for row in rows:
        path = os.path.join(folder, files[row])
        if not os.path.isfile(path):
            raise MirrorError(f"photo not found: {path}")
        with Image.open(path) as image:
            if min(image.size) >= min_side:
                kept.append(row)
    if not kept:
        raise MirrorError(f"no {' or '.join(splits)} photo in {folder} is {min_side} px or more a side (whole heads)")
    return PhotoSet([os.path.join(folder, files[r]) for r in kept], attributes[kept], attribute_names(data),
                    split[kept])


def photo_folder(data: str, photos: str | None = None) -> str:
    """The folder of the photos a prepared aligned set was made from (``photos`` if given)."""
    from train.data import check_folder

    return photos or os.path.join(check_folder(data).get("data", ""), "img")


def head_regions(landmarks: np.ndarray, size: int) -> np.ndarray:
    """(len(REGIONS), S, S) bool: where hair or its absence shows, from the face's geometry alone
    (so an edit and its original are read in the same places): the forehead (the face oval above
    the brows), the crown (the skull above the oval's top), the temples (the skull beside the
    oval, above the ears), the sides (beside the face, ears to chin, as far as hair reaches) and
    outside (a band beyond the skull above the ears: hair's volume, or the wall)."""
    rows = np.arange(size, dtype=np.float32)[:, None]
    oval = face_oval(landmarks, size)
    ears = float(landmarks[list(EARS), 1].mean())
    top = float(landmarks[FOREHEAD_TOP, 1])
    chin = float(landmarks[:, 1].max())
    inside = skull(landmarks, size) > 0.5
    head = inside & ~oval & (rows < ears)
    forehead = oval & (rows < brow_line(landmarks, size)[None, :])
    sides = (hair_reach(landmarks, size, 1.2, 0.05) > 0.5) & ~oval & (rows >= ears) & (rows <= chin)
    outside = (skull(landmarks, size, scale=1.35) > 0.5) & ~inside & (rows < ears)
    return np.stack([forehead, head & (rows < top), head & (rows >= top), sides, outside])


def band_statistics(image: np.ndarray, regions: np.ndarray) -> np.ndarray:
    """(len(regions) * 13,) float64: the fine statistics of one crop in each region.

    Per region: for each difference-of-Gaussian band of the grey crop (``BAND_SIGMAS``) the log of
    its energy (mean square) and its peakiness (log mean |band| - log RMS: strands and grain are
    sparse, a smooth fill is not); the coherence of the local orientation (structure tensor at
    1.4 px, pooled over 2.8 px: 1 along combed strands, 0 on isotropic grain); the mean CIELAB
    colour (L*, a*, b*) and the grey spread.

    Args:
        image: (R, R, 3) uint8 BGR; regions: (K, R, R) bool (``head_regions``).
    """
    grey = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY).astype(np.float32)
    blurred = [grey if s == 0 else cv2.GaussianBlur(grey, (0, 0), s) for s in BAND_SIGMAS]
    bands = [fine - coarse for fine, coarse in zip(blurred, blurred[1:])]
    smooth = cv2.GaussianBlur(grey, (0, 0), 1.4)
    gx, gy = cv2.Sobel(smooth, cv2.CV_32F, 1, 0), cv2.Sobel(smooth, cv2.CV_32F, 0, 1)
    jxx, jyy, jxy = (cv2.GaussianBlur(g, (0, 0), 2.8) for g in (gx * gx, gy * gy, gx * gy))
    coherence = np.sqrt((jxx - jyy) ** 2 + 4 * jxy ** 2) / (jxx + jyy + 1e-3)
    lab = cv2.cvtColor(image, cv2.COLOR_BGR2LAB).astype(np.float32)
    out = []
    for region in regions:
        if region.sum() < MIN_REGION:
            out.append(np.zeros(13))
            continue
        values = []
        for band in bands:
            b = band[region].astype(np.float64)
            energy = (b ** 2).mean() + 1e-3
            values += [np.log(energy), np.log(np.abs(b).mean() + 1e-3) - 0.5 * np.log(energy)]
        values += [float(coherence[region].mean()), *lab[region].mean(0).tolist(), float(grey[region].std())]
        out.append(np.float64(values))
    return np.concatenate(out)


def head_features(classifier, details: np.ndarray, crops: np.ndarray, landmarks: np.ndarray
                  ) -> tuple[np.ndarray, np.ndarray]:
    """What the detectability test reads of each head, in three blocks (``FEATURE_BLOCKS``): the
    attribute classifier's penultimate layer on the model crop (it knows faces and hair: their
    shape and colour), its 40 logits (the same layer read along the directions it learned from
    fourteen thousand labelled faces) and the fine statistics of the detail crop in the regions
    of the head (``band_statistics``).

    Args:
        classifier: train.classifier.Classifier; details: (N, R, R, 3), crops: (N, S, S, 3) uint8
            BGR; landmarks: (N, 478, 2) in detail-crop pixels.

    Returns:
        (probabilities (N, A), features (N, D) float64); ``feature_blocks`` tells the columns apart.
    """
    probs, embedded = classifier.embed(np.transpose(crops, (0, 3, 1, 2)).astype(np.float32) / 255)
    probs64 = np.clip(probs.astype(np.float64), 1e-7, 1 - 1e-7)
    size = details.shape[1]
    fine = np.stack([band_statistics(d, head_regions(lm, size)) for d, lm in zip(details, landmarks)])
    return probs, np.hstack([embedded.astype(np.float64), np.log(probs64 / (1 - probs64)), fine])


FEATURE_BLOCKS = ("penultimate", "logits", "fine")
FINE_STATS = tuple(f"band{k} {stat}" for k in range(len(BAND_SIGMAS) - 1) for stat in ("energy", "peakiness")) + \
    ("coherence", "L*", "a*", "b*", "grey spread")


def feature_blocks(columns: int, attributes: list[str]) -> tuple[np.ndarray, list[str]]:
    """((D,) int block of each of the ``columns`` of ``head_features`` (an index into
    FEATURE_BLOCKS), (D,) their names), for a classifier of these attributes."""
    fine = [f"{region} {stat}" for region in REGIONS for stat in FINE_STATS]
    width = columns - len(attributes) - len(fine)
    names = [f"penultimate {i}" for i in range(width)] + [f"logit {a}" for a in attributes] + fine
    return np.repeat(np.arange(3), [width, len(attributes), len(fine)]), names


def load_json(path: str) -> dict:
    """The JSON file at ``path``, or {} if there is none."""
    if not os.path.isfile(path):
        return {}
    with open(path) as f:
        return json.load(f)
