"""Remove: where the decode takes hair away, bare scalp inside the head and the wall behind
outside it (bald, receding: the removal half of ``mirror.render.reshape``).

    taken = take_hair(aligned, plan, hair, loss, keep_out, free, measured, RemoveParams(), ...)
    bared = bare(aligned, plan, plate, out, hair, taken, measured, memory, RemoveParams(), ...)
    edited = retake(edited, later.hair, later.person)     # a later frame's hair goes too

The scalp is the skull from the landmarks grown to the person's own outline less a layer of hair,
in the person's skin colour (``mirror.render.scalp``); the wall is the video's background plate,
or the wall beside the head continued across. Hair that leaves the crop goes on past it too
(``mirror.render.beyond.removed_beyond``).
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import NamedTuple

import cv2
import numpy as np

import mirror.render.eyebrows as eyebrows
from mirror.edit import shapes
from mirror.face.regions import EYES, MOUTH, brow_line, brows, eyes, face_interior, face_oval, joined_to, skull_axes
from mirror.render.color import ColorParams, Measured, near_hair
from mirror.render.imaging import kernel_width, noise_pattern, nonzero_box, over, per_channel
from mirror.render.lab import to_lab
from mirror.render.masks import MaskParams, hanging, not_skin_hued, off_person, on_person
from mirror.render.matte import MatteParams, skinlike
from mirror.render.memory import Memory
from mirror.render.plate import BackgroundPlate, fill_holes
from mirror.render.scalp import (ScalpParams, above_brows, draw_scalp, forehead_box, forehead_tone, grown_skull,
                                 on_skull, scalp_outline)
from mirror.types import AlignedFace, EditedFace, EditPlan, Removal


@dataclass(frozen=True)
class RemoveParams:
    """Which hair goes, and how the bared scalp and wall meet what stays (lengths as shares of the crop)."""

    # a fringe a style takes wherever it lies goes where hair is this likely (not / wholly),
    unsure: tuple[float, float] = (0.05, 0.2)
    # ... of the hair's colour and this much darker than the skin in L* (not / wholly)
    darker_strands: tuple[float, float] = (0.0, 6.0)
    # hair taken away under a hat (``not_skin_hued`` over this share of the crop, at cap_share) ...
    hat_ground: float = 0.01
    # ... goes only where the segmenter is this sure of it (not / wholly)
    hat_sure: tuple[float, float] = (0.5, 0.8)
    # a later frame's hair is taken (``retake``) where that draws this much more, if as much as this
    # share of the crop
    retake_min: tuple[float, float] = (0.1, 1e-3)
    wisps: float = 0.04              # bald scalp reaches this far below the hair that goes
    dip_width: float = 0.012         # a removal's weight: its dips narrower than this are filled ...
    dip_from: float = 0.5            # ... where it is over this (``close_dips``)
    hung_from: float = 0.04          # hair over the face goes if the hair this far above the brows does,
    # ... (below the brows' arc, wholly where the segmenter is this sure of it,
    hung_whole: float = 0.15
    hung_faint: float = 0.05         # ... with its strands' soft edge joined to it down to this)
    hung_eyes: float = 0.1           # ... up to this many eye widths from the eyes;
    # ... and where long hair goes whole, the strands over the cheeks joined to it this sure
    beside_sure: float = 0.35
    # thinning hair: its strands are its detail finer than this (Gaussian sigma)
    thin_detail: float = 0.008
    # ... in robust spreads of at least this (L*: dark hair's faint detail, JPEG blocks, is no plaid)
    thin_flat: float = 6.0
    # ... with fine streaks this thin and long along its fall
    thin_streaks: tuple[float, float] = (0.003, 0.02)
    thin_streak_mix: float = 0.5     # ... at this weight beside its own detail
    # ... and what goes varies by this share of the thinning with them (gaps more, strands less)
    thin_texture: float = 0.25
    # a receding hairline bares the head out to where the person is this sure (at 0.5, it read as less
    # receding)
    head_outline: float = 0.6


class Taken(NamedTuple):
    """Where a removal takes hair (``take_hair``), each (R, R) float32 unless said.

    Attributes:
        loss: where the wall or scalp is drawn instead of hair, its edge soft.
        thinned: where thinning hair lets the scalp through (zero if it does not thin).
        keep_out, free: where the edit may draw above the chin / below it too, now over the hair
            that hung over the face and goes.
        hid: the brows a fringe that goes hid, to draw anew (``eyebrows.hidden``; empty: none).
        brow_area: where they are drawn anew, or None.
    """

    loss: np.ndarray
    thinned: np.ndarray
    keep_out: np.ndarray
    free: np.ndarray
    hid: list
    brow_area: np.ndarray | None


def take_hair(aligned: AlignedFace, plan: EditPlan, hair: np.ndarray, loss: np.ndarray, keep_out: np.ndarray,
              free: np.ndarray, measured: Measured, params: RemoveParams,
              masks: MaskParams, color: ColorParams, matte: MatteParams, scalp: ScalpParams) -> Taken:
    """Where the hair the decode takes away (``loss`` (R, R), from the plan's hair change) goes:
    every pixel whose hair goes is wholly redrawn, its strands' fringe against the wall too; a
    fringe a style takes wherever it lies, and what of it hangs over the face, and the brows it
    hid. ``hair``: the hair mask (R, R); ``measured``: the crop's colours."""
    size = hair.shape[0]
    landmarks = aligned.landmarks * aligned.scale
    soft = masks.soft * size
    zero = np.zeros((size, size), np.float32)
    fringe = kernel_width(masks.fringe_reach, size)
    taken = loss * np.clip(hair * 6.0, 0.0, 1.0)
    # ... but under a hat, only the hair the segmenter is sure of (hat_sure): the hat over the
    # head, which it half takes for hair (0.2-0.4), was taken and its brim smeared into the wall.
    # A hat: most of what would be taken on the head above the brows, where the segmenter doubts
    # it is hair, has not the skin's hue (``not_skin_hued``).
    if loss.max() > 0:
        head = on_person(aligned, size) & above_brows(landmarks, size, scalp)
        ground = (taken > 0.05) & (hair < 0.5) & head
        if (ground.sum() >= params.hat_ground * size * size
                and not_skin_hued(aligned.detail, landmarks, ground, masks) > masks.cap_share):
            taken *= np.clip((hair - params.hat_sure[0]) * (1.0 / (params.hat_sure[1] - params.hat_sure[0])), 0.0, 1.0)
    # ... and, where the style takes a fringe wherever it lies (``plan.reach``), so is hair there
    # the segmenter is unsure of (``unsure``) if it has the hair's colour: a fringe's strands with
    # skin between them, half taken, were a dark blot on a bald dome's front.
    if plan.reach is not None and loss.max() > 0:
        unsure = plan.reach * shapes.forehead(aligned.landmarks, aligned.crop.shape[0])
        unsure *= np.clip((aligned.hair - params.unsure[0]) / (params.unsure[1] - params.unsure[0]), 0.0, 1.0)
        unsure = cv2.resize(unsure, (size, size), interpolation=cv2.INTER_LINEAR)
        more = nonzero_box(unsure > taken)
        if more is not None and measured.hair_color is not None:
            part = slice(*more[0]), slice(*more[1])
            lab = to_lab(aligned.detail[part])
            # (and darker than the skin, darker_strands: a blond's forehead, of her hair's
            # colour too, was taken with a step; a blot is dark)
            skin = float(np.median(measured.crop_lab[face_interior(aligned.landmarks, aligned.crop.shape[0])][:, 0]))
            darker = np.clip((skin - lab[..., 0] - params.darker_strands[0])
                             / (params.darker_strands[1] - params.darker_strands[0]), 0.0, 1.0)
            taken[part] = np.maximum(taken[part], unsure[part] * darker * near_hair(lab, measured.hair_color, color.deviation, color.floor))
    # ... and so is a fringe's end over the protected face below it (left, it was a strip of
    # hair across the brows under a bare forehead).
    hid, brow_area = [], None
    if loss.max() > 0:
        hung = np.maximum(hung_below(hair, keep_out, taken, landmarks, params), hung_beside(hair, free, taken, landmarks, params))
        # (and the brows such a fringe hid go with it, to be drawn anew: kept, the fringe over
        # them was a dark band across the bared forehead)

        def hairlike() -> np.ndarray:     # (of the hair's colour, or not of the skin's)
            lab, own = measured.detail_lab, measured.hair_color
            unlike = 1.0 - skinlike(lab, np.median(lab[face_interior(landmarks, size)], axis=0), matte)
            return unlike if own is None else np.maximum(unlike, near_hair(lab, own, color.deviation, color.floor))

        hid = eyebrows.hidden(hair, landmarks, np.maximum(taken, hung), hairlike)
        if hid and measured.hair_color is None:      # (no hair colour to draw brows in: they stay)
            hid = []
        if hid:
            brow_area = eyebrows.taken_area(hid, landmarks, size)
            hung = np.maximum(hung, brow_area)
        taken = np.maximum(taken, hung)
        hung = cv2.GaussianBlur(cv2.dilate(hung, np.ones((3, 3), np.uint8)), (0, 0), soft * 0.5)
        keep_out, free = np.maximum(keep_out, hung), np.maximum(free, hung)
    # ... out over the wall (not over the face, whose edge stays as it is).
    # (as far from the face's edge as it reaches)
    face = cv2.dilate(face_oval(landmarks, size).astype(np.uint8), np.ones((fringe, fringe), np.uint8)) > 0
    beside = np.where(face, taken, cv2.dilate(taken, np.ones((fringe, fringe), np.uint8)))
    loss = cv2.GaussianBlur(beside, (0, 0), soft)
    thinned = zero
    if plan.thinning is not None:
        share = cv2.resize(plan.thinning, (size, size), interpolation=cv2.INTER_LINEAR)
        thinned = thin_out(share, hair, aligned.detail, params)
        loss = np.maximum(loss, thinned)
    return Taken(loss, thinned, keep_out, free, hid, brow_area)


class Bared(NamedTuple):
    """What ``bare`` drew where hair goes.

    Attributes:
        out: (R, R, 3) float32 BGR, the picture with the scalp and the wall drawn in.
        loss: (R, R) float32, where they are drawn (reaching the hairline's wisps).
        fill: (R, R, 3) float32 BGR, the scalp inside the head and the wall outside it, everywhere.
        bare: (R, R) float32, where bare scalp shows.
        forehead: a box of bare forehead whose grain the scalp takes (``forehead_box``), or None.
    """

    out: np.ndarray
    loss: np.ndarray
    fill: np.ndarray
    bare: np.ndarray
    forehead: tuple[int, int, int, int] | None


def bare(aligned: AlignedFace, plan: EditPlan, plate: BackgroundPlate | None, out: np.ndarray, hair: np.ndarray,
         taken: Taken, measured: Measured, memory: Memory | None, params: RemoveParams,
         masks: MaskParams, scalp: ScalpParams) -> Bared:
    """Draws on ``out`` (R, R, 3) float32 where hair goes (``taken.loss``): bare scalp inside the
    head (``mirror.render.scalp``), and outside it the wall behind (the video's ``plate``, or the
    wall beside the head continued across), and the brows a fringe hid drawn anew. ``memory``: a
    video's (the scalp's tone is followed over its frames), or None."""
    detail = aligned.detail.astype(np.float32) / 255.0
    landmarks = aligned.landmarks * aligned.scale
    size = detail.shape[0]
    soft = masks.soft * size
    loss = taken.loss
    wall = wall_behind(detail, aligned, hair, plate, masks)
    grown = grown_skull(landmarks, size, scalp)
    inside = scalp_outline(landmarks, aligned.person, size, grown, scalp)
    # The wisps at the hairline, which the mask misses, go too: bare scalp reaches a little
    # further down over what the mask calls skin (where it looks as the skin did).
    reach = max(1, int(round(params.wisps * size)))
    below = cv2.dilate(loss, np.ones((reach + 1, 1), np.uint8), anchor=(0, reach))
    loss = np.maximum(loss, below * inside * np.clip((1.0 - hair) * 10.0, 0.0, 1.0))
    loss = close_dips(loss, taken.thinned, params)
    forehead = forehead_box(landmarks, hair, scalp)
    skin = draw_scalp(aligned.detail, landmarks, hair, plan, inside, loss, forehead, memory, scalp)
    bared = loss * inside
    # (outside it, the side of the head where hair stays beyond: not the wall)
    inside = np.maximum(inside, _enclosed(hair, loss, aligned.person, landmarks, soft))
    # (and where the style takes hair on the skull alone, the head up to its own outline: hair
    # taken at the temples out to it lay on the head, not out before the wall, which drawn there
    # cut a wedge into it as a head turns)
    if plan.reach is not None and on_skull(plan.reach, aligned.landmarks, scalp):
        # (where the person is head_outline sure: the last half pixel is the hair's fringe
        # against the wall, a mix of the two, filled as the wall; as sharp against it as a
        # head's outline is, ``ScalpParams.skull_edge``)
        outline = cv2.resize(aligned.person, (size, size), interpolation=cv2.INTER_LINEAR) > params.head_outline
        outline = cv2.GaussianBlur(outline.astype(np.float32), (0, 0), scalp.skull_edge * size)
        inside = np.maximum(inside, np.minimum(grown, outline))
    inside = per_channel(inside)
    fill = skin * inside + wall * (1 - inside)
    out = out + per_channel(loss) * (fill - out)
    if taken.hid:
        eyebrows.redraw(out, measured.detail_lab, hair, landmarks, taken.hid, taken.brow_area,
                        forehead_tone(measured.detail_lab, landmarks, hair, scalp)[0], measured.hair_color[0])
    return Bared(out, loss, fill, bared, forehead)


def removal_of(aligned: AlignedFace, plan: EditPlan, fill: np.ndarray, free: np.ndarray,
               masks: MaskParams = MaskParams()) -> Removal:
    """The ``Removal`` a later frame's hair is taken away with (``retake``): the ``fill`` (R, R, 3)
    float32 drawn where hair goes, where it may be drawn (``free`` (R, R)), and the hair taken."""
    small = plan.reach.shape[0]
    face = cv2.dilate(face_oval(aligned.landmarks, small).astype(np.uint8),
                      np.ones((kernel_width(masks.fringe_reach, small),) * 2, np.uint8)) > 0
    return Removal(np.clip(fill * 255.0 + 0.5, 0, 255).astype(np.uint8), plan.reach, free, face,
                   _taken(plan.reach, face, aligned.hair, aligned.person, masks))


def close_dips(weight: np.ndarray, thinned: np.ndarray, params: RemoveParams = RemoveParams()) -> np.ndarray:
    """(R, R) float32: a removal's ``weight`` (R, R) in [0, 1] with its dips narrower than
    dip_width of the crop filled (a grey closing) where it is over dip_from, but not where hair
    thins (``thinned`` (R, R) > 0, ``thin_out``'s: there its dips are the strands kept). Where two
    soft parts of it meet, each half way down its edge (a fringe's end hung over the brows and the
    wisps below it; the protected face's edge and the hair hung over it), it dipped between them,
    and the hair they took showed through as a thin dark line across the bared skin (lines like
    a pair of glasses' across the brows without bangs)."""
    if weight.max() <= params.dip_from:
        return weight
    width = kernel_width(params.dip_width, weight.shape[0])
    closed = cv2.morphologyEx(weight, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (width, width)))
    return np.where((weight > params.dip_from) & (thinned <= 0), np.maximum(weight, closed), weight)


