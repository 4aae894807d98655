"""The frame's own fine detail, lent to what the renderer drew anew: a crop holds less than a
large face in the frame.

    lent = lent_detail(frame, edited, aligned.detail_to_crop)   # LentDetail, or None
    lent = relend(lent, edited, boxes)                          # redrawn in boxes, on a later frame

Hair drawn as a copy of the person's own takes the frame's pixels where it was copied from; bare
scalp takes a fine grain as strong as the bare forehead's; a donor's hair where the person has
none of their own under it takes fine strands running its way, raised towards the strength of
the person's own hair's detail (a donor's photo holds a head of hair in a hundred pixels), and its
outline over the wall is made steeper. All are added to the
drawn crop upsampled onto a grid as fine as the frame's pixels, in the crop's frame, so an edit
carried over to later frames carries them too.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np

from mirror.face.align import invert, transform_points
from mirror.render.imaging import nonzero_box, with_weight, within
from mirror.types import EditedFace, LentDetail


@dataclass(frozen=True)
class LendParams:
    """How much of the frame's fine detail is lent, and where."""

    # frame pixels per detail-crop pixel from which the frame has fine detail to lend
    lend_from: float = 1.25
    lend_sigma: float = 0.6   # ... finer than this many detail-crop pixels (Gaussian sigma)
    # ... and at most this strong (grey levels: a skin pore or a wall's edge copied with the hair)
    lend_limit: int = 40
    grain_tile: int = 256     # grid points: a bare scalp's grain, a fixed noise, repeats this far apart
    # A donor's hair where the person has none to lend it: fine strands,
    strand_gain: float = 1.8      # ... as strong, against the hair's lightness, as this times the crop's finest detail
    strand_least: float = 0.06    # ... and at least this (a sleek donor's photo shows no strands; a webcam does)
    strand_length: float = 4.0    # ... drawn out this many crop pixels along the way the hair runs (Gaussian sigma)
    strand_width: float = 0.6     # ... and this many across it
    strand_flow: float = 4.0      # ... which way measured over this many crop pixels (Gaussian sigma)
    # ... drawn where that way's coherence passes the first value, wholly from the second
    strand_runs: tuple[float, float] = (0.3, 0.6)
    strand_bins: int = 8          # ... among this many ways
    # ... then made as strong as the frame's own hair's finest detail where the donor's strands are
    # fainter (a dark donor's photo shows little of the way its hair runs), by at most this
    strand_match: float = 3.0
    # A donor's outline over the wall: its matte's soft edge made this many times steeper (sized up
    # from its photo, a blur 7-17 px wide on a 720p face, where a head's outline is about 5)
    outline_steep: float = 3.0


