"""The hair renderer: draws the model's plan with the person's own pixels, in the detail crop, by
the effect its kind names (``EFFECTS``).

    renderer = HairRenderer(video=True, textures=bank)
    edited = renderer.render(aligned, plan, plate, frame)   # EditedFace at the detail crop's size

A new effect is one module with an ``Effect`` subclass (``mirror.render.base``) and one line in
``EFFECTS``. An effect's parameters are a frozen dataclass beside it; a renderer with other values
is ``HairRenderer(effects={"color": Recolor(dataclasses.replace(RecolorParams(), darker=5.0))})``.
"""
from __future__ import annotations

import dataclasses
from typing import Callable, Mapping

import numpy as np

from mirror.render.base import Effect, Scene, Unchanged, spare_features
from mirror.render.lab import to_lab
from mirror.render.lend import LendParams, lent_detail
from mirror.render.memory import Memory
from mirror.render.plate import BackgroundPlate
from mirror.render.recolor import Recolor
from mirror.render.reshape import Reshape
from mirror.render.texture import Texture
from mirror.render.texture_bank import TextureBank
from mirror.render.transplant import Transplant
from mirror.types import AlignedFace, EditedFace, EditPlan

# The effect that draws each kind of plan (``EditPlan.kind``), made with its default parameters.
EFFECTS: dict[str, Callable[[], Effect]] = {
    "none": Unchanged,
    "color": Recolor,
    "texture": Texture,
    "add": Reshape,
    "remove": Reshape,
    "shape": Reshape,
    "transplant": Transplant,
}


class HairRenderer:
    """Renders ``EditPlan``s onto aligned faces; remembers the person in video (``Memory``).

    Args:
        video: frames of one stream (measures and drawings are smoothed over time).
        textures: real hair's detail, lent to hair too flat to carry its own when recoloured
            (``mirror.render.texture_bank``; None: none lent).
        effects: effects to use instead of ``EFFECTS``' defaults, by kind (other parameters).
        lend: how the frame's own fine detail is lent to what is drawn anew (``mirror.render.lend``).
    """

    def __init__(self, video: bool = False, textures: TextureBank | None = None,
                 effects: Mapping[str, Effect] | None = None, lend: LendParams = LendParams()):
        self.video = video
        self.textures = textures
        self.effects = {kind: make() for kind, make in EFFECTS.items()} | dict(effects or {})
        self.lend = lend
        self.memory = Memory()
        # (OpenCV builds its CIELAB tables on first use, 145 ms: here, not on a style's first frame)
        to_lab(np.zeros((1, 1, 3), np.uint8))

    def reset(self) -> None:
        """Forgets the person (the face was lost)."""
        self.memory.reset()

    def composed(self, aligned: AlignedFace) -> None:
        """The frame of ``aligned`` (as rendered) is composed: the work it held back for the next
        frames starts (``Memory.held``)."""
        held = self.memory.held
        if held is not None and held[0] is aligned:
            held[1].set()

    def render(self, aligned: AlignedFace, plan: EditPlan, plate: BackgroundPlate | None = None,
               frame: np.ndarray | None = None) -> EditedFace:
        """Draws ``plan`` on ``aligned`` (segmented, with its detail crop).

        Args:
            plate: the video's background plate (None: a photo; the wall is filled in).
            frame: (H, W, 3) uint8, the frame ``aligned`` was cut from, whose fine detail a large
                face lends to what is drawn anew (``EditedFace.lent``); None: none lent.

        Raises:
            ValueError: the face lacks its detail crop or its masks, or the plan's kind is unknown.
        """
        if aligned.detail is None or aligned.hair is None or aligned.person is None:
            raise ValueError("the face needs its detail crop and its hair and person masks")
        if plan.kind not in self.effects:
            raise ValueError(f"no effect draws a plan of kind {plan.kind!r}; kinds: {', '.join(self.effects)}")
        last = self.memory.next_frame(plan.kind)
        scene = Scene(aligned, plan, plate, self.memory, last, self.video, self.textures)
        edited = spare_features(self.effects[plan.kind].draw(scene), aligned)
        if frame is None:
            return edited
        lent = lent_detail(frame, edited, aligned.detail_to_crop, self.lend, hair=aligned.hair)
        return dataclasses.replace(edited, lent=lent)
