"""The prepared aligned set (``python -m train.prepare``) as in-memory tensors.

    data = AlignedSet("data/aligned128", split="train")
    images, weights = data.batch(indices)          # (B, 3, S, S) float32 BGR in [0, 1], (B, 1, S, S)

Everything lives in memory (18k crops at 128 px are 0.9 GB of uint8), so there are no loader
workers to compete with the two training cores. The hair mask of every crop is computed once,
from the cached selfie segmentation and landmarks, with ``mirror.face.regions.hair_region`` (the
same function the mirror's compositor uses).
"""
from __future__ import annotations

import json
import logging
import os

import numpy as np
import torch

from mirror.backends.base import crops_to_images, images_to_crops
from mirror.errors import MirrorError
from mirror.face.regions import hair_region

log = logging.getLogger(__name__)

SPLITS = {"train": 0, "val": 1, "test": 2}
FILES = ("crops.npy", "person.npy", "landmarks.npy", "attributes.npy", "split.npy", "attributes.txt")


def check_folder(folder: str) -> dict:
    """Returns the folder's summary.json; MirrorError if it is not a prepared set."""
    missing = [f for f in FILES if not os.path.isfile(os.path.join(folder, f))]
    if missing:
        raise MirrorError(f"{folder} is not a prepared aligned set (missing {', '.join(missing)}); "
                          f"run: python -m train.prepare --data CELEBA --out {folder}")
    path = os.path.join(folder, "summary.json")
    if not os.path.isfile(path):
        return {}
    with open(path) as f:
        return json.load(f)


def attribute_names(folder: str) -> list[str]:
    with open(os.path.join(folder, "attributes.txt")) as f:
        return f.read().split()


class AlignedSet:
    """One split of a prepared folder.

    Args:
        folder: output of ``train.prepare``.
        split: "train", "val", "test" or "all".
        limit: keep only the first N images of the split (None: all).
        masks: compute the hair masks (needed for the hair-weighted loss and evaluation).

    Attributes:
        crops: (N, S, S, 3) uint8 BGR.
        attributes: (N, 40) int8 +1/-1; ``names`` the 40 CelebA names.
        landmarks: (N, 478, 2) float32 crop pixels; person: (N, S, S) uint8.
        hair: (N, S, S) uint8 hair-region mask (0..255) or None.
        indices: positions of these rows in the full folder.
    """

    def __init__(self, folder: str, split: str = "train", limit: int | None = None,
                 masks: bool = True):
        if split not in SPLITS and split != "all":
            raise ValueError(f"split must be one of {list(SPLITS) + ['all']}, got {split!r}")
        self.summary = check_folder(folder)
        self.folder = folder
        splits = np.load(os.path.join(folder, "split.npy"))
        indices = np.arange(len(splits)) if split == "all" else np.flatnonzero(splits == SPLITS[split])
        if limit is not None:
            indices = indices[:limit]
        if len(indices) == 0:
            raise MirrorError(f"no {split} images in {folder}")
        self.indices = indices
        crops = np.load(os.path.join(folder, "crops.npy"), mmap_mode="r")
        self.crops = np.ascontiguousarray(crops[indices])
        self.person = np.ascontiguousarray(np.load(os.path.join(folder, "person.npy"), mmap_mode="r")[indices])
        self.landmarks = np.load(os.path.join(folder, "landmarks.npy"), mmap_mode="r")[indices].astype(np.float32)
        self.attributes = np.load(os.path.join(folder, "attributes.npy"))[indices]
        self.names = attribute_names(folder)
        self.size = self.crops.shape[1]
        self.hair = None
        if masks:
            self.hair = np.stack([
                np.clip(hair_region(lm, p) * 255 + 0.5, 0, 255).astype(np.uint8)
                for lm, p in zip(self.landmarks, self.person)])
        log.info("%s: %d %s images of %d px", folder, len(indices), split, self.size)

    def __len__(self) -> int:
        return len(self.indices)

    def attribute(self, name: str) -> np.ndarray:
        """(N,) bool: which images have the CelebA attribute ``name``."""
        if name not in self.names:
            raise ValueError(f"unknown attribute {name!r}")
        return self.attributes[:, self.names.index(name)] > 0

    def images(self, rows) -> torch.Tensor:
        """(B, 3, S, S) float32 BGR in [0, 1] for the given row numbers."""
        return to_tensor(self.crops[rows])

    def batch(self, rows, hair_weight: float = 0.0, flip: np.ndarray | None = None):
        """Images and per-pixel loss weights for the given rows.

        Args:
            rows: row numbers into this split.
            hair_weight: weight map is 1 + hair_weight * hair mask.
            flip: optional (B,) bool, which images to mirror left-right (augmentation).

        Returns:
            (images (B, 3, S, S) float32, weights (B, 1, S, S) float32 or None).
        """
        images = self.images(rows)
        weights = None
        if hair_weight:
            if self.hair is None:
                raise ValueError("hair masks were not computed (masks=False)")
            mask = torch.from_numpy(self.hair[rows]).float().div_(255).unsqueeze(1)
            weights = 1.0 + hair_weight * mask
        if flip is not None and flip.any():
            which = torch.from_numpy(np.flatnonzero(flip))
            images[which] = images[which].flip(-1)
            if weights is not None:
                weights[which] = weights[which].flip(-1)
        return images, weights


def to_tensor(crops: np.ndarray) -> torch.Tensor:
    """(B, S, S, 3) uint8 BGR -> (B, 3, S, S) float32 in [0, 1] (still BGR), as the backends take
    them (``mirror.backends.base.crops_to_images``), for PyTorch."""
    return torch.from_numpy(crops_to_images(crops))


def to_crops(images: torch.Tensor | np.ndarray) -> np.ndarray:
    """(B, 3, S, S) float in [0, 1] -> (B, S, S, 3) uint8 (``mirror.backends.base.images_to_crops``)."""
    if isinstance(images, torch.Tensor):
        images = images.detach().cpu().numpy()
    return images_to_crops(images)
