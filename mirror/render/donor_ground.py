"""What shows where the person's own hair goes, under a transplanted donor's hair
(``mirror.render.transplant``): the donor's bare scalp where its head is, in the person's skin;
beyond it the wall (the video's background plate, or the wall beside the head continued along
each row) and clothes, and the neck under the jaw; on the face's rim the person's own skin
continued. Blended in with a Laplacian pyramid (``pyramid_blend``), so no seam shows.

    ground = behind(person, drawn, plate, aligned.detail_to_crop)     # (R, R, 3) float32 BGR
"""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from mirror.face.regions import CHIN, MOUTH, brow_line, face_interior, face_oval, neck_span, skull, skull_axes
from mirror.render.donor_layers import Drawn, Person
from mirror.render.donor_light import to_bgr
from mirror.render.imaging import wide_blur
from mirror.render.lab import to_lab
from mirror.render.plate import BackgroundPlate, fill_holes, smooth_fill


WEIGHT_REACH = 0.02     # ``pyramid_blend`` grown on a wall: a weight under this lets ``under`` show through


@dataclass(frozen=True)
class GroundParams:
    """What shows where the person's hair goes (lengths are shares of the crop's side).

    Attributes:
        rim: hair over the face's rim this wide (inside its outline, below the brows) is taken away
            and the skin continued there; farther in, it is left (and the edit fades: ``FitParams``).
        rim_side: ... the skin less this much of the face's outline at either side (``rim_face``).
        wall_clear: the wall seen beside the hair is taken as the wall only this far from it (the
            hair's soft edge holds its colour: continued into the hair's place, it drew the hair's
            outline there as a ghost).
        scalp_shade: a donor's skin pixel drawn on the person is as much lighter or darker than
            the donor's skin round it as it is, within these factors (``scalp``) ...
        scalp_thin: ... less dark things on it thinner than this (a strand, a glasses' arm) ...
        scalp_texture: ... with its finer texture (pores) held within this share of its lightness;
        scalp_tint: ... its tint (a*, b*) only at this scale (Gaussian sigma: a flush or a
            shadow's colour, not a strand's).
        levels: the Laplacian pyramid's levels for what lies behind removed hair.
        shoulders: bare skin this far below the chin, and beside the neck by half its width, is
            shoulders: what hair taken away there shows is continued from it too.
        neck_shade: a neck drawn under the jaw is this many L* darker than the skin it is filled from.
        side_foot: the head's sides beside the face (``head_sides``) reach this far from the ears'
            row down to the chin's ...
        side_width: ... and this many of the skull's half widths from its middle (the ears lie
            beyond).
    """

    rim: float = 0.05
    rim_side: float = 0.03
    wall_clear: float = 0.012
    scalp_shade: tuple[float, float] = (0.6, 1.25)
    scalp_thin: float = 0.04
    scalp_texture: float = 0.06
    scalp_tint: float = 0.08
    levels: int = 4
    shoulders: float = 0.08
    neck_shade: float = 8.0
    side_foot: float = 0.3
    side_width: float = 0.9


def core(person: Person, params: GroundParams) -> np.ndarray:
    """(R, R) bool: the face below the brows less its rim (``rim``), and the eyes-nose-mouth hull:
    where the person's hair is never taken away (it would be drawing a face)."""
    size = person.detail.shape[0]
    interior = face_interior(person.landmarks, size).astype(np.uint8)
    rim = max(1, int(round(params.rim * size)))
    inner = cv2.erode(interior, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * rim + 1, 2 * rim + 1))) > 0
    return inner | (person.keep > 0.5)


