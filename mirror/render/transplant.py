"""Real hair from a real photo, drawn on the person: a donor's head of hair (``mirror.types.Donor``)
warped onto the person's head, relit and recoloured to them, and blended in; where the person's
own hair reaches beyond the donor's, what lay behind it.

    result = transplant(aligned, donor, plate, color="own")     # Transplanted
    frame = Compositor().compose(frame, aligned, result.edited)
    hud(result.reason)                                          # "" or why it faded out

1. warp: the donor's crop, matte, skin and silhouette through ``mirror.face.warp.head_warp``.
2. light and colour: ``mirror.render.donor_light``; the donor's scalp and forehead skin moved to the
   person's skin colour.
3. behind the person's hair that goes: the donor's bare scalp where the donor's head is, else the
   wall (the video's background plate, or the wall beside the head continued along each row);
   below the ears the wall and clothes beside the neck, and the neck under the jaw. Blended in a
   Laplacian pyramid, so no seam shows where it meets the person's own skin and wall.
4. the donor's hair over it through its matte, its colour unmixed from the donor's wall.
5. the eyes, nose and mouth are never drawn on: their hull is the person's own pixels, and the
   edit fades in outside it, and fades at the crop's edge; the donor's hair fades where its photo
   ends (long hair cut by it ends in soft tips).
6. knowing when not to: hair over the person's eyes or cheeks that would have to be taken off the
   face, a pose the donor does not share, a warp that folds: the edit fades out, with a reason.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import cv2
import numpy as np

from mirror.face.regions import (CHIN, EYES, MOUTH, brow_line, edge_profile, eyes, face_interior, face_oval, neck_span,
                                 skull, skull_axes)
from mirror.face.warp import WarpParams, crop_yaw, fold_share, head_warp
from mirror.render.base import Effect, Scene
from mirror.render.beyond import all_drawn, hand_over, removed_beyond
from mirror.render.color import own_color, scene_target
from mirror.render.lab import to_lab
from mirror.render.scalp import forehead_box
from mirror.render.donor_light import (LightParams, bare_face, move_color, relight_gain, skin_plane, to_bgr, unmix,
                                       warp_layers)
from mirror.render.plate import BackgroundPlate, fill_holes, smooth_fill
from mirror.types import AlignedFace, Donor, EditedFace, SkinGrain

# The lips' outer contour (FACEMESH_LIPS' outer ring): with the eyes, the hull never drawn on.
LIPS = [61, 146, 91, 181, 84, 17, 314, 405, 321, 375, 291, 409, 270, 269, 267, 0, 37, 39, 40, 185]
COLORS = ("donor", "own", "target")


@dataclass(frozen=True)
class FitParams:
    """When the transplant fades out instead of painting the face (each a (from, wholly) pair:
    the edit starts fading at the first value and is gone at the second).

    Attributes:
        eyes: the person's hair probability over their eyes.
        cheeks: the share of the face below the brows (less its rim, the eyes, nose and mouth)
            that the person's hair surely covers and the donor's does not (it would have to be
            taken off the face).
        yaw: degrees between the person's and the donor's yaw.
        folds: the share of the warp's pixels where it folds (a donor face that does not fit).
        veil: the donor's matte over the person's eyes-nose-mouth hull below the eyes' middle (a
            side fringe across an eye: it would be cut off there).
    """

    eyes: tuple[float, float] = (0.35, 0.55)
    cheeks: tuple[float, float] = (0.06, 0.12)
    yaw: tuple[float, float] = (14.0, 24.0)
    folds: tuple[float, float] = (0.002, 0.01)
    veil: tuple[float, float] = (0.15, 0.3)


@dataclass(frozen=True)
class TransplantParams:
    """How a donor's hair is drawn on the person (lengths are shares of the crop's side).

    Attributes:
        warp: the landmark warp.
        light: relighting and recolouring.
        fit: when not to.
        matte: the donor's matte from not hair to wholly hair (a soft matte's middle is its wall
            or face seen through it).
        hull_ramp: the edit fades in over this outside the eyes-nose-mouth hull.
        hair_from: the person's hair probability from which it is taken away (wholly at twice it).
        fringe: hair taken away takes this much round it too (its strands' soft edge).
        rim: hair over the face's rim this wide (inside its outline, below the brows) is taken away
            and the skin continued there; farther in, it is left (and the edit fades: ``FitParams``).
        rim_side: ... the skin less this much of the face's outline at either side (``rim_face``).
        brow_gap: the donor's skin is its scalp and forehead from this far above its brows' arc.
        skull: the donor's scalp is drawn inside its skull's outline (``regions.skull``) this much
            bigger (its ears and the sides of its head below the temples are not).
        hairline: the donor's bare skin, whose colour its scalp takes, is taken this far from its
            hair (the fine hairs at a hairline are darker than the skin).
        donor_edge: the donor's layers fade out over this at its crop's edge (its photo ends there),
        donor_foot: ... and over this at its foot (long hair goes on past it).
        scalp_detail: the donor's scalp and forehead lend the person's skin drawn there their
            detail finer than this (Gaussian sigma) ...
        scalp_relief: ... at most this much either way (L*).
        levels: the Laplacian pyramid's levels for what lies behind removed hair.
        shoulders: bare skin this far below the chin, and beside the neck by half its width, is
            shoulders: what hair taken away there shows is continued from it too.
        neck_shade: a neck drawn under the jaw is this many L* darker than the skin it is filled from.
        lend: at a large face's resolution, the donor's hair over the person's own takes this share
            of its strands' fine detail (``_lend``).
    """

    warp: WarpParams = WarpParams()
    light: LightParams = LightParams()
    fit: FitParams = FitParams()
    matte: tuple[float, float] = (0.2, 0.8)
    hull_ramp: float = 0.03
    hair_from: float = 0.15
    fringe: float = 0.012
    rim: float = 0.05
    rim_side: float = 0.03
    brow_gap: float = 0.02
    skull: float = 1.1
    hairline: float = 0.015
    donor_edge: float = 0.08
    donor_foot: float = 0.15
    scalp_detail: float = 0.04
    scalp_relief: float = 10.0
    levels: int = 4
    shoulders: float = 0.08
    neck_shade: float = 8.0
    lend: float = 0.7


@dataclass
class Transplanted:
    """One drawing of a donor's hair on a person.

    Attributes:
        edited: the drawing in the detail crop (``EditedFace``: crop, and ``replace`` = where it
            is drawn anew), already faded by ``strength``.
        strength: 1 drawn wholly, 0 faded out entirely.
        reason: why it faded ("hair over the eyes", "head turned too far", ...), or "".
        measures: the figures the fit was judged on (eyes, cheeks, yaw, folds).
    """

    edited: EditedFace
    strength: float
    reason: str
    measures: dict[str, float] = field(default_factory=dict)


def transplant(aligned: AlignedFace, donor: Donor | None, plate: BackgroundPlate | None = None,
               color: str = "donor", target: np.ndarray | None = None, reference: np.ndarray | None = None,
               params: TransplantParams = TransplantParams()) -> Transplanted:
    """Draws ``donor``'s hair on the person of ``aligned``.

    Args:
        aligned: the person (``crop``, ``detail``, ``landmarks``, ``hair``, ``person``).
        donor: the hair to draw, or None (no donor fits: nothing is drawn).
        plate: in video, the wall behind the head; None for a still (filled in from beside the head).
        color: ``donor`` (the donor's colour, relit), ``own`` (the person's own hair's), or
            ``target``.
        target: with ``target``, (2, 3) CIELAB mean and spread (``EditPlan.color``).
        reference: with ``target``, (3,) CIELAB skin of the faces that have that colour
            (``EditPlan.skin``): the target follows the person's light.

    Returns:
        ``Transplanted``: the drawing, its strength and the reason it faded.
    """
    if color not in COLORS:
        raise ValueError(f"color must be one of {COLORS}, got {color!r}")
    if color == "target" and target is None:
        raise ValueError("color 'target' needs a target (2, 3) CIELAB mean and spread")
    if aligned.detail is None or aligned.hair is None or aligned.person is None:
        raise ValueError("transplant needs an aligned face with its detail crop and hair and person masks")
    detail = aligned.detail
    if donor is None:
        return _unchanged(detail, "no donor fits")
    size = detail.shape[0]
    landmarks = aligned.landmarks * aligned.scale
    person = Person.of(aligned, landmarks)
    drawn = Drawn.of(person, donor, params)
    strength, reason, measures = judge(person, drawn, donor, params)
    if strength <= 0.0:
        return Transplanted(_unchanged(detail, reason).edited, 0.0, reason, measures)

    # What shows where the person's own hair goes.
    take = _taken(person, drawn, params)
    behind = _behind(person, drawn, plate, aligned.detail_to_crop, params)
    base = detail.astype(np.float32) / 255.0
    ground = pyramid_blend(base, behind, take, params.levels)

    # The donor's hair over it, relit and coloured.
    hair = _hair_color(person, drawn, color, target, reference, params.light)
    alpha = drawn.matte[..., None]
    out = ground + alpha * (hair - ground)

    # Where it may be drawn: never the eyes, nose and mouth, nor at the crop's edge.
    allowed = _allowed(landmarks, size, params.hull_ramp) * _edge(size)
    weight = (allowed * strength).astype(np.float32)
    out = base + weight[..., None] * (out - base)
    replace = (np.maximum(cv2.GaussianBlur(take, (0, 0), 1.0), drawn.matte) * weight).astype(np.float32)
    crop = np.clip(out * 255.0 + 0.5, 0, 255).astype(np.uint8)
    # (exactly the person's pixels where nothing is drawn: no rounding drift)
    crop[weight <= 0.0] = detail[weight <= 0.0]
    # The person's hair that goes past the crop (piled high above it, long beside and below it),
    # where the donor's does not take its place at the crop's edge.
    loss = take * (1.0 - drawn.matte) * weight
    beyond = removed_beyond(aligned, loss, out) if loss.max() > 0 else None
    if beyond is not None:
        crop, replace, _ = hand_over(crop, replace, None, detail, beyond)
        beyond = dataclasses.replace(beyond, drawn=all_drawn(crop, replace, beyond))
    edited = EditedFace(crop, replace, replace, beyond=beyond, **_lent(person, drawn, take, weight, params))
    return Transplanted(edited, strength, reason, measures)


def _lent(person: Person, drawn: Drawn, take: np.ndarray, weight: np.ndarray, params: TransplantParams) -> dict:
    """What the frame's own fine detail is lent to at a large face's resolution
    (``mirror.render.lend.lent_detail``), as ``EditedFace`` fields: the donor's hair where it lies
    on the person's own hair takes that hair's strands (``source``: the same pixel; a donor's photo
    holds less detail than a webcam's close face), and skin drawn anew (scalp, the face's rim) the
    bare forehead's grain (``grain``)."""
    size = person.detail.shape[0]
    fields = {}
    sure = np.clip((person.hair - 0.5) * 4.0, 0.0, 1.0)
    share = drawn.matte * sure * weight * params.lend
    if share.max() > 1.0 / 255:
        ys, xs = np.mgrid[0:size, 0:size].astype(np.float32)
        fields.update(source=np.dstack([xs, ys]), source_weight=share.astype(np.float32))
    box = forehead_box(person.landmarks, person.hair)
    skin = take * (1.0 - drawn.matte) * np.maximum(drawn.scalp, rim_face(person.landmarks, size, params)) * weight
    if box is not None and skin.max() > 1.0 / 255:
        fields["grain"] = SkinGrain(skin.astype(np.float32), box)
    return fields


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
    skin: np.ndarray              # (R, R, 3) float32 BGR in [0, 1]: the donor's scalp and forehead skin
    matte: np.ndarray             # (R, R) float32
    scalp: np.ndarray             # (R, R) float32: where the donor's head is above its ears
    seen: np.ndarray              # (R, R) float32: 1 inside the donor's photo, fading at its edge
    gain: np.ndarray              # (R, R) float32: relighting gain
    shift: np.ndarray             # (2,) a*, b* shift of relighting

    @classmethod
    def of(cls, person: Person, donor: Donor, params: TransplantParams) -> "Drawn":
        size = person.detail.shape[0]
        side = donor.crop.shape[0]
        field = head_warp(person.landmarks, donor.landmarks, size, params.warp)
        donor_lab = to_lab(donor.crop)
        donor_keep = hull(donor.landmarks, side)
        # The matte made sure (a soft one draws the donor's wall and face through the hair), and
        # none of it on the donor's bare skin.
        low, high = params.matte
        matte = np.clip((donor.matte - low) / (high - low), 0.0, 1.0) * (1.0 - donor.skin)
        donor_face = bare_face(donor_lab, donor.landmarks, matte, donor_keep) & (donor.skin > 0.5)
        # The donor's head above its ears, in the colour of its bare scalp and forehead (above the
        # brows' arc, less a gap: the brows; clear of its hairline's fine hairs) continued smoothly
        # under its hair and face.
        rows = np.arange(side, dtype=np.float32)[:, None]
        above = rows < brow_line(donor.landmarks, side)[None, :] - params.brow_gap * side
        _, ears, _, _ = skull_axes(donor.landmarks)
        # (narrowing from the brows down to the ears into the face: a head's sides above the ears
        # drawn whole stood out beside the cheeks as blocks with a straight foot)
        brows = float(np.mean(brow_line(donor.landmarks, side)))
        narrow = np.clip((ears - rows) / max(ears - brows, 1.0), 0.0, 1.0)
        scalp = donor.person * np.maximum(skull(donor.landmarks, side, edge=0.03, scale=params.skull) * narrow,
                                          face_oval(donor.landmarks, side))
        bare = (donor.skin > 0.5) & above & (matte < 0.2)
        clear = max(1, int(round(params.hairline * side)))
        bare = cv2.erode(bare.astype(np.uint8), cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * clear + 1,) * 2))
        # (long hair the donor's photo cuts at its foot ends in soft tips there, not a line)
        ramp = np.arange(side, dtype=np.float32) + 0.5
        sides = np.clip(np.minimum(ramp, ramp[::-1]) / max(params.donor_edge * side, 1.0), 0.0, 1.0)
        foot = np.clip(ramp[::-1] / max(params.donor_foot * side, 1.0), 0.0, 1.0)
        seen = np.minimum(np.minimum(sides, foot)[:, None], sides[None, :])
        layers = warp_layers(np.dstack([matte, scalp, seen]).astype(np.float32), field)
        colour = warp_layers(unmix(donor.crop, matte, params.light), field, cv2.BORDER_REPLICATE)
        plain = donor.crop.astype(np.float32) / 255.0
        skin = smooth_fill(plain, bare.astype(np.float32), factor=2) if bare.sum() > 20 else plain
        skin = warp_layers(skin, field, cv2.BORDER_REPLICATE)
        # The lighting of both faces.
        theirs = skin_plane(donor_lab, donor_face)
        own = skin_plane(person.lab, person.skin)
        if theirs is None or own is None:
            gain, shift = np.ones((size, size), np.float32), np.zeros(2, np.float32)
        else:
            gain, shift = relight_gain(own, theirs, _box(person.skin), _box(donor_face), field, params.light)
        # (past the donor's photo its hair and scalp fade out; the person's own hair still goes)
        seen = layers[..., 2]
        return cls(field, colour, skin, layers[..., 0] * seen, layers[..., 1] * seen, seen, gain, shift)


