"""Puts the edited hair back onto the full-resolution frame with the exact inverse alignment."""
from __future__ import annotations

import cv2
import numpy as np

from mirror.face.align import invert, transform_points
from mirror.render.colortable import blend
from mirror.types import AlignedFace, EditedFace, LentDetail


LEND_FROM = 1.25   # frame pixels per detail-crop pixel from which the frame has fine detail to lend
LEND_SIGMA = 0.6   # ... finer than this many detail-crop pixels (Gaussian sigma)
LEND_LIMIT = 40    # ... and at most this strong (grey levels: a skin pore or a wall's edge copied with the hair)
GRAIN_TILE = 256   # grid points: a bare scalp's grain, a fixed noise, repeats this far apart


class Compositor:
    """Blends an ``EditedFace`` (in the detail crop's space) into its frame.

    Where the renderer recoloured, the change is added onto the frame (the person's full
    resolution detail stays); where it drew anew (``replace``), the rendered crop is used.
    Only the part of the frame under the edit mask is touched.
    """

    def compose(self, frame: np.ndarray, aligned: AlignedFace, edited: EditedFace) -> np.ndarray:
        """Returns a new (H, W, 3) uint8 BGR frame with the edit; ``frame`` is not modified."""
        out = frame.copy()
        filled = []     # (the frame boxes where a fill past the crop was drawn)
        if edited.beyond is not None:
            # The edit's reach past the crop: a recolouring of the frame's own pixels, or a fill;
            # band by band round the crop where it says how far in it reaches (the frame's box
            # round all of it is most of the frame).
            beyond = edited.beyond
            for mask in (_bands(beyond.mask, beyond.inset) if beyond.inset is not None else (beyond.mask,)):
                roi = mask_roi(mask, aligned.to_outer, frame.shape)
                if roi is None:
                    continue
                x0, y0, x1, y1 = roi
                part = out[y0:y1, x0:x1]
                if beyond.fill is None:
                    instead, weight = beyond.table.apply(part), warp_back(mask, aligned.to_outer, roi)
                else:       # (the fill and its weight as one 4-channel image: one warp)
                    drawn = warp_back(with_weight(beyond.fill, mask), aligned.to_outer, roi)
                    instead, weight = cv2.cvtColor(drawn, cv2.COLOR_BGRA2BGR), cv2.extractChannel(drawn, 3)
                    filled.append(roi)
                out[y0:y1, x0:x1] = blend(part, instead, weight)
        to_crop = aligned.detail_to_crop
        roi = mask_roi(edited.hair_mask, to_crop, frame.shape)
        if roi is None:
            return out
        x0, y0, x1, y1 = roi
        under = out[y0:y1, x0:x1]
        # The change in float32: OpenCV warps it in vectorised code (int16 has none), 1.4x faster.
        delta = warp_back(cv2.subtract(edited.crop, aligned.detail, dtype=cv2.CV_32F), to_crop, roi)
        region = cv2.add(under, delta, dtype=cv2.CV_8U)
        if edited.replace.max() > 1.0 / 255:
            # The drawn crop and its weight as one 4-channel image: one warp, the same values
            # (on the lent detail's finer grid, with that detail in it, where it has one).
            lent = edited.lent
            if lent is None:
                drawn = warp_back(with_weight(edited.crop, edited.replace), to_crop, roi)
            else:
                drawn = warp_back(lent.drawn, on_grid(to_crop, lent.scale), roi)
            target = cv2.cvtColor(drawn, cv2.COLOR_BGRA2BGR)
            weight = cv2.extractChannel(drawn, 3)
            weight = cv2.merge([weight, weight, weight])
            region = over(target, weight, region)
            # Where the fill past the crop drew the wall over the hair, in float: the crop's
            # fading edge, added onto the wall there, went past 255 before the blend took it
            # back (a blue-grey streak along the crop's top).
            for box in filled:
                part = _within(box, roi)
                if part is not None:
                    region[part] = over(target[part], weight[part], cv2.add(under[part], delta[part], dtype=cv2.CV_32F))
        out[y0:y1, x0:x1] = region
        return out