def behind(person: Person, drawn: Drawn, plate: BackgroundPlate | None, aligned_to_crop: np.ndarray | None,
           params: GroundParams = GroundParams()) -> np.ndarray:
    """(R, R, 3) float32 BGR in [0, 1]: what shows where the person's hair goes: the donor's bare
    scalp where its head is; beyond it the wall and clothes (never skin), and the neck under the
    jaw; on the face's rim the person's own skin continued."""
    size = person.detail.shape[0]
    base = person.detail.astype(np.float32) / 255.0
    hair = np.clip(person.hair * 2.0, 0.0, 1.0)
    clear = max(3, int(round(params.wall_clear * size)) * 2 + 1)
    visible = (1.0 - person.person) * (1.0 - cv2.dilate(hair, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (clear, clear))))
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
    skin = scalp(person, drawn, params)
    out += drawn.scalp[..., None] * (skin - out)
    # On the face's rim, the person's own skin (``rim_face``), and on the head's sides beside it
    # (``head_sides``).
    if person.skin.sum() > 20:
        face = np.maximum(rim_face(person.landmarks, size, params), head_sides(person, clothes, params))[..., None]
        out += face * (smooth_fill(base, person.skin.astype(np.float32), factor=2) - out)
    return out.astype(np.float32)


def head_sides(person: Person, clothes: np.ndarray, params: GroundParams) -> np.ndarray:
    """(R, R) float32 in [0, 1]: the head's sides between the face and the ears, down to the
    ears' foot (``side_foot``): the person (not the clothes) off the face, within the skull's
    width (``side_width``), softened. Hair taken from there shows the head's skin: taken to the
    wall, a pale gap stood between the cheek and the ear of a bald head."""
    size = person.detail.shape[0]
    landmarks = person.landmarks
    _, ears, _, _ = skull_axes(landmarks)
    rows = np.arange(size, dtype=np.float32)[:, None]
    foot = ears + params.side_foot * (float(landmarks[CHIN, 1]) - ears)
    top = float(np.mean(brow_line(landmarks, size)))
    # (within the skull's outline rounded off at the foot: a box there stood beside the cheek as a block)
    inside = (rows > top) & (skull(landmarks, size, edge=0.0, scale=params.side_width, foot=foot, oval=False) > 0.5)
    sides = (person.person > 0.5) & (clothes < 0.5) & inside
    soft = max(1.0, params.rim_side * size * 0.3)
    return cv2.GaussianBlur(sides.astype(np.float32), (0, 0), soft)


def rim_face(landmarks: np.ndarray, size: int, params: GroundParams) -> np.ndarray:
    """(S, S) float32 in [0, 1]: where hair taken off the face's rim shows skin: the face below the
    brows, its outline's outer part at the ears left out down to their foot (``side_foot``; there
    the mesh reaches over the ears and temples, which a fill of the cheeks' skin drew as blocks;
    below, it is the jaw's own outline, and left out, the wall showed along the cheek as a pale
    strip), softened."""
    interior = face_interior(landmarks, size).astype(np.uint8)
    side = max(1, int(round(params.rim_side * size)))
    inside = cv2.erode(interior, np.ones((1, 2 * side + 1), np.uint8))
    _, ears, _, _ = skull_axes(landmarks)
    foot = int(np.clip(round(ears + params.side_foot * (float(landmarks[CHIN, 1]) - ears)), 0, size))
    inside[foot:] = interior[foot:]
    inside = inside.astype(np.float32)
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


