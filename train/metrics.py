"""The numbers the training tools report, each computed one way: reconstruction PSNR, the
posterior's KL per latent dimension, and whether an edit looks like a photo (four measurements of
composited edits against their originals).

    from train.metrics import halo, texture, seam, detectability
    halo(edited, original, person)           # grey levels changed on the background, 0 is best
    texture(edited, original)                # edited / original detail where the edit changed the crop, 1 is a photo's
    seam(edited, original, interiors)        # the edit's step at the protected face boundary / the photo's edges there
    detectability(fakes, reals)              # cross-validated ROC AUC of a small CNN, 0.5 is indistinguishable

All images are (N, S, S, 3) uint8 BGR crops, the edited ones exactly as the mirror shows them
(``train.evaluate`` rounds its composites to uint8 first). Differences are in grey levels
(0..255). "Grey" is OpenCV's BGR-to-grey luminance (0.114 B + 0.587 G + 0.299 R) in float64.
The figures pool all pixels of all faces (no per-face mean), so a face with more background
or more changed hair weighs more.
"""
from __future__ import annotations

import logging
import time
from typing import NamedTuple

import cv2
import numpy as np

log = logging.getLogger(__name__)

HALO_GROW = 0.08        # the silhouette is grown by this share of the crop before "background"
CHANGED = 12            # grey levels: a pixel the edit changed (texture)
SEAM_BAND = 2           # px each side of the protected boundary (seam)
SEAM_PERCENTILE = 95
DETECT_MAX = 300        # images per class the detectability test uses at most
DETECT_MIN = 10         # fewer real photos with the style than this: no detectability figure
DETECT_SEEDS = 3        # photo_metrics' detectability: the mean of this many runs (seeds), and their spread
GREY = np.array([0.114, 0.587, 0.299])   # B, G, R weights of OpenCV's BGR2GRAY


def _check_pair(edited: np.ndarray, original: np.ndarray) -> None:
    for name, images in (("edited", edited), ("original", original)):
        if images.dtype != np.uint8 or images.ndim != 4 or images.shape[-1] != 3:
            raise ValueError(f"{name} must be (N, S, S, 3) uint8 BGR, got {images.shape} {images.dtype}")
    if edited.shape != original.shape:
        raise ValueError(f"edited {edited.shape} and original {original.shape} differ in shape")


def _check_masks(masks: np.ndarray, images: np.ndarray, name: str) -> None:
    if masks.shape != images.shape[:3]:
        raise ValueError(f"{name} must be (N, S, S) like the images {images.shape[:3]}, got {masks.shape}")


def grey(images: np.ndarray) -> np.ndarray:
    """(N, S, S, 3) uint8 BGR -> (N, S, S) float64 grey levels."""
    return np.asarray(images, np.float64) @ GREY


def _disk(radius: int) -> np.ndarray:
    return cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))


def background(person: np.ndarray, grow: float = HALO_GROW) -> np.ndarray:
    """(N, S, S) bool: outside the person's silhouette grown by ``grow`` of the crop.

    Args:
        person: (N, S, S) selfie-segmentation probability, uint8 (0..255) or float in [0, 1];
            the silhouette is where it is at least 0.5.
        grow: the dilation radius as a share of the crop side S (0.08: 10 px at 128).
    """
    person = np.asarray(person)
    threshold = 127.5 if person.dtype == np.uint8 else 0.5
    radius = int(round(grow * person.shape[-1]))
    silhouette = (person >= threshold).astype(np.uint8)
    if radius > 0:
        silhouette = np.stack([cv2.dilate(s, _disk(radius)) for s in silhouette])
    return silhouette == 0


def halo(edited: np.ndarray, original: np.ndarray, person: np.ndarray, grow: float = HALO_GROW
         ) -> float | None:
    """Mean |edited - original| on the background, in grey levels (0..255).

    The mean over the three colour channels of the absolute difference, over every background
    pixel (``background(person, grow)``) of every face. 0 when the edit leaves the wall alone.

    Args:
        edited, original: (N, S, S, 3) uint8 BGR.
        person: (N, S, S) selfie-segmentation probability (uint8 or float in [0, 1]).

    Returns:
        The mean, or None when no face has any background.
    """
    _check_pair(edited, original)
    _check_masks(np.asarray(person), edited, "person")
    outside = background(person, grow)
    if not outside.any():
        return None
    diff = np.abs(edited.astype(np.int16) - original.astype(np.int16))
    return float(diff[outside].mean())


