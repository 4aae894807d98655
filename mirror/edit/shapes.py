"""Where a named shape style grows or takes away hair, drawn from the face's own geometry.

Each style is a region in crop space built from the face-mesh landmarks (the hairline along
the face oval's top, the eyebrows' arc, the skull outline) and scaled by the amount:

- ``receding``: the hairline moves back, furthest at the temples (an M), at small amounts at the
  temples only (its middle and a fringe hold); the hair on the side of the head and long hair
  falling on past the temples beside the face stay (``falls_past``);
- ``bald``: the hair on top goes, from the crown outward as the amount grows, leaving the sides
  below the temples (a horseshoe, hugging the head: big hair standing out beside it goes) at
  amount 1; long hair beside the face goes whole (``hangs_long``; a beard stays);
- ``regrowth``: the skull above the hairline fills, and a receded hairline comes down towards a
  full head of hair's (one already there stays);
- ``thinning`` (``THIN``): the hair on top thins, most at the crown, fading out towards the
  sides: not a region that goes, but the share of the hair that does (``thinning``); the
  renderer keeps the rest as strands with the scalp between them;
- ``parting`` (``THIN``): a woman's thinning (Ludwig's scale): the hair thins along the parting,
  in a band that widens towards the front and with the amount, while the front line of hair
  holds (a man's hairline recedes; a woman's rarely does).

The hair-loss scale mixes these (``Style.mix``).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import cv2
import numpy as np

from mirror.face.regions import (EARS, FOREHEAD_TOP, MOUTH, SKULL_HEIGHT, SKULL_WIDTH, brow_line, chin_fade, face_oval, jaw_span,
                            joined_to, neck_span, skull)

ADD = ("regrowth",)
REMOVE = ("receding", "bald")
THIN = ("thinning", "parting")
# Fractions of the skull's height (ear line to crown) unless said otherwise.
RECEDE_CENTRE, RECEDE_TEMPLES = 0.3, 0.6     # receding: hairline moves back this far, centre / temples (an M;
                     # at 0.12 the middle stayed as a tuft, a widow's peak between bare temples, which the
                     # judge saw on 0.04 of faces: real receding hairlines and the model's decodes are high all along;
                     # at 0.25 / 0.8 a deep M with a peak between bulging temples, seen as receding on 0.23 of the
                     # test faces, against 0.31 at 0.3 / 0.6)
RECEDE_SIDES = 0.9   # ... out to this many half face widths from the centre (fading out over SIDE_FADE beyond):
                     # the hair on the side of the head stays (at 1.1 it went at the temples, and the wall showed there)
MIDDLE = (0.3, 0.8)  # ... its middle: these half face widths from the centre (wholly / not at all)
MIDDLE_HOLDS = (0.4, 0.6)  # ... stays below the first amount, goes with the rest from the second
REGROW_LINE = (0.11, 0.06)  # regrowth: a full head of hair's hairline, this far above the face's top in the
                     # middle / at the temples (the fuller quarter of training faces not receding, with no
                     # fringe: medians 0.17 / 0.10; receding ones 0.26 in the middle)
HORSESHOE = 0.3      # bald at amount 1 keeps the sides below this height above the ear line
HORSESHOE_RISE = 0.3  # ... a height that rises by this per half face width beyond 0.9 of it from the centre
HORSESHOE_HUG = (1.6, 1.3)  # ... and no farther out than this many times the skull (above the ear line; at SIDES_FROM[1] / 1)
DRAPE = 1.5          # ... and below it, beside the skull, takes the hair down to a line falling this many rows a column outward
CUT_EDGE = 2.5      # ... its top thinning out over this many soft edges (not a clipper's line)
SIDES_FROM = (0.4, 0.6)  # ... and from these amounts (none / all: the top is bare down to it) takes all hair above that beside the skull too
THIN_SHARE = 0.65    # thinning at amount 1: this share of the hair on top goes (at the crown) ...
THIN_REACH = (0.55, 1.3)  # ... over this much of the skull's height down from the crown / half face widths across
THIN_FADE = 0.6     # ... fading out (smoothly) over this outer share of that
PART_SHARE = 0.7     # parting at amount 1: this share of the hair along the parting goes ...
PART_WIDTH = (0.2, 0.5)  # ... in a band this many half face widths either side of the middle at the crown / front,
                     # at amount 1 (narrower below it, wider above: the parting widens) ...
PART_FRONT = 0.04    # ... ending this much of the skull's height behind the hairline (the front line holds) ...
PART_FADE = 1.0      # ... fading out (smoothly) over this outer share of its width ...
PART_ENDS = 0.25     # ... and over this share of its length (from the crown) at the front;
PART_OUTLINE = 0.04  # ... none within this of the crop from the hair's outline
EDGE = 0.02          # soft edge of every region, share of the crop
SIDE_FADE = 0.2      # receding and regrowth fade out at their sides over this (half face widths)
HANG_BESIDE = (0.6, 0.8)  # receding takes no hair beside the face (from / wholly, half face widths) ...
HANG_PAST = 0.04     # ... that hangs on this far (share of the crop) below where it stops (``falls_past``),
HANG_SOFT = 0.03     # ... softened over this (Gaussian sigma, share of the crop)
LONG_GAP = 0.04      # bald (with SIDES_FROM): long hair beside the face goes whole (``hangs_long``), its runs
                     # joined across gaps this tall (share of the crop: an earring, a strand apart), seen
                     # within this of the row halfway from the ear line to the mouth,
LONG_SURE = 0.25     # ... where the segmenter is this sure of hair (thin strands against a neck: 0.25-0.35),
                     # and goes wholly from there (not a ghost of it), not at all below LONG_FAINT (the neck)
LONG_FAINT = 0.1
LONG_APART = (0.03, 0.06)  # ... this far (share of the crop) out from the face halfway down to the mouth (thin long
                     # hair: 0.02-0.04), and never as near as the second below the mouth (a beard along the
                     # jaw, joined to the sideburns, went with it)
BEARD = 0.5          # ... nor under the chin within this share of the face's width at the mouth (a beard), and not
LONG_CERTAIN = (0.8, 0.2)  # ... the second along the jaw, on a side whose hair is surely hair (this sure, this share
                     # of it beside the face); within the jaw's width elsewhere
LONG_HOLD_MS = 3000  # ... and in video, a side so taken stays so for this long while hair hangs below its ear line


@dataclass
class LongHold:
    """Video's memory of long hair (``hangs_long``): when (ms) each side of the head (left, right in
    the crop) was last taken for long hair by its own runs, and the frame's time ``now_ms``. A
    head turned away hides the hair beside its cheek (for over a second at a time), and the
    hair below its jaw was left hanging from a horseshoe cut at eye level: such a side stays long
    for LONG_HOLD_MS while hair hangs below its ear line (not for ever: dark wall below
    short hair can be taken for it, and hair beside a beard would go)."""
    now_ms: int = 0
    seen_ms: tuple[float, float] = (-np.inf, -np.inf)

    def held(self) -> tuple[bool, bool]:
        """Whether each side was taken for long hair by its own runs within LONG_HOLD_MS."""
        return tuple(bool(abs(self.now_ms - seen) <= LONG_HOLD_MS) for seen in self.seen_ms)


def _geometry(landmarks: np.ndarray, size: int) -> dict:
    """Column-wise measures of the face in crop pixels."""
    (x0, y0), (x1, y1) = landmarks[EARS[0], :2], landmarks[EARS[1], :2]
    oval = face_oval(landmarks, size)
    has = oval.any(axis=0)
    top = np.where(has, oval.argmax(axis=0), np.nan).astype(np.float32)   # hairline per column
    cols = np.arange(size, dtype=np.float32)
    top = np.interp(cols, cols[has], top[has]) if has.any() else np.full(size, landmarks[FOREHEAD_TOP, 1])
    ears = (y0 + y1) / 2
    height = max(ears - landmarks[FOREHEAD_TOP, 1], 1.0) * SKULL_HEIGHT
    half = max(abs(x1 - x0) / 2, 1.0)
    centre = (x0 + x1) / 2
    return {"top": top.astype(np.float32), "brow": brow_line(landmarks, size), "ears": ears,
            "height": height, "u": np.clip((cols - centre) / half, -1.5, 1.5), "centre": centre, "half": half}


def _band(rows: np.ndarray, upper: np.ndarray, lower: np.ndarray, edge: float) -> np.ndarray:
    """(S, S) soft 1 between the per-column rows ``upper`` < ``lower``."""
    return np.clip(np.minimum(rows - upper[None, :], lower[None, :] - rows) / edge + 0.5, 0.0, 1.0)


def _smooth(ramp: np.ndarray) -> np.ndarray:
    """A ramp in [0, 1] eased in and out (smoothstep): no kink where it starts or ends."""
    return ramp * ramp * (3.0 - 2.0 * ramp)


def _sides(u: np.ndarray, reach: float) -> np.ndarray:
    """(S,) float32: 1 between the columns ``|u| < reach`` (half face widths from the centre),
    fading to 0 over SIDE_FADE beyond, so a region's sides are never a straight vertical cut."""
    return np.clip((reach - np.abs(u)) / SIDE_FADE + 0.5, 0.0, 1.0).astype(np.float32)


