"""The explorer's data: a prepared aligned set read lazily, its faces' latents (cached), their
principal directions, and aligning a photo.
"""
from __future__ import annotations

import hashlib
import logging
import os

import numpy as np

from mirror.backends.base import Backend, encode_crops
from mirror.errors import MirrorError

log = logging.getLogger(__name__)

CACHE = os.path.join(os.path.expanduser("~"), ".cache", "hair-mirror", "explorer")
SPLIT_NAMES = ("train", "val", "test")


# --- data ------------------------------------------------------------------------------------

class AlignedData:
    """A prepared aligned set (``python -m train.prepare``), read lazily.

    Args:
        folder: the prepared folder (crops.npy (N, S, S, 3) uint8 BGR; split.npy, images.txt optional).
        size: the model's crop side S; the crops must match it.

    Raises:
        MirrorError: when the folder or its crops are missing, or the crop size differs.
    """

    def __init__(self, folder: str, size: int):
        path = os.path.join(folder, "crops.npy")
        if not os.path.isdir(folder):
            raise MirrorError(f"data folder not found: {folder}")
        if not os.path.isfile(path):
            raise MirrorError(f"{folder} is not a prepared aligned set (no crops.npy): run "
                              f"python -m train.prepare --data CELEBA --out {folder}")
        try:
            self.crops = np.load(path, mmap_mode="r")
        except (ValueError, OSError) as error:
            raise MirrorError(f"unreadable {path}: {error}") from None
        if self.crops.ndim != 4 or self.crops.shape[3] != 3 or self.crops.dtype != np.uint8:
            raise MirrorError(f"{path} holds {self.crops.dtype} {self.crops.shape}, expected (N, S, S, 3) uint8")
        if self.crops.shape[1:3] != (size, size):
            raise MirrorError(f"{folder} holds {self.crops.shape[1]} px crops but the model takes {size} px")
        if len(self.crops) == 0:
            raise MirrorError(f"{folder} holds no crops")
        self.folder = folder
        split = os.path.join(folder, "split.npy")
        self.split = np.load(split) if os.path.isfile(split) else None
        names = os.path.join(folder, "images.txt")
        self.names = open(names).read().split() if os.path.isfile(names) else None

    def __len__(self) -> int:
        return len(self.crops)

    def crop(self, index: int) -> np.ndarray:
        """(S, S, 3) uint8 BGR crop ``index``."""
        return np.asarray(self.crops[index])

    def label(self, index: int) -> str:
        """e.g. ``#42 test 000043.jpg``."""
        parts = [f"#{index}"]
        if self.split is not None and 0 <= int(self.split[index]) < len(SPLIT_NAMES):
            parts.append(SPLIT_NAMES[int(self.split[index])])
        if self.names is not None and index < len(self.names):
            parts.append(self.names[index])
        return " ".join(parts)


def dataset_latents(backend: Backend, data: AlignedData, count: int, encoder_path: str | None = None,
                    cache: str | None = CACHE) -> tuple[np.ndarray, np.ndarray]:
    """Latents of ``count`` crops spread evenly over the set, cached per model and data set.

    Returns:
        (indices (M,) int64 into the set, latents (M, Z) float32).
    """
    indices = np.unique(np.linspace(0, len(data) - 1, min(count, len(data))).round().astype(np.int64))
    path = None
    if cache and encoder_path and os.path.isfile(encoder_path):
        digest = hashlib.sha256()
        with open(encoder_path, "rb") as f:
            digest.update(f.read())
        digest.update(os.path.realpath(data.folder).encode())
        digest.update(f"{len(data)}:{len(indices)}".encode())
        path = os.path.join(cache, digest.hexdigest()[:20] + ".npy")
        if os.path.isfile(path):
            latents = np.load(path)
            if len(latents) == len(indices):
                return indices, latents
    log.info("encoding %d faces of %s for PCA and nearest faces (once: cached in %s)",
             len(indices), data.folder, cache or "memory")
    latents = encode_crops(backend, _Rows(data.crops, indices))[0]
    if path:
        try:
            os.makedirs(cache, exist_ok=True)
            np.save(path, latents)
        except OSError as error:
            log.warning("could not cache latents in %s: %s", cache, error)
    return indices, latents


class _Rows:
    """Sliceable view of ``array[indices]`` without loading the whole array."""

    def __init__(self, array, indices):
        self.array, self.indices = array, indices

    def __len__(self) -> int:
        return len(self.indices)

    def __getitem__(self, item):
        return self.array[np.sort(self.indices[item])]


def principal_directions(latents: np.ndarray, count: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """PCA of (N, Z) latents.

    Returns:
        (components (K, Z) unit rows, stds (K,) along them, explained (K,) variance fractions),
        K = min(count, N, Z); each row's largest entry is positive (a fixed sign).
    """
    centered = latents - latents.mean(axis=0)
    _, singular, vt = np.linalg.svd(centered, full_matrices=False)
    k = min(count, len(singular))
    components = vt[:k]
    signs = np.sign(components[np.arange(k), np.abs(components).argmax(axis=1)])
    components = components * signs[:, None]
    variance = singular ** 2 / max(len(latents) - 1, 1)
    return (components.astype(np.float32), np.sqrt(variance[:k]).astype(np.float32),
            (variance[:k] / max(variance.sum(), 1e-12)).astype(np.float32))


def align_photo(image: np.ndarray, size: int, name: str = "photo") -> np.ndarray:
    """Tracks the largest face of a BGR image and returns its (S, S, 3) uint8 aligned crop.

    Raises:
        MirrorError: when no face is found.
    """
    from mirror.face.align import Aligner
    from mirror.face.tracker import FaceTracker

    with FaceTracker(static=True) as tracker:
        face = tracker.process(image)
    if face is None:
        raise MirrorError(f"no face found in {name}")
    return Aligner(size).align(image, face).crop
