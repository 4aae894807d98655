"""What shows where a transplant takes the person's hair away (``mirror.render.donor_ground``): the
wall, and the brows that hair hid drawn anew (``mirror.render.eyebrows``), on real CelebA photos
through the mirror's own tracker, aligner and segmenter."""
from __future__ import annotations

import os

import cv2
import numpy as np

from conftest import ENGINES, celeba_photo
from mirror.face.regions import BROW_OUTLINES, CHIN, outline_mask
from mirror.render import transplant as transplanting
from mirror.render.lab import to_lab
from train.prepare import split_of

WHITE_WALL = "182728.jpg"   # (test split) dark curly hair against a white wall
FRINGED = "186277.jpg"      # (test split) a fringe down over both brows
CROP = "185633.jpg"         # (training split) a donor's short crop, clear of the brows
BOB = "188941.jpg"          # (training split) a donor's bob, its ears bare
EARS_SHOW = "182719.jpg"    # (test split) short dark hair, the ears in sight
BALD = "190777.jpg"         # (training split) a donor's bald head
EARS_HIDDEN = "186670.jpg"  # (test split) short hair over both ears, a pale wall


def test_the_wall_where_hair_went_has_the_walls_light_not_the_hairs_edge(heads, monkeypatch):
    from mirror.edit.donors import BANK_FILE, DonorBank

    assert split_of(WHITE_WALL) == 2
    bank = DonorBank.load(os.path.join(ENGINES, BANK_FILE))
    donor = bank.donor(int(np.flatnonzero(bank.look_of == bank.look_names.index("bald"))[0]))
    drawn = {}
    hair_color = transplanting._hair_color

    def noted(person, layers, *args, **kwargs):     # (the donor's layers warped onto the person)
        drawn["layers"] = layers
        return hair_color(person, layers, *args, **kwargs)

    monkeypatch.setattr(transplanting, "_hair_color", noted)
    aligned = heads.aligned(cv2.imread(celeba_photo(WHITE_WALL)))
    result = transplanting.transplant(aligned, donor)
    assert result.strength == 1.0, result.reason
    size = result.edited.crop.shape[0]
    hair, person = (cv2.resize(mask, (size, size)) for mask in (aligned.hair, aligned.person))
    layers = drawn["layers"]
    # (where the hair was and the wall is drawn: not the donor's dome or hair)
    wall = (hair > 0.5) & (layers.matte < 0.05) & (layers.scalp < 0.05) & (result.edited.replace > 0.9)
    light = to_lab(result.edited.crop)[..., 0][wall]
    seen = np.median(to_lab(aligned.detail)[..., 0][(person < 0.1) & (hair < 0.05)])
    # (continued from the hair's soft edge, the wall took its grey: its median 4.4 L* darker than
    # the wall seen, its darkest fiftieth 70.6 L*, an outline of the hair that went)
    assert seen - np.median(light) < 3.5 and np.percentile(light, 2) > 72.0


def test_brows_the_persons_hair_hid_are_drawn_anew_where_it_goes(heads):
    import dataclasses

    assert split_of(FRINGED) == 2 and split_of(CROP) == 0
    aligned = heads.aligned(cv2.imread(celeba_photo(FRINGED)))
    # (drawn however much of the temples it bares: the fringe hangs over them, and a whole head
    # of hair baring them is not drawn, ``FitParams.temples``; the fringe alone taken off, no_bangs,
    # bares the brows alike)
    params = transplanting.TransplantParams()
    params = dataclasses.replace(params, fit=dataclasses.replace(params.fit, temples=(1.5, 2.0)))
    result = transplanting.transplant(aligned, heads.donor(celeba_photo(CROP), 0), params=params)
    assert result.strength == 1.0, result.reason
    assert result.measures["temples"] > transplanting.FitParams().temples[1]
    lab = to_lab(result.edited.crop)
    size = lab.shape[0]
    landmarks = aligned.landmarks * (size / aligned.crop.shape[0])
    for outline in BROW_OUTLINES:
        brow = outline_mask(landmarks, outline, size) > 0
        above = np.roll(brow, -int(0.06 * size), axis=0) & ~brow
        # (the bared forehead's skin, and a brow below it: not drawn anew, they were 9 and 19 L*
        # darker than the skin above them, what the fringe's soft edge left)
        assert np.median(lab[above][:, 0]) - np.median(lab[brow][:, 0]) > 20.0


