"""Puts the edited hair back onto the full-resolution frame with the exact inverse alignment."""
from __future__ import annotations

from typing import NamedTuple

import cv2
import numpy as np

from mirror.face.align import invert, transform_points
from mirror.render.colortable import ColorTable, put_pixels
from mirror.render.imaging import blend, nonzero_box, over, with_weight, within
from mirror.types import AlignedFace, EditedFace


class Reach(NamedTuple):
    """The edit past the crop in one frame box: a recolouring of the frame's own pixels (``fill``
    None) or a fill drawn over them, through ``weight``."""

    roi: tuple[int, int, int, int]      # the frame box (x0, y0, x1, y1)
    weight: np.ndarray                  # (h, w) float32 in [0, 1] (a recolouring) or uint8 (a fill)
    table: ColorTable | None = None     # the recolouring
    fill: np.ndarray | None = None      # (h, w, 3) uint8, what is drawn


class Placed(NamedTuple):
    """An edit warped onto its frame's boxes, with none of the frame's pixels in it: what
    ``Compositor.lay`` draws over a frame of that size."""

    reach: tuple[Reach, ...] = ()       # past the crop, band by band
    roi: tuple[int, int, int, int] | None = None    # the frame box under the hair mask; None: none
    delta: np.ndarray | None = None     # (h, w, 3) float32, the crop's change there
    target: np.ndarray | None = None    # (h, w, 3) uint8, what is drawn anew there; None: nothing
    weight: np.ndarray | None = None    # (h, w, 3) uint8 in [0, 255], through what weight


class Compositor:
    """Blends an ``EditedFace`` (in the detail crop's space) into its frame.

    Where the renderer recoloured, the change is added onto the frame (the person's full
    resolution detail stays); where it drew anew (``replace``), the rendered crop is used.
    Only the part of the frame under the edit mask is touched. ``place`` makes the warps, which
    depend on the edit, its alignment and the frame's size but not on the frame's pixels (the
    pipelined loop makes them on the edit's thread); ``lay`` draws them over the frame.
    """

    def compose(self, frame: np.ndarray, aligned: AlignedFace, edited: EditedFace) -> np.ndarray:
        """Returns a new (H, W, 3) uint8 BGR frame with the edit; ``frame`` is not modified."""
        return self.lay(frame, self.place(frame.shape, aligned, edited))

    def place(self, shape: tuple[int, ...], aligned: AlignedFace, edited: EditedFace) -> Placed:
        """The edit warped onto the boxes of a frame of ``shape`` it was cut from by ``aligned``."""
        reach = []
        if edited.beyond is not None:
            # The edit's reach past the crop: a recolouring of the frame's own pixels, or a fill;
            # band by band round the crop where it says how far in it reaches (the frame's box
            # round all of it is most of the frame).
            beyond = edited.beyond
            for mask in (_bands(beyond.mask, beyond.inset) if beyond.inset is not None else (beyond.mask,)):
                roi = mask_roi(mask, aligned.to_outer, shape)
                if roi is None:
                    continue
                if beyond.fill is None:
                    reach.append(Reach(roi, warp_back(mask, aligned.to_outer, roi), table=beyond.table))
                    continue
                # (the fill and its weight as one 4-channel image: one warp)
                drawn = warp_back(with_weight(beyond.fill, mask), aligned.to_outer, roi)
                reach.append(Reach(roi, cv2.extractChannel(drawn, 3), fill=cv2.cvtColor(drawn, cv2.COLOR_BGRA2BGR)))
        to_crop = aligned.detail_to_crop
        roi = mask_roi(edited.hair_mask, to_crop, shape)
        if roi is None:
            return Placed(tuple(reach))
        # The change in float32: OpenCV warps it in vectorised code (int16 has none), 1.4x faster.
        # Where the edit draws anew (a donor's hair, a bared scalp), the change shows only at the
        # drawing's soft edge: warped on a grid near the crop's own resolution, at under half the cost.
        drawn_anew = edited.replace.max() > 1.0 / 255
        delta = warp_back(cv2.subtract(edited.crop, aligned.detail, dtype=cv2.CV_32F), to_crop, roi,
                          resolution=1.0 if drawn_anew else 2.0)
        if not drawn_anew:
            return Placed(tuple(reach), roi, delta)
        # The drawn crop and its weight as one 4-channel image: one warp, the same values (on the
        # lent detail's finer grid, with that detail in it, where it has one).
        lent = edited.lent
        if lent is None:
            drawn = warp_back(with_weight(edited.crop, edited.replace), to_crop, roi)
        else:
            drawn = warp_back(lent.drawn, on_grid(to_crop, lent.scale), roi)
        weight = cv2.extractChannel(drawn, 3)
        return Placed(tuple(reach), roi, delta, cv2.cvtColor(drawn, cv2.COLOR_BGRA2BGR), cv2.merge([weight] * 3))

    def lay(self, frame: np.ndarray, placed: Placed) -> np.ndarray:
        """Returns a new (H, W, 3) uint8 BGR frame with ``placed`` drawn over ``frame`` (unmodified)."""
        out = frame.copy()
        for part in placed.reach:
            x0, y0, x1, y1 = part.roi
            under = out[y0:y1, x0:x1]
            if part.fill is None:
                # (recoloured only where its weight is not 0 in 8 bits: ``blend`` leaves the rest)
                out[y0:y1, x0:x1] = recolor_where(under, part.table, part.weight)
            else:
                out[y0:y1, x0:x1] = blend(under, part.fill, part.weight)
        if placed.roi is None:
            return out
        x0, y0, x1, y1 = placed.roi
        under = out[y0:y1, x0:x1]
        region = cv2.add(under, placed.delta, dtype=cv2.CV_8U)
        if placed.target is not None:
            target, weight = placed.target, placed.weight
            region = over(target, weight, region)
            # Where the fill past the crop drew the wall over the hair, in float: the crop's
            # fading edge, added onto the wall there, went past 255 before the blend took it
            # back (a blue-grey streak along the crop's top).
            for part in placed.reach:
                box = None if part.fill is None else within(part.roi, placed.roi)
                if box is not None:
                    region[box] = over(target[box], weight[box],
                                       cv2.add(under[box], placed.delta[box], dtype=cv2.CV_32F))
        out[y0:y1, x0:x1] = region
        return out


