"""Real hair from a real photo, drawn on the person: a donor's head of hair (``mirror.types.Donor``)
warped onto the person's head, relit and recoloured to them, and blended in; where the person's
own hair reaches beyond the donor's, what lay behind it.

    result = transplant(aligned, donor, plate, color="own")     # Transplanted
    frame = Compositor().compose(frame, aligned, result.edited)
    hud(result.reason)                                          # "" or why it is not drawn

1. warp: the donor's crop, matte, skin and silhouette through ``mirror.face.warp.head_warp``
   (``mirror.render.donor_layers``).
2. light and colour: ``mirror.render.donor_light``; the donor's scalp and forehead skin moved to the
   person's skin colour.
3. behind the person's hair that goes (``mirror.render.donor_ground``): the donor's bare scalp
   where the donor's head is, else the wall (the video's background plate, or the wall beside the
   head continued along each row); below the ears the wall and clothes beside the neck, and the
   neck under the jaw. Blended in a Laplacian pyramid, so no seam shows where it meets the
   person's own skin and wall. Brows the hair hid are drawn anew (``mirror.render.eyebrows``);
   brows that show stay as they are.
4. the donor's hair over it through its matte, its colour unmixed from the donor's wall.
5. the eyes, nose and mouth are never drawn on: their hull is the person's own pixels, and the
   edit fades in outside it, and fades at the crop's edge; the donor's hair fades where its photo
   ends (long hair cut by it ends in soft tips).
6. knowing when not to: hair over the person's eyes, cheeks or temples that would have to be taken
   off the face, a pose the donor does not share, a warp that folds: the edit is not drawn, with a reason
   (wholly or not at all: half faded, a head of hair is a ghost).
"""
from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field

import cv2
import numpy as np

import mirror.render.eyebrows as eyebrows
from mirror.edit import shapes
from mirror.face.regions import (CHIN, EYES, MOUTH, SKULL_WIDTH, brow_line, brows, ear_zones, edge_margin, edge_profile,
                                 eyes, face_oval, skull_axes)
from mirror.face.warp import WarpParams, crop_yaw, fold_share
from mirror.render.base import Effect, Scene
from mirror.render.beyond import all_drawn, hand_over, removed_beyond
from mirror.render.color import own_color, scene_target
from mirror.render.donor_beyond import hair_beyond, reaches_edge
from mirror.render.donor_ground import GroundParams, behind, core, pyramid_blend, rim_face
from mirror.render.donor_layers import Drawn, LayerParams, Person, hull
from mirror.render.donor_light import LightParams, hair_profile, match_hair, move_color, to_bgr
from mirror.render.lab import to_lab
from mirror.render.matte import skinlike
from mirror.render.memory import Memory, Seen
from mirror.render.plate import BackgroundPlate
from mirror.render.recolor import Recolor
from mirror.render.scalp import forehead_box, forehead_tone
from mirror.types import AlignedFace, Donor, EditedFace, EditPlan, Outline, SkinGrain

COLORS = ("donor", "own", "target")
PARTS = ("all", "fringe", "forehead")     # what of the donor's hair is drawn (``transplant``)
# the HUD's words for a reference photo's part drawn in its colour where its whole hair cannot be
PART_NOTES = {"fringe": "its fringe and colour", "forehead": "no fringe, and its colour"}