def lent_detail(frame: np.ndarray, edited: EditedFace, to_crop: np.ndarray, params: LendParams = LendParams(),
                hair: np.ndarray | None = None) -> LentDetail | None:
    """The fine detail a large face holds beyond the detail crop, for what the renderer drew anew:
    for hair drawn as a copy of the person's own, the frame's pixels where it was copied from
    (``edited.source``, through ``edited.source_weight``); for bare scalp, a fine grain as strong
    as the bare forehead's (``edited.grain``); for a donor's hair with none of the person's under
    it, fine strands (``edited.strands``), and its outline over the wall steeper
    (``edited.outline``). Added to the drawn crop upsampled onto a grid as fine as the frame's
    pixels, in the crop's frame (so an edit carried over to later frames carries it too). None
    where the frame is no sharper than the crop (a small face: the crop is all there is) or
    nothing was drawn.

    Args:
        frame: (H, W, 3) uint8, the frame the edit was made on; to_crop: its detail-crop matrix.
        hair: (S, S) the person's own hair probability (``AlignedFace.hair``), whose fine detail
            in the frame the donor's strands match; None: not matched.
    """
    per = 1.0 / np.sqrt(abs(np.linalg.det(to_crop[:, :2])))     # frame pixels per crop pixel
    weights = [w for w in (edited.source_weight if edited.source is not None else None,
                           edited.grain.weight if edited.grain is not None else None, edited.strands,
                           edited.outline.matte * edited.outline.steep if edited.outline is not None else None)
               if w is not None]
    box = nonzero_box(np.maximum.reduce(weights) > 1.0 / 255) if weights and per >= params.lend_from else None
    if box is None:
        return None
    (top, bottom), (left, right) = box
    # (as fine as the frame's pixels: 1.5 times as fine kept the finest strands a little sharper,
    # but cost three times as much on a bald dome's area)
    scale = int(np.ceil(per))
    size = ((right - left) * scale, (bottom - top) * scale)
    fine = None
    if edited.source is not None:
        # Where each grid point's copy came from, in the frame, and its weight.
        source = cv2.transform(edited.source[top:bottom, left:right], invert(to_crop).astype(np.float32))
        source = cv2.resize(source, size, interpolation=cv2.INTER_LINEAR)
        weight = cv2.resize(edited.source_weight[top:bottom, left:right], size, interpolation=cv2.INTER_LINEAR)
        copy = cv2.remap(frame, source, None, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
        detail = cv2.subtract(copy, cv2.GaussianBlur(copy, (0, 0), params.lend_sigma * scale), dtype=cv2.CV_16S)
        np.clip(detail, -params.lend_limit, params.lend_limit, out=detail)
        fine = cv2.multiply(detail, cv2.cvtColor(weight, cv2.COLOR_GRAY2BGR), dtype=cv2.CV_16S)
    if edited.grain is not None:
        spread = _grain_spread(frame, edited.grain.forehead, to_crop, per, params)
        weight = cv2.resize(edited.grain.weight[top:bottom, left:right], size, interpolation=cv2.INTER_LINEAR)
        # (fixed to the crop, so it moves with the head and does not flicker)
        grain = cv2.multiply(_grain_pattern(scale, (top * scale, left * scale), size[::-1], params), weight)
        grain = cv2.transform(grain[..., None], spread[:, None])
        fine = grain if fine is None else cv2.add(fine, grain, dtype=cv2.CV_16S)
    # (each in the box of its own weight only: a bald dome's few donor strands are not drawn over
    # the whole scalp's box)
    if edited.strands is not None:
        own = None if hair is None else _hair_spread(frame, hair, to_crop, edited.crop.shape[0], per, params)
        fine = _added(fine, box, nonzero_box(edited.strands > 1.0 / 255), scale,
                      lambda part: _matched(_strands(edited.crop, edited.strands, part, scale, params),
                                            edited.strands, part, scale, own, params))
    if edited.outline is not None and params.outline_steep > 1.0:
        matte = edited.outline.matte
        soft = (matte * edited.outline.steep > 1.0 / 255) & (matte < 254.0 / 255)
        fine = _added(fine, box, nonzero_box(soft), scale, lambda part: _steeper(edited, part, scale, params))
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
    inner, detail = within(held, piece), within(piece, held)
    if inner is not None:
        part[inner] = cv2.subtract(cv2.add(part[inner], lent.lighter[detail]), lent.darker[detail])


def _grain_spread(frame: np.ndarray, forehead: tuple[int, int, int, int], to_crop: np.ndarray, per: float,
                  params: LendParams = LendParams()) -> np.ndarray:
    """(3,) float32: the robust spread of the frame's detail finer than lend_sigma crop pixels
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
    detail = patch - cv2.GaussianBlur(patch, (0, 0), params.lend_sigma * per)
    # (every other pixel: as good, and the median a third of the time)
    spread = 1.4826 * np.median(np.abs(detail[::2, ::2].reshape(-1, 3)), axis=0)
    # (held so that the grain's strongest (4 spreads) stays within lend_limit)
    return np.minimum(spread, params.lend_limit / 4.0).astype(np.float32)


_GRAIN: dict[tuple, np.ndarray] = {}


def _grain_pattern(scale: int, origin: tuple[int, int], shape: tuple[int, int], params: LendParams = LendParams()) -> np.ndarray:
    """(h, w) float32: unit-spread noise with the spectrum of detail finer than lend_sigma crop
    pixels on a grid of ``scale`` points a crop pixel, at most 4 spreads either way, from grid
    point ``origin`` (rows, columns), repeating every grain_tile points."""
    key = (scale, params.grain_tile, params.lend_sigma)
    if key not in _GRAIN:
        noise = np.random.default_rng(0).standard_normal((params.grain_tile, params.grain_tile)).astype(np.float32)
        # (blurred as a tile among copies of itself, so it repeats without a seam)
        tiled = cv2.GaussianBlur(np.tile(noise, (3, 3)), (0, 0), params.lend_sigma * scale)
        noise -= tiled[params.grain_tile:2 * params.grain_tile, params.grain_tile:2 * params.grain_tile]
        noise = np.clip(noise / (1.4826 * float(np.median(np.abs(noise)))), -4.0, 4.0)
        _GRAIN[key] = np.tile(noise, (3, 3))     # (a window of up to two tiles needs no wrap)
    pattern = _GRAIN[key]
    if max(shape) > 2 * params.grain_tile:
        return pattern[np.ix_((origin[0] + np.arange(shape[0])) % params.grain_tile,
                              (origin[1] + np.arange(shape[1])) % params.grain_tile)]
    top, left = origin[0] % params.grain_tile, origin[1] % params.grain_tile
    return pattern[top:top + shape[0], left:left + shape[1]]


def _added(fine: np.ndarray | None, box: tuple[tuple[int, int], tuple[int, int]],
           part: tuple[tuple[int, int], tuple[int, int]] | None, scale: int,
           draw: Callable[[tuple[tuple[int, int], tuple[int, int]]], np.ndarray]) -> np.ndarray:
    """``fine`` ((h, w, 3) int16 detail on the grid of the detail-crop box ``box``, or None: none
    yet) with ``draw(part)``, the detail on the grid of the box ``part`` within it, added."""
    (top, bottom), (left, right) = box
    if fine is None:
        fine = np.zeros(((bottom - top) * scale, (right - left) * scale, 3), np.int16)
    if part is not None:
        (y0, y1), (x0, x1) = part
        where = np.s_[(y0 - top) * scale:(y1 - top) * scale, (x0 - left) * scale:(x1 - left) * scale]
        fine[where] = cv2.add(fine[where], draw(part), dtype=cv2.CV_16S)
    return fine


def _strands(crop: np.ndarray, weight: np.ndarray, box: tuple[tuple[int, int], tuple[int, int]], scale: int,
             params: LendParams = LendParams()) -> np.ndarray:
    """(h, w, 3) int16: fine strands for ``crop``'s hair on ``weight`` (a donor's hair that has
    none of the person's to lend it), on the grid's box ``box`` (detail-crop rows, columns),
    ``scale`` points a crop pixel: a fixed noise drawn out along the way the hair runs there, as
    strong against the hair's lightness as the crop's own finest detail."""
    (top, bottom), (left, right) = box
    size = ((right - left) * scale, (bottom - top) * scale)
    grey = cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY).astype(np.float32)
    dx, dy = cv2.Sobel(grey, cv2.CV_32F, 1, 0, ksize=3), cv2.Sobel(grey, cv2.CV_32F, 0, 1, ksize=3)
    xx, yy, xy = (cv2.GaussianBlur(a, (0, 0), params.strand_flow) for a in (dx * dx, dy * dy, dx * dy))
    fine = grey - cv2.GaussianBlur(grey, (0, 0), 1.0)
    # (the finest detail's spread against the lightness round it)
    lightness = np.maximum(cv2.GaussianBlur(grey, (0, 0), 3.0), 10.0)
    contrast = np.sqrt(cv2.GaussianBlur(fine * fine, (0, 0), 3.0)) / lightness
    # (only where the hair runs one way: drawn out along a way that wanders, strands are marbling)
    runs = np.sqrt((xx - yy) ** 2 + 4.0 * xy * xy) / (xx + yy + 1e-3)
    runs = np.clip((runs - params.strand_runs[0]) / (params.strand_runs[1] - params.strand_runs[0]), 0.0, 1.0)
    part = np.s_[top:bottom, left:right]
    up = [cv2.resize(np.ascontiguousarray(a[part]), size, interpolation=cv2.INTER_LINEAR)
          for a in (yy - xx, -2.0 * xy, np.maximum(contrast * params.strand_gain, params.strand_least) * runs * weight)]
    # (the strands run across the lightness's gradient: its doubled angle turned half a turn)
    run = cv2.phase(up[0], up[1]) * np.float32(params.strand_bins / (2.0 * np.pi))
    run += params.strand_bins / 2.0
    low = run.astype(np.int32)
    share = run - low.astype(np.float32)
    # (fixed to the crop, as the grain is: a drawing made again does not flicker)
    tile, bins = params.grain_tile, params.strand_bins
    at = (((top * scale + np.arange(size[1])) % tile)[:, None] * tile
          + ((left * scale + np.arange(size[0])) % tile)[None, :]).astype(np.int32)
    ways = _strand_ways(scale, params).reshape(-1)
    pattern = np.take(ways, low % bins * (tile * tile) + at) * (1.0 - share)
    pattern += np.take(ways, (low + 1) % bins * (tile * tile) + at) * share
    base = cv2.resize(np.ascontiguousarray(crop[part]), size, interpolation=cv2.INTER_LINEAR).astype(np.float32)
    detail = cv2.multiply(base, cv2.cvtColor(pattern * up[2], cv2.COLOR_GRAY2BGR))
    return np.clip(detail, -params.lend_limit, params.lend_limit, out=detail).astype(np.int16)


def _hair_spread(frame: np.ndarray, hair: np.ndarray, to_crop: np.ndarray, side: int, per: float,
                 params: LendParams = LendParams()) -> float | None:
    """The median size, in grey levels, of the frame's detail finer than lend_sigma crop pixels on
    the person's own hair (``hair`` > 0.9, an (S, S) mask over the detail crop, whose side is
    ``side``); None where too little hair shows."""
    ys, xs = np.nonzero(hair > 0.9)
    if len(ys) < 50:
        return None
    points = transform_points(np.stack([xs, ys], 1) * (side / hair.shape[0]), invert(to_crop))
    height, width = frame.shape[:2]
    left, top = np.maximum(np.floor(points.min(0)).astype(int), 0)
    right, bottom = np.minimum(np.ceil(points.max(0)).astype(int) + 1, (width, height))
    if right - left < 3 or bottom - top < 3:
        return None
    grey = cv2.cvtColor(frame[top:bottom, left:right], cv2.COLOR_BGR2GRAY).astype(np.float32)
    detail = np.abs(grey - cv2.GaussianBlur(grey, (0, 0), params.lend_sigma * per))
    at = np.clip(points[::4].round().astype(int) - (left, top), 0, (right - left - 1, bottom - top - 1))
    return float(np.median(detail[at[:, 1], at[:, 0]]))


def _matched(strands: np.ndarray, weight: np.ndarray, box: tuple[tuple[int, int], tuple[int, int]], scale: int,
             own: float | None, params: LendParams = LendParams()) -> np.ndarray:
    """``strands`` (``_strands``, on the grid of ``box``) raised to the strength of ``own`` (the
    frame's own hair's detail, ``_hair_spread``), by at most strand_match, where they are fainter
    than that over the donor's hair that lies alone (``weight`` > 0.8); never lowered."""
    if own is None:
        return strands
    (top, bottom), (left, right) = box
    alone = cv2.resize(np.ascontiguousarray(weight[top:bottom, left:right]), strands.shape[1::-1],
                       interpolation=cv2.INTER_NEAREST) > 0.8
    if alone.sum() < 50:
        return strands
    # (measured as the frame's is: finer than lend_sigma crop pixels; on every other point)
    grey = cv2.transform(strands.astype(np.float32), np.full((1, 3), 1.0 / 3.0, np.float32))
    fine = cv2.absdiff(grey, cv2.GaussianBlur(grey, (0, 0), params.lend_sigma * scale))
    theirs = float(np.median(fine[::2, ::2][alone[::2, ::2]]))
    gain = min(own / max(theirs, 1e-3), params.strand_match)
    if gain <= 1.0:
        return strands
    scaled = cv2.addWeighted(strands, gain, strands, 0.0, 0.0, dtype=cv2.CV_16S)
    return np.clip(scaled, -params.lend_limit, params.lend_limit, out=scaled)