def hairline(hair: np.ndarray, top: np.ndarray) -> np.ndarray:
    """(S,) float32: in each column, the lowest row of sure hair (``hair`` (S, S) > 0.5) above
    the face's top ``top`` (S,), the person's own hairline there; NaN where there is none (a bare
    scalp)."""
    rows = np.arange(hair.shape[0], dtype=np.float32)[:, None]
    lowest = np.where((hair > 0.5) & (rows < top[None, :]), rows, -1.0).max(axis=0)
    return np.where(lowest >= 0, lowest, np.nan).astype(np.float32)


def forehead(landmarks: np.ndarray, size: int) -> np.ndarray:
    """(S, S) float32 in [0, 1]: the forehead between the temples, from just above the hairline
    down to the brows, where a fringe hangs."""
    g = _geometry(landmarks, size)
    rows = np.arange(size, dtype=np.float32)[:, None]
    band = _band(rows, g["top"] - 0.05 * g["height"], g["brow"] - 0.01 * size, max(EDGE * size, 1.0))
    return (band * _sides(g["u"], 1.0)[None, :]).astype(np.float32)


class Fringe(NamedTuple):
    """Where a fringe goes (``fringe``), each (S, S)."""

    lies: np.ndarray     # float32 in [0, 1]: where it is drawn, growing out of the hair above the hairline
    root: np.ndarray     # bool: that hair, which it grows from