def test_a_pyramid_blend_takes_a_dark_edge_off_a_light_wall_without_a_ring():
    """Dark hair taken off a light wall through a soft weight: the wall just past the hair's old
    outline is no lighter than the wall, nor the wall just inside it darker (each level's weight
    grown past the edge it takes away; with the weight as it is, the bands' outer lobe drew a ring
    0.057 lighter there, and the blur below a band 0.054 darker inside it: 0.012 and 0 with it)."""
    from mirror.render.donor_ground import pyramid_blend

    size = 128
    rows, cols = np.mgrid[:size, :size]
    disc = ((rows - 64) ** 2 + (cols - 64) ** 2 < 36 ** 2).astype(np.float32)
    wall = np.full((size, size, 3), 0.85, np.float32)
    photo = wall - 0.75 * disc[..., None]
    weight = cv2.GaussianBlur(cv2.dilate(disc, np.ones((7, 7), np.uint8)), (0, 0), 2.0)
    out = pyramid_blend(photo, wall, weight, 4, wall=np.ones((size, size), np.float32))
    distance = np.hypot(rows - 64, cols - 64)
    past = (distance > 36) & (distance < 48)
    assert out[past].max() < 0.85 + 0.02
    assert np.abs(out[distance < 36] - 0.85).max() < 0.01


def test_a_bald_domes_outline_on_the_wall_is_as_sharp_as_the_photo(heads):
    """A bald donor's dome on a white wall: from the wall to the scalp within 4 detail pixels
    (10 % to 90 % of the step, at the crown), as sharp as the photo's own outlines (softened
    over 3 times more, it rose over 7 and read as an egg pasted on)."""
    from mirror.edit.donors import BANK_FILE, DonorBank
    from mirror.face.regions import skull_axes

    bank = DonorBank.load(os.path.join(ENGINES, BANK_FILE))
    donor = bank.donor(int(np.flatnonzero(bank.look_of == bank.look_names.index("bald"))[0]))
    aligned = heads.aligned(cv2.imread(celeba_photo(WHITE_WALL)))
    result = transplanting.transplant(aligned, donor)
    assert result.strength == 1.0, result.reason
    light = to_lab(result.edited.crop)[..., 0]
    size = light.shape[0]
    centre = int(round(skull_axes(aligned.landmarks * (size / aligned.crop.shape[0]))[0]))
    column = light[:, centre - 2:centre + 3].mean(axis=1)
    start = int(np.argmax(column > 85.0))                 # (the white wall, below the photo's top edge)
    wall = float(np.median(column[start:start + 10]))
    middle = start + int(np.argmax(column[start:] < wall - 8.0))     # (the first row well off it)
    scalp = float(np.median(column[middle + 6:middle + 16]))
    assert wall - scalp > 10.0
    step = (wall - column[middle - 12:middle + 12]) / (wall - scalp)
    rows = np.arange(middle - 12, middle + 12)
    assert rows[np.argmax(step > 0.9)] - rows[np.argmax(step > 0.1)] <= 4


def test_the_heads_sides_beside_the_face_reach_the_ears_foot_and_not_the_wall_or_clothes(heads):
    """Hair taken from beside the face shows the head's skin from the brows down to the ears'
    foot, within the skull's width; not below that foot, beyond the ears, on the wall or on the
    clothes."""
    from mirror.face.regions import skull_axes
    from mirror.render.donor_ground import GroundParams, head_sides
    from mirror.render.donor_layers import Person

    aligned = heads.aligned(cv2.imread(celeba_photo(WHITE_WALL)))
    landmarks = aligned.landmarks * aligned.scale
    person = Person.of(aligned, landmarks)
    size = person.detail.shape[0]
    clothes = np.zeros((size, size), np.float32)
    clothes[int(0.9 * size):] = 1.0
    sides = head_sides(person, clothes, GroundParams())
    centre, ears, half, _ = skull_axes(landmarks)
    chin = float(landmarks[CHIN, 1])
    foot = int(ears + GroundParams().side_foot * (chin - ears))
    beside = sides[int(ears) - 5:int(ears) + 5]
    assert beside[:, int(centre - 0.8 * half)].min() > 0.9 and beside[:, int(centre + 0.8 * half)].min() > 0.9
    assert sides[foot + 10:].max() < 0.05                                  # not below the ears' foot
    # (rounded off towards that foot, as a head is: a box there stood beside the cheek as a block)
    low = sides[int(ears + 0.9 * (foot - ears))]
    assert low[int(centre - 0.8 * half)] < 0.5 and low[int(centre + 0.8 * half)] < 0.5
    assert sides[:, :max(int(centre - 1.0 * half) - 5, 0)].max() < 0.05    # nor beyond the ears
    assert sides[cv2.resize(aligned.person, (size, size)) < 0.1].max() < 0.05   # nor on the wall


