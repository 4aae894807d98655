"""Face tracking with MediaPipe Face Mesh (478 refined landmarks).

    with FaceTracker(static=True) as tracker:
        face = tracker.process(bgr_image)   # Face, or None when no face is found
"""
from __future__ import annotations

import os

import cv2
import numpy as np

from mirror.io.source import as_bgr
from mirror.types import Face

os.environ.setdefault("GLOG_minloglevel", "2")  # MediaPipe's C++ logging: warnings and up only.

# Face-mesh indices used across the package.
LEFT_IRIS = 468    # iris centre of the eye on the image's left (the person's right eye)
RIGHT_IRIS = 473   # iris centre of the eye on the image's right
MOUTH_LEFT = 61
MOUTH_RIGHT = 291
FOREHEAD_TOP = 10
BLANK = 64         # the side of the blank frame that makes a video tracker lose its face (``reset``)


class FaceTracker:
    """Finds the largest face in a BGR frame.

    Args:
        static: True for unrelated photos (detect every time), False for a video stream
            (track between frames; frames must then come in order).
        max_faces: how many faces MediaPipe looks for; the largest one is returned. Default: 2 for
            photos, 1 for video (with 1 MediaPipe only tracks once it has a face; with more it
            runs its detector on every frame that shows fewer, a cost measured in docs/SPEED.md).
        min_confidence: detection and tracking confidence threshold.
    """

    def __init__(self, static: bool = False, max_faces: int | None = None, min_confidence: float = 0.5):
        import mediapipe as mp

        self.static = static
        max_faces = max_faces or (2 if static else 1)
        self._mesh = mp.solutions.face_mesh.FaceMesh(
            static_image_mode=static,
            max_num_faces=max_faces,
            refine_landmarks=True,
            min_detection_confidence=min_confidence,
            min_tracking_confidence=min_confidence,
        )
        self._tracking = False   # (video) the last frame had a face, so MediaPipe tracked this one

    def process(self, image: np.ndarray) -> Face | None:
        """Tracks one frame.

        Args:
            image: (H, W, 3) uint8 BGR (grayscale and BGRA are converted).

        Returns:
            The largest face, with landmarks in pixels, or None when no face is found.
        """
        image = as_bgr(image)
        height, width = image.shape[:2]
        rgb = cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
        result = self._mesh.process(rgb)
        if not result.multi_face_landmarks and self._tracking:
            # MediaPipe tracks a face from where the last frame had it and, once it loses it,
            # looks for one only on the next frame: a head that moved fast (or a new stream)
            # would show one frame unedited. Looking again now runs its detector on this frame.
            result = self._mesh.process(rgb)
        self._tracking = not self.static and bool(result.multi_face_landmarks)
        if not result.multi_face_landmarks:
            return None
        faces = []
        for landmarks in result.multi_face_landmarks:
            points = np.array([(p.x, p.y, p.z) for p in landmarks.landmark], dtype=np.float32)
            points *= np.array([width, height, width], dtype=np.float32)
            faces.append(Face(points))
        return max(faces, key=_area)

    def reset(self) -> None:
        """Forgets the face being tracked (a new stream starts): the next frame is searched afresh,
        as the first frame of a stream is. (MediaPipe has no reset: a blank frame loses its face.)"""
        if not self.static:
            self._mesh.process(np.zeros((BLANK, BLANK, 3), np.uint8))
        self._tracking = False

    def close(self) -> None:
        self._mesh.close()

    def __enter__(self) -> "FaceTracker":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _area(face: Face) -> float:
    x0, y0, x1, y1 = face.box
    return (x1 - x0) * (y1 - y0)