def over(target: np.ndarray, weight: np.ndarray, under: np.ndarray) -> np.ndarray:
    """(H, W, 3) uint8: ``target`` (uint8) over ``under`` (uint8, or float32 unclipped) through
    ``weight`` (H, W, 3) uint8 in [0, 255]."""
    depth = cv2.CV_8U if under.dtype == np.uint8 else cv2.CV_32F
    return cv2.add(cv2.multiply(target, weight, scale=1 / 255, dtype=depth),
                   cv2.multiply(under, 255 - weight, scale=1 / 255, dtype=depth), dtype=cv2.CV_8U)


def _within(box: tuple[int, int, int, int], roi: tuple[int, int, int, int]) -> tuple[slice, slice] | None:
    """The part of frame box ``box`` (x0, y0, x1, y1) inside ``roi``, as slices of ``roi``'s
    pixels; None if they do not meet."""
    x0, y0 = max(box[0], roi[0]), max(box[1], roi[1])
    x1, y1 = min(box[2], roi[2]), min(box[3], roi[3])
    if x1 <= x0 or y1 <= y0:
        return None
    return slice(y0 - roi[1], y1 - roi[1]), slice(x0 - roi[0], x1 - roi[0])


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


def with_weight(color: np.ndarray, replace: np.ndarray) -> np.ndarray:
    """(H, W, 4) uint8: a drawn crop (H, W, 3) uint8 and, as its fourth channel, its weight
    ``replace`` (H, W) in [0, 1] times 255: one image, warped at once."""
    return cv2.merge([color, cv2.convertScaleAbs(replace, alpha=255.0)])


