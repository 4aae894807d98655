"""The recolouring as lookup tables: ``mirror.render.color.recolor``'s mapping of 8-bit colours, made once per
frame for the person's hair colour and applied with a few table look-ups per pixel.

    table = color.color_table(own, target, amount)   # (2, 3) CIELAB statistics, as recolor's
    out = table.apply(bgr, core)                      # (H, W, 3) uint8 BGR, as recolor's output

``recolor`` moves each pixel's CIELAB offset from the hair's mean by a gain that depends on the
pixel's normalised distance from that mean (and on the ``core`` mask). Its 8-bit CIELAB input
takes 256 values per channel, so everything per channel (the offsets, their squared share of
the distance, the moved value in 8-bit units) is a table of 256 entries: per pixel there is
one colour conversion there and back (OpenCV's 8-bit tables), three look-ups, a square root and
a blend, in OpenCV's vectorised loops. The result is ``recolor``'s to within float rounding (at
most one 8-bit CIELAB step, on a few pixels in a thousand).
"""
from __future__ import annotations

import functools

import cv2
import numpy as np

from mirror.render.lab import LAB_OFFSET as _LAB_OFFSET, LAB_SCALE as _LAB_SCALE, SUM as _SUM
from mirror.types import EditedFace

_NO_CAP = 1e3                              # shift_cap's "the whole shift" (weights are at most 1)
SHADED = (20.0, 35.0)                      # stretched: hair of this mean L* (none / all) keeps its shadows made lighter,
DEEP = (10.0, 25.0)                        # ... wholly those this dark in L*, not at all from the second
HUED = (6.0, 12.0)                         # ... if its mean is this colourful (chroma in a*, b*: not / wholly)
_PIXEL = np.dtype((np.void, 3))           # an 8-bit BGR pixel as one record
HUE_MIN = 2.0                              # hue_signs: a new colour this close to neutral in a* (or b*) has no side there


