"""Face and hair regions in crop space, from face-mesh landmarks and segmentation.

Used by the renderer (where an edit may land, where the scalp is) and by training and evaluation.
Every function takes landmarks in the pixels of the crop it draws in, so the same regions serve
the model's crop and the renderer's larger one.
"""
from __future__ import annotations

import functools
from typing import NamedTuple

import cv2
import numpy as np

from mirror.face.tracker import LEFT_IRIS, RIGHT_IRIS

# MediaPipe's face-oval contour (FACEMESH_FACE_OVAL), in order around the face.
FACE_OVAL = [10, 338, 297, 332, 284, 251, 389, 356, 454, 323, 361, 288, 397, 365, 379, 378,
             400, 377, 152, 148, 176, 149, 150, 136, 172, 58, 132, 93, 234, 127, 162, 21, 54,
             103, 67, 109]
# Eyebrow tops, left and right: the face interior starts below them.
BROWS = [70, 63, 105, 66, 107, 336, 296, 334, 293, 300]
# The eyebrows' outlines, right and left (their tops, then their lower edges back).
BROW_OUTLINES = ([70, 63, 105, 66, 107, 55, 65, 52, 53, 46], [336, 296, 334, 293, 300, 276, 283, 282, 295, 285])
# The eyes' contours (FACEMESH_RIGHT_EYE, FACEMESH_LEFT_EYE): never hair.
EYES = ([33, 7, 163, 144, 145, 153, 154, 155, 133, 173, 157, 158, 159, 160, 161, 246],
        [362, 382, 381, 380, 374, 373, 390, 249, 263, 466, 388, 387, 386, 385, 384, 398])
EYE_MARGIN = 0.3    # ... nor what lies within this many eye widths round them (lashes, make-up)
CHIN = 152
MOUTH = 14   # the lower lip's inner edge
# The lips' outer contour (FACEMESH_LIPS' outer ring): with the eyes, the hull never drawn on.
LIPS = [61, 146, 91, 181, 84, 17, 314, 405, 321, 375, 291, 409, 270, 269, 267, 0, 37, 39, 40, 185]
EARS = (234, 454)   # the face oval's outermost points, at the ears
FOREHEAD_TOP = 10   # the face oval's top, about the hairline
NOSE_TIP = 1
# Points that move with the head, not with its expression: the face oval above the mouth and the
# nose's bridge and tip (``mirror.face.filters.HeadFilter``).
HEAD_POINTS = [10, 338, 297, 332, 284, 251, 389, 356, 454, 234, 127, 162, 21, 54, 103, 67, 109,
               168, 6, 197, 195, 5, 4, 1, 9, 8]
# The skull seen from the front, a rounded ellipse (a superellipse of power ROUND): as wide as
# the face at the ears times SKULL_WIDTH (the skull above the temples is wider than the face),
# its top SKULL_HEIGHT times the ears-to-hairline height above the ears (measured on CelebA
# crops: the crown sits about 0.6 of that height above the hairline).
SKULL_WIDTH = 1.1
SKULL_HEIGHT = 1.6
ROUND = 2.4          # a skull is rounder than an ellipse: a superellipse of this power
NECK = 0.8           # the neck is this share of the face's width at the mouth, under the chin


def brow_line(landmarks: np.ndarray, size: int) -> np.ndarray:
    """(S,) float32: for each column, the row where the face interior starts: along the eyebrows'
    tops (an arc, not a straight cut), held flat beyond the brows' ends."""
    brows = landmarks[BROWS, :2]
    order = np.argsort(brows[:, 0])
    return np.interp(np.arange(size, dtype=np.float32), brows[order, 0], brows[order, 1]).astype(np.float32)


def outline_mask(landmarks: np.ndarray, outline: list[int], shape: int | tuple[int, int]) -> np.ndarray:
    """(H, W) uint8: 1 inside the polygon of the landmarks ``outline`` (indices), on a crop of
    ``shape`` (a side, or (H, W))."""
    mask = np.zeros((shape, shape) if isinstance(shape, int) else shape, np.uint8)
    cv2.fillPoly(mask, [np.round(landmarks[outline, :2]).astype(np.int32)], 1)
    return mask