def _spared(landmarks: np.ndarray, size: int, params: RemoveParams = RemoveParams()) -> np.ndarray:
    """(R, R) float32: what hair taken from over the face spares: the brows (which the mask takes
    in where a fringe reaches them: without them the face was not the person's) and what lies
    within hung_eyes of the eyes."""
    spared = cv2.dilate(brows(landmarks, size).astype(np.uint8), np.ones((3, 3), np.uint8))
    return np.maximum(eyes(landmarks, size, params.hung_eyes), cv2.GaussianBlur(spared.astype(np.float32), (0, 0), 1.0))


def hung_below(hair: np.ndarray, keep_out: np.ndarray, taken: np.ndarray, landmarks: np.ndarray,
               params: RemoveParams = RemoveParams()) -> np.ndarray:
    """(R, R) float32: the hair of ``hair`` (R, R) hanging over the protected face (where
    ``keep_out`` (R, R) keeps the picture: a fringe's end over the brows) below hair that goes
    (``taken`` (R, R), within hung_from of the crop above the brows' arc, column by column): it
    hung from there. Not the brows, nor within hung_eyes of the eyes (``regions.eyes``), nor
    below them."""
    size = hair.shape[0]
    rows = np.arange(size, dtype=np.float32)[:, None]
    line = brow_line(landmarks, size)[None, :]
    lids = max(float(landmarks[contour, 1].max()) for contour in EYES)
    # (from a little above the arc: the protected face fades in there)
    below = rows >= line - params.hung_from * size
    goes = np.where(below & (rows <= line), taken, 0.0).max(axis=0)
    over = below & (rows <= lids) & (goes[None, :] > 0.0)
    # (``hanging`` keeps only the sure hair's components: none there, as on most faces, no fringe)
    if not (over & (hair > 0.5)).any():
        return np.zeros_like(hair, dtype=np.float32)
    # Below the arc, beside the eyes (a lock over the temple), wholly where the segmenter is
    # hung_whole sure, with the soft edge of its strands joined to it down to hung_faint: in
    # proportion to its doubt and cut where it is half sure, the soft edge of a lock over the
    # temple (0.15-0.45 to the segmenter) stayed as a brown strip beside the new scalp, a seam.
    # (Above it, a fringe's end over the brows: in proportion, as the brows' edge the blur of more
    # would reach.)
    sure = hanging(hair, keep_out)
    beside = rows >= line
    soft = joined_to(((hair > params.hung_faint) & over & beside) | (sure > 0.0), sure > 0.0) & beside
    over = np.maximum(sure, soft * np.clip(hair * (1.0 / params.hung_whole), 0.0, 1.0)) * over
    spared = _spared(landmarks, size, params)
    return (over * goes[None, :] * (1.0 - spared)).astype(np.float32)


