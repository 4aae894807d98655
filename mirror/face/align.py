"""The one alignment of the project, used by training (train/) and the mirror alike.

A similarity transform (rotation, uniform scale, translation) maps the frame onto a canonical
square head-with-hair crop, FFHQ-style: built from the eye and mouth centres, with room above
the forehead and at the sides for the hair. The exact inverse warps crop-space images back.

    aligner = Aligner(size=128)
    aligned = aligner.align(frame_bgr, face)                 # AlignedFace
    # mirror.render.compositor.warp_back puts crop-space images back with the exact inverse.
"""
from __future__ import annotations

import cv2
import numpy as np

from mirror.face.filters import similarity
from mirror.face.pose import head_pose
from mirror.face.tracker import LEFT_IRIS, MOUTH_LEFT, MOUTH_RIGHT, RIGHT_IRIS
from mirror.types import AlignedFace, Face, outer_matrix

# Crop sides in pixels, the same for training and the mirror: the VAE (mirror/edit/vae.py) halves the
# side with stride-2 convolutions down to 4x4, so it takes these and no others.
SIZES = (64, 128, 256)


class Aligner:
    """Crops faces into the canonical frame.

    Args:
        size: side of the square crop in pixels (one of SIZES).
        zoom: >1 shows more around the head, <1 less. 1.0 holds the whole hair of most people.
        lift: how far the crop centre sits above FFHQ's, in eye-to-mouth lengths (more headroom).
        detail: also crop the same square ``detail`` times larger for the renderer (1: not).
    """

    def __init__(self, size: int = 128, zoom: float = 1.0, lift: float = 0.1, detail: int = 1):
        if size not in SIZES:
            raise ValueError(f"crop size must be one of {SIZES}, got {size}")
        if not 0.5 <= zoom <= 2.0:
            raise ValueError(f"zoom must be in [0.5, 2], got {zoom}")
        if detail < 1:
            raise ValueError(f"detail must be at least 1, got {detail}")
        self.size = size
        self.zoom = zoom
        self.lift = lift
        self.detail = detail

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

    def align(self, image: np.ndarray, face: Face, detail: int | None = None) -> AlignedFace:
        """Crops ``face`` out of ``image`` (H, W, 3) uint8 BGR into an (S, S, 3) crop, and with
        ``detail`` > 1 (None: the aligner's own) also into a (detail x S)-pixel crop of the same
        square for the renderer."""
        detail = self.detail if detail is None else detail
        to_crop = self.matrix(face.landmarks)
        renderer = detail > 1      # (a renderer's face keeps its frame for its outer square)
        crop, large = cut(image, to_crop, self.size, detail if renderer else None)
        # (the head's pose needs the mesh's depth: landmarks without it have none)
        pose = head_pose(face.landmarks) if face.landmarks.shape[1] >= 3 else None
        return AlignedFace(crop, to_crop, transform_points(face.landmarks[:, :2], to_crop), large,
                           frame_shape=image.shape[:2], pose=pose, frame=image if renderer else None)


def cut(image: np.ndarray, to_crop: np.ndarray, size: int, detail: int | None
        ) -> tuple[np.ndarray, np.ndarray | None]:
    """(the model's crop, the renderer's crop ``detail`` times larger) of ``image`` under
    ``to_crop``; with ``detail`` None, the crop only."""
    # One pyramid of the frame's part under the crop serves both crops (the detail crop's level
    # is the first step to the model crop's).
    pyramid = FramePyramid(image, to_crop, size)
    crop = pyramid.warp(to_crop, size)
    if detail is None:
        return crop, None
    large = pyramid.warp(to_crop * detail, size * detail) if detail > 1 else crop.copy()
    return crop, large


