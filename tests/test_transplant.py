"""The transplant (``mirror.render.transplant``): a donor's real hair drawn on a person, on real
CelebA photos through the mirror's own tracker, aligner and segmenter. Donors come from the
training split, persons from the test split (``tests.donor_photos`` stands in for the bank)."""
from __future__ import annotations

import dataclasses
import os

import cv2
import numpy as np
import pytest

from conftest import ENGINES, celeba_photo
from render_support import hull_in_frame
from mirror.face.warp import CONTROL, head_warp
from mirror.render.compositor import Compositor
from mirror.render import transplant as transplanting
from mirror.render.transplant import COLORS, FitParams, TransplantParams
from train.prepare import split_of

# Persons (test split): long hair, a man's short hair; hair over the eyes (a full fringe); long
# reddish-brown hair with golden lights; long dark hair on a dark wall.
LONG, SHORT, FRINGED, AUBURN, DARK_WALL = "184489.jpg", "183029.jpg", "185515.jpg", "182898.jpg", "183555.jpg"
# Donors (training split): a short crop, a fringe, long hair.
CROP, FRINGE, STRAIGHT = "185633.jpg", "191564.jpg", "186956.jpg"


# Long hair taken away drawn all the same: most tests here look at what is drawn, on long-haired
# people (by default it is not: ``test_long_hair_taken_away_fades_the_edit_out_and_says_why``).
DRAWN = dataclasses.replace(TransplantParams(), fit=dataclasses.replace(FitParams(), long=(1.0, 2.0)))


def transplant(*args, **kwargs):
    """``mirror.render.transplant.transplant`` with ``DRAWN`` parameters unless given others."""
    kwargs.setdefault("params", DRAWN)
    return transplanting.transplant(*args, **kwargs)


@pytest.fixture(scope="module")
def people(heads):
    """{name: (photo, AlignedFace)} of the test-split persons."""
    out = {}
    for name in (LONG, SHORT, FRINGED, AUBURN, DARK_WALL):
        assert split_of(name) == 2
        image = cv2.imread(celeba_photo(name))
        out[name] = image, heads.aligned(image)
        assert out[name][1] is not None
    return out


@pytest.fixture(scope="module")
def bank():
    from mirror.edit.donors import BANK_FILE, DonorBank

    return DonorBank.load(os.path.join(ENGINES, BANK_FILE))


def _bank_donor(bank, source: str):
    """The bank's donor made from the training photo ``source``."""
    assert split_of(source) == 0
    return bank.donor(bank.sources.index(source))


@pytest.fixture(scope="module")
def donors(heads):
    out = {}
    for index, name in enumerate((CROP, FRINGE, STRAIGHT)):
        assert split_of(name) == 0
        out[name] = heads.donor(celeba_photo(name), index)
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


def test_the_eyes_nose_and_mouth_are_never_drawn_on(people, donors):
    for person in (LONG, SHORT):
        photo, aligned = people[person]
        keep = hull_in_frame(aligned, photo.shape[:2])
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


@pytest.mark.engines
def test_long_hair_taken_away_fades_the_edit_out_and_says_why(people, bank):
    """Long hair a bald dome would take away below the mouth leaves the neck, the shoulders and
    the wall behind it to be guessed that widely (pillars of skin, smears of wall): the edit is
    not drawn, and says why; a short-haired man's is."""
    bald = _bank_donor(bank, "182802.jpg")
    for name in (LONG, DARK_WALL):
        photo, aligned = people[name]
        result = transplant(aligned, bald, params=TransplantParams())
        assert (result.strength, result.reason) == (0.0, "hair too long to take away"), (name, result.measures)
        assert np.array_equal(Compositor().compose(photo, aligned, result.edited), photo)
    result = transplant(people[SHORT][1], bald, params=TransplantParams())
    assert result.strength == 1.0 and result.measures["long"] < 0.005, result.measures
    assert result.measures["temples"] < FitParams().temples[0], result.measures


@pytest.mark.engines
def test_hair_over_the_temples_fades_a_look_out_and_says_why(pipeline):
    """Curls over the temples (test split) under a bob: bared, the temples were filled with the
    donor's pale scalp, a mask round the face. The look is not drawn, and the HUD says why."""
    from mirror.types import Frame

    curls = "182721.jpg"
    assert split_of(curls) == 2
    image = cv2.imread(celeba_photo(curls))
    result = pipeline.process(Frame(0, 0, image), pipeline.styles.get("bob"), 1.0)
    assert result.note == "hair over the temples", result.note
    assert np.array_equal(result.output, image)


def test_longer_hair_goes_on_from_the_ends_of_a_donors_that_reaches_the_mouth(people, donors):
    """A donor's hair down to the mouth on a person's longer hair is drawn, and below the mouth
    the person's own hair goes on from its ends (taken away, the neck and the wall behind were
    guessed); a short crop on the same hair is not drawn."""
    from mirror.face.regions import MOUTH
    from mirror.render.donor_layers import Drawn, Person

    _, aligned = people[LONG]
    short = transplant(aligned, donors[CROP], params=TransplantParams())
    assert (short.strength, short.reason) == (0.0, "hair too long to take away")
    result = transplant(aligned, donors[FRINGE], params=TransplantParams())
    assert result.strength == 1.0, result.reason
    size = aligned.detail.shape[0]
    landmarks = aligned.landmarks * aligned.scale
    matte = Drawn.of(Person.of(aligned, landmarks), donors[FRINGE]).matte
    rows = np.arange(size)[:, None]
    own = (cv2.resize(aligned.hair, (size, size)) > 0.8) & (matte < 0.05) & (rows > landmarks[MOUTH, 1] + 0.08 * size)
    assert own.sum() > 500
    assert result.edited.replace[own].max() < 0.05, float(result.edited.replace[own].max())


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


