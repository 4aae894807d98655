"""Brows under hair that goes are drawn anew, in a transplant as in a removal (``mirror.render.eyebrows``),
on real CelebA photos through the mirror's own tracker, aligner and segmenter."""
from __future__ import annotations

import os

import cv2
import numpy as np
import pytest

from conftest import CELEBA, need
from donor_photos import Heads
from mirror.face.regions import BROW_OUTLINES, outline_mask
from mirror.render.lab import to_lab
from mirror.render.transplant import transplant
from train.prepare import split_of

CURLS = "186277.jpg"    # (test split) a fringe down over both brows
CROP = "185633.jpg"     # (training split) a donor's short crop, clear of the brows


def _path(name: str) -> str:
    return os.path.join(need(os.path.join(CELEBA, "img")), name)


@pytest.fixture(scope="module")
def heads():
    with Heads() as heads:
        yield heads


def test_brows_the_persons_hair_hid_are_drawn_anew_where_it_goes(heads):
    assert split_of(CURLS) == 2 and split_of(CROP) == 0
    aligned = heads.aligned(cv2.imread(_path(CURLS)))
    result = transplant(aligned, heads.donor(_path(CROP), 0))
    assert result.strength == 1.0, result.reason
    lab = to_lab(result.edited.crop)
    size = lab.shape[0]
    landmarks = aligned.landmarks * (size / aligned.crop.shape[0])
    for outline in BROW_OUTLINES:
        brow = outline_mask(landmarks, outline, size) > 0
        above = np.roll(brow, -int(0.06 * size), axis=0) & ~brow
        # (the bared forehead's skin, and a brow below it: not drawn anew, they were 9 and 19 L*
        # darker than the skin above them, what the fringe's soft edge left)
        assert np.median(lab[above][:, 0]) - np.median(lab[brow][:, 0]) > 20.0
