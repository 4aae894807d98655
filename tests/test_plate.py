"""The wall: holes filled from the wall beside them, the background plate learnt in video, and the
wall drawn where hair goes never the person's own pixels."""
from __future__ import annotations

import cv2
import numpy as np
import pytest

from conftest import ENGINES, clip_frame
from mirror.face.regions import face_interior, face_oval
from mirror.render import HairRenderer
from mirror.render.lab import to_lab
from mirror.render.masks import off_person
from mirror.render.plate import BackgroundPlate, fill_holes, LEARN_EVERY
from mirror.render.remove import wall_behind
from mirror.render.scalp import scalp_outline
from mirror.run.app import Pipeline
from mirror.types import Frame


def test_fill_holes_takes_the_wall_around():
    wall = np.zeros((64, 64, 3), np.float32)
    wall[:, :32] = (0.2, 0.4, 0.6)
    wall[:, 32:] = (0.6, 0.4, 0.2)
    known = np.ones((64, 64), np.float32)
    known[20:44, 4:28] = 0
    filled = fill_holes(wall * known[..., None], known)
    assert np.abs(filled[24:40, 8:24] - (0.2, 0.4, 0.6)).mean() < 0.03
    assert np.array_equal(filled[known > 0], wall[known > 0])


def test_fill_holes_continues_the_wall_beside_not_a_dark_corner():
    """A light wall left and right of a hole (a head's hair), a dark stripe along the top of the
    picture: the hole is filled with the wall beside it, not a grey average of the whole wall."""
    image = np.full((64, 64, 3), 0.9, np.float32)
    image[:4] = 0.1
    known = np.ones((64, 64), np.float32)
    known[10:54, 16:48] = 0                            # the hole
    image[known == 0] = 0.0
    filled = fill_holes(image, known)
    assert np.abs(filled[18:50, 20:44] - 0.9).max() < 0.03


def test_fill_holes_carries_the_walls_texture():
    """A textured wall (fine noise on grey) with a hole: the fill next to the wall is as grainy as
    the wall, not a smooth patch that glows against it, and keeps the wall's light."""
    rng = np.random.default_rng(3)
    image = np.clip(0.5 + 0.04 * rng.standard_normal((96, 96, 1)), 0, 1).repeat(3, axis=2).astype(np.float32)
    known = np.ones((96, 96), np.float32)
    known[20:76, 30:66] = 0
    filled = fill_holes(image * known[..., None], known)
    fine = lambda a: float(np.std(a - cv2.GaussianBlur(a, (0, 0), 2.0)))
    hole, wall = filled[24:72, 31:37], image[24:72, 4:26]      # a fold (6 px) inside the hole
    assert fine(hole) > 0.6 * fine(wall)
    assert abs(float(hole.mean()) - 0.5) < 0.02


