"""The hair and face masks every effect draws through, at the detail crop's resolution.

    params = MaskParams()
    hair = hair_mask(aligned, detail, params)         # (R, R) the hair, its edge snapped to the strands
    keep_out = editable(landmarks, size, params=params)   # (R, R) where an edit may draw
"""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from mirror.face.regions import edit_limit, face_interior, joined_to, soft_interior
from mirror.render.imaging import kernel_width, nonzero_box
from mirror.render.lab import to_lab
from mirror.types import AlignedFace


@dataclass(frozen=True)
class MaskParams:
    """The masks' shapes (lengths as shares of the crop's side)."""

    feather: float = 0.015           # the protected face interior fades in over this
    # the guided filter's window: the hair mask's edge snaps to strands this close
    guide_radius: float = 0.012
    # guided filter regulariser (intensity^2 in [0, 1] units): edges above ~0.05
    guide_eps: float = 2e-3
    hair_edge: tuple[float, float] = (0.3, 0.7)  # the segmenter's hair probability from "not hair" to "hair"
    soft: float = 0.012              # drawn regions' edges are feathered over this (Gaussian sigma)
    dense: float = 0.02              # dense hair lies this far inside the hair mask's edge
    # Removed hair takes this much of the wall beside it too: its strands' fringe, the segmenter's
    # soft halo off the person, which it calls wall.
    fringe_reach: float = 0.025
    # The segmented hair change of the decodes below change_min counts as noise, above change_full as sure.
    change_min: float = 0.15
    change_full: float = 0.55
    # A head is under a cap where more than cap_share of the ground new hair would cover (where the
    # segmenter sees no hair: the fringe, and the head above it up to its hair or its top) lacks the
    # skin's hue: a segmenter sure a cap is not hair leaves it there, and new hair would be copied
    # over its brim from the hair beside or above it (caps measure 0.84-0.96). Lit or shadowed
    # foreheads keep their hue: 3 of 600 test faces without a hat are over it, under stage light or
    # red hair over the forehead.
    cap_share: float = 0.7
    # ... the skin's hue: a*, b* within this many degrees of the face interior's,
    cap_hue: float = 30.0
    # ... its chroma this share of the face's (a black or white cap has none) ...
    cap_chroma: tuple[float, float] = (0.35, 1.8)
    # ... unless the face's chroma is under this (a black-and-white photo: hue tells nothing)
    cap_grey: float = 5.0


def refine(mask: np.ndarray, guide: np.ndarray, params: MaskParams = MaskParams()) -> np.ndarray:
    """Upsizes a crop-space probability to the guide's size and snaps its edge to the guide's own
    edges (a guided filter), so it follows strands rather than the model crop's pixels.

    Args:
        mask: (S, S) float32 in [0, 1]; guide: (R, R, 3) BGR, float32 in [0, 1] or uint8 (only
            the part filtered is taken to float).
    """
    size = guide.shape[0]
    up = cv2.resize(mask, (size, size), interpolation=cv2.INTER_LINEAR)
    radius = max(1, int(round(params.guide_radius * size)))
    # The filter's output is 0 farther than two windows from where the mask is not 0: it runs
    # on that box only (the same values, for the hair's share of the crop's cost).
    out = np.zeros((size, size), np.float32)
    support = nonzero_box(mask > 0)
    if support is None:
        return out
    (top, bottom), (left, right) = support
    scale = size / mask.shape[0]
    margin = 3 * radius + 4 + int(np.ceil(scale))
    y0, y1 = max(0, int(top * scale) - margin), min(size, int(bottom * scale) + margin)
    x0, x1 = max(0, int(left * scale) - margin), min(size, int(right * scale) + margin)
    # A colour guide: blond hair and skin can share a grey level, not a hue.
    part = guide[y0:y1, x0:x1]
    part = part.astype(np.float32) / 255.0 if part.dtype == np.uint8 else np.ascontiguousarray(part)
    filtered = cv2.ximgproc.guidedFilter(part,
                                         np.ascontiguousarray(up[y0:y1, x0:x1]), radius, params.guide_eps)
    out[y0:y1, x0:x1] = np.clip(filtered, 0.0, 1.0)
    return out


def hair_mask(aligned: AlignedFace, detail: np.ndarray, params: MaskParams = MaskParams()) -> np.ndarray:
    """(R, R) float32: the hair mask at the detail crop's size, on the person only, with a
    sure edge (a soft one would tint the wall beside it) snapped to the strands."""
    sure = np.clip((aligned.hair - params.hair_edge[0]) / (params.hair_edge[1] - params.hair_edge[0]), 0, 1)
    return refine(sure * np.clip(aligned.person * 2.0 - 0.5, 0.0, 1.0), detail, params)