def test_a_person_with_no_hair_of_their_own_leaves_the_donor_its_colour(heads, donors):
    """A bald head's lit rim, which the segmenter takes for a little hair, is no colour to paint
    a donor's hair in (it drew skin-pale, see-through hair)."""
    image = cv2.imread(celeba_photo("183146.jpg"))             # a bald man (test split)
    aligned = heads.aligned(image)
    assert aligned is not None and (aligned.hair > 0.8).mean() < 0.03
    donor = donors[STRAIGHT]
    own, theirs = (transplant(aligned, donor, color=color).edited for color in ("own", "donor"))
    np.testing.assert_array_equal(own.crop, theirs.crop)


@pytest.mark.engines
def test_the_persons_own_colour_has_no_colours_their_hair_lacks(people, bank):
    """In the person's own colour, a donor's streaked hair takes only colours the person's hair
    has: no patch lighter, redder or yellower than their hair's lightest, reddest or yellowest,
    none greener or bluer (a mean-and-spread move stretched a streaked fringe to orange)."""
    from mirror.render.lab import to_lab
    from mirror.render.donor_layers import Drawn, Person

    _, aligned = people[AUBURN]
    donor = _bank_donor(bank, "186206.jpg")
    result = transplant(aligned, donor, color="own")
    assert result.strength > 0.5
    size = aligned.detail.shape[0]
    hair = cv2.erode((cv2.resize(aligned.hair, (size, size)) > 0.8).astype(np.uint8), np.ones((7, 7), np.uint8)) > 0
    theirs = to_lab(aligned.detail)[hair]
    matte = Drawn.of(Person.of(aligned, aligned.landmarks * aligned.scale), donor).matte
    drawn = to_lab(result.edited.crop)[(result.edited.replace > 0.95) & (matte > 0.95)]
    assert len(drawn) > 2000
    # Each of L*, a*, b* within the person's hair's own range (1st to 99th percentile, and 5 more).
    low, high = np.percentile(theirs, 1, axis=0) - 5, np.percentile(theirs, 99, axis=0) + 5
    outside = ((drawn < low) | (drawn > high)).mean(axis=0)
    assert outside.max() < 0.01, outside


def test_a_wall_the_segmenter_takes_for_hair_gives_the_donor_none_of_its_colour(people, donors):
    """A bright green wall the segmenter takes for the top of a dark head (a tenth of the sure
    hair, all of it lighter than the hair) is no colour of the person's hair: a fringe drawn in
    their own colour has no strand greener than their real hair (its lighter strands were
    painted the wall's green)."""
    from mirror.render.lab import to_lab
    from mirror.render.donor_layers import Drawn, Person

    _, aligned = people[DARK_WALL]
    size = aligned.detail.shape[0]
    hair = cv2.resize(aligned.hair, (size, size))
    sure = hair > 0.8
    top = np.nonzero(sure.any(axis=1))[0][0]
    wall = sure & (np.arange(size)[:, None] < top + 0.08 * size)
    assert 0.05 < wall.sum() / sure.sum() < 0.25
    detail = aligned.detail.copy()
    detail[wall] = (90, 160, 60)                      # BGR: a green screen
    walled = dataclasses.replace(aligned, detail=detail)
    theirs = to_lab(aligned.detail)[cv2.erode(sure.astype(np.uint8), np.ones((7, 7), np.uint8)) > 0]
    result = transplant(walled, donors[FRINGE], color="own")
    assert result.strength > 0.5
    matte = Drawn.of(Person.of(walled, walled.landmarks * walled.scale), donors[FRINGE]).matte
    drawn = to_lab(result.edited.crop)[(result.edited.replace > 0.9) & (matte > 0.9) & ~wall]
    assert len(drawn) > 1000
    greener = drawn[:, 1] < np.percentile(theirs[:, 1], 1) - 5
    assert greener.mean() < 0.01, float(greener.mean())


@pytest.mark.engines
@pytest.mark.parametrize("source", ["182802.jpg", "185180.jpg"])
def test_a_bald_donors_dome_keeps_its_light_and_shade(people, bank, source):
    """A bald donor's dome drawn where the person's hair was has the donor's own light and shade
    (its lit top, its darker sides), not the person's forehead continued flat over it (a
    mannequin's head): the drawing's lightness follows the donor's over the dome."""
    from mirror.render.lab import to_lab

    _, aligned = people[SHORT]
    donor = _bank_donor(bank, source)
    assert donor.look == "bald"
    result = transplant(aligned, donor, color="own")
    assert result.strength == 1.0
    size = aligned.detail.shape[0]
    field = head_warp(aligned.landmarks * aligned.scale, donor.landmarks, size)
    warp = lambda image: cv2.remap(image, field, None, cv2.INTER_LINEAR)
    bare = warp(((donor.skin > 0.5) & (donor.matte < 0.1)).astype(np.float32)) > 0.99
    hair = cv2.resize(aligned.hair, (size, size)) > 0.9
    rows = np.arange(size)[:, None]
    dome = bare & hair & (rows < (aligned.landmarks[10, 1] * aligned.scale))
    assert dome.sum() > 2000
    light = lambda image: cv2.GaussianBlur(to_lab(image)[..., 0], (0, 0), 4)[dome]
    drawn, theirs = light(result.edited.crop), light(warp(donor.crop))
    assert np.corrcoef(drawn, theirs)[0, 1] > 0.6


@pytest.mark.engines
def test_long_hair_the_donors_photo_cuts_goes_on_in_the_persons_own(people, bank):
    """Where a long-haired donor's photo ends (its hair faded out there) over the person's own
    long hair, the person's hair shows on from it, not a band of wall and neck filled in between
    the donor's hair and the person's below the crop."""
    from mirror.render.donor_layers import Drawn, Person

    _, aligned = people[AUBURN]
    donor = _bank_donor(bank, "186616.jpg")
    result = transplant(aligned, donor, color="own")
    assert result.strength == 1.0
    drawn = Drawn.of(Person.of(aligned, aligned.landmarks * aligned.scale), donor)
    size = aligned.detail.shape[0]
    hair = cv2.resize(aligned.hair, (size, size)) > 0.9
    cut = hair & (drawn.cut > 0.5) & (drawn.matte < 0.2)
    assert cut.sum() > 200
    change = np.abs(result.edited.crop.astype(int) - aligned.detail.astype(int)).max(axis=-1)
    assert change[cut].mean() < 14, float(change[cut].mean())


