"""A donor's hair and skin in the person's light and colour (``mirror.render.transplant``).

- relight: the donor's pixels times the ratio of the person's skin lighting to the donor's, both
  measured as a smooth plane of L* over the bare face, so light from one side falls on the donor's
  hair as it falls on the person's face; the overall level and colour cast follow only a share of
  the skins' difference (skins differ in colour, not only in light).
- colour: the relit hair kept (``donor``); or given the person's own hair's colours (``own``):
  its lightness mapped quantile to quantile onto theirs, its a*, b* those their hair has at that
  lightness (so every strand is a colour their hair has, however the two hairs' spreads differ);
  or moved inside its matte to a target's CIELAB mean and spread (``target``, as the colour
  styles give it).
- unmix: the donor's soft hair edge holds the donor's wall or skin; its colour is taken back out
  so the strands can lie on the person's.
"""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from mirror.face.regions import face_oval
from mirror.render.color import own_color
from mirror.render.lab import from_lab
from mirror.render.plate import smooth_fill


@dataclass(frozen=True)
class LightParams:
    """How a donor is relit and recoloured.

    Attributes:
        level: the share of the skins' overall lightness ratio the hair follows (a darker-skinned
            person's skin is darker in the same light: all of it made blond hair brown).
        cast: the share of the skins' a*, b* difference the hair follows (a warm or cold light).
        gain: the lighting ratio is held within these (a shadowed cheek is not a hair's shade).
        spread: a colour move stretches the hair's spread by at most this factor either way,
        outlier: ... a pixel's difference from the hair's median held within this many spreads.
        sure: the matte from which a donor pixel is wholly hair (its colour as it is).
        loose: the matte under which a donor pixel's colour is the nearby hair's alone.
        quantiles: ``match_hair`` compares the hairs' lightness at this many quantiles ...
        tint: ... over the pixels whose a*, b* lie within this many robust spreads of the hair's
            median (at least ``tint_floor``): a bright wall the segmenter takes for hair above a
            dark head would be all of its lightest quantiles, and paint a fringe's lighter strands
            in the wall's colour;
        tint_floor: see ``tint``;
        trim: ... from this one to its complement (the darkest and lightest few are a wall or a
            shine the segmenter took in);
        slope: ... and stretches the donor's lightness by at most this factor, or squeezes it by
            its inverse, between two quantiles (black hair's few levels stretched to blond's range
            drew its noise as speckles);
        chroma: ... and keeps this share of a donor pixel's a*, b* difference from its hair's at
            its lightness (its highlights' tint).
        inset: the person's hair measured this far (pixels) inside its sure matte (its edge holds
            the wall).
        own_share: a person whose sure hair covers less of the crop than this has no colour of
            their own to give a donor (a bald head's lit rim, which the segmenter takes for hair,
            painted it skin-pale and see-through): the donor keeps its own.
    """

    level: float = 0.5
    cast: float = 0.5
    gain: tuple[float, float] = (0.7, 1.5)
    spread: float = 2.0
    outlier: float = 2.5
    sure: float = 0.85
    loose: float = 0.25
    quantiles: int = 17
    tint: float = 3.0
    tint_floor: float = 12.0
    trim: float = 0.03
    slope: float = 1.8
    chroma: float = 0.4
    inset: int = 3
    own_share: float = 0.03