def hull(landmarks: np.ndarray, shape: int | tuple[int, int]) -> np.ndarray:
    """(H, W) float32: 1 inside the convex hull of the eyes and the lips (the nose between them),
    on a picture of ``shape`` (a side, or (H, W))."""
    points = np.round(landmarks[EYES[0] + EYES[1] + LIPS, :2]).astype(np.int32)
    mask = np.zeros((shape, shape) if isinstance(shape, int) else shape, np.uint8)
    cv2.fillConvexPoly(mask, cv2.convexHull(points), 1)
    return mask.astype(np.float32)


def _allowed(landmarks: np.ndarray, size: int, ramp: float) -> np.ndarray:
    """(S, S) float32: 0 inside the eyes-nose-mouth hull, rising to 1 over ``ramp`` outside it."""
    outside = cv2.distanceTransform((1 - hull(landmarks, size)).astype(np.uint8), cv2.DIST_L2, 3)
    return np.clip(outside / max(ramp * size, 1.0) - 0.25, 0.0, 1.0).astype(np.float32)


def _edge(size: int) -> np.ndarray:
    """(S, S) float32: 1 inside the crop, 0 at its border (the compositor's seam)."""
    profile = edge_profile(size)
    return np.minimum(profile[:, None], profile[None, :])


def _box(mask: np.ndarray) -> tuple[float, float, float, float]:
    ys, xs = np.nonzero(mask)
    return float(xs.min()), float(ys.min()), float(xs.max()), float(ys.max())


