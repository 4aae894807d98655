"""The donor bank (engines/donors.npz) and its retrieval, and the head-pose estimator they share."""
from __future__ import annotations

import fnmatch
import os
import tomllib

import cv2
import numpy as np
import pytest

from conftest import CELEBA, ROOT, need
from mirror.edit.donors import BANK_FILE, DonorBank, DonorQuery, DonorWeights
from mirror.errors import MirrorError
from mirror.face.pose import head_pose
from mirror.paths import DEFAULT_ENGINES

BANK = os.path.join(ROOT, "engines", BANK_FILE)


@pytest.fixture(scope="module")
def bank():
    return DonorBank.load(BANK)


@pytest.fixture(scope="module")
def person(tracked):
    """Grace Hopper as the mirror sees her: her latent, pose, crop landmarks and skin colour."""
    from mirror.backends import create_backend, encode_crops, load_model_files
    from mirror.edit.styles import StyleLibrary
    from mirror.face.align import Aligner
    from mirror.face.regions import face_interior

    name, image, face = tracked[0]
    model = load_model_files(DEFAULT_ENGINES)
    backend, _ = create_backend("onnxruntime", model)
    aligned = Aligner(model.size).align(image, face)
    latent = encode_crops(backend, aligned.crop[None])[0][0]
    lab = cv2.cvtColor(aligned.crop.astype(np.float32) / 255.0, cv2.COLOR_BGR2LAB)
    skin = lab[face_interior(aligned.landmarks, model.size)].mean(0)
    return {"latent": latent, "pose": head_pose(face.landmarks), "landmarks": aligned.landmarks,
            "side": model.size, "skin": skin, "styles": StyleLibrary(model.styles)}


def query(person, want: str, strength: float = 1.0) -> DonorQuery:
    style = person["styles"].get(want) if want in person["styles"].names else None
    latent = person["latent"] + (strength * style.strength * style.direction if style else 0.0)
    return DonorQuery(latent=latent, want=want, pose=person["pose"], landmarks=person["landmarks"],
                      side=person["side"], skin_color=person["skin"])


# --- the bank ---

@pytest.mark.engines
def test_bank_loads_from_the_shipped_model_folder():
    """DonorBank.load() with no path reads the shipped model's bank (mirror/engines/ when
    installed), and pyproject ships the bank and its listing as package data."""
    bank = DonorBank.load()
    assert os.path.samefile(bank.path, os.path.join(DEFAULT_ENGINES, BANK_FILE))
    with open(os.path.join(ROOT, "pyproject.toml"), "rb") as f:
        patterns = tomllib.load(f)["tool"]["setuptools"]["package-data"]["mirror.engines"]
    for shipped in (BANK_FILE, "donors.txt"):
        assert os.path.isfile(os.path.join(ROOT, "engines", shipped))
        assert any(fnmatch.fnmatch(shipped, p) for p in patterns), f"{shipped} is not package data"