def test_background_plate_learns_the_wall_the_person_uncovers():
    """A person (a disc) walks across a fixed wall, a few frames at each place (the plate learns
    from one frame in LEARN_EVERY): the plate knows the wall where they stood."""
    rng = np.random.default_rng(1)
    wall = cv2.GaussianBlur(rng.uniform(0, 255, (240, 320, 3)).astype(np.uint8), (0, 0), 3)
    plate = BackgroundPlate()
    size = 64
    for x in (80, 120, 160, 200, 240):
        frame = wall.copy()
        cv2.circle(frame, (x, 120), 40, (20, 200, 20), -1)
        to_crop = np.float64([[size / 200, 0, -(x - 100) * size / 200], [0, size / 200, -20 * size / 200]])
        person = cv2.warpAffine((np.all(frame == (20, 200, 20), axis=2)).astype(np.float32), to_crop, (size, size))
        for _ in range(LEARN_EVERY):
            plate.update(frame, to_crop, person)
    # Where the person stood first (x = 80) the wall has been seen since.
    to_crop = np.float64([[size / 200, 0, 0], [0, size / 200, -20 * size / 200]])
    image, known = plate.crop(to_crop, size)
    truth = cv2.warpAffine(wall, to_crop, (size, size)).astype(np.float32) / 255
    centre = np.zeros((size, size), bool)
    centre[size // 2 - 6:size // 2 + 6, 24 - 6:24 + 6] = True   # frame (80, 120)
    assert known[centre].min() > 0.99
    assert np.abs(image[centre] - truth[centre]).mean() < 0.03


@pytest.mark.data
@pytest.mark.engines
def test_the_mirrors_plate_never_learns_hair_as_wall():
    """d3.mp4: her long hair's outer strands lie beyond the person's mask, where the plate learnt
    them as wall: filled in from it after bald took her hair, they drew a dark line along the
    old hair's outline (frame 220). The plate learns only off the person and the hair. (The
    segmenter's person mask now covers her hair but for a few dozen pixels: here it is trimmed off
    the hair at its soft edge, a person mask missing them as the old one did.)"""
    with Pipeline(ENGINES, "onnxruntime", transplanted=()) as mirror:
        style = mirror.styles.get("bald")
        for i in range(2 * LEARN_EVERY):
            frame, aligned = mirror.track(Frame(i, i * 33, clip_frame("d3.mp4", at=i)))
            outer = (aligned.hair > 0.2) & (aligned.person < 0.5)
            aligned.person = np.where(outer, 0.0, aligned.person).astype(np.float32)
            mirror.edit(frame, aligned, style)
        size = aligned.hair.shape[0]
        _, known = mirror.plate.crop(aligned.to_crop, size)
    strands = aligned.hair > 0.2                         # (thin strands at the hair's edge too)
    assert (aligned.person[strands] < 0.2).sum() > 100     # ... which the person's mask misses
    assert known[strands].max() < 0.5                    # (17 pixels known from the person alone; 62 with the old segmenter)


@pytest.mark.data
@pytest.mark.engines
def test_the_wall_drawn_behind_removed_hair_takes_no_pixel_of_the_person():
    """d12 in bald, frame 30: along the soft edge of what the plate knows, the wall drawn where
    his curls were mixed in the crop's own pixels there, his hair: a thin dark arc on the wall
    round the dome. The wall is now the plate and the wall seen now, each where it is trusted:
    painting the person white leaves it as it was (with the old code, 6,736 of its pixels moved
    by more than 8 grey levels)."""
    with Pipeline(ENGINES, "onnxruntime", transplanted=()) as mirror:
        style = mirror.styles.get("bald")
        for i in range(31):
            frame, aligned = mirror.track(Frame(i, i * 40, clip_frame("d12.mp4", at=i)))
            mirror.edit(frame, aligned, style)
        size = aligned.detail.shape[0]
        hair = cv2.resize(aligned.hair, (size, size), interpolation=cv2.INTER_LINEAR)
        detail = aligned.detail.astype(np.float32) / 255.0
        person = off_person(aligned.person, aligned.hair, size) == 0.0
        painted = detail.copy()
        painted[person] = (1.0, 1.0, 1.0)
        walls = [wall_behind(image, aligned, hair, mirror.plate) for image in (detail, painted)]
        _, known = mirror.plate.crop(aligned.detail_to_crop, size)
    edge = (known > 0.05) & (known < 0.95) & person      # (the plate's soft edge, over his hair)
    assert edge.sum() > 200
    moved = np.abs(walls[1] - walls[0]).max(axis=-1) * 255.0
    assert (moved > 8.0).sum() == 0, (moved > 8.0).sum()


@pytest.mark.engines
def test_removed_hair_outside_the_skull_shows_the_plate(pipeline, faces):
    """Bald on the astronaut with a plate that saw a green wall: beside her head, where her hair
    was, the picture turns to that wall; inside the skull, skin-coloured scalp."""
    name, image, aligned = faces[1]
    wall = np.zeros_like(image)
    wall[...] = (40, 180, 40)
    plate = BackgroundPlate()
    plate.update(wall, aligned.to_crop, np.zeros_like(aligned.person))
    style = pipeline.styles.get("bald")
    plan = pipeline.editor.edit(aligned, style, 1.0)
    edited = HairRenderer().render(aligned, plan, plate)
    size = edited.crop.shape[0]
    landmarks = aligned.landmarks * aligned.scale
    hair = cv2.resize(aligned.hair, (size, size)) > 0.8
    outline = scalp_outline(landmarks, aligned.person, size)
    outside = hair & (outline < 0.05) & (edited.replace > 0.95)
    inside = hair & (outline > 0.95) & (edited.replace > 0.95) & ~face_oval(landmarks, size)
    assert outside.sum() > 100 and inside.sum() > 100
    green = edited.crop[outside].astype(int)
    assert np.abs(green - (40, 180, 40)).mean() < 25
    scalp = to_lab(edited.crop[inside][None].astype(np.float32) / 255)[0].mean(0)
    skin = to_lab(aligned.detail[cv2.resize(face_interior(aligned.landmarks, 128).astype(np.uint8),
                                            (size, size)) > 0][None].astype(np.float32) / 255)[0].mean(0)
    assert abs(scalp[1] - skin[1]) < 8 and abs(scalp[2] - skin[2]) < 8    # the person's own skin hue


def test_background_plate_is_the_walls_colour_at_the_edge_of_what_it_knows():
    """A plate that has seen a grey wall on its left half only, read through a crop that falls
    between its pixels: beside the unknown half (interpolated with it), the plate is the wall's
    grey, not darker (it mixed in the unknown's black: a dark line where hair was removed)."""
    frame = np.full((120, 160, 3), 200, np.uint8)
    size = 64
    to_crop = np.float64([[size / 120, 0, 0], [0, size / 120, 0]])
    person = np.zeros((size, size), np.float32)
    person[:, size // 2:] = 1.0
    plate = BackgroundPlate()
    plate.update(frame, to_crop, person)
    shifted = to_crop.copy()
    shifted[:, 2] += 0.37           # between the plate's pixels
    image, known = plate.crop(shifted, size)
    edge = (known > 0.05) & (known < 0.95)
    assert edge.any()
    assert np.abs(image[edge] - 200 / 255).max() < 0.01