def judge(person: Person, drawn: Drawn, donor: Donor, params: TransplantParams) -> tuple[float, str, dict[str, float]]:
    """(strength in [0, 1], reason, measures): how far the transplant may be drawn on this person."""
    size = person.detail.shape[0]
    landmarks = person.landmarks
    over_eyes = eyes(landmarks, size, margin=0.0) > 0.5
    covered = float(person.hair[over_eyes].mean()) if over_eyes.any() else 0.0
    # The face below the brows, off the eyes and their lashes: where the person's hair would have
    # to be taken off their face, because the donor's does not lie there.
    face = core(person, params) & (eyes(landmarks, size) < 0.5) & (person.keep < 0.5)
    left = (person.hair > 0.5) * (1.0 - drawn.matte)
    cheeks = float(left[face].sum() / max(face.sum(), 1))
    turn = abs(crop_yaw(landmarks) - crop_yaw(donor.landmarks))
    used = (drawn.matte > 0.05) | (drawn.scalp > 0.05)
    folds = fold_share(drawn.field, used)
    # The donor's own hair across its eyes, nose or mouth (below the eyes' middle: a fringe down
    # to the lashes is not): it cannot be drawn there, and would show cut off along them.
    rows = np.arange(size, dtype=np.float32)[:, None]
    across = (person.keep > 0.5) & (rows > float(np.mean(landmarks[EYES[0] + EYES[1], 1])))
    veil = float(drawn.matte[across].mean()) if across.any() else 0.0
    measures = {"eyes": covered, "cheeks": cheeks, "yaw": turn, "folds": folds, "veil": veil}
    fit = params.fit
    reasons = (("hair over the eyes", covered, fit.eyes), ("hair over the cheeks", cheeks, fit.cheeks),
               ("head turned too far from the donor's", turn, fit.yaw),
               ("the donor's face does not fit", folds, fit.folds),
               ("the donor's hair lies over its face", veil, fit.veil))
    strength, reason = 1.0, ""
    for text, value, (start, gone) in reasons:
        share = float(np.clip((gone - value) / (gone - start), 0.0, 1.0))
        if share < strength:
            strength, reason = share, text
    return strength, reason, measures


