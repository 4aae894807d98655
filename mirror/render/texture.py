"""Texture: the decodes' change of lightness laid on the person's own hair, and wavy hair drawn
from it (``EditPlan.kind`` "texture").

    edited = Texture().draw(scene)
    source, light, swung = waves(hair, top, size, curl)   # hair: (R, R) weight; top: per column, where it starts
    wavy = cv2.remap(image, source, None, cv2.INTER_LINEAR) * light[..., None]   # moved where ``swung``

The model's decode of a wavy edit is too blurry to carry a curl (it only roughens the hair's
light); real waves are a lateral swing of the strands, in locks that swing together, with bands
of light across them where each wave turns towards the camera. The strands are taken to fall
away from a point far above the head (down the sides, up and back over the top as a camera in
front sees them), so the waves' bands run across the head, arched a little.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass, field

import cv2
import numpy as np

from mirror.face.regions import chin_fade
from mirror.render.base import Effect, Scene, finish
from mirror.render.imaging import column_span, kernel_width, per_channel
from mirror.render.lab import to_lab
from mirror.render.masks import MaskParams, editable, hair_mask
from mirror.types import EditedFace

CURLS = {"wavy": 1.0}   # styles drawn as waves, and how strongly (their ``Style.curl``)


@dataclass(frozen=True)
class TextureParams:
    """The texture's gain and the waves' shape (lengths as shares of the crop)."""

    masks: MaskParams = field(default_factory=MaskParams)
    texture_gain: tuple[float, float] = (0.75, 1.3)  # the hair's lightness changed by at most these factors
    # A line up to twice glint[0] thin and glint[1] lighter (L*) than what is round it is a glint in
    # the hair (an earring measures 56-94; lit strands under 22) ...
    glint: tuple[float, float] = (0.012, 30.0)
    still_round: float = 0.03        # ... and the hair this close to it keeps still
    wavelength: float = 0.11         # one wave this long down the hair
    swing: float = 0.016             # ... swinging the strands this far either side
    # ... lit this much lighter on its crest and darker in its trough (of the lightness)
    crest_light: float = 0.11
    # ... at most this many times as much at a higher strength (at 3x, crests glowed)
    crest_max: float = 1.5
    lock_width: float = 0.05         # locks this wide (Gaussian sigma of the waves' phase across the hair)
    lock_phase: float = 1.5          # ... out of step with each other by this (radians, the phase's spread)
    root_calm: float = 0.18          # the waves grow from nothing at the hair's top over this
    edge_calm: float = 0.02          # ... and swing less within this of the hair's edge: no wall drawn in
    # the strands fall away from a point this far above the crop's top (crop sides)
    fall_from: float = 1.5


class Texture(Effect):
    """The decodes' change of lightness, as a gain on the sure hair's own pixels, and at a curl
    (``EditPlan.curl``) the hair drawn wavy."""

    def __init__(self, params: TextureParams = TextureParams()):
        self.params = params

    def draw(self, scene: Scene) -> EditedFace:
        params, aligned, plan = self.params, scene.aligned, scene.plan
        detail = aligned.detail.astype(np.float32) / 255.0
        landmarks = aligned.landmarks * aligned.scale
        size = detail.shape[0]
        hair = hair_mask(aligned, detail, params.masks)
        keep_out = editable(landmarks, size, below_chin=True, params=params.masks) * chin_fade(landmarks, size)[:, None]
        # Texture, not colour: the decodes' change of lightness, as a gain on the hair's own
        # pixels (its colour kept; no grey wash on dark hair), less its mean over the hair, held
        # within texture_gain, on the sure hair only (its edge over the wall would glow).
        gain = (plan.edited.mean(axis=2) + 0.05) / (plan.recon.mean(axis=2) + 0.05)
        gain = cv2.resize(gain, (size, size), interpolation=cv2.INTER_LINEAR)
        edge = params.masks.hair_edge[1]
        sure = np.clip((hair - edge) / (1.0 - edge), 0.0, 1.0) * keep_out
        gain = np.clip(gain / max(float((gain * sure).sum() / max(sure.sum(), 1.0)), 1e-3), *params.texture_gain)
        curl = plan.curl * plan.amount
        if curl <= 0.0:
            return finish(detail, detail * per_channel(gain), sure, np.zeros((size, size), np.float32))
        # A glint in the hair (a thin line far lighter than what is round it: jewellery, a clip)
        # keeps still, and the hair round it: swung, a hoop earring was bent into an S.
        moved = sure * (1.0 - _round_glints(aligned.detail, sure, params))
        top = column_span(sure > 0.5)[0]
        # Waves: the person's own hair swung side to side down its fall and lit on each crest,
        # drawn anew where it swings (the frame's fine detail lent from where each pixel was
        # copied); elsewhere the light's change is added onto the frame's own detail (drawn anew
        # there too, a short fringe's fine strands came out softer).
        source, light, swung = waves(moved, top, size, curl, params)
        wavy = cv2.remap(detail, source, None, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
        return finish(detail, wavy * per_channel(gain * light), sure, sure * swung, source=source,
                      source_weight=sure * swung)


def _round_glints(image: np.ndarray, sure: np.ndarray, params: TextureParams) -> np.ndarray:
    """(R, R) float32, 1 within still_round of a glint in the hair ``sure`` (R, R) of ``image``
    (R, R, 3) uint8: a line up to twice glint[0] thin and glint[1] lighter than what is round
    it, inside the hair (the wall seen between the strands at its edge is no glint)."""
    size = image.shape[0]
    lightness = to_lab(image)[..., 0]
    glint = cv2.subtract(lightness, cv2.morphologyEx(lightness, cv2.MORPH_OPEN,
                                                     np.ones((kernel_width(params.glint[0], size),) * 2, np.uint8)))
    round_it = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (kernel_width(params.still_round, size),) * 2)
    inside = cv2.erode((sure > 0.5).astype(np.uint8), round_it)
    glints = ((glint > params.glint[1]) & (inside > 0)).astype(np.uint8)
    return cv2.dilate(glints, round_it).astype(np.float32)


def waves(hair: np.ndarray, top: np.ndarray, size: int, curl: float = 1.0, params: TextureParams = TextureParams()
          ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """((R, R, 2) float32 the pixel (x, y) each pixel of wavy hair is copied from, (R, R) float32
    the lightness factor on it, (R, R) float32 in [0, 1] how far its waves swing there, of their
    full swing): waves on ``hair`` (R, R) float32 in [0, 1], whose top in each column is ``top``
    (R,) (rows; any value where a column has none), at ``curl`` times their full swing and light
    (the light at most crest_max times).
    Fixed to the crop: a head that moves carries its waves."""
    phase, normal, grid = _field(size, params)
    hair = np.asarray(hair, np.float32)
    rows = np.arange(size, dtype=np.float32)[:, None]
    # Calm at the roots, and near the hair's edge, where the swing would draw the wall in.
    roots = np.clip((rows - top[None, :].astype(np.float32)) / (params.root_calm * size), 0.0, 1.0)
    calm = max(int(round(max(params.edge_calm, curl * params.swing) * size)), 1)      # (at least as far as it swings)
    inner = cv2.GaussianBlur(cv2.erode(hair, np.ones((2 * calm + 1,) * 2, np.uint8)), (0, 0), calm)
    swung = roots * np.minimum(inner, hair)
    swing = (curl * params.swing * size) * np.sin(phase) * swung
    source = grid + swing[..., None] * normal
    light = 1.0 + (min(curl, params.crest_max) * params.crest_light) * np.cos(phase) * roots * hair
    return source, light.astype(np.float32), swung.astype(np.float32)


@functools.lru_cache(maxsize=4)
def _field(size: int, params: TextureParams) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """((R, R) float32 the waves' phase, (R, R, 2) float32 the unit direction across the strands,
    (R, R, 2) float32 each pixel's own (x, y)) on a crop of ``size`` pixels: bands across the fall
    from (size / 2, -fall_from * size), out of step lock by lock (a fixed random field)."""
    grid_x, grid_y = np.meshgrid(np.arange(size, dtype=np.float32), np.arange(size, dtype=np.float32))
    dx, dy = grid_x - size / 2.0, grid_y + params.fall_from * size
    reach = np.sqrt(dx * dx + dy * dy)
    noise = np.random.default_rng(0).standard_normal((size, size)).astype(np.float32)
    # (smooth across the locks, longer down them: a lock stays in step along its length)
    locks = cv2.GaussianBlur(noise, (0, 0), sigmaX=params.lock_width * size, sigmaY=2.0 * params.lock_width * size)
    locks *= params.lock_phase / max(float(locks.std()), 1e-6)
    phase = 2.0 * np.pi * (reach - params.fall_from * size) / (params.wavelength * size) + locks
    normal = cv2.merge([dy / reach, -dx / reach])
    return phase.astype(np.float32), normal.astype(np.float32), cv2.merge([grid_x, grid_y])