def test_the_skin_continued_on_the_faces_rim_reaches_the_jaws_outline_below_the_ears(heads):
    """Hair taken off the face's rim shows the person's skin: at the ears and temples it stops
    short of the mesh's outline (which reaches over them there), but below the ears' foot that
    outline is the jaw's own, and the skin reaches it (stopped short there too, the wall showed
    along the cheek, between it and the donor's hair, as a pale strip)."""
    from mirror.face.regions import FACE_OVAL, skull_axes
    from mirror.render.donor_ground import GroundParams, rim_face

    aligned = heads.aligned(cv2.imread(celeba_photo(WHITE_WALL)))
    landmarks = aligned.landmarks * aligned.scale
    size = aligned.detail.shape[0]
    params = GroundParams()
    rim = rim_face(landmarks, size, params)
    _, ears, _, _ = skull_axes(landmarks)
    chin = float(landmarks[CHIN, 1])
    foot = ears + params.side_foot * (chin - ears)
    outline = landmarks[FACE_OVAL, :2]
    middle = outline.mean(axis=0)
    # (each outline point a hundredth of the crop in, towards the face's middle)
    inward = outline + 0.01 * size * (middle - outline) / np.linalg.norm(middle - outline, axis=1, keepdims=True)
    values = rim[inward[:, 1].round().astype(int), inward[:, 0].round().astype(int)]
    jaw = (outline[:, 1] > foot + 0.02 * size) & (outline[:, 1] < chin - 0.1 * size)
    temples = (outline[:, 1] > ears - 0.1 * size) & (outline[:, 1] < ears)
    assert jaw.sum() >= 4 and temples.sum() >= 2
    assert values[jaw].min() > 0.5, values[jaw]
    assert values[temples].max() < 0.5, values[temples]


def test_a_scalp_drawn_in_shade_is_no_more_saturated_than_the_lit_skin(heads):
    """A donor's scalp and forehead drawn on the person take its light and shade: where that
    darkens the person's skin, the colour dims with it. With the lightness alone darkened, the
    shaded forehead under a long-haired donor's hairline kept its skin's full colour and more: an
    orange-brown band (chroma 43.6 against the lit skin's 34.0)."""
    from conftest import clip_frame
    from mirror.edit.donors import BANK_FILE, DonorBank
    from mirror.render.donor_ground import GroundParams, scalp
    from mirror.render.donor_layers import Drawn, Person

    bank = DonorBank.load(os.path.join(ENGINES, BANK_FILE))
    donor = bank.donor(bank.sources.index("185065.jpg"))     # (training split) long dark braids
    aligned = heads.aligned(clip_frame("d3.mp4", 60))
    person = Person.of(aligned, aligned.landmarks * aligned.scale)
    drawn = Drawn.of(person, donor)
    out = to_lab(scalp(person, drawn, GroundParams()))
    skin = person.lab[person.skin]
    lit, colour = float(np.median(skin[:, 0])), float(np.median(np.hypot(skin[:, 1], skin[:, 2])))
    shaded = (drawn.scalp > 0.5) & (out[..., 0] < 0.93 * lit)
    assert shaded.sum() > 50
    assert np.percentile(np.hypot(out[..., 1], out[..., 2])[shaded], 90) < colour + 2.0


def test_ears_hidden_under_hair_that_goes_show_skin_not_the_wall(heads):
    """Where the person's hair hid their ears and the donor's hair leaves its ear bare, the donor's
    ear shows in the person's skin, not the wall (a pale crescent beside the cheek)."""
    from mirror.edit.donors import BANK_FILE, DonorBank
    from mirror.face.regions import ear_zones
    from mirror.render.donor_layers import Drawn, Person, ears_hidden

    bank = DonorBank.load(os.path.join(ENGINES, BANK_FILE))
    row = list(bank.sources).index(BOB)     # (mirrored, as the chooser draws it for him)
    assert split_of(bank.sources[row]) == 0
    aligned = heads.aligned(cv2.imread(celeba_photo(WHITE_WALL)))
    landmarks = aligned.landmarks * aligned.scale
    person = Person.of(aligned, landmarks)
    hidden = ears_hidden(person)
    drawn = Drawn.of(person, bank.donor(row, True))
    result = transplanting.transplant(aligned, bank.donor(row, True))
    assert result.strength == 1.0, result.reason
    lab, before = to_lab(result.edited.crop), person.lab
    # Beside the cheek at the ear's height on the side where his curls hide it, where his hair
    # went and no donor hair lies.
    size = lab.shape[0]
    zones = ear_zones(landmarks, size, 0.12, 0.15)
    near = max(zones, key=lambda zone: float(hidden[zone].mean()))
    assert hidden[near].min() > 0.8
    bared = near & (person.hair > 0.5) & (drawn.matte < 0.05)
    assert bared.sum() > 100
    skin = np.median(before[person.skin], axis=0)
    wall = np.median(before[(cv2.resize(aligned.person, (size, size)) < 0.1) & (person.hair < 0.05)], axis=0)
    hair = np.median(before[person.hair > 0.8], axis=0)
    to_skin, to_wall, to_hair = (np.linalg.norm(lab[bared] - c, axis=1) for c in (skin, wall, hair))
    # The donor's ear in the person's skin, or the person's own hair kept between it and the
    # donor's (drawn as the wall, 72 % of them lay nearer the wall's colour than the skin's; with
    # the ear drawn and the rest of the gap taken away, 4 %).
    assert (to_wall < np.minimum(to_skin, to_hair)).mean() < 0.02
    assert (to_skin < to_wall)[result.edited.replace[bared] > 0.9].mean() > 0.9
    # Ears in sight are the person's own: none of the donor's drawn over them.
    person.hair[:] = 0.0
    assert ears_hidden(person).max() == 0.0