@dataclass(frozen=True)
class FitParams:
    """When the transplant is not drawn rather than paint the face (each a (from, wholly) pair:
    its fit falls from 1 at the first value to 0 at the second; ``TransplantParams.held`` says
    from which fit it is drawn).

    Attributes:
        eyes: the person's hair probability over their eyes.
        cheeks: the share of the face below the brows (less its rim, the eyes, nose and mouth)
            that the person's hair surely covers and the donor's does not (it would have to be
            taken off the face).
        temples: the share of the face's temples (the face-mesh oval above the brows, off its
            middle half) that the person's hair covers and the donor's does not: bared, they were
            filled with the donor's scalp, a pale mask round the face (curls or a full fringe over
            the temples under a bob; a boy's mop under a bald dome).
        yaw: degrees between the person's and the donor's yaw.
        reference_yaw: ... for a reference photo's hair (a donor in no bank), which the customer
            chose: the bank has a donor nearer the person's pose to offer, a reference has not.
        folds: the share of the warp's pixels where it folds (a donor face that does not fit).
        veil: the donor's matte over the person's eyes-nose-mouth hull below the eyes' middle (a
            side fringe across an eye: it would be cut off there).
        long: the person's sure hair taken away below the mouth where the donor's does not
            cover it, as a share of the crop: what lies behind it there (the neck, the shoulders,
            the wall) would be guessed that widely, as pillars of skin and smears of wall.
    """

    eyes: tuple[float, float] = (0.35, 0.55)
    cheeks: tuple[float, float] = (0.06, 0.12)
    temples: tuple[float, float] = (0.55, 0.7)
    yaw: tuple[float, float] = (14.0, 24.0)
    reference_yaw: tuple[float, float] = (24.0, 36.0)
    folds: tuple[float, float] = (0.002, 0.01)
    veil: tuple[float, float] = (0.15, 0.3)
    long: tuple[float, float] = (0.01, 0.02)


@dataclass(frozen=True)
class TransplantParams:
    """How a donor's hair is drawn on the person (lengths are shares of the crop's side).

    Attributes:
        warp: the landmark warp.
        light: relighting and recolouring.
        fit: when not to.
        layers: the donor's layers taken from its photo.
        ground: what shows where the person's hair goes.
        hull_ramp: the edit fades in over this outside the eyes-nose-mouth hull.
        hair_from: the person's hair probability from which it is taken away (wholly at twice it).
        hair_long: ... and from which it is sure (``FitParams.long``).
        ends_band: the person's hair below the mouth goes on from the donor's that reaches this
            close above the mouth's row (``_goes_on``).
        fringe: hair taken away takes this much round it too (its strands' soft edge) ...
        ears: ... but not the person's ears in sight: skin-coloured pixels clear of sure hair
            (``hair_long``) in discs where the ears are (``regions.ear_zones``: out from the face,
            and in radius, as shares of the ears' distance apart; taken with the hair's soft edge,
            they were drawn over pale).
        lend: at a large face's resolution, the donor's hair over the person's own takes this share
            of its strands' fine detail (``_lent``).
        root: a fringe or forehead alone (``part``) is drawn where the person's hair is this sure
            over this share of the fringe's root (``shapes.fringe``); else the donor's whole head
            of hair (a fringe) or nothing (a forehead).
        held: in video, a drawing is shown from the second fit up and hidden below the first
            (``transplant``'s ``shown``).
        crisp: the donor's hair's detail finer than ``crisp_sigma`` pixels made this much
            stronger: warped and sized up from its photo, it is softer than real fringes are (the
            fine bands were what most told a drawn fringe from a real one; raised only to the
            person's own hair's, it told them apart as before; at twice this strands look etched).
        within: beside the face, the person's hair stays where the donor's hair lies farther out
            on its row, counted from this matte, wholly from the second (``_within``).
    """

    warp: WarpParams = WarpParams()
    light: LightParams = LightParams()
    fit: FitParams = FitParams()
    layers: LayerParams = LayerParams()
    ground: GroundParams = GroundParams()
    hull_ramp: float = 0.03
    hair_from: float = 0.15
    hair_long: float = 0.8
    ends_band: float = 0.04
    fringe: float = 0.012
    ears: tuple[float, float] = (0.1, 0.16)
    lend: float = 0.7
    root: tuple[float, float] = (0.5, 0.6)
    held: tuple[float, float] = (0.3, 0.7)
    crisp: float = 1.2
    crisp_sigma: float = 1.0
    within: tuple[float, float] = (0.3, 0.7)


@dataclass
class Transplanted:
    """One drawing of a donor's hair on a person.

    Attributes:
        edited: the drawing in the detail crop (``EditedFace``: crop, and ``replace`` = where it
            is drawn anew).
        strength: 1 drawn wholly, 0 not at all (half faded, a head of hair is a ghost over the
            person's own).
        reason: why it is not drawn ("hair over the eyes", "head turned too far", ...), or "".
        measures: the figures the fit was judged on (eyes, cheeks, yaw, folds), and the ``fit``
            (``judge``'s).
    """

    edited: EditedFace
    strength: float
    reason: str
    measures: dict[str, float] = field(default_factory=dict)