def test_hair_the_donors_photo_cuts_above_the_head_goes_on_up_to_a_crown(people, donors):
    """A donor whose photo cuts its hair off above the head (here a whole one cut so): its hair
    goes on up to a crown, as much of it as the whole photo draws there, within the person's skull
    grown as wide as the hair (it faded out where the photo ended, a blurred cap)."""
    from mirror.face.regions import skull
    from mirror.render.donor_layers import Drawn, LayerParams, Person

    _, aligned = people[SHORT]
    whole = donors[CROP]
    side = whole.crop.shape[0]
    top = int(np.argmax((whole.matte > 0.5).any(axis=1)))
    shift = top + int(0.08 * side)                   # the photo's top cuts its hair this far down

    def up(image):
        return np.concatenate([image[shift:], np.repeat(image[-1:], shift, axis=0)])

    cut = dataclasses.replace(whole, crop=up(whole.crop), matte=up(whole.matte), skin=up(whole.skin),
                              person=up(whole.person), landmarks=whole.landmarks - np.float32([0, shift]))
    person = Person.of(aligned, aligned.landmarks * aligned.scale)
    drawn, full = Drawn.of(person, cut), Drawn.of(person, whole)
    assert drawn.crown > 1.0
    above = drawn.seen < 0.5
    rows = np.arange(drawn.seen.shape[0])[:, None]
    above &= rows < np.argmax(drawn.seen.max(axis=1) > 0.5)           # past the photo's top
    theirs, ours = full.matte[above].sum(), drawn.matte[above].sum()
    assert theirs > 100 and 0.5 * theirs < ours < 1.5 * theirs, (ours, theirs)
    crown = skull(person.landmarks, drawn.seen.shape[0], edge=LayerParams().skull_edge, scale=drawn.crown)
    assert drawn.matte[above & (drawn.seen < 0.02) & (crown < 0.01)].max() < 0.05


def test_a_crown_its_donors_photo_barely_cut_ends_just_above_the_cut(heads, bank):
    """A bob whose photo's top edge just touches its crown, drawn on a webcam frame's head that
    fills its crop: past the crop its crown is rounded off just above the cut, not carried on up
    to the whole crown (taken from the photo's top row, that stood over the head as a grey
    column, 13 outer pixels high and 8 wide)."""
    from conftest import clip_frame
    from mirror.face.regions import skull_axes
    from mirror.render.donor_layers import crown_top

    aligned = heads.aligned(clip_frame("d13.mp4", 60))
    result = transplanting.transplant(aligned, _bank_donor(bank, "188627.jpg"))
    assert result.strength == 1.0, result.reason
    beyond = result.edited.beyond
    assert beyond is not None
    half = aligned.crop.shape[0] // 2
    assert not (beyond.mask[:half - 2] > 0.5).any()        # (none of it above the crop's top rows)
    # The outline through the ends of a cut: narrow, just above it; as wide as the crown, none.
    size = 2 * aligned.crop.shape[0]
    landmarks = aligned.landmarks[:, :2] + half
    narrow, wide = np.zeros((size, size), np.float32), np.zeros((size, size), np.float32)
    cx, cy, width, _ = skull_axes(landmarks, 1.5)
    row = int(cy - 20)
    narrow[:row + 1, int(cx) - 4:int(cx) + 5] = 1.0
    wide[:row + 1, int(cx - width) - 3:int(cx + width) + 3] = 1.0
    assert row - 2 < crown_top(landmarks, narrow, 1.5) < row
    assert crown_top(landmarks, wide, 1.5) is None


def test_the_persons_own_crown_goes_above_a_donors_hair_that_meets_the_crops_top(heads, bank):
    """A bob drawn on a webcam frame's head that fills its crop (she looks down: her crown stands
    above it), its hair meeting the crop's top: her own hair above the crop goes, the donor's drawn
    over the wall there as far as it reaches. Kept wherever the donor's hair met the crop's edge,
    her crown stood over the bob as a dark block (1,917 of the 3,056 dark hair pixels above the
    crop left as they were)."""
    from conftest import clip_frame
    from mirror.face.align import invert, transform_points

    image = clip_frame("d3.mp4", 120)
    aligned = heads.aligned(image)
    result = transplanting.transplant(aligned, _bank_donor(bank, "190915.jpg"))
    assert result.strength == 1.0, result.reason
    out = Compositor().compose(image, aligned, result.edited)
    size = aligned.crop.shape[0]
    top = int(transform_points(np.float64([[0, 0], [size, 0]]), invert(aligned.to_crop))[:, 1].min())
    hair = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)[:top] < 110     # (her dark hair on a pale wall)
    kept = hair & (np.abs(out[:top].astype(int) - image[:top]).max(axis=2) <= 4)
    assert hair.sum() > 2000
    assert kept.sum() < 0.05 * hair.sum(), (int(kept.sum()), int(hair.sum()))


def test_between_the_cheek_and_a_donors_side_hair_the_persons_own_hair_stays(heads, bank):
    """A fringe look on a webcam clip's long-haired woman: between her cheek and the donor's side
    hair, from the brows to the chin, her own hair stays under the donor's, not the wall behind
    her head (taken away, a pale crescent beside the cheek: 152 pixels there nearer the wall's
    colour than her hair's or skin's over these four drawings, against none)."""
    from conftest import clip_frame
    from mirror.face.regions import CHIN, brow_line, face_oval
    from mirror.render.donor_layers import Drawn, Person
    from mirror.render.lab import to_lab

    walls = 0
    for at in (0, 59):
        aligned = heads.aligned(clip_frame("d3.mp4", at))
        size, landmarks = aligned.detail.shape[0], aligned.landmarks * aligned.scale
        person = Person.of(aligned, landmarks)
        colours = [np.median(person.lab[where], axis=0) for where in
                   ((person.person < 0.1) & (person.hair < 0.05), person.hair > 0.8, person.skin)]
        rows, cols = np.mgrid[:size, :size]
        beside = ((rows > brow_line(landmarks, size).mean()) & (rows < landmarks[CHIN, 1]) & ~face_oval(landmarks, size)
                  & (person.hair > 0.5))
        for mirrored in (False, True):
            donor = bank.donor(bank.sources.index("187033.jpg"), mirrored)
            result = transplanting.transplant(aligned, donor)
            assert result.strength == 1.0, result.reason
            matte = Drawn.of(person, donor).matte
            # (no donor hair on the way out to the crop's side: the pixel lies outside its outline)
            outside = np.where(cols < landmarks[CHIN, 0], np.minimum.accumulate(matte <= 0.5, axis=1),
                               np.minimum.accumulate((matte <= 0.5)[:, ::-1], axis=1)[:, ::-1])
            gap = beside & (matte < 0.3) & ~outside
            assert gap.sum() > 50
            wall, hair, skin = (np.linalg.norm(to_lab(result.edited.crop)[gap] - c, axis=1) for c in colours)
            walls += int((wall < np.minimum(hair, skin)).sum())
    assert walls < 10, walls