def hung_beside(hair: np.ndarray, keep_out: np.ndarray, taken: np.ndarray, landmarks: np.ndarray,
                params: RemoveParams = RemoveParams()) -> np.ndarray:
    """(R, R) float32: the hair of ``hair`` (R, R) over the face's sides (inside its outline or
    where ``keep_out`` (R, R) keeps the picture), below the brows' arc, joined to hair beside the face
    below the ear line that goes (``taken`` (R, R): long hair taken whole): strands that fell over
    the cheeks from it (left, they were dark blocks beside a bald head's face). Not the brows, nor
    within hung_eyes of the eyes, nor below the mouth."""
    size = hair.shape[0]
    ears = skull_axes(landmarks)[1]
    rows = np.arange(size, dtype=np.float32)[:, None]
    goes = (taken > 0.5) & (keep_out > 0.5) & (rows > ears)
    if not goes.any():
        return np.zeros_like(hair, dtype=np.float32)
    # (over the face's outline, which the long hair taken stops at, and the protected face)
    # (above the mouth: below it a beard, which joins the sideburns)
    over = ((keep_out <= 0.5) | face_oval(landmarks, size)) & (taken <= 0.5) & (rows >= brow_line(landmarks, size)[None, :])
    over &= rows <= landmarks[MOUTH, 1]
    joined = joined_to((hair > params.beside_sure) & (over | goes), goes)
    return (hair * (joined & over) * (1.0 - _spared(landmarks, size, params))).astype(np.float32)


