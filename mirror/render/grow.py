"""Grow: new hair where a shape grows it (regrowth: the growing half of
``mirror.render.reshape``), drawn from the person's own hair.

    grown = grow_hair(aligned, grow, hair, out, loss, memory, last, video, GrowParams(), ...)

Below each column's hair, that hair is mirrored about its lower edge and stretched down over the
new hair, its own strands and light kept; the copy ends in clumps of strands of uneven length
that thin out softly, as a hairline does, and shades the skin just below it. A head with too
little dense hair (bald) or under a cap gets none.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, NamedTuple

import cv2
import numpy as np

from mirror.face.regions import face_oval
from mirror.render.color import ColorParams, own_color
from mirror.render.imaging import column_span, kernel_width, noise_pattern, per_channel, reflect_from, wide_blur
from mirror.render.lab import from_lab, to_lab
from mirror.render.masks import MaskParams, dense_hair, not_skin_hued, on_person, sure_hair
from mirror.render.memory import Memory, Seen, follow
from mirror.render.scalp import ScalpParams, skin_sample
from mirror.types import AlignedFace


@dataclass(frozen=True)
class GrowParams:
    """How new hair is copied, coloured and shaped (lengths as shares of the crop)."""

    # new hair comes from a band this deep inside its source (reflected, then folded back)
    fold: float = 0.06
    # new hair below a hairline is the hair up to this far above it, mirrored down
    copy: float = 0.12
    # ... and stretched by at most this much to reach its lower end (at 2, short hair folded into a
    # zigzag)
    stretch: float = 4.0
    # ... if the dense hair is at least this share of the new hair's area (at 0.5 short hair got none)
    source_min: float = 0.3
    # ... copied from where the segmenter is this sure of hair (a cap it half takes for hair:
    # 0.6-0.8),
    source_sure: float = 0.85
    # ... if that is this share of the dense hair (less: a head under a cap, ``_under_cap``, whose
    # colour would be copied)
    sure_share: float = 0.6
    # ... or, in video for a head not under a cap on the last frame, this much less
    sure_hold: float = 0.2
    roots: float = 0.04              # ... and reaches up to this far over the thin hair above it
    broad: float = 0.03              # ... its patches of light and shade evened out above this size
    # ... its colour kept within this many robust spreads of the hair's own (L*; a*, b* halved)
    outlier: float = 2.0
    # ... in video, following each frame's copy at this rate (a copy of compressed hair shimmers)
    strands_rate: float = 0.5
    # skin the hair mask covers up to this far above the face's outline is bare:
    bay_reach: float = 0.1
    # ... where its a*, b* lie this share of the way from the hair's to the skin's (not / wholly),
    bay_share: tuple[float, float] = (0.3, 0.7)
    bay_apart: tuple[float, float] = (12.0, 18.0)  # ... if those are this far apart (not at all / wholly),
    bay_blur: float = 0.025          # ... that share smoothed by this (Gaussian sigma)
    bay_rate: float = 0.1            # ... and in video followed at this rate a frame
    # ... inside hair the segmenter is this sure of (from / wholly)
    bay_sure: tuple[float, float] = (0.8, 0.95)
    bay_grow: float = 0.03           # ... and this far round that,
    # ... if this share of that sure hair is of the skin's hue (wholly / not at all)
    bay_most: tuple[float, float] = (0.015, 0.03)
    # new hair's colour: this percentile of the dense hair's (it faces the light)
    fringe_shade: float = 65
    lit_sample: int = 2000           # ... measured on about this many of its pixels
    # ... its strands: streaks this thin and this long (Gaussian sigmas)
    streaks: tuple[float, float] = (0.006, 0.03)
    streak_gain: float = 0.06        # ... lightening or darkening it by this (one spread)
    # ... at its lower end, the skin shows through this much of it between its clumps (a new
    # hairline is soft: at 0.7, with the clumps thinned a third as much, its end was a row of teeth),
    thin_ends: float = 0.5
    clump_thin: float = 0.8          # ... and this share of that in them
    thin_power: float = 1.2          # ... thinning towards there as this power of the way down
    fringe_arc: float = 0.03         # new hair's lower edge rises by this much at its sides
    tip_length: float = 0.02         # new hair's strands end up to this much above its lower edge
    # ... in clumps about this wide (Gaussian sigma; at 0.02, broad teeth: a comb)
    tip_clump: float = 0.008
    tip_taper: float = 0.08          # ... thinning to a point over this
    shadow: float = 0.02             # new hair shades the skin below it over this, ...
    shadow_depth: float = 0.25       # ... by this much


class Grown(NamedTuple):
    """What ``grow_hair`` drew.

    Attributes:
        out: (R, R, 3) float32 BGR, the picture with the new hair (and its shadow) drawn in.
        loss: (R, R) float32, where the picture is drawn anew, its shadow included.
        grow: (R, R) float32, where new hair is drawn (zero where none could be).
        source: (R, R, 2) float32, the detail-crop pixel each new hair pixel was copied from, or None.
    """

    out: np.ndarray
    loss: np.ndarray
    grow: np.ndarray
    source: np.ndarray | None


def grow_hair(aligned: AlignedFace, grow: np.ndarray, hair: np.ndarray, out: np.ndarray, loss: np.ndarray,
              memory: Memory, last: Seen, video: bool, params: GrowParams, masks: MaskParams, scalp: ScalpParams,
              color: ColorParams) -> Grown:
    """Draws new hair on ``out`` (R, R, 3) float32 where the decode grows it (``grow`` (R, R), soft),
    from the person's own dense hair (``hair`` (R, R), the hair mask) copied down over it.
    ``loss`` (R, R): where the picture is drawn anew so far. In video, the bay and the copy's
    colours follow the ``last`` frame's, and what this frame drew is kept in ``memory.seen``."""
    size = hair.shape[0]
    landmarks = aligned.landmarks * aligned.scale
    soft = masks.soft * size
    # New hair is drawn from the dense hair, not the thin hair at its edge that lets the skin
    # through, and only from the part the segmenter is sure of; a head with too little of it
    # (a bald head) or under a cap (whose colour would be copied into the new hair) gets none.
    if grow.max() > 0:
        # (Skin the soft hair mask covers, a bay in the hairline, is bare: covered, not copied.)
        bay = _bay(aligned, size, params, scalp, color)
        if video:      # (followed over the frames: its edge, where the copy starts, is no steadier)
            bay = memory.seen.bay = follow(last.bay, bay, params.bay_rate)
        kept = hair * (1.0 - bay)
        dense = dense_hair(kept, masks)
        sure = dense & (cv2.resize(aligned.hair, (size, size), interpolation=cv2.INTER_LINEAR) > params.source_sure)
        # It falls from ``roots`` above the dense hair's lower edge (the mask's edge runs a few
        # pixels into the skin at a hairline: hair drawn from there is pale; a band of dense hair
        # less deep than that has none to fall from) ...
        reach = max(1, int(round(params.roots * size)))
        roots = cv2.erode(sure.astype(np.uint8), np.ones((reach + 1, 1), np.uint8), anchor=(0, 0)) > 0
        total = int(dense.sum())
    else:
        roots = None
    if (roots is None or not roots.any() or total < params.source_min * (grow > 0.5).sum()
            or _under_cap(int(sure.sum()) / total, lambda: _capped_ground(aligned, grow, kept, landmarks, masks),
                          memory, video, params, masks)):
        return Grown(out, loss, np.zeros((size, size), np.float32), None)
    grow = strand_tips(_from_hairline(grow, kept, soft), params)
    strands, source = _copy_strands(out, roots, grow > 0.5, params.fold * size, params)
    # ... in the sure hair's own colour, its lighter part.
    new = grow > 0.5
    strands = lit_like(strands, new, out[sure], params)
    # ... with strands along its fall: fine streaks of light and shade (short or even hair copied
    # down is otherwise a flat slab).
    streaks = noise_pattern(size, params.streaks[0] * size, params.streaks[1] * size)
    strands = np.clip(strands * per_channel(1.0 + params.streak_gain * streaks), 0.0, 1.0)
    down = way_down(new)
    # ... and is drawn up to there, over the thin hair between (else a pale gap shows).
    up = cv2.GaussianBlur(cv2.dilate(grow, np.ones((2 * reach + 1, 1), np.uint8), anchor=(0, 0)), (0, 0), soft)
    grow = np.maximum(grow, up * (1.0 - cv2.GaussianBlur(roots.astype(np.float32), (0, 0), soft)))
    # New hair casts a soft shadow on the skin just below it.
    below = np.roll(grow, int(params.shadow * size), axis=0)
    below[:int(params.shadow * size)] = 0
    shadow = cv2.GaussianBlur(np.clip(below - grow, 0, 1), (0, 0), params.shadow * size)
    out = out * (1.0 - params.shadow_depth * per_channel(shadow))
    loss = np.maximum(loss, shadow * params.shadow_depth)
    # ... thinning out towards its ends (see-through between its clumps, not a slab).
    grow = thin_ends(grow, down, streaks, params)
    if video:
        strands = memory.seen.strands = follow(last.strands, strands, params.strands_rate)
    return Grown(out + per_channel(grow) * (strands - out), loss, grow, source)