def skin_plane(lab: np.ndarray, skin: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """((3,) coefficients of L* = c0 + c1 x + c2 y in crop pixels, (3,) mean CIELAB) of the bare
    skin ``skin`` (H, W) bool on ``lab`` (H, W, 3); None with too little skin."""
    ys, xs = np.nonzero(skin)
    if len(xs) < 20:
        return None
    pick = slice(None, None, max(1, len(xs) // 2000))
    ys, xs = ys[pick], xs[pick]
    values = lab[ys, xs]
    design = np.stack([np.ones(len(xs)), xs, ys], 1).astype(np.float64)
    coefficients = np.linalg.lstsq(design, values[:, 0].astype(np.float64), rcond=None)[0]
    return coefficients, np.median(values, axis=0).astype(np.float32)


def bare_face(lab: np.ndarray, landmarks: np.ndarray, hair: np.ndarray, keep: np.ndarray) -> np.ndarray:
    """(H, W) bool: the bare skin of the face: inside its oval, off the hair (``hair`` < 0.2) and
    off ``keep`` (the eyes, nose and mouth), within 20 L* of its median (no brows, no shadows)."""
    size = lab.shape[0]
    bare = face_oval(landmarks, size) & (hair < 0.2) & (keep < 0.5)
    if bare.sum() < 20:
        return bare
    median = float(np.median(lab[..., 0][bare]))
    return bare & (np.abs(lab[..., 0] - median) < 20.0)


def _plane_at(coefficients: np.ndarray, xs: np.ndarray, ys: np.ndarray, box: tuple[float, float, float, float]
              ) -> np.ndarray:
    """The plane at (xs, ys), held at its value on the box's (x0, y0, x1, y1) edge beyond it (a
    plane fitted on a face says nothing of the light far from it)."""
    x0, y0, x1, y1 = box
    return coefficients[0] + coefficients[1] * np.clip(xs, x0, x1) + coefficients[2] * np.clip(ys, y0, y1)


def relight_gain(person: tuple[np.ndarray, np.ndarray], donor: tuple[np.ndarray, np.ndarray],
                 person_box: tuple[float, float, float, float], donor_box: tuple[float, float, float, float],
                 field: np.ndarray, params: LightParams = LightParams()) -> tuple[np.ndarray, np.ndarray]:
    """((R, R) float32 lightness gain, (2,) a*, b* shift) taking the donor's light to the
    person's, at each person pixel (``field`` (R, R, 2): its donor pixel).

    Args:
        person, donor: ``skin_plane``'s (coefficients, mean) of each.
        person_box, donor_box: (x0, y0, x1, y1) of each's bare face, in its own pixels.
    """
    size = field.shape[0]
    ys, xs = np.mgrid[0:size, 0:size].astype(np.float32)
    own = _plane_at(person[0], xs, ys, person_box)
    theirs = _plane_at(donor[0], field[..., 0], field[..., 1], donor_box)
    ratio = own / np.maximum(theirs, 1.0)
    overall = max(float(person[1][0]), 1.0) / max(float(donor[1][0]), 1.0)
    # The shape of the light wholly, its level in part.
    gain = ratio / overall * overall ** params.level
    gain = np.clip(gain, *params.gain).astype(np.float32)
    shift = (params.cast * (person[1][1:] - donor[1][1:])).astype(np.float32)
    return gain, shift


def unmix(crop: np.ndarray, matte: np.ndarray, params: LightParams = LightParams()) -> np.ndarray:
    """(D, D, 3) float32 BGR in [0, 1]: the donor's hair colour with what lay behind its soft edge
    taken out: ``(I - (1 - a) B) / a`` with B what surrounds the hair (filled in under it), moving
    to the nearby sure hair's colour where the matte is thin."""
    image = crop.astype(np.float32) / 255.0
    around = smooth_fill(image, (matte < 0.05).astype(np.float32), factor=4)
    hair = smooth_fill(image, (matte > params.sure).astype(np.float32), factor=4)
    alpha = np.maximum(matte, params.loose)[..., None]
    estimate = np.clip((image - (1.0 - alpha) * around) / alpha, 0.0, 1.0)
    trust = np.clip((matte - params.loose) / (params.sure - params.loose), 0.0, 1.0)[..., None]
    return estimate * trust + hair * (1.0 - trust)


def move_color(lab: np.ndarray, matte: np.ndarray, target: np.ndarray, params: LightParams = LightParams(),
               own: np.ndarray | None = None) -> np.ndarray:
    """``lab`` (H, W, 3) with the hair under ``matte`` (H, W) moved to ``target`` (2, 3) CIELAB
    mean and spread: each channel's deviation from the hair's own mean stretched by the spreads'
    ratio (within ``params.spread``), its mean moved; weighted by the matte. ``own``: the hair's
    own (2, 3) mean and spread, if measured elsewhere (default: on ``lab`` under ``matte``)."""
    own = own_color(lab, matte) if own is None else own
    if own is None:
        return lab
    stretch = np.clip(target[1] / own[1], 1.0 / params.spread, params.spread)
    # (a pixel far off the hair's own colour, skin or wall left in the matte's edge, is moved as
    # the hair's farthest is: stretched with it, it glowed)
    deviation = np.clip(lab - own[0], -params.outlier * own[1], params.outlier * own[1])
    moved = deviation * stretch + target[0]
    weight = np.clip(matte, 0.0, 1.0)[..., None]
    return lab + weight * (moved - lab)


def hair_profile(lab: np.ndarray, where: np.ndarray, params: LightParams = LightParams()
                 ) -> tuple[np.ndarray, np.ndarray] | None:
    """((Q,) L* at ``params.quantiles`` evenly spaced quantiles, (Q, 2) the median a*, b* of the
    pixels nearest each) of the hair ``where`` (H, W) bool on ``lab`` (H, W, 3), less the pixels
    far off its median tint (``params.tint``); None with too little of it."""
    pixels = lab[where]
    if len(pixels) < 50:
        return None
    pixels = pixels[::max(1, len(pixels) // 4000)]
    off = np.abs(pixels[:, 1:] - np.median(pixels[:, 1:], axis=0))
    reach = np.maximum(params.tint * 1.4826 * np.median(off, axis=0), params.tint_floor)
    pixels = pixels[np.all(off <= reach, axis=1)]
    if len(pixels) < 50:
        return None
    levels = np.quantile(pixels[:, 0], np.linspace(params.trim, 1.0 - params.trim, params.quantiles))
    nearest = np.abs(pixels[:, :1] - levels[None, :]).argmin(axis=1)
    tint = np.stack([np.median(pixels[nearest == k, 1:], axis=0) if np.any(nearest == k) else
                     np.median(pixels[:, 1:], axis=0) for k in range(len(levels))])
    return levels.astype(np.float32), tint.astype(np.float32)


def match_hair(lab: np.ndarray, donor: tuple[np.ndarray, np.ndarray], person: tuple[np.ndarray, np.ndarray],
               params: LightParams = LightParams()) -> np.ndarray:
    """``lab`` (H, W, 3), the donor's hair, in the colours of the person's (both ``hair_profile``):
    each pixel's L* mapped from its quantile in the donor's hair to the same quantile of the
    person's (the map's slope held within ``params.slope``, about the median), its a*, b* the
    person's hair's at its new L* plus ``params.chroma`` of its own difference from the donor's
    hair's at its old L*. Lightness outside the donor's trimmed range continues the map's ends
    at half slope (a shine, or the wall left in the matte's edge, does not outshine the person's
    hair)."""
    (theirs, their_tint), (own, own_tint) = donor, person
    step_from = np.maximum(np.diff(theirs), 1e-3)
    step_to = np.clip(np.diff(own), step_from / params.slope, step_from * params.slope)
    target = np.concatenate([[0.0], np.cumsum(step_to)])
    middle = len(theirs) // 2
    target += own[middle] - target[middle]
    light = lab[..., 0]
    moved = np.interp(light, theirs, target)
    moved += 0.5 * (np.clip(light - theirs[-1], 0.0, None) + np.minimum(light - theirs[0], 0.0))
    out = np.empty_like(lab)
    out[..., 0] = moved
    for channel in (1, 2):
        at_new = np.interp(moved, own, own_tint[:, channel - 1])
        at_old = np.interp(light, theirs, their_tint[:, channel - 1])
        out[..., channel] = at_new + params.chroma * (lab[..., channel] - at_old)
    return out


def to_bgr(lab: np.ndarray) -> np.ndarray:
    """CIELAB (H, W, 3) float32 -> BGR float32 in [0, 1]."""
    return from_lab(lab)


def warp_layers(image: np.ndarray, field: np.ndarray, border: int = cv2.BORDER_CONSTANT) -> np.ndarray:
    """``image`` (D, D, C) seen through the backward map ``field`` (R, R, 2) (bilinear)."""
    return cv2.remap(image, field, None, cv2.INTER_LINEAR, borderMode=border, borderValue=0)