def test_black_hair_stays_black_in_the_persons_light(heads, people):
    """A black-haired reference's hair drawn in its own colour stays a neutral black on people
    whose skin is less warm than the reference's: the skins' colour difference tints each pixel
    as much as it is lit (taken whole, it turned black hair teal)."""
    from mirror.render.lab import to_lab
    from mirror.render.donor_layers import Drawn, Person

    donor = heads.donor(celeba_photo("183106.jpg"))
    theirs = np.median(to_lab(donor.crop)[donor.matte > 0.9], axis=0)
    for name in (SHORT, AUBURN):
        aligned = people[name][1]
        result = transplant(aligned, donor)
        assert result.strength == 1.0
        matte = Drawn.of(Person.of(aligned, aligned.landmarks * aligned.scale), donor).matte
        drawn = np.median(to_lab(result.edited.crop)[(matte > 0.95) & (result.edited.replace > 0.95)], axis=0)
        assert np.abs(drawn[1:] - theirs[1:]).max() <= 1.5, (name, drawn, theirs)


@pytest.mark.engines
def test_a_reference_turned_the_other_way_is_drawn_mirrored(pipeline, people):
    """A reference photo whose head is turned the other way from the person's is drawn as its
    mirror image (turned as the person is, it fits them better), and the HUD says so; the same
    reference on a person turned its way is drawn as it is."""
    from mirror.face.warp import crop_yaw

    style = pipeline.reference_style(celeba_photo("183047.jpg"))
    chooser = pipeline.editor.chooser
    aligned = people[DARK_WALL][1]
    chooser.reset()
    donor, note = chooser.orient(aligned, style)
    assert note.startswith("mirrored")
    assert abs(crop_yaw(donor.landmarks) + crop_yaw(style.donor.landmarks)) < 0.5
    assert transplant(aligned, style.donor).measures["yaw"] > transplant(aligned, donor).measures["yaw"] + 10.0
    assert transplant(aligned, donor).strength == 1.0
    assert chooser.orient(aligned, style)[0] is donor        # the next frame's: kept, not mirrored anew
    chooser.reset()
    mirrored = dataclasses.replace(aligned, landmarks=_mirrored_landmarks(aligned.landmarks, 128, chooser))
    assert chooser.orient(mirrored, style) == (style.donor, "")


@pytest.mark.engines
def test_the_chooser_keeps_the_person_s_donors_as_drawn(pipeline, people):
    """Each look's donor is chosen once for the person and kept as drawn, mirrored ones too:
    the next frames get that same donor, not a copy made anew every frame, and the bank keeps
    only a few decoded donors of its own (a kiosk shows every look in turn, person after person)."""
    chooser = pipeline.editor.chooser
    bank = chooser.bank
    looks = [pipeline.styles.get(name) for name in pipeline.styles.names]
    looks = [style for style in looks if style.kind == "transplant" and style.donor is None]
    aligned = people[DARK_WALL][1]
    latent = lambda: bank.latents.mean(axis=0)
    chooser.reset()
    chosen = [chooser.choose(aligned, style, latent)[0] for style in looks]
    again = [chooser.choose(aligned, style, latent)[0] for style in looks]
    assert len(looks) > bank.decoded and all(donor is not None for donor in chosen)
    assert all(a is b for a, b in zip(again, chosen))
    mirrored = [donor for donor in chosen if not np.array_equal(donor.landmarks, bank.landmarks[donor.index])]
    assert mirrored, "no look's donor came mirrored for a turned head: nothing tested"
    assert len(bank._decoded) <= bank.decoded


@pytest.mark.engines
def test_a_look_keeps_its_head_of_hair_as_the_head_turns(pipeline, heads):
    """A person who turns further from a look's donor than the transplant draws keeps that donor:
    the look fades and the HUD says why (a donor chosen for each turn was another hairstyle,
    switching as the customer turned); turned back, it is drawn again."""
    from conftest import clip_frame

    chooser = pipeline.editor.chooser
    style = pipeline.styles.get("bob")
    front, side = (heads.aligned(clip_frame("d3.mp4", at)) for at in (0, 270))
    latent = lambda: chooser.bank.latents.mean(axis=0)      # noqa: E731
    chooser.reset()
    first = chooser.choose(front, style, latent)[0]
    def asked():
        raise AssertionError("chosen anew")
    assert chooser.choose(side, style, asked)[0] is first
    turned = transplant(side, first)
    assert turned.strength == 0.0 and "turned" in turned.reason
    assert transplant(front, chooser.choose(front, style, asked)[0]).strength == 1.0
    chooser.reset()


def _mirrored_landmarks(landmarks, side, chooser):
    from mirror.edit.donors import _mirror_points

    return _mirror_points(landmarks, side, chooser.bank.mirror_order)


def test_colour_and_part_choices_are_checked(people, donors):
    aligned = people[SHORT][1]
    assert COLORS == ("donor", "own", "target")
    with pytest.raises(ValueError):
        transplant(aligned, donors[CROP], color="purple")
    with pytest.raises(ValueError, match="part must be one of"):
        transplant(aligned, donors[CROP], part="sideburns")
    with pytest.raises(ValueError):
        transplant(aligned, donors[CROP], color="target")
    target = np.float32([[30.0, 10.0, 15.0], [8.0, 3.0, 4.0]])
    assert transplant(aligned, donors[CROP], color="target", target=target).strength > 0.5


