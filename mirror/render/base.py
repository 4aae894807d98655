"""What every effect is: one drawing job in (``Scene``), one ``EditedFace`` out.

    class Glow(Effect):
        def draw(self, scene: Scene) -> EditedFace: ...

An effect is chosen by the plan's kind from ``mirror.render.renderer.EFFECTS``; it keeps its
parameters (a frozen dataclass) and nothing else: what it remembers between a video's frames is
in ``scene.memory``.
"""
from __future__ import annotations

import abc
from dataclasses import dataclass

import numpy as np

from mirror.render.imaging import per_channel
from mirror.render.memory import Memory, Seen
from mirror.render.plate import BackgroundPlate
from mirror.render.texture_bank import TextureBank
from mirror.types import AlignedFace, EditedFace, EditPlan


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
