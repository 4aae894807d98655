"""How much of each pixel at the hair's edge is hair: the recolouring's matte.

    matte, mixed, mix = hair_matte(lab, own, hair, skin, zone, unmixed=True)
    mask = remix(mix, later_lab, mask, later_hair, grow)   # the same share measured again on a later frame

A pixel between the hair's colour and the colour beside the hair there (skin, wall) is that much
hair; a pixel of the face's own skin colour is none; a flat shadow on the wall is none either.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import cv2
import numpy as np

from mirror.render.color import ColorParams, near_hair
from mirror.render.imaging import kernel_width, nonzero_box
from mirror.render.lab import SUM
from mirror.render.masks import MaskParams

_SUM2 = np.ones((1, 2), np.float32)     # cv2.transform by this: the sum of a pixel's two channels


@dataclass(frozen=True)
class MatteParams:
    """How the matte tells hair from what is beside it (CIELAB distances; lengths as shares of the crop)."""

    not_skin: tuple[float, float] = (6.0, 16.0)  # a pixel this far from the face's skin is not / is hair
    skin_light: float = 0.5          # ... its lightness weighed this much beside a*, b*
    # ... unless the colour beside the hair is within this of the skin's a*, b* (skin itself)
    skin_beside: tuple[float, float] = (6.0, 12.0)
    # ... and this far from the hair's: a mix of the two is told from skin
    mix_contrast: tuple[float, float] = (25.0, 40.0)
    other_sigma: float = 0.03        # the colour beside the hair (skin, wall) is averaged over this
    other_min: float = 0.05          # ... and trusted where that much of the average is not hair
    # ... else the wall's colour averaged this far (off the face) stands in for it,
    wall_wide: float = 0.12
    wall_mean: float = 1e-3          # ... (its mean over the crop where none is near)
    # ... and a pixel this close to it (share of the way to the hair's colour), and as far from the
    # hair's as ``ColorParams.deviation``, is wall the hair mask spilled on
    wall_share: float = 0.25
    # ... a pixel this far off the line between them (share of its length): a mix / not one
    mix_line: tuple[float, float] = (0.25, 0.5)
    # hair and what is beside it this far apart: no / a sure matte
    matte_contrast: tuple[float, float] = (10.0, 20.0)
    # a pixel part hair by its colour in a patch whose L* spreads this little (wholly / not flat)
    flat: tuple[float, float] = (1.0, 3.0)
    flat_window: float = 0.004       # ... over this either side (at least a pixel),
    # ... this far from any pixel of the hair's colour (not / wholly),
    mix_away: tuple[float, float] = (0.008, 0.02)
    mix_core: tuple[float, float] = (1.5, 2.5)  # ... (within this many of its spreads: wholly / not),
    shadow_size: float = 0.04        # ... the patch at least this wide and tall in area,
    # ... and the pixel this much short of wholly hair (its share: from / wholly), is a shadow on the
    # wall where the segmenter is not sure of hair, off the face (``shadow_on_wall``)
    shadow_unsure: float = 0.3


def hair_matte(lab: np.ndarray, own: np.ndarray, hair: np.ndarray, skin: np.ndarray | None,
               skin_zone: np.ndarray | None = None, unmixed: bool = False, params: MatteParams = MatteParams(),
               color_params: ColorParams = ColorParams()) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
    """(H, W) float32 share of each pixel's colour that is hair, for recolouring inside a loose
    mask: a pixel between the hair's colour and the colour beside the hair there (skin, wall) is
    that much hair; a pixel of the face's own skin colour is none.

    Args:
        lab: (H, W, 3) CIELAB; own: (2, 3) the hair's colour; hair: (H, W) the hair mask;
        skin: (3,) the face's skin colour in CIELAB, or None.
        skin_zone: (H, W) in [0, 1], where a pixel of the skin's colour may be skin (None:
            everywhere).
        unmixed: also return (H, W) float32 in [0, 1], how surely the share was measured: the
            colour beside is far from the hair's and the pixel lies on the line between them (a
            mix of the two, not a third colour). ``recolor``'s ``mixed``. And the ``Mix`` it was
            measured with.
    """
    # The colour beside the hair is a smooth field: averaged at a quarter of the resolution.
    lab = np.asarray(lab, np.float32)
    height, width = hair.shape
    small = (max(1, width // 4), max(1, height // 4))
    other = cv2.resize(np.clip(1.0 - 2.0 * hair, 0.0, 1.0), small, interpolation=cv2.INTER_AREA)
    sigma = params.other_sigma * max(small)
    lab_small = cv2.resize(lab, small, interpolation=cv2.INTER_AREA)
    weight = cv2.GaussianBlur(other, (0, 0), sigma)
    beside = cv2.GaussianBlur(lab_small * other[..., None], (0, 0), sigma)
    beside_small = beside / np.maximum(weight, 1e-3)[..., None]
    beside = cv2.resize(beside_small, (width, height), interpolation=cv2.INTER_LINEAR)
    # Where the mask leaves no wall near (it spilled over the wall up to the crop's edge), the
    # wall's colour from farther off (the nearest, else its mean), not the face's skin, tells
    # what is surely not hair.
    wall = other if skin_zone is None else other * (1.0 - cv2.resize(skin_zone, small, interpolation=cv2.INTER_AREA))
    gap = 1.0 - np.clip(weight * (1.0 / params.other_min), 0.0, 1.0)
    weight = cv2.resize(weight, (width, height), interpolation=cv2.INTER_LINEAR)
    spilled = None
    if gap.max() > 0.01 and wall.sum() >= 1.0:
        wide = params.wall_wide * max(small)
        walls = lab_small * wall[..., None]
        mean = walls.sum(axis=(0, 1)) / wall.sum()
        far = ((cv2.GaussianBlur(walls, (0, 0), wide) + params.wall_mean * mean)
               / (cv2.GaussianBlur(wall, (0, 0), wide) + params.wall_mean)[..., None])
        # Measured first on the quarter-size map; per pixel only near where that found some.
        candidate = cv2.dilate((_spilled(lab_small, own, far, gap, params, color_params) > 0.01).astype(np.uint8), np.ones((3, 3), np.uint8))
        candidate = cv2.resize(candidate, (width, height), interpolation=cv2.INTER_NEAREST)
        box = nonzero_box(candidate > 0)
        if box is not None:
            part = slice(*box[0]), slice(*box[1])
            spilled = np.zeros((height, width), np.float32)
            spilled[part] = candidate[part] * _spilled(
                lab[part], own, cv2.resize(far, (width, height), interpolation=cv2.INTER_LINEAR)[part],
                cv2.resize(gap, (width, height), interpolation=cv2.INTER_LINEAR)[part], params, color_params)
    mix, dot, length = _mix(lab, own, beside, weight, params)
    matte = mix.matte.copy()
    if spilled is not None:
        matte *= 1.0 - spilled
    if skin is not None:
        skin_like = skinlike(lab, skin, params)
        # Where what is beside the hair is itself skin (a forehead, lit or shaded: its a*, b*),
        # a pixel of the skin's colour is a mix of the two, which the share already weighs: a
        # hairline's edge passes through the face's own colour on its way (kept whole, that
        # band would stay as it was: a thin dark line round the new hair).
        # Only where hair and skin are far apart: hair close to the skin's colour (blond on fair
        # skin) leaves the share too unsure to tell a mix from skin in shadow. (A smooth field,
        # as the colour beside is: measured on its quarter-size map.)
        bare = skin_beside(beside_small, skin, params)
        span_small = np.subtract(own[0], beside_small, dtype=np.float32)
        bare *= np.clip((np.sqrt((span_small * span_small).sum(axis=-1)) - params.mix_contrast[0])
                        * (1.0 / (params.mix_contrast[1] - params.mix_contrast[0])), 0.0, 1.0)
        # (... and only where the share is trusted: deep in a loose mask, with little beside it
        # seen, the skin between a dark fringe and the brows was taken for hair and lit white.)
        bare = cv2.resize(bare, (width, height), interpolation=cv2.INTER_LINEAR) * mix.sure
        matte *= 1.0 - skin_like * (1.0 - bare) * (1.0 if skin_zone is None else skin_zone)
    if not unmixed:
        return matte.astype(np.float32)
    # How far the pixel lies off that line, against the line's length.
    away = cv2.subtract(lab, beside)
    off = cv2.sqrt(np.maximum(cv2.transform(away * away, SUM) - dot * dot * mix.scale, 0.0))
    on_line = np.clip((params.mix_line[1] - off / np.maximum(length, 1e-3)) * (1.0 / (params.mix_line[1] - params.mix_line[0])), 0.0, 1.0)
    return matte.astype(np.float32), (mix.sure * on_line).astype(np.float32), mix


def skin_beside(beside: np.ndarray, skin: np.ndarray, params: MatteParams = MatteParams()) -> np.ndarray:
    """(H, W) float32 in [0, 1]: how surely the colour beside the hair, ``beside`` (H, W, 3)
    CIELAB, is the face's skin ``skin`` (3,) by its a*, b* (within skin_beside: wholly / not)."""
    # (in OpenCV's loops: numpy's over a last axis of 2 or 3 are several times slower)
    away = cv2.transform(beside, np.float32([[0.0, 1.0, 0.0, -skin[1]], [0.0, 0.0, 1.0, -skin[2]]]))
    return np.clip((params.skin_beside[1] - cv2.sqrt(cv2.transform(away * away, _SUM2)))
                   * (1.0 / (params.skin_beside[1] - params.skin_beside[0])), 0.0, 1.0)