@pytest.mark.engines
def test_the_shipped_mirror_draws_bangs_no_bangs_and_bald_from_donors():
    """Bangs, no_bangs and the shape styles the donors draw better (``TRANSPLANTED``) come from
    the bank; receding, regrowth and wavy are drawn from the face's geometry, as the hair-loss
    scale is."""
    from mirror.run.app import Pipeline

    with Pipeline(ENGINES, "onnxruntime", static=True) as pipeline:
        kinds = {name: pipeline.styles.get(name).kind for name in ("bangs", "no_bangs", "bald", "receding",
                                                                   "regrowth", "wavy")}
    assert kinds == {"bangs": "transplant", "no_bangs": "transplant", "bald": "transplant", "receding": "remove",
                     "regrowth": "add", "wavy": "texture"}


def test_bangs_and_no_bangs_have_no_shape_and_come_from_donors_whatever_is_asked():
    """Bangs and no_bangs have no region in ``mirror.edit.shapes``: a library asked to draw no
    style from donors (``transplanted=()``, as the hair-loss scale's tests ask) still draws them
    from donors, and bald from its shape."""
    from mirror.backends import load_model_files
    from mirror.edit import shapes
    from mirror.edit.styles import StyleLibrary

    styles = StyleLibrary(load_model_files(ENGINES).styles, transplanted=())
    kinds = [styles.get(name).kind for name in ("bangs", "no_bangs", "bald", "regrowth")]
    assert kinds == ["transplant", "transplant", "remove", "add"] and styles.get("original").kind != "transplant"
    assert styles.get("bangs").want == "bangs" and styles.get("bangs").mix is None
    with pytest.raises(ValueError, match="no shape region"):
        shapes.region("bangs", np.zeros((478, 2), np.float32), 128, 1.0)


@pytest.mark.parametrize("part", ["fringe", "forehead"])
def test_a_fringe_or_forehead_alone_keeps_the_persons_own_hair_and_draws_over_the_forehead(people, donors, part):
    """Asked for bangs (or none), a person with hair keeps their haircut and gains the donor's
    fringe (or hairline): their own hair above its root and beyond the temples stays as it was
    (the whole head of hair took it away), the forehead is drawn on, and the eyes, nose and mouth
    are not."""
    from mirror.edit import shapes

    for person in (LONG, SHORT):
        photo, aligned = people[person]
        whole, fringe = (transplant(aligned, donors[FRINGE], color="own", part=each) for each in ("all", part))
        assert fringe.strength > 0.5, (person, fringe.reason)
        landmarks, size = aligned.landmarks * aligned.scale, aligned.detail.shape[0]
        zone = shapes.fringe(landmarks, size)
        assert zone.root.any() and (zone.lies[zone.root] > 0).all() and (zone.lies[zone.root] < 1).any()
        assert zone.lies[int(landmarks[1, 1]):].max() == 0.0     # it ends above the nose's tip: no locks down the cheeks
        outside = cv2.erode((zone.lies == 0.0).astype(np.uint8), np.ones((7, 7), np.uint8)) > 0   # (off its soft edge)
        assert fringe.edited.replace[outside].max() < 1.0 / 255, person
        assert whole.edited.replace[outside].max() > 0.5, person           # (the whole one drew there)
        forehead = shapes.forehead(landmarks, size) > 0.5
        assert fringe.edited.replace[forehead].mean() > 0.3, person
        out = Compositor().compose(photo, aligned, fringe.edited)
        changed = np.abs(out.astype(int) - photo.astype(int)).max(axis=-1) > 2
        assert not changed[hull_in_frame(aligned, photo.shape[:2])].any(), person
        in_frame = cv2.warpAffine(outside.astype(np.uint8), cv2.invertAffineTransform(aligned.detail_to_crop),
                                  photo.shape[1::-1], flags=cv2.INTER_NEAREST) > 0
        assert not changed[in_frame].any(), (person, int(changed[in_frame].sum()))


def test_no_bangs_takes_the_persons_own_fringe_off_their_forehead_and_only_there(heads, donors):
    from mirror.edit import shapes

    image = cv2.imread(celeba_photo("183106.jpg"))             # a woman with a full fringe (test split)
    aligned = heads.aligned(image)
    size, landmarks = aligned.detail.shape[0], aligned.landmarks * aligned.scale
    forehead = shapes.forehead(landmarks, size) > 0.5
    fringe = forehead & (cv2.resize(aligned.hair, (size, size)) > 0.8)
    assert fringe.sum() > 0.8 * forehead.sum()
    taken = transplant(aligned, donors[CROP], color="own", part="forehead")     # (a donor with no fringe)
    assert taken.strength == 1.0
    assert taken.edited.replace[fringe].mean() > 0.9          # redrawn: the donor's forehead and hairline
    lightness = lambda crop: cv2.cvtColor(crop, cv2.COLOR_BGR2LAB)[..., 0][fringe].mean()
    assert lightness(taken.edited.crop) > lightness(aligned.detail) + 20     # skin where the dark fringe was
    outside = cv2.erode((shapes.fringe(landmarks, size).lies == 0.0).astype(np.uint8), np.ones((7, 7), np.uint8)) > 0
    assert taken.edited.replace[outside].max() < 1.0 / 255


def test_a_head_with_no_hair_for_a_fringe_gets_a_whole_head_of_hair_and_no_fringe_taken(heads, donors):
    """A bald head asking for bangs has no hair for a fringe to grow from: it gets the donor's whole
    head of hair. Asking for no bangs, it has no fringe to take away: nothing is drawn (the
    donor's hair drawn there gave a bald man hair), and the mirror says why."""
    image = cv2.imread(celeba_photo("183146.jpg"))             # a bald man (test split)
    aligned = heads.aligned(image)
    whole, fringe = (transplant(aligned, donors[FRINGE], part=part).edited for part in ("all", "fringe"))
    assert whole.replace.max() > 0.5
    np.testing.assert_array_equal(whole.crop, fringe.crop)
    forehead = transplant(aligned, donors[FRINGE], part="forehead")
    assert (forehead.strength, forehead.reason) == (0.0, "no fringe to take away")
    assert forehead.edited.replace.max() == 0.0
    np.testing.assert_array_equal(forehead.edited.crop, aligned.detail)