def _steeper(edited: EditedFace, box: tuple[tuple[int, int], tuple[int, int]], scale: int,
             params: LendParams = LendParams()) -> np.ndarray:
    """(h, w, 3) int16: the change to the drawn crop, on the grid's box ``box`` (detail-crop rows,
    columns) ``scale`` points a crop pixel, that makes the donor's matte (``edited.outline``)
    outline_steep times steeper where it lies over the wall: the crop there is what it is drawn
    over plus the matte times the hair's difference from it."""
    (top, bottom), (left, right) = box
    size = ((right - left) * scale, (bottom - top) * scale)
    part = np.s_[top:bottom, left:right]
    outline = edited.outline
    matte, where = (cv2.resize(np.ascontiguousarray(a[part]), size, interpolation=cv2.INTER_LINEAR)
                    for a in (outline.matte, outline.steep))
    change = cv2.resize(cv2.subtract(edited.crop[part], outline.under[part], dtype=cv2.CV_32F), size,
                        interpolation=cv2.INTER_LINEAR)
    steep = np.clip((matte - 0.5) * params.outline_steep + 0.5, 0.0, 1.0)
    gain = (steep / np.maximum(matte, 0.02) - 1.0) * where
    return np.clip(cv2.multiply(change, cv2.cvtColor(gain, cv2.COLOR_GRAY2BGR)), -255, 255).astype(np.int16)


