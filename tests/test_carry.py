"""An edit carried over to later frames (``mirror.render.carry``): the hair that has swung out since
goes too, the wall stays above a nodding head."""
from __future__ import annotations

import numpy as np
import pytest

from conftest import clip_frame
from mirror.face import regions
from mirror.render.carry import carry
from mirror.render.lab import to_lab
from mirror.types import Frame


def _d3_carried(pipeline, then: int, now: int):
    """d3.mp4 in bald: frame ``now``'s output from the edit of frame ``then`` carried over to it
    (``mirror.render.carry``, as the live mirror shows it between edits), and from its own edit; and
    each frame pixel's crop row."""
    bald = pipeline.styles.get("bald")
    first, before = pipeline.track(Frame(0, 0, clip_frame("d3.mp4", at=then)))
    edited = pipeline.edit(first, before, bald)
    frame, aligned = pipeline.track(Frame(1, 33, clip_frame("d3.mp4", at=now)))
    carried = pipeline.compose(frame, aligned, carry(edited, before, aligned))
    fresh = pipeline.compose(frame, aligned, pipeline.edit(frame, aligned, bald))
    height, width = frame.image.shape[:2]
    ys, xs = np.mgrid[0:height, 0:width]
    rows = aligned.to_crop[1, 0] * xs + aligned.to_crop[1, 1] * ys + aligned.to_crop[1, 2]
    return to_lab(carried)[..., 0], to_lab(fresh)[..., 0], rows


@pytest.mark.data
@pytest.mark.engines
def test_a_carried_bald_edit_takes_the_hair_that_has_swung_out_since(pipeline):
    """d3.mp4 in bald: the live mirror draws an edit a few times a second and carries it over to
    the frames between, with the head. Her long hair swings as she turns: it showed beside the
    shaved head, out past what the edit of seven frames before drew. A carried removal takes the
    new frame's hair too (``retake``): far less is left darker than the frame's own edit."""
    # (pixels 15 L* darker than the frame's own edit: 11,725 and 12,280 on 4970466, 4,849 and
    # 7,100 now; the rest is the head's outline, drawn as it was seven frames before)
    for then, now, most in ((64, 71, 7000), (192, 199, 9500)):
        carried, fresh, _ = _d3_carried(pipeline, then, now)
        assert int((carried < fresh - 15).sum()) < most, then


@pytest.mark.data
@pytest.mark.engines
def test_a_carried_bald_edit_keeps_the_wall_above_a_nodding_head(pipeline):
    """d3.mp4 in bald, frame 110 carried over to 115: she nods, and the crop, aligned to her face,
    moves 15 frame pixels down while the top of her hair stays put. Carried with the face only,
    the wall drawn over it moved down too, and the top of her old hair showed as a dark arc over
    the bald head. The wall drawn above the crop is carried as it lay in the frame too
    (``lagged._held_above``): above the crop, no darker than the frame's own edit."""
    carried, fresh, rows = _d3_carried(pipeline, 110, 115)
    above = rows < 0
    # (pixels 15 L* darker than the frame's own edit above the crop: 1,372 on 4970466, 0 now)
    assert int((carried[above] < fresh[above] - 15).sum()) < 100


@pytest.mark.data
@pytest.mark.engines
def test_a_carried_bald_edit_leaves_no_light_band_along_the_crops_top_edge(pipeline):
    """d3.mp4 in bald, frames 96 and 104 carried over to six frames on: the compositor draws a
    large face's edit from its lent grid (``LentDetail``), which half draws the crop over its
    fading edge; a carry added the frame's change to the crop but not to the grid, and there the
    wall drawn on the edit's frame showed through over the hair of the frame carried to: in the
    live mirror a lighter band with square ends over the bald head. The grid is redrawn there
    (``mirror.render.carry``): along the crop's top edge, nothing lighter than the frame's own edit."""
    for then in (96, 104):
        carried, fresh, rows = _d3_carried(pipeline, then, then + 6)
        band = (rows > 0) & (rows < regions.edge_margin(128))
        assert band.sum() > 5000
        # (pixels 10 L* lighter than the frame's own edit: 82 and 93 on e6de001, 0 now)
        assert int((carried[band] > fresh[band] + 10).sum()) < 20, then