def test_bangs_and_no_bangs_ask_for_the_fringe_alone_and_the_looks_for_the_whole_head_of_hair():
    from mirror.backends import load_model_files
    from mirror.edit.styles import StyleLibrary

    styles = StyleLibrary(load_model_files(ENGINES).styles, looks=("fringe", "bob"))
    assert [styles.get(name).part for name in ("bangs", "no_bangs", "fringe", "bob")] == ["fringe", "forehead", "all", "all"]


# Test-split faces turned from the fringe donor: by 17 and by 22 degrees.
TURNED_A_LITTLE, TURNED_MORE = "182995.jpg", "182721.jpg"


def test_a_still_is_drawn_wholly_or_not_at_all_and_says_why_when_not(heads, donors):
    """Half faded, a head of hair on a photo is a ghost: a still is drawn wholly where the fit is
    at least half, else left as it is with the reason."""
    for name, drawn in ((TURNED_A_LITTLE, True), (TURNED_MORE, False)):
        aligned = heads.aligned(cv2.imread(celeba_photo(name)))
        still = transplant(aligned, donors[FRINGE])
        assert 0.0 < still.measures["fit"] < 1.0, name
        assert still.strength == float(drawn), name
        if drawn:
            assert still.reason == "" and still.edited.replace.max() > 0.9
        else:
            assert still.reason == "head turned too far from the donor's"
            assert np.array_equal(still.edited.crop, aligned.detail)


def test_a_reference_photos_hair_is_drawn_at_larger_turns_than_a_bank_donors(heads, donors):
    """The bank has a donor nearer the person's pose to offer; a reference photo the customer
    chose has not (a donor in no bank: index -1)."""
    aligned = heads.aligned(cv2.imread(celeba_photo(TURNED_MORE)))
    bank = transplant(aligned, donors[FRINGE])
    reference = transplant(aligned, dataclasses.replace(donors[FRINGE], index=-1))
    assert bank.measures["yaw"] == reference.measures["yaw"] > 20.0
    assert bank.measures["fit"] < 0.3 and reference.strength == 1.0 and reference.reason == ""


def test_in_video_a_reference_half_fitting_is_stood_in_for(people, donors):
    """A reference photo's hair fitting half (the head turned from its photo's) is not drawn, not
    a ghost over the person's own: the bank's head that stands in for it, which fits wholly, is;
    the HUD says why."""
    from mirror.render.base import Scene
    from mirror.render.memory import Memory, Seen
    from mirror.types import EditPlan

    aligned = people[SHORT][1]
    reference, bank = dataclasses.replace(donors[FRINGE], index=-1), donors[CROP]
    yaw = transplant(aligned, reference).measures["yaw"]
    params = dataclasses.replace(DRAWN, fit=dataclasses.replace(DRAWN.fit, reference_yaw=(yaw - 5.0, yaw + 5.0)))
    stand_in = EditPlan("transplant", 1.0, donor=bank, paint="donor", note="one like it from the bank, 1 of 9")
    plan = EditPlan("transplant", 1.0, donor=reference, paint="donor", fallback=stand_in)
    edited = transplanting.Transplant(params).draw(Scene(aligned, plan, None, Memory(), Seen(), True, None))
    photo, alone = transplant(aligned, reference, params=params), transplant(aligned, bank, params=params)
    assert 0.3 < photo.measures["fit"] < 0.7 and alone.strength == 1.0
    assert np.array_equal(edited.crop, alone.edited.crop)
    assert edited.note == "head turned too far from the donor's: one like it from the bank, 1 of 9"


def test_a_donors_face_seen_between_its_strands_is_not_drawn_as_its_hair(bank):
    """A fringe's strands lie apart over the forehead; the segmenter takes the skin between them
    for hair. Of the bank's dark-haired, light-skinned donors, the one with the most of them
    (pixels drawn as hair over its face, of its skin's colour and lighter than any of its hair
    off the face) has most of them taken out of its matte (a pixel only partly skin keeps its
    share of hair), and its hair off the face kept."""
    from mirror.face.regions import face_oval
    from mirror.render.donor_layers import LayerParams, donor_matte
    from mirror.render.lab import to_lab

    low, high = LayerParams().matte

    def skin_drawn(donor, matte: np.ndarray) -> np.ndarray:
        lab = to_lab(donor.crop)
        oval = face_oval(donor.landmarks, donor.crop.shape[0])
        off = (donor.matte > high) & ~oval
        if off.sum() < 100:      # (a bald head)
            return np.zeros_like(oval)
        skin = np.linalg.norm(lab - donor.skin_color, axis=-1) < 15.0
        return (matte > 0.5) & oval & skin & (lab[..., 0] > np.quantile(lab[..., 0][off], 0.99))

    def segmented(donor) -> np.ndarray:     # the matte as the segmenter gave it, made sure
        return np.clip((donor.matte - low) / (high - low), 0.0, 1.0) * (1.0 - donor.skin)

    rows = np.flatnonzero((bank.hair_colors[:, 0] < 30.0) & (bank.skin_colors[:, 0] > 55.0))
    donor = max((bank.donor(int(row)) for row in rows), key=lambda d: int(skin_drawn(d, segmented(d)).sum()))
    before, after = segmented(donor), donor_matte(donor)
    assert skin_drawn(donor, before).sum() > 200
    assert skin_drawn(donor, after).sum() < 0.5 * skin_drawn(donor, before).sum()
    off = (donor.matte > high) & ~face_oval(donor.landmarks, donor.crop.shape[0])
    assert (after[off] > 0.5).mean() > 0.99 * (before[off] > 0.5).mean()


