"""The person and a donor's layers warped onto them, for the transplant (``mirror.render.transplant``):
the person's detail crop, masks and bare skin; the donor's unmixed hair colour, matte, scalp,
bare skin and own pixels through the landmark warp (``mirror.face.warp.head_warp``), and the
relighting between their faces (``mirror.render.donor_light``).

    person = Person.of(aligned, aligned.landmarks * aligned.scale)
    drawn = Drawn.of(person, donor)                    # LayerParams(), WarpParams(), LightParams()
"""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from mirror.face.regions import EARS, EYES, LIPS, brow_line, ear_zones, face_oval, skull, skull_axes
from mirror.face.warp import WarpParams, head_warp
from mirror.render.donor_light import LightParams, bare_face, relight_gain, skin_plane, unmix, warp_layers
from mirror.render.lab import to_lab
from mirror.types import AlignedFace, Donor

LIGHT_HALF = np.float32([0.5, 1.0, 1.0])   # CIELAB distances with lightness weighed half (a lit or shaded skin)


@dataclass(frozen=True)
class LayerParams:
    """How the donor's layers are taken from its photo (lengths are shares of its crop's side).

    Attributes:
        matte: the donor's matte from not hair to wholly hair (a soft matte's middle is its wall
            or face seen through it).
        skull: the donor's scalp is drawn inside its skull's outline (``regions.skull``) this much
            bigger (its ears and the sides of its head below the temples are not) ...
        skull_edge: ... its outline softened over this (as sharp as a photo's: softened over 3
            times more, a bald dome's edge on the wall was a blur, an egg pasted on).
        brow_gap: the donor's skin is its scalp and forehead from this far above its brows' arc.
        hairline: the donor's bare skin, on which its skin is matched to the person's, is taken
            this far from its hair (the fine hairs at a hairline are darker than the skin).
        edge: the donor's layers fade out over this at its crop's edge (its photo ends there),
        foot: ... and over this at its foot (long hair goes on past it).
        crown: where its photo cuts its hair off above the ears, the hair goes on up to a crown:
            the person's skull outline as wide as the hair, at most this much bigger (faded out
            where the photo ends, it was a blurred cap).
        ear_out: the person's ear is looked for this far out from the face's outline at its
            side (``regions.ear_zones``: a share of the ears' distance apart) ...
        ear_reach: ... within this (the same share) ...
        ear_hidden: ... and is hidden where hair covers the first share of that, surely the second
            (``ears_hidden``); the donor's ear drawn there reaches from its brows (fading in over
            ``ear_top``) to ``ear_foot`` times their height above its ears' row below that row,
            within its skull's outline ``ear_width`` times as big (rounded off at that foot),
            where its colour is within ``ear_skin`` of its skin's (CIELAB, lightness weighed
            half; fading out over half as much again).
        between: the donor's face and scalp seen between the strands over them are not hair
            (``skin_between``): a pixel's colour is hair up to where this quantile of its sure
            hair off the face reaches towards its skin's, and skin from where this quantile of
            its bare skin does.
    """

    matte: tuple[float, float] = (0.2, 0.8)
    skull: float = 1.1
    skull_edge: float = 0.01
    brow_gap: float = 0.02
    hairline: float = 0.015
    edge: float = 0.08
    foot: float = 0.15
    crown: float = 1.6
    ear_out: float = 0.12
    ear_reach: float = 0.08
    ear_hidden: tuple[float, float] = (0.3, 0.7)
    ear_foot: float = 0.6
    ear_skin: float = 15.0
    ear_width: float = 1.4
    ear_top: float = 0.04
    between: tuple[float, float] = (0.99, 0.5)


@dataclass
class Person:
    """The person, at the detail crop's side R."""

    detail: np.ndarray            # (R, R, 3) uint8 BGR
    lab: np.ndarray               # (R, R, 3) float32 CIELAB
    landmarks: np.ndarray         # (478, 2) in detail pixels
    hair: np.ndarray              # (R, R) float32
    person: np.ndarray            # (R, R) float32
    keep: np.ndarray              # (R, R) float32: the eyes-nose-mouth hull, 1 inside
    skin: np.ndarray              # (R, R) bool: bare face skin

    @classmethod
    def of(cls, aligned: AlignedFace, landmarks: np.ndarray) -> "Person":
        size = aligned.detail.shape[0]
        up = lambda mask: cv2.resize(mask, (size, size), interpolation=cv2.INTER_LINEAR)
        lab = to_lab(aligned.detail)
        hair = up(aligned.hair)
        keep = hull(landmarks, size)
        return cls(aligned.detail, lab, landmarks, hair, up(aligned.person), keep,
                   bare_face(lab, landmarks, hair, keep))


