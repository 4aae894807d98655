"""Recolour: the person's own hair in a new colour (``EditPlan.kind`` "color").

    edited = Recolor().draw(scene)

Their hair is recoloured in CIELAB inside the hair mask: its lightness pattern (strands,
highlights) is kept and stretched to the target's spread, its mean moved to the target's
(``mirror.render.color``). Where a pixel mixes hair and skin or wall, only the hair's share of it
moves (``mirror.render.matte``). Nothing outside the hair mask changes. Hair the crop cuts is
followed past it (``mirror.render.beyond``); hair too flat to carry strands made lighter borrows a
donor's (``mirror.render.texture_bank``). In video the mask and its reach past the crop are made
off the frame's path and carried over the next frames where the hair lay.
"""
from __future__ import annotations

import dataclasses
import functools
import threading
from dataclasses import dataclass, field

import cv2
import numpy as np

from mirror.face.align import IDENTITY, crop_move, middle_move, then
from mirror.face.regions import (EYES, NOSE_TIP, edge_margin, edit_limit, eyes, face_interior, face_oval,
                                 hair_reach)
from mirror.render.base import Effect, Scene, unchanged
from mirror.render.beyond import BeyondParams, at_edges, edges_shown, fade_cut, recolored_beyond, wall_contrast
from mirror.render.color import ColorParams, color_table, move, near_hair, pixels_color, sampled, scene_target
from mirror.render.colortable import ColorTable, recolor_box
from mirror.render.imaging import kernel_width, median, nonzero_box, wide_blur
from mirror.render.lab import from_codes, to_lab
from mirror.render.masks import MaskParams, dense_hair, editable, hair_mask, hanging, sure_hair
from mirror.render.matte import Mix, MatteParams, hair_matte, remix, shadow_on_wall, skin_beside
from mirror.render.memory import Memory, Seen, follow, held_until, mask_worker, warped
from mirror.render.texture_bank import lighten
from mirror.types import AlignedFace, Beyond, EditedFace, EditPlan