def fringe(landmarks: np.ndarray, size: int, root: tuple[float, float] = (0.1, 0.4),
           ends: tuple[float, float] = (0.1, 0.25)) -> Fringe:
    """Where a fringe lies, between the temples and down from its root in the hair above the
    hairline (``root``: from that far above the hairline, in skull heights, to the first), so it
    grows out of the hair there, to the eyes (``ends``: wholly to that far below the brows, in
    skull heights, fading out by the second; the eyes lie about 0.1 below them): a donor's long
    locks beside its face are not its fringe, and would hang down the person's cheeks."""
    g = _geometry(landmarks, size)
    rows = np.arange(size, dtype=np.float32)[:, None]
    near, far = g["top"] - root[0] * g["height"], g["top"] - root[1] * g["height"]
    grows = _smooth(np.clip((rows - far[None, :]) / np.maximum(near - far, 1.0)[None, :], 0.0, 1.0))
    stops = _smooth(np.clip((g["brow"][None, :] + ends[1] * g["height"] - rows) / ((ends[1] - ends[0]) * g["height"]),
                            0.0, 1.0))
    sides = _sides(g["u"], 1.0)[None, :]
    return Fringe((grows * stops * sides).astype(np.float32),
                  (rows >= far[None, :]) & (rows <= near[None, :]) & (sides >= 1.0))