def transplant(aligned: AlignedFace, donor: Donor | None, plate: BackgroundPlate | None = None,
               color: str = "donor", target: np.ndarray | None = None, reference: np.ndarray | None = None,
               part: str = "all", shown: bool | None = None, params: TransplantParams = TransplantParams()
               ) -> Transplanted:
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
        part: ``all`` (the donor's whole head of hair, the person's own taken away where it has
            none), ``fringe`` (only its fringe, over the person's own hair, which stays) or
            ``forehead`` (the person's own fringe taken away, the donor's hairline drawn there,
            the rest of their hair kept); where they have no hair over the fringe's root, a
            fringe comes with the donor's whole head of hair, and a forehead is not drawn (there
            is no fringe to take away).
        shown: in video, whether it was drawn on the drawing before: it is held as it was
            between ``TransplantParams.held``'s fits (a head turning to and fro at one fit would
            flick it on and off); None (a photo): drawn from half a fit.

    Returns:
        ``Transplanted``: the drawing, whether it is drawn and why not.
    """
    if color not in COLORS:
        raise ValueError(f"color must be one of {COLORS}, got {color!r}")
    if color == "target" and target is None:
        raise ValueError("color 'target' needs a target (2, 3) CIELAB mean and spread")
    if part not in PARTS:
        raise ValueError(f"part must be one of {PARTS}, got {part!r}")
    if aligned.detail is None or aligned.hair is None or aligned.person is None:
        raise ValueError("transplant needs an aligned face with its detail crop and hair and person masks")
    detail = aligned.detail
    if donor is None:
        return _unchanged(detail, "no donor fits")
    size = detail.shape[0]
    landmarks = aligned.landmarks * aligned.scale
    person = Person.of(aligned, landmarks)
    zone = _fringe(person, params) if part != "all" else None
    if part == "forehead" and zone is None:
        return _unchanged(detail, "no fringe to take away")
    drawn = Drawn.of(person, donor, params.layers, params.warp, params.light)
    if zone is not None:
        drawn.matte = drawn.matte * zone.lies
    # The person's own hair that goes (a fringe alone takes none: it lies over theirs; a forehead
    # takes theirs over the forehead only).
    keeps_hair = zone is not None and part == "fringe"
    ears = None if keeps_hair else _ears_seen(person, params)
    take = np.zeros((size, size), np.float32) if ears is None else _taken(person, drawn, params) * (1.0 - ears)
    if part == "forehead":
        take = take * shapes.forehead(landmarks, size)
    # The brows that hair which goes hid go with it, to be drawn anew.
    hid, skin_tone, hair_tone = _hidden_brows(person, take)
    if hid:
        brow_area = eyebrows.taken_area(hid, landmarks, size)
        take = np.maximum(take, brow_area)
    fit, reason, measures = judge(person, drawn, donor, params, take, keeps_hair, whole=zone is None)
    measures["fit"] = fit
    low, high = (0.5, 0.5) if shown is None else params.held
    strength = float(fit >= high or (bool(shown) and fit > low))
    reason = "" if strength else reason
    if strength <= 0.0:
        return Transplanted(_unchanged(detail, reason).edited, 0.0, reason, measures)

    # What shows where it goes.
    base = detail.astype(np.float32) / 255.0
    if keeps_hair:
        ground = base
    else:
        under = behind(person, drawn, plate, aligned.detail_to_crop, params.ground)
        # (a whole head of hair taken off the wall takes its outline too; a forehead's fringe
        # lies on the face)
        wall = 1.0 - person.person if zone is None else None
        ground = pyramid_blend(base, under, take, params.ground.levels, wall=wall)
        # (and the ears in sight as they are: the blend's coarse bands next to hair taken off a
        # wall drew them pale)
        ground += ears[..., None] * (base - ground)
        if hid:
            eyebrows.redraw(ground, person.lab, person.hair, landmarks, hid, brow_area, skin_tone, hair_tone)

    # The donor's hair over it, relit and coloured.
    hair, paint = _hair_color(person, drawn, color, target, reference, params.light)
    if params.crisp > 0:
        hair = hair + params.crisp * (hair - cv2.GaussianBlur(hair, (0, 0), params.crisp_sigma))
    alpha = drawn.matte[..., None]
    out = ground + alpha * (hair - ground)

    # Where it may be drawn: never the eyes, nose and mouth, nor at the crop's edge.
    weight = _allowed(landmarks, size, params.hull_ramp) * _edge(size)
    out = base + weight[..., None] * (out - base)
    under = base + weight[..., None] * (ground - base)
    replace = (np.maximum(cv2.GaussianBlur(take, (0, 0), 1.0), drawn.matte) * weight).astype(np.float32)
    crop = np.clip(out * 255.0 + 0.5, 0, 255).astype(np.uint8)
    # (exactly the person's pixels where nothing is drawn: no rounding drift)
    crop[weight <= 0.0] = detail[weight <= 0.0]
    # The person's hair that goes past the crop: beside and below it (long), where the donor's
    # does not take its place at the crop's edge; above it, all of it, the donor's drawn over it
    # as far as it goes (the person's crown stood above a bob that met the crop's top as a dark cap).
    loss = take * (1.0 - drawn.matte) * weight
    top = edge_margin(size) + 1
    loss[:top] = take[:top] * weight[:top]
    beyond = removed_beyond(aligned, loss, out) if loss.max() > 0 else None
    # The donor's hair that goes on past the crop (a bob round a head that fills its crop).
    if reaches_edge(drawn.matte):
        beyond = hair_beyond(aligned, donor, drawn, paint, beyond, params.warp, params.layers)
    if beyond is not None:
        crop, replace, _ = hand_over(crop, replace, None, detail, beyond)
        beyond = dataclasses.replace(beyond, drawn=all_drawn(crop, replace, beyond))
    edited = EditedFace(crop, replace, replace, beyond=beyond, **_lent(person, drawn, take, weight, under, params))
    return Transplanted(edited, strength, reason, measures)


def _lent(person: Person, drawn: Drawn, take: np.ndarray, weight: np.ndarray, under: np.ndarray,
          params: TransplantParams) -> dict:
    """What the frame's own fine detail is lent to at a large face's resolution
    (``mirror.render.lend.lent_detail``), as ``EditedFace`` fields: the donor's hair where it lies
    on the person's own hair takes that hair's strands (``source``: the same pixel; a donor's photo
    holds less detail than a webcam's close face), the donor's hair elsewhere fine strands of its
    own (``strands``) and its outline over the wall (its matte over ``under``, what it is drawn
    over) a steeper edge (``outline``; over skin, a hairline, it stays soft), and skin drawn anew
    (scalp, the face's rim) the bare forehead's grain (``grain``)."""
    size = person.detail.shape[0]
    fields = {}
    sure = np.clip((person.hair - 0.5) * 4.0, 0.0, 1.0)
    share = drawn.matte * sure * weight * params.lend
    if share.max() > 1.0 / 255:
        ys, xs = np.mgrid[0:size, 0:size].astype(np.float32)
        fields.update(source=np.dstack([xs, ys]), source_weight=share.astype(np.float32))
    alone = drawn.matte * (1.0 - sure) * weight
    if alone.max() > 1.0 / 255:
        fields["strands"] = alone.astype(np.float32)
    oval = face_oval(person.landmarks, size).astype(np.float32)
    over_skin = np.maximum.reduce([drawn.scalp, drawn.bare, oval])
    fields["outline"] = Outline(drawn.matte.astype(np.float32), np.clip(under * 255.0 + 0.5, 0, 255).astype(np.uint8),
                                np.clip(1.0 - 2.0 * cv2.GaussianBlur(over_skin, (0, 0), 2.0), 0.0, 1.0))
    box = forehead_box(person.landmarks, person.hair)
    skin = take * (1.0 - drawn.matte) * np.maximum(drawn.scalp, rim_face(person.landmarks, size, params.ground)) * weight
    if box is not None and skin.max() > 1.0 / 255:
        fields["grain"] = SkinGrain(skin.astype(np.float32), box)
    return fields


def _over(colored: EditedFace, part: EditedFace, note: str) -> EditedFace:
    """A part of a head of hair (``part``, drawn on ``colored``'s crop) with the recolouring under
    it: drawn anew where the part is, the recolouring's change added elsewhere."""
    return dataclasses.replace(part, hair_mask=np.maximum(colored.hair_mask, part.hair_mask),
                               beyond=part.beyond if colored.beyond is None else colored.beyond, note=note)


def _allowed(landmarks: np.ndarray, size: int, ramp: float) -> np.ndarray:
    """(S, S) float32: 0 inside the eyes-nose-mouth hull, rising to 1 over ``ramp`` outside it."""
    outside = cv2.distanceTransform((1 - hull(landmarks, size)).astype(np.uint8), cv2.DIST_L2, 3)
    return np.clip(outside / max(ramp * size, 1.0) - 0.25, 0.0, 1.0).astype(np.float32)


def _edge(size: int) -> np.ndarray:
    """(S, S) float32: 1 inside the crop, 0 at its border (the compositor's seam)."""
    profile = edge_profile(size)
    return np.minimum(profile[:, None], profile[None, :])


def judge(person: Person, drawn: Drawn, donor: Donor, params: TransplantParams, take: np.ndarray,
          keeps_hair: bool = False, whole: bool = True) -> tuple[float, str, dict[str, float]]:
    """(fit in [0, 1], reason, measures): how well the transplant fits this person, whose hair
    ``take`` (R, R) goes (``keeps_hair``: none of it), as a whole head of hair (``whole``) or a
    fringe or forehead alone (whose temples are a fringe's to bare); below 1, ``reason`` says what
    fits worst."""
    size = person.detail.shape[0]
    landmarks = person.landmarks
    over_eyes = eyes(landmarks, size, margin=0.0) > 0.5
    covered = float(person.hair[over_eyes].mean()) if over_eyes.any() else 0.0
    # The face below the brows, off the eyes and their lashes: where the person's hair would have
    # to be taken off their face, because the donor's does not lie there.
    face = core(person, params.ground) & (eyes(landmarks, size) < 0.5) & (person.keep < 0.5)
    left = (person.hair > 0.5) * (1.0 - drawn.matte)
    cheeks = 0.0 if keeps_hair else float(left[face].sum() / max(face.sum(), 1))
    turn = abs(crop_yaw(landmarks) - crop_yaw(donor.landmarks))
    used = (drawn.matte > 0.05) | (drawn.scalp > 0.05)
    folds = fold_share(drawn.field, used)
    # The donor's own hair across its eyes, nose or mouth (below the eyes' middle: a fringe down
    # to the lashes is not): it cannot be drawn there, and would show cut off along them.
    rows = np.arange(size, dtype=np.float32)[:, None]
    across = (person.keep > 0.5) & (rows > float(np.mean(landmarks[EYES[0] + EYES[1], 1])))
    veil = float(drawn.matte[across].mean()) if across.any() else 0.0
    hanging = (person.hair > params.hair_long) & (rows > landmarks[MOUTH, 1])
    long = float((take * (1.0 - drawn.matte))[hanging].sum()) / size ** 2
    temples = _temples(person, drawn, take) if whole else 0.0
    measures = {"eyes": covered, "cheeks": cheeks, "temples": temples, "yaw": turn, "folds": folds, "veil": veil,
                "long": long}
    fit = params.fit
    reasons = (("hair over the eyes", covered, fit.eyes), ("hair over the cheeks", cheeks, fit.cheeks),
               ("head turned too far from the donor's", turn, fit.yaw if donor.index >= 0 else fit.reference_yaw),
               ("the donor's face does not fit", folds, fit.folds),
               ("the donor's hair lies over its face", veil, fit.veil),
               ("hair too long to take away", long, fit.long), ("hair over the temples", temples, fit.temples))
    fit, reason = 1.0, ""
    for text, value, (start, gone) in reasons:
        share = float(np.clip((gone - value) / (gone - start), 0.0, 1.0))
        if share < fit:
            fit, reason = share, text
    return fit, reason, measures


def _temples(person: Person, drawn: Drawn, take: np.ndarray) -> float:
    """The share of the face's temples (the face-mesh oval above the brows, off its middle half)
    that the person's hair covers and that is taken away (``take``) where the donor's does not
    cover it."""
    size = person.detail.shape[0]
    landmarks = person.landmarks
    rows = np.arange(size, dtype=np.float32)[:, None]
    cols = np.arange(size, dtype=np.float32)[None, :]
    centre, _, half, _ = skull_axes(landmarks, 1.0 / SKULL_WIDTH)    # (half the face's width at the ears)
    above = rows < brow_line(landmarks, size)[None, :]
    region = face_oval(landmarks, size) & above & (np.abs(cols - centre) > 0.5 * half)
    if not region.any():
        return 0.0
    return float(((person.hair > 0.5) * (take > 0.5) * (1.0 - drawn.matte))[region].mean())


def _fringe(person: Person, params: TransplantParams) -> shapes.Fringe | None:
    """Where a fringe alone is drawn (``shapes.fringe``), or None where the person's hair does
    not cover its root (a bald or shaved head)."""
    zone = shapes.fringe(person.landmarks, person.detail.shape[0])
    sure, share = params.root
    if not zone.root.any() or float((person.hair[zone.root] > sure).mean()) < share:
        return None
    return zone


def _unchanged(detail: np.ndarray, reason: str) -> Transplanted:
    """Nothing drawn, with the reason."""
    none = np.zeros(detail.shape[:2], np.float32)
    return Transplanted(EditedFace(detail.copy(), none, none.copy()), 0.0, reason)


def _taken(person: Person, drawn: Drawn, params: TransplantParams) -> np.ndarray:
    """(R, R) float32 in [0, 1]: the person's own hair that goes (and its strands' soft edge): all
    of it but what lies over the face's core (``core``; ``judge`` fades the edit where that much),
    where the donor's long hair runs off its photo (the person's own goes on from it, rather
    than a band of wall where the donor's fades out), and beside the face under the donor's side
    hair (``_within``)."""
    size = person.detail.shape[0]
    hair = np.clip((person.hair - params.hair_from) / params.hair_from, 0.0, 1.0)
    reach = max(3, int(round(params.fringe * size)) * 2 + 1)
    grown = cv2.dilate(hair, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (reach, reach)))
    grown = cv2.GaussianBlur(grown, (0, 0), reach / 4.0)
    # (the brows where they show stay too: hair beside them taken with its soft edge ate into them)
    kept = core(person, params.ground) | (brows(person.landmarks, size) & (person.hair < eyebrows.HIDDEN[0]))
    face = cv2.GaussianBlur(kept.astype(np.float32), (0, 0), reach / 2.0)
    return np.clip(grown * (1.0 - face) * (1.0 - drawn.cut) * (1.0 - _goes_on(person, drawn, params))
                   * (1.0 - _within(person, drawn, params)), 0.0, 1.0).astype(np.float32)


def _within(person: Person, drawn: Drawn, params: TransplantParams) -> np.ndarray:
    """(R, R) float32 in [0, 1]: beside the face, from the brows down to the chin, between it and
    the donor's hair farther out on the same row: there the person's own hair stays under the
    donor's (taken away, the wall behind the head showed through between the cheek and the
    donor's side hair, a pale crescent where the head's side would be)."""
    size = person.detail.shape[0]
    matte = np.clip((drawn.matte - params.within[0]) / (params.within[1] - params.within[0]), 0.0, 1.0)
    middle = int(np.clip(round(float(person.landmarks[CHIN, 0])), 1, size - 1))
    out = np.zeros((size, size), np.float32)
    # (the donor's hair met on the way in from each side of the crop, before this pixel)
    out[:, 1:middle] = np.maximum.accumulate(matte[:, :middle - 1], axis=1)
    out[:, middle:-1] = np.maximum.accumulate(matte[:, :middle:-1], axis=1)[:, ::-1]
    # (off the face, from the brows' row: on the forehead, the person's own fringe under the
    # donor's stood out)
    rows = np.arange(size, dtype=np.float32)[:, None]
    ramp = max(params.ends_band * size, 1.0)
    top, chin = float(brow_line(person.landmarks, size).mean()), float(person.landmarks[CHIN, 1])
    out *= np.clip(np.minimum(rows - top, chin - rows) / ramp, 0.0, 1.0)
    out *= 1.0 - cv2.GaussianBlur(face_oval(person.landmarks, size).astype(np.float32), (0, 0), 0.5 * ramp)
    # (nor where the donor's own head or ear is drawn there: the person's hair goes for it)
    return cv2.GaussianBlur(out * (1.0 - drawn.scalp), (0, 0), 1.5)


def _ears_seen(person: Person, params: TransplantParams) -> np.ndarray:
    """(R, R) float32 in [0, 1]: the person's ears in sight (``TransplantParams.ears``), softened."""
    size = person.detail.shape[0]
    if not person.skin.any():
        return np.zeros((size, size), np.float32)
    left, right = ear_zones(person.landmarks, size, *params.ears)
    tone = np.median(person.lab[person.skin], axis=0)
    seen = (left | right) & ~face_oval(person.landmarks, size) & (person.hair < params.hair_long)
    return cv2.GaussianBlur(skinlike(person.lab, tone) * seen, (0, 0), 1.0)


def _hidden_brows(person: Person, take: np.ndarray) -> tuple[list, np.ndarray | None, np.ndarray | None]:
    """(the brows that the person's hair which goes (``take``) hid, ``eyebrows.hidden``'s; the
    forehead's tone and the hair's colour, (3,) CIELAB, to draw them in): none where the person
    shows too little bare skin or hair to tell them apart."""
    sure = person.hair > 0.8
    if person.skin.sum() < 20 or sure.sum() < 20:
        return [], None, None
    tone = np.median(person.lab[person.skin], axis=0)
    hid = eyebrows.hidden(person.hair, person.landmarks, take, lambda: 1.0 - skinlike(person.lab, tone))
    if not hid:
        return [], None, None
    return hid, forehead_tone(person.lab, person.landmarks, person.hair)[0], np.median(person.lab[sure], axis=0)


def _goes_on(person: Person, drawn: Drawn, params: TransplantParams) -> np.ndarray:
    """(R, R) float32 in [0, 1]: below the mouth, on each side of the chin where the donor's hair
    reaches down to the mouth's row (within ``ends_band`` above it): there the person's longer hair
    goes on from the donor's ends (taken away, the neck, the shoulders and the wall behind it
    would be guessed)."""
    size = person.detail.shape[0]
    mouth, middle = float(person.landmarks[MOUTH, 1]), float(person.landmarks[CHIN, 0])
    row = int(np.clip(round(mouth), 1, size))
    band = drawn.matte[max(0, row - max(1, int(round(params.ends_band * size)))):row]
    split = int(np.clip(round(middle), 1, size - 1))
    left, right = (float(np.percentile(part, 99)) for part in (band[:, :split], band[:, split:]))
    cols = np.arange(size, dtype=np.float32)[None, :]
    side = np.clip((cols - middle) / max(params.ends_band * size, 1.0) + 0.5, 0.0, 1.0)
    rows = np.arange(size, dtype=np.float32)[:, None]
    below = np.clip((rows - mouth) / max(params.ends_band * size, 1.0), 0.0, 1.0)
    return (below * (left + side * (right - left))).astype(np.float32)


def _hair_color(person: Person, drawn: Drawn, color: str, target: np.ndarray | None,
                reference: np.ndarray | None, light: LightParams) -> tuple[np.ndarray, Callable[..., np.ndarray]]:
    """((R, R, 3) float32 BGR: the donor's hair in the crop, relit, in the chosen colour; ``paint``
    that paints any of its hair alike: ``paint(colour, gain, matte)``, its ``colour`` (H, W, 3) BGR
    in [0, 1] relit by ``gain`` (H, W), moved to the colour measured on the crop's drawing)."""
    # (a light's cast tints a pixel as much as it is lit: a pixel as light as the person's skin
    # takes all of the skins' shift, black hair little of it; whole, it turned black hair teal)
    skin = float(np.median(person.lab[person.skin][:, 0])) if person.skin.any() else 60.0

    def relit(colour: np.ndarray, gain: np.ndarray) -> np.ndarray:
        lab = to_lab(colour)
        lab[..., 1:] += drawn.shift * np.clip(lab[..., :1] / max(skin, 1.0), 0.0, 1.0)
        lab[..., 0] *= gain
        return lab

    lab = relit(drawn.color, drawn.gain)
    move = None
    if color == "own":
        inset = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * light.inset + 1,) * 2)
        theirs = hair_profile(lab, drawn.matte > light.sure, light)
        sure = cv2.erode((person.hair > 0.8).astype(np.uint8), inset) > 0
        own = hair_profile(person.lab, sure, light) if sure.mean() >= light.own_share else None
        if theirs is not None and own is not None:
            move = lambda lab, matte: match_hair(lab, theirs, own, light)       # noqa: E731
    elif color == "target":
        tone = np.median(person.lab[person.skin], axis=0) if person.skin.any() else None
        goal, start = scene_target(np.asarray(target, np.float32), reference, tone), own_color(lab, drawn.matte)
        move = lambda lab, matte: move_color(lab, matte, goal, light, start)    # noqa: E731

    def painted(lab: np.ndarray, matte: np.ndarray) -> np.ndarray:
        return to_bgr(lab if move is None else move(lab, matte))

    return painted(lab, drawn.matte), lambda colour, gain, matte: painted(relit(colour, gain), matte)