@pytest.mark.engines
def test_bank_holds_looks_of_real_donors(bank):
    """Every look has enough donors; each donor decodes to a crop with a matte of its hair, 478
    landmarks on its face and the listed source photo; the bank stays within its size."""
    assert os.path.getsize(BANK) <= 40 * 2 ** 20
    counts = np.bincount(bank.look_of[bank.look_of >= 0], minlength=len(bank.look_names))
    assert len(bank.look_names) >= 8 and counts.min() >= 8, dict(zip(bank.look_names, counts))
    with open(os.path.join(ROOT, "engines", "donors.txt")) as f:
        listed = [line.split()[1] for line in f if not line.startswith("#")]
    assert listed == bank.sources
    for row in (0, len(bank) // 2, len(bank) - 1):
        donor = bank.donor(row)
        side = bank.side
        assert donor.crop.shape == (side, side, 3) and donor.crop.dtype == np.uint8
        assert donor.matte.shape == donor.skin.shape == donor.person.shape == (side, side)
        assert donor.look in bank.look_names and donor.source == bank.sources[row]
        inside = (donor.landmarks >= 0).all(1) & (donor.landmarks < side).all(1)
        assert inside.mean() > 0.95
        # Hair, where there is any, lies outside the face's middle; the face's middle is skin.
        nose = donor.landmarks[1].round().astype(int)
        assert donor.skin[nose[1], nose[0]] > 0.5 and donor.matte[nose[1], nose[0]] < 0.5
        assert donor.person[nose[1], nose[0]] > 0.5


@pytest.mark.engines
def test_bald_donors_have_bare_crowns_and_fringes_cover_foreheads(bank):
    """The looks are what they say: bald donors have little hair above the forehead, fringe
    donors have hair over it, long hair reaches further down than a buzz cut, and every pixie
    has some fringe (short hair with none over the forehead was a bun seen from the front)."""
    crown, fringe, length = bank.feature("crown_hair"), bank.feature("fringe"), bank.feature("length")
    look = {name: bank.look_of == i for i, name in enumerate(bank.look_names)}
    assert crown[look["bald"]].max() < crown[~look["bald"]].mean()
    assert np.median(fringe[bank.having("bangs")]) > 3 * np.median(fringe[bank.having("no_bangs")] + 0.01)
    assert np.median(length[look["long layers"]]) > np.median(length[look["buzz"]]) + 1.0
    assert ((fringe >= 0.1) | (bank.attribute("Bangs") > 0))[look["pixie"]].all()


# --- retrieval ---

@pytest.mark.engines
@pytest.mark.parametrize("want, has", [
    ("bangs", lambda bank, d: bank.attribute("Bangs")[d.index] > 0 and bank.feature("fringe")[d.index] >= 0.4),
    ("bald", lambda bank, d: d.look == "bald"),
    ("receding", lambda bank, d: d.look == "receding" and bank.attribute("Receding_Hairline")[d.index] > 0),
    ("blond", lambda bank, d: bank.attribute("Blond_Hair")[d.index] > 0),
])
def test_nearest_donors_have_the_wanted_style_nearest_first(bank, person, want, has):
    """Donors for a style all have it, come nearest first, and the same query gives the same
    donors every time."""
    q = query(person, want)
    donors = bank.nearest(q, k=5)
    assert len(donors) == 5
    assert all(has(bank, d) for d in donors), [d.source for d in donors]
    distances = bank.distances(q)[[d.index for d in donors]]
    assert np.all(np.diff(distances) >= 0)
    assert distances[-1] <= np.sort(bank.distances(q)[bank.having(want)])[4] + 1e-9
    assert [d.index for d in bank.nearest(q, k=5)] == [d.index for d in donors]


@pytest.mark.engines
def test_looks_narrow_the_donors_and_the_next_ones_follow(bank, person):
    """A look gives donors of that look only; ``start`` steps on to the next-best donors."""
    q = query(person, "bob")
    first = [d.index for d in bank.nearest(q, k=3)]
    later = [d.index for d in bank.nearest(q, k=2, start=3)]
    assert first + later == [d.index for d in bank.nearest(q, k=5)]
    assert all(bank.donor(i).look == "bob" for i in first + later)
    everyone = bank.ranked(query(person, "bob"))
    assert len(everyone) == int((bank.look_of == bank.look_names.index("bob")).sum())
    with pytest.raises(MirrorError, match="choose from"):
        bank.nearest(query(person, "mohawk"))


@pytest.mark.engines
def test_sex_steers_the_choice(bank, person):
    """Grace Hopper asking for a fringe gets women's fringes when the query says she is a woman,
    and men's when it says she is a man."""
    for male in (0.0, 1.0):
        q = query(person, "bangs")
        q.male = male
        assert all((bank.attribute("Male")[d.index] > 0) == bool(male) for d in bank.nearest(q, k=5))


@pytest.mark.engines
def test_pose_and_skin_steer_the_choice(bank):
    """With only a pose asked for, the chosen donors' heads turn the way asked; with only a skin
    tone, their skin is near it."""
    turned = bank.nearest(DonorQuery(pose=np.float32([20, 0, 0])), k=5)
    assert all(d.pose[0] > 10 for d in turned)
    dark = np.percentile(bank.skin_colors[:, 0], 5)
    toned = bank.nearest(DonorQuery(skin_color=np.float32([dark, 12, 15])), k=5)
    assert all(d.skin_color[0] < np.median(bank.skin_colors[:, 0]) for d in toned)


@pytest.fixture(scope="module")
def turned():
    """A test-split woman with her head turned well to one side, as the mirror sees her."""
    from mirror.face.align import Aligner
    from mirror.face.tracker import FaceTracker

    image = cv2.imread(os.path.join(need(CELEBA), "img", "182738.jpg"))
    with FaceTracker(static=True) as tracker:
        face = tracker.process(image)
    aligned = Aligner(128).align(image, face)
    return DonorQuery(pose=head_pose(face.landmarks), landmarks=aligned.landmarks, side=128, male=0.0)


@pytest.mark.engines
@pytest.mark.data
@pytest.mark.parametrize("look", ["bob", "fringe", "long layers", "short crop"])
def test_donors_turned_past_what_the_transplant_draws_come_last(bank, turned, look):
    """For a turned head, the first donors of a look are all turned as the transplant needs to
    draw them whole (its yaw measure within FitParams.yaw's start): the pose's yaw alone let
    donors through that the transplant then faded for their turn."""
    from mirror.face.warp import crop_yaw
    from mirror.render.transplant import FitParams

    turn = crop_yaw(turned.landmarks)
    assert abs(turn) > 15
    turned.want = look
    for donor in bank.nearest(turned, k=3):
        assert abs(crop_yaw(donor.landmarks) - turn) < FitParams().yaw[0], (look, donor.source)


@pytest.mark.engines
def test_donors_in_glasses_come_after_those_without(bank, person):
    """A person without glasses is given bald donors without them (nearly half the bank's bald
    donors wear glasses, whose arms the transplant would draw across the temples); one in
    glasses may be given them."""
    q = query(person, "bald")
    q.glasses = 0.0
    assert not any(bank.attribute("Eyeglasses")[d.index] > 0 for d in bank.nearest(q, k=5))
    q.glasses = 1.0
    plain = DonorBank.load(BANK, DonorWeights(glasses=0.0))
    assert [d.index for d in bank.nearest(q, k=5)] == [d.index for d in plain.nearest(q, k=5)]


@pytest.mark.engines
def test_a_man_is_given_donors_without_earrings(bank, person):
    """A man asking for a woman's look is given donors without earrings (they hang beside the
    jaw, inside the hair's soft matte, and were drawn on him); a woman's choice is left alone."""
    ring = bank.attribute("Wearing_Earrings") > 0
    plain = DonorBank.load(BANK, DonorWeights(earrings=0.0))
    for look in ("long layers", "bob", "pixie", "curls and waves"):
        q = query(person, look)
        q.male = 1.0
        assert any(ring[d.index] for d in plain.nearest(q, k=5)), look   # (so the test can see)
        assert not any(ring[d.index] for d in bank.nearest(q, k=5)), look
        q.male = 0.0
        assert [d.index for d in bank.nearest(q, k=5)] == [d.index for d in plain.nearest(q, k=5)]


@pytest.mark.engines
def test_a_donors_hair_drawn_in_the_persons_colour_is_as_light_as_theirs(bank, person):
    """A fringe drawn in the person's own colour comes from hair about as light as theirs: black
    hair has too few shades to map onto blond ones (a flat patch); within
    ``hair_free`` the colour match takes the difference up. Without the person's hair colour (a
    donor drawn in its own) the lightness plays no part."""
    for light in (8.0, 65.0):
        q = query(person, "bangs")
        q.hair_light = light
        chosen = np.median([abs(bank.hair_colors[d.index, 0] - light) for d in bank.nearest(q, k=5)])
        before = np.median([abs(bank.hair_colors[d.index, 0] - light) for d in bank.nearest(query(person, "bangs"), k=5)])
        assert chosen < before - 5.0 and chosen < DonorWeights().hair_free + 3.0, (light, chosen, before)
    plain = DonorBank.load(BANK, DonorWeights(hair=0.0))
    assert [d.index for d in bank.nearest(query(person, "bangs"), k=5)] == \
        [d.index for d in plain.nearest(query(person, "bangs"), k=5)]


@pytest.mark.engines
def test_donors_whose_photo_cuts_their_hair_come_after_those_whole(bank, person):
    """Hair a donor's photo (or crop) cuts off ends in a straight line on a person whose frame
    goes on past it: such donors come after those drawn whole (a bob's hair, cut by most of its
    photos at its sides, less so)."""
    plain = DonorBank.load(BANK, DonorWeights(cut=0.0))
    for want in ("bangs", "no_bangs", "fringe", "bob", "long layers"):
        q = query(person, want)
        chosen = np.median([bank.cuts[d.index] for d in bank.nearest(q, k=5)])
        before = np.median([plain.cuts[d.index] for d in plain.nearest(q, k=5)])
        assert chosen < before and (chosen < 0.25 or want == "bob"), (want, chosen, before)


def test_cut_hair_measures_the_hair_on_the_photos_edges_above_the_chin():
    """train.donors.cut_hair: hair meeting the crop's top, or the photo's own edge inside the
    crop, is measured by that edge's length (a share of the side); hair inside the photo and
    hair below the chin (long hair goes on past the crop's foot) are not."""
    from train.donors import cut_hair

    side = 100
    landmarks = np.zeros((478, 2), np.float32)
    landmarks[152] = (50, 80)                      # the chin
    inside = np.ones((side, side), np.float32)
    matte = np.zeros((side, side), np.float32)
    matte[10:60, 30:70] = 1.0                      # a head of hair inside the photo
    assert cut_hair(matte, inside, landmarks) == 0.0
    matte[0:10, 30:70] = 1.0                       # ... up to the crop's top
    assert cut_hair(matte, inside, landmarks) == pytest.approx(0.4)
    matte[:] = 0.0
    matte[10:60, 30:70] = 1.0
    inside[:, 60:] = 0.0                           # the photo ends inside the crop, through the hair
    assert cut_hair(matte * inside, inside, landmarks) == pytest.approx(0.5)
    matte[:] = 0.0
    matte[85:, 0:20] = 1.0                         # long hair past the chin, at the crop's side
    assert cut_hair(matte, np.ones_like(inside), landmarks) == 0.0


@pytest.mark.engines
def test_a_mirrored_donor_is_its_photo_mirrored_with_its_landmarks(bank):
    """A donor's mirror image has its pictures flipped, and landmarks where the face tracker
    finds them on the flipped photo (each landmark its mirror image's); its turn and yaw change
    sign."""
    from mirror.face.tracker import FaceTracker
    from mirror.face.warp import crop_yaw

    row = int(np.argmax(np.abs(bank.turns) * (np.abs(bank.turns) < 25)))
    donor, mirrored = bank.donor(row), bank.donor(row, mirrored=True)
    assert np.array_equal(mirrored.crop, donor.crop[:, ::-1]) and np.array_equal(mirrored.matte, donor.matte[:, ::-1])
    assert abs(crop_yaw(mirrored.landmarks) + crop_yaw(donor.landmarks)) < 0.5
    assert mirrored.pose[0] == -donor.pose[0]
    with FaceTracker(static=True) as tracker:
        found = tracker.process(np.ascontiguousarray(mirrored.crop)).landmarks[:, :2]
    error = np.linalg.norm(found - mirrored.landmarks, axis=1)
    assert np.median(error) < 0.01 * bank.side, float(np.median(error))


@pytest.mark.engines
@pytest.mark.data
def test_a_donor_turned_the_other_way_is_given_mirrored(bank, turned):
    """A turned head is given donors turned its way, as they are or mirrored: looks whose donors
    mostly turn the other way are not left to those few that turn its way."""
    from mirror.face.warp import crop_yaw
    from mirror.render.transplant import FitParams

    turned.want = "bob"
    donors = bank.nearest(turned, k=5)
    flipped = bank.mirrored(turned)[bank.ranked(turned)[:5]]
    assert flipped.any() and not flipped.all()
    turn = crop_yaw(turned.landmarks)
    apart = lambda donors: [abs(crop_yaw(d.landmarks) - turn) for d in donors]
    assert max(apart(donors)) < FitParams().yaw[0], apart(donors)
    plain = DonorBank.load(BANK, DonorWeights(mirror=False))
    assert not plain.mirrored(turned).any()
    assert max(apart(plain.nearest(turned, k=5))) > FitParams().yaw[0]


@pytest.mark.engines
def test_latent_alone_finds_the_donor_itself():
    """A donor's own latent ranks it first: the latent distance measures what it should."""
    bank = DonorBank.load(BANK, DonorWeights(cut=0.0))       # (the one term that needs no query)
    for row in (3, len(bank) // 3):
        donors = bank.nearest(DonorQuery(latent=bank.latents[row]), k=1)
        assert donors[0].index == row
    plain = DonorBank.load(BANK, DonorWeights(latent=0.0, cut=0.0))
    assert plain.distances(DonorQuery(latent=bank.latents[3])).max() == 0


# --- damaged banks ---

@pytest.mark.engines
def test_missing_and_damaged_banks_give_one_line_errors(tmp_path):
    truncated = tmp_path / "truncated.npz"
    with open(BANK, "rb") as f:
        truncated.write_bytes(f.read(4096))
    garbage = tmp_path / "garbage.npz"
    garbage.write_bytes(b"not a bank at all" * 100)
    other = tmp_path / "other.npz"
    np.savez(other, side=np.array(192))
    for path, words in ((tmp_path / "none.npz", "not found"), (truncated, "damaged"), (garbage, "damaged"),
                        (other, "not a donor bank")):
        with pytest.raises(MirrorError) as error:
            DonorBank.load(str(path))
        assert words in str(error.value) and "\n" not in str(error.value)


@pytest.mark.engines
def test_damaged_pictures_give_one_line_errors(tmp_path):
    """A bank whose picture bytes are damaged loads, and says so when a donor is decoded."""
    with np.load(BANK) as stored:
        arrays = {k: stored[k] for k in stored.files}
    arrays["crops"] = np.zeros_like(arrays["crops"])
    damaged = tmp_path / "damaged.npz"
    np.savez(damaged, **arrays)
    bank = DonorBank.load(str(damaged))
    with pytest.raises(MirrorError) as error:
        bank.donor(0)
    assert "damaged" in str(error.value) and "\n" not in str(error.value)


# --- head pose ---

def test_pose_of_a_frontal_photo_and_its_mirror_image(tracked):
    """Grace Hopper faces the camera: yaw about 0, and about 0 in the mirror too."""
    from mirror.face.tracker import FaceTracker

    name, image, face = tracked[0]
    assert abs(head_pose(face.landmarks)[0]) < 5
    with FaceTracker(static=True) as tracker:
        mirrored = tracker.process(np.ascontiguousarray(image[:, ::-1]))
    assert abs(head_pose(mirrored.landmarks)[0]) < 5


@pytest.mark.data
@pytest.mark.parametrize("photo, sign", [("182738.jpg", -1), ("182796.jpg", 1)])
def test_pose_of_turned_heads_has_the_turn_s_sign(photo, sign):
    """A head turned to the image's left reads negative yaw, to its right positive; its mirror
    image reads the opposite, about as much."""
    from mirror.face.tracker import FaceTracker

    image = cv2.imread(os.path.join(need(CELEBA), "img", photo))
    with FaceTracker(static=True) as tracker:
        yaw = head_pose(tracker.process(image).landmarks)[0]
        flipped = head_pose(tracker.process(np.ascontiguousarray(image[:, ::-1])).landmarks)[0]
    assert sign * yaw > 15 and -sign * flipped > 15
    assert abs(yaw + flipped) < 6


def test_pose_rejects_landmarks_without_depth():
    with pytest.raises(ValueError, match="478, 3"):
        head_pose(np.zeros((478, 2), np.float32))


def test_build_command_parses_as_documented(tmp_path):
    """``python -m train.donors`` takes the documented flags, and a bad data folder is one line."""
    import subprocess
    import sys

    from train.donors import parse_arguments

    args = parse_arguments(["--data", "celeba", "--engines", "engines", "--out", "engines/donors.npz"])
    assert (args.data, args.engines, args.out, args.limit, args.cache) == ("celeba", "engines", "engines/donors.npz",
                                                                           None, None)
    result = subprocess.run([sys.executable, "-m", "train.donors", "--data", str(tmp_path), "--out",
                             str(tmp_path / "d.npz")], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 2 and result.stderr.startswith("error: ") and result.stderr.count("\n") == 1