def region(style: str, landmarks: np.ndarray, size: int, amount: float, hair: np.ndarray | None = None) -> np.ndarray:
    """(S, S) float32 in [0, 1]: where ``style`` at ``amount`` puts hair (ADD) or takes it (REMOVE);
    ``hair`` (S, S): the person's, where the region follows their own hairline (regrowth)."""
    g = _geometry(landmarks, size)
    rows = np.arange(size, dtype=np.float32)[:, None]
    edge = max(EDGE * size, 1.0)
    amount = float(np.clip(amount, 0.0, 2.0))
    top, brow, height, u = g["top"], g["brow"], g["height"], g["u"]
    if style == "receding":
        depth = amount * height * (RECEDE_CENTRE + (RECEDE_TEMPLES - RECEDE_CENTRE) * np.clip(u, -1, 1) ** 2)
        # Down to the brows: a fringe that hung from the old hairline goes with it.
        lower = np.maximum(top + 0.02 * size, brow - 0.01 * size)
        # A hairline recedes at the temples first: at small amounts its middle (and a fringe
        # hanging from it) holds, the region's lower edge rising from the brows at the temples to
        # its upper edge in the middle (a slope, not a notch cut straight down).
        holds = np.clip((MIDDLE_HOLDS[1] - amount) / (MIDDLE_HOLDS[1] - MIDDLE_HOLDS[0]), 0.0, 1.0)
        middle = np.clip((MIDDLE[1] - np.abs(u)) / (MIDDLE[1] - MIDDLE[0]), 0.0, 1.0)
        middle = holds * _smooth(middle)
        lower = lower + middle * (top - depth - lower)
        out = _band(rows, top - depth, lower, edge) * _sides(u, RECEDE_SIDES)[None, :] * skull(landmarks, size)
    elif style == "bald":
        crown = g["ears"] - height   # the skull's top
        # The horseshoe's top rises away from the face (the hair wraps round the back of the head).
        cut = g["ears"] - height * (HORSESHOE + HORSESHOE_RISE * np.clip(np.abs(u) - 0.9, 0.0, 0.6))[None, :]
        ys, xs = np.mgrid[0:size, 0:size].astype(np.float32)
        # An ellipse from the crown that grows with the amount to cover the top down to ``cut``.
        reach = amount * ((1.0 - HORSESHOE) * height + 0.5 * height)
        dist = np.sqrt(((xs - g["centre"]) / (g["half"] * 1.3)) ** 2 + ((ys - crown) / max(reach, 1e-3)) ** 2)
        out = np.clip((1.0 - dist) * reach / edge + 0.5, 0.0, 1.0)
        # Fully bald, nothing stands out beside the scalp above the horseshoe (big hair left
        # horns on both sides of the new scalp).
        sides = np.clip((amount - SIDES_FROM[0]) / (SIDES_FROM[1] - SIDES_FROM[0]), 0.0, 1.0)
        out = np.maximum(out, sides * np.clip((crown + reach - ys) / edge + 0.5, 0.0, 1.0))
        out = out * np.clip((cut - ys) / (CUT_EDGE * edge) + 0.5, 0.0, 1.0)
        # ... and what is left of the sides hugs the head: hair standing out farther goes.
        hug = HORSESHOE_HUG[1] + (HORSESHOE_HUG[0] - HORSESHOE_HUG[1]) * np.clip((1.0 - amount) / (1.0 - SIDES_FROM[1]), 0.0, 1.0)
        # (The skull's outline, as an ellipse: ``regions.skull`` costs ten times as much.)
        out_of = np.hypot((xs - g["centre"]) / (g["half"] * SKULL_WIDTH * hug), (ys - g["ears"]) / (height * hug))
        far = np.clip((out_of - 1.0) * height / edge + 0.5, 0.0, 1.0) * np.clip((g["ears"] - ys) / edge + 0.5, 0.0, 1.0)
        out = np.maximum(out, sides * far)
        # Below the horseshoe's top, long hair falls from the side of the head: what stands out
        # beside the skull goes down to a line falling away from it, DRAPE rows a column (long
        # hair was left as a box cut straight across at the horseshoe's top: earmuffs).
        beyond = np.abs(xs - g["centre"]) - g["half"] * SKULL_WIDTH
        drape = np.clip(beyond / edge + 0.5, 0.0, 1.0) * np.clip((cut + DRAPE * beyond - ys) / (CUT_EDGE * edge) + 0.5, 0.0, 1.0)
        out = np.maximum(out, sides * drape)
    elif style == "regrowth":
        # The skull above the hairline fills, down to a full head of hair's hairline: a hairline
        # above that (receded) comes down towards it by ``amount``, one at or below it stays (the
        # face mesh's top lies below most hairlines: filled down to it, a full head of hair grew
        # a blunt fringe of smeared strands).
        line = top - height * (REGROW_LINE[0] + (REGROW_LINE[1] - REGROW_LINE[0]) * np.clip(u, -1, 1) ** 2)
        # (a bare scalp's, or one whose hair is not known, from the skull's top)
        own = np.full(size, np.nan, np.float32) if hair is None else hairline(hair, top)
        own = np.where(np.isnan(own), g["ears"] - height, own)
        lower = own + amount * np.maximum(line - own, 0.0)
        out = _band(rows, top - 2 * height, lower, edge) * skull(landmarks, size) * _sides(u, 1.2)[None, :]
    else:
        raise ValueError(f"no shape region for style {style!r}")
    return np.clip(out, 0.0, 1.0).astype(np.float32)