class Transplant(Effect):
    """A real head of hair drawn on the person (``EditPlan.kind`` "transplant"): the plan's donor,
    in the colour it asks for, wholly or not at all (in video held as the drawing before showed
    it, ``Memory.shown``); the HUD is told why not (``EditedFace.note``). For a reference photo,
    the plan's ``fallback`` is the bank's head of hair that stands in for it, drawn where the
    photo's is not; under that the photo's colour on the person's own hair (drawn by
    ``fallback``), with the photo's fringe or bare forehead over it where that can be drawn, else
    the bank's like it."""

    def __init__(self, params: TransplantParams = TransplantParams(), fallback: Effect | None = None):
        self.params = params
        self.fallback = fallback or Recolor()

    def draw(self, scene: Scene) -> EditedFace:
        plan = scene.plan
        drawn = self._drawn(scene, plan)
        under = plan.fallback
        if drawn.strength >= 1.0 or under is None:
            return dataclasses.replace(drawn.edited, note=drawn.reason or plan.note)
        if under.kind == "transplant" and under.part == "all":
            stand_in = self._drawn(scene, under)
            if stand_in.strength >= 1.0:
                return dataclasses.replace(stand_in.edited, note=f"{drawn.reason}: {under.note}")
            under = under.fallback
        parts = []        # (the photo's own part, then the bank's like it)
        while under is not None and under.kind == "transplant":
            parts.append(under)
            under = under.fallback
        if under is None:
            return dataclasses.replace(drawn.edited, note=drawn.reason)
        # (drawn as in a photo, with a memory of its own: the transplant's drawings are carried
        # between frames, not followed)
        colored = self.fallback.draw(Scene(scene.aligned, under, scene.plate, Memory(), Seen(), False,
                                           scene.textures))
        on = dataclasses.replace(scene, aligned=dataclasses.replace(scene.aligned, detail=colored.crop))
        for part in parts:
            over = self._drawn(on, part)
            if over.strength >= 1.0:
                return _over(colored, over.edited, f"{drawn.reason}: {part.note or PART_NOTES[part.part]}")
        return dataclasses.replace(colored, note=f"{drawn.reason}: its colour only", fallback=True)

    def _drawn(self, scene: Scene, plan: EditPlan) -> Transplanted:
        """``plan``'s donor drawn, wholly or not at all (in video, as the drawing before was
        shown: ``Memory.shown``, by the donor's photo)."""
        key = None if plan.donor is None else (plan.donor.source, plan.part)
        shown = scene.memory.shown.get(key, False) if scene.video and key is not None else None
        drawn = transplant(scene.aligned, plan.donor, scene.plate, color=plan.paint, target=plan.color,
                           reference=plan.skin, part=plan.part, shown=shown, params=self.params)
        if shown is not None:
            scene.memory.shown[key] = drawn.strength >= 1.0
        return drawn
