"""What an edit draws past the crop's edge, on the frame's own pixels (``Beyond``).

    reach = recolored_beyond(aligned, mask, own)           # a recolouring of long hair the crop cuts
    reach = removed_beyond(aligned, loss, drawn)           # the wall where hair the crop cuts goes

Hair that leaves the crop (long hair at its sides and foot, a bun or hair piled high at its top)
is followed on in the outer square (``AlignedFace.outer``) as far as its colour stays the hair's.
Where the wall's colour cannot be told from the hair's, a recolouring fades out before the crop's
edge instead (``fade_cut``).
"""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from mirror.face.align import outer_square
from mirror.face.regions import crown_cap, edge_margin, edge_profile, edge_strips
from mirror.render.color import ColorParams, near_hair, own_color
from mirror.render.imaging import kernel_width, median, nonzero_box, per_channel, with_weight
from mirror.render.lab import SUM, to_lab
from mirror.render.masks import MaskParams, off_person
from mirror.render.plate import fill_holes
from mirror.types import AlignedFace, Beyond


@dataclass(frozen=True)
class BeyondParams:
    """How far past the crop an edit follows the hair (lengths as shares of the crop unless said)."""

    # the outer square's colours and the reach's mask smoothed by this (crop pixels)
    beyond_blur: float = 1.0
    # hair past the crop is followed by its colour only if this much of the crop is wall (off the
    # person)
    beyond_wall: float = 0.02
    # ... the wall this far from the hair's colour (its spreads): not / wholly trusted
    beyond_contrast: tuple[float, float] = (3.0, 5.0)
    # Recoloured hair the crop cuts and that is not followed past it fades out over this share of
    # the crop from its bottom, its sides and its top edge.
    ends_fade: tuple[float, float, float] = (0.25, 0.12, 0.1)
    # hair taken away past the crop: reaches this far (crop pixels) past its colour's edge
    beyond_reach: int = 1
    # ... and replaces it wholly where it is this sure of the hair (a soft edge stays soft);
    beyond_strength: float = 1.5
    foot_fade: float = 0.2           # ... below the crop's foot at least this far, fading out
    strand_reach: float = 0.06       # ... and thin strands past the hair followed, within this of it,
    # ... where they lie this far from the wall towards the hair's colour (not / wholly),
    strand_share: tuple[float, float] = (0.15, 0.35)
    strand_wall: float = 0.12        # ... the wall measured this far either way along each row


