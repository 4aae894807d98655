"""A smooth warp of one head onto another through their face-mesh landmarks, extended over the
skull and down to the shoulders: a thin-plate spline through matching control points.

Both heads are aligned crops of the same square (``mirror.face.align``), so the warp only corrects
what alignment leaves: the face's shape, the skull's size, a head's slight turn. Control points
are landmarks on the face's outline, brows, eyes, nose and mouth, and beyond the face points
placed alike on both heads in the skull's own frame (``mirror.face.regions.skull_axes``): rings
round the skull's centre, as far out as long hair falls. The donor's hairline lands on the
person's forehead, its sides on their temples, its ends where their shoulders are.

    field = head_warp(person_landmarks, donor_landmarks, size=256)   # (256, 256, 2) donor pixels
    drawn = cv2.remap(donor_crop, field, None, cv2.INTER_LINEAR)
"""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from mirror.face.regions import BROWS, CHIN, EARS, FACE_OVAL, NOSE_TIP, ROUND, skull_axes

# The face's own control points besides its outline and brows: eye corners, the nose's bridge and
# tip and wings, the mouth's corners and lips' middles, the chin's underside.
FEATURES = [33, 133, 362, 263, 168, 6, 1, 98, 327, 61, 291, 0, 17, 199]
CONTROL = FACE_OVAL + BROWS + FEATURES


@dataclass(frozen=True)
class WarpParams:
    """How the warp is built.

    Attributes:
        rings: radii of the rings of control points beyond the face, in skull radii (1: the skull's
            outline; the farthest reach past the crop so the spline stays calm at its edges).
        spokes: control points on each ring, evenly spaced in angle round the skull's centre.
        inner: a ring point this close to either face's outline, or inside it (skull radii), is
            left out: there the landmarks hold the warp.
        step: the spline is evaluated every this many pixels and interpolated between (its field is
            smooth; at 4 px, under a tenth of a pixel from the exact one).
        smoothing: the spline's regulariser (pixels squared): 0 passes exactly through every point.
    """

    rings: tuple[float, ...] = (1.0, 1.35, 1.8, 2.5, 3.5)
    spokes: int = 24
    inner: float = 0.2
    step: int = 4
    smoothing: float = 0.0


def _rings(landmarks: np.ndarray, params: WarpParams) -> np.ndarray:
    """(len(rings) * spokes, 2) float64: the ring points of a head (``control_points``)."""
    cx, cy, half_width, height = skull_axes(landmarks)
    angles = np.linspace(0.0, 2.0 * np.pi, params.spokes, endpoint=False)
    cos, sin = np.cos(angles), np.sin(angles)
    # On the rounded skull's outline (a superellipse above the ears), an ellipse below them, where
    # the head gives way to the neck and hair falls to the shoulders.
    norm = (np.abs(cos) ** ROUND + np.abs(sin) ** ROUND) ** (1.0 / ROUND)
    unit = np.where(sin < 0, 1.0 / norm, 1.0)
    # (below the ears the skull's height is the chin's depth under them, no less than the face's width)
    below = max(float(landmarks[CHIN, 1]) - cy, half_width)
    return np.concatenate([np.stack([cx + r * half_width * unit * cos,
                                     cy + r * np.where(sin < 0, height * unit, below) * sin], 1)
                           for r in params.rings])


def _clear(landmarks: np.ndarray, rings: np.ndarray, params: WarpParams) -> np.ndarray:
    """(M,) bool: the ring points farther than ``params.inner`` skull radii outside the face's
    outline (nearer, they would pull against the outline's own landmarks and fold the warp)."""
    _, _, half_width, _ = skull_axes(landmarks)
    outline = np.asarray(landmarks, np.float32)[FACE_OVAL, :2].reshape(-1, 1, 2)
    distance = np.array([cv2.pointPolygonTest(outline, (float(x), float(y)), True) for x, y in rings])
    return distance < -params.inner * half_width


def control_points(person: np.ndarray, donor: np.ndarray, params: WarpParams = WarpParams()
                   ) -> tuple[np.ndarray, np.ndarray]:
    """((N, 2), (N, 2)) float32: matching control points of the person's and the donor's heads,
    from their landmarks (478, 2+) in their crops' pixels: ``CONTROL``'s landmarks, then rings
    round the skull in its own frame, those clear of both faces' outlines."""
    rings = _rings(person, params), _rings(donor, params)
    keep = _clear(person, rings[0], params) & _clear(donor, rings[1], params)
    return tuple(np.concatenate([np.asarray(points, np.float64)[CONTROL, :2], ring[keep]]).astype(np.float32)
                 for points, ring in zip((person, donor), rings))


def _kernel(points: np.ndarray, centres: np.ndarray, dtype=np.float64) -> np.ndarray:
    """(M, N) ``dtype``: the thin-plate spline's radial basis, r^2 log r, between (M, 2) points and
    (N, 2) centres. (Taken about the centres' middle: in float32, a warp's grid then moves less than
    0.04 pixel from float64's, for a third of its time.)"""
    middle = np.asarray(centres, np.float64).mean(axis=0)
    points, centres = (np.asarray(np.asarray(a, np.float64) - middle, dtype) for a in (points, centres))
    distance2 = (points ** 2).sum(1)[:, None] + (centres ** 2).sum(1)[None, :] - 2.0 * points @ centres.T
    np.maximum(distance2, 1e-12, out=distance2)
    return cv2.multiply(distance2, cv2.log(distance2), scale=0.5)


