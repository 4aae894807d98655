"""Writing frames, only where the user asked: ``--output`` (a video, an image or a folder) and the
``S`` key's snapshots."""
from __future__ import annotations

import os
import time

import cv2
import numpy as np

from mirror.errors import MirrorError

# What the writer writes (mp4v video, OpenCV images); the readers take more (mirror.io.source).
VIDEO_OUTPUTS = (".mp4", ".avi", ".mov", ".mkv")
IMAGE_OUTPUTS = (".png", ".jpg", ".jpeg", ".bmp")


class Writer:
    """Writes processed frames to a video file, an image file or a folder (by the path's extension).

    Args:
        path: ``FILE.mp4`` (any of ``VIDEO_OUTPUTS``), ``FILE.png`` (``IMAGE_OUTPUTS``: each
            frame overwrites the last) or a folder (one numbered PNG per frame).
        fps: the video's frame rate.

    Raises:
        MirrorError: when the folder cannot be made.
    """

    def __init__(self, path: str, fps: float = 30.0):
        self.path = path
        self._video = None
        self._fps = fps
        self._count = 0
        extension = os.path.splitext(path)[1].lower()
        self.kind = "video" if extension in VIDEO_OUTPUTS else "image" if extension in IMAGE_OUTPUTS else "folder"
        parent = path if self.kind == "folder" else os.path.dirname(os.path.abspath(path))
        try:
            os.makedirs(parent, exist_ok=True)
        except OSError as error:
            raise MirrorError(f"cannot write to {path}: {error.strerror}") from None

    def write(self, image: np.ndarray) -> None:
        """Writes one (H, W, 3) uint8 BGR frame."""
        if self.kind == "video":
            if self._video is None:
                fourcc = cv2.VideoWriter_fourcc(*"mp4v")
                self._video = cv2.VideoWriter(self.path, fourcc, self._fps, (image.shape[1], image.shape[0]))
                if not self._video.isOpened():
                    raise MirrorError(f"cannot write video {self.path}")
            self._video.write(image)
        elif self.kind == "image":
            if not cv2.imwrite(self.path, image):
                raise MirrorError(f"cannot write image {self.path}")
        else:
            cv2.imwrite(os.path.join(self.path, f"frame_{self._count:06d}.png"), image)
        self._count += 1

    def close(self) -> None:
        if self._video is not None:
            self._video.release()


def save_snapshot(image: np.ndarray, folder: str) -> str:
    """Saves one (H, W, 3) uint8 BGR picture as a time-stamped PNG in ``folder``; returns its path."""
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, time.strftime("hair-mirror-%Y%m%d-%H%M%S.png"))
    cv2.imwrite(path, image)
    return path