class ColorTable:
    """``mirror.render.color.recolor(lab, own, target, amount, core, mixed, weight)`` for 8-bit BGR pixels.

    Args:
        own: (2, 3) float32 CIELAB mean and spread of the hair.
        mean, ratio: (3,) the hair's new mean and each channel's stretch (``color.move``).
        deviation: ``ColorParams.deviation``: a pixel within deviation[0] of the hair's spreads is
            stretched, from deviation[1] on only shifted.
        core: ``ColorParams.core``: the ``core`` mask from which (wholly at which) a pixel is hair.
        far: ``ColorParams.far``: a pixel from far[0] of the hair's spreads is moved less, from far[1]
            not at all (unless ``core`` says it is hair).
        spread_floor: ``ColorParams.spread_floor``: the spreads those distances are counted in are
            at least this (per channel).
        ceiling: ``shift_cap``'s: the lightest L* a pixel only shifted is made (None: any).
    """

    def __init__(self, own: np.ndarray, mean: np.ndarray, ratio: np.ndarray,
                 deviation: tuple[float, float], core: tuple[float, float], far: tuple[float, float],
                 spread_floor: np.ndarray | float = 1.0, ceiling: float | None = None):
        values = (np.arange(256, dtype=np.float32)[:, None] - _LAB_OFFSET) * _LAB_SCALE   # (256, 3) CIELAB
        offset = values - own[0]
        # Per channel: the squared share of the distance from the hair's mean, the pixel's new
        # 8-bit code if it kept its offset (rounded by the + 0.5 and a truncation), and what a
        # full stretch to the target's spread adds to it.
        self._distance = self._table((offset / np.maximum(own[1], spread_floor)) ** 2)
        self._base = self._table((mean + offset) / _LAB_SCALE + _LAB_OFFSET + 0.5)
        self._gain = self._table((stretched(values, own, mean, ratio) - mean - offset) / _LAB_SCALE)
        self._cap = self._table(shift_cap(values, own, mean, ceiling))
        self._signs = hue_signs(mean)
        self._deviation = deviation
        self._core = core
        self._far = far

    @staticmethod
    def _table(values: np.ndarray) -> np.ndarray:
        """(256, 3) -> the (256, 1, 3) float32 table cv2.LUT takes for 3-channel images."""
        return np.ascontiguousarray(values, np.float32).reshape(256, 1, 3)

    def apply(self, bgr: np.ndarray, core: np.ndarray | None = None, mixed: np.ndarray | None = None,
              weight: np.ndarray | None = None, lighten=None, lab: np.ndarray | None = None) -> np.ndarray:
        """(H, W, 3) uint8 BGR -> (H, W, 3) uint8 BGR recoloured. Each pixel on its own: any
        (H, W) shape, e.g. (N, 1) pixels gathered from where a mask is not 0.

        Args:
            core: (H, W) float32 in [0, 1], ``recolor``'s: where the pixel is surely hair.
            mixed: (H, W) float32 in [0, 1], ``recolor``'s: where it is a mix of hair and what
                is beside it.
            weight: (H, W) float32 in [0, 1], ``recolor``'s: how much of the move each pixel takes.
            lighten: a function of the recoloured (H, W) float32 8-bit L* codes and ``weight``
                giving what to add to the codes (or None: nothing), e.g. ``mirror.render.texture_bank.lighten``.
            lab: ``bgr`` in OpenCV's 8-bit CIELAB, if the caller has it.
        """
        lab = cv2.cvtColor(bgr, cv2.COLOR_BGR2LAB) if lab is None else lab
        radius = cv2.sqrt(cv2.transform(cv2.LUT(lab, self._distance), _SUM))
        low, high = self._deviation
        inside = _ramp(np.subtract(high, radius), 1.0 / (high - low))
        low, high = self._far
        near = _ramp(np.subtract(high, radius), 1.0 / (high - low))
        if core is not None:
            np.maximum(near, _ramp(np.subtract(core, self._core[0]), 1.0 / (self._core[1] - self._core[0])), out=near)
        if mixed is not None:
            np.maximum(near, mixed, out=near)
        if weight is not None:
            near *= weight
        # A pixel only shifted goes no farther than the new hair's colour (``shift_cap``).
        whole = cv2.merge((near, near, near))
        inside = cv2.merge((inside, inside, inside))    # (numpy's broadcasting over 3 channels is slow)
        held = cv2.min(whole, cv2.LUT(lab, self._cap))
        whole -= held
        cv2.multiply(whole, inside, dst=whole)
        whole += held
        moved = cv2.LUT(lab, self._gain)
        cv2.multiply(moved, inside, dst=moved)
        moved += cv2.LUT(lab, self._base)
        # lab + near * (moved - lab), with the +0.5 of the base table's rounding kept.
        original = lab.astype(np.float32)
        original += 0.5
        moved -= original
        moved *= whole
        moved += original
        # No cast to the other side of neutral from the new colour (``hue_signs``), in 8-bit codes
        # (neutral is code 128.5 here, with the base table's rounding).
        for channel, sign in enumerate(self._signs, start=1):
            code, before = moved[..., channel], original[..., channel]
            if sign > 0:
                np.maximum(code, np.minimum(before, 128.5), out=code)
            elif sign < 0:
                np.minimum(code, np.maximum(before, 128.5), out=code)
        if lighten is not None:
            offset = lighten(moved[..., 0], weight)
            if offset is not None:
                moved[..., 0] += offset
        np.clip(moved, 0, 255, out=moved)
        return cv2.cvtColor(moved.astype(np.uint8), cv2.COLOR_LAB2BGR)


def _ramp(values: np.ndarray, scale: float) -> np.ndarray:
    """``np.clip(values * scale, 0, 1)`` in ``values``' own array."""
    values *= scale
    return np.clip(values, 0.0, 1.0, out=values)


