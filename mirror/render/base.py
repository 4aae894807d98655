"""What every effect is: one drawing job in (``Scene``), one ``EditedFace`` out.

    class Glow(Effect):
        def draw(self, scene: Scene) -> EditedFace: ...

An effect is chosen by the plan's kind from ``mirror.render.renderer.EFFECTS``; it keeps its
parameters (a frozen dataclass) and nothing else: what it remembers between a video's frames is
in ``scene.memory``.
"""
from __future__ import annotations

import abc
import dataclasses
from dataclasses import dataclass

import cv2
import numpy as np

from mirror.face.regions import features_hull
from mirror.render.imaging import blend, kernel_width, per_channel
from mirror.render.memory import Memory, Seen
from mirror.render.plate import BackgroundPlate
from mirror.render.texture_bank import TextureBank
from mirror.types import AlignedFace, EditedFace, EditPlan


# No edit draws on the eyes, nose and mouth (``regions.features``): it fades in from their hull's
# edge over about twice this share of the crop (``spare_features``)
FEATURES_SOFT = 0.015


@dataclass(frozen=True)
class Scene:
    """One frame's drawing job.

    Attributes:
        aligned: the face, segmented, with its detail crop.
        plan: the model's answer for it.
        plate: the video's background plate (None: a photo; the wall is filled in).
        memory: what the renderer remembers of this person (an effect may update it).
        last: what the last frame drew, for an effect to follow (``Memory.next_frame``).
        video: frames of one stream (measures and drawings are smoothed over time).
        textures: real hair's detail, lent to hair too flat to carry its own, or None.
    """

    aligned: AlignedFace
    plan: EditPlan
    plate: BackgroundPlate | None
    memory: Memory
    last: Seen
    video: bool
    textures: TextureBank | None


class Effect(abc.ABC):
    """Draws one kind of edit."""

    @abc.abstractmethod
    def draw(self, scene: Scene) -> EditedFace:
        """The edit of ``scene.plan`` on ``scene.aligned``, in the detail crop's space."""


class Unchanged(Effect):
    """The person as they are (``EditPlan.kind`` "none")."""

    def draw(self, scene: Scene) -> EditedFace:
        return unchanged(scene)


def unchanged(scene: Scene) -> EditedFace:
    """The detail crop as it is: nothing drawn."""
    size = scene.aligned.detail.shape[0]
    zero = np.zeros((size, size), np.float32)
    return EditedFace(scene.aligned.detail, zero, zero, note=scene.plan.note)


def finish(detail: np.ndarray, out: np.ndarray, mask: np.ndarray, replace: np.ndarray, **extra) -> EditedFace:
    """The ``EditedFace`` of ``out`` (R, R, 3) float32 blended into ``detail`` (R, R, 3) float32
    through ``mask`` (R, R), drawn anew (not added onto the frame) through ``replace`` (R, R);
    ``extra``: its other fields."""
    mask = np.clip(mask, 0.0, 1.0).astype(np.float32)
    blended = out - detail          # detail + mask * (out - detail), in place
    blended *= per_channel(mask)
    blended += detail
    blended *= 255.0
    blended += 0.5
    return EditedFace(np.clip(blended, 0, 255, out=blended).astype(np.uint8), mask,
                      np.clip(replace, 0.0, 1.0).astype(np.float32), **extra)


def spare_features(edited: EditedFace, aligned: AlignedFace, soft: float = FEATURES_SOFT) -> EditedFace:
    """``edited`` with the eyes, nose and mouth (their hull, ``regions.features``) as the detail
    crop shows them, fading in over ``soft`` of the crop past them: whatever an effect took for
    hair there (a shadow by the nose as dark as the hair, a fringe's tips between the eyes) is
    left as it was."""
    size = edited.crop.shape[0]
    width = kernel_width(soft, size)
    hull = features_hull(aligned.landmarks, aligned.scale)
    # (drawn in the hull's box only, with room for its fade: the hull, its outline as wide as
    # the fade, and that blurred)
    x, y, w, h = cv2.boundingRect(hull)
    left, top, right, bottom = max(x - width, 0), max(y - width, 0), min(x + w + width, size), min(y + h + width, size)
    if right <= left or bottom <= top:
        return edited
    part = slice(top, bottom), slice(left, right)
    guard = np.zeros((bottom - top, right - left), np.uint8)
    hull = hull - np.int32([left, top])
    cv2.fillConvexPoly(guard, hull, 255)
    cv2.polylines(guard, [hull], True, 255, thickness=width)
    guard = cv2.blur(guard, (width, width))     # (x 255)
    # (the crop is the detail crop's wherever neither weight is: ``EditedFace``)
    if cv2.minMaxLoc(cv2.max(edited.hair_mask[part], edited.replace[part]), guard)[1] <= 0.0:
        return edited
    keep = 1.0 - guard * np.float32(1.0 / 255.0)
    crop = edited.crop.copy()
    crop[part] = blend(edited.crop[part], aligned.detail[part], guard)
    fields = dict(crop=crop, hair_mask=_kept(edited.hair_mask, part, keep), replace=_kept(edited.replace, part, keep))
    if edited.source_weight is not None:
        fields["source_weight"] = _kept(edited.source_weight, part, keep)
    return dataclasses.replace(edited, **fields)


def _kept(weight: np.ndarray, part: tuple[slice, slice], keep: np.ndarray) -> np.ndarray:
    """A copy of (R, R) ``weight`` with its ``part`` times ``keep``."""
    out = weight.copy()
    out[part] *= keep
    return out