@dataclass
class Drawn:
    """The donor's layers warped onto the person (R, R), and its light and skin there."""

    field: np.ndarray             # (R, R, 2) float32: each person pixel's donor pixel
    color: np.ndarray             # (R, R, 3) float32 BGR in [0, 1]: the donor's unmixed hair colour
    skin: np.ndarray              # (R, R, 3) float32 BGR in [0, 1]: the donor's own pixels
    bare: np.ndarray              # (R, R) float32: the donor's bare scalp and forehead
    matte: np.ndarray             # (R, R) float32
    scalp: np.ndarray             # (R, R) float32: where the donor's head is above its ears
    seen: np.ndarray              # (R, R) float32: 1 inside the donor's photo, fading at its edge
    gain: np.ndarray              # (R, R) float32: relighting gain
    shift: np.ndarray             # (2,) a*, b* shift of relighting
    cut: np.ndarray               # (R, R) float32: the donor's hair its photo's edge cut off
    unmixed: np.ndarray           # (D, D, 3) float32 BGR: ``color`` before the warp, in the donor's crop
    sure: np.ndarray              # (D, D) float32: ``matte`` before the warp (``donor_matte``)
    crown: float                  # the crown its hair goes on up to past its photo: the skull this much bigger

    @classmethod
    def of(cls, person: Person, donor: Donor, params: LayerParams = LayerParams(), warp: WarpParams = WarpParams(),
           light: LightParams = LightParams()) -> "Drawn":
        size = person.detail.shape[0]
        side = donor.crop.shape[0]
        field = head_warp(person.landmarks, donor.landmarks, size, warp)
        donor_lab = to_lab(donor.crop)
        donor_keep = hull(donor.landmarks, side)
        matte = donor_matte(donor, params, donor_lab)
        donor_face = bare_face(donor_lab, donor.landmarks, matte, donor_keep) & (donor.skin > 0.5)
        # The donor's head above its ears, and its bare scalp and forehead (above the brows' arc,
        # less a gap: the brows; clear of its hairline's fine hairs).
        rows = np.arange(side, dtype=np.float32)[:, None]
        above = rows < brow_line(donor.landmarks, side)[None, :] - params.brow_gap * side
        _, ears, _, _ = skull_axes(donor.landmarks)
        # (narrowing from the brows down to the ears into the face: a head's sides above the ears
        # drawn whole stood out beside the cheeks as blocks with a straight foot)
        brows = float(np.mean(brow_line(donor.landmarks, side)))
        narrow = np.clip((ears - rows) / max(ears - brows, 1.0), 0.0, 1.0)
        oval = face_oval(donor.landmarks, side)
        scalp = donor.person * np.maximum(skull(donor.landmarks, side, edge=params.skull_edge, scale=params.skull) * narrow,
                                          oval)
        # Its ears beside its face, from the brows down to the ears' foot: drawn in the person's
        # skin where their ears are hidden under hair that goes (the wall there stood as a pale
        # crescent beside the cheek; taken on down to the chin, the jaw stood out as a bulge).
        # (within the skull's outline rounded off at that foot: cut along rows, they stood as blocks)
        foot = ears + params.ear_foot * (ears - brows)
        sides = skull(donor.landmarks, side, edge=params.skull_edge, scale=params.ear_width, foot=foot)
        # (and only its skin-coloured pixels: its ears' own outline, not its person mask's coarse one)
        far = np.linalg.norm((donor_lab - donor.skin_color) * LIGHT_HALF, axis=-1)
        near = np.clip((1.5 * params.ear_skin - far) / (0.5 * params.ear_skin), 0.0, 1.0)
        top = np.clip((rows - brows) / max(params.ear_top * side, 1.0), 0.0, 1.0)
        beside = donor.person * (1.0 - matte) * ~oval * top * sides * near
        bare = (donor.skin > 0.5) & above & (matte < 0.2)
        clear = max(1, int(round(params.hairline * side)))
        bare = cv2.erode(bare.astype(np.uint8), cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * clear + 1,) * 2))
        bare = np.maximum(bare, (beside > 0.5).astype(np.uint8))   # (its ears' light and shade drawn too)
        layers = warp_layers(np.dstack([matte, scalp, donor_seen(side, params), bare, beside]).astype(np.float32),
                             field)
        unmixed = unmix(donor.crop, matte, light)
        colour = warp_layers(unmixed, field, cv2.BORDER_REPLICATE)
        skin = warp_layers(donor.crop.astype(np.float32) / 255.0, field, cv2.BORDER_REPLICATE)
        # The lighting of both faces.
        theirs = skin_plane(donor_lab, donor_face)
        own = skin_plane(person.lab, person.skin)
        if theirs is None or own is None:
            gain, shift = np.ones((size, size), np.float32), np.zeros(2, np.float32)
        else:
            gain, shift = relight_gain(own, theirs, _box(person.skin), _box(donor_face), field, light)
        # (past the donor's photo its hair and scalp fade out; above the ears its hair goes on up
        # to a crown; elsewhere the person's own hair stands in for the donor's the photo cut off)
        seen = layers[..., 2]
        shown = layers[..., 0] * seen
        crown_scale = _crown(person.landmarks, shown, params)
        past = warp_layers(np.dstack([matte, donor_past_top(side, params)]).astype(np.float32), field,
                           cv2.BORDER_REPLICATE)
        cut = past[..., 0] * (1.0 - seen)
        over_top = past[..., 0] * past[..., 1]
        above = over_top * skull(person.landmarks, size, edge=params.skull_edge, scale=crown_scale,
                                 top=crown_top(person.landmarks, over_top, crown_scale))
        scalp = np.maximum(layers[..., 1], layers[..., 4] * ears_hidden(person, params)) * seen
        return cls(field, colour, skin, layers[..., 3], np.maximum(shown, above), scalp, seen, gain,
                   shift, np.clip(cut - above, 0.0, 1.0), unmixed, matte, crown_scale)