def fit_spline(source: np.ndarray, target: np.ndarray, smoothing: float = 0.0) -> np.ndarray:
    """(N + 3, 2) float64 coefficients of the thin-plate spline taking (N, 2) ``source`` points to
    ``target``: N radial weights, then the affine part (constant, x, y)."""
    source = np.asarray(source, np.float64)
    count = len(source)
    kernel = _kernel(source, source) + smoothing * np.eye(count)
    affine = np.hstack([np.ones((count, 1)), source])
    system = np.zeros((count + 3, count + 3))
    system[:count, :count] = kernel
    system[:count, count:] = affine
    system[count:, :count] = affine.T
    values = np.zeros((count + 3, 2))
    values[:count] = target
    try:
        return np.linalg.solve(system, values)
    except np.linalg.LinAlgError:      # (points that coincide)
        return np.linalg.lstsq(system, values, rcond=None)[0]


def apply_spline(coefficients: np.ndarray, source: np.ndarray, points: np.ndarray) -> np.ndarray:
    """(M, 2) float64: the spline (``fit_spline`` on ``source`` (N, 2)) at ``points`` (M, 2)."""
    points = np.asarray(points, np.float64)
    kernel = _kernel(points, source, np.float32)
    count = len(source)
    return kernel @ coefficients[:count] + coefficients[count] + points @ coefficients[count + 1:]


def head_warp(person: np.ndarray, donor: np.ndarray, size: int, params: WarpParams = WarpParams(),
              origin: float = 0.0, stride: float = 1.0) -> np.ndarray:
    """(size, size, 2) float32: for each pixel of the person's crop, the pixel of the donor's crop
    that lands there (a backward map for ``cv2.remap``).

    Args:
        person: (478, 2+) the person's landmarks in pixels of their crop.
        donor: (478, 2+) the donor's landmarks in pixels of the donor's crop (any side).
        origin, stride: the map's pixel k is the person's crop pixel ``origin + stride * k`` (in
            x and in y): by default the crop itself, ``size`` pixels a side.
    """
    source, target = control_points(person, donor, params)
    coefficients = fit_spline(source, target, params.smoothing)
    # On a coarse grid covering the crop (its last point on or past the far edge), then resized.
    count = -(-(size - 1) // params.step) + 1
    axis = origin + np.arange(count, dtype=np.float64) * params.step * stride
    grid = np.stack(np.meshgrid(axis, axis), -1).reshape(-1, 2)
    coarse = apply_spline(coefficients, source, grid).reshape(count, count, 2).astype(np.float32)
    field = _upsample(coarse, params.step, (count - 1) * params.step + 1) if params.step > 1 else coarse
    return np.ascontiguousarray(field[:size, :size])


def _upsample(coarse: np.ndarray, step: int, full: int) -> np.ndarray:
    """(full, full, C) float32: bilinear interpolation of ``coarse`` (n, n, C), point k at pixel
    k * step."""
    position = np.arange(full, dtype=np.float32) / step
    low = np.minimum(position.astype(np.int32), coarse.shape[0] - 2)
    share = (position - low.astype(np.float32))[:, None]
    rows = coarse[low] * (1.0 - share[..., None]) + coarse[low + 1] * share[..., None]
    return rows[:, low] * (1.0 - share[None]) + rows[:, low + 1] * share[None]


def fold_share(field: np.ndarray, where: np.ndarray | None = None) -> float:
    """The share of a backward map's (H, W, 2) pixels (those of ``where`` (H, W) bool, default
    all) where it folds: its Jacobian's determinant is not positive."""
    dy = np.gradient(field, axis=0)
    dx = np.gradient(field, axis=1)
    determinant = dx[..., 0] * dy[..., 1] - dx[..., 1] * dy[..., 0]
    folded = determinant <= 0
    return float(folded.mean() if where is None else folded[where].mean() if where.any() else 0.0)


def crop_yaw(landmarks: np.ndarray) -> float:
    """A face's yaw in degrees from its 2-D landmarks (478, 2+) in an aligned crop: from where the
    nose tip lies along the line between the face's outline at the ears (positive: turned towards
    the image's right). A cue for how alike two heads' turns are, measured alike on both from
    what an ``AlignedFace`` and a ``Donor`` hold, not a measurement of the head's pose."""
    points = np.asarray(landmarks, np.float64)[:, :2]
    left, right = points[EARS[0]], points[EARS[1]]
    across = right - left
    width = max(float(np.hypot(*across)), 1e-6)
    # Where the nose tip lies along the ear-to-ear line, -1 at the left ear and 1 at the right.
    along = 2.0 * float(np.dot(points[NOSE_TIP] - left, across)) / width ** 2 - 1.0
    return float(np.degrees(np.arcsin(np.clip(along, -1.0, 1.0))))