@dataclass(frozen=True)
class RecolorParams:
    """The recolouring's mask and reach (lengths as shares of the crop unless said)."""

    masks: MaskParams = field(default_factory=MaskParams)
    color: ColorParams = field(default_factory=ColorParams)
    matte: MatteParams = field(default_factory=MatteParams)
    beyond: BeyondParams = field(default_factory=BeyondParams)
    # skin is looked for within this of the face's outline; farther out, skin-coloured hair is hair
    skin_zone: float = 0.04
    # ... and not where the segmenter is this sure of hair (from / wholly),
    hair_certain: tuple[float, float] = (0.9, 0.97)
    certain_inset: float = 0.02      # ... this far inside its edge (skin-coloured hair: a blond fringe),
    # ... nor, for hair whose colour the skin's is within ``MatteParams.mix_contrast`` of (wholly /
    # not), where it takes it for hair (from / wholly), as far inside: colour cannot tell such hair
    # from skin, so the segmenter's call does (it gives a see-through blond fringe 0.8-0.9, under
    # ``hair_certain``)
    hair_taken: tuple[float, float] = (0.6, 0.85)
    darker: float = 10.0             # a recolouring this much darker in L* (light hair made dark) ...
    # ... takes hair over the protected face where the segmenter is this sure (from / wholly)
    hang_sure: tuple[float, float] = (0.6, 0.85)
    # ... and is this close to the hair's colour (its spreads: wholly / not)
    hang_color: tuple[float, float] = (2.0, 3.5)
    # hair beyond the eyes' outer corners is recoloured where the segmenter is this sure of it (from / wholly)
    eyes_sure: tuple[float, float] = (0.93, 0.99)
    color_inset: float = 0.015       # the recolouring reaches this far into the protected face
    matte_reach: float = 0.008       # ... and this far beyond the hair mask
    island: float = 0.01             # ... and no patch of it (above this) that sure hair does not join
    # ... its soft edge's outer half this many times steeper where hair meets a wall of its colour (a
    # haze, a glow)
    crisp: float = 4.0
    # ... not where what is beside it is skin this surely on the person (not / wholly): a forehead
    on_person: tuple[float, float] = (0.9, 0.98)
    # a donor's hair detail makes up this much of the lightness spread flat hair lacks
    # (``texture_bank``)
    lend_gain: float = 0.8
    # ... when made lighter by this much in L* (wholly from the second)
    lend_lighter: tuple[float, float] = (5.0, 15.0)
    # ... in video, staying where they lay on the frame unless the crop moves more than this,
    lent_slack: float = 0.05
    lent_return: float = 0.02        # ... and settling back to the crop at this rate a frame,
    lent_rate: float = 0.35          # ... followed at this rate a frame (a new donor's strands fade in)
    # ... fading out over this share of the crop to its edge (past it, none is lent)
    lent_fade: float = 0.15
    # Video: a mask made on an earlier frame's crop stays where it lay on the frame while the crop
    # has moved less than this since (wholly / not at all) ...
    carried_still: tuple[float, float] = (0.008, 0.016)
    # ... and a crop moving this much a frame is a head moving fast: its mask is made on the frame
    fast_head: float = 0.008
    # a crop moved less than this many of the detail crop's pixels since leaves its carried mask
    # where it was made (a warp by less is a blur, not a move)
    carried_least: float = 0.25
    # a carried mask grows this far past its edge onto pixels now hair (``remix``) ...
    swung: float = 0.015
    swung_hair: tuple[float, float] = (0.25, 0.75)   # ... as the frame's segmenter takes them (from / wholly)
    # The worker thread starts on the next mask once the one in use has served this many frames
    # (the mask is the costliest part of a recolouring; the frames between carry and remix it)
    mask_start: int = 2
    # A mask made on the worker thread is taken as soon as it is done; once the next is asked for,
    # the one in use serves at most this many less ``mask_start`` frames more (then the frame waits
    # for it): a frame never waits on a busy machine's background thread while its mask is at most
    # a frame older than usual.
    mask_frames: int = 4
    # A head at rest keeps its hair where the mask found it: while the crop has moved less than
    # this share of it since the mask in use was made, the next is asked for only once that one
    # has served ``mask_rest`` frames (the worker's mask is most of a recolouring's cost)
    mask_still: float = 0.004
    mask_rest: int = 12
    # ... and starts once the frame that asked for it is composed, or at the latest this many
    # seconds after it asked (``memory.held_until``)
    mask_hold: float = 0.05
    # With less of the crop than this seen as wall (off person and hair), or a wall whose colour
    # cannot be told from the hair's (``BeyondParams.beyond_contrast``), ...
    wall_scarce: float = 0.1
    # ... dark hair's recolouring reaches no farther than this times the skull's size
    hair_reach: float = 1.3
    dark_hair: tuple[float, float] = (20.0, 30.0)  # ... hair this dark in L* (wholly / not at all)
    reach_edge: float = 0.15         # ... fading out over this share of it


def measure_colors(aligned: AlignedFace, memory: Memory, video: bool, color: ColorParams, matte: MatteParams,
                   masks: MaskParams) -> tuple[np.ndarray | None, np.ndarray | None]:
    """(the hair's own colour (2, 3) or None, the face's skin colour (3,) or None): the colours a
    recolouring moves from, followed over a video's frames (and kept in ``memory``). Only the
    pixels sampled are taken to CIELAB; in video, on every ``measure_every``-th frame only."""
    if video and memory.own_color is not None and memory.color_age + 1 < color.measure_every:
        memory.color_age += 1
        return memory.own_color, memory.skin
    memory.color_age = 0
    # (the pixels sampled picked by index: only they are gathered)
    lab = lambda where: (to_lab(np.take(aligned.crop.reshape(-1, 3), where, axis=0)[None])[0] if len(where)
                         else np.zeros((0, 3), np.float32))
    own = pixels_color(lab(sampled(np.flatnonzero(aligned.hair > color.hair_sure), color.color_sample)), color)
    interior = np.flatnonzero(face_interior(aligned.landmarks, aligned.crop.shape[0]))
    skin = median(np.ascontiguousarray(lab(interior[::4]).T)) if len(interior) else None
    # A bald head's lit rim, which the segmenter takes for hair (0.8-0.9), is not hair to
    # recolour: skin-coloured "hair" (within mix_contrast[0] of the skin) with hardly any of it
    # dense (under bare_rim of the crop: made black, it wore a black arc).
    if (own is not None and skin is not None and np.linalg.norm(own[0] - skin) < matte.mix_contrast[0]
            and dense_hair(aligned.hair, masks).mean() < color.bare_rim):
        own = None
    if video:
        rate = 1.0 - (1.0 - color.color_rate) ** color.measure_every
        own = follow(memory.own_color, own, rate)
        skin = follow(memory.skin, skin, rate)
    memory.own_color, memory.skin = own, skin
    return own, skin