def ears_hidden(person: Person, params: LayerParams = LayerParams()) -> np.ndarray:
    """(R, R) float32 in [0, 1]: on each side of the face, how surely the person's ear there is
    hidden under their hair: the hair's mean over its ``regions.ear_zones`` disc (``ear_out``,
    ``ear_reach``), from ``ear_hidden``'s first share to its second."""
    size = person.detail.shape[0]
    low, high = params.ear_hidden
    out = np.zeros((size, size), np.float32)
    middle = 0.5 * (person.landmarks[EARS[0], 0] + person.landmarks[EARS[1], 0])
    cols = np.arange(size, dtype=np.float32)
    for zone, point in zip(ear_zones(person.landmarks, size, params.ear_out, params.ear_reach), EARS):
        covered = float(person.hair[zone].mean()) if zone.any() else 0.0
        side = (cols - middle) * (person.landmarks[point, 0] - middle) > 0
        out[:, side] = np.clip((covered - low) / (high - low), 0.0, 1.0)
    return out


def donor_matte(donor: Donor, params: LayerParams = LayerParams(), lab: np.ndarray | None = None) -> np.ndarray:
    """(D, D) float32: the donor's matte made sure (a soft one draws the donor's wall and face
    through the hair), and none of it on the donor's bare skin, nor on its face's skin seen between
    the strands of a fringe (``skin_between``). ``lab``: the donor's crop in CIELAB, if made."""
    low, high = params.matte
    matte = np.clip((donor.matte - low) / (high - low), 0.0, 1.0) * (1.0 - donor.skin)
    return (matte * (1.0 - skin_between(donor, params, lab))).astype(np.float32)


def skin_between(donor: Donor, params: LayerParams = LayerParams(), lab: np.ndarray | None = None) -> np.ndarray:
    """(D, D) float32 in [0, 1]: how much of each pixel is the donor's face or scalp seen between
    the strands over them (its segmenter takes it for hair), within its face's oval and its
    skull's outline: where its colour lies on the line from its hair's to its skin's (CIELAB,
    lightness weighed half), none up to ``between[0]``'s quantile of its sure hair off the face,
    wholly from ``between[1]``'s of its bare face, linearly between; none where those overlap
    (hair of its skin's colour). Left in the matte, that skin was drawn as hair lighter than any
    of it: pale streaks across a fringe. A wisp over the skin keeps its share of hair."""
    side = donor.crop.shape[0]
    none = np.zeros((side, side), np.float32)
    line = (donor.skin_color - donor.hair_color) * LIGHT_HALF
    apart = float(np.linalg.norm(line))
    oval = face_oval(donor.landmarks, side)
    hair = (donor.matte > params.matte[1]) & ~oval
    skin = (donor.skin > 0.5) & oval
    if apart < 1.0 or hair.sum() < 100 or skin.sum() < 100:
        return none
    lab = to_lab(donor.crop) if lab is None else lab
    toward = ((lab - donor.hair_color) * LIGHT_HALF) @ (line / apart ** 2)
    start = float(np.quantile(toward[hair], params.between[0]))
    full = float(np.quantile(toward[skin], params.between[1]))
    if full <= start:
        return none
    head = np.maximum(oval, skull(donor.landmarks, side, edge=params.skull_edge, scale=params.skull))
    return (np.clip((toward - start) / (full - start), 0.0, 1.0) * head).astype(np.float32)


