"""Wavy hair drawn from the person's own: their hair moved side to side in waves down its fall,
each wave lit on its crest and shaded in its trough.

    source, light, swung = waves(hair, top, size)    # hair: (R, R) weight; top: per column, where it starts
    wavy = cv2.remap(image, source, None, cv2.INTER_LINEAR) * light[..., None]   # moved where ``swung``

The model's decode of a wavy edit is too blurry to carry a curl (it only roughens the hair's
light); real waves are a lateral swing of the strands, in locks that swing together, with bands
of light across them where each wave turns towards the camera. The strands are taken to fall
away from a point far above the head (down the sides, up and back over the top as a camera in
front sees them), so the waves' bands run across the head, arched a little.
"""
from __future__ import annotations

import functools

import cv2
import numpy as np

CURLS = {"wavy": 1.0}   # styles drawn as waves, and how strongly (their ``Style.curl``)
WAVELENGTH = 0.11       # one wave this long down the hair (share of the crop)
SWING = 0.016          # ... swinging the strands this far either side (share of the crop)
CREST_LIGHT = 0.11     # ... lit this much lighter on its crest and darker in its trough (of the lightness)
CREST_MAX = 1.5        # ... at most this many times as much at a higher strength (3x: crests that glowed)
LOCK_WIDTH = 0.05      # locks this wide (Gaussian sigma of the waves' phase across the hair, share of the crop)
LOCK_PHASE = 1.5       # ... out of step with each other by this (radians, the phase's spread)
ROOT_CALM = 0.18       # the waves grow from nothing at the hair's top over this (share of the crop)
EDGE_CALM = 0.02       # ... and swing less within this of the hair's edge (share of the crop): no wall drawn in
FALL_FROM = 1.5        # the strands fall away from a point this far above the crop's top (crop sides)


def waves(hair: np.ndarray, top: np.ndarray, size: int, curl: float = 1.0
          ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """((R, R, 2) float32 the pixel (x, y) each pixel of wavy hair is copied from, (R, R) float32
    the lightness factor on it, (R, R) float32 in [0, 1] how far its waves swing there, of their
    full swing): waves on ``hair`` (R, R) float32 in [0, 1], whose top in each column is ``top``
    (R,) (rows; any value where a column has none), at ``curl`` times their full swing and light
    (the light at most CREST_MAX times).
    Fixed to the crop: a head that moves carries its waves."""
    phase, normal, grid = _field(size)
    hair = np.asarray(hair, np.float32)
    rows = np.arange(size, dtype=np.float32)[:, None]
    # Calm at the roots, and near the hair's edge, where the swing would draw the wall in.
    roots = np.clip((rows - top[None, :].astype(np.float32)) / (ROOT_CALM * size), 0.0, 1.0)
    calm = max(int(round(max(EDGE_CALM, curl * SWING) * size)), 1)      # (at least as far as it swings)
    inner = cv2.GaussianBlur(cv2.erode(hair, np.ones((2 * calm + 1,) * 2, np.uint8)), (0, 0), calm)
    swung = roots * np.minimum(inner, hair)
    swing = (curl * SWING * size) * np.sin(phase) * swung
    source = grid + swing[..., None] * normal
    light = 1.0 + (min(curl, CREST_MAX) * CREST_LIGHT) * np.cos(phase) * roots * hair
    return source, light.astype(np.float32), swung.astype(np.float32)


@functools.lru_cache(maxsize=4)
def _field(size: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """((R, R) float32 the waves' phase, (R, R, 2) float32 the unit direction across the strands,
    (R, R, 2) float32 each pixel's own (x, y)) on a crop of ``size`` pixels: bands across the fall
    from (size / 2, -FALL_FROM * size), out of step lock by lock (a fixed random field)."""
    grid_x, grid_y = np.meshgrid(np.arange(size, dtype=np.float32), np.arange(size, dtype=np.float32))
    dx, dy = grid_x - size / 2.0, grid_y + FALL_FROM * size
    reach = np.sqrt(dx * dx + dy * dy)
    noise = np.random.default_rng(0).standard_normal((size, size)).astype(np.float32)
    # (smooth across the locks, longer down them: a lock stays in step along its length)
    locks = cv2.GaussianBlur(noise, (0, 0), sigmaX=LOCK_WIDTH * size, sigmaY=2.0 * LOCK_WIDTH * size)
    locks *= LOCK_PHASE / max(float(locks.std()), 1e-6)
    phase = 2.0 * np.pi * (reach - FALL_FROM * size) / (WAVELENGTH * size) + locks
    normal = cv2.merge([dy / reach, -dx / reach])
    return phase.astype(np.float32), normal.astype(np.float32), cv2.merge([grid_x, grid_y])