class Recolor(Effect):
    """The person's own hair in the plan's colour (``EditPlan.color``, at ``EditPlan.amount``)."""

    def __init__(self, params: RecolorParams = RecolorParams()):
        self.params = params

    def draw(self, scene: Scene) -> EditedFace:
        params, aligned, plan, memory = self.params, scene.aligned, scene.plan, scene.memory
        own, skin = measure_colors(aligned, memory, scene.video, params.color, params.matte, params.masks)
        if own is None:
            return unchanged(scene)
        size = aligned.detail.shape[0]
        table, shift, target = _table(own, skin, plan, memory, scene.video, params.color)
        darker = shift < -params.darker
        if scene.video:
            mask, box, mixed, reach, codes = _video_mask(aligned, own, skin, darker, memory, params)
        else:
            mask, box, mixed, _, reach = made_mask(aligned, own, skin, darker, params)
            mixed, codes = None if box is None else mixed[box], None
        if box is None:
            return unchanged(scene)
        # Hair made lighter shows strands a dark photo hid; hair made darker hides them anyway.
        lighter = min(max((shift - params.lend_lighter[0]) / (params.lend_lighter[1] - params.lend_lighter[0]), 0.0), 1.0)
        strands = lent = None
        if scene.textures is not None and lighter > 0:
            textures = scene.textures
            # (in video, chosen again with each new mask only: the donor in use is kept unless
            # another fits its shape much better, and the shape is the mask's)
            if not scene.video or memory.donor is None or memory.mask_uses == 1:
                memory.donor = textures.pick(mask, memory.donor if scene.video else None,
                                             lightness=to_lab(aligned.crop)[..., 0])
            lent = textures.detail_at(memory.donor, size)
            if scene.video:
                # (placed on the hair, which the crop slides over as the face moves in it, and
                # followed over the frames: a new donor fades in, its strands do not pop)
                lent = _follow_lent(_place_lent(lent, aligned, box, scene.last.lent_at, memory.seen, params),
                                    box, size, scene.last.lent, memory.seen, params.lent_rate)
            else:
                lent = lent[box]
            # (fading out towards the crop's edge, where the recolouring past it has none)
            lent = lent * _edge_ramp(size, params.lent_fade)[box]
            strands = functools.partial(lighten, detail_spread=float(textures.spread[memory.donor]),
                                        spread=float(target[1, 0]), gain=params.lend_gain * lighter)
        edited = recolor_box(aligned.detail, table, mask, box, mixed, strands, lent, codes)
        return dataclasses.replace(edited, beyond=None if reach is None else dataclasses.replace(reach, table=table))



def _table(own: np.ndarray, skin: np.ndarray | None, plan: EditPlan, memory: Memory, video: bool,
           params: ColorParams) -> tuple[ColorTable, float, np.ndarray]:
    """(the colour table moving hair of colour ``own`` to the plan's colour, the move's shift in L*,
    the target (2, 3) in the scene's light): made again only when the plan or the colours change
    (in video the colours are measured on every ``measure_every``-th frame, and the table made
    again once they have drifted ``table_drift`` from those it was made for)."""
    inputs = (own, skin, plan.color, plan.skin, plan.amount)
    if memory.table is not None:
        (own_then, skin_then, *plan_then), made = memory.table
        drift = params.table_drift if video else 0.0
        if (_near(own_then, own, drift) and _near(skin_then, skin, drift)
                and all(map(np.array_equal, plan_then, inputs[2:]))):
            return made
    target = scene_target(plan.color, plan.skin, skin, params)
    table = color_table(own, target, plan.amount, warm=True, skin=skin, params=params)
    shift = float(move(own, target, plan.amount, params=params)[0][0] - own[0, 0])    # in L* (which warmth leaves)
    memory.table = inputs, (table, shift, target)
    return table, shift, target


def _near(then: np.ndarray | None, now: np.ndarray | None, drift: float) -> bool:
    """Whether colours ``now`` are those ``then`` (the very arrays), or within ``drift`` of them."""
    if then is now:
        return True
    return then is not None and now is not None and float(np.abs(now - then).max()) < drift