def brows(landmarks: np.ndarray, size: int) -> np.ndarray:
    """(S, S) bool: the eyebrows."""
    return np.logical_or.reduce([outline_mask(landmarks, outline, size) > 0 for outline in BROW_OUTLINES])


def eyes(landmarks: np.ndarray, size: int, margin: float = EYE_MARGIN) -> np.ndarray:
    """(S, S) float32 in [0, 1]: the eyes and ``margin`` of an eye's width round each (their
    lashes and make-up), 1 inside that, fading out over as far again (0: the eyes alone)."""
    mask = np.zeros((size, size), np.uint8)
    width = 0.0
    for contour in EYES:
        points = landmarks[contour, :2]
        width = max(width, float(np.ptp(points[:, 0])))
        cv2.fillPoly(mask, [np.round(points).astype(np.int32)], 1)
    out = mask.astype(np.float32)
    if margin <= 0.0 or not mask.any():
        return out
    # (measured only round the eyes: over the whole crop it cost a millisecond)
    reach = int(np.ceil(2.0 * margin * width)) + 1
    left, top, across, down = cv2.boundingRect(mask)        # (np.nonzero's extent, without its arrays)
    box = (slice(max(0, top - reach), top + down + reach), slice(max(0, left - reach), left + across + reach))
    outside = cv2.distanceTransform(1 - mask[box], cv2.DIST_L2, 3)
    out[box] = np.clip(2.0 - outside / max(margin * width, 1e-3), 0.0, 1.0)
    return out


@functools.cache
def _feature_points() -> list[int]:
    """The eyes', nose's and mouth's face-mesh points (MediaPipe's FACEMESH_LEFT_EYE / RIGHT_EYE,
    NOSE and LIPS)."""
    from mediapipe.python.solutions import face_mesh_connections as mesh

    points = {i for contour in EYES for i in contour}
    for edges in (mesh.FACEMESH_NOSE, mesh.FACEMESH_LIPS):
        points |= {i for edge in edges for i in edge}
    return sorted(points)


def features(landmarks: np.ndarray, shape: int | tuple[int, int]) -> np.ndarray:
    """(H, W) bool: the convex hull of the eyes', nose's and mouth's face-mesh points, on a
    picture of ``shape`` (a side, or (H, W)): what an edit never draws on."""
    shape = (shape, shape) if isinstance(shape, int) else shape
    mask = np.zeros(shape, np.uint8)
    cv2.fillConvexPoly(mask, features_hull(landmarks), 1)
    return mask > 0


def features_hull(landmarks: np.ndarray, scale: float = 1.0) -> np.ndarray:
    """(N, 1, 2) int32: ``features``' hull, as points (of ``landmarks`` times ``scale``)."""
    return cv2.convexHull(np.round(landmarks[_feature_points(), :2] * scale).astype(np.int32))


def face_interior(landmarks: np.ndarray, size: int) -> np.ndarray:
    """(S, S) bool: inside the face oval and below the eyebrows' arc, the part the edit must keep."""
    rows = np.arange(size, dtype=np.float32)[:, None]
    return face_oval(landmarks, size) & (rows >= brow_line(landmarks, size)[None, :])


def soft_interior(landmarks: np.ndarray, size: int, feather: float, inset: float = 0.0) -> np.ndarray:
    """(S, S) float32 in [0, 1]: the face interior, 1 from ``inset + feather`` pixels inside its
    edge and fading to 0 at ``inset`` inside it, so an edit meets the protected face in a
    gradient, not a line (``inset`` >= 0)."""
    inside = face_interior(landmarks, size).astype(np.uint8)
    out = np.zeros((size, size), np.float32)
    # (measured only over the interior and a pixel round it, as ``eyes``: 0 outside it)
    left, top, across, down = cv2.boundingRect(inside)
    if across == 0 or down == 0:
        return out
    box = slice(max(0, top - 1), top + down + 1), slice(max(0, left - 1), left + across + 1)
    depth = cv2.distanceTransform(inside[box], cv2.DIST_L2, 3)
    out[box] = np.clip((depth - inset) / max(feather, 1e-3), 0.0, 1.0)
    return out


