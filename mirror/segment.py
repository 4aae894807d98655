"""Person segmentation of the aligned crop (MediaPipe selfie segmentation): the silhouette that
tells the hair from the background.

    segmenter = PersonSegmenter(video=True)
    aligned.person = segmenter(aligned.crop, frame.timestamp_ms)
"""
from __future__ import annotations

import cv2
import numpy as np

from mirror.filters import OneEuroFilter

# In video the mask is computed on every VIDEO_EVERY-th frame and reused in between: the crop is
# aligned to the face, so the silhouette in it barely moves between frames, and the mask is
# smoothed over time anyway (measured on d13 crops, one thread, 2-core AMD EPYC: 4.3-4.4 ms a
# frame on average -> 2.1-2.2 ms).
VIDEO_EVERY = 2


class PersonSegmenter:
    """(S, S) person probability of aligned BGR crops.

    Args:
        video: frames of one stream, in order: the mask is smoothed over time and computed
            on every ``every``-th frame only. False for unrelated photos.
        every: see ``video``.
    """

    def __init__(self, video: bool = False, every: int = VIDEO_EVERY):
        import mediapipe as mp

        self.video = video
        self.every = max(1, every) if video else 1
        self._segmenter = mp.solutions.selfie_segmentation.SelfieSegmentation(model_selection=0)
        self._filter = OneEuroFilter(min_cutoff=1.5, beta=0.5)
        self.reset()

    def reset(self) -> None:
        """Forgets the past (the face was lost)."""
        self._filter.reset()
        self._last = None
        self._count = 0

    def __call__(self, crop: np.ndarray, timestamp_ms: int = 0) -> np.ndarray:
        """(S, S) float32 in [0, 1]: how likely each pixel of the BGR ``crop`` is the person."""
        self._count += 1
        if self._last is not None and self._last.shape == crop.shape[:2] and (self._count - 1) % self.every:
            return self._last
        mask = self._segmenter.process(cv2.cvtColor(crop, cv2.COLOR_BGR2RGB)).segmentation_mask
        mask = np.asarray(mask, np.float32)
        if self.video:
            mask = self._filter(mask, timestamp_ms / 1000.0)
            self._last = mask
        return mask

    def close(self) -> None:
        self._segmenter.close()

    def __enter__(self) -> "PersonSegmenter":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