def lent_detail(frame: np.ndarray, edited: EditedFace, to_crop: np.ndarray) -> LentDetail | None:
    """The fine detail a large face holds beyond the detail crop, for what the renderer drew anew:
    for hair drawn as a copy of the person's own, the frame's pixels where it was copied from
    (``edited.source``, through ``edited.source_weight``); for bare scalp, a fine grain as strong
    as the bare forehead's (``edited.grain``). Added to the drawn crop upsampled onto a grid as
    fine as the frame's pixels, in the crop's frame (so an edit carried over to later frames
    carries it too). None where the frame is no sharper than the crop (a small face: the crop is
    all there is) or nothing was drawn.

    Args:
        frame: (H, W, 3) uint8, the frame the edit was made on; to_crop: its detail-crop matrix.
    """
    per = 1.0 / np.sqrt(abs(np.linalg.det(to_crop[:, :2])))     # frame pixels per crop pixel
    weights = [w for w in (edited.source_weight if edited.source is not None else None,
                           edited.grain.weight if edited.grain is not None else None) if w is not None]
    box = nonzero_box(np.maximum.reduce(weights) > 1.0 / 255) if weights and per >= LEND_FROM else None
    if box is None:
        return None
    (top, bottom), (left, right) = box
    # (as fine as the frame's pixels: 1.5 times as fine kept the finest strands a little sharper,
    # the astronaut's fringe at 2x 131 -> 157 in Laplacian variance, her own hair's 101, but cost
    # three times as much on a bald dome's area)
    scale = int(np.ceil(per))
    size = ((right - left) * scale, (bottom - top) * scale)
    fine = None
    if edited.source is not None:
        # Where each grid point's copy came from, in the frame, and its weight.
        source = cv2.transform(edited.source[top:bottom, left:right], invert(to_crop).astype(np.float32))
        source = cv2.resize(source, size, interpolation=cv2.INTER_LINEAR)
        weight = cv2.resize(edited.source_weight[top:bottom, left:right], size, interpolation=cv2.INTER_LINEAR)
        copy = cv2.remap(frame, source, None, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
        detail = cv2.subtract(copy, cv2.GaussianBlur(copy, (0, 0), LEND_SIGMA * scale), dtype=cv2.CV_16S)
        np.clip(detail, -LEND_LIMIT, LEND_LIMIT, out=detail)
        fine = cv2.multiply(detail, cv2.cvtColor(weight, cv2.COLOR_GRAY2BGR), dtype=cv2.CV_16S)
    if edited.grain is not None:
        spread = _grain_spread(frame, edited.grain.forehead, to_crop, per)
        weight = cv2.resize(edited.grain.weight[top:bottom, left:right], size, interpolation=cv2.INTER_LINEAR)
        # (fixed to the crop, so it moves with the head and does not flicker)
        grain = cv2.multiply(_grain_pattern(scale, (top * scale, left * scale), size[::-1]), weight)
        grain = cv2.transform(grain[..., None], spread[:, None])
        fine = grain if fine is None else cv2.add(fine, grain, dtype=cv2.CV_16S)
    # The drawn crop and its weight on the grid, the detail added in its box: each frame then warps
    # one image (two warps and an add cost bald 2 ms at the compose stage's median, waiting for
    # the GIL behind the render thread).
    side = (edited.crop.shape[0] * scale,) * 2
    drawn = with_weight(cv2.resize(edited.crop, side, interpolation=cv2.INTER_LINEAR),
                        cv2.resize(edited.replace, side, interpolation=cv2.INTER_LINEAR))
    # (as its lighter and darker parts, in uint8: int16 added to uint8 has no vectorised code,
    # and a carried edit adds it again on every frame: ``relend``)
    none = np.zeros(fine.shape[:2], np.uint8)
    lighter = cv2.merge([*cv2.split(cv2.convertScaleAbs(np.maximum(fine, 0))), none])
    darker = cv2.merge([*cv2.split(cv2.convertScaleAbs(np.minimum(fine, 0))), none])
    lent = LentDetail(drawn, scale, lighter, darker, (top * scale, left * scale))
    _add_detail(lent, drawn, (0, 0))
    return lent


def relend(lent: LentDetail, edited: EditedFace, boxes: list[tuple[tuple[int, int], tuple[int, int]]]) -> LentDetail:
    """``lent`` with ``edited``'s crop and weight drawn anew on its grid in the detail-crop boxes
    ``boxes`` (each ((top, bottom), (left, right))), its detail added (an edit carried over to
    a later frame and redrawn there: ``mirror.run.lagged``)."""
    size, scale = edited.crop.shape[0], lent.scale
    drawn = lent.drawn.copy()
    for (top, bottom), (left, right) in boxes:
        # (from a pixel round the box: the grid's points at its edge lie between it and the next)
        y0, x0 = max(top - 1, 0), max(left - 1, 0)
        y1, x1 = min(bottom + 1, size), min(right + 1, size)
        grid = ((x1 - x0) * scale, (y1 - y0) * scale)
        gy0, gx0 = top * scale, left * scale
        box = np.s_[gy0 - y0 * scale:bottom * scale - y0 * scale, gx0 - x0 * scale:right * scale - x0 * scale]
        part = cv2.resize(with_weight(edited.crop[y0:y1, x0:x1], edited.replace[y0:y1, x0:x1]), grid,
                          interpolation=cv2.INTER_LINEAR)[box]
        _add_detail(lent, part, (gy0, gx0))
        drawn[gy0:bottom * scale, gx0:right * scale] = part
    return LentDetail(drawn, scale, lent.lighter, lent.darker, lent.at)


def _add_detail(lent: LentDetail, part: np.ndarray, at: tuple[int, int]) -> None:
    """Adds ``lent``'s detail, in place, to ``part``, the piece of its grid from point ``at``
    (top, left), where the two meet."""
    (dy, dx), (height, width) = lent.at, lent.lighter.shape[:2]
    piece = (at[1], at[0], at[1] + part.shape[1], at[0] + part.shape[0])
    held = (dx, dy, dx + width, dy + height)
    inner, detail = _within(held, piece), _within(piece, held)
    if inner is not None:
        part[inner] = cv2.subtract(cv2.add(part[inner], lent.lighter[detail]), lent.darker[detail])


def _grain_spread(frame: np.ndarray, forehead: tuple[int, int, int, int], to_crop: np.ndarray, per: float
                  ) -> np.ndarray:
    """(3,) float32: the robust spread of the frame's detail finer than LEND_SIGMA crop pixels
    over the bare forehead (``forehead``, a detail-crop box), per channel."""
    x0, y0, x1, y1 = forehead
    corners = transform_points(np.float64([[x0, y0], [x1, y0], [x0, y1], [x1, y1]]), invert(to_crop))
    # (the box inside the four corners, turned with the head)
    xs, ys = np.sort(corners[:, 0]), np.sort(corners[:, 1])
    height, width = frame.shape[:2]
    left, right = max(int(np.ceil(xs[1])), 0), min(int(xs[2]), width)
    top, bottom = max(int(np.ceil(ys[1])), 0), min(int(ys[2]), height)
    if right - left < 3 or bottom - top < 3:
        return np.zeros(3, np.float32)
    patch = frame[top:bottom, left:right].astype(np.float32)
    detail = patch - cv2.GaussianBlur(patch, (0, 0), LEND_SIGMA * per)
    # (every other pixel: as good, and the median a third of the time)
    spread = 1.4826 * np.median(np.abs(detail[::2, ::2].reshape(-1, 3)), axis=0)
    # (held so that the grain's strongest (4 spreads) stays within LEND_LIMIT)
    return np.minimum(spread, LEND_LIMIT / 4.0).astype(np.float32)


_GRAIN: dict[int, np.ndarray] = {}


def _grain_pattern(scale: int, origin: tuple[int, int], shape: tuple[int, int]) -> np.ndarray:
    """(h, w) float32: unit-spread noise with the spectrum of detail finer than LEND_SIGMA crop
    pixels on a grid of ``scale`` points a crop pixel, at most 4 spreads either way, from grid
    point ``origin`` (rows, columns), repeating every GRAIN_TILE points."""
    if scale not in _GRAIN:
        noise = np.random.default_rng(0).standard_normal((GRAIN_TILE, GRAIN_TILE)).astype(np.float32)
        # (blurred as a tile among copies of itself, so it repeats without a seam)
        tiled = cv2.GaussianBlur(np.tile(noise, (3, 3)), (0, 0), LEND_SIGMA * scale)
        noise -= tiled[GRAIN_TILE:2 * GRAIN_TILE, GRAIN_TILE:2 * GRAIN_TILE]
        noise = np.clip(noise / (1.4826 * float(np.median(np.abs(noise)))), -4.0, 4.0)
        _GRAIN[scale] = np.tile(noise, (3, 3))     # (a window of up to two tiles needs no wrap)
    pattern = _GRAIN[scale]
    if max(shape) > 2 * GRAIN_TILE:
        return pattern[np.ix_((origin[0] + np.arange(shape[0])) % GRAIN_TILE,
                              (origin[1] + np.arange(shape[1])) % GRAIN_TILE)]
    top, left = origin[0] % GRAIN_TILE, origin[1] % GRAIN_TILE
    return pattern[top:top + shape[0], left:left + shape[1]]


def on_grid(to_crop: np.ndarray, scale: int) -> np.ndarray:
    """(2, 3): the frame-to-grid matrix of a grid ``scale`` times finer than the detail crop
    (detail-crop pixel (x, y) at grid point (scale * (x + 0.5) - 0.5, ...)), from its ``to_crop``."""
    grid = scale * to_crop
    grid[:, 2] += (scale - 1) / 2.0
    return grid


def warp_back(image: np.ndarray, to_crop: np.ndarray, roi: tuple[int, int, int, int]) -> np.ndarray:
    """Warps a crop-space image onto the frame box ``roi`` with the inverse alignment.

    A crop holds less detail than a large face in the frame, so it is warped onto a grid of at
    most twice its own resolution and then resized up: the same picture for a fraction of the cost.
    """
    x0, y0, x1, y1 = roi
    width, height = x1 - x0, y1 - y0
    to_frame = invert(to_crop)
    to_frame[:, 2] -= (x0, y0)
    step = max(1, int(np.hypot(*to_frame[0, :2]) / 2))   # frame pixels per grid pixel
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


def nonzero_box(mask: np.ndarray) -> tuple[tuple[int, int], tuple[int, int]] | None:
    """((y0, y1), (x0, x1)), the end-exclusive box of the (H, W) bool ``mask``'s True pixels, or
    None (cv2.boundingRect: a tenth of the time of NumPy's nonzero on a crop)."""
    x, y, width, height = cv2.boundingRect(mask.view(np.uint8))
    if width == 0 or height == 0:
        return None
    return (y, y + height), (x, x + width)