_TIPS: dict[tuple, np.ndarray] = {}


def strand_tips(grow: np.ndarray, params: GrowParams = GrowParams()) -> np.ndarray:
    """(R, R) float32: new hair ``grow`` (R, R) whose lower edge ends in clumps of strands of
    uneven length, thinning out, rather than one even line. Fixed per size (no flicker)."""
    size = grow.shape[0]
    key = (size, params.tip_clump)
    if key not in _TIPS:
        # Clumps, not single strands: a comb of one-pixel teeth reads as a saw, not as hair.
        noise = np.random.default_rng(1).random((1, size)).astype(np.float32)
        clumps = cv2.GaussianBlur(noise, (0, 0), sigmaX=params.tip_clump * size, sigmaY=0.1)
        _TIPS[key] = ((clumps - clumps.min()) / np.ptp(clumps))[0].astype(np.float32)
    inside = grow > 0.5
    rows = np.arange(size, dtype=np.float32)[:, None]
    _, bottom = column_span(inside)
    end = bottom - params.tip_length * size * _TIPS[key]
    # Shorter towards its sides, in an arc: a fringe is cut round, not off square at the temples.
    columns = np.flatnonzero(inside.any(axis=0))
    if len(columns) > 1:
        centre, half = (columns[0] + columns[-1]) / 2.0, max((columns[-1] - columns[0]) / 2.0, 1.0)
        end = end - params.fringe_arc * size * ((np.arange(size) - centre) / half) ** 2
    # Each clump thins out over tip_taper above its end; above that, the hair is as it was.
    taper = np.clip((end[None, :] - rows) / (params.tip_taper * size) + 1.0, 0.0, 1.0)
    return (grow * taper).astype(np.float32)