class ShapeChange(NamedTuple):
    """A mix of shape styles on one face (``shape_change``).

    Attributes:
        change: (S, S) float32 in [-1, 1], the hair probability added (> 0) or taken (< 0).
        reach: (S, S) float32 in [0, 1], where hair is taken wherever it lies (the hair taken is
            about ``reach`` times the hair there), or None if none is.
    """

    change: np.ndarray
    reach: np.ndarray | None


def shape_change(mix: dict[str, float], landmarks: np.ndarray, hair: np.ndarray, amount: float,
                 hold: LongHold | None = None) -> ShapeChange:
    """The hair added and taken by a mix of shape styles ({name: weight}) at ``amount``, on a
    face whose hair is ``hair`` (S, S); ``hold``: video's memory of long hair (``hangs_long``)."""
    size = hair.shape[0]
    grow = np.zeros((size, size), np.float32)
    loss = np.zeros((size, size), np.float32)
    long = None
    for name, weight in mix.items():
        if weight <= 0:
            continue
        if name in ADD:
            grow = np.maximum(grow, region(name, landmarks, size, weight * amount, hair))
        elif name in REMOVE:
            taken = region(name, landmarks, size, weight * amount)
            if name == "receding":
                # Long hair falling past the temples stays (a fringe between them still goes).
                u = np.abs(_geometry(landmarks, size)["u"])
                beside = np.clip((u - HANG_BESIDE[0]) / (HANG_BESIDE[1] - HANG_BESIDE[0]), 0.0, 1.0)
                taken = taken * (1.0 - falls_past(hair, taken) * beside[None, :])
            if name == "bald":
                # (below the chin only long hair goes: the horseshoe's drape took a beard there)
                taken = taken * chin_fade(landmarks, size)[:, None]
                sides = np.clip((weight * amount - SIDES_FROM[0]) / (SIDES_FROM[1] - SIDES_FROM[0]), 0.0, 1.0)
                if sides > 0:
                    long = sides * hangs_long(hair, landmarks, hold)
            loss = np.maximum(loss, taken)
    change = (grow - loss) * np.where(grow > loss, 1.0 - hair, hair)
    reach = np.where(grow > loss, 0.0, loss)
    if long is not None:
        # (long hair the segmenter is less sure of, thin strands against the neck, goes wholly too)
        change = np.minimum(change, -long * np.clip((hair - LONG_FAINT) / (LONG_SURE - LONG_FAINT), 0.0, 1.0))
        reach = np.maximum(reach, long)
    return ShapeChange(np.clip(change, -1.0, 1.0), reach.astype(np.float32) if reach.max() > 0 else None)


