"""The hair-loss preview: a graded scale from fuller hair through today to receding to bald.

A picture of what each stage could look like on this face, not a medical prediction.
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
FIRST, LAST = STAGES[0][0], STAGES[-1][0]
NAME = "hairloss"


def scale_direction(styles: StyleLibrary, stage: int) -> tuple[np.ndarray, str]:
    """The latent direction (already scaled: use strength 1) and the label of ``stage``."""
    if not FIRST <= stage <= LAST:
        raise ValueError(f"hair-loss stage must be in [{FIRST}, {LAST}], got {stage}")
    _, label, weights = STAGES[stage - FIRST]
    direction = np.zeros(styles.latent_dim, np.float32)
    for name, weight in weights.items():
        if name in THIN:       # drawn by the renderer alone: no latent direction
            continue
        style = styles.get(name)
        direction += weight * style.strength * style.direction
    return direction, label


def scale_style(styles: StyleLibrary, stage: int) -> Style:
    """The ``hairloss`` style at ``stage`` (strength 1: the direction carries the amount)."""
    direction, label = scale_direction(styles, stage)
    weights = STAGES[stage - FIRST][2]
    return Style(NAME, direction, 1.0, f"hair-loss scale: {label}", "shape", mix=dict(weights))