def laplacian(images: np.ndarray) -> np.ndarray:
    """(N, S, S) float64 grey images -> their 4-neighbour Laplacian (cv2, ksize 1, reflected border)."""
    return np.stack([cv2.Laplacian(g, cv2.CV_64F, ksize=1) for g in images])


def texture(edited: np.ndarray, original: np.ndarray, threshold: float = CHANGED) -> float | None:
    """How much fine detail the edit leaves where it changed the crop: 1 is the photo's own.

    Changed pixels: where some colour channel differs by more than ``threshold`` grey levels.
    On the grey images, the 4-neighbour Laplacian (``laplacian``) of the edited and of the
    original crop is taken at the changed pixels of all faces together; the figure is
    ``var(edited Laplacian) / var(original Laplacian)`` over those pooled pixels. Below 1 the edit
    is smoother than the photo there (a smear), above 1 noisier.

    Args:
        edited, original: (N, S, S, 3) uint8 BGR.
        threshold: grey levels.

    Returns:
        The ratio, or None when no pixel changed (or the original is flat where it did).
    """
    _check_pair(edited, original)
    diff = np.abs(edited.astype(np.int16) - original.astype(np.int16)).max(axis=-1)
    changed = diff > threshold
    if not changed.any():
        return None
    before = laplacian(grey(original))[changed]
    after = laplacian(grey(edited))[changed]
    spread = before.var()
    return float(after.var() / spread) if spread > 0 else None


def sharpness(decoded: np.ndarray, real: np.ndarray) -> float:
    """var(Laplacian of the grey decodes) / var(Laplacian of the grey real crops), all pixels of
    all faces pooled: 1 is a photo's fine detail, below 1 blurrier.

    Args:
        decoded, real: (N, S, S, 3) uint8 BGR (the same faces or not; any N each).
    """
    return float(laplacian(grey(decoded)).var() / laplacian(grey(real)).var())


