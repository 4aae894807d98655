"""Texture: wavy hair is the person's own hair swung in waves, calm at the roots and round an
earring, and nothing but the hair changes."""
from __future__ import annotations

import cv2
import numpy as np
import pytest

from conftest import clip_frame
from render_support import frame_mask
from mirror.face.regions import face_interior
from mirror.render.imaging import column_span
from mirror.render.lab import to_lab
from mirror.render.texture import TextureParams, waves
from mirror.types import Frame


def test_waves_swing_the_hair_across_its_fall_calm_at_the_roots_and_draw_no_wall_in():
    """``mirror.render.texture.waves`` on long hair hanging beside a face (a synthetic mask): the strands swing
    side to side by up to SWING of the crop, not at all at the roots, and no pixel of the hair is
    copied from off the hair (its edge would draw the wall in)."""
    size = 256
    hair = np.zeros((size, size), np.float32)
    hair[40:250, 20:90] = hair[40:250, 166:236] = hair[40:90, 20:236] = 1.0
    hair = cv2.GaussianBlur(hair, (0, 0), 1.5)
    top = column_span(hair > 0.5)[0]
    source, light, swung = waves(hair, top, size)
    grid = np.stack(np.meshgrid(np.arange(size), np.arange(size)), axis=-1).astype(np.float32)
    shift = source - grid
    full = TextureParams().swing * size
    assert np.abs(shift[..., 0]).max() > 0.8 * full and np.abs(shift).max() <= full + 1e-3
    assert np.abs(shift[..., 0]).sum() > 4 * np.abs(shift[..., 1]).sum()     # across the fall
    roots = np.s_[40:43, 20:236]
    assert np.abs(shift[roots]).max() < 0.05 * full and np.abs(light[roots] - 1).max() < 0.01
    inside = hair > 0.99
    taken = cv2.remap(hair, source, None, cv2.INTER_LINEAR)
    assert taken[inside].min() > 0.5, "wavy hair copied from off the hair"
    assert np.abs(shift[hair < 0.01]).max() < 0.02 * full and swung[hair < 0.01].max() < 0.01   # off the hair
    # ... nor at three times the strength, the mirror's most (its edge kept still as far as it swings)
    source, light, _ = waves(hair, top, size, 3.0)
    assert cv2.remap(hair, source, None, cv2.INTER_LINEAR)[inside].min() > 0.5
    assert np.abs(light - 1).max() <= TextureParams().crest_max * TextureParams().crest_light + 1e-5


@pytest.mark.data
@pytest.mark.engines
def test_wavy_hair_is_the_persons_own_in_waves_and_nothing_but_the_hair_changes(pipeline):
    """d3 frame 60 (long hair beside her face) made wavy: her hair is her own pixels swung in
    waves and lit on their crests (down a column of her hair the change of lightness turns from
    lighter to darker and back, wave by wave), drawn anew there with the frame's own detail lent;
    nothing off the hair changes, nor her face below the brows, and her hoop earrings keep still
    (swung, one was bent into an S). (Before, wavy only changed the hair's lightness contrast by
    the decode's gain: no curl at all.)"""
    image = clip_frame("d3.mp4", 60)
    frame, aligned = pipeline.track(Frame(60, 0, image))
    style = pipeline.styles.get("wavy")
    assert style.curl > 0
    edited = pipeline.edit(frame, aligned, style)
    output = pipeline.compose(frame, aligned, edited)
    assert edited.source is not None and edited.lent is not None and edited.replace.max() > 0.7
    changed = np.abs(output.astype(int) - image.astype(int)).max(axis=2) > 0
    hair = frame_mask(edited.hair_mask, aligned, image.shape)
    assert changed.sum() > 5000 and not (changed & ~hair).any()
    size = edited.crop.shape[0]
    interior = frame_mask(face_interior(aligned.landmarks * aligned.scale, size), aligned, image.shape, grow=0) & ~hair
    assert np.abs(output.astype(int) - image.astype(int))[interior].mean() <= 2.0
    # Waves down her hair, column by column where it is drawn anew.
    change = to_lab(edited.crop)[..., 0] - to_lab(aligned.detail)[..., 0]
    turns = []
    for column in range(size):
        inside = edited.replace[:, column] > 0.3
        if inside.sum() > 0.2 * size:
            signs = np.sign(cv2.GaussianBlur(change[inside, column].reshape(-1, 1), (1, 0), 2.0).ravel())
            turns.append(int((np.diff(signs[signs != 0]) != 0).sum()))
    assert len(turns) >= 10 and np.median(turns) >= 3, turns
    # The hoops: metal far lighter than her dark hair, inside it.
    grid = np.stack(np.meshgrid(np.arange(size), np.arange(size)), axis=-1).astype(np.float32)
    hoops = (to_lab(aligned.detail)[..., 0] > 60) & (edited.hair_mask > 0.9)
    assert hoops.sum() > 20
    moved = np.abs(edited.source - grid).max(axis=2)[hoops]      # (2.5 px at most, 0.7 in the median, swung)
    assert moved.max() < 0.25 * TextureParams().swing * size and np.median(moved) < 0.05 * TextureParams().swing * size