class Mix(NamedTuple):
    """How ``hair_matte`` measured each pixel's share of hair (each (H, W) float32; ``beside``
    and ``span`` (H, W, 3)): the colour beside the hair, the line from it to the hair's colour
    and one over its squared length, how far the share is trusted (``sure``), and the matte it
    gave. ``remix`` measures the share again on a later frame's pixels."""
    beside: np.ndarray
    span: np.ndarray
    scale: np.ndarray
    sure: np.ndarray
    matte: np.ndarray


def _mix(lab: np.ndarray, own: np.ndarray, beside: np.ndarray, weight: np.ndarray, params: MatteParams = MatteParams()
         ) -> tuple[Mix, np.ndarray, np.ndarray]:
    """(``Mix``, dot, length), the last two (H, W) float32: ``hair_matte``'s share of hair of
    CIELAB pixels ``lab`` (H, W, 3) between the colour ``beside`` them (H, W, 3) and the hair's
    ``own`` (2, 3): the pixel's projection (``dot``) on the line between, over its squared
    length; trusted as far as the two are apart (matte_contrast) and the colour beside is seen
    (``weight`` (H, W), from other_min)."""
    span = _from(own[0], beside)
    length2 = cv2.transform(span * span, SUM)
    length = cv2.sqrt(length2)
    scale = 1.0 / np.maximum(length2, 1e-6)
    sure = np.clip((length - params.matte_contrast[0]) * (1.0 / (params.matte_contrast[1] - params.matte_contrast[0])), 0.0, 1.0)
    sure *= np.clip(weight * (1.0 / params.other_min), 0.0, 1.0)
    matte, dot = _share(lab, beside, span, scale, sure)
    return Mix(beside, span, scale, sure, matte), dot, length