def shaped_mask(aligned: AlignedFace, own: np.ndarray, skin: np.ndarray | None, darker: bool,
                params: RecolorParams) -> tuple[np.ndarray, tuple[slice, slice] | None, np.ndarray, Mix | None, float | None]:
    """``recolor_mask``'s (mask, box, mixed, mix) with the mask held within the head's reach and
    faded before the crop's edges where colour cannot tell the hair from the wall (``shape``),
    and the ``wall_contrast`` measured for it (or None: not needed)."""
    mask, box, mixed, mix = recolor_mask(aligned, own, skin, darker, params)
    if box is None:
        return mask, box, mixed, mix, None
    mask, trust = shape(aligned, mask, own, params)
    return mask, box, mixed, mix, trust


def shape(aligned: AlignedFace, mask: np.ndarray, own: np.ndarray, params: RecolorParams) -> tuple[np.ndarray, float | None]:
    """(the recolouring's (R, R) ``mask`` of hair of colour ``own`` held within the head's reach
    and faded before the crop's edges where colour cannot tell the hair from the wall, the
    ``wall_contrast`` measured for it or None)."""
    size = mask.shape[0]
    # Dark hair with hardly any wall beside it in the crop (a dark head on a dark wall,
    # which the segmenter takes for hair up to the crop's edge) reaches no farther than
    # a head's hair does: rounded, not the crop's square.
    # The same where the wall's colour is the hair's (a black, speckled backdrop behind
    # black curls): the mask cannot tell them apart there either.
    trust = None               # (measured only where needed: a few tenths of a ms)
    unsure = float(min(max((params.dark_hair[1] - own[0, 0]) / (params.dark_hair[1] - params.dark_hair[0]), 0.0), 1.0))
    if unsure > 0.0:
        wall = float(((aligned.person < 0.2) & (aligned.hair < 0.2)).mean())
        trust = wall_contrast(aligned, own, params.beyond, params.color)
        unsure *= max(min(max(1.0 - wall / params.wall_scarce, 0.0), 1.0), 1.0 - trust)
    if unsure > 0.0:
        reach = cv2.resize(hair_reach(aligned.landmarks, aligned.crop.shape[0], params.hair_reach, params.reach_edge),
                           (size, size), interpolation=cv2.INTER_LINEAR)
        mask = mask * (1.0 - unsure + unsure * reach)
        # Off the face its soft outer edge, and the reach's, fall off steeply (``crisp``): there
        # it lies on a wall as dark as the hair, which made lighter glowed round the head.
        steep = np.minimum(np.clip((mask - 0.5) * params.crisp + 0.5, 0.0, 1.0), mask)
        mask = mask + (unsure * (1.0 - _face_zone(aligned, size, params))) * (steep - mask)
    # Hair the crop cuts is followed on past it where its colour can be told from the
    # wall's (``recolored_beyond``); where it cannot, its new colour fades out before the
    # crop's edge (its ends left as they were, as dyed hair grown out), not cut straight across.
    if at_edges(mask):
        trust = wall_contrast(aligned, own, params.beyond, params.color) if trust is None else trust
        if trust < 1.0:
            mask = fade_cut(mask, trust, edges_shown(aligned, size, params.masks), crown=aligned.sees_past,
                            params=params.beyond, mask_params=params.masks)
    return mask, trust


def made_mask(aligned: AlignedFace, own: np.ndarray, skin: np.ndarray | None, darker: bool,
              params: RecolorParams
              ) -> tuple[np.ndarray, tuple[slice, slice] | None, np.ndarray, Mix | None, Beyond | None]:
    """``shaped_mask``'s (mask, box, mixed, mix) and the mask's reach past the crop
    (``recolored_beyond``'s, its table given per frame) or None: all of a recolouring that a video makes
    on one frame (on the worker thread) and carries over the next."""
    mask, box, mixed, mix, trust = shaped_mask(aligned, own, skin, darker, params)
    reach = None if box is None else recolored_beyond(aligned, mask, own, trust, params.beyond, params.color)
    return mask, box, mixed, mix, reach


