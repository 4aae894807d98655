"""What the mirror shows, as the user's keys and the clock change it: the style, its strength, the
``random`` rotation, the hair-loss scale and stage, and the kiosk's idle mode.

    state = StyleState(pipeline, "bangs", 1.0, random_seconds=4.0, idle_seconds=30.0)
    state.tick(frame.timestamp_ms)   # each frame: rotates when due, goes idle when no key came
    state.apply("next")              # a key action from the display: control returns to the user

A photo dropped on the window (the display's ``reference:PATH`` action) shows its hair on the
face in the mirror; a file that is no photo of a face raises MirrorError and changes nothing.

Idle mode (``--kiosk``): after ``idle_seconds`` without a key press the mirror shows a new random
style every ``random_seconds``, and says so in the HUD; the next key press ends it (and does what
that key does), and the rotation is back to what the user had before.
"""
from __future__ import annotations

import dataclasses
import os
import random

from mirror.edit import hairloss
from mirror.io.display import REFERENCE
from mirror.io.source import IMAGE_EXTENSIONS
from mirror.edit.styles import ORIGINAL

STRENGTH_STEP = 0.25   # what Up / Down add to or take from the strength
MAX_STRENGTH = 3.0     # times the style's default strength; the CLI's --strength range is 0 to 3
IDLE_HUD = "idle: random styles - press any key"


class StyleState:
    """The style shown, the user's strength, the ``random`` rotation and the idle mode.

    Args:
        pipeline: an open ``mirror.run.app.Pipeline`` (its style library; a reference photo is encoded
            with it).
        style: a style name, ``random``, ``hairloss`` or the path of a reference photo.
        strength: times the style's default strength, 0 to ``MAX_STRENGTH``.
        random_seconds: seconds between styles while rotating.
        idle_seconds: go idle (random styles) after this long without a key; None: never.
        seed: the random rotation's seed.
    """

    def __init__(self, pipeline, style: str, strength: float, random_seconds: float,
                 seed: int | None = None, idle_seconds: float | None = None):
        if idle_seconds is not None and idle_seconds <= 0:
            raise ValueError(f"idle_seconds must be positive, got {idle_seconds}")
        self._pipeline = pipeline
        self.styles = pipeline.styles
        self.rng = random.Random(seed)
        self.rotate = style == "random"
        self.random_seconds = random_seconds
        self.idle_seconds = idle_seconds
        self.idle = False
        self.stage = 0  # the hair-loss scale's stage, when that is the style shown ...
        self.scale = hairloss.RECEDING      # ... and which scale (a man's or a woman's way of losing hair)
        if style == hairloss.NAME:
            self.style = hairloss.scale_style(self.styles, self.stage, self.scale)
        elif os.path.splitext(style)[1].lower() in IMAGE_EXTENSIONS:
            self.style = self._reference(style)
        else:
            self.style = self.styles.random(self.rng) if self.rotate else self.styles.get(style)
        self.strength = strength
        self._changed_ms = None     # when the rotation last changed the style
        self._key_ms = None         # when the user last pressed a key (or the first frame came)
        self._now_ms = None         # the newest frame's timestamp
        self._rotate_before_idle = self.rotate

    @property
    def hud_lines(self) -> list[str]:
        """Extra HUD lines: idle mode, and the hair-loss stage when it is shown."""
        lines = [IDLE_HUD] if self.idle else []
        if self.style.name == hairloss.NAME:
            label = hairloss.scale_direction(self.styles, self.stage, self.scale)[1]
            lines += [f"{hairloss.SCALE_NAMES[self.scale]}, stage {self.stage:+d}: {label}",
                      f"[ / ]: along the scale, L: {hairloss.SCALE_NAMES[hairloss.other(self.scale)]}"]
        return lines

    def tick(self, timestamp_ms: int) -> None:
        """Advances the clock to a frame's timestamp: goes idle after ``idle_seconds`` without a
        key, and moves to a new random style every ``random_seconds`` while rotating."""
        if self._now_ms is None or timestamp_ms < self._now_ms:  # the first frame, or a new stream
            self._changed_ms = self._key_ms = timestamp_ms
        self._now_ms = timestamp_ms
        if (self.idle_seconds is not None and not self.idle
                and timestamp_ms - self._key_ms >= self.idle_seconds * 1000):
            self.idle = True
            self._rotate_before_idle = self.rotate
            self.rotate = True
            self._new_random_style(timestamp_ms)
        if self.rotate and timestamp_ms - self._changed_ms >= self.random_seconds * 1000:
            self._new_random_style(timestamp_ms)

    def _new_random_style(self, timestamp_ms: int) -> None:
        self.style = self.styles.random(self.rng, exclude=self.style.name)
        self._changed_ms = timestamp_ms

    def _reference(self, path: str):
        """The style of the hair in the photo at ``path``, added to the library (MirrorError for a
        file that is not a readable photo of a face)."""
        style = self._pipeline.reference_style(path)
        self.styles.add(style)
        return style

    def apply(self, action: str) -> None:
        """Applies a key action from the display (``mirror.io.display.Display.events``); any key,
        ``wake`` included, ends idle mode and restarts its clock.

        Raises:
            MirrorError: a dropped file (``reference:PATH``) is not a readable photo of a face;
                the style shown stays.
        """
        if self._now_ms is not None:
            self._key_ms = self._now_ms
        if self.idle:
            self.idle = False
            self.rotate = self._rotate_before_idle
        if action in ("next", "prev"):
            self.rotate = False
            self.style = self.styles.step(self.style.name, 1 if action == "next" else -1)
        elif action == "random":
            self.style = self.styles.random(self.rng, exclude=self.style.name)
        elif action == "original":
            self.rotate = False
            self.style = self.styles.get(ORIGINAL)
        elif action in ("scale_up", "scale_down", "scale_kind"):
            self.rotate = False
            if action == "scale_kind":
                self.scale = hairloss.other(self.scale)
            elif self.style.name == hairloss.NAME:
                self.stage += 1 if action == "scale_up" else -1
            first, last = hairloss.bounds(self.scale)
            self.stage = min(max(self.stage, first), last)
            self.style = hairloss.scale_style(self.styles, self.stage, self.scale)
        elif action == "another" and self.style.kind == "transplant":   # (a reference photo's: its stand-in)
            self.rotate = False
            self.style = dataclasses.replace(self.style, choice=self.style.choice + 1)
        elif action == "stronger":
            self.strength = round(min(self.strength + STRENGTH_STEP, MAX_STRENGTH), 2)
        elif action == "weaker":
            self.strength = round(max(self.strength - STRENGTH_STEP, 0.0), 2)
        elif action.startswith(REFERENCE):
            self.style = self._reference(action[len(REFERENCE):])
            self.rotate = False