def _unchanged(detail: np.ndarray, reason: str) -> Transplanted:
    """Nothing drawn, with the reason."""
    none = np.zeros(detail.shape[:2], np.float32)
    return Transplanted(EditedFace(detail.copy(), none, none.copy()), 0.0, reason)


def _taken(person: Person, drawn: Drawn, params: TransplantParams) -> np.ndarray:
    """(R, R) float32 in [0, 1]: the person's own hair that goes (and its strands' soft edge): all
    of it but what lies over the face's core (``core``; ``judge`` fades the edit where that much)."""
    size = person.detail.shape[0]
    hair = np.clip((person.hair - params.hair_from) / params.hair_from, 0.0, 1.0)
    reach = max(3, int(round(params.fringe * size)) * 2 + 1)
    grown = cv2.dilate(hair, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (reach, reach)))
    grown = cv2.GaussianBlur(grown, (0, 0), reach / 4.0)
    face = cv2.GaussianBlur(core(person, params).astype(np.float32), (0, 0), reach / 2.0)
    return np.clip(grown * (1.0 - face), 0.0, 1.0).astype(np.float32)


def core(person: Person, params: TransplantParams) -> np.ndarray:
    """(R, R) bool: the face below the brows less its rim (``rim``), and the eyes-nose-mouth hull:
    where the person's hair is never taken away (it would be drawing a face)."""
    size = person.detail.shape[0]
    interior = face_interior(person.landmarks, size).astype(np.uint8)
    rim = max(1, int(round(params.rim * size)))
    inner = cv2.erode(interior, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * rim + 1, 2 * rim + 1))) > 0
    return inner | (person.keep > 0.5)