def _video_mask(aligned: AlignedFace, own: np.ndarray, skin: np.ndarray | None, darker: bool,
                memory: Memory, params: RecolorParams
                ) -> tuple[np.ndarray, tuple[slice, slice] | None, np.ndarray, Beyond | None, np.ndarray | None]:
    """``made_mask``'s (mask, box, mixed over the box, reach) in video, and the box's 8-bit CIELAB
    codes where it measured them (else None), off the frame's path: a mask made (and shaped) from
    one frame's crop on the worker thread serves the frames after it until the next is done
    (``mask_start``, ``mask_frames``; on a head at rest, ``mask_rest``), each pixel's share of hair
    measured again on the frame it is used on (``remix``). The first frame of a face or a style (or
    of hair made darker after lighter) makes its own; so does a frame of a head moving fast
    (``_quick_mask``)."""
    last, memory.last_crop = memory.last_crop, aligned.to_crop
    size = aligned.crop.shape[0]
    made = memory.next_mask
    late = memory.mask_uses >= memory.mask_asked + params.mask_frames - params.mask_start
    if made is not None and (made.done() or late):
        memory.next_mask = None
        memory.color_mask, memory.mask_uses, memory.mask_from = made.result(), 0, memory.next_from
    fresh = (memory.color_mask is None or memory.color_mask[0].shape != aligned.detail.shape[:2]
             or darker != memory.mask_darker)
    if fresh:
        memory.color_mask, memory.mask_uses = made_mask(aligned, own, skin, darker, params), 0
        memory.mask_from, memory.next_mask = aligned.to_crop, None
    elif (memory.mask_uses >= params.mask_start and memory.next_mask is None
          and (memory.mask_uses >= params.mask_rest
               or crop_move(memory.mask_from, aligned.to_crop, size)[1] >= params.mask_still * size)):
        memory.held, memory.mask_asked = (aligned, threading.Event()), memory.mask_uses
        memory.next_mask = mask_worker().submit(held_until, memory.held[1], params.mask_hold, made_mask, aligned,
                                                own, skin, darker, params)
        memory.next_from = aligned.to_crop
    memory.mask_uses += 1
    memory.mask_darker = darker
    mask, box, mixed, mix, reach = memory.color_mask
    if fresh or box is None:
        return mask, box, None if box is None else mixed[box], reach, None
    if last is not None and crop_move(last, aligned.to_crop, size)[1] >= params.fast_head * size:
        # A head moving fast: turning, it leaves the hair's old place, and a mask carried there
        # painted the forehead and the wall (a pale crescent, an olive band). (Judged frame by
        # frame: a head gliding steadily has each frame's mask made alike; judged on the carried
        # mask's age, every other one was made, and its edge shimmered.)
        mask, box, mixed = _quick_mask(aligned, own, skin, darker, params)
        if box is None:
            return mask, box, mixed, None, None
        # (the reach past the crop made with the last mask moves with the crop: the hair past it
        # goes where the head goes)
        return shape(aligned, mask, own, params)[0], box, mixed[box], reach, None
    # Made from an earlier frame's crop. The crop follows the face's landmarks, which slide
    # slowly over still hair (a smile, the eyes turning): while the crop moves slowly, the mask
    # stays where it lay on the frame; a head that moves fast takes its hair with the crop
    # (``carried``).
    mask = mask.copy()
    matrix = carried(memory.mask_from, aligned.to_crop, size, aligned.scale, params)
    mixed = mixed[box]
    if matrix is not None:
        # (of the mix, only the share then moves: the colours beside are smooth over more; the
        # three in one warp, which costs two thirds of three)
        mask[box], mixed, matte = cv2.split(warped(cv2.merge([mask[box], mixed, mix.matte]), matrix, box))
        mix = mix._replace(matte=matte)
        if reach is not None:
            reach = dataclasses.replace(reach, mask=_carried_outside(reach.mask, matrix, aligned.scale))
    # Where the hair has moved since all the same (a turning head) and left the mask's soft edge
    # for the wall, that edge would light up the wall (a lime halo round hair on a green
    # backdrop): the share of hair is measured again on this frame's pixels, against the colours
    # it was measured against then.
    side = aligned.detail.shape[0]
    codes = cv2.cvtColor(np.ascontiguousarray(aligned.detail[box]), cv2.COLOR_BGR2LAB)
    mask[box] = remix(mix, from_codes(codes), mask[box], sure_hair(aligned, side, params.swung_hair)[box],
                      int(round(params.swung * side)))
    return mask, box, mixed, reach, codes


