"""Small records passed between the stages of the pipeline.

All images are BGR uint8 arrays of shape (H, W, 3). "No face" is ``None``, never an empty record.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class Frame:
    """One captured frame.

    Attributes:
        index: 0-based position in the stream.
        timestamp_ms: capture time in milliseconds, monotonically increasing within a stream.
        image: (H, W, 3) uint8 BGR.
    """

    index: int
    timestamp_ms: int
    image: np.ndarray


@dataclass
class Face:
    """One tracked face.

    Attributes:
        landmarks: (478, 3) float32 MediaPipe face-mesh points; x, y in frame pixels, z in the
            same scale as x (relative depth).
    """

    landmarks: np.ndarray

    @property
    def box(self) -> tuple[float, float, float, float]:
        """(x0, y0, x1, y1) of the landmarks in frame pixels."""
        xy = self.landmarks[:, :2]
        x0, y0 = xy.min(axis=0)
        x1, y1 = xy.max(axis=0)
        return float(x0), float(y0), float(x1), float(y1)


@dataclass
class AlignedFace:
    """A face cropped into the canonical head-with-hair frame.

    Attributes:
        crop: (S, S, 3) uint8 BGR.
        to_crop: (2, 3) float64 similarity matrix mapping frame pixels to crop pixels.
        landmarks: (478, 2) float32 landmarks in crop pixels.
        person: (S, S) float32 person probability in [0, 1] (``PersonSegmenter``); None until
            segmented. The editor needs it to tell hair from background.
    """

    crop: np.ndarray
    to_crop: np.ndarray
    landmarks: np.ndarray
    person: np.ndarray | None = None


@dataclass
class EditedFace:
    """The hair editor's output in crop space.

    Attributes:
        crop: (S, S, 3) uint8 BGR, the edited crop (equal to the aligned crop where nothing changes).
        hair_mask: (S, S) float32 in [0, 1], where the edit applies (zero on the face interior).
        replace: (S, S) float32 in [0, 1], where the frame is replaced by the edited crop (hair
            removed or drawn anew); elsewhere the change is added onto the full-resolution frame.
    """

    crop: np.ndarray
    hair_mask: np.ndarray
    replace: np.ndarray


@dataclass
class Result:
    """One processed frame.

    Attributes:
        frame: the frame as captured (BGR).
        output: (H, W, 3) uint8 BGR, the picture shown.
        face: whether a face was found (and edited).
        timings: milliseconds per stage (``mirror.timing``), and ``latency`` in the pipelined loop.
    """

    frame: Frame
    output: np.ndarray
    face: bool
    timings: dict[str, float] = field(default_factory=dict)
