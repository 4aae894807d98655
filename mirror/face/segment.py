"""Segmentation of the aligned crop: where the hair is, and the person's silhouette.

The mirror runs ``HairSegmenter``, the project's student of a face-parsing teacher
(``engines/segmenter.onnx``, made by ``python -m train.segmenter``): hair and person
probabilities in one pass of a few milliseconds. ``PersonSegmenter`` (MediaPipe's selfie
segmentation) labels the training set's silhouettes (``train.prepare``).

    segmenter = HairSegmenter("engines/segmenter.onnx", video=True)
    aligned.hair, aligned.person = segmenter(aligned.crop, frame.timestamp_ms)
"""
from __future__ import annotations

import os

import cv2
import numpy as np

from mirror.errors import MirrorError
from mirror.face.filters import OneEuroFilter

# In video the masks are computed on every VIDEO_EVERY-th frame and reused in between: the crop is
# aligned to the face, so hair and silhouette barely move in it between frames, and the masks are
# smoothed over time anyway (docs/SPEED.md).
VIDEO_EVERY = 2
HAIR, PERSON = 0, 1   # the student's output channels


class HairSegmenter:
    """Hair and person probabilities of aligned BGR crops (the student segmenter, ONNX Runtime).

    Args:
        path: ``segmenter.onnx``.
        video: frames of one stream, in order: the masks are smoothed over time and computed on
            every ``every``-th frame only. False for unrelated photos.
        every: see ``video``.
        threads: ONNX Runtime intra-op threads (default: the machine's cores).

    Raises:
        MirrorError: if the model file is missing; BrokenModel if it is unreadable.
    """

    def __init__(self, path: str, video: bool = False, every: int = VIDEO_EVERY, threads: int | None = None):
        from mirror.backends.onnxruntime import open_session

        if not os.path.isfile(path):
            raise MirrorError(f"model file not found: {path}")
        self.video = video
        self.every = max(1, every) if video else 1
        self._path = path
        self._session = open_session(path, threads)
        self._input = self._session.get_inputs()[0].name
        self._filter = OneEuroFilter(min_cutoff=1.5, beta=0.5)
        self.reset()

    def set_threads(self, threads: int) -> None:
        """Reopens the model with ``threads`` intra-op threads (a session cannot change them)."""
        from mirror.backends.onnxruntime import open_session

        self._session = open_session(self._path, threads)

    def reset(self) -> None:
        """Forgets the past (the face was lost)."""
        self._filter.reset()
        self._last = None
        self._count = 0

    def predict(self, images: np.ndarray) -> np.ndarray:
        """(B, 3, S, S) float32 BGR in [0, 1] -> (B, 2, S, S) float32 (hair, person) probabilities,
        with no memory of earlier calls (used on the model's decodes too)."""
        return self._session.run(None, {self._input: np.ascontiguousarray(images, np.float32)})[0]

    def due(self, size: int) -> bool:
        """Whether the next call on a (size, size) crop runs the model (else it reuses the last)."""
        return self._last is None or self._last.shape[1] != size or self._count % self.every == 0

    def predict_crop(self, crop: np.ndarray) -> np.ndarray:
        """(2, S, S) float32 (hair, person) probabilities of the (S, S, 3) uint8 BGR ``crop``,
        with no memory of earlier calls."""
        return self.predict((crop.astype(np.float32) / 255.0).transpose(2, 0, 1)[None])[0]

    def __call__(self, crop: np.ndarray, timestamp_ms: int = 0, made: np.ndarray | None = None
                 ) -> tuple[np.ndarray, np.ndarray]:
        """((S, S) hair, (S, S) person) float32 probabilities of the (S, S, 3) uint8 BGR ``crop``.

        Args:
            made: (2, S, S) the model's output for this crop, made already (``mirror.face.ahead``);
                used if the call is ``due``.
        """
        due = self.due(crop.shape[0])
        self._count += 1
        if not due:
            return self._last[HAIR], self._last[PERSON]
        masks = self.predict_crop(crop) if made is None else made
        if self.video:
            masks = self._filter(masks, timestamp_ms / 1000.0)
            self._last = masks
        return masks[HAIR], masks[PERSON]

    def close(self) -> None:
        self._session = None

    def __enter__(self) -> "HairSegmenter":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class PersonSegmenter:
    """(S, S) person probability of unrelated aligned BGR photos (MediaPipe selfie segmentation):
    the silhouettes ``train.prepare`` stores and the student segmenter learns the person from."""

    def __init__(self):
        import mediapipe as mp

        self._segmenter = mp.solutions.selfie_segmentation.SelfieSegmentation(model_selection=0)

    def __call__(self, crop: np.ndarray) -> np.ndarray:
        """(S, S) float32 in [0, 1]: how likely each pixel of the BGR ``crop`` is the person."""
        mask = self._segmenter.process(cv2.cvtColor(crop, cv2.COLOR_BGR2RGB)).segmentation_mask
        return np.asarray(mask, np.float32)

    def close(self) -> None:
        self._segmenter.close()