def hair_change(mix: dict[str, float], landmarks: np.ndarray, hair: np.ndarray, amount: float,
                hold: LongHold | None = None) -> np.ndarray:
    """(S, S) float32 in [-1, 1]: ``shape_change``'s hair added (> 0) or taken (< 0)."""
    return shape_change(mix, landmarks, hair, amount, hold).change


def _run_ends(sure: np.ndarray) -> np.ndarray:
    """(S, S) float32: the row where each pixel's run of ``sure`` (S, S) bool down its column ends
    (the first row at or below it that is not in it)."""
    rows = np.arange(sure.shape[0], dtype=np.float32)[:, None]
    return np.minimum.accumulate(np.where(sure, float(sure.shape[0]), rows)[::-1], axis=0)[::-1]


def falls_past(hair: np.ndarray, region: np.ndarray) -> np.ndarray:
    """(S, S) float32 in [0, 1]: the hair in ``region`` (S, S) that hangs on down past the
    region's lower edge (long hair beside the face, not a fringe ending in it): 0 where its run
    of hair (``hair`` (S, S) > 0.5) ends within HANG_PAST (share of the crop) below that edge,
    1 where it goes on twice that or more; softened across columns over HANG_SOFT."""
    size = hair.shape[0]
    sure = hair > 0.5
    ends = np.where(sure, _run_ends(sure), 0.0)
    inside = region > 0.5
    bottom = np.where(inside.any(axis=0), size - np.argmax(inside[::-1], axis=0), size).astype(np.float32)
    past = max(HANG_PAST * size, 1.0)
    hangs = np.clip((ends - bottom[None, :]) / past - 1.0, 0.0, 1.0).astype(np.float32)
    # (judged column by column: softened across them, or where it stops the hair kept ends in a
    # straight vertical line)
    return cv2.GaussianBlur(hangs, (0, 0), sigmaX=HANG_SOFT * size, sigmaY=0.5 * HANG_SOFT * size)


def _certain(hair: np.ndarray, where: np.ndarray, long: bool) -> bool:
    """Whether a side taken for long hair (``long``) is surely hair: at least LONG_CERTAIN[1] of
    its hair ``where`` (S, S) bool is more than LONG_CERTAIN[0] sure (a dark wall or collar the
    segmenter half takes for hair beside a short cut: 0-0.04 beside short cuts; long hair: 0.27-1)."""
    if not long or not where.any():
        return False
    return bool((hair[where] > LONG_CERTAIN[0]).mean() >= LONG_CERTAIN[1])