def thin_out(share: np.ndarray, hair: np.ndarray, image: np.ndarray, params: RemoveParams = RemoveParams()) -> np.ndarray:
    """(R, R) float32 in [0, 1]: where hair thins by ``share`` (R, R), the pixels whose hair goes
    (the scalp or the wall shows there): ``share`` of the hair ``hair`` (R, R), the darker gaps
    between its strands first (its own light and shade in the (R, R, 3) uint8 ``image``, and fine
    streaks along its fall where it has too little of its own), the strands kept; not a uniform
    wash of scalp over the hair."""
    size = share.shape[0]
    light = to_lab(image)[..., 0]
    detail = light - cv2.GaussianBlur(light, (0, 0), params.thin_detail * size)
    sure = hair > 0.5
    spread = 1.4826 * float(np.median(np.abs(detail[sure]))) if sure.any() else 0.0
    own = np.clip(detail / max(spread, params.thin_flat), -3.0, 3.0)
    streaks = noise_pattern(size, params.thin_streaks[0] * size, params.thin_streaks[1] * size)
    order = (own + params.thin_streak_mix * streaks) / np.sqrt(1.0 + params.thin_streak_mix ** 2)
    return (np.clip(share * (1.0 - params.thin_texture * order), 0.0, 1.0) * hair).astype(np.float32)


