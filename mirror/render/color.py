"""The colour move: where a recolouring takes hair of one colour for a target colour, per pixel.

    own = own_color(to_lab(crop), hair)              # (2, 3) the hair's CIELAB median and spread
    mean, ratio = move(own, target, amount)          # its new mean, each channel's stretch
    table = color_table(own, target, amount)         # the same as lookup tables for 8-bit pixels
    bgr = recolor(lab, own, target, amount)          # ... or per float pixel

Each pixel keeps its place in its hair's spread, so strands and highlights stay.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import cv2

from mirror.render.colortable import ColorTable, no_cast, shift_cap, stretched
from mirror.render.imaging import median
from mirror.render.lab import SUM, from_lab, to_lab
from mirror.types import AlignedFace


@dataclass(frozen=True)
class ColorParams:
    """How hair colour is measured and moved (CIELAB units unless said)."""

    # the hair's colour is measured where the segmenter's hair probability is over this
    hair_sure: float = 0.8
    color_sample: int = 1024         # ... on about this many of its pixels
    color_rate: float = 0.25         # video: how fast the measured hair colour (and skin) follows each frame
    # ... measured on every this-many frames, the frames between keeping it and its colour table
    # (it follows slowly anyway, and measuring it and making its table are a good share of a
    # recolouring's frame)
    measure_every: int = 2
    # ... and its table made again only once the hair's or the skin's colour has moved this much
    # (in any of L*, a*, b* or their spreads) from the colours it was made for: a step this small
    # is not seen, and the measures drift by about this much each time
    table_drift: float = 0.5
    # Skin-coloured "hair" (within ``MatteParams.mix_contrast[0]`` of the skin) with less than this
    # share of the crop dense is a bald head's lit rim, not hair to recolour (dark hair on a dark
    # wall can have as little as 0.2 % dense).
    bare_rim: float = 0.005
    # The hair's spread may shrink at most this much, per channel (L, a, b), and never grows.
    # Chroma offsets are never stretched: at the hair's edge they are the skin's, not the strands';
    # nor is lightness (stretched up to 1.5, dark hair's broad sheen came out as a pale mottle made
    # blond; the strands that dark hair lacks are lent instead: ``RecolorParams.lend_gain``).
    spread_limits: tuple = ((0.6, 1.0), (0.5, 1.0), (0.5, 1.0))
    # A pixel within 3 of its hair's spreads (all channels) is stretched as the hair is; from 5 on
    # (skin or wall mixed in at the hair's edge) it only shifts by the hair's change.
    deviation: tuple[float, float] = (3.0, 5.0)
    # ... and from far[0] on it is moved less, not at all from far[1] (not hair)
    far: tuple[float, float] = (8.0, 12.0)
    # ... except deep inside the recolouring's mask (from core[0], wholly at core[1]): hair
    core: tuple[float, float] = (0.9, 1.0)
    # ... those spreads counted as at least this (L*, a*, b*): black hair's own is a unit or two,
    # and its strands a shade warmer at its edge would count as not hair (left half-moved: a dark line).
    spread_floor: tuple[float, float, float] = (4.0, 3.0, 3.0)
    # hair this close to a light target / a dark one (distance) is left / fully moved
    already: tuple = ((6.0, 16.0), (4.0, 12.0))
    light_target: float = 40.0       # ... a target this light in L* (blond, gray) darkens no hair
    black: tuple[float, float] = (16.0, 20.0)  # ... a target this dark in L* (wholly / not at all) is black:
    # ... hair moved to it takes this share of its new mean's a*, b*, and is made no lighter
    black_chroma: float = 0.25
    # ... skin or wall only shifted with hair made lighter: no lighter than its new mean plus this
    # many spreads (nor than the lighter of that mean and the face's skin: ``ceiling``)
    ceiling: float = 3.0
    # ... past its target, hair made lighter goes this share as far in L* (overshot, it reads as
    # bleached)
    lighten_past: float = 0.5
    # a colour target follows this much of the picture's light (L* by ratio, a*, b*: ``scene_target``)
    scene: tuple = (0.7, 0.3, 0.3)
    # ... a near-neutral one this much of its cast in a*, b* (chroma to the first; ``scene``'s from
    # the second): gray following less of it read as lavender in a warm-lit room, and so did silver
    # gray at 0.6; at 1.0 it read as ash blond.
    scene_neutral: tuple = (0.8, 10.0, 15.0)
    # ... a reference photo's hair, taken out of its light (``mirror.edit.reference.in_light``),
    # takes scene_neutral's more only as light as this in L* (from / wholly): a dark colour near
    # neutral once the cast is out was a warm brunette taken to ash by it
    neutral_light: tuple = (35.0, 45.0)
    green_floor: float = 0.5         # ... and its a* not below this,
    blue_floor: float = 0.5          # ... nor a light one's b*
    # hair made lighter keeps its own chroma (``_warmth``) for a target this colourful (not / wholly)
    warm_from: tuple[float, float] = (15.0, 20.0)

    @property
    def floor(self) -> np.ndarray:
        """``spread_floor`` as (3,) float32."""
        return np.float32(self.spread_floor)


def own_color(lab: np.ndarray, hair: np.ndarray, params: ColorParams = ColorParams()) -> np.ndarray | None:
    """(2, 3) float32 CIELAB median and robust spread (1.4826 x the median absolute deviation,
    the standard deviation for a normal spread) of the sure hair (``hair`` (H, W) probability
    above hair_sure), or None with too little of it. Robust: skin and wall pixels at a loose
    mask's edge neither shift it nor widen it."""
    return pixels_color(lab[hair > params.hair_sure], params)