def _behind(person: Person, drawn: Drawn, plate: BackgroundPlate | None, aligned_to_crop: np.ndarray | None,
            params: TransplantParams) -> np.ndarray:
    """(R, R, 3) float32 BGR in [0, 1]: what shows where the person's hair goes: the donor's bare
    scalp where its head is; beyond it the wall and clothes (never skin), and the neck under the
    jaw; on the face's rim the person's own skin continued."""
    size = person.detail.shape[0]
    base = person.detail.astype(np.float32) / 255.0
    hair = np.clip(person.hair * 2.0, 0.0, 1.0)
    visible = (1.0 - person.person) * (1.0 - hair)
    lab = person.lab
    tone = np.median(lab[person.skin], axis=0) if person.skin.any() else lab.reshape(-1, 3).mean(0)
    # The wall, and the clothes (the person off the face's skin colour), never skin: hair taken
    # from beside the neck shows what lies beside it, not a wider neck.
    skinlike = np.linalg.norm(lab[..., 1:] - tone[1:], axis=-1) < 8.0
    oval = face_oval(person.landmarks, size)
    clothes = person.person * (1.0 - hair) * (~skinlike & ~oval)
    # ... but bare shoulders are: skin well below the chin and clear of the neck's columns.
    span = neck_span(person.landmarks, size)
    if span is not None:
        cols = np.arange(size, dtype=np.float32)[None, :]
        rows = np.arange(size, dtype=np.float32)[:, None]
        wide = 0.5 * (span[1] - span[0])
        shoulders = (rows > person.landmarks[CHIN, 1] + params.shoulders * size) & \
            ((cols < span[0] - wide) | (cols > span[1] + wide))
        clothes = np.maximum(clothes, person.person * (1.0 - hair) * (skinlike & shoulders))
    out = _wall(base, visible, clothes, plate, aligned_to_crop)
    neck = _neck(person, base, tone, params)
    if neck is not None:
        out += neck[1][..., None] * (neck[0] - out)
    # Above the ears, the donor's bare scalp where its head is.
    out += drawn.scalp[..., None] * (_scalp(person, drawn, params) - out)
    # On the face's rim, the person's own skin (``rim_face``).
    if person.skin.sum() > 20:
        face = rim_face(person.landmarks, size, params)[..., None]
        out += face * (smooth_fill(base, person.skin.astype(np.float32), factor=2) - out)
    return out.astype(np.float32)