def _enclosed(hair: np.ndarray, loss: np.ndarray, person: np.ndarray, landmarks: np.ndarray,
              soft: float) -> np.ndarray:
    """(R, R) float32: the hair taken away outside the skull whose row runs on, away from the
    face, into hair that stays, within the person's outline: a temple between a receding
    hairline and the hair at the side of the head, which is the head's side, not the wall."""
    size = hair.shape[0]
    stays = (hair * (1.0 - loss) > 0.5) & (cv2.resize(person, (size, size), interpolation=cv2.INTER_LINEAR) > 0.5)
    centre = int(np.clip(round(float(landmarks[:, 0].mean())), 0, size))
    enclosed = np.zeros((size, size), bool)
    enclosed[:, :centre] = np.maximum.accumulate(stays[:, :centre], axis=1)
    enclosed[:, centre:] = np.maximum.accumulate(stays[:, centre:][:, ::-1], axis=1)[:, ::-1]
    return cv2.GaussianBlur((enclosed & ~stays).astype(np.float32), (0, 0), soft * 0.5)


def wall_behind(detail: np.ndarray, aligned: AlignedFace, hair: np.ndarray, plate: BackgroundPlate | None,
                mask_params: MaskParams = MaskParams()) -> np.ndarray:
    """(R, R, 3) float32: what is behind the person: the plate where it has seen the wall, the
    wall visible in this crop elsewhere, filled in where neither knows; with the grain of the
    wall seen in this crop."""
    size = detail.shape[0]
    visible = off_person(aligned.person, hair, size, mask_params)
    fringe = kernel_width(mask_params.fringe_reach, size)
    if plate is None:
        return fill_holes(detail, visible)
    seen, known = plate.crop(aligned.detail_to_crop, size)
    # Only where the plate surely knows the wall (half known mixes in the person's edge).
    known = np.clip(2.0 * known - 1.0, 0.0, 1.0)
    # ... and not within fringe_reach of where it never has: strands beyond the person's mask
    # were learnt there (filled in from, a dark line along the old hair's outline, smeared).
    known = cv2.erode(known, np.ones((fringe, fringe), np.uint8))
    # Each pixel is the plate and the wall seen now, in the shares each is trusted, never the
    # person: along the plate's soft edge, where the crop shows hair, its share of that hair
    # was a thin dark arc on the wall round a bald head.
    own = visible * (1.0 - known)
    trust = known + own
    base = (seen * per_channel(known) + detail * per_channel(own)) / per_channel(np.maximum(trust, 1e-6))
    # The plate is kept at a lower resolution: the wall seen now lends it its grain.
    return fill_holes(base, trust, sharp=(detail, visible))