def _carried_outside(outer: np.ndarray, matrix: np.ndarray, scale: int) -> np.ndarray:
    """A (2S, 2S) mask of the outer square (the crop in its middle) moved as ``carried``'s
    ``matrix`` (in the ``scale`` times larger detail crop's pixels) moves the crop's."""
    middle = outer.shape[0] / 4.0               # (the crop's corner in the outer square)
    moved = matrix.astype(np.float64)
    moved[:, 2] = moved[:, 2] / scale + middle - moved[:, :2].sum(axis=1) * middle
    return cv2.warpAffine(outer, moved, outer.shape[1::-1], flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


def _quick_mask(aligned: AlignedFace, own: np.ndarray, skin: np.ndarray | None,
                darker: bool, params: RecolorParams) -> tuple[np.ndarray, tuple[slice, slice] | None, np.ndarray]:
    """``recolor_mask``'s (mask, box, mixed) made on the model's crop (``scale`` times smaller than
    the detail crop: a quarter of the cost, on the frame's path) and sized up; for a frame of a
    head moving fast, whose blur hides the finer edge."""
    small = dataclasses.replace(aligned, detail=aligned.crop)
    mask, box, mixed, _ = recolor_mask(small, own, skin, darker, params)
    size, scale = aligned.detail.shape[0], aligned.scale
    mask = cv2.resize(mask, (size, size), interpolation=cv2.INTER_LINEAR)
    mixed = cv2.resize(mixed, (size, size), interpolation=cv2.INTER_LINEAR)
    if box is not None:
        box = tuple(slice(part.start * scale, part.stop * scale) for part in box)
    return mask, box, mixed


def carried(made_from: np.ndarray, to_crop: np.ndarray, size: int, scale: int,
            params: RecolorParams = RecolorParams()) -> np.ndarray | None:
    """(2, 3) what moves a video mask made on the crop of frame-to-crop matrix ``made_from``
    (2, 3) to where it lay on the frame, in the crop ``to_crop`` (2, 3) cuts now (in the
    ``scale`` times larger detail crop's pixels): wholly while the crop (``size`` pixels) has
    moved less than carried_still[0] of it since, not at all from carried_still[1] (a head that
    moves fast takes its hair with it); None where that moves it less than carried_least."""
    off, moved = crop_move(made_from, to_crop, size)
    still = min(max((params.carried_still[1] * size - moved)
                    / ((params.carried_still[1] - params.carried_still[0]) * size), 0.0), 1.0)
    if moved * still * scale < params.carried_least:
        return None
    matrix = IDENTITY + still * off
    matrix[:, 2] *= scale
    return matrix


def _place_lent(lent: np.ndarray, aligned: AlignedFace, box: tuple[slice, slice],
                before: tuple[np.ndarray, np.ndarray] | None, seen: Seen, params: RecolorParams) -> np.ndarray:
    """The ``box`` of a donor's (R, R) ``lent`` detail as video places it: where it lay on the frame before
    (``before``, ``Seen.lent_at``, which this frame's ``seen`` takes), unless the crop has since
    moved more than lent_slack from it, which it then follows; it settles back to the crop at
    lent_return a frame. The crop follows the face's landmarks, which slide over the hair as the
    face turns or smiles: strands fixed in it swam over still hair."""
    size = aligned.crop.shape[0]
    at = IDENTITY
    if before is not None:
        # (the crop's move since, as the frame's: the lent detail stays where it was on it)
        off = then(before[0], IDENTITY + crop_move(before[1], aligned.to_crop, size)[0]) - IDENTITY
        slack = params.lent_slack * size / max(middle_move(off, size), 1e-9)
        at = IDENTITY + off * ((1.0 - params.lent_return) * min(1.0, slack))
    seen.lent_at = (at, aligned.to_crop)
    matrix = at.copy()
    matrix[:, 2] *= aligned.scale       # (in the detail crop's pixels)
    matrix[:, 2] -= (box[1].start, box[0].start)
    return cv2.warpAffine(lent, matrix, (box[1].stop - box[1].start, box[0].stop - box[0].start),
                          flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)


def _follow_lent(placed: np.ndarray, box: tuple[slice, slice], size: int, before: np.ndarray | None, seen: Seen,
                 rate: float) -> np.ndarray:
    """The lent detail over ``box`` followed from the frame ``before``'s (R, R) at ``rate``
    (``follow``), the whole kept in ``seen``. Only the box is placed: past it the detail is as
    it was last placed (the box moves with the mask, a little a frame)."""
    fresh = before is None or before.shape != (size, size)      # (a new face, or crop size: as placed)
    whole = np.zeros((size, size), np.float32) if fresh else before.copy()
    whole[box] = follow(None if fresh else whole[box], placed, rate)
    seen.lent = whole
    return whole[box]


def _beyond_eyes(landmarks: np.ndarray, size: int) -> np.ndarray:
    """(1, R) float32 in [0, 1]: 1 in the columns beyond either eye's outer corner (away from the
    nose), fading out over the outer half of the eye."""
    cols = np.arange(size, dtype=np.float32)
    middle = float(landmarks[NOSE_TIP, 0])
    out = np.zeros(size, np.float32)
    for contour in EYES:
        x = landmarks[contour, 0]
        half = max(float(np.ptp(x)) / 2.0, 1.0)
        out = np.maximum(out, np.clip((x.min() + half - cols) / half if x.mean() < middle
                                      else (cols - x.max() + half) / half, 0.0, 1.0))
    return out[None, :]


@functools.cache
def _edge_ramp(size: int, fade: float) -> np.ndarray:
    """(S, S) float32: 0 at the edge of a ``size``-pixel crop (within ``edge_margin``), rising
    to 1 over ``fade`` of it."""
    margin = edge_margin(size)
    ramp = np.clip((np.minimum(np.arange(size), size - 1 - np.arange(size)) - margin)
                   / max(fade * size - margin, 1.0), 0.0, 1.0).astype(np.float32)
    return np.outer(ramp, ramp)


def _face_zone(aligned: AlignedFace, size: int, params: RecolorParams) -> np.ndarray:
    """(R, R) float32 in [0, 1]: the face's oval grown by skin_zone, softened: where skin is
    looked for beside the hair."""
    grow = kernel_width(params.skin_zone, size)
    oval = face_oval(aligned.landmarks * aligned.scale, size).astype(np.uint8)
    return wide_blur(cv2.dilate(oval, np.ones((grow, grow), np.uint8)).astype(np.float32), params.masks.soft * size)


def recolor_mask(aligned: AlignedFace, own: np.ndarray, skin: np.ndarray | None, darker: bool, params: RecolorParams
                 ) -> tuple[np.ndarray, tuple[slice, slice] | None, np.ndarray, Mix | None]:
    """((R, R) float32 mask, its box or None when empty, (R, R) float32 ``recolor``'s
    ``mixed``, ``hair_matte``'s ``Mix`` over the box or None): where and how much a
    recolouring of hair of colour ``own`` applies: the hair mask reached a little beyond its
    edge (the matte tells hair from wall or skin there, and where a pixel is a mix of them),
    outside the protected face; ``darker``: the hair is made darker by more than ``darker`` (what
    else is dark goes dark with it)."""
    size = aligned.detail.shape[0]
    hair = hair_mask(aligned, aligned.detail, params.masks)
    # Hair that falls just inside the face's outline is recoloured too (the matte keeps the
    # skin), and long hair below the chin (the hair mask tells it from the shoulders).
    landmarks = aligned.landmarks * aligned.scale
    keep_out = editable(landmarks, size, params.color_inset, below_chin=True, params=params.masks)
    # So is hair that hangs over the protected face (a fringe over the eyes): it is hair, and
    # stopping at the brows would cut its strands straight across.
    # Not the eyes, nor what lies round them (its lashes and make-up): the mask's edge, snapped to
    # them, made them light-rimmed or dark-rimmed. But hair the segmenter is sure of beyond their
    # outer corners (at the temples) is recoloured: left in its colour, it is a patch by each eye.
    temples = sure_hair(aligned, size, params.eyes_sure) * _beyond_eyes(landmarks, size)
    spared = np.maximum(eyes(landmarks, size, margin=0.0), eyes(landmarks, size) * (1.0 - temples))
    over = hanging(hair, keep_out) * edit_limit(landmarks, size, below_chin=True) * (1.0 - spared)
    if darker:
        # (Made darker, only where the segmenter itself is sure of it: the guided filter
        # snaps its doubtful edge to a brow or a made-up eyelid, which would go dark with the
        # hair. Made lighter, a fringe takes all its strands: one left dark is a streak.)
        over *= sure_hair(aligned, size, params.hang_sure)
    protected = 1.0 - keep_out
    keep_out = np.maximum(keep_out, over)
    reach = kernel_width(params.matte_reach, size)
    reached = cv2.dilate(hair, np.ones((reach, reach), np.uint8))
    mask = reached * keep_out
    mixed = np.zeros_like(mask)
    if mask.max() <= 1.0 / 255:
        return mask, None, mixed, None
    # Only the hair's box is recoloured: the rest of the crop stays as it is.
    (top, bottom), (left, right) = nonzero_box(mask > 1.0 / 255)
    box = slice(top, bottom), slice(left, right)
    # Skin is looked for only on and around the face: farther out, skin-coloured hair (blond
    # on fair skin) is hair.
    zone = _face_zone(aligned, size, params)
    # A shadow on the wall beside the hair is not hair (``shadow_on_wall``), where the segmenter is
    # not sure of hair, off the face (whose skin the matte tells from hair itself).
    doubt = (1.0 - sure_hair(aligned, size, params.hair_certain)[box]) * (1.0 - zone[box])
    # (Not where the segmenter is sure of hair well inside its edge: hair there even in the
    # skin's colour. Nor, for hair of about the skin's colour, where it takes it for hair at
    # all: only its call tells them apart; dark hair's is told by colour, and the skin between
    # a dark fringe and the brows that the segmenter half takes in stays skin.)
    certain = sure_hair(aligned, size, params.hair_certain, params.certain_inset)[box]
    alike = 0.0 if skin is None else float(min(max(
        (params.matte.mix_contrast[1] - np.linalg.norm(own[0] - skin)) / (params.matte.mix_contrast[1] - params.matte.mix_contrast[0]), 0.0), 1.0))
    if alike > 0.0:
        certain = np.maximum(certain, alike * sure_hair(aligned, size, params.hair_taken, params.certain_inset)[box])
    zone = zone[box] * (1.0 - certain)       # (the box's only, from here on)
    lab = to_lab(aligned.detail[box])
    matte, mixed[box], mix = hair_matte(lab, own, hair[box], skin, zone, unmixed=True, params=params.matte,
                                         color_params=params.color)
    matte *= 1.0 - shadow_on_wall(lab, own, matte, size, params.matte, params.color, params.masks) * doubt
    # Where the matte cannot tell the hair from the wall beside it (white hair on a white wall
    # made darker, black hair on a black wall made lighter), the hair's soft edge tinted the
    # wall in a haze round the head (made lighter, a glow): off the face, there its outer
    # half falls off steeply (hair left as it was there is as dark or light as the wall). Its
    # inner half is not raised: where the segmenter half takes a wall for hair (a grey shadow on
    # it), that made a blotchy stain.
    soft = reached[box] * matte
    crisp = np.minimum(np.clip((soft - 0.5) * params.crisp + 0.5, 0.0, 1.0), soft)
    unsure = (1.0 - mixed[box]) * (1.0 - zone)
    if skin is not None:
        # (Nor where the hair meets the forehead above the face's outline, which the zone does
        # not reach on a high forehead: beside the hair is skin, of the person, not a wall.
        # Steep there, grey hair made dark ended in a cut across the forehead, a painted cap.)
        person = cv2.resize(aligned.person, (size, size), interpolation=cv2.INTER_LINEAR)[box]
        unsure *= 1.0 - skin_beside(mix.beside, skin, params.matte) * np.clip(
            (person - params.on_person[0]) * (1.0 / (params.on_person[1] - params.on_person[0])), 0.0, 1.0)
    sure = sure_hair(aligned, size, (params.color.hair_sure, 1.0))[box]
    if not darker:
        # (made lighter, not where the segmenter is sure of hair: brown hair before a wooden
        # wall of its colour came out in dark patches)
        unsure *= 1.0 - sure
    mask[box] = keep_out[box] * (soft + unsure * (crisp - soft))
    # Made darker, over the protected face only what has the hair's own colour (a brow or
    # an eye's make-up under a light fringe is not hair: made dark, it is a stain).
    hung = nonzero_box((mask > 1.0 / 255) & (protected > 0.0)) if darker else None
    if hung is not None:
        part = slice(*hung[0]), slice(*hung[1])
        alike = near_hair(to_lab(aligned.detail[part]), own, params.hang_color, params.color.floor)
        mask[part] *= 1.0 - protected[part] * (1.0 - alike)
    # A patch of it not joined to hair the segmenter is sure of is not hair (a spot on a blond's
    # forehead half taken for hair, in the hair's colour: made black, a blot).
    count, patches = cv2.connectedComponents((mask[box] > params.island).astype(np.uint8), connectivity=8)
    if count > 2:
        joined = np.zeros(count, bool)
        joined[patches[sure > 0.0]] = True
        if joined[1:].any():        # (where the segmenter is sure of no hair, all of it stays)
            joined[0] = True
            mask[box] *= joined[patches]
    return mask, box, mixed, mix

