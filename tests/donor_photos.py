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
from mirror.face.segment import HairSegmenter
from mirror.face.tracker import FaceTracker
from mirror.paths import DEFAULT_ENGINES
from mirror.edit.reference import donor_of
from mirror.types import AlignedFace, Donor

DETAIL = 2  # the renderer's crop is twice the model's side, as the Pipeline aligns it


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
        """The photo at ``path`` as a donor at the detail crop's side (``mirror.edit.reference.donor_of``),
        or None with no face."""
        aligned = self.aligned(cv2.imread(path))
        return None if aligned is None else donor_of(aligned, os.path.basename(path), np.zeros(64, np.float32),
                                                     bald, index)

    def close(self) -> None:
        self.tracker.close()
        self.segmenter.close()

    def __enter__(self) -> "Heads":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