def pixels_color(pixels: np.ndarray, params: ColorParams = ColorParams()) -> np.ndarray | None:
    """``own_color`` of (N, 3) CIELAB pixels: of ``color_sample`` of them (``sampled``)."""
    if len(pixels) < 4:
        return None
    pixels = np.ascontiguousarray(sampled(pixels, params.color_sample).T)     # (channels as rows)
    middle = median(pixels)
    spread = 1.4826 * median(np.abs(pixels - middle[:, None]))
    return np.stack([middle, np.maximum(spread, 1.0)]).astype(np.float32)


def sampled(pixels: np.ndarray, count: int) -> np.ndarray:
    """An even sample of at most about ``count`` of ``pixels`` (N, ...) (fewer than 2 ``count``;
    a sample of a sample is the same): a median is no better for more, and costs a few ms a frame
    on a whole head of hair."""
    return pixels[::max(1, len(pixels) // count)]


def move(own: np.ndarray, target: np.ndarray, amount: float = 1.0, warm: bool = False,
         params: ColorParams = ColorParams()) -> tuple[np.ndarray, np.ndarray]:
    """``recolor``'s move of hair of colour ``own`` towards ``target`` (both (2, 3) CIELAB mean,
    spread): ((3,) the new mean, (3,) the factor each channel's spread is stretched by).
    ``warm``: a named colour, which hair made lighter takes in its own warmth (``_warmth``)."""
    limits = np.float32(params.spread_limits)
    # Hair already of the target colour stays as it is. Near a dark target (black, brown) that is
    # nearer: dark brown or auburn hair 8-20 CIELAB units off black moved a seventh of the way
    # and stayed brown; near a light one (blond, gray), moved, it was told from real hair of the
    # colour more often. (The segmenter's sure hair takes in a lit crown and so measures hair
    # lighter: dark blond hair 15 units off blond is moved 0.61 of the way, to a dark gold.)
    near = params.already[0] if target[0, 0] >= params.light_target else params.already[1]
    black = float(min(max((params.black[1] - target[0, 0]) / (params.black[1] - params.black[0]), 0.0), 1.0))
    # (Black is judged as hair made black ends up, neutral (black_chroma of its a*, b*), not in
    # the scene's warm cast: brown hair in a warm-lit room, 5 units off the cast black and 12
    # off the neutral, was left brown.)
    goal = np.array(target[0], np.float32)
    goal[1:] *= 1.0 - black * (1.0 - params.black_chroma)
    distance = float(np.linalg.norm(goal - own[0]))
    amount *= float(min(max((distance - near[0]) / (near[1] - near[0]), 0.0), 1.0))
    if warm:
        target = _warmth(own, target, params)
    ratio = np.clip(target[1] / own[1], limits[:, 0], limits[:, 1]) ** amount
    mean = own[0] + amount * (target[0] - own[0])
    if target[0, 0] >= params.light_target and mean[0] < own[0, 0]:
        # A light colour (blond, gray) makes no hair darker: platinum or white hair made blond
        # keeps its lightness and takes the colour's hue (darkened, it came out a dull tan).
        mean[0] = own[0, 0]
    if amount > 1.0 and target[0, 0] > own[0, 0]:
        mean[0] = own[0, 0] + (1.0 + params.lighten_past * (amount - 1.0)) * (target[0, 0] - own[0, 0])
    if amount > 1.0:
        # A reach beyond the target may lighten, darken and saturate further, but keeps the
        # target's hue (overshot, a red-brown head turned blond would come out grey-green).
        chroma = float(np.linalg.norm(target[0, 1:]))
        mean[1:] = target[0, 1:] * max(1.0, float(np.linalg.norm(mean[1:])) / max(chroma, 1e-6))
    if black > 0.0:
        # Nor does black make any hair lighter: blue-black hair made black keeps its depth
        # (lightened to the target's mean, it came out a dull ash).
        mean[0] -= black * max(float(mean[0] - own[0, 0]), 0.0)
        # Hair made black is neutral: its pixels keep their own spread of a*, b* (a brown head's
        # warm lights), so a mean as warm as real black hair's came out brown-black.
        # (its a* held at green_floor, as scene_target holds it: not teal)
        floor = min(float(mean[1]), params.green_floor)
        mean[1:] *= 1.0 - black * min(amount, 1.0) * (1.0 - params.black_chroma)
        mean[1] = max(float(mean[1]), floor)
    return mean, ratio


def _warmth(own: np.ndarray, target: np.ndarray, params: ColorParams = ColorParams()) -> np.ndarray:
    """``target`` (2, 3) for hair of colour ``own`` (2, 3) made lighter by it: its a*, b* raised
    to the hair's own chroma where that is greater, in the target's hue (a ginger or auburn head
    made blond is a strawberry or golden blond: taken to the average blond's chroma it came out
    ash grey, more so beside the warm light that made it red; half as warm, still ash). Only a
    colourful target's (chroma from warm_from: blond, not gray or brown)."""
    chroma = float(np.linalg.norm(target[0, 1:]))
    hair = float(np.linalg.norm(own[0, 1:]))
    if target[0, 0] <= own[0, 0] or hair <= chroma:
        return target
    colored = float(min(max((chroma - params.warm_from[0]) / (params.warm_from[1] - params.warm_from[0]), 0.0), 1.0))
    warm = np.array(target, np.float32)
    warm[0, 1:] *= 1.0 + colored * (hair / chroma - 1.0)
    return warm


def ceiling(own: np.ndarray, mean: np.ndarray, ratio: np.ndarray, skin: np.ndarray | None = None,
            params: ColorParams = ColorParams()) -> float:
    """The lightest L* a pixel only shifted by a recolouring (``shift_cap``) is made: the new
    hair's mean (``move``'s ``mean``, ``ratio``) plus ceiling of its spread; with the face's
    ``skin`` colour (3,) known, no lighter than the lighter of that mean and the skin's either
    (such a pixel is hair mixed with skin or wall; where dark hair lit from above has a wide
    spread, skin seen through it at a hairline went lighter than both: a pale band)."""
    top = float(mean[0] + params.ceiling * own[1, 0] * ratio[0])
    return top if skin is None else min(top, max(float(mean[0]), float(skin[0])))


def scene_target(target: np.ndarray, reference: np.ndarray | None, skin: np.ndarray | None,
                 params: ColorParams = ColorParams()) -> np.ndarray:
    """(2, 3) a colour style's target as it looks in this picture: moved by scene (a near-neutral
    target's a*, b* by scene_neutral) of how the person's skin (3,) differs from the skin of the
    training faces that have the colour (``reference`` (3,)). A dim, warm-lit frame makes every
    colour darker and warmer; a target taken as it is would stand out in it (blond as silver, gray
    as lavender). None for either: the target as it is."""
    if reference is None or skin is None:
        return target
    moved = np.array(target, np.float32)
    # Light scales lightness (a dark target moves less than a light one); a colour cast shifts a*, b*.
    exposure = float(min(max(skin[0] / max(float(reference[0]), 1.0), 0.25), 4.0)) ** params.scene[0]
    moved[:, 0] *= exposure
    cast = np.asarray(skin[1:], np.float32) - np.asarray(reference[1:], np.float32)
    moved[0, 1:] += cast_share(moved, params) * cast
    return hue_held(moved, target, params)


def cast_share(color: np.ndarray, params: ColorParams = ColorParams()) -> np.ndarray:
    """(2,) the share of the skins' a*, b* difference that hair of ``color`` (2, 3) CIELAB takes as
    a light's colour cast: ``scene``'s, and more on a neutral colour (``scene_neutral``): grey hair
    keeps less of its own a*, b* in a coloured light than blond does (the scene's white is where a
    grey sits)."""
    chroma = float(np.linalg.norm(color[0, 1:]))
    neutral = float(min(max((params.scene_neutral[2] - chroma) / (params.scene_neutral[2] - params.scene_neutral[1]), 0.0), 1.0))
    return np.float32(params.scene[1:]) + neutral * (params.scene_neutral[0] - np.float32(params.scene[1:]))


def hue_held(moved: np.ndarray, color: np.ndarray, params: ColorParams = ColorParams()) -> np.ndarray:
    """``moved`` (2, 3), hair ``color`` (2, 3) CIELAB moved by a light's cast, held where hair's hue
    goes: never green, a* no lower than green_floor (or the colour's own, if lower: pale skin less
    red than the training faces' took black hair to a* -1.7, a teal black; a reference photo's
    flushed skin took its platinum to a* -8, mint); nor, if light, blue, b* no lower than blue_floor
    (a black-and-white photo's grey skin took silver hair to b* -7, a blue rinse). A dark colour may
    be blue: held there too, black hair was judged black on 0.19 of the test faces, against 0.28 as
    a blue-black. Changes ``moved`` in place and returns it."""
    moved[0, 1] = max(float(moved[0, 1]), min(float(color[0, 1]), params.green_floor))
    if color[0, 0] >= params.light_target:
        moved[0, 2] = max(float(moved[0, 2]), min(float(color[0, 2]), params.blue_floor))
    return moved


def color_table(own: np.ndarray, target: np.ndarray, amount: float = 1.0, warm: bool = False,
                skin: np.ndarray | None = None, params: ColorParams = ColorParams()) -> ColorTable:
    """``recolor(..., own, target, amount, core, mixed, weight, skin)`` as lookup tables for 8-bit BGR
    pixels (``mirror.render.colortable``): the same output, in a fraction of the time (``warm``: see ``move``)."""
    mean, ratio = move(own, target, amount, warm, params)
    return ColorTable(own, mean, ratio, params.deviation, params.core, params.far, params.floor,
                      ceiling(own, mean, ratio, skin, params))


def recolor(lab: np.ndarray, own: np.ndarray, target: np.ndarray, amount: float = 1.0,
            core: np.ndarray | None = None, mixed: np.ndarray | None = None,
            weight: np.ndarray | None = None, skin: np.ndarray | None = None, params: ColorParams = ColorParams()) -> np.ndarray:
    """Moves pixels of colour statistics ``own`` to ``target`` (both (2, 3) CIELAB mean, spread):
    each pixel keeps its place in its hair's spread, so strands and highlights stay.

    Args:
        core: (H, W) in [0, 1], where the pixel is surely hair (deep inside the hair mask): it is
            moved even when its colour is far from ``own`` (light strands of hair whose measured
            colour is its darker part), though only shifted, not stretched (skin between dark
            strands, stretched from the dark hair's colour, came out white); None: judged by
            colour alone.
        mixed: (H, W) in [0, 1], where the pixel is known to be a mix of the hair and the colour
            beside it (``hair_matte``'s ``unmixed``): moved however far its colour is from the
            hair's (its mask, the hair's share, says how much); None: judged by colour alone.
        weight: (H, W) in [0, 1], how much of its move each pixel takes (a recolouring mask),
            before the result is clipped: an edge pixel half hair takes half the hair's shift
            (moved wholly, then blended half, a pixel lighter than its hair clipped to white
            first and came out too dark). None: all of it.
        skin: (3,) the face's skin colour in CIELAB (``ceiling``), or None.

    Returns:
        (H, W, 3) float32 BGR in [0, 1].
    """
    mean, ratio = move(own, target, amount, params=params)
    offset = lab - own[0]
    # Strands are stretched to the target's spread; what lies far outside the hair's own spread
    # (skin or wall mixed into an edge pixel) keeps its offset: no glowing rim.
    radius = np.sqrt(((offset / np.maximum(own[1], params.floor)) ** 2).sum(axis=-1, keepdims=True))
    inside = np.clip((params.deviation[1] - radius) / (params.deviation[1] - params.deviation[0]), 0.0, 1.0)
    # ... and what lies farther still (skin or wall beside the hair, in the mask's edge) is not
    # hair at all: it is not moved (else it would ring the hair in the target's colour).
    near = np.clip((params.far[1] - radius) / (params.far[1] - params.far[0]), 0.0, 1.0)
    if core is not None:
        sure = np.clip((core[..., None] - params.core[0]) / (params.core[1] - params.core[0]), 0.0, 1.0)
        near = np.maximum(near, sure)
    if mixed is not None:
        near = np.maximum(near, mixed[..., None])
    if weight is not None:
        near = near * weight[..., None]
    # What is only shifted (skin or wall mixed into an edge pixel) goes no farther in a*, b* than
    # the new hair's colour (a warm edge made blond would come out an orange rim), nor, made
    # lighter, much lighter than the new hair (``ceiling``).
    held = np.minimum(near, shift_cap(lab, own, mean, ceiling(own, mean, ratio, skin, params)))
    near = held + inside * (near - held)
    moved = mean + offset + inside * (stretched(lab, own, mean, ratio) - mean - offset)
    return from_lab(no_cast(lab, lab + near * (moved - lab), mean))


def near_hair(lab: np.ndarray, own: np.ndarray, near: tuple[float, float], floor: np.ndarray | float = 1.0) -> np.ndarray:
    """(H, W) float32: 1 where CIELAB pixels lie within ``near[0]`` of the hair colour ``own``'s
    spreads (at least ``floor``), 0 from ``near[1]`` on (in OpenCV's vectorised loops)."""
    z = cv2.multiply(cv2.subtract(lab, own[0].astype(np.float32)), (1.0 / np.maximum(own[1], floor)).astype(np.float32))
    radius = cv2.sqrt(cv2.transform(z * z, SUM))
    return np.clip((near[1] - radius) * (1.0 / (near[1] - near[0])), 0.0, 1.0)


class Measured:
    """A crop's colours and its hair's, each measured once and only if asked for."""

    def __init__(self, aligned: AlignedFace, params: ColorParams = ColorParams()):
        self._aligned, self._params = aligned, params

    @functools.cached_property
    def crop_lab(self) -> np.ndarray:
        """(S, S, 3) float32, the model's crop in CIELAB."""
        return to_lab(self._aligned.crop)

    @functools.cached_property
    def detail_lab(self) -> np.ndarray:
        """(R, R, 3) float32, the detail crop in CIELAB."""
        return to_lab(self._aligned.detail)

    @functools.cached_property
    def hair_color(self) -> np.ndarray | None:
        """(2, 3) the hair's own colour (``own_color``), or None."""
        return own_color(self.crop_lab, self._aligned.hair, self._params)
