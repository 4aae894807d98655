"""The headless demo's picture: a before/after grid of the packaged photos.

    grid, faces = demo_picture(pipeline, demo_images(), demo_styles(pipeline, state))
"""
from __future__ import annotations

import cv2
import numpy as np

from mirror.edit import hairloss
from mirror.edit.styles import ORIGINAL, Style
from mirror.types import Frame

SHOWCASE = ("bangs", "blond", "bald", "regrowth", "black", "wavy")  # the columns for --style random
TILE_HEIGHT = 256   # pixels: each photo's row in the grid


def demo_picture(pipeline, images: list[tuple[str, np.ndarray]], styles: list[tuple[str, Style]],
                 strength: float = 1.0, height: int = TILE_HEIGHT) -> tuple[np.ndarray, int]:
    """A before/after grid: one row per photo, the original then one column per (label, style).

    Args:
        pipeline: an open ``mirror.run.app.Pipeline`` in static mode.
        images: [(name, (H, W, 3) uint8 BGR)].
        styles: [(column label, style)].

    Returns:
        (grid, faces): the (H, W, 3) uint8 BGR grid and how many photos had a face.
    """
    rows = []
    faces = 0
    for name, image in images:
        tiles = []
        for label, style in [("before", pipeline.styles.get(ORIGINAL)), *styles]:
            result = pipeline.process(Frame(0, 0, image), style, strength)
            faces += result.face and label == "before"
            tiles.append(labelled_tile(result.output, label, height))
        rows.append(np.hstack(tiles))
    return stack_rows(rows), faces


def labelled_tile(image: np.ndarray, label: str, height: int) -> np.ndarray:
    """``image`` (H, W, 3) uint8 resized to ``height`` px tall, ``label`` written at its top left."""
    tile = cv2.resize(image, (int(image.shape[1] * height / image.shape[0]), height), interpolation=cv2.INTER_AREA)
    for color, thickness in (((0, 0, 0), 3), ((255, 255, 255), 1)):
        cv2.putText(tile, label, (8, 24), cv2.FONT_HERSHEY_SIMPLEX, 0.7, color, thickness, cv2.LINE_AA)
    return tile


def stack_rows(rows: list[np.ndarray]) -> np.ndarray:
    """Stacks image rows of different widths, padding the narrower ones with black on the right."""
    width = max(r.shape[1] for r in rows)
    return np.vstack([np.pad(r, ((0, 0), (0, width - r.shape[1]), (0, 0))) for r in rows])


def demo_styles(pipeline, state) -> list[tuple[str, Style]]:
    """The demo picture's columns for a ``mirror.run.style_state.StyleState``: a showcase (random),
    the hair-loss scale, or the one style."""
    if state.style.name == hairloss.NAME:
        return [(label.split(" (")[0], hairloss.scale_style(pipeline.styles, stage, state.scale))
                for stage, label, _ in hairloss.SCALES[state.scale] if stage != 0]
    if state.rotate or state.style.name == ORIGINAL:
        return [(name, pipeline.styles.get(name)) for name in SHOWCASE if name in pipeline.styles.names]
    return [(state.style.name, state.style)]
