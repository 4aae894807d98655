"""The hair-loss preview: a graded scale from fuller hair through today to less hair.

Two scales, as hair is lost two ways: ``receding`` (a man's: the hairline recedes, most at the
temples, the top thins, to bald) and ``parting`` (a woman's, Ludwig's: the front line of hair
holds while the hair along the parting thins, widening, then thins all over the top). A picture
of what each stage could look like on this face, not a medical prediction.
"""
from __future__ import annotations

import numpy as np

from mirror.edit.shapes import THIN
from mirror.edit.styles import Style, StyleLibrary

# (stage, label, {style: weight of its default strength}). The weights were chosen so that the
# attribute classifier's Bald + Receding_Hairline score rises with every stage on the first
# FIT_FACES of CelebA's whole-head photos (sorted 18*.jpg); tests/test_mirror.py checks that order
# on 30 other faces, from the test split.
FIT_FACES = 30
STAGES = [
    (-1, "fuller hair (regrowth)", {"regrowth": 1.0}),
    (0, "today", {}),
    (1, "slightly receding", {"receding": 0.35}),
    (2, "receding", {"receding": 0.7}),
    (3, "deeply receding", {"receding": 1.0}),
    (4, "thin on top", {"receding": 1.15, "thinning": 1.0}),
    (5, "balding", {"receding": 0.6, "bald": 0.6}),
]
# A woman's thinning (Ludwig's scale: I a wider parting, II thin along it, III thin all over the top).
PARTING_STAGES = [
    (-1, "fuller hair (regrowth)", {"regrowth": 1.0}),
    (0, "today", {}),
    (1, "a wider parting", {"parting": 0.7}),
    (2, "thin along the parting", {"parting": 1.0}),
    (3, "thin all over the top", {"parting": 1.4, "thinning": 0.3}),
]
RECEDING, PARTING = "receding", "parting"
SCALES = {RECEDING: STAGES, PARTING: PARTING_STAGES}
SCALE_NAMES = {RECEDING: "a man's hair loss", PARTING: "a woman's hair loss"}    # (for the HUD)
FIRST, LAST = STAGES[0][0], STAGES[-1][0]
NAME = "hairloss"


def other(scale: str) -> str:
    """The other of the two scales."""
    return PARTING if scale == RECEDING else RECEDING


def bounds(scale: str = RECEDING) -> tuple[int, int]:
    """(first, last) stage of ``scale``."""
    stages = SCALES[scale]
    return stages[0][0], stages[-1][0]


def scale_direction(styles: StyleLibrary, stage: int, scale: str = RECEDING) -> tuple[np.ndarray, str]:
    """The latent direction (already scaled: use strength 1) and the label of ``stage`` of ``scale``."""
    if scale not in SCALES:
        raise ValueError(f"hair-loss scale must be one of {', '.join(SCALES)}, got {scale!r}")
    first, last = bounds(scale)
    if not first <= stage <= last:
        raise ValueError(f"hair-loss stage must be in [{first}, {last}], got {stage}")
    _, label, weights = SCALES[scale][stage - first]
    direction = np.zeros(styles.latent_dim, np.float32)
    for name, weight in weights.items():
        if name in THIN:       # drawn by the renderer alone: no latent direction
            continue
        style = styles.get(name)
        direction += weight * style.strength * style.direction
    return direction, label


def scale_style(styles: StyleLibrary, stage: int, scale: str = RECEDING) -> Style:
    """The ``hairloss`` style at ``stage`` of ``scale`` (strength 1: the direction carries the
    amount)."""
    direction, label = scale_direction(styles, stage, scale)
    weights = SCALES[scale][stage - bounds(scale)[0]][2]
    return Style(NAME, direction, 1.0, f"hair-loss scale ({scale}): {label}", "shape", mix=dict(weights))