def _from_hairline(grow: np.ndarray, hair: np.ndarray, soft: float) -> np.ndarray:
    """(R, R) float32: new hair ``grow`` reaching up to the hair above it in each column: the
    bare skin between a high or receding hairline and the new hair is covered too (else new
    hair floats on the forehead as a patch); only that run of it, up to the nearest hair
    (wall seen between the head's hair and a patch of a ceiling the segmenter took for hair
    above it was filled too: a streak of hair on the wall beside the head)."""
    new = grow > 0.5
    size = grow.shape[0]
    rows = np.arange(size)[:, None]
    top = column_span(new)[0][None, :]
    # (below the last hair above the new hair's top, in a column with some)
    last = column_span((hair > 0.5) & (rows < top))[1][None, :]
    gap = (last >= 0) & (rows > last) & (rows < top)
    if not gap.any():
        return grow
    # Softened at its sides, not below the new hair's top (its lower edge is the new hair's).
    side = 2 * int(np.ceil(soft)) + 1
    limit = cv2.dilate((rows < top).astype(np.uint8), np.ones((1, side), np.uint8))
    return np.maximum(grow, cv2.GaussianBlur((gap | new).astype(np.float32), (0, 0), soft * 0.5) * limit)


def lit_like(drawn: np.ndarray, where: np.ndarray, hair: np.ndarray, params: GrowParams = GrowParams()) -> np.ndarray:
    """(R, R, 3) float32: new hair ``drawn`` (R, R, 3) in [0, 1] shifted so that its median over
    ``where`` (R, R) bool is the fringe_shade percentile of ``hair`` (N, 3), the hair it falls
    from: its lighter part, as hair falling over the forehead faces the light (as dark as the
    hair's median, it is a dark slab)."""
    if not where.any():
        return drawn
    # (Measured on a few thousand pixels of each: as good, and a millisecond less.)
    new = drawn[where]
    hair, new = hair[::max(1, len(hair) // params.lit_sample)], new[::max(1, len(new) // params.lit_sample)]
    shift = np.percentile(hair, params.fringe_shade, axis=0) - np.median(new, axis=0)
    return np.clip(drawn + shift.astype(np.float32), 0.0, 1.0)


def way_down(new: np.ndarray) -> np.ndarray:
    """(R, R) float32: how far down the new hair ``new`` (R, R) bool each pixel lies in its
    column, 0 at its top and 1 at its lower end (negative above it, past 1 below; inf in a column
    with none)."""
    rows = np.arange(new.shape[0], dtype=np.float32)[:, None]
    first, last = (ends[None, :] for ends in column_span(new))
    down = (rows - first) / np.maximum(last - first, 1.0)
    return np.where(first >= 0, down, np.inf).astype(np.float32)


def thin_ends(grow: np.ndarray, down: np.ndarray, streaks: np.ndarray, params: GrowParams = GrowParams()) -> np.ndarray:
    """(R, R) float32: new hair ``grow`` (R, R) thinning out the farther down the new hair it is
    (``down`` (R, R), ``way_down``; as thin_power of it), down to 1 - thin_ends at its end
    between its clumps (where its ``streaks`` (R, R), unit-spread light and shade, are light) and
    clump_thin of that in them: the skin shows through the ends of real hair, which are not a solid
    slab cut straight across."""
    if not np.isfinite(down).any():
        return grow
    down = np.clip(down, 0.0, 1.0)
    gaps = params.clump_thin + (1.0 - params.clump_thin) * np.clip(0.5 + 0.5 * streaks, 0.0, 1.0)
    return (grow * (1.0 - params.thin_ends * down ** params.thin_power * gaps)).astype(np.float32)


def _bay(aligned: AlignedFace, size: int, params: GrowParams, scalp: ScalpParams, color: ColorParams) -> np.ndarray:
    """(R, R) float32 in [0, 1]: bare skin inside hair the segmenter is sure of, joined to the
    bare forehead: a bay in a receding hairline (often in shadow), which the soft hair mask takes
    for hair. A pixel is skin as far as its a*, b* lie from the hair's towards the forehead
    skin's (bay_share), up to bay_reach of the crop above the face's outline, and bay_grow round
    that over the mask's soft edge. None where hair and skin are not bay_apart in hue (brown or
    blond hair on fair skin) or much of the sure hair has the skin's hue (bay_most)."""
    none = np.zeros((size, size), np.float32)
    lab = to_lab(aligned.crop)
    small = lab.shape[0]
    sample = skin_sample(lab, aligned.landmarks, aligned.hair, scalp)
    own = own_color(lab, aligned.hair, color)
    if own is None or not sample.any():
        return none
    line = np.median(lab[sample][:, 1:], axis=0) - own[0, 1:]
    length = float(np.linalg.norm(line))
    apart = float(np.clip((length - params.bay_apart[0]) / (params.bay_apart[1] - params.bay_apart[0]), 0.0, 1.0))
    if apart == 0.0:
        return none
    weights = np.float32([0.0, *(line / length ** 2)])
    share = cv2.transform(lab, np.append(weights, -weights[1:] @ own[0, 1:])[None].astype(np.float32))
    share = cv2.GaussianBlur(share, (0, 0), params.bay_blur * small)
    skinlike = np.clip((share - params.bay_share[0]) * (1.0 / (params.bay_share[1] - params.bay_share[0])), 0.0, 1.0)
    oval = face_oval(aligned.landmarks, small).astype(np.uint8)
    reach = kernel_width(params.bay_reach, small)
    zone = cv2.dilate(oval, np.ones((reach + 1, 1), np.uint8), anchor=(0, 0))     # (upward)
    # (only skin joined to the bare forehead: not a lit patch of hair, nor the wall)
    count, labels = cv2.connectedComponents(((skinlike > 0.5) & (zone > 0)).astype(np.uint8), connectivity=4)
    joined = np.zeros(count, bool)
    joined[labels[(oval > 0) & (aligned.hair < 0.2)]] = True
    joined[0] = False
    # (Deep inside the sure hair only: the soft edge the segmenter gives every hairline is no bay.)
    bay = skinlike * joined[labels] * apart * sure_hair(aligned, small, params.bay_sure)
    if bay.max() <= 0.0:
        return none
    # Where much of the sure hair has the skin's hue (thin hair over a scalp), hue cannot tell
    # a bay (all of it taken for skin left no hair to draw new hair from).
    hair = aligned.hair > params.bay_sure[1]
    taken = float(bay[hair].sum()) / max(int(hair.sum()), 1)
    bay *= float(np.clip((params.bay_most[1] - taken) * (1.0 / (params.bay_most[1] - params.bay_most[0])), 0.0, 1.0))
    if bay.max() <= 0.0:
        return none
    width = kernel_width(params.bay_grow, small)
    bay = cv2.dilate(bay, np.ones((width, width), np.uint8)) * skinlike
    return cv2.resize(bay.astype(np.float32), (size, size), interpolation=cv2.INTER_LINEAR)


def _under_cap(share: float, ground: Callable[[], float] | None, memory: Memory, video: bool, params: GrowParams,
               mask_params: MaskParams) -> bool:
    """Whether a head is under a cap or hat that the segmenter half takes for hair (0.6-0.8,
    where it is 0.95 on hair): less than sure_share of its dense hair is what it is sure of
    (``share``). In video a head not under one on the last frame is taken to be under one
    only below sure_share less sure_hold (as a head turns, the share dips for a few frames, to
    0.59), so the decision does not blink. Or one it takes for no hair: more than
    cap_share of the new hair's ground is not skin (``ground``, measured only if asked,
    ``_capped_ground``)."""
    capped = share < params.sure_share - (params.sure_hold if memory.capped is False else 0.0)
    if not capped and ground is not None:
        capped = ground() > mask_params.cap_share
    if video:
        memory.capped = capped
    return capped


def _capped_ground(aligned: AlignedFace, grow: np.ndarray, hair: np.ndarray, landmarks: np.ndarray,
                   mask_params: MaskParams) -> float:
    """The share of new hair's ground, where the segmenter sees no hair (``hair`` (R, R) under
    0.5) on the person, that has not the skin's hue (``not_skin_hued``: a cap): the new hair
    ``grow`` (R, R) and, in its columns, the head above it up to the hair there or, with none, to
    its top."""
    size = grow.shape[0]
    new = grow > 0.5
    rows = np.arange(size)[:, None]
    top = column_span(new)[0][None, :]
    last = column_span((hair > 0.5) & (rows < top))[1][None, :]
    above = new.any(axis=0)[None, :] & (rows > last) & (rows < top)
    return not_skin_hued(aligned.detail, landmarks, (new | above) & (hair < 0.5) & on_person(aligned, size), mask_params)


def _copy_strands(image: np.ndarray, source: np.ndarray, new: np.ndarray, depth: float, params: GrowParams
                  ) -> tuple[np.ndarray, np.ndarray]:
    """((R, R, 3) float32, (R, R, 2) float32 the pixel (x, y) each was copied from): hair
    continued downward from ``source`` (R, R) bool over ``new``
    (R, R) bool: below each column's hair, that hair mirrored about its lower edge (up to copy
    of the crop deep, or the column's own depth of hair if less), stretched to reach the new
    hair's lower end by at most stretch (then folded), its own strands and light kept, its
    patches evened out; in a column with no hair above, what the nearest such column drew in
    that row (in a row with none, the nearest hair reflected across its edge, folded every
    ``depth`` pixels); in the hair's own range of colour."""
    size = image.shape[0]
    rows = np.arange(size, dtype=np.float32)[:, None]
    above = np.maximum.accumulate(np.where(source, rows, -1.0), axis=0)   # last hair row above
    # How deep the hair is that ends there, and how far down the new hair reaches, per column.
    run = rows - np.maximum.accumulate(np.where(source, -1.0, rows), axis=0)
    depth_above = np.take_along_axis(run, np.clip(above, 0, size - 1).astype(np.int64), axis=0)
    bottom = column_span(new)[1][None, :]
    reach = np.clip(np.minimum(depth_above, params.copy * size), 1.0, None)
    stretch = np.clip((bottom - above) / reach, 1.0, params.stretch)
    dist = (rows - above) / stretch
    fold = reach - np.abs(np.mod(dist, 2 * reach) - reach)
    copied = (above >= 0) & (depth_above >= 3)
    cols = np.broadcast_to(np.arange(size, dtype=np.float32)[None, :], (size, size))
    map_x, map_y = cols, np.where(copied, above - fold, rows).astype(np.float32)
    if copied.any() and not copied.all():
        # A pixel with no hair above it (a temple, a bald crown) takes what the hair copied
        # down drew nearby (its texture, not the skin at a hair's edge): that copy reflected
        # across its edge, folded every ``depth`` pixels (one column stretched sideways, or a
        # row filled another way, would be a flat block with straight edges).
        reflect_x, reflect_y = reflect_from(copied, depth)
        near_x = np.clip(np.round(reflect_x), 0, size - 1).astype(np.int64)
        near_y = np.clip(np.round(reflect_y), 0, size - 1).astype(np.int64)
        map_x = np.where(copied, cols, near_x)
        map_y = np.where(copied, map_y, map_y[near_y, near_x])
    elif not copied.any():
        map_x, map_y = reflect_from(source, depth)
    map_x, map_y = map_x.astype(np.float32), map_y.astype(np.float32)
    drawn = cv2.blur(cv2.remap(image, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT), (1, 3))
    # Copies of differently lit hair meet in patches: the light is evened out above broad
    # (averaged over the copied hair only: skin or a wall beside it would tint it).
    weight = copied.astype(np.float32)

    def light(sigma: float) -> np.ndarray:
        return wide_blur(drawn * per_channel(weight), sigma) / per_channel(np.maximum(wide_blur(weight, sigma), 1e-3))

    drawn = np.where(copied[..., None], drawn - light(params.broad * size) + light(3 * params.broad * size), drawn)
    # What is not hair-coloured in the copy (skin at a hairline, a wall between thin strands)
    # is pulled to the hair's colour: a copy of it would show as a patch in the new hair.
    lab = to_lab(drawn)
    own = lab[source][::3]
    median = np.median(own, axis=0)
    spread = np.maximum(1.4826 * np.median(np.abs(own - median), axis=0), 1.0)
    offset = lab - median
    offset[..., 1:] *= 0.5
    return from_lab(median + np.clip(offset, -params.outlier * spread, params.outlier * spread)), cv2.merge([map_x, map_y])
