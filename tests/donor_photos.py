"""Donors made on the fly from CelebA photos, standing in for the donor bank in the transplant's
tests and sheets: each photo goes through the mirror's own tracker, aligner and student
segmenter, and the segmenter's hair and person masks, upsampled to the detail crop, are the
donor's matte and silhouette (the bank carries a finer teacher's matte).

    with Heads() as heads:
        person = heads.aligned(cv2.imread(path))          # AlignedFace, or None
        donor = heads.donor(path)                         # Donor, or None
"""
from __future__ import annotations

import os

import cv2
import numpy as np

from mirror.face.align import Aligner
from mirror.face.regions import face_oval
from mirror.face.segment import HairSegmenter
from mirror.face.tracker import FaceTracker
from mirror.paths import DEFAULT_ENGINES
from mirror.render.lab import to_lab
from mirror.render.masks import refine

DETAIL = 2  # the renderer's crop is twice the model's side, as the Pipeline aligns it
from mirror.face.warp import crop_yaw
from mirror.types import AlignedFace, Donor

SKIN_NEAR = 15.0   # CIELAB distance from the face's median skin within which a bare pixel is skin
LIGHT_WEIGHT = np.float32([0.5, 1.0, 1.0])   # ... lightness weighed half (a lit crown is lighter)


class Heads:
    """The mirror's tracker, aligner and segmenter for unrelated photos."""

    def __init__(self, engines: str = DEFAULT_ENGINES):
        self.tracker = FaceTracker(static=True)
        self.segmenter = HairSegmenter(os.path.join(engines, "segmenter.onnx"))
        self.aligner = Aligner(128)

    def aligned(self, image: np.ndarray) -> AlignedFace | None:
        """The photo's face as the mirror's ``Pipeline.track`` gives it, or None."""
        face = self.tracker.process(image)
        if face is None:
            return None
        aligned = self.aligner.align(image, face, DETAIL)
        aligned.hair, aligned.person = self.segmenter(aligned.crop)
        return aligned

    def donor(self, path: str, index: int = 0, bald: bool = False) -> Donor | None:
        """The photo at ``path`` as a donor at the detail crop's side (``donor_of``), or None with no face."""
        aligned = self.aligned(cv2.imread(path))
        return None if aligned is None else donor_of(aligned, os.path.basename(path), index, bald)

    def close(self) -> None:
        self.tracker.close()
        self.segmenter.close()

    def __enter__(self) -> "Heads":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def donor_of(aligned: AlignedFace, source: str, index: int = 0, bald: bool = False) -> Donor:
    """A ``Donor`` of an aligned face, at its detail crop's side. ``bald``: the head is bald (CelebA's
    attribute): its skin-coloured crown is skin, as the bank's face-parsing teacher labels it, not
    the hair the student takes its shine for."""
    crop = aligned.detail
    side = crop.shape[0]
    scale = side / aligned.crop.shape[0]
    person = cv2.resize(aligned.person, (side, side), interpolation=cv2.INTER_LINEAR)
    # (snapped to the strands by a guided filter, as the renderer snaps the person's own: a finer
    # matte than the segmenter's upsampled alone, as the bank's teacher matte is)
    matte = refine(aligned.hair * np.clip(aligned.person * 2.0 - 0.5, 0.0, 1.0), crop.astype(np.float32) / 255.0)
    # None of it where the crop reaches past the photo (its edge rows repeated there are no hair).
    if aligned.frame_shape is not None:
        photo = np.ones(aligned.frame_shape, np.float32)
        inside = cv2.warpAffine(photo, aligned.detail_to_crop, (side, side), flags=cv2.INTER_LINEAR)
        matte, person = matte * inside, person * inside
    landmarks = aligned.landmarks * scale   # (the detail crop's matrix is the crop's times scale)
    lab = to_lab(crop)
    oval = face_oval(landmarks, side)
    bare = oval & (matte < 0.2)
    tone = np.median(lab[bare], axis=0) if bare.any() else np.median(lab[oval], axis=0)
    near = (np.linalg.norm((lab - tone) * LIGHT_WEIGHT, axis=-1) < SKIN_NEAR).astype(np.float32)
    skin = (person * (near if bald else (1.0 - matte) * near)).astype(np.float32)
    if bald:
        matte = matte * (1.0 - skin)
    hair = matte > 0.5
    hair_color = lab[hair].mean(axis=0) if hair.any() else tone
    return Donor(index, source, crop, matte.astype(np.float32), skin, person.astype(np.float32),
                 landmarks.astype(np.float32), np.zeros(64, np.float32), np.float32([crop_yaw(landmarks), 0.0, 0.0]),
                 lab[skin > 0.5].mean(axis=0).astype(np.float32), hair_color.astype(np.float32),
                 np.zeros(40, np.int8))