def hangs_long(hair: np.ndarray, landmarks: np.ndarray, hold: LongHold | None = None) -> np.ndarray:
    """(S, S) float32 in [0, 1]: long hair beside the face, outside the face oval: in the columns
    where a run of hair (``hair`` (S, S) > LONG_SURE, gaps up to LONG_GAP joined) reaches from
    above the ear line down to the mouth's row, at least LONG_APART[0] out from the face oval
    halfway between them (within LONG_GAP), and every column between those and the face,
    softened across columns over HANG_SOFT; and below the ear line, all the hair joined
    to those runs (curling in below the chin). Never within LONG_APART[1] of the face oval below
    the mouth, nor under the chin within the jaw's width: a beard, which a run from the sideburns
    reaches too; on a side whose hair is surely hair (``_certain``), only under the chin within
    BEARD of that width (the hair seen behind the neck and right under the jaw stood as a dark
    stalk either side of the neck and a crescent along the jaw). A shaved head keeps
    none of it (left, it hung from a horseshoe cut straight across at the ear line). In video
    (``hold``, updated), a side so taken within LONG_HOLD_MS takes all the hair below its ear
    line as such runs, but under the chin within the jaw's width."""
    size = hair.shape[0]
    gap = max(int(round(LONG_GAP * size)), 1)
    oval = face_oval(landmarks, size)
    def near(share: float) -> np.ndarray:
        apart = max(int(round(share * size)), 1)
        return cv2.dilate(oval.astype(np.uint8), cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * apart + 1,) * 2)) > 0
    sure = cv2.morphologyEx((hair > LONG_SURE).astype(np.uint8), cv2.MORPH_CLOSE, np.ones((2 * gap + 1, 1), np.uint8)) > 0
    sure &= ~oval
    rows = np.arange(size, dtype=np.float32)[:, None]
    # The row where each pixel's run of hair starts: the last row at or above it that is hair
    # with no gap since.
    starts = np.maximum.accumulate(np.where(sure, -1.0, rows), axis=0) + 1.0
    ends = _run_ends(sure)
    geometry = _geometry(landmarks, size)
    ears, centre = geometry["ears"], geometry["centre"]
    mouth = float(landmarks[MOUTH, 1])
    # (seen halfway from the ear line to the mouth: a beard there is its sideburns, along the face)
    cheek = int(np.clip(round(0.5 * (ears + mouth)), 0, size - 1))
    seeds = sure & (starts <= ears) & (ends >= mouth) & ~near(LONG_APART[0])
    seeds[:max(cheek - gap, 0)] = False
    seeds[cheek + gap + 1:] = False
    cols = np.arange(size)
    halves = (cols < centre, cols >= centre)
    held, left, right = np.zeros(size, bool), False, False
    if hold is not None:
        hold.seen_ms = tuple(float(hold.now_ms) if seeds[:, half].any() else seen
                             for half, seen in zip(halves, hold.seen_ms))
        left, right = hold.held()
        held = (halves[0] & left) | (halves[1] & right)
    # (nor under the chin within the jaw's width: a long beard, which joins the hair beside it;
    # on a side of long hair that is surely hair, within BEARD of that width only, and nothing
    # kept along the jaw)
    span, beard = jaw_span(landmarks, size), neck_span(landmarks, size, BEARD, under="chin")
    under = (cols >= span[0]) & (cols <= span[1]) if span is not None else np.zeros(size, bool)
    certain = np.zeros(size, bool)
    if beard is not None:
        beside = sure & (rows > ears) & (rows < mouth)     # (its hair beside the face)
        for half, was in zip(halves, (left, right)):
            certain |= half & _certain(hair, beside & half, bool(seeds[:, half].any()) or was)
        under &= ~certain | ((cols >= beard[0]) & (cols <= beard[1]))
    under = under & (rows > mouth)
    seeds |= sure & (rows > ears) & ~under & held
    if not seeds.any():
        return np.zeros((size, size), np.float32)
    jaw = (near(LONG_APART[1]) & ~(held | certain) & (rows > mouth)) | under
    # (on each side with such runs, every column from the farthest out in to the face: the hair
    # between them and the face, nearer than LONG_APART, hangs on too)
    seeded = seeds.any(axis=0)
    left, right = seeded & halves[0], seeded & halves[1]
    columns = np.zeros(size, np.float32)
    if left.any():
        columns[(cols >= cols[left].min()) & (cols < centre)] = 1.0
    if right.any():
        columns[(cols <= cols[right].max()) & (cols >= centre)] = 1.0
    columns = cv2.GaussianBlur(columns[None, :], (0, 0), sigmaX=HANG_SOFT * size)[0]
    joined = joined_to(sure & (rows > ears) & ~jaw, seeds)
    # (its edge softened as the hair mask's is: the ramp from LONG_FAINT takes the rest)
    hung = cv2.GaussianBlur(joined.astype(np.float32), (0, 0), 1.0)
    return np.maximum(np.clip(2.0 * columns, 0.0, 1.0)[None, :] * ~(oval | jaw), hung).astype(np.float32)