def _share(lab: np.ndarray, beside: np.ndarray, span: np.ndarray, scale: np.ndarray, sure: np.ndarray
           ) -> tuple[np.ndarray, np.ndarray]:
    """(matte, dot), each (H, W) float32: CIELAB pixels ``lab`` projected on the line ``span``
    from the colour ``beside`` them to the hair's (``dot``), over its squared length (one over it:
    ``scale``), as a matte trusted as far as ``sure`` (``Mix``)."""
    dot = cv2.transform(cv2.multiply(cv2.subtract(lab, beside), span), SUM)
    return 1.0 - (1.0 - np.clip(dot * scale, 0.0, 1.0)) * sure, dot


def remix(mix: Mix, lab: np.ndarray, mask: np.ndarray, hair: np.ndarray, grow: int) -> np.ndarray:
    """(H, W) float32 in [0, 1]: a recolouring mask ``mask`` made with ``mix`` on an earlier
    frame, on a later frame's CIELAB pixels ``lab`` (H, W, 3): kept as far as the share of hair,
    measured again against the same colours, holds its share then (a pixel that has become the
    wall beside: none); and within ``grow`` pixels past it, as far as the later frame's segmenter
    takes a pixel for hair (``hair`` (H, W) in [0, 1]), as high as the mask nearby and the pixel's
    sure share of hair (hair that swung past the mask's edge, else left in its old colour: a dark
    rim)."""
    now, dot = _share(lab, mix.beside, mix.span, mix.scale, mix.sure)
    kept = mask * np.clip(now / np.maximum(mix.matte, 1e-3), 0.0, 1.0)
    if grow <= 0:
        return kept
    near = cv2.dilate(mask, np.ones((2 * grow + 1,) * 2, np.uint8))     # (a square: 4x a disc's speed)
    swung = np.clip(dot * mix.scale, 0.0, 1.0) * mix.sure * hair
    return np.maximum(kept, near * swung)