def skull_axes(landmarks: np.ndarray, scale: float = 1.0) -> tuple[float, float, float, float]:
    """(centre x, centre y, half width, height above the centre) of the skull outline: between
    the ears, as wide as they are apart (SKULL_WIDTH), as high as the forehead's top above them
    (SKULL_HEIGHT); ``scale`` times that."""
    (x0, y0), (x1, y1) = landmarks[EARS[0], :2], landmarks[EARS[1], :2]
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    half_width = max(abs(x1 - x0) / 2 * SKULL_WIDTH * scale, 1.0)
    height = max((cy - landmarks[FOREHEAD_TOP, 1]) * SKULL_HEIGHT * scale, 1.0)
    return float(cx), float(cy), float(half_width), float(height)


def skull(landmarks: np.ndarray, size: int, edge: float = 0.02, scale: float = 1.0, top: float | None = None,
          foot: float | None = None, oval: bool = True) -> np.ndarray:
    """(S, S) float32 in [0, 1]: the skull outline (a rounded ellipse above the ears, the face oval
    below), softened over ``edge`` of the crop. Where removed hair lies inside it, scalp shows;
    outside it, what was behind the hair. ``scale`` > 1 draws a bigger head's; ``top`` (a row)
    the highest its crown may reach; ``foot`` (a row below the ears): the head's sides go on
    below the ears as the lower half of an ellipse as wide, rounding off at that row; ``oval``:
    the face oval is inside it."""
    cx, cy, half_width, height = skull_axes(landmarks, scale)
    power = ROUND
    if top is not None and cy - top < height:
        # A lower crown, rounded (an ellipse), not flattened.
        height, power = max(cy - top, 1.0), 2.0
    ys, xs = np.mgrid[0:size, 0:size].astype(np.float32)
    radius = (np.abs((xs - cx) / half_width) ** power + np.abs((ys - cy) / height) ** power) ** (1.0 / power)
    inside = np.clip((1.0 - radius) * min(half_width, height) / max(size * edge, 1.0) + 0.5, 0, 1)
    below = ys > cy
    if foot is not None and foot > cy + 1.0:
        depth = foot - cy
        radius = np.sqrt(((xs[below] - cx) / half_width) ** 2 + ((ys[below] - cy) / depth) ** 2)
        inside[below] = np.clip((1.0 - radius) * min(half_width, depth) / max(size * edge, 1.0) + 0.5, 0, 1)
    else:
        inside[below] = 0.0
    if not oval:
        return inside.astype(np.float32)
    return np.maximum(inside, face_oval(landmarks, size)).astype(np.float32)


def hair_reach(landmarks: np.ndarray, size: int, scale: float, edge: float) -> np.ndarray:
    """(S, S) float32 in [0, 1]: as far as a head's hair may reach: above the ears an ellipse
    ``scale`` times the skull's size (``skull``); below them as wide, widening as far again by
    the ellipse's height further down (long hair spreads over the shoulders); softened over
    ``edge`` of it."""
    cx, cy, half_width, height = skull_axes(landmarks, scale)
    ys, xs = np.ogrid[0:size, 0:size]
    down = ys - cy
    width = half_width * (1.0 + np.maximum(down, 0.0) / height)
    radius = np.sqrt(((xs - cx) / width) ** 2 + (np.minimum(down, 0.0) / height) ** 2)
    return np.clip((1.0 - radius) / max(edge, 1e-3) + 0.5, 0.0, 1.0).astype(np.float32)