def grid_artefact(images: np.ndarray, period: int = 8) -> float:
    """How strong a periodic (checkerboard) pattern of ``period`` px and its harmonics is.

    In the mean power spectrum of the grey images, the power at each off-axis frequency of the
    grid (both components nonzero multiples of S / period) over the median of its 8 neighbours,
    averaged: about 1 for photos, well above for a stride-2 up-sampler's checkerboard.

    Args:
        images: (N, S, S, 3) uint8 BGR, S a multiple of ``period``.
    """
    g = grey(images)
    power = (np.abs(np.fft.fft2(g - g.mean(axis=(1, 2), keepdims=True))) ** 2).mean(axis=0)
    size, step = power.shape[0], power.shape[0] // period
    ratios = [power[fy, fx] / np.median([power[(fy + dy) % size, (fx + dx) % size]
                                         for dy in (-1, 0, 1) for dx in (-1, 0, 1) if dy or dx])
              for fy in range(step, size // 2 + 1, step) for fx in range(step, size, step)]
    return float(np.mean(ratios))


def frechet_distance(a: np.ndarray, b: np.ndarray) -> float:
    """Fréchet distance between Gaussians fitted to two (N, D) feature sets (FID's formula)."""
    from scipy import linalg

    mu_a, mu_b = a.mean(axis=0), b.mean(axis=0)
    cov_a, cov_b = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    root = linalg.sqrtm(cov_a @ cov_b).real
    return float(((mu_a - mu_b) ** 2).sum() + np.trace(cov_a + cov_b - 2 * root))


def boundary_band(interiors: np.ndarray, width: int = SEAM_BAND) -> np.ndarray:
    """(N, S, S) bool: pixels within ``width`` px of the interior's boundary, on either side."""
    interiors = np.asarray(interiors).astype(np.uint8)
    kernel = _disk(width)
    return np.stack([(cv2.dilate(m, kernel) > 0) & ~(cv2.erode(m, kernel, borderValue=1) > 0)
                     for m in interiors])


def gradient(images: np.ndarray) -> np.ndarray:
    """(N, S, S) float64 -> gradient magnitude per pixel, in grey levels per pixel (Sobel / 8)."""
    out = []
    for g in images:
        gx = cv2.Sobel(g, cv2.CV_64F, 1, 0, ksize=3) / 8
        gy = cv2.Sobel(g, cv2.CV_64F, 0, 1, ksize=3) / 8
        out.append(np.hypot(gx, gy))
    return np.stack(out)


def seam(edited: np.ndarray, original: np.ndarray, interiors: np.ndarray, width: int = SEAM_BAND,
         percentile: float = SEAM_PERCENTILE) -> float | None:
    """The edit's strongest step at the protected face boundary, against the photo's own edges there.

    The band is every pixel within ``width`` px of the boundary of the protected interior
    (inside or outside, ``boundary_band``). On it, pooled over all faces: the ``percentile``
    (95th) of the gradient magnitude (``gradient``: Sobel / 8, grey levels per pixel) of the
    CHANGE image ``grey(edited) - grey(original)``, divided by the same percentile of the
    gradient magnitude of the ORIGINAL photo ``grey(original)``. At most about 1: the seam is no
    stronger than the edges the photo already has there (brows, hairline, jaw); well above 1: a
    visible step where the untouched face meets the edit.

    Args:
        edited, original: (N, S, S, 3) uint8 BGR.
        interiors: (N, S, S) bool, the part of each face the edit must keep (today
            ``mirror.face.regions.face_interior``: the face oval below the brows).

    Returns:
        The ratio, or None when the band is empty or the photo is flat on it.
    """
    _check_pair(edited, original)
    _check_masks(np.asarray(interiors), edited, "interiors")
    band = boundary_band(interiors, width)
    if not band.any():
        return None
    before = grey(original)
    change = gradient(grey(edited) - before)[band]
    photo = gradient(before)[band]
    scale = np.percentile(photo, percentile)
    return float(np.percentile(change, percentile) / scale) if scale > 0 else None


def roc_auc(positive: np.ndarray, negative: np.ndarray) -> float:
    """ROC AUC of scores by the rank (Mann-Whitney U) formula, ties counted half."""
    from scipy.stats import rankdata

    positive, negative = np.ravel(positive), np.ravel(negative)
    if len(positive) == 0 or len(negative) == 0:
        raise ValueError("roc_auc needs at least one score of each class")
    ranks = rankdata(np.concatenate([positive, negative]))
    u = ranks[:len(positive)].sum() - len(positive) * (len(positive) + 1) / 2
    return float(u / (len(positive) * len(negative)))


def _detector(width: int = 16):
    """A small CNN: (B, 3, S, S) float in [0, 1] -> (B,) logits "composited edit".

    The crop is first folded 2x2 into channels (pixel unshuffle: no detail is lost, a quarter of
    the cost), then four stride-2 3x3 conv layers with ReLU (no batch norm: it doubles the cost on
    a CPU), then average and max
    pooling (the overall look, and the one strongest local artefact) and a linear head.
    """
    import torch
    from torch import nn

    layers, channels = [nn.PixelUnshuffle(2)], 12
    for out in (width, width * 2, width * 4, width * 4):
        layers += [nn.Conv2d(channels, out, 3, stride=2, padding=1), nn.ReLU(inplace=True)]
        channels = out

    class Detector(nn.Module):
        def __init__(self):
            super().__init__()
            self.features = nn.Sequential(*layers)
            self.head = nn.Linear(2 * channels, 1)

        def forward(self, image):
            x = self.features(image * 2 - 1)
            return self.head(torch.cat([x.mean((2, 3)), x.amax((2, 3))], 1))[:, 0]

    return Detector()


def detectability(fakes: np.ndarray, reals: np.ndarray, folds: int = 5, seed: int = 0,
                  epochs: int = 6, batch_size: int = 32, max_per_class: int | None = DETECT_MAX) -> float:
    """Can a small CNN tell composited edits from real photos? Cross-validated ROC AUC.

    A two-sample test (``two_sample_folds``): for each fold a fresh CNN trained on the other
    folds scores the held-out one. The result is the mean over folds of the held-out ROC AUC
    (``roc_auc``). 0.5: the edits cannot be told from the photos; 1.0: always told apart.
    Deterministic for a given seed (and number of torch threads).

    Args:
        fakes: (N, S, S, 3) uint8 BGR composited edits.
        reals: (M, S, S, 3) uint8 BGR real crops (of other people, who really have the style).
        folds: at least 2, and at most the size of the smaller set.

    Returns:
        The mean held-out AUC in [0, 1].
    """
    import torch

    start = time.perf_counter()
    aucs = []
    for fold in two_sample_folds(fakes, reals, folds, seed, epochs, batch_size, max_per_class):
        with torch.no_grad():
            scores = torch.cat([fold.model(fold.images[fold.held[i:i + 128]])
                                for i in range(0, len(fold.held), 128)]).numpy()
        held = fold.labels[fold.held].numpy() > 0.5
        aucs.append(roc_auc(scores[held], scores[~held]))
    log.debug("detectability: folds %s, %.1f s", np.round(aucs, 3), time.perf_counter() - start)
    return float(np.mean(aucs))


class Fold(NamedTuple):
    """One fold of the two-sample test: its trained detector (in eval mode), the balanced images
    (2n, 3, S, S) float tensor (the n fakes first) and labels (2n,) (1: fake), the held-out
    indices into them (the rest trained it), and which of the given fakes each of the first n is."""

    model: object
    images: object
    labels: object
    held: np.ndarray
    fakes: np.ndarray


def two_sample_folds(fakes: np.ndarray, reals: np.ndarray, folds: int = 5, seed: int = 0, epochs: int = 6,
                     batch_size: int = 32, max_per_class: int | None = DETECT_MAX):
    """The two-sample test's folds, one ``Fold`` at a time (``detectability``, ``train.spotted``).

    The larger set is randomly cut down to the size of the smaller (and both to
    ``max_per_class``), so the classes are balanced. Each set is shuffled and split into ``folds``
    folds; for each fold a fresh CNN (``_detector``: a 2x2 pixel unshuffle, four stride-2 3x3 conv
    layers of 16-64 channels, average and max pooling, a linear head) is trained from scratch on
    the other folds (Adam, ``epochs`` epochs, random left-right flips).

    Raises:
        ValueError: images that are not (N, S, S, 3) uint8 of one size, or too few of them.
    """
    import torch
    import torch.nn.functional as F

    from train.data import to_tensor

    for name, images in (("fakes", fakes), ("reals", reals)):
        if images.dtype != np.uint8 or images.ndim != 4 or images.shape[-1] != 3:
            raise ValueError(f"{name} must be (N, S, S, 3) uint8 BGR, got {images.shape} {images.dtype}")
    if fakes.shape[1:] != reals.shape[1:]:
        raise ValueError(f"fakes {fakes.shape[1:]} and reals {reals.shape[1:]} differ in image shape")
    n = min(len(fakes), len(reals), max_per_class or len(fakes))
    if folds < 2 or n < folds:
        raise ValueError(f"detectability needs folds >= 2 and at least {folds} images of each class, "
                         f"got folds={folds}, {len(fakes)} fakes, {len(reals)} reals")
    rng = np.random.default_rng(seed)
    picked = np.sort(rng.permutation(len(fakes))[:n])
    reals = reals[np.sort(rng.permutation(len(reals))[:n])]
    images = to_tensor(np.concatenate([fakes[picked], reals]))
    labels = torch.cat([torch.ones(n), torch.zeros(n)])
    fold_of = np.concatenate([rng.permutation(n) % folds, rng.permutation(n) % folds])
    for fold in range(folds):
        torch.manual_seed(seed * 1000 + fold)
        train, test = np.flatnonzero(fold_of != fold), np.flatnonzero(fold_of == fold)
        model = _detector()
        optimizer = torch.optim.Adam(model.parameters(), lr=2e-3, weight_decay=1e-4)
        model.train()
        for _ in range(epochs):
            order = train[rng.permutation(len(train))]
            for i in range(0, len(order), batch_size):
                rows = order[i:i + batch_size]
                if len(rows) < 2:
                    continue
                batch = images[rows]
                flip = torch.from_numpy(rng.random(len(rows)) < 0.5)
                batch[flip] = batch[flip].flip(-1)
                loss = F.binary_cross_entropy_with_logits(model(batch), labels[rows])
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
        model.eval()
        yield Fold(model, images, labels, test, picked)


def matched(groups_a: np.ndarray, groups_b: np.ndarray, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Indices of two equal-size subsets of sets a and b, with as many of each group in both
    (every group's smaller count, drawn at random from the larger side): the two samples then
    differ only in what the groups do not tell apart.

    Args:
        groups_a, groups_b: (N,), (M,) integer group labels (e.g. sex and age) of the two sets.
    """
    rng = np.random.default_rng(seed)
    picked_a, picked_b = [], []
    for group in np.intersect1d(groups_a, groups_b):
        a, b = np.flatnonzero(groups_a == group), np.flatnonzero(groups_b == group)
        n = min(len(a), len(b))
        picked_a.append(rng.permutation(a)[:n])
        picked_b.append(rng.permutation(b)[:n])
    if not picked_a:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    return np.sort(np.concatenate(picked_a)), np.sort(np.concatenate(picked_b))


def photo_metrics(edited: np.ndarray, original: np.ndarray, person: np.ndarray, interiors: np.ndarray,
                  reals: np.ndarray | None = None, seed: int = 0,
                  groups: tuple[np.ndarray, np.ndarray] | None = None) -> dict:
    """All four measurements of one set of edits, rounded for a report.

    Args:
        edited, original: (N, S, S, 3) uint8 BGR, the edits as shown and the crops they edit.
        person: (N, S, S) selfie-segmentation probability; interiors: (N, S, S) bool protected face.
        reals: (M, S, S, 3) uint8 real crops that have the style, for ``detectability`` (None: skip it).
        groups: ((N,), (M,)) group labels of the edited people and of the reals (sex and age): the
            test is run again on samples matched on them (``matched``): ``detectability_matched``.

    With ``reals``, the test is also run on the unedited ``original`` crops against them:
    ``detectability_unedited``, what leaving the faces as they are scores (the test sees the
    style itself too, not only an edit's flaws: an edit worth making scores below it).

    Returns:
        {"halo", "texture", "seam", "detectability", "detectability_spread", "detectability_faces"}
        (with ``reals`` the same three for "detectability_unedited", and with ``groups`` for
        "detectability_matched"); a value is None where it
        cannot be measured (``..._faces``: the images per class it used, 0 if none). Detectability
        is the mean over DETECT_SEEDS seeds from ``seed`` on, ``..._spread`` their standard deviation.
    """
    def rounded(value, digits=4):
        return None if value is None else round(value, digits)

    def detect(fakes: np.ndarray, photos: np.ndarray, key: str) -> None:
        faces = min(len(fakes), len(photos), DETECT_MAX)
        if faces >= DETECT_MIN:
            # One run's AUC moves by about 0.02 with its seed (which faces, which folds, the
            # detector's start): the mean of DETECT_SEEDS runs, and their standard deviation.
            runs = [detectability(fakes, photos, seed=seed + k, max_per_class=faces) for k in range(DETECT_SEEDS)]
            result[key] = rounded(float(np.mean(runs)))
            result[key + "_spread"] = rounded(float(np.std(runs)))
            result[key + "_faces"] = faces
        else:
            log.warning("%s skipped: %d edits, %d real photos with the style (%d needed)",
                        key, len(fakes), len(photos), DETECT_MIN)

    result = {"halo": rounded(halo(edited, original, person)), "texture": rounded(texture(edited, original)),
              "seam": rounded(seam(edited, original, interiors)), "detectability": None,
              "detectability_spread": None, "detectability_faces": 0}
    if reals is not None:
        detect(edited, reals, "detectability")
        result.update(detectability_unedited=None, detectability_unedited_spread=None, detectability_unedited_faces=0)
        detect(original, reals, "detectability_unedited")
        if groups is not None:
            result.update(detectability_matched=None, detectability_matched_spread=None,
                          detectability_matched_faces=0)
            a, b = matched(*groups, seed=seed)
            detect(edited[a], reals[b], "detectability_matched")
    return result


def inner_face(edited: np.ndarray, original: np.ndarray, hulls: np.ndarray, threshold: float = CHANGED
               ) -> np.ndarray:
    """(N,) float64: each face's share of its eyes-nose-mouth hull that the edit changed.

    A pixel changed where some colour channel differs by more than ``threshold`` grey levels (as
    in ``texture``). The face below the brows is the person's own: the mirror must leave it.

    Args:
        edited, original: (N, H, W, 3) uint8 BGR, the edit as shown and the photo it edits.
        hulls: (N, H, W) bool, the hull of the eyes, nose and mouth on the original photo.

    Returns:
        The share per face, NaN for a face with an empty hull.
    """
    _check_pair(edited, original)
    _check_masks(np.asarray(hulls), edited, "hulls")
    changed = np.abs(edited.astype(np.int16) - original.astype(np.int16)).max(axis=-1) > threshold
    area = hulls.sum(axis=(1, 2))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(area > 0, (changed & hulls).sum(axis=(1, 2)) / np.maximum(area, 1), np.nan)


MIN_MSE = 1e-10   # a perfect reconstruction scores 100 dB rather than infinity


def psnr(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(N,) PSNR in dB of N image pairs in [0, 1] (any shape after the first axis, any float or
    uint8 / 255 scaling already applied)."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    mse = ((a - b) ** 2).reshape(len(a), -1).mean(1)
    return -10.0 * np.log10(np.maximum(mse, MIN_MSE))


def kl_per_dimension(mu: np.ndarray, logvar: np.ndarray) -> np.ndarray:
    """(Z,) mean KL(q(z|x) || N(0, 1)) per latent dimension, in nats, of (N, Z) posteriors."""
    return (0.5 * (mu ** 2 + np.exp(logvar) - logvar - 1.0)).mean(axis=0)