def test_a_hidden_ear_is_drawn_as_the_donors_ear_not_its_wall(heads):
    """Below the ears' row beside the face, where a bald donor's ear is drawn over the person's
    hidden ear, it is drawn only where the donor's own pixel is its skin: its ear's outline, not
    its coarse person mask's (a block of flat skin beside the cheek)."""
    from mirror.edit.donors import BANK_FILE, DonorBank
    from mirror.face.regions import brow_line, face_oval, skull_axes
    from mirror.render.donor_layers import Drawn, LayerParams, Person, ears_hidden

    assert split_of(EARS_HIDDEN) == 2 and split_of(BALD) == 0
    bank = DonorBank.load(os.path.join(ENGINES, BANK_FILE))
    donor = bank.donor(list(bank.sources).index(BALD))
    aligned = heads.aligned(cv2.imread(celeba_photo(EARS_HIDDEN)))
    landmarks = aligned.landmarks * aligned.scale
    person = Person.of(aligned, landmarks)
    assert ears_hidden(person).min() > 0.5
    drawn = Drawn.of(person, donor)
    size = person.detail.shape[0]
    _, ears, _, _ = skull_axes(landmarks)
    brows = float(np.mean(brow_line(landmarks, size)))
    rows = np.arange(size)[:, None]
    ear = (drawn.scalp > 0.5) & ~face_oval(landmarks, size) & (rows > ears) & (rows < ears + 0.6 * (ears - brows))
    assert ear.sum() > 20
    params = LayerParams()
    far = np.linalg.norm((to_lab(drawn.skin) - donor.skin_color) * np.float32([0.5, 1.0, 1.0]), axis=-1)
    # (as a block, 23 % of them were the donor's wall)
    assert (far[ear] > 1.5 * params.ear_skin).mean() < 0.05


def test_ears_in_sight_stay_the_persons_own(heads):
    """Hair taken away beside ears in sight takes its soft edge, not the ears (drawn over, they
    were pale)."""
    from mirror.edit.donors import BANK_FILE, DonorBank
    from mirror.face.regions import ear_zones, face_oval
    from mirror.render.donor_layers import Person
    from mirror.render.matte import skinlike

    assert split_of(EARS_SHOW) == 2
    bank = DonorBank.load(os.path.join(ENGINES, BANK_FILE))
    donor = bank.donor(list(bank.sources).index(BALD))    # (the chooser's first for him)
    assert split_of(BALD) == 0
    aligned = heads.aligned(cv2.imread(celeba_photo(EARS_SHOW)))
    result = transplanting.transplant(aligned, donor)
    assert result.strength == 1.0, result.reason
    person = Person.of(aligned, aligned.landmarks * aligned.scale)
    size = person.detail.shape[0]
    left, right = ear_zones(person.landmarks, size, *transplanting.TransplantParams().ears)
    tone = np.median(person.lab[person.skin], axis=0)
    ears = (left | right) & ~face_oval(person.landmarks, size) & (skinlike(person.lab, tone) > 0.9) \
        & (person.hair > 0.2) & (person.hair < 0.8)
    assert ears.sum() > 50             # (his ears' rims, which the segmenter's soft hair edge reaches)
    changed = np.abs(result.edited.crop.astype(np.int16) - person.detail.astype(np.int16)).max(axis=2)[ears]
    # (taken with the hair's edge and blended with the wall, every one of them changed, by 68 grey
    # levels at the median)
    assert (changed > 8).mean() < 0.25 and np.median(changed) < 5
