"""Eyebrows a fringe hid, drawn anew where the fringe is taken away (a removal's, a transplant's).

Under a fringe that covers them the person's brows cannot be seen, so the hair over them stayed
when the fringe went: a dark band across a bared forehead. Where the fringe over a brow goes, the
brow's outline (from the face mesh) is taken with it, filled with skin as the forehead is, and a
brow is drawn there in the colour real brows have between the skin and the hair.
"""
from __future__ import annotations

import cv2
import numpy as np

from mirror.face.regions import BROW_OUTLINES, NOSE_TIP, outline_mask
from mirror.render.imaging import noise_pattern
from mirror.render.lab import from_lab, to_lab
from mirror.render.plate import smooth_fill

HIDDEN = (0.4, 0.7)     # the segmenter's mean hair over a brow's outline: the brow is seen / wholly hidden,
JOINED = 0.03           # ... if as much hair joins it to the hair this far (share of the crop) above it
GOES = 0.06             # ... and is drawn anew where the hair this far (share of the crop) above it goes
GROW = 0.008            # the outline taken grows by this (share of the crop), its edge soft over half that
# A brow's colour, this share of the way from the skin under it to the hair's median colour (L*;
# a*, b*): on 564 of the first 3,000 training faces with brows seen (no fringe, hat or glasses)
# and hair 15 L* or more darker than the forehead, a brow's median L* lies 0.52 of the way from
# the forehead's to the hair's (IQR 0.41-0.64), its a*, b* 0.1-0.2 of the way.
SHARE = (0.52, 0.15)    # (where the other brow shows: as far from the skin as that one)
TAIL = 0.45             # ... thinning towards its outer end (the tail) by this share
STRANDS = 0.25          # ... with fine streaks along it, this much of its share (one spread)
EDGE = 0.006            # ... its outline soft over this (Gaussian sigma, share of the crop; at 0.004 a pencil line)
STREAK = (0.003, 0.02)  # ... its strands this thin and long (Gaussian sigmas, shares of the crop)


def _pixels(share: float, size: int) -> int:
    return max(1, int(round(share * size)))


def box(brows: list[tuple[list[int], float]], landmarks: np.ndarray, size: int) -> tuple[slice, slice]:
    """(rows, columns) of the (R, R) crop that ``draw`` changes for ``brows`` (``hidden``'s)."""
    points = np.concatenate([landmarks[outline, :2] for outline, _ in brows])
    margin = _pixels(2.0 * GROW + 3.0 * EDGE, size)
    (x0, y0), (x1, y1) = np.floor(points.min(axis=0)) - margin, np.ceil(points.max(axis=0)) + margin + 1
    return slice(int(max(y0, 0)), int(min(y1, size))), slice(int(max(x0, 0)), int(min(x1, size)))


def hidden(hair: np.ndarray, landmarks: np.ndarray, taken: np.ndarray, hairlike) -> list[tuple[list[int], float]]:
    """[(outline, share in (0, 1])]: each brow of ``BROW_OUTLINES`` that hair (``hair`` (R, R)
    probability) hides and that goes with the hair above it (``taken`` (R, R), within GOES of the
    crop above the brow), with how wholly. ``hairlike()``: (R, R) float32 in [0, 1], how far each
    pixel looks like hair by its colour (asked only if some brow may be hidden). ``landmarks`` in
    pixels of the (R, R) crop."""
    size = hair.shape[0]
    reach = _pixels(GOES, size)
    out, like = [], None
    for outline in BROW_OUTLINES:
        mask = outline_mask(landmarks, outline, size) > 0
        if mask.sum() < 4 or hair[mask].mean() <= HIDDEN[0]:
            continue
        # (and hair, by its colour too, all the way up from it, column by column: a fringe down
        # over it, not a brow under a bare strip of forehead that the soft mask reaches over)
        like = hairlike() if like is None else like
        cols = np.flatnonzero(mask.any(axis=0))
        top = int(np.flatnonzero(mask.any(axis=1))[0])
        joined = (hair * like)[max(top - _pixels(JOINED, size), 0):top + 1, cols].min(axis=0).mean()
        cover = float(np.clip((min(hair[mask].mean(), joined) - HIDDEN[0]) / (HIDDEN[1] - HIDDEN[0]), 0.0, 1.0))
        # (whether hair within GOES above its top goes)
        goes = float(np.clip(2.0 * taken[max(top - reach, 0):top + 1, cols].max(axis=0).mean() - 0.5, 0.0, 1.0))
        if cover * goes > 0.0:
            out.append((outline, cover * goes))
    return out


