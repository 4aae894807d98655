"""Reshape: new hair where a shape style grows it, scalp or wall where it takes it away
(``EditPlan.kind`` "add", "remove" and "shape").

    edited = Reshape().draw(scene)

The plan's hair change (the shapes' regions, ``mirror.edit.shapes``) says where: hair taken away
(``mirror.render.remove``) is drawn first, then new hair (``mirror.render.grow``) over it. The
face below the brows' arc is never drawn on; an edit fades into it over ``MaskParams.feather`` of
the crop, and fades out below the mouth and at the crop's border (``regions.edit_limit``).
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import cv2
import numpy as np

from mirror.face.regions import chin_fade
from mirror.render.base import Effect, Scene, finish
from mirror.render.beyond import BeyondParams, all_drawn, hand_over, removed_beyond
from mirror.render.color import ColorParams, Measured
from mirror.render.grow import GrowParams, grow_hair
from mirror.render.masks import MaskParams, editable, hair_mask
from mirror.render.matte import MatteParams
from mirror.render.remove import RemoveParams, bare, close_dips, removal_of, take_hair
from mirror.render.scalp import ScalpParams
from mirror.types import EditedFace, SkinGrain


@dataclass(frozen=True)
class ReshapeParams:
    """The parameters of what a reshape draws: new hair, bare scalp, the wall, past the crop."""

    masks: MaskParams = field(default_factory=MaskParams)
    color: ColorParams = field(default_factory=ColorParams)
    matte: MatteParams = field(default_factory=MatteParams)
    beyond: BeyondParams = field(default_factory=BeyondParams)
    grow: GrowParams = field(default_factory=GrowParams)
    remove: RemoveParams = field(default_factory=RemoveParams)
    scalp: ScalpParams = field(default_factory=ScalpParams)


class Reshape(Effect):
    """Hair grown and taken away as the plan's hair probability changes (``EditPlan.hair_change``)."""

    def __init__(self, params: ReshapeParams = ReshapeParams()):
        self.params = params

    def draw(self, scene: Scene) -> EditedFace:
        params, aligned, plan, memory = self.params, scene.aligned, scene.plan, scene.memory
        detail = aligned.detail.astype(np.float32) / 255.0
        landmarks = aligned.landmarks * aligned.scale
        size = detail.shape[0]
        zero = np.zeros((size, size), np.float32)
        hair = hair_mask(aligned, detail, params.masks)
        # (Hair taken away may go below the chin, where the hair mask tells it from the neck; new
        # hair stops above it.)
        free = editable(landmarks, size, below_chin=True, params=params.masks)
        keep_out = free * chin_fade(landmarks, size)[:, None]
        change = cv2.resize(plan.hair_change, (size, size), interpolation=cv2.INTER_LINEAR)
        low, full = params.masks.change_min, params.masks.change_full
        grow = np.clip((change - low) / (full - low), 0, 1) if plan.kind != "remove" else zero
        loss = np.clip((-change - low) / (full - low), 0, 1) if plan.kind != "add" else zero
        measured = Measured(aligned, params.color)
        taken = take_hair(aligned, plan, hair, loss, keep_out, free, measured, params.remove, params.masks,
                          params.color, params.matte, params.scalp)
        loss, keep_out, free = taken.loss, taken.keep_out, taken.free
        grow = cv2.GaussianBlur(grow, (0, 0), params.masks.soft * size * 0.5)
        out = detail
        bared = None
        if loss.max() > 0:
            bared = bare(aligned, plan, scene.plate, out, hair, taken, measured, memory if scene.video else None,
                         params.remove, params.masks, params.scalp)
            out, loss = bared.out, bared.loss
        grown = grow_hair(aligned, grow, hair, out, loss, memory, scene.last, scene.video, params.grow, params.masks,
                          params.scalp, params.color)
        out, loss, grow = grown.out, grown.loss, grown.grow
        # (the weight it is drawn with dipped too, where the protected face's edge meets the hair
        # hung over it)
        drawn = np.maximum(grow * keep_out, close_dips(loss * free, taken.thinned, params.remove))
        # (New hair's thinned ends are blended in twice, here and in ``grow_hair``: their
        # see-through is squared, as thin as real hair's ends.)
        edited = finish(detail, out, drawn, drawn)
        source_weight = None if grown.source is None else grow * keep_out
        # A bald scalp takes the forehead's fine grain, which a large face holds beyond the crop.
        grain = None
        if bared is not None and bared.forehead is not None and bared.bare.max() > 0:
            grain = SkinGrain(bared.bare * (1.0 - grow) * keep_out, bared.forehead)
        taken_away = None       # (what a later frame's hair is taken away with)
        if bared is not None and plan.reach is not None:
            taken_away = removal_of(aligned, plan, bared.fill, free, params.masks)
        reach = (removed_beyond(aligned, loss * free, None if bared is None else bared.fill, params.beyond, params.color,
                                params.masks) if loss.max() > 0 else None)
        crop, replace = edited.crop, edited.replace
        if reach is not None:
            crop, replace, limit = hand_over(crop, replace, None if taken_away is None else taken_away.limit,
                                             aligned.detail, reach)
            if taken_away is not None:
                taken_away = dataclasses.replace(taken_away, limit=limit)
            reach = dataclasses.replace(reach, drawn=all_drawn(crop, replace, reach))
        return dataclasses.replace(edited, crop=crop, replace=replace, beyond=reach, source=grown.source,
                                   source_weight=source_weight, grain=grain, removal=taken_away)