def sure_hair(aligned: AlignedFace, size: int, sure: tuple[float, float], inset: float = 0.0) -> np.ndarray:
    """(R, R) float32 in [0, 1]: where the segmenter is sure of hair (its probability from
    ``sure[0]``, wholly from ``sure[1]``), ``inset`` of the crop inside that (0: not inset)."""
    out = np.clip((aligned.hair - sure[0]) * (1.0 / (sure[1] - sure[0])), 0.0, 1.0).astype(np.float32)
    if inset > 0.0:
        width = kernel_width(inset, aligned.hair.shape[0])
        out = cv2.erode(out, np.ones((width, width), np.uint8))
    return cv2.resize(out, (size, size), interpolation=cv2.INTER_LINEAR)


def editable(landmarks: np.ndarray, size: int, inset: float = 0.0, below_chin: bool = False,
             params: MaskParams = MaskParams()) -> np.ndarray:
    """(R, R) float32: where an edit may apply: outside the protected face interior (faded
    in; ``inset`` of the crop into it), above the chin unless ``below_chin``."""
    interior = soft_interior(landmarks, size, params.feather * size, inset * size)
    return (1.0 - interior) * edit_limit(landmarks, size, below_chin)


def dense_hair(hair: np.ndarray, params: MaskParams = MaskParams()) -> np.ndarray:
    """(R, R) bool: the hair more than ``dense`` of the crop inside the hair mask's edge."""
    inset = kernel_width(params.dense, hair.shape[0])
    return cv2.erode((hair > 0.6).astype(np.uint8), np.ones((inset, inset), np.uint8)) > 0


def hanging(hair: np.ndarray, keep_out: np.ndarray) -> np.ndarray:
    """(H, W) float32: the hair of ``hair`` (H, W) in [0, 1] that lies where ``keep_out`` (H, W)
    keeps the picture but is joined to hair outside it: strands that fall over the face, not an
    eyebrow or a dark shadow on it, which stand alone."""
    return hair * joined_to(hair > 0.5, keep_out > 0.5)


def on_person(aligned: AlignedFace, size: int) -> np.ndarray:
    """(R, R) bool: where the person's mask, at the detail crop's size ``size``, is over 0.5."""
    return cv2.resize(aligned.person, (size, size), interpolation=cv2.INTER_LINEAR) > 0.5


def off_person(person: np.ndarray, hair: np.ndarray, size: int, params: MaskParams = MaskParams()) -> np.ndarray:
    """(size, size) float32 in [0, 1]: where a crop shows the wall, off the ``person`` and the
    ``hair`` (resized to ``size``) and not within fringe_reach of them: that is the strands'
    fringe, which the removal redraws (filled from, it drew a dark outline of the old hair)."""
    person, hair = (cv2.resize(m, (size, size), interpolation=cv2.INTER_LINEAR) for m in (person, hair))
    fringe = kernel_width(params.fringe_reach, size)
    return cv2.erode(np.clip(1.0 - 2.0 * np.maximum(person, hair), 0.0, 1.0), np.ones((fringe, fringe), np.uint8))


def not_skin_hued(image: np.ndarray, landmarks: np.ndarray, ground: np.ndarray, params: MaskParams = MaskParams()) -> float:
    """The share of ``ground`` (R, R) bool on the (R, R, 3) uint8 BGR ``image`` that has not the
    hue of the face's skin (its interior's median a*, b*: within cap_hue, at cap_chroma of its
    chroma; lightness left out, so a lit or shadowed forehead keeps it): a cap, a hat. 0 where
    there is no ground, or the skin has no hue to tell (cap_grey: a black-and-white photo)."""
    box = nonzero_box(ground)
    if box is None:
        return 0.0
    part = slice(*box[0]), slice(*box[1])
    interior = face_interior(landmarks, image.shape[0])
    lab = to_lab(image)
    skin = np.median(lab[interior][::4, 1:], axis=0) if interior.any() else None
    chroma = float(np.linalg.norm(skin)) if skin is not None else 0.0
    if chroma < params.cap_grey:
        return 0.0
    ab = lab[part][ground[part]][:, 1:]
    own = np.linalg.norm(ab, axis=1)
    hued = ((ab @ skin >= np.cos(np.radians(params.cap_hue)) * own * chroma)
            & (own >= params.cap_chroma[0] * chroma) & (own <= params.cap_chroma[1] * chroma))
    return 1.0 - float(hued.mean())