def taken_area(brows: list[tuple[list[int], float]], landmarks: np.ndarray, size: int) -> np.ndarray:
    """(R, R) float32 in [0, 1]: the hidden ``brows``' outlines (``hidden``), grown by GROW of the
    crop and softened, where the hair over them goes."""
    out = np.zeros((size, size), np.float32)
    grow = _pixels(GROW, size)
    for outline, share in brows:
        mask = cv2.dilate(outline_mask(landmarks, outline, size), np.ones((2 * grow + 1,) * 2, np.uint8))
        out = np.maximum(out, share * cv2.GaussianBlur(mask.astype(np.float32), (0, 0), 0.5 * grow))
    return out


def shade(lab: np.ndarray, hair: np.ndarray, landmarks: np.ndarray, brows: list[tuple[list[int], float]],
          skin: np.ndarray, color: np.ndarray) -> np.ndarray:
    """(3,) float32 CIELAB: a brow's colour less the ``skin`` (3,) it lies on: as the other
    brow's where it shows (the median over its outline in ``lab`` (R, R, 3), where ``hair``
    (R, R) leaves it seen, less ``skin``), else SHARE of the way to the hair's ``color`` (3,).
    ``brows``: ``hidden``'s."""
    hid = [outline for outline, _ in brows]
    seen = [outline for outline in BROW_OUTLINES if outline not in hid]
    if len(seen) == 1:
        mask = (cv2.erode(outline_mask(landmarks, seen[0], lab.shape[0]), np.ones((3, 3), np.uint8)) > 0) & (hair < HIDDEN[0])
        if mask.sum() >= 4:
            return (np.median(lab[mask], axis=0) - skin).astype(np.float32)
    return (np.float32([SHARE[0], SHARE[1], SHARE[1]]) * (color - skin)).astype(np.float32)


def draw(lab: np.ndarray, brows: list[tuple[list[int], float]], landmarks: np.ndarray, shade: np.ndarray,
         streaks: np.ndarray, size: int) -> np.ndarray:
    """(H, W, 3) float32 CIELAB: ``lab`` (H, W, 3), the (R, R) crop of side ``size`` or a part of
    it (``box``, with ``landmarks`` in its pixels) with the skin drawn where the ``brows`` (``hidden``) were, with a
    brow drawn in each: ``shade`` (3,; ``shade``) added to the skin, thinning towards its tail,
    streaked along it by ``streaks`` (H, W), zero-mean unit-spread noise, soft at its outline."""
    shape = lab.shape[:2]
    out = lab.copy()
    ys, xs = np.mgrid[0:shape[0], 0:shape[1]].astype(np.float32)
    edge = max(EDGE * size, 0.5)
    for outline, whole in brows:
        points = landmarks[outline, :2]
        half = len(outline) // 2
        # (the outline's top runs from one end to the other, its lower edge back: the end
        # farther from the nose is the outer one)
        inner, outer = sorted((0.5 * (points[0] + points[-1]), 0.5 * (points[half - 1] + points[half])),
                              key=lambda end: abs(float(end[0] - landmarks[NOSE_TIP, 0])))
        axis = outer - inner
        length = float(np.hypot(*axis))
        if length < 1.0:
            continue
        along = np.clip(((xs - inner[0]) * axis[0] + (ys - inner[1]) * axis[1]) / (length * length), 0.0, 1.0)
        soft = cv2.GaussianBlur(outline_mask(landmarks, outline, shape).astype(np.float32), (0, 0), edge)
        weight = whole * soft * (1.0 - TAIL * along * along) * np.clip(1.0 + STRANDS * streaks, 0.0, 2.0)
        out += weight[..., None] * shade
    return out


def redraw(out: np.ndarray, lab: np.ndarray, hair: np.ndarray, landmarks: np.ndarray,
           brows: list[tuple[list[int], float]], area: np.ndarray, skin: np.ndarray, color: np.ndarray) -> None:
    """Draws the hidden ``brows`` (``hidden``'s) anew on ``out`` (R, R, 3) float32 BGR in [0, 1],
    in place: their ``area`` (``taken_area``) filled from the skin round it, and a brow drawn there
    (``draw``) in the shade of the other brow or of the hair's ``color`` (3,) on the ``skin`` (3,)
    (``shade``; ``lab`` and ``hair``: the person's crop in CIELAB and hair probability)."""
    size = out.shape[0]
    tone = shade(lab, hair, landmarks, brows, skin, color)
    part = box(brows, landmarks, size)
    corner = np.float32([part[1].start, part[0].start])
    # (on the skin round them, filled in: drawn on the forehead's tone, a brow in the shade under a
    # fringe had a light rim)
    inside = area[part]
    out[part] += inside[..., None] * (smooth_fill(out[part], (inside < 0.05).astype(np.float32), factor=1) - out[part])
    # (its strands as strong as they are wide in pixels, up to one: finer, in a small crop, they
    # split a brow in two lengthwise, an outline round a pale middle)
    streaks = noise_pattern(size, STREAK[1] * size, STREAK[0] * size)[part] * min(1.0, STREAK[0] * size)
    out[part] = from_lab(draw(to_lab(out[part]), brows, landmarks - corner, tone, streaks, size))