def retake(edited: EditedFace, hair: np.ndarray, person: np.ndarray, params: RemoveParams = RemoveParams(),
           mask_params: MaskParams = MaskParams()) -> EditedFace:
    """``edited`` carried over to a later frame whose hair and person masks are ``hair`` and
    ``person`` (S, S): where its shape takes hair away (``edited.removal``), that frame's hair
    goes too where the edit's own frame had none (new arrays; ``edited``'s stay). Long hair
    swings as a head turns: it showed beside a bald head, out past what the edit of a few frames
    before drew, until the next edit."""
    removal = edited.removal
    size = edited.replace.shape[0]
    new = np.clip(_taken(removal.reach, removal.face, hair, person, mask_params) - removal.taken, 0.0, 1.0)
    new = cv2.multiply(cv2.resize(new, (size, size), interpolation=cv2.INTER_LINEAR), removal.limit)
    # (drawn over what the edit drew already: the share of the rest that is drawn now; not a
    # faint rim, nor a few pixels: wall drawn over wall costs a frame's time)
    more = np.clip(new / np.maximum(1.0 - edited.replace, 1e-3), 0.0, 1.0)
    more[more < params.retake_min[0]] = 0.0
    box = nonzero_box(more > 0)
    if box is None or more.sum() < params.retake_min[1] * size * size:
        return edited
    (top, bottom), (left, right) = box
    part = np.s_[top:bottom, left:right]
    crop, replace, mask = edited.crop.copy(), edited.replace.copy(), edited.hair_mask.copy()
    crop[part] = over(removal.picture[part], cv2.merge([cv2.convertScaleAbs(more[part], alpha=255.0)] * 3), crop[part])
    replace[part] += more[part] * (1.0 - replace[part])
    np.maximum(mask[part], replace[part], out=mask[part])
    return dataclasses.replace(edited, crop=crop, replace=replace, hair_mask=mask)


def _taken(reach: np.ndarray, face: np.ndarray, hair: np.ndarray, person: np.ndarray, mask_params: MaskParams = MaskParams()) -> np.ndarray:
    """(S, S) float32 in [0, 1]: the hair a removal whose reach is ``reach`` takes from a crop
    whose masks are ``hair`` and ``person``, as ``take_hair`` takes it (its fringe
    too, off the ``face``, softened), at the masks' resolution."""
    small = hair.shape[0]
    loss = np.clip((hair * reach - mask_params.change_min) / (mask_params.change_full - mask_params.change_min), 0.0, 1.0)
    sure = np.clip((hair - mask_params.hair_edge[0]) / (mask_params.hair_edge[1] - mask_params.hair_edge[0]), 0, 1) * np.clip(person * 2.0 - 0.5, 0.0, 1.0)
    taken = loss * np.clip(sure * 6.0, 0.0, 1.0)
    fringe = kernel_width(mask_params.fringe_reach, small)
    taken = np.where(face, taken, cv2.dilate(taken, np.ones((fringe, fringe), np.uint8)))
    return cv2.GaussianBlur(taken, (0, 0), mask_params.soft * small)