def recolor_where(part: np.ndarray, table: ColorTable, weight: np.ndarray) -> np.ndarray:
    """``blend(part, table.apply(part), weight)`` for the (H, W, 3) uint8 ``part`` of a frame and
    its (H, W) float32 ``weight`` in [0, 1], recoloured only where the weight is not 0 in 8 bits
    (elsewhere the blend is ``part`` itself): the same pixels."""
    weight = cv2.convertScaleAbs(weight, alpha=255.0)
    where = np.flatnonzero(weight)
    out = part.copy()
    if where.size:
        pixels = np.take(out.reshape(-1, 3), where, axis=0)[None]
        put_pixels(out, where, blend(pixels, table.apply(pixels), np.take(weight.reshape(-1), where)[None]))
    return out


def _bands(mask: np.ndarray, inset: int) -> list[np.ndarray]:
    """An outer square's mask (2S, 2S) split into its parts above, below, left and right of the
    crop (the middle S square) less ``inset`` pixels into it: four (2S, 2S) masks, 0 elsewhere."""
    size = mask.shape[0]
    inner = slice(size // 4 + inset, 3 * size // 4 - inset)
    parts = (np.s_[:inner.start], np.s_[inner.stop:], np.s_[inner, :inner.start], np.s_[inner, inner.stop:])
    out = []
    for part in parts:
        band = np.zeros_like(mask)
        band[part] = mask[part]
        out.append(band)
    return out


def on_grid(to_crop: np.ndarray, scale: int) -> np.ndarray:
    """(2, 3): the frame-to-grid matrix of a grid ``scale`` times finer than the detail crop
    (detail-crop pixel (x, y) at grid point (scale * (x + 0.5) - 0.5, ...)), from its ``to_crop``."""
    grid = scale * to_crop
    grid[:, 2] += (scale - 1) / 2.0
    return grid


def warp_back(image: np.ndarray, to_crop: np.ndarray, roi: tuple[int, int, int, int],
              resolution: float = 2.0) -> np.ndarray:
    """Warps a crop-space image onto the frame box ``roi`` with the inverse alignment.

    A crop holds less detail than a large face in the frame, so it is warped onto a grid of whole
    frame pixels at least ``resolution`` times its own (the frame's where the face is smaller) and
    then resized up: the same picture for a fraction of the cost.
    """
    x0, y0, x1, y1 = roi
    width, height = x1 - x0, y1 - y0
    to_frame = invert(to_crop)
    to_frame[:, 2] -= (x0, y0)
    step = max(1, int(np.hypot(*to_frame[0, :2]) / resolution))   # frame pixels per grid pixel
    if step == 1:
        return cv2.warpAffine(image, to_frame, (width, height), flags=cv2.INTER_LINEAR)
    # Grid pixel q sits at frame pixel step * q + (step - 1) / 2, where cv2.resize expects it.
    offset = (step - 1) / 2.0
    grid = np.array([[step, 0, offset], [0, step, offset], [0, 0, 1]], np.float64)
    to_crop_grid = np.vstack([invert(to_frame), [0, 0, 1]]) @ grid
    small = cv2.warpAffine(image, to_crop_grid[:2], (-(-width // step), -(-height // step)),
                           flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP)
    return cv2.resize(small, (width, height), interpolation=cv2.INTER_LINEAR)


def mask_roi(mask: np.ndarray, to_crop: np.ndarray, frame_shape) -> tuple[int, int, int, int] | None:
    """The frame box (x0, y0, x1, y1) under the non-zero part of a crop-space mask, or None."""
    box = nonzero_box(mask > 1.0 / 255)
    if box is None:
        return None
    (top, bottom), (left, right) = box
    corners = np.float64([[left, top], [right, top], [left, bottom], [right, bottom]])
    points = transform_points(corners, invert(to_crop))
    height, width = frame_shape[:2]
    x0, y0 = np.floor(points.min(axis=0)).astype(int) - 1
    x1, y1 = np.ceil(points.max(axis=0)).astype(int) + 2
    x0, y0, x1, y1 = max(x0, 0), max(y0, 0), min(x1, width), min(y1, height)
    return (x0, y0, x1, y1) if x1 > x0 and y1 > y0 else None