_WAYS: dict[tuple, np.ndarray] = {}


def _strand_ways(scale: int, params: LendParams = LendParams()) -> np.ndarray:
    """(strand_bins, grain_tile, grain_tile) float32: a fixed noise drawn out along each of
    strand_bins ways (the k-th k / strand_bins of a half turn from upright), its detail finer
    than lend_sigma crop pixels at unit spread, repeating every grain_tile points."""
    key = (scale, params.grain_tile, params.lend_sigma, params.strand_length, params.strand_width, params.strand_bins)
    if key not in _WAYS:
        tile = params.grain_tile
        along, across = params.strand_length * scale, params.strand_width * scale
        half = int(np.ceil(3 * along))
        # (drawn out as a tile wrapped round itself, so it repeats without a seam)
        noise = np.random.default_rng(1).standard_normal((tile, tile)).astype(np.float32)
        noise = cv2.copyMakeBorder(noise, half, half, half, half, cv2.BORDER_WRAP)
        ys, xs = np.mgrid[-half:half + 1, -half:half + 1].astype(np.float32)
        ways = []
        for k in range(params.strand_bins):
            angle = np.pi * k / params.strand_bins - np.pi / 2
            u, v = xs * np.cos(angle) + ys * np.sin(angle), ys * np.cos(angle) - xs * np.sin(angle)
            kernel = np.exp(-0.5 * (u / along) ** 2 - 0.5 * (v / across) ** 2).astype(np.float32)
            way = cv2.filter2D(noise, -1, kernel / np.sqrt((kernel ** 2).sum()))
            way = (way - cv2.GaussianBlur(way, (0, 0), params.lend_sigma * scale))[half:half + tile, half:half + tile]
            ways.append(np.clip(way / (1.4826 * float(np.median(np.abs(way)))), -4.0, 4.0))
        _WAYS[key] = np.stack(ways)
    return _WAYS[key]
