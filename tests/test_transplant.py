"""The transplant (``mirror.render.transplant``): a donor's real hair drawn on a person, on real
CelebA photos through the mirror's own tracker, aligner and segmenter. Donors come from the
training split, persons from the test split (``tests.donor_photos`` stands in for the bank)."""
from __future__ import annotations

import os

import cv2
import numpy as np
import pytest

from conftest import CELEBA, need
from donor_photos import Heads
from mirror.face.align import transform_points
from mirror.face.warp import CONTROL, head_warp
from mirror.render.compositor import Compositor
from mirror.render.transplant import COLORS, hull, transplant
from train.prepare import split_of

# Persons (test split): long hair, a man's short hair; hair over the eyes (a full fringe).
LONG, SHORT, FRINGED = "184489.jpg", "183029.jpg", "185515.jpg"
# Donors (training split): a short crop, a fringe, long hair.
CROP, FRINGE, STRAIGHT = "185633.jpg", "191564.jpg", "186956.jpg"


def _path(name: str) -> str:
    return os.path.join(need(os.path.join(CELEBA, "img")), name)


@pytest.fixture(scope="module")
def heads():
    with Heads() as heads:
        yield heads


@pytest.fixture(scope="module")
def people(heads):
    """{name: (photo, AlignedFace)} of the test-split persons."""
    out = {}
    for name in (LONG, SHORT, FRINGED):
        assert split_of(name) == 2
        image = cv2.imread(_path(name))
        out[name] = image, heads.aligned(image)
        assert out[name][1] is not None
    return out


@pytest.fixture(scope="module")
def donors(heads):
    out = {}
    for index, name in enumerate((CROP, FRINGE, STRAIGHT)):
        assert split_of(name) == 0
        out[name] = heads.donor(_path(name), index)
        assert out[name] is not None
    return out


def test_the_warp_puts_the_donors_landmarks_on_the_persons(people, donors):
    for person in (LONG, SHORT):
        aligned = people[person][1]
        landmarks = aligned.landmarks * aligned.scale
        for donor in donors.values():
            field = head_warp(landmarks, donor.landmarks, aligned.detail.shape[0])
            # The field at each of the person's control landmarks is the donor's same landmark.
            points = landmarks[CONTROL].reshape(-1, 1, 2).astype(np.float32)
            at = np.stack([cv2.remap(field[..., k], points[..., 0], points[..., 1], cv2.INTER_LINEAR)[:, 0]
                           for k in range(2)], -1)
            error = np.linalg.norm(at - donor.landmarks[CONTROL], axis=-1)
            assert error.max() < 1.0, (person, donor.source, float(error.max()))


def _hull_in_frame(aligned, shape) -> np.ndarray:
    """(H, W) bool: the person's eyes-nose-mouth hull in the photo's pixels."""
    frame_points = transform_points(aligned.landmarks, cv2.invertAffineTransform(aligned.to_crop))
    return hull(frame_points, shape) > 0.5


def test_the_eyes_nose_and_mouth_are_never_drawn_on(people, donors):
    for person in (LONG, SHORT):
        photo, aligned = people[person]
        keep = _hull_in_frame(aligned, photo.shape[:2])
        for donor in donors.values():
            result = transplant(aligned, donor)
            assert result.strength > 0.5, (person, donor.source, result.reason)
            out = Compositor().compose(photo, aligned, result.edited)
            changed = np.abs(out.astype(int) - photo.astype(int)).max(axis=-1) > 2
            assert changed.any()     # (it drew something)
            assert not changed[keep].any(), (person, donor.source, int(changed[keep].sum()))


def test_hair_over_the_eyes_fades_the_edit_out_and_says_why(people, donors):
    photo, aligned = people[FRINGED]
    result = transplant(aligned, donors[CROP])
    assert result.strength == 0.0
    assert result.reason == "hair over the eyes"
    assert result.measures["eyes"] > 0.5
    out = Compositor().compose(photo, aligned, result.edited)
    assert np.array_equal(out, photo)


def test_no_donor_draws_nothing(people):
    photo, aligned = people[SHORT]
    result = transplant(aligned, None)
    assert (result.strength, result.reason) == (0.0, "no donor fits")
    assert np.array_equal(Compositor().compose(photo, aligned, result.edited), photo)


def test_the_wall_far_from_both_heads_is_unchanged(people, donors):
    photo, aligned = people[SHORT]
    donor = donors[CROP]
    result = transplant(aligned, donor)
    assert result.strength > 0.5
    out = Compositor().compose(photo, aligned, result.edited)
    # Far from the person (hair and body) and from the donor's warped head: the wall.
    size = aligned.detail.shape[0]
    up = lambda mask: cv2.resize(mask, (size, size), interpolation=cv2.INTER_LINEAR)
    field = head_warp(aligned.landmarks * aligned.scale, donor.landmarks, size)
    donor_head = cv2.remap(donor.person, field, None, cv2.INTER_LINEAR)
    near = (np.maximum.reduce([up(aligned.person), up(aligned.hair), donor_head]) > 0.05).astype(np.uint8)
    far = cv2.distanceTransform(1 - near, cv2.DIST_L2, 3) > 0.08 * size
    far_frame = cv2.warpAffine(far.astype(np.uint8), cv2.invertAffineTransform(aligned.detail_to_crop),
                               photo.shape[1::-1], flags=cv2.INTER_NEAREST) > 0
    assert far_frame.sum() > 1000
    diff = np.abs(out.astype(int) - photo.astype(int)).max(axis=-1)
    assert diff[far_frame].max() <= 2


def test_the_persons_own_colour_is_worn(people, donors):
    from mirror.render.color import own_color
    from mirror.render.lab import to_lab

    _, aligned = people[LONG]
    donor = donors[FRINGE]       # blond on a brunette
    drawn = {color: transplant(aligned, donor, color=color) for color in ("donor", "own")}
    own = own_color(to_lab(aligned.detail), cv2.resize(aligned.hair, aligned.detail.shape[1::-1]))
    where = drawn["donor"].edited.replace > 0.9
    gaps = {color: abs(float(np.median(to_lab(result.edited.crop)[where][:, 0])) - float(own[0][0]))
            for color, result in drawn.items()}
    assert gaps["own"] < 0.5 * gaps["donor"], gaps


def test_colour_choices_are_checked(people, donors):
    aligned = people[SHORT][1]
    assert COLORS == ("donor", "own", "target")
    with pytest.raises(ValueError):
        transplant(aligned, donors[CROP], color="purple")
    with pytest.raises(ValueError):
        transplant(aligned, donors[CROP], color="target")
    target = np.float32([[30.0, 10.0, 15.0], [8.0, 3.0, 4.0]])
    assert transplant(aligned, donors[CROP], color="target", target=target).strength > 0.5
