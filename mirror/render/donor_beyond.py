"""A transplanted donor's hair past the person's crop (``Beyond``), for ``mirror.render.transplant``.

    beyond = hair_beyond(aligned, donor, drawn, paint, removed)

A donor's hair, warped onto the person, can reach past the person's crop: a full bob or a high
crop on a head that fills its crop. Drawn in the crop only, it would be cut square along the
crop's top and sides, a box of hair. Past the crop it goes on, warped alike at the outer square's
resolution (``AlignedFace.outer``), up to the crown the crop's drawing gives it where the donor's
photo cut it off, coloured as the crop's drawing is, over what the frame shows there (or the wall
drawn where the person's own hair past the crop is taken away).
"""
from __future__ import annotations

import dataclasses
from collections.abc import Callable

import cv2
import numpy as np

from mirror.face.regions import edge_margin, skull
from mirror.face.warp import WarpParams, head_warp
from mirror.render.donor_layers import Drawn, LayerParams, crown_top, donor_past_top, donor_seen
from mirror.render.donor_light import warp_layers
from mirror.types import AlignedFace, Beyond, Donor

REACHES = 0.05      # drawn past the crop where the crop's drawing is this sure of hair at its edge
COARSE = 2          # the warp past the crop is evaluated on a grid this many times coarser
STEEP_PER = 2.0     # its matte's edge is made steeper by one for each this many frame pixels an outer
STEEPEST = 3.0      # pixel spans, at most this many times


def reaches_edge(matte: np.ndarray) -> bool:
    """Whether the donor's hair drawn in the crop, ``matte`` (R, R), reaches its fading edge."""
    margin = edge_margin(matte.shape[0]) + 1
    return max(float(matte[:margin].max()), float(matte[:, :margin].max()), float(matte[:, -margin:].max()),
               float(matte[-margin:].max())) > REACHES


def hair_beyond(aligned: AlignedFace, donor: Donor, drawn: Drawn, paint: Callable[..., np.ndarray],
                removed: Beyond | None, warp: WarpParams = WarpParams(), layers: LayerParams = LayerParams()
                ) -> Beyond | None:
    """``removed`` (the wall drawn where the person's own hair past the crop goes, or None) with
    the donor's hair past the crop drawn over it; None where neither draws anything.

    Args:
        drawn: the crop's drawing of ``donor`` (its unmixed colour; its relighting gain, held past
            the crop at its edge's).
        paint: the crop's colouring (``transplant._hair_color``): ``paint(colour, gain, matte)``.
    """
    size, scale = aligned.crop.shape[0], aligned.scale
    half, side = size // 2, donor.crop.shape[0]
    # Each outer pixel's donor pixel, at the outer square's resolution (the donor made as coarse;
    # the spline, smooth out there, evaluated every COARSE x ``warp.step`` outer pixels).
    coarse = dataclasses.replace(warp, step=COARSE * warp.step)
    field = head_warp(aligned.landmarks * scale, donor.landmarks, 2 * size, coarse, origin=-scale * half,
                      stride=float(scale))
    field = (field + 0.5) / scale - 0.5
    small = (max(1, round(side / scale)),) * 2
    matte = drawn.sure
    shrink = lambda layer: cv2.resize(layer, small, interpolation=cv2.INTER_AREA)   # noqa: E731
    # (faded where the donor's crop ends, as in the crop, but for its hair going on up to the crown)
    shown = warp_layers(shrink(matte * donor_seen(side, layers)), field)
    past = warp_layers(shrink(matte * donor_past_top(side, layers)), field, cv2.BORDER_REPLICATE)
    crown = skull(aligned.landmarks[:, :2] + half, 2 * size, edge=layers.skull_edge, scale=drawn.crown,
                  top=crown_top(aligned.landmarks[:, :2] + half, past, drawn.crown))
    shown = np.maximum(shown, past * crown)
    # (on a large face its edge made steeper: sized up from the outer square, it was a blur a
    # dozen frame pixels wide)
    per = 1.0 / np.sqrt(abs(np.linalg.det(aligned.to_outer[:, :2])))    # frame pixels per outer pixel
    steep = float(np.clip(per / STEEP_PER, 1.0, STEEPEST))
    shown = np.clip((shown - 0.5) * steep + 0.5, 0.0, 1.0)
    # (nothing farther into the crop than its fading edge: the crop draws it; nor at or past its
    # foot, where the wall drawn past it and the crop's own drawing carried down meet the hair)
    inset = edge_margin(size) + 2
    shown[half + inset:half + size - inset, half + inset:half + size - inset] = 0.0
    shown[half + size - inset:] = 0.0
    if shown.max() <= REACHES:
        return removed
    colour = warp_layers(shrink(drawn.unmixed), field, cv2.BORDER_REPLICATE)
    held = cv2.copyMakeBorder(cv2.resize(drawn.gain, (size, size), interpolation=cv2.INTER_AREA), half, half, half, half,
                              cv2.BORDER_REPLICATE)
    hair = paint(colour, held, shown)
    # Over the wall drawn where the person's own hair goes, else over the frame's own pixels:
    # one fill and its weight for the compositor (frame + weight (fill - frame)).
    hair_weight = shown[..., None]
    if removed is None or removed.fill is None:
        weight, fill = shown, hair
    else:
        wall = removed.mask[..., None]
        weight = 1.0 - (1.0 - removed.mask) * (1.0 - shown)
        fill = (removed.fill.astype(np.float32) / 255.0 * wall * (1.0 - hair_weight) + hair * hair_weight) \
            / np.maximum(weight, 1e-6)[..., None]
        inset = max(inset, removed.inset) if removed.inset is not None else None
    image = np.clip(fill * 255.0 + 0.5, 0, 255).astype(np.uint8)
    return Beyond(weight.astype(np.float32), fill=image, inset=inset)