def recolored_beyond(aligned: AlignedFace, mask: np.ndarray, own: np.ndarray, trust: float | None = None,
                     params: BeyondParams = BeyondParams(), color_params: ColorParams = ColorParams()) -> Beyond | None:
    """A recolouring's reach past the crop (None if it has none): hair that leaves the crop at
    any edge (long hair at its sides or bottom, a bun or hair piled high at its top) is followed
    on, in the outer square (``aligned.outer``), as far as its colour stays the hair's (within
    deviation[1] of its spreads) out from the edge, in proportion to how surely the wall's colour
    can be told from the hair's (``wall_contrast``); as far as it cannot, a crown the crop cuts
    goes on above it within the head's outline (``crown_cap``).

    Args:
        mask: (R, R) the recolouring's mask in the detail crop (it fades out at the crop's edge).
        own: (2, 3) the hair's colour (the recolouring's table is the caller's to give the reach).
        trust: ``wall_contrast(aligned, own)`` if already measured.
    """
    if not aligned.sees_past:
        return None
    size, scale = aligned.crop.shape[0], aligned.scale
    margin = edge_margin(mask.shape[0])       # edit_limit's fade at the crop's edge
    inner = mask.shape[0] - margin - 1
    # The recolouring just inside the fade along the bottom, left, right and top edges, per crop pixel.
    edges = [edge.reshape(size, scale).mean(axis=1) for edge in crop_edges(mask)]
    if max(float(edge.max()) for edge in edges) <= 0.05:
        return None
    half, start, first = size // 2, inner // scale, -(-margin // scale)
    # Only the outer square's top band is looked at when only the crop's top edge has hair (a
    # crown the crop cuts): the rest would cost a few ms a frame for nothing.
    band = None if max(float(edge.max()) for edge in edges[:3]) > 0.05 else half + first + 1
    rows = slice(None) if band is None else slice(0, band + 4 * int(np.ceil(params.beyond_blur)))
    trust = wall_contrast(aligned, own, params, color_params) if trust is None else trust
    # A crown the crop cuts goes on above it as far as the head's outline does (``crown_cap``):
    # where the wall's colour is the hair's, colour alone cannot follow it, and the crown was
    # left in its old colour, a dark cap over blond hair (the edits' top rows 4.6 L* darker than
    # the rows below, real blond heads' 2.4 lighter).
    cap = crown_cap(aligned.landmarks, edges[3], first, size) if trust < 1.0 else None
    if trust == 0.0 and cap is None:
        return None
    # (where colour cannot follow the hair at all, only the crown's band above the crop is read)
    lab = _outer_lab(aligned, rows if trust > 0.0 else slice(0, half + first + 1), params)
    # Inside the crop the recolouring's own mask holds until its fade: this takes over from it.
    edge = edge_profile(size)
    takeover = 1.0 - edge[:, None] * edge[None, :]
    out = np.zeros((2 * size, 2 * size), np.float32)
    if trust > 0.0:
        hairlike = near_hair(lab, own, color_params.deviation)
        if band is not None:
            hairlike = np.vstack([hairlike[:band], np.zeros((2 * size - band, 2 * size), np.float32)])
        # Down from the bottom edge and up from the top, column by column; out from the sides, row
        # by row (the crop's rows): each as far as the hair's colour goes on without a break.
        below = hairlike[half + start:, half:half + size]
        out[half + start:, half:half + size] = edges[0] * np.minimum.accumulate(below, axis=0)
        above = hairlike[:half + first + 1, half:half + size][::-1]
        out[:half + first + 1, half:half + size] = (edges[3] * np.minimum.accumulate(above, axis=0))[::-1]
        left = hairlike[half:half + size, :half + first + 1][:, ::-1]
        out[half:half + size, :half + first + 1] = np.maximum(
            out[half:half + size, :half + first + 1], (edges[1][:, None] * np.minimum.accumulate(left, axis=1))[:, ::-1])
        right = hairlike[half:half + size, half + start:]
        out[half:half + size, half + start:] = np.maximum(
            out[half:half + size, half + start:], edges[2][:, None] * np.minimum.accumulate(right, axis=1))
        # Into the corners beyond two edges (long hair falling past the crop's bottom corner) from
        # the part past the edge beside them, row by row (a dark bar of the old colour stood there).
        for part in (slice(half + start, None), slice(0, half + first + 1)):
            right = hairlike[part, half + start:]            # from the crop's last column inside its fade
            out[part, half + start:] = np.maximum(out[part, half + start:], out[part, half + start:half + start + 1]
                                                  * np.minimum.accumulate(right, axis=1))
            left = hairlike[part, :half + first + 1][:, ::-1]    # ... and its first
            out[part, :half + first + 1] = np.maximum(out[part, :half + first + 1], (
                out[part, half + first:half + first + 1] * np.minimum.accumulate(left, axis=1))[:, ::-1])
        out[half:half + size, half:half + size] *= takeover
        out = cv2.GaussianBlur(out, (0, 0), params.beyond_blur) * trust
    if cap is not None:
        # (up each column as far as nothing far from the hair's colour breaks it: a lamp above
        # the head is not hair; not blurred: its edge is soft, and a crown the crop cuts just
        # below its top is a strip a few pixels high, which a blur would halve)
        loose = near_hair(lab[:half + first + 1], own, color_params.far)[::-1]
        cap[:half + first + 1] *= np.minimum.accumulate(loose, axis=0)[::-1]
        cap[half:half + size, half:half + size] *= takeover
        out = np.maximum(out, (1.0 - trust) * cap)
    return Beyond(out) if out.max() > 0.05 else None