def _crown(landmarks: np.ndarray, matte: np.ndarray, params: LayerParams = LayerParams()) -> float:
    """How much bigger than the person's skull (``regions.skull``, on ``landmarks``) the crown of
    the hair ``matte`` (S, S) is: as wide as the hair above the ears, 1 to ``params.crown``."""
    cx, ears, half_width, _ = skull_axes(landmarks)
    cols = np.nonzero(matte[:max(int(ears), 0)] > 0.5)[1]
    if cols.size == 0:
        return 1.0
    return float(np.clip(max(cx - cols.min(), cols.max() - cx) / half_width, 1.0, params.crown))


def crown_top(landmarks: np.ndarray, past: np.ndarray, scale: float) -> float | None:
    """The highest row the crown of hair its donor's photo cut off may reach (``regions.skull``'s
    ``top``), on the square of ``landmarks``: its outline (the skull ``scale`` times bigger) passing
    through the ends of the cut, the lowest rows of ``past`` (where the cut-off hair goes on) sure
    of hair (a 50th of the square: a tilted cut). A narrow cut (the top of a bob that just touched
    its photo's edge) ends just above itself: taken up to the whole crown, it stood over the head
    as a column. None: no cut."""
    rows = np.flatnonzero(past.max(axis=1) > 0.5)
    if rows.size == 0:
        return None
    cx, cy, half_width, _ = skull_axes(landmarks, scale)
    row = int(rows[-1])
    cols = np.flatnonzero(past[max(row - past.shape[0] // 50, 0):row + 1].max(axis=0) > 0.5)
    reach = max(abs(cols[0] - cx), abs(cols[-1] - cx)) / half_width
    if row >= cy or reach >= 1.0:
        return None
    return float(cy - (cy - row) / np.sqrt(1.0 - reach ** 2))


def donor_past_top(side: int, params: LayerParams = LayerParams()) -> np.ndarray:
    """(D, D) float32: 0 inside the donor's ``side``-pixel crop, rising past its top edge as
    ``donor_seen`` fades there, faded as it is at its sides: where hair its photo's top cut off
    goes on (taken with the border replicated, above the crop)."""
    top, sides = _edge_ramps(side, params)
    return ((1.0 - top)[:, None] * sides[None, :]).astype(np.float32)


def donor_seen(side: int, params: LayerParams = LayerParams()) -> np.ndarray:
    """(D, D) float32: 1 inside the donor's ``side``-pixel crop, fading at its edges (long hair the
    donor's photo cuts at its foot ends in soft tips there, not a line)."""
    _, sides = _edge_ramps(side, params)
    ramp = np.arange(side, dtype=np.float32) + 0.5
    foot = np.clip(ramp[::-1] / max(params.foot * side, 1.0), 0.0, 1.0)
    return np.minimum(np.minimum(sides, foot)[:, None], sides[None, :])


def _edge_ramps(side: int, params: LayerParams) -> tuple[np.ndarray, np.ndarray]:
    """(side,) float32 each: rising from 0 to 1 over ``params.edge`` of the crop from its first
    edge (its top, or left), and from both its edges."""
    ramp = np.arange(side, dtype=np.float32) + 0.5
    width = max(params.edge * side, 1.0)
    return np.clip(ramp / width, 0.0, 1.0), np.clip(np.minimum(ramp, ramp[::-1]) / width, 0.0, 1.0)


def hull(landmarks: np.ndarray, shape: int | tuple[int, int]) -> np.ndarray:
    """(H, W) float32: 1 inside the convex hull of the eyes and the lips (the nose between them),
    on a picture of ``shape`` (a side, or (H, W))."""
    points = np.round(landmarks[EYES[0] + EYES[1] + LIPS, :2]).astype(np.int32)
    mask = np.zeros((shape, shape) if isinstance(shape, int) else shape, np.uint8)
    cv2.fillConvexPoly(mask, cv2.convexHull(points), 1)
    return mask.astype(np.float32)


def _box(mask: np.ndarray) -> tuple[float, float, float, float]:
    ys, xs = np.nonzero(mask)
    return float(xs.min()), float(ys.min()), float(xs.max()), float(ys.max())