def crown_cap(landmarks: np.ndarray, top: np.ndarray, row: float, size: int) -> np.ndarray | None:
    """(2S, 2S) float32 in [0, 1] over the square of twice the S-pixel crop's side round it (the
    crop in its middle): the head's outline carried on above the crop, where the crop cuts its
    crown: an ellipse of the skull's proportions (``skull_axes``), centred between the ears in
    height and on the hair in width, through the outermost hair of ``top`` (S,) in [0, 1] (the
    hair along crop row ``row``), above that row only. None where ``top`` has no hair, or the row
    lies below the ears."""
    columns = np.flatnonzero(top > 0.5)
    _, cy, half_width, height = skull_axes(landmarks)
    if len(columns) < 2 or row >= cy:
        return None
    aspect = height / half_width
    x0, reach = (columns[0] + columns[-1]) / 2.0, (columns[-1] - columns[0]) / 2.0
    across = float(np.hypot(reach, (cy - row) / aspect))
    ys, xs = np.ogrid[-size // 2:size + size // 2, -size // 2:size + size // 2]
    radius = np.sqrt(((xs - x0) / across) ** 2 + ((ys - cy) / (aspect * across)) ** 2)
    cap = np.clip((1.0 - radius) * across + 0.5, 0.0, 1.0).astype(np.float32)
    cap[ys[:, 0] > row] = 0.0
    return cap


class HeadUnits(NamedTuple):
    """A head's own units in crop pixels (``head_units``): heads of any size compare in them."""

    eyes: float          # the irises' row
    unit: float          # eye-to-chin height (u)
    middle: float        # the face's middle column, between the ears
    half: float          # half the ears' distance apart (w)
    above: np.ndarray    # (S, S) float32: each pixel's height above the forehead's top, in u
    out: np.ndarray      # (S, S) float32: each pixel's distance from the middle, in w


def head_units(landmarks: np.ndarray, size: int) -> HeadUnits:
    """The head's units (``HeadUnits``) on an S-pixel crop."""
    eyes_y = float(landmarks[[LEFT_IRIS, RIGHT_IRIS], 1].mean())
    unit = max(float(landmarks[CHIN, 1]) - eyes_y, 1.0)
    (lx, _), (rx, _) = landmarks[EARS[0], :2], landmarks[EARS[1], :2]
    middle, half = float(lx + rx) / 2, max(float(abs(rx - lx)) / 2, 1.0)
    ys, xs = np.mgrid[0:size, 0:size].astype(np.float32)
    return HeadUnits(eyes_y, unit, middle, half, (float(landmarks[FOREHEAD_TOP, 1]) - ys) / unit,
                     np.abs(xs - middle) / half)


def crown(landmarks: np.ndarray, size: int, rows: tuple[float, float] = (0.6, 0.15), band: float = 0.5,
          units: HeadUnits | None = None) -> np.ndarray:
    """(S, S) bool: the top of the head, from ``rows[0]`` down to ``rows[1]`` eye-to-chin heights
    above the forehead's top, within ``band`` half ear-to-ear widths of the face's middle (a man's
    hair fills 0.87 of it (median), a bald head's none); ``units``: the head's, if made already."""
    units = head_units(landmarks, size) if units is None else units
    return (units.above <= rows[0]) & (units.above >= rows[1]) & (units.out <= band)


def ear_zones(landmarks: np.ndarray, size: int, out: float, reach: float) -> tuple[np.ndarray, np.ndarray]:
    """Two (S, S) bool discs where the ears are, one beside each side of the face: centred ``out``
    times the ears' distance apart out from the face outline's outermost point at that side (its
    ``EARS`` point), ``reach`` times that distance in radius."""
    (x0, y0), (x1, y1) = landmarks[EARS[0], :2], landmarks[EARS[1], :2]
    apart = max(float(np.hypot(x1 - x0, y1 - y0)), 1.0)
    way = np.float32([x0 - x1, y0 - y1]) / apart
    ys, xs = np.mgrid[0:size, 0:size].astype(np.float32)
    return tuple(np.hypot(xs - (x + sign * out * apart * way[0]), ys - (y + sign * out * apart * way[1]))
                 < reach * apart for x, y, sign in ((x0, y0, 1.0), (x1, y1, -1.0)))


def face_oval(landmarks: np.ndarray, size: int) -> np.ndarray:
    """(S, S) bool: the whole face-mesh oval, forehead included."""
    return outline_mask(landmarks, FACE_OVAL, size) > 0


def jaw_span(landmarks: np.ndarray, size: int) -> tuple[int, int] | None:
    """(left, right) crop columns of the face oval at the mouth's row (the jaw's width), both
    in it; None where the oval misses that row."""
    mouth = int(np.clip(landmarks[MOUTH, 1], 0, size - 1))
    jaw = np.flatnonzero(face_oval(landmarks, size)[mouth])
    return (int(jaw[0]), int(jaw[-1])) if jaw.size else None


def neck_span(landmarks: np.ndarray, size: int, share: float = NECK, under: str = "jaw"
              ) -> tuple[float, float] | None:
    """(left, right) crop columns of the neck: ``share`` of the jaw's width (``jaw_span``), within
    that width (a turned head's neck does not stand out beside its jaw); None with no face oval
    at the mouth's row.

    Args:
        under: ``jaw``: centred under the jaw's middle, as a neck is under the skull (under a
            turned head's chin it would stand out in front of the throat, a column of skin where
            hair is taken away); ``chin``: centred under the chin (a beard)."""
    jaw = jaw_span(landmarks, size)
    if jaw is None:
        return None
    left, right = jaw
    chin = float(np.clip(landmarks[CHIN, 0], left, right))
    half = 0.5 * share * float(right - left)
    centre = 0.5 * (left + right) if under == "jaw" else chin
    return max(centre - half, float(left)), min(centre + half, float(right))


def hair_region(landmarks: np.ndarray, person: np.ndarray) -> np.ndarray:
    """(S, S) float32 in [0, 1]: where hair can be, the person's silhouette outside the face,
    above the chin.

    Args:
        landmarks: (478, 2) landmarks in crop pixels.
        person: (S, S) person probability (the segmenter's; selfie segmentation's in training),
            float in [0, 1] or uint8.
    """
    size = person.shape[0]
    person = person.astype(np.float32) / (255.0 if person.dtype == np.uint8 else 1.0)
    region = person * ~face_oval(landmarks, size)
    chin = int(np.clip(landmarks[CHIN, 1], 0, size))
    region[chin:] = 0
    return region


def edit_limit(landmarks: np.ndarray, size: int, below_chin: bool = False) -> np.ndarray:
    """(S, S) float32 in [0, 1]: how far an edit may reach in the crop (read-only ``below_chin``).

    1 down to the mouth, fading to 0 at the chin (unless ``below_chin``): below it lie the neck
    and, in a close-up, the shoulders, which a person segmentation cannot tell from hair (the
    hair mask can: a recolouring reaches long hair there). Also fading to 0 over the crop's outer
    4 %, so no seam shows where the crop ends in the frame.
    """
    if below_chin:
        return _edge_fade(size)
    edge = edge_profile(size)
    return (np.minimum(chin_fade(landmarks, size), edge)[:, None] * edge[None, :]).astype(np.float32)


@functools.cache
def _edge_fade(size: int) -> np.ndarray:
    """(S, S) float32, read-only: ``edit_limit`` below the chin, the crop's edge fade alone (made
    once a size: it cost a millisecond a call, twice a recolouring mask)."""
    edge = edge_profile(size)
    out = (np.minimum(np.ones(size, np.float32), edge)[:, None] * edge[None, :]).astype(np.float32)
    out.setflags(write=False)
    return out


def chin_fade(landmarks: np.ndarray, size: int) -> np.ndarray:
    """(S,) float32 per row: 1 down to the mouth, fading to 0 at the chin."""
    rows = np.arange(size, dtype=np.float32)
    mouth, chin = float(landmarks[MOUTH, 1]), float(landmarks[CHIN, 1])
    return np.clip((chin - rows) / max(chin - mouth, 1.0), 0.0, 1.0).astype(np.float32)


def joined_to(mask: np.ndarray, seeds: np.ndarray) -> np.ndarray:
    """(S, S) bool: the parts of ``mask`` (S, S) bool whose 8-connected components meet ``seeds``."""
    count, labels = cv2.connectedComponents(mask.astype(np.uint8), connectivity=8)
    joined = np.zeros(count, bool)
    joined[labels[seeds & mask]] = True
    joined[0] = False
    return joined[labels]


def edge_margin(size: int) -> int:
    """Pixels over which an edit fades out at the edge of a ``size``-pixel crop (its outer 4 %)."""
    return max(2, size // 25)


def edge_strips(size: int) -> tuple[tuple[slice, slice], ...]:
    """The four strips (rows, columns) of a ``size``-pixel crop within ``edge_margin`` of its
    edge, that do not overlap: top and bottom whole, left and right between them."""
    margin = edge_margin(size)
    whole, inner = slice(0, size), slice(margin, size - margin)
    return ((slice(0, margin), whole), (slice(size - margin, size), whole),
            (inner, slice(0, margin)), (inner, slice(size - margin, size)))


def edge_profile(size: int) -> np.ndarray:
    """(S,) float32: 0 at a crop's edge, 1 from ``edge_margin`` inside it (per row or column)."""
    rows = np.arange(size, dtype=np.float32)
    return np.clip((np.minimum(rows, size - 1 - rows) + 0.5) / edge_margin(size), 0.0, 1.0).astype(np.float32)