def test_drawn_hair_is_no_softer_than_its_photo(people, donors):
    """Warped and sized up from its photo, a donor's hair would be softer than there (and than
    real hair): its finest detail (below a pixel) is made crisper, to above its photo's."""
    def fine(image: np.ndarray, where: np.ndarray) -> float:
        grey = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY).astype(np.float32)
        return float(((grey - cv2.GaussianBlur(grey, (0, 0), 1.0))[where] ** 2).mean())

    for person in (LONG, SHORT):
        for name in (CROP, FRINGE):
            donor = donors[name]
            drawn = transplant(people[person][1], donor, params=DRAWN)
            assert drawn.strength == 1.0
            ratio = fine(drawn.edited.crop, drawn.edited.replace > 0.95) / fine(donor.crop, donor.matte > 0.9)
            assert ratio > 1.2, (person, name, ratio)


def test_in_video_a_transplant_is_drawn_wholly_or_not_held_as_it_was(people, donors):
    """Half faded, a head of hair is a ghost over the person's own: in video too a transplant is
    drawn wholly or not at all, and between ``held``'s fits it stays as the drawing before
    showed it (a head turning to and fro there does not flick it on and off)."""
    from mirror.render.base import Scene
    from mirror.render.memory import Memory, Seen
    from mirror.types import EditPlan

    aligned, donor = people[SHORT][1], donors[FRINGE]
    yaw = transplant(aligned, donor).measures["yaw"]
    plan = EditPlan("transplant", 1.0, donor=donor, paint="donor")
    whole = transplant(aligned, donor, params=DRAWN)
    memory = Memory()

    def drawn(fit: float):      # (drawn at this fit: the yaw ramp placed so the person's is there)
        ramp = (yaw - 10.0 * (1.0 - fit), yaw + 10.0 * fit)
        params = dataclasses.replace(DRAWN, fit=dataclasses.replace(DRAWN.fit, yaw=ramp))
        faded = transplant(aligned, donor, params=params)
        assert abs(faded.measures["fit"] - fit) < 0.02
        return transplanting.Transplant(params).draw(Scene(aligned, plan, None, memory, Seen(), True, None))

    for fit, shown in ((0.5, False), (0.8, True), (0.5, True), (0.35, True), (0.2, False), (0.5, False)):
        edited = drawn(fit)
        if shown:
            assert np.array_equal(edited.crop, whole.edited.crop) and edited.note == "", fit
        else:
            assert np.array_equal(edited.crop, aligned.detail), fit
            assert edited.note == "head turned too far from the donor's", fit


def test_in_video_a_reference_s_fringe_stands_in_for_its_whole_hair(people, donors):
    """Where a reference photo's whole head of hair cannot be drawn (here its hair lies over the
    person's face: the bar lowered to where its fringe alone passes it), its fringe is drawn over
    the person's own hair, recoloured to the reference's colour: a drawing carried between frames
    like a transplant (not a colour drawn every frame), held by a memory of its own, apart from
    the whole head's."""
    from mirror.render.base import Scene
    from mirror.render.memory import Memory, Seen
    from mirror.types import EditPlan

    aligned = people[LONG][1]
    reference = dataclasses.replace(donors[FRINGE], index=-1)
    blond = np.float32([[70.0, 5.0, 25.0], [10.0, 2.0, 4.0]])
    color = EditPlan("color", 1.4, color=blond)
    part = EditPlan("transplant", 1.0, color=blond, donor=reference, paint="target", part="fringe", fallback=color)
    plan = EditPlan("transplant", 1.0, donor=reference, paint="donor", fallback=part)
    params = dataclasses.replace(DRAWN, fit=dataclasses.replace(DRAWN.fit, veil=(0.02, 0.04)))
    whole, fringe = (transplant(aligned, reference, part=p, params=params).measures["veil"] for p in ("all", "fringe"))
    assert fringe < 0.02 < 0.04 < whole, (fringe, whole)
    memory = Memory()
    edited = transplanting.Transplant(params).draw(Scene(aligned, plan, None, memory, Seen(), True, None))
    assert edited.note == "the donor's hair lies over its face: its fringe and colour" and not edited.fallback
    assert memory.shown == {(reference.source, "all"): False, (reference.source, "fringe"): True}
    grey = lambda image: cv2.cvtColor(image, cv2.COLOR_BGR2GRAY).astype(int)     # noqa: E731
    fringe = edited.replace > 0.9
    hair = (aligned.hair > 0.9) & (cv2.resize(edited.replace, aligned.hair.shape[::-1]) < 0.05)
    assert fringe.mean() > 0.01 and np.median(grey(edited.crop)[fringe]) > 100
    # (the person's own dark hair, outside the fringe, made blond too)
    small = cv2.resize(edited.crop, aligned.hair.shape[::-1], interpolation=cv2.INTER_AREA)
    before = cv2.resize(aligned.detail, aligned.hair.shape[::-1], interpolation=cv2.INTER_AREA)
    assert np.median(grey(small)[hair]) > np.median(grey(before)[hair]) + 30
    keep = transplanting.hull(aligned.landmarks * aligned.scale, aligned.detail.shape[0])
    assert np.abs(edited.crop[keep > 0].astype(int) - aligned.detail[keep > 0]).max() <= 2


@pytest.fixture(scope="module")
def long_layers_on_d13(pipeline, d13_frame):
    """(frame, aligned, edited, to_frame): the long layers look drawn on d13's first frame at 720p."""
    from mirror.types import Frame

    frame, aligned = pipeline.track(Frame(0, 0, d13_frame))
    edited = pipeline.edit(frame, aligned, pipeline.styles.get("long layers"))
    return frame, aligned, edited, cv2.invertAffineTransform(aligned.detail_to_crop.astype(np.float64))


def _relent(pipeline, frame, aligned, edited, **fields):
    """``edited`` composed with its lent detail made again without ``fields``."""
    from mirror.render.lend import lent_detail

    plain = dataclasses.replace(edited, **fields)
    return pipeline.compose(frame, aligned, dataclasses.replace(
        plain, lent=lent_detail(frame.image, plain, aligned.detail_to_crop, hair=aligned.hair)))


