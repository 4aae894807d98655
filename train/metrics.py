"""The numbers the training tools report, each computed one way: reconstruction PSNR, the
posterior's KL per latent dimension, and whether an edit looks like a photo (three measurements
of composited edits against their originals; whether they can be told from real photos is
``train.instruments``' two-sample test).

    from train.metrics import halo, texture, seam, inner_face
    halo(edited, original, person)           # grey levels changed on the background, 0 is best
    texture(edited, original)                # edited / original detail where the edit changed the crop, 1 is a photo's
    seam(edited, original, interiors)        # the edit's step at the protected face boundary / the photo's edges there
    inner_face(edited, original, hulls)      # share of the eyes-nose-mouth hull the edit changed

All images are (N, S, S, 3) uint8 BGR crops, the edited ones exactly as the mirror shows them
(``train.evaluate`` rounds its composites to uint8 first). Differences are in grey levels
(0..255). "Grey" is OpenCV's BGR-to-grey luminance (0.114 B + 0.587 G + 0.299 R) in float64.
The figures pool all pixels of all faces (no per-face mean), so a face with more background
or more changed hair weighs more.
"""
from __future__ import annotations

import cv2
import numpy as np

HALO_GROW = 0.08        # the silhouette is grown by this share of the crop before "background"
CHANGED = 12            # grey levels: a pixel the edit changed (texture)
SEAM_BAND = 2           # px each side of the protected boundary (seam)
SEAM_PERCENTILE = 95
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


def photo_metrics(edited: np.ndarray, original: np.ndarray, person: np.ndarray, interiors: np.ndarray) -> dict:
    """The three look measurements of one set of edits, rounded for a report.

    Args:
        edited, original: (N, S, S, 3) uint8 BGR, the edits as shown and the crops they edit.
        person: (N, S, S) selfie-segmentation probability; interiors: (N, S, S) bool protected face.

    Returns:
        {"halo", "texture", "seam"}; a value is None where it cannot be measured.
    """
    def rounded(value, digits=4):
        return None if value is None else round(value, digits)

    return {"halo": rounded(halo(edited, original, person)), "texture": rounded(texture(edited, original)),
            "seam": rounded(seam(edited, original, interiors))}


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