def wall_contrast(aligned: AlignedFace, own: np.ndarray, params: BeyondParams = BeyondParams(), color_params: ColorParams = ColorParams()) -> float:
    """In [0, 1], how surely hair of colour ``own`` can be told from the wall by colour alone
    (1: the wall is far from it; 0: a dark head on a dark wall, or no wall in the crop to judge
    by: the crop's part off the person): the wall's median colour, in the hair's spreads
    (spread_floor at least: black hair a photo crushed to one colour is no sharper a target)."""
    size = aligned.crop.shape[0]
    wall = aligned.crop[(aligned.person < 0.2) & (aligned.hair < 0.2)]
    if len(wall) < params.beyond_wall * size * size:
        return 0.0
    wall = wall[::max(1, len(wall) // color_params.color_sample)]       # an even sample, as own_color's
    spread = np.maximum(own[1], color_params.floor)
    contrast = np.sqrt((((median(np.ascontiguousarray(to_lab(wall[None])[0].T)) - own[0]) / spread) ** 2).sum())
    return float(min(max((contrast - params.beyond_contrast[0]) / (params.beyond_contrast[1] - params.beyond_contrast[0]), 0.0), 1.0))


def crop_edges(mask: np.ndarray) -> tuple[np.ndarray, ...]:
    """A crop's (R, R) ``mask`` just inside ``edit_limit``'s fade at its bottom, left, right and
    top edges: four (R,) views."""
    margin = edge_margin(mask.shape[0])
    inner = mask.shape[0] - margin - 1
    return mask[inner], mask[:, margin], mask[:, inner], mask[margin]


def at_edges(mask: np.ndarray) -> bool:
    """Whether a recolouring's ``mask`` (R, R) reaches the crop's edges: hair the crop cuts."""
    return max(float(edge.max()) for edge in crop_edges(mask)) > 0.05


def fade_cut(mask: np.ndarray, trust: float, shown: tuple[np.ndarray, ...] | None = None,
             crown: bool = False, params: BeyondParams = BeyondParams(), mask_params: MaskParams = MaskParams()) -> np.ndarray:
    """(R, R) float32: a recolouring's ``mask`` (R, R) faded out towards each crop edge its hair
    meets (just inside ``edit_limit``'s fade there), over ends_fade of the crop, as far as the
    hair cannot be followed on past the crop by its colour (1 - ``trust``, ``wall_contrast``)
    and the edge lies inside the picture (``shown``: ``edges_shown``; None: all of it); not at
    the top if ``crown``: a crown the crop cuts is followed past it by the head's outline
    (``recolored_beyond``)."""
    size = mask.shape[0]
    margin = edge_margin(size)
    edges = crop_edges(mask)
    if shown is not None:
        edges = tuple(edge * inside for edge, inside in zip(edges, shown))
    if crown:
        edges = edges[:3] + (np.zeros_like(edges[3]),)
    if trust >= 1.0 or max(float(edge.max()) for edge in edges) <= 0.05:
        return mask
    mask = mask.copy()
    for side, (edge, share) in enumerate(zip(edges, (params.ends_fade[0], params.ends_fade[1], params.ends_fade[1], params.ends_fade[2]))):
        if edge.max() <= 0.05:
            continue
        # Half-sure hair at the edge is hair the crop cuts: its new colour fades out wholly.
        edge = np.clip(2.0 * cv2.GaussianBlur(edge.reshape(1, -1), (0, 0), mask_params.soft * size).ravel(), 0.0, 1.0)
        depth = min(int(np.ceil(share * size)), size)
        ramp = np.clip((np.arange(depth, dtype=np.float32) - margin) / max(share * size - margin, 1.0), 0.0, 1.0)
        cut = 1.0 - (1.0 - trust) * np.outer(1.0 - ramp, edge)     # (distance from the edge, along it)
        if side == 0:
            mask[size - depth:] *= cut[::-1]
        elif side == 1:
            mask[:, :depth] *= cut.T
        elif side == 2:
            mask[:, size - depth:] *= cut.T[:, ::-1]
        else:
            mask[:depth] *= cut
    return mask


def edges_shown(aligned: AlignedFace, size: int, mask_params: MaskParams = MaskParams()) -> tuple[np.ndarray, ...] | None:
    """((R,) float32 in [0, 1]) x 4, along the bottom, left, right and top edges of the
    ``size``-pixel detail crop: where the edge lies inside the frame (a cut there would show; a
    webcam's close-up crop often reaches below the frame, whose edge hides it); None if the
    frame is not known."""
    if aligned.frame_shape is None:
        return None
    height, width = aligned.frame_shape
    inner = size - edge_margin(size) - 1
    along = np.arange(size, dtype=np.float64)
    fixed = np.full(size, float(edge_margin(size)))
    points = (np.stack([along, np.full(size, float(inner))], 1), np.stack([fixed, along], 1),
              np.stack([np.full(size, float(inner)), along], 1), np.stack([along, fixed], 1))
    back = cv2.invertAffineTransform(aligned.detail_to_crop)
    shown = []
    for edge in points:
        x, y = (edge @ back[:, :2].T + back[:, 2]).T
        inside = (x >= 1.0) & (x <= width - 2.0) & (y >= 1.0) & (y <= height - 2.0)
        shown.append(cv2.GaussianBlur(inside.astype(np.float32).reshape(1, -1), (0, 0), mask_params.soft * size).ravel())
    return tuple(shown)


def _outer_lab(aligned: AlignedFace, rows: slice = slice(None), params: BeyondParams = BeyondParams()) -> np.ndarray:
    """(N, 2S, 3) float32: the outer square's ``rows`` in CIELAB, smoothed over beyond_blur."""
    return cv2.GaussianBlur(to_lab(outer_square(aligned)[rows]), (0, 0), params.beyond_blur)


def _outer_hair(aligned: AlignedFace, own: np.ndarray, rows: slice = slice(None), trust: float | None = None,
                params: BeyondParams = BeyondParams(), color_params: ColorParams = ColorParams()) -> tuple[float, np.ndarray | None]:
    """(trust, (N, 2S) float32 or None): how far the hair past the crop can be told by its
    colour ``own`` (``wall_contrast``, unless given), and where the outer square's pixels (its
    ``rows``) are of that colour (within deviation of its spreads)."""
    trust = wall_contrast(aligned, own, params, color_params) if trust is None else trust
    if trust == 0.0:
        return 0.0, None
    lab = _outer_lab(aligned, rows, params)
    return trust, near_hair(lab, own, color_params.deviation)


def removed_beyond(aligned: AlignedFace, loss: np.ndarray, drawn: np.ndarray | None = None, params: BeyondParams = BeyondParams(),
                   color_params: ColorParams = ColorParams(), mask_params: MaskParams = MaskParams()) -> Beyond | None:
    """Hair taken away past the crop (None if none): hair that leaves the crop at any edge where
    the edit takes it away (a bun, hair piled high, long hair at its sides and foot) is followed
    on, in the outer square, as far as its colour stays the hair's. Above and beside the crop it
    gives way to the wall beside it (continued along each row); below it, to what the edit drew at
    the crop's foot (``drawn``), continued down (there lie the neck and the shoulders, whose dark
    skin or clothes the hair's colour takes in: drawn over with the wall, a grey block). Without
    this a bald head wears a strip of its old hair above it, and long hair taken away hangs on
    below and beside the crop, cut square.

    Args:
        loss: (R, R) float32, where the edit draws the wall or scalp instead of hair, in the
            detail crop (it fades out at the crop's edge).
        drawn: (R, R, 3) float32 BGR in [0, 1], what the edit draws there (None: the foot is not
            followed).
    """
    if aligned.hair is None or aligned.person is None or not aligned.sees_past:
        return None
    size, scale = aligned.crop.shape[0], aligned.scale
    margin = edge_margin(loss.shape[0])
    half, first = size // 2, -(-margin // scale)
    # The crop's top, right, bottom and left edges, each turned to the top (np.rot90); only
    # where the hair reaches into its fading rows.
    lines = []
    for turn in range(4):
        line = np.rot90(loss, turn)[margin].reshape(size, scale).mean(axis=1)
        reached = (turn != 2 or drawn is not None) and \
            (np.rot90(aligned.hair, turn)[:first + 1].max(axis=0) > 0.5)[line > 0.05].any()
        lines.append(line if reached else None)
    if all(line is None for line in lines):
        return None
    own = own_color(to_lab(aligned.crop), aligned.hair, color_params)
    if own is None:
        return None
    # Out from each edge, line by line, as far as the hair's colour goes on without a break
    # (and over the crop's fading rows too: the edit's drawing fades into this, not the hair);
    # below the foot at least as far as foot_fade, fading out (a hair's colour the wall's, or
    # broken by a streak, left a box of the drawn foot cut square in the hair below it).
    band = half + first + 1
    # (the hair's colour measured only on the rows that need it: hair above the crop alone, as on
    # most heads, needs the rows down to the crop's top and those its wall is filled from)
    needed = 2 * size if any(line is not None for line in lines[1:]) else \
        band + 4 * params.beyond_reach + 4 * int(np.ceil(params.beyond_blur)) + size // 4
    trust, part = _outer_hair(aligned, own, slice(0, needed), params=params, color_params=color_params)
    hairlike = np.zeros((2 * size, 2 * size), np.float32)
    if part is not None:
        hairlike[:needed] = part
    fade = np.clip(1.0 - np.arange(band, dtype=np.float32)[:, None] / max(params.foot_fade * size, 1.0), 0.0, 1.0)
    outs = []
    for turn, line in enumerate(lines):
        part = np.zeros((2 * size, 2 * size), np.float32)
        if line is not None:
            above = trust * np.minimum.accumulate(np.rot90(hairlike, turn)[:band, half:half + size][::-1], axis=0)
            part[:band, half:half + size] = (line * (np.maximum(above, fade) if turn == 2 else above))[::-1]
        outs.append(np.rot90(part, -turn))
    foot = outs.pop(2)
    out = np.maximum.reduce(outs)
    if max(out.max(), foot.max()) <= 0.05:
        return None
    # (the wall beside them: off the hair, its colour's and the crop's)
    wall = (np.maximum(hairlike, out) < 0.05).astype(np.float32)
    wall[half:half + size, half:half + size] = 0.0
    out = np.maximum(out, trust * _strands(outer_square(aligned), own, out, wall, params))
    # Past the hair's blurred edge (its strands' fringe goes too), then softened.
    reach = np.ones((2 * params.beyond_reach + 1,) * 2, np.uint8)
    out, foot = (cv2.GaussianBlur(cv2.dilate(part, reach), (0, 0), params.beyond_blur) for part in (out, foot))
    image = np.zeros((2 * size, 2 * size, 3), np.uint8)
    # The wall: what is not of the hair's colour, continued along each row over what is (only
    # the rows the reach has, and a quarter of the crop round them: a row wholly of hair takes
    # the wall from the rows beside it).
    rows = np.flatnonzero(out.max(axis=1) > 1.0 / 255)
    if rows.size:
        rows = slice(max(rows[0] - size // 4, 0), rows[-1] + 1 + size // 4)
        # (nor the person the crop sees, as the crop's own wall: long hair hung between the wall
        # and the neck, and that row filled from both drew a column of the neck's colour)
        off = np.ones((2 * size, 2 * size), np.float32)
        off[half:half + size, half:half + size] = off_person(aligned.person, aligned.hair, size, mask_params)
        known = np.minimum(1.0 - cv2.dilate(np.maximum(hairlike[rows], out[rows]), reach), off[rows])
        fill = fill_holes(outer_square(aligned)[rows].astype(np.float32) / 255.0, known)
        image[rows] = np.clip(fill * 255.0 + 0.5, 0, 255).astype(np.uint8)
    if foot.max() > 1.0 / 255:
        # Below the crop: the row the edit drew just inside its fading foot, carried on down.
        last = cv2.resize(drawn[-1 - margin:-margin], (size, 1), interpolation=cv2.INTER_AREA)
        below = slice(half + size - first - 1, 2 * size)
        ahead = foot[below] > out[below]
        carried = np.clip(last * 255.0 + 0.5, 0, 255).astype(np.uint8)
        image[below, half:half + size] = np.where(ahead[:, half:half + size, None], carried,
                                                  image[below, half:half + size])
        out = np.maximum(out, foot)
    # (nothing farther into the crop than its fading edge, the reach and the blur: the crop draws it)
    inset = first + params.beyond_reach + int(np.ceil(3 * params.beyond_blur))
    out[half + inset:half + size - inset, half + inset:half + size - inset] = 0.0
    return Beyond(np.clip(out * params.beyond_strength, 0.0, 1.0), fill=image, inset=inset)


def _strands(outer: np.ndarray, own: np.ndarray, hair: np.ndarray, wall: np.ndarray, params: BeyondParams = BeyondParams()) -> np.ndarray:
    """(2S, 2S) float32 in [0, 1]: thin strands past the hair followed past the crop (``hair``
    (2S, 2S) float32), with the wall between them: too pale for the hair's colour ``own``, they
    stood as an arc over a bald head and a fringe beside it. Within strand_reach of that hair
    (outside the crop), how far (strand_share) each pixel of the outer square ``outer`` lies from
    the wall towards the hair's colour, the wall being the mean of the pixels beside it along its
    row (within strand_wall) where ``wall`` (2S, 2S) float32 says the wall is seen."""
    size, half = outer.shape[0], outer.shape[0] // 4
    near = cv2.dilate((hair > 0.5).astype(np.uint8), cv2.getStructuringElement(
        cv2.MORPH_ELLIPSE, (kernel_width(params.strand_reach, 2 * half),) * 2))
    near[half:3 * half, half:3 * half] = 0        # (the crop draws its own)
    box = nonzero_box(near > 0)
    out = np.zeros((size, size), np.float32)
    if box is None:
        return out
    (top, bottom), (left, right) = box
    span = kernel_width(params.strand_wall, 2 * half)
    rows = slice(max(top - 2, 0), bottom + 3)
    cols = slice(max(left - span, 0), right + span + 1)
    lab = to_lab(outer[rows, cols])
    seen = wall[rows, cols]
    kernel = (span, 3)
    weight = cv2.boxFilter(seen, -1, kernel, normalize=False)
    mean = cv2.boxFilter(lab * per_channel(seen), -1, kernel, normalize=False) / per_channel(np.maximum(weight, 1e-3))
    toward = own[0].astype(np.float32) - mean
    share = (cv2.transform((lab - mean) * toward, SUM)
             / np.maximum(cv2.transform(toward * toward, SUM), 1.0))
    ramp = np.clip((share - params.strand_share[0]) / (params.strand_share[1] - params.strand_share[0]), 0.0, 1.0)
    out[rows, cols] = ramp * (weight > 0.5) * near[rows, cols]
    # (a strand a frame pixel wide is a speckle in the outer square: joined up along it)
    return np.clip(2.0 * cv2.GaussianBlur(out, (0, 0), 1.0), 0.0, 1.0)


def hand_over(crop: np.ndarray, replace: np.ndarray, limit: np.ndarray | None, detail: np.ndarray,
              beyond: Beyond) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """(crop, replace, limit), new arrays: where the wall drawn past the crop (``beyond``'s fill)
    covers the crop's fading edge, the crop's own drawing (``crop`` (R, R, 3) uint8 and its
    weight ``replace`` (R, R), made on ``detail``, and the ``Removal.limit`` (R, R) of what a
    later frame may redraw, or None) fades out onto it over ``edit_limit``'s margin: drawn up to
    its edge (long hair taken away), it met that wall in a straight line, a shade darker or
    lighter (the crop's wall is filled from its own rows), and warped, its edge was a dark line a
    pixel wide."""
    size = beyond.mask.shape[0] // 2
    half, side = size // 2, detail.shape[0]
    edge = edge_profile(side)
    covered = cv2.resize(beyond.mask[half:half + size, half:half + size], (side, side), interpolation=cv2.INTER_LINEAR)
    fade = 1.0 - np.minimum(edge[:, None], edge[None, :])
    crop, replace = crop.copy(), replace.copy()
    limit = None if limit is None else limit.copy()
    # (only the margin round the crop fades: four strips)
    for part in edge_strips(side):
        keep = 1.0 - covered[part] * fade[part]
        change = cv2.multiply(cv2.subtract(crop[part], detail[part], dtype=cv2.CV_32F), cv2.merge([keep] * 3))
        crop[part] = cv2.add(detail[part], change, dtype=cv2.CV_8U)
        replace[part] *= keep
        if limit is not None:
            limit[part] *= keep
    return crop, replace, limit


def all_drawn(crop: np.ndarray, replace: np.ndarray, beyond: Beyond) -> np.ndarray:
    """(2S, 2S, 4) uint8, ``Beyond.drawn``: the fill past the crop and its weight, and in the
    middle the crop's own drawing (``crop`` (R, R, 3) uint8, its weight ``replace`` (R, R)) at the
    outer square's resolution (made once, on the render thread: each frame it is carried over to
    warps it)."""
    layer = with_weight(beyond.fill, beyond.mask)
    half = layer.shape[0] // 4
    middle = layer[half:3 * half, half:3 * half]
    drawn = cv2.resize(with_weight(crop, replace), middle.shape[1::-1], interpolation=cv2.INTER_AREA)
    np.copyto(middle, drawn, where=drawn[..., 3:] > middle[..., 3:])
    return layer