def stretched(lab: np.ndarray, own: np.ndarray, mean: np.ndarray, ratio: np.ndarray) -> np.ndarray:
    """(..., 3) float32: where hair of colour ``lab`` (..., 3) CIELAB goes when stretched as the
    hair is: its offset from ``own``'s mean scaled by ``ratio`` (3,) about the new ``mean``; but
    made lighter, the deep shadows (DEEP) of hair not too dark to have them (SHADED: black hair's
    darker half is noise and JPEG blocks) are scaled in linear light, as a lighter hair in the
    same light would be: they stay dark (a deep shadow between orange curls made blond, moved
    with the spread squeezed, came out a flat grey smoke). Only in hair of some
    hue (HUED): in near-neutral hair the darkest pixels are its own black, not shadow (black
    hair lit from above has a mean of 27 L* with its lit strands; kept dark, its black
    was a dark patch in a silver head)."""
    lab = np.asarray(lab, np.float32)
    out = np.asarray(mean, np.float32) + (lab - np.asarray(own, np.float32)[0]) * np.asarray(ratio, np.float32)
    share = float(min(max((own[0][0] - SHADED[0]) / (SHADED[1] - SHADED[0]), 0.0), 1.0))
    share *= float(min(max((np.hypot(own[0][1], own[0][2]) - HUED[0]) / (HUED[1] - HUED[0]), 0.0), 1.0))
    if mean[0] > own[0][0] and share > 0.0:
        light = lab[..., 0]
        gain = _luminance(np.float32(mean[0])) / max(float(_luminance(np.float32(own[0][0]))), 1e-6)
        shade = _lightness(_luminance(light) * gain)
        deep = share * np.clip((DEEP[1] - light) / (DEEP[1] - DEEP[0]), 0.0, 1.0)
        out[..., 0] = np.where(light < own[0][0], out[..., 0] + deep * (shade - out[..., 0]), out[..., 0])
    return out


def _luminance(light: np.ndarray) -> np.ndarray:
    """CIE relative luminance Y in [0, 1] of L* ``light``."""
    light = np.asarray(light, np.float32)
    return np.where(light > 8.0, ((light + 16.0) / 116.0) ** 3, light / 903.3).astype(np.float32)


def _lightness(luminance: np.ndarray) -> np.ndarray:
    """L* of CIE relative luminance ``luminance``."""
    luminance = np.asarray(luminance, np.float32)
    return np.where(luminance > 0.008856, 116.0 * np.cbrt(luminance) - 16.0, 903.3 * luminance).astype(np.float32)


def hue_signs(mean: np.ndarray) -> np.ndarray:
    """(2,) float32: the sign of the new hair colour ``mean`` (3,) CIELAB in a* and in b* (0 where
    it is within HUE_MIN of neutral). A recolouring takes no pixel farther to the other side of
    neutral in either than the pixel already was: a dark shadow whose a*, b* lay below the hair's
    warm mean kept that offset and came out teal (orange curls made gray)."""
    mean = np.asarray(mean, np.float32)
    return np.where(np.abs(mean[1:]) >= HUE_MIN, np.sign(mean[1:]), 0.0).astype(np.float32)


def no_cast(lab: np.ndarray, moved: np.ndarray, mean: np.ndarray) -> np.ndarray:
    """(..., 3) float32 CIELAB ``moved`` (recoloured from ``lab``) with a*, b* no farther to the
    other side of neutral from ``mean``'s than ``lab``'s (``hue_signs``)."""
    out = np.array(moved, np.float32)
    for channel, sign in enumerate(hue_signs(mean), start=1):
        before = np.asarray(lab, np.float32)[..., channel]
        if sign > 0:
            out[..., channel] = np.maximum(out[..., channel], np.minimum(before, 0.0))
        elif sign < 0:
            out[..., channel] = np.minimum(out[..., channel], np.maximum(before, 0.0))
    return out