@pytest.mark.data
@pytest.mark.engines
def test_donor_hair_over_the_wall_of_a_large_face_takes_fine_strands(pipeline, long_layers_on_d13):
    """On a large face (d13 at 720p) a donor's long hair, sized up from its photo, was soft as a
    blur beside the person's own sharp hair: where the person has no hair under it to lend its
    strands, it takes fine strands at the frame's resolution, made as strong as the person's own
    hair's fine detail where the donor's photo shows them fainter (a black donor's, whose photo
    shows little of the way its hair runs, had a quarter of it). Its fine detail there is more
    than twice what it was and at least half the person's own hair's; nothing else changes (but
    for resampling)."""
    frame, aligned, edited, to_frame = long_layers_on_d13
    assert edited.strands is not None and edited.lent is not None
    stranded = pipeline.compose(frame, aligned, edited)
    soft = _relent(pipeline, frame, aligned, edited, strands=None)
    shape, size = frame.image.shape[1::-1], aligned.detail.shape[0]
    strands = cv2.warpAffine(edited.strands, to_frame, shape)
    own = cv2.warpAffine(cv2.resize(aligned.hair, (size, size)), to_frame, shape) > 0.9
    assert np.abs(stranded.astype(np.int16) - soft)[strands < 1e-3].max() <= 3

    def detail(picture, where):
        grey = cv2.cvtColor(picture, cv2.COLOR_BGR2GRAY).astype(np.float32)
        return float(np.median(np.abs(grey - cv2.GaussianBlur(grey, (0, 0), 1.0))[where]))

    alone = strands > 0.8
    assert alone.sum() > 20000 and own.sum() > 5000
    assert detail(stranded, alone) > 2.0 * detail(soft, alone)
    # (the person's own hair, in the frame as it came)
    assert 0.5 * detail(frame.image, own) < detail(stranded, alone) < 1.4 * detail(frame.image, own)


@pytest.mark.data
@pytest.mark.engines
def test_donor_hairs_outline_on_the_wall_of_a_large_face_is_steeper_and_its_hairline_stays_soft(
        pipeline, long_layers_on_d13):
    """Sized up from its photo, a donor's outline against the wall was a blur 7-17 px wide beside
    the person's own head's 5 px. On a large face it is made steeper where it lies over the wall
    (fewer of its pixels halfway between hair and wall); over the face's skin (the hairline on the
    forehead, whose softness is real) nothing changes."""
    frame, aligned, edited, to_frame = long_layers_on_d13
    assert edited.outline is not None
    steep = pipeline.compose(frame, aligned, edited)
    soft = _relent(pipeline, frame, aligned, edited, outline=None)
    shape = frame.image.shape[1::-1]
    skin = cv2.warpAffine(edited.outline.steep, to_frame, shape) < 1e-3
    assert np.abs(steep.astype(np.int16) - soft)[skin].max() <= 3
    matte = cv2.warpAffine(edited.outline.matte * edited.outline.steep, to_frame, shape)
    edge = (matte > 0.1) & (matte < 0.9)
    assert edge.sum() > 2000

    def between(picture):
        """The share of the edge's pixels halfway between the dark and light round them."""
        grey = cv2.cvtColor(picture, cv2.COLOR_BGR2GRAY).astype(np.float32)
        low, high = cv2.erode(grey, np.ones((15, 15), np.uint8)), cv2.dilate(grey, np.ones((15, 15), np.uint8))
        share = (grey - low) / np.maximum(high - low, 1.0)
        return float(((share > 0.2) & (share < 0.8))[edge & (high - low > 60)].mean())

    assert between(steep) < between(soft) - 0.05, (between(steep), between(soft))


@pytest.mark.data
@pytest.mark.engines
def test_donor_hair_past_the_crop_of_a_large_face_has_a_steeper_outline(pipeline, monkeypatch):
    """A fringe's hair that goes on above a 720p head's crop is drawn at the outer square's
    resolution, five frame pixels a pixel: its outline there was a blurred cap. It is made
    steeper: fewer of its pixels lie between none and all of the hair."""
    from conftest import clip_frame
    from mirror.render import donor_beyond
    from mirror.types import Frame

    frame, aligned = pipeline.track(Frame(0, 0, clip_frame("d13.mp4", 60)))

    def soft_share(steepest):
        monkeypatch.setattr(donor_beyond, "STEEPEST", steepest)
        mask = pipeline.edit(frame, aligned, pipeline.styles.get("fringe")).beyond.mask
        return float(((mask > 0.1) & (mask < 0.9)).sum()) / float((mask > 0.1).sum())

    steepest = donor_beyond.STEEPEST
    soft, steep = soft_share(1.0), soft_share(steepest)
    assert steep < 0.6 * soft, (steep, soft)


@pytest.mark.parametrize("upright", [True, False])
def test_fine_strands_run_the_way_the_hair_runs_and_stay_fixed_to_the_crop(upright):
    """Strands drawn out along the hair's own run (its stripes here), not across it; the same
    grid point gets the same strand whatever the box drawn (a drawing made again does not
    flicker)."""
    from mirror.render.lend import _strands

    size, scale = 64, 3
    stripes = 100 + 40 * np.sin(np.arange(size) * 2 * np.pi / 4)
    grey = np.tile(stripes, (size, 1)) if upright else np.tile(stripes[:, None], (1, size))
    crop = cv2.merge([grey.astype(np.uint8)] * 3)
    weight = np.ones((size, size), np.float32)
    whole = _strands(crop, weight, ((0, size), (0, size)), scale)[..., 1].astype(np.float32)
    assert np.abs(whole).max() > 5

    def alike(a, b):
        return float(np.corrcoef(a.ravel(), b.ravel())[0, 1])

    lag = 2 * scale
    down = alike(whole[:-lag], whole[lag:])
    across = alike(whole[:, :-lag], whole[:, lag:])
    along, other = (down, across) if upright else (across, down)
    assert along > 0.4 > 0.15 > other, (along, other)
    part = _strands(crop, weight, ((16, 48), (8, 40)), scale)[..., 1].astype(np.float32)
    inner = np.s_[scale:-scale, scale:-scale]
    assert np.abs(part[inner] - whole[16 * scale:48 * scale, 8 * scale:40 * scale][inner]).max() <= 2
