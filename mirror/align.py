"""The one alignment of the project, used by training (train/) and the mirror alike.

A similarity transform (rotation, uniform scale, translation) maps the frame onto a canonical
square head-with-hair crop, FFHQ-style: built from the eye and mouth centres, with room above
the forehead and at the sides for the hair. The exact inverse warps crop-space images back.

    aligner = Aligner(size=128)
    aligned = aligner.align(frame_bgr, face)                 # AlignedFace
    # mirror.compositor.warp_back puts crop-space images back with the exact inverse.
"""
from __future__ import annotations

import cv2
import numpy as np

from mirror.tracker import LEFT_IRIS, MOUTH_LEFT, MOUTH_RIGHT, RIGHT_IRIS
from mirror.types import AlignedFace, Face

# Crop sides in pixels, the same for training and the mirror: the VAE (mirror/vae.py) halves the
# side with stride-2 convolutions down to 4x4, so it takes these and no others.
SIZES = (64, 128, 256)


class Aligner:
    """Crops faces into the canonical frame.

    Args:
        size: side of the square crop in pixels (one of SIZES).
        zoom: >1 shows more around the head, <1 less. 1.0 holds the whole hair of most people.
        lift: how far the crop centre sits above FFHQ's, in eye-to-mouth lengths (more headroom).
    """

    def __init__(self, size: int = 128, zoom: float = 1.0, lift: float = 0.1):
        if size not in SIZES:
            raise ValueError(f"crop size must be one of {SIZES}, got {size}")
        if not 0.5 <= zoom <= 2.0:
            raise ValueError(f"zoom must be in [0.5, 2], got {zoom}")
        self.size = size
        self.zoom = zoom
        self.lift = lift

    def matrix(self, landmarks: np.ndarray) -> np.ndarray:
        """The (2, 3) float64 matrix taking frame pixels to crop pixels.

        Args:
            landmarks: (478, 2+) face-mesh points in frame pixels.
        """
        points = np.asarray(landmarks, dtype=np.float64)[:, :2]
        eye_left, eye_right = points[LEFT_IRIS], points[RIGHT_IRIS]
        eye_avg = (eye_left + eye_right) / 2
        eye_to_eye = eye_right - eye_left
        eye_to_mouth = (points[MOUTH_LEFT] + points[MOUTH_RIGHT]) / 2 - eye_avg
        # FFHQ's construction: x points right along the face, y down it, both of half-side length.
        x = eye_to_eye - np.array([-eye_to_mouth[1], eye_to_mouth[0]])
        x /= np.hypot(*x)
        x *= max(np.hypot(*eye_to_eye) * 2.0, np.hypot(*eye_to_mouth) * 1.8) * self.zoom
        y = np.array([-x[1], x[0]])
        center = eye_avg + eye_to_mouth * (0.1 - self.lift)
        source = np.float32([center - x - y, center + x - y, center - x + y])
        s = float(self.size)
        target = np.float32([[0, 0], [s, 0], [0, s]])
        return cv2.getAffineTransform(source, target).astype(np.float64)

    def align(self, image: np.ndarray, face: Face, detail: int = 1) -> AlignedFace:
        """Crops ``face`` out of ``image`` (H, W, 3) uint8 BGR into an (S, S, 3) crop, and with
        ``detail`` > 1 also into a (detail x S)-pixel crop of the same square for the renderer."""
        to_crop = self.matrix(face.landmarks)
        crop = warp_to_crop(image, to_crop, self.size)
        large = warp_to_crop(image, to_crop * detail, self.size * detail) if detail > 1 else None
        return AlignedFace(crop, to_crop, transform_points(face.landmarks[:, :2], to_crop), large)


def transform_points(points: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    """Applies a (2, 3) affine matrix to (N, 2) points; returns (N, 2) float32."""
    points = np.asarray(points, dtype=np.float64)[:, :2]
    return (points @ matrix[:, :2].T + matrix[:, 2]).astype(np.float32)


def invert(matrix: np.ndarray) -> np.ndarray:
    """The exact inverse of a (2, 3) affine matrix."""
    return cv2.invertAffineTransform(matrix)


def warp_to_crop(image: np.ndarray, to_crop: np.ndarray, size: int) -> np.ndarray:
    """Warps a frame into the (size, size) crop; halves the frame first while it is much larger
    than the crop, so a 720p face is not aliased. Edges are replicated."""
    matrix = np.asarray(to_crop, dtype=np.float64).copy()
    scale = np.hypot(matrix[0, 0], matrix[0, 1])
    while scale < 0.5 and min(image.shape[:2]) > 2 * size:
        image = cv2.pyrDown(image)
        matrix[:, :2] *= 2.0
        scale *= 2.0  # pyrDown's pixel q is the source's 2q: the translation is unchanged.
    return cv2.warpAffine(image, matrix, (size, size), flags=cv2.INTER_LINEAR,
                          borderMode=cv2.BORDER_REPLICATE)