def outer_square(aligned: AlignedFace) -> np.ndarray | None:
    """``aligned.outer``, the renderer's view past the crop (long hair below it), cut from its
    frame on first use and kept; None if it has neither.

    It is cut at the crop's resolution (only coarse colours are read there), and only where it
    is read: by the recolouring's mask worker and the render thread, on some frames (cut with
    every frame, it would be a third of a 720p frame's alignment).
    """
    if aligned.outer is None and aligned.frame is not None:
        size = aligned.crop.shape[0]
        aligned.outer = cv2.warpAffine(aligned.frame, outer_matrix(aligned.to_crop, size), (2 * size, 2 * size),
                                       flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    return aligned.outer


def recut(image: np.ndarray, aligned: AlignedFace, move: np.ndarray) -> AlignedFace:
    """``aligned`` cut again from its frame ``image`` with ``move``, a (2, 3) matrix of crop
    pixels, after its alignment: the same face, lying elsewhere in the crop (masks and landmarks
    moved with it)."""
    size = aligned.crop.shape[0]
    to_crop = np.vstack([move, [0, 0, 1]])[:2] @ np.vstack([aligned.to_crop, [0, 0, 1]])
    detail = None if aligned.detail is None else aligned.scale
    crop, large = cut(image, to_crop, size, detail)

    def moved(mask: np.ndarray | None) -> np.ndarray | None:
        return None if mask is None else cv2.warpAffine(mask, move, (size, size), flags=cv2.INTER_LINEAR,
                                                        borderMode=cv2.BORDER_REPLICATE)

    return AlignedFace(crop, to_crop, transform_points(aligned.landmarks, move), large, moved(aligned.person),
                       moved(aligned.hair), None, aligned.frame_shape, aligned.pose, None if detail is None else image)


def similarity_matrix(source: np.ndarray, target: np.ndarray) -> np.ndarray:
    """(2, 3) float64: the similarity taking the points ``source`` (N, 2) onto ``target`` best in
    least squares."""
    scale, angle, centre = similarity(source, target)
    rotation = scale * np.float64([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    return np.hstack([rotation, (centre - rotation @ source.mean(axis=0))[:, None]])


def transform_points(points: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    """Applies a (2, 3) affine matrix to (N, 2) points; returns (N, 2) float32."""
    points = np.asarray(points, dtype=np.float64)[:, :2]
    return (points @ matrix[:, :2].T + matrix[:, 2]).astype(np.float32)


def invert(matrix: np.ndarray) -> np.ndarray:
    """The exact inverse of a (2, 3) affine matrix."""
    return cv2.invertAffineTransform(matrix)


IDENTITY = np.float64([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])


def crop_move(made_from: np.ndarray, to_crop: np.ndarray, size: int) -> tuple[np.ndarray, float]:
    """((2, 3) what takes a point of the crop of frame-to-crop matrix ``made_from`` (2, 3) to
    the same frame pixel in the crop ``to_crop`` (2, 3) cuts now, less the identity; how far
    it moves the middle of the crop (``size`` pixels): ``middle_move``)."""
    off = then(cv2.invertAffineTransform(made_from), to_crop) - IDENTITY
    return off, middle_move(off, size)


def middle_move(off: np.ndarray, size: int) -> float:
    """How far an affine map, ``off`` (2, 3) less the identity, moves the middle of a
    ``size``-pixel crop (in its pixels)."""
    return float(np.hypot(*(off[:, 2] + 0.5 * size * (off[:, 0] + off[:, 1]))))


def then(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """(2, 3) the affine map ``first`` (2, 3) followed by ``second`` (2, 3), in plain arithmetic
    (numpy's matrix product calls BLAS, whose threads spin: 10 ms of CPU a frame in the bench)."""
    out = second[:, :1] * first[:1] + second[:, 1:2] * first[1:2]
    out[:, 2] += second[:, 2]
    return out


def warp_to_crop(image: np.ndarray, to_crop: np.ndarray, size: int) -> np.ndarray:
    """Warps a frame into the (size, size) crop; halves the frame first while it is much larger
    than the crop, so a 720p face is not aliased. Edges are replicated."""
    return FramePyramid(image, to_crop, size).warp(to_crop, size)


def _levels(shape: tuple[int, ...], scale: float, size: int) -> int:
    """How often ``warp_to_crop`` halves a frame of ``shape`` for a crop of ``size`` pixels at
    ``scale`` crop pixels per frame pixel."""
    height, width = shape[:2]
    levels = 0
    while scale < 0.5 and min(height, width) > 2 * size:
        height, width = (height + 1) // 2, (width + 1) // 2
        scale *= 2.0
        levels += 1
    return levels


class FramePyramid:
    """The halvings (``cv2.pyrDown``) of the part of a frame a crop reads, made on demand and
    shared by the crops of one square (the model's crop and the renderer's detail crop).

    Only a box around the crop's square is halved, on a grid aligned with the whole frame's
    and with room for the pyramid's kernel, so every crop is the one the whole frame's pyramid
    gives, for the cost of the face's part of the frame.

    Args:
        image: (H, W, C) frame.
        to_crop: (2, 3) frame -> crop matrix of the square (any multiple of it reads the same part).
        size: the square's side in crop pixels under ``to_crop``.
    """

    MARGIN = 8   # pixels of the deepest level of room around the square (the kernels read 3 or so)
    SHARED = 2   # levels up to this one share one box

    def __init__(self, image: np.ndarray, to_crop: np.ndarray, size: int):
        self._image = image
        matrix = np.asarray(to_crop, dtype=np.float64)
        self._corners = transform_points(np.float64([[0, 0], [size, 0], [0, size], [size, size]]), invert(matrix))
        self._made: dict[tuple, np.ndarray] = {}   # (box, level) -> the box halved level times

    def _box(self, level: int) -> tuple[int, int, int, int]:
        """(x0, y0, x1, y1) in frame pixels: the square's part of the frame with room around it,
        starting on the level's grid (the whole frame if the square lies off it)."""
        height, width = self._image.shape[:2]
        unit = 1 << max(level, self.SHARED)
        margin = self.MARGIN * unit
        x0 = max(0, (int(np.floor(self._corners[:, 0].min())) - margin) // unit * unit)
        y0 = max(0, (int(np.floor(self._corners[:, 1].min())) - margin) // unit * unit)
        x1 = min(width, int(np.ceil(self._corners[:, 0].max())) + margin)
        y1 = min(height, int(np.ceil(self._corners[:, 1].max())) + margin)
        if x1 - x0 <= margin or y1 - y0 <= margin:
            return 0, 0, width, height
        return x0, y0, x1, y1

    def level(self, level: int) -> tuple[np.ndarray, int, int]:
        """(image, x0, y0): the box halved ``level`` times, and where the box starts in the frame."""
        if level == 0:
            return self._image, 0, 0
        box = self._box(level)
        x0, y0, x1, y1 = box
        base, start = self._image[y0:y1, x0:x1], 0
        for shallower in range(level, 0, -1):     # from the deepest level made of this box
            if (box, shallower) in self._made:
                base, start = self._made[box, shallower], shallower
                break
        for depth in range(start + 1, level + 1):
            base = self._made[box, depth] = cv2.pyrDown(base)
        return base, x0, y0

    def warp(self, to_crop: np.ndarray, size: int) -> np.ndarray:
        """(size, size, C) the crop of ``to_crop`` (a multiple of the pyramid's matrix)."""
        matrix = np.asarray(to_crop, dtype=np.float64).copy()
        level = _levels(self._image.shape, float(np.hypot(matrix[0, 0], matrix[0, 1])), size)
        image, x0, y0 = self.level(level)
        # pyrDown's pixel q is the source's 2q: a level's pixel q is the box's (2^level) q.
        matrix[:, 2] += matrix[:, :2] @ np.float64([x0, y0])
        matrix[:, :2] *= float(1 << level)
        return cv2.warpAffine(image, matrix, (size, size), flags=cv2.INTER_LINEAR,
                              borderMode=cv2.BORDER_REPLICATE)