def shadow_on_wall(lab: np.ndarray, own: np.ndarray, matte: np.ndarray, size: int, params: MatteParams = MatteParams(),
                   color_params: ColorParams = ColorParams(), mask_params: MaskParams = MaskParams()) -> np.ndarray:
    """(H, W) float32 in [0, 1]: where CIELAB pixels ``lab`` (H, W, 3) that ``hair_matte`` takes
    for a mix of the hair (colour ``own``) and the wall (``matte`` (H, W) short of 1, by
    shadow_unsure) are a shadow on the wall: in a flat patch (L* spread under flat over
    flat_window) at least shadow_size in area, mix_away from any pixel of the hair's own colour
    (mix_core). Hair and wall mix only where they meet, at its strands and along its edge; a shadow
    lies between their colours too (the shadowed corner of a ceiling beside black hair, which the
    segmenter takes 0.7-0.88 for hair, was tinted with its new colour). ``size``: the crop's side,
    which the shares are of (``lab`` may be a box in it)."""
    window = kernel_width(params.flat_window, size)
    light = np.ascontiguousarray(lab[..., 0])
    mean = cv2.blur(light, (window, window))
    spread = cv2.sqrt(np.maximum(cv2.blur(light * light, (window, window)) - mean * mean, 0.0))
    flat = np.clip((params.flat[1] - spread) * (1.0 / (params.flat[1] - params.flat[0])), 0.0, 1.0)
    other = (near_hair(lab, own, params.mix_core, color_params.floor) < 0.5).astype(np.uint8)
    away = cv2.distanceTransform(other, cv2.DIST_L2, 3) * (1.0 / size)
    shadow = flat * np.clip((away - params.mix_away[0]) * (1.0 / (params.mix_away[1] - params.mix_away[0])), 0.0, 1.0)
    # (a patch, not a speck or a thread: hair's flat ends at the mask's edge are none)
    _, patches, stats, _ = cv2.connectedComponentsWithStats((shadow > 0.5).astype(np.uint8), connectivity=8)
    large = stats[:, cv2.CC_STAT_AREA] >= (params.shadow_size * size) ** 2
    large[0] = False
    shadow = cv2.GaussianBlur(shadow * large[patches], (0, 0), mask_params.soft * size * 0.5)
    # (hair the matte takes wholly stays: white hair's flat top beside its grey)
    return shadow * np.clip((1.0 - matte) * (1.0 / params.shadow_unsure), 0.0, 1.0)


def _spilled(lab: np.ndarray, own: np.ndarray, far: np.ndarray, gap: np.ndarray, params: MatteParams = MatteParams(),
             color_params: ColorParams = ColorParams()) -> np.ndarray:
    """(H, W) float32: ``hair_matte``'s wall under a spilled hair mask: CIELAB pixels within
    wall_share of the way from the wall's colour ``far`` (H, W, 3) to the hair's ``own``, off the
    hair's own spread (deviation), with the two colours far enough apart to tell
    (matte_contrast), as much as no wall is near (``gap`` (H, W))."""
    span = _from(own[0], far)
    length2 = cv2.transform(span * span, SUM)
    share = cv2.transform(cv2.multiply(cv2.subtract(lab, far), span), SUM) / np.maximum(length2, 1e-6)
    sure = np.clip((cv2.sqrt(length2) - params.matte_contrast[0]) * (1.0 / (params.matte_contrast[1] - params.matte_contrast[0])), 0.0, 1.0)
    return np.clip(1.0 - share * (1.0 / params.wall_share), 0.0, 1.0) * sure * (1.0 - near_hair(lab, own, color_params.deviation)) * gap


def skinlike(lab: np.ndarray, skin: np.ndarray, params: MatteParams = MatteParams()) -> np.ndarray:
    """(H, W) float32 in [0, 1]: how far each pixel of ``lab`` (H, W, 3) CIELAB has the skin's
    colour ``skin`` (3,): 1 within not_skin[0], 0 from not_skin[1] on (lightness counts less: a lit
    forehead is lighter than the face's median skin)."""
    diff = cv2.subtract(lab, _scalar(skin))
    weight = np.float32([[params.skin_light ** 2, 1.0, 1.0]])   # (the squared weights)
    distance = cv2.sqrt(cv2.transform(diff * diff, weight))
    return 1.0 - np.clip((distance - params.not_skin[0]) * (1.0 / (params.not_skin[1] - params.not_skin[0])), 0.0, 1.0)


def _scalar(color: np.ndarray) -> tuple[float, float, float, float]:
    """A (3,) colour as the OpenCV scalar its arithmetic takes per channel (as float32, as numpy's)."""
    c0, c1, c2 = (float(value) for value in np.asarray(color, np.float32))
    return c0, c1, c2, 0.0


def _from(color: np.ndarray, image: np.ndarray) -> np.ndarray:
    """(H, W, 3) float32 ``color`` (3,) minus each pixel of ``image`` (H, W, 3) float32: numpy's
    ``np.subtract(color, image, dtype=np.float32)`` to the bit, in OpenCV's loops."""
    out = cv2.subtract(image, _scalar(color))
    return np.negative(out, out=out)