def rim_face(landmarks: np.ndarray, size: int, params: TransplantParams) -> np.ndarray:
    """(S, S) float32 in [0, 1]: where hair taken off the face's rim shows skin: the face below the
    brows, its outline's outer part at the ears left out (there the mesh reaches over the ears and
    temples, which a fill of the cheeks' skin drew as blocks), softened."""
    inside = face_interior(landmarks, size).astype(np.uint8)
    side = max(1, int(round(params.rim_side * size)))
    inside = cv2.erode(inside, np.ones((1, 2 * side + 1), np.uint8)).astype(np.float32)
    # (its corners rounded: the mesh's outline is straight between its points, a jaw drawn along
    # it against the wall showed as a polygon)
    inside = (cv2.GaussianBlur(inside, (0, 0), side) > 0.5).astype(np.float32)
    return cv2.GaussianBlur(inside, (0, 0), max(1.0, 0.3 * side))


def _wall(base: np.ndarray, visible: np.ndarray, clothes: np.ndarray, plate: BackgroundPlate | None,
          to_crop: np.ndarray | None) -> np.ndarray:
    """(R, R, 3) float32: what lies behind the hair: the plate where it has seen the wall, else the
    wall (``visible``) and clothes seen in this crop continued along each row."""
    known = np.clip(visible + clothes, 0.0, 1.0).astype(np.float32)
    if plate is None or to_crop is None:
        return fill_holes(base, known)
    size = base.shape[0]
    seen, learnt = plate.crop(to_crop, size)
    learnt = np.clip(2.0 * learnt - 1.0, 0.0, 1.0) * (1.0 - clothes)
    own = known * (1.0 - learnt)
    trust = learnt + own
    mixed = (seen * learnt[..., None] + base * own[..., None]) / np.maximum(trust, 1e-6)[..., None]
    return fill_holes(mixed, trust.astype(np.float32), sharp=(base, known))


def _neck(person: Person, base: np.ndarray, tone: np.ndarray, params: TransplantParams
          ) -> tuple[np.ndarray, np.ndarray] | None:
    """((R, R, 3) the neck's colour, (R, R) where it is) under the jaw, or None."""
    size = base.shape[0]
    span = neck_span(person.landmarks, size)
    if span is None:
        return None
    left, right = span
    cols = np.arange(size, dtype=np.float32)
    across = np.clip(np.minimum(cols - left, right - cols) / max(0.01 * size, 1.0) + 0.5, 0.0, 1.0)
    mouth = float(person.landmarks[MOUTH, 1])
    rows = np.arange(size, dtype=np.float32)[:, None]
    where = (across[None, :] * (rows > mouth)).astype(np.float32)
    skin = person.skin | ((person.person > 0.5) & (person.hair < 0.2) & (where > 0.5)
                          & (np.linalg.norm(person.lab - tone, axis=-1) < 15.0))
    if skin.sum() < 20:
        return None
    color = smooth_fill(base, skin.astype(np.float32), factor=4)
    lab = to_lab(color)
    lab[..., 0] -= params.neck_shade
    return to_bgr(lab), where