def thinning(mix: dict[str, float], landmarks: np.ndarray, size: int, amount: float,
             hair: np.ndarray | None = None) -> np.ndarray | None:
    """(S, S) float32 in [0, 1]: the share of the hair that thins away in a mix of shape styles
    ({name: weight}) at ``amount``; None when the mix has no ``THIN`` style. ``thinning``:
    THIN_SHARE at the crown, fading out smoothly (hair thins gradually) over the outer THIN_FADE
    of THIN_REACH of the skull; ``parting``: PART_SHARE along the parting (``_parting``), behind
    the front of the ``hair`` (S, S) where it lies above the face mesh's top (None: the mesh's)."""
    weights = {name: w * amount for name, w in mix.items() if name in THIN and w > 0}
    if not weights:
        return None
    g = _geometry(landmarks, size)
    crown = g["ears"] - g["height"]
    ys, xs = np.mgrid[0:size, 0:size].astype(np.float32)
    share = np.zeros((size, size), np.float32)
    if "thinning" in weights:
        dist = np.hypot((xs - g["centre"]) / (g["half"] * THIN_REACH[1]), (ys - crown) / (g["height"] * THIN_REACH[0]))
        fade = np.clip((1.0 - dist) / THIN_FADE, 0.0, 1.0)
        share += np.clip(weights["thinning"], 0.0, 1.5) * THIN_SHARE * _smooth(fade)
    if "parting" in weights:
        parting = _parting(g, xs, ys, crown, weights["parting"], _front(g, hair))
        if hair is not None:
            # (not at the hair's outline on the wall: thinning hair keeps its shape there; thinned,
            # the wall showed through the top of the head as a pale notch)
            reach = 2 * max(1, int(round(PART_OUTLINE * size))) + 1
            inner = cv2.erode((hair > 0.5).astype(np.float32), np.ones((reach, reach), np.uint8))
            parting *= cv2.GaussianBlur(inner, (0, 0), reach / 4.0)
        share += parting
    return np.clip(share, 0.0, 1.0).astype(np.float32)


def _front(g: dict, hair: np.ndarray | None) -> float:
    """The row of the hair's front in the face's middle: the lowest row of hair (the middle's
    columns' mean over 0.5) at or above the face mesh's top there; the mesh's top where there is
    no hair or no ``hair`` (S, S) (the mesh's top lies below a high hairline: a parting thinned
    from it reached the forehead, its front a straight cut)."""
    top = float(np.interp(g["centre"], np.arange(len(g["top"]), dtype=np.float32), g["top"]))
    if hair is None:
        return top
    reach = max(1, int(round(0.15 * g["half"])))
    middle = int(round(g["centre"]))
    rows = hair[:int(top) + 1, max(middle - reach, 0):middle + reach + 1].mean(axis=1)
    above = np.flatnonzero(rows > 0.5)
    return float(above.max()) if above.size else top


def _parting(g: dict, xs: np.ndarray, ys: np.ndarray, crown: float, amount: float, hairline: float) -> np.ndarray:
    """(S, S) float32: the share of the hair a woman's thinning takes at ``amount``: along the
    parting (the face's middle) from over the crown to PART_FRONT of the skull's height behind the
    ``hairline`` row, PART_SHARE of it at amount 1, in a band PART_WIDTH wide (at the crown / the front,
    times the amount: it widens forward, and as the hair thins), eased out towards its edges
    (PART_FADE) and its front (PART_ENDS): diffuse, not a cut."""
    amount = float(np.clip(amount, 0.0, 1.5))
    if amount <= 0.0:
        return np.zeros_like(xs)
    front = hairline - PART_FRONT * g["height"]
    length = max(front - crown, 1.0)
    along = np.clip((ys - crown) / length, 0.0, 1.0)              # 0 at the crown, 1 at the front
    half = g["half"] * amount * (PART_WIDTH[0] + (PART_WIDTH[1] - PART_WIDTH[0]) * along)
    across = np.clip((1.0 - np.abs(xs - g["centre"]) / half) / PART_FADE, 0.0, 1.0)
    # (on over the crown as the parting runs on over the head: from the front, the top of the head
    # shows above the crown's row; ended there, the band was a patch above the hairline)
    ends = np.clip((front - ys) / (PART_ENDS * length), 0.0, 1.0)
    return (min(amount, 1.0) * PART_SHARE * _smooth(across) * _smooth(ends)).astype(np.float32)