def shift_cap(lab: np.ndarray, own: np.ndarray, mean: np.ndarray, ceiling: float | None = None) -> np.ndarray:
    """(..., 3) float32: the most of its shift (the hair's move from ``own``'s mean to ``mean``,
    (3,) CIELAB) a pixel of colour ``lab`` (..., 3) takes if it is only shifted, not stretched as
    the hair is (skin or wall mixed into an edge pixel): in a*, b* as far as the new hair's and no
    farther (a warm edge made blond would come out orange); in L*, made lighter, to ``ceiling``
    at most (skin between dark strands made blond would glow), else not held back."""
    mean = np.asarray(mean, np.float32)
    shift = mean - np.asarray(own, np.float32)[0]
    room = mean - np.asarray(lab, np.float32)
    held_light = ceiling is not None and shift[0] > 0
    if held_light:
        room[..., 0] = ceiling - np.asarray(lab, np.float32)[..., 0]
    moving = np.abs(shift) > 1e-3
    cap = np.where(moving, room / np.where(moving, shift, 1.0), _NO_CAP)
    if not held_light:
        cap[..., 0] = _NO_CAP
    return np.clip(cap, 0.0, _NO_CAP).astype(np.float32)


def put_pixels(image: np.ndarray, where: np.ndarray, pixels: np.ndarray) -> None:
    """Writes N uint8 BGR ``pixels`` (..., 3) into the contiguous (H, W, 3) uint8 ``image`` at
    its flat pixel indices ``where`` (N,), as 3-byte records: numpy's indexing by rows of 3 is
    four times slower."""
    np.put(image.reshape(-1, 3).view(_PIXEL).reshape(-1), where, np.ascontiguousarray(pixels).view(_PIXEL))


def recolor_box(detail: np.ndarray, table: ColorTable, mask: np.ndarray, box: tuple[slice, slice],
                mixed: np.ndarray | None = None, lighten=None, lent: np.ndarray | None = None,
                codes: np.ndarray | None = None) -> EditedFace:
    """The recolouring of the (R, R, 3) uint8 ``detail`` crop by ``table`` through ``mask``
    (R, R) float32, within ``box`` (outside it the mask is at most 1/255: nothing changes), on
    the pixels where the mask is not 0 only (those where it is are left exactly as they are);
    ``mixed``, the box's (H, W): ``ColorTable.apply``'s (its weight: ``mask``); ``lighten``: a function
    of the recoloured L* codes, the weight and ``lent`` (the box's (H, W) float32 lent detail)
    giving what to add to the codes (``mirror.render.texture_bank.lighten``), or None; ``codes``:
    the box's (H, W, 3) 8-bit CIELAB (``cv2.COLOR_BGR2LAB``), if the caller has it."""
    crop = detail.copy()
    mask = np.clip(mask, 0.0, 1.0).astype(np.float32, copy=False)
    # The box's pixels with some weight, as indices into the whole crop and into the box's arrays.
    points = cv2.findNonZero((mask[box] != 0).view(np.uint8))     # ((x, y) in row order: np.nonzero's)
    if points is None:
        return EditedFace(crop, mask, np.zeros_like(mask))
    cols, rows = points.reshape(-1, 2).T.astype(np.intp)
    where = (rows + box[0].start) * crop.shape[1] + (cols + box[1].start)
    inside = rows * (box[1].stop - box[1].start) + cols
    # Gathered in one row (every step is per pixel; OpenCV's loops run along rows, so a column of
    # N one-pixel rows would cost N times their overhead).
    part = np.take(crop.reshape(-1, 3), where, axis=0)[None]
    weight = np.take(mask.reshape(-1), where)[None]
    mix = None if mixed is None else np.take(np.asarray(mixed, np.float32), inside)[None]
    if lighten is not None and lent is not None:
        lighten = functools.partial(lighten, detail=np.take(np.asarray(lent, np.float32), inside)[None])
    # The move is weighted before its colours are clipped; the 8-bit CIELAB round trip's own
    # error is taken out, so a pixel the mask leaves alone keeps its colour exactly.
    if codes is None:
        lab = cv2.cvtColor(part, cv2.COLOR_BGR2LAB)
    else:
        lab = np.take(codes.reshape(-1, 3), inside, axis=0)[None]
    moved = table.apply(part, weight, mix, weight, lighten, lab).astype(np.int16)
    moved -= cv2.cvtColor(lab, cv2.COLOR_LAB2BGR)
    moved += part
    put_pixels(crop, where, np.clip(moved, 0, 255).astype(np.uint8))
    return EditedFace(crop, mask, np.zeros_like(mask))