def _scalp(person: Person, drawn: Drawn, params: TransplantParams) -> np.ndarray:
    """(R, R, 3) float32 BGR: the donor's scalp and forehead skin on the person: the person's own
    bare forehead (or, where a fringe hides it, face) continued smoothly over it, lit as their
    face is (``Drawn.gain``, relative to the face), with the donor's skin's own detail finer than
    ``scalp_detail`` on it (its pores, a bald dome's shading; not its light: a donor's lit
    forehead drawn as it was glowed orange on a darker person)."""
    size = person.detail.shape[0]
    rows = np.arange(size, dtype=np.float32)[:, None]
    upper = person.skin & (rows < person.landmarks[EYES[0] + EYES[1], 1].min()) & (drawn.scalp > 0.5)
    known = upper if upper.sum() > 20 else person.skin
    if known.sum() < 20:
        return drawn.skin
    base = person.detail.astype(np.float32) / 255.0
    lab = to_lab(smooth_fill(base, known.astype(np.float32), factor=4))
    level = float(np.median(drawn.gain[person.skin])) if person.skin.any() else 1.0
    light = to_lab(drawn.skin)[..., 0]
    sigma = max(1.0, params.scalp_detail * size)
    detail = np.clip(light - cv2.GaussianBlur(light, (0, 0), sigma), -params.scalp_relief, params.scalp_relief)
    lab[..., 0] = lab[..., 0] * drawn.gain / max(level, 1e-3) + detail
    return np.clip(to_bgr(lab), 0.0, 1.0)


def _hair_color(person: Person, drawn: Drawn, color: str, target: np.ndarray | None,
                reference: np.ndarray | None, light: LightParams) -> np.ndarray:
    """(R, R, 3) float32 BGR: the donor's hair, relit, in the chosen colour."""
    lab = to_lab(drawn.color)
    lab[..., 0] *= drawn.gain
    lab[..., 1:] += drawn.shift
    if color == "own":
        own = own_color(person.lab, person.hair)
        if own is not None:
            lab = move_color(lab, drawn.matte, own, light)
    elif color == "target":
        skin = np.median(person.lab[person.skin], axis=0) if person.skin.any() else None
        lab = move_color(lab, drawn.matte, scene_target(np.asarray(target, np.float32), reference, skin), light)
    return to_bgr(lab)


def pyramid_blend(under: np.ndarray, over: np.ndarray, weight: np.ndarray, levels: int) -> np.ndarray:
    """(H, W, 3) float32: ``over`` blended onto ``under`` through ``weight`` (H, W) in [0, 1], band
    by band of their Laplacian pyramids (each band through the weight smoothed to its scale), so
    no seam shows where their colours differ."""
    if levels <= 1:
        return under + weight[..., None] * (over - under)
    low_under, low_over, masks = [under], [over], [weight]
    for _ in range(levels - 1):
        low_under.append(cv2.pyrDown(low_under[-1]))
        low_over.append(cv2.pyrDown(low_over[-1]))
        masks.append(cv2.pyrDown(masks[-1]))
    out = low_under[-1] + masks[-1][..., None] * (low_over[-1] - low_under[-1])
    for level in range(levels - 2, -1, -1):
        shape = low_under[level].shape[1::-1]
        band_under = low_under[level] - cv2.pyrUp(low_under[level + 1], dstsize=shape)
        band_over = low_over[level] - cv2.pyrUp(low_over[level + 1], dstsize=shape)
        band = band_under + masks[level][..., None] * (band_over - band_under)
        out = cv2.pyrUp(out, dstsize=shape) + band
    return out


class Transplant(Effect):
    """A real head of hair drawn on the person (``EditPlan.kind`` "transplant"): the plan's donor,
    in the colour it asks for; the HUD is told why it faded (``EditedFace.note``)."""

    def __init__(self, params: TransplantParams = TransplantParams()):
        self.params = params

    def draw(self, scene: Scene) -> EditedFace:
        plan = scene.plan
        drawn = transplant(scene.aligned, plan.donor, scene.plate, color=plan.paint, params=self.params)
        return dataclasses.replace(drawn.edited, note=drawn.reason or plan.note)