def _neck(person: Person, base: np.ndarray, tone: np.ndarray, params: GroundParams
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


def scalp(person: Person, drawn: Drawn, params: GroundParams) -> np.ndarray:
    """(R, R, 3) float32 BGR: the donor's bare scalp and forehead as they are (a bald dome's light
    and shade, the pores) in the person's skin: each pixel the person's own bare skin continued
    smoothly over it, times the donor pixel's lightness relative to the donor's bare skin
    continued alike, plus its a*, b* difference from it; both continued from where both faces are
    bare. (A donor's forehead drawn as it was glowed orange on a darker person; the person's own
    skin continued alone drew a flat mannequin's dome.)"""
    known = person.skin & (drawn.bare > 0.5)
    if known.sum() < 20:
        known = person.skin
        if known.sum() < 20:
            return drawn.skin
    known = known.astype(np.float32)
    size = person.detail.shape[0]
    sigma = params.scalp_tint * size
    lab = to_lab(drawn.skin)
    # The donor's light and shade, less thin dark things on its skin (a stray strand, a glasses'
    # arm: a grey closing takes them out), with its fine texture held within scalp_texture ...
    reach = max(3, int(round(params.scalp_thin * size)) | 1)
    light = lab[..., 0]
    closed = cv2.morphologyEx(light, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (reach, reach)))
    # ... relative to the skin round it (both faces' skin continued smoothly from where both are
    # bare, at a face's scale).
    own = wide_blur(to_lab(smooth_fill(person.detail.astype(np.float32) / 255.0, known, factor=4)), sigma)
    theirs = wide_blur(smooth_fill(np.dstack([closed, lab[..., 1:]]), known, factor=4), sigma)
    level = np.maximum(theirs[..., 0], 1.0)
    texture = np.clip((light - closed) / level, -params.scalp_texture, params.scalp_texture)
    low, high = params.scalp_shade
    # Only the donor's bare skin's difference, continued smoothly over the rest (its brows and
    # hair are not drawn as skin; nor is a band of plain skin left along its hairline); its tint
    # only at a face's scale (a strand's own colour is not the skin's).
    difference = np.dstack([np.clip(closed / level + texture, low, high), lab[..., 1:] - theirs[..., 1:]])
    # (and not beside a thing on it too wide to close: a curl lying on the forehead)
    bare = cv2.erode((drawn.bare > 0.5).astype(np.uint8), cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (reach, reach)))
    if bare.any():
        difference = smooth_fill(difference, bare.astype(np.float32), factor=2)
    # (a shade dims the colour with the light: a*, b* scaled down as L* + 16 is; L* alone darkened
    # kept their strength, and a shaded forehead turned orange-brown. A highlight keeps them.)
    lit = own[..., 0] + 16.0
    own[..., 0] *= difference[..., 0]
    own[..., 1:] *= np.minimum((own[..., 0] + 16.0) / np.maximum(lit, 1.0), 1.0)[..., None]
    own[..., 1:] += wide_blur(np.ascontiguousarray(difference[..., 1:]), sigma)
    return np.clip(to_bgr(own), 0.0, 1.0)


def pyramid_blend(under: np.ndarray, over: np.ndarray, weight: np.ndarray, levels: int, grow: int = 2,
                  wall: np.ndarray | None = None) -> np.ndarray:
    """(H, W, 3) float32: ``over`` blended onto ``under`` through ``weight`` (H, W) in [0, 1], band
    by band of their Laplacian pyramids (each band through the weight smoothed to its scale), so
    no seam shows where their colours differ. On the ``wall`` (H, W) in [0, 1] (None: nowhere),
    each level's weight is grown by ``grow`` of its pixels: an edge of ``under`` the weight takes
    away there leaves no trace of itself just past it, in a band or the blur below (dark hair
    taken off a light wall left a bright ring along its outline); and then, where the weight is
    under WEIGHT_REACH, ``under`` shows through in proportion (wholly where it is 0). (Grown on
    the face, the fill's smooth skin took over its light.)"""
    if levels <= 1:
        return under + weight[..., None] * (over - under)
    low_under, low_over, masks, walls = [under], [over], [weight], [wall]
    for _ in range(levels - 1):
        low_under.append(cv2.pyrDown(low_under[-1]))
        low_over.append(cv2.pyrDown(low_over[-1]))
        masks.append(cv2.pyrDown(masks[-1]))
        walls.append(None if wall is None else cv2.pyrDown(walls[-1]))
    if wall is not None:
        kernel = np.ones((2 * grow + 1,) * 2, np.uint8)
        masks = [mask + place * (cv2.dilate(mask, kernel) - mask) for mask, place in zip(masks, walls)]
    masks = [mask[..., None] for mask in masks]
    out = low_under[-1] + masks[-1] * (low_over[-1] - low_under[-1])
    for level in range(levels - 2, -1, -1):
        shape = low_under[level].shape[1::-1]
        band_under = low_under[level] - cv2.pyrUp(low_under[level + 1], dstsize=shape)
        band_over = low_over[level] - cv2.pyrUp(low_over[level + 1], dstsize=shape)
        out = cv2.pyrUp(out, dstsize=shape) + band_under + masks[level] * (band_over - band_under)
    if wall is None:
        return out
    # (and, grown, nothing changes where the weight is 0: the grown lower levels reach past it)
    return under + np.clip(weight * (1.0 / WEIGHT_REACH), 0.0, 1.0)[..., None] * (out - under)
