"""The instruments of train.instruments: inner_face, reference transfer's agreement, pairing by
sex and age, and the linear detector on real whole-head photos (train.heads)."""
from __future__ import annotations

import glob
import os

import cv2
import numpy as np
import pytest

from conftest import CELEBA, ROOT, need
from train.metrics import inner_face
from train.twosample import linear_detectability, match_groups, paired

ENGINES = os.path.join(ROOT, "engines")


def test_inner_face_counts_only_changes_above_twelve_grey_levels_inside_the_hull():
    original = np.full((2, 6, 6, 3), 100, np.uint8)
    hulls = np.zeros((2, 6, 6), bool)
    hulls[0, 1:3, 1:6] = True          # 10 pixels
    hulls[1, 2:4, 2:4] = True          # 4 pixels
    edited = original.copy()
    edited[0, 1, 1:4, 1] = 113         # 3 hull pixels by 13 levels in one channel: changed
    edited[0, 2, 1:3] = 112            # 2 hull pixels by exactly 12: not changed
    edited[0, 5, :] = 255              # outside the hull: not counted
    edited[1, 2:4, 2:4, 2] = 87        # all 4 by 13 levels, downward
    assert inner_face(edited, original, hulls) == pytest.approx([0.3, 1.0])
    assert inner_face(original, original, hulls).tolist() == [0.0, 0.0]
    empty = inner_face(edited, original, np.zeros_like(hulls))
    assert np.isnan(empty).all()
    with pytest.raises(ValueError, match="hulls"):
        inner_face(edited, original, hulls[:1])


def test_reference_agreement_counts_only_pairs_that_differ():
    from train.instruments import agreement

    # Three pairs, two attributes. Attribute 0 differs in pairs 0 and 2: the decision agrees
    # with the reference in pair 0 only. Attribute 1 differs in pair 1 only, and agrees.
    users = np.array([[False, True], [True, False], [True, True]])
    references = np.array([[True, True], [True, True], [False, True]])
    decisions = np.array([[True, False], [False, True], [True, False]])
    assert agreement(decisions, users, references) == [(2, 0.5), (1, 1.0)]
    assert agreement(decisions, users, users) == [(0, None), (0, None)]


def test_the_matched_ceiling_is_the_judges_agreement_on_real_people_like_each_user():
    """A perfect copy of a reference's label on a user scores what the judge says of real people
    of the user's group who have that label: here it sees the attribute on 1 in 5 real men who
    have it and 4 in 5 women, and misses it on no one without it."""
    from train.instruments import _matched_ceiling

    groups = np.repeat([1, 0], 20)                                # 20 real men, then 20 women
    labels = np.tile(np.repeat([True, False], 10), 2)[:, None]    # half of each have it
    said = labels.copy()
    said[2:10, 0] = False                                         # seen on 2 of the 10 men ...
    said[22:24, 0] = False                                        # ... and 8 of the 10 women
    reals = (groups, labels, said)
    users, references = np.array([False, False, True, True]), np.array([True, True, True, False])
    # (pairs: a man gains it, a woman gains it, one differs in nothing, a man loses it)
    assert _matched_ceiling(reals, 0, np.array([1, 0, 1, 1]), users, references) == round((0.2 + 0.8 + 1.0) / 3, 4)
    assert _matched_ceiling(reals, 0, np.array([3, 3, 3, 3]), users, references) is None   # (no one like them)


def test_pairs_agree_on_sex_and_age_and_use_each_face_once():
    names = ["Male", "Smiling", "Young"]
    rng = np.random.default_rng(3)
    a = np.where(rng.random((50, 3)) < 0.5, 1, -1).astype(np.int8)
    b = np.where(rng.random((20, 3)) < 0.3, 1, -1).astype(np.int8)
    ia, ib = paired(match_groups(a, names), match_groups(b, names), seed=1)
    assert len(set(ia.tolist())) == len(ia) and len(set(ib.tolist())) == len(ib)
    assert (a[ia][:, [0, 2]] == b[ib][:, [0, 2]]).all()
    groups_a, groups_b = match_groups(a, names), match_groups(b, names)
    assert len(ia) == sum(min((groups_a == g).sum(), (groups_b == g).sum()) for g in range(4))
    # Smiling is no part of the group: two faces apart only in it share one.
    assert match_groups(np.int8([[1, 1, -1], [1, -1, -1]]), names).tolist() == [1, 1]


def test_linear_detector_tells_a_shifted_feature_and_not_one_distribution():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(60, 30)), rng.normal(size=(60, 30))
    same = linear_detectability(a, b, repeats=3)
    assert 0.35 <= same.auc <= 0.65
    shifted = a.copy()
    shifted[:, 7] += 2.5
    found = linear_detectability(shifted, b, repeats=3)
    assert found.auc >= 0.9 and found.scores_a.mean() > found.scores_b.mean()
    # Extra pairs teach the classifier, however few the pairs tested.
    more = rng.normal(size=(200, 30))
    extra = (more + np.eye(30)[7] * 2.5, rng.normal(size=(200, 30)))
    assert linear_detectability(shifted[:10], b[:10], extra=extra, repeats=3).auc >= 0.9
    with pytest.raises(ValueError, match="pairs"):
        linear_detectability(a[:3], b[:3])


@pytest.fixture(scope="module")
def heads():
    """Whole-head test photos tracked and cut out as the mirror shows them (HeadView)."""
    from train.heads import HeadView

    paths = sorted(glob.glob(os.path.join(need(CELEBA), "img", "18*.jpg")))[:44]
    with HeadView(ENGINES) as view:
        found = [view.head(p) for p in paths]
        return view, [h for h in found if h is not None][:40]


def test_head_detector_sees_an_obvious_smear_and_not_two_halves_of_one_set(heads):
    """The detector itself (classifier penultimate, logits, fine statistics, logistic regression)
    on real heads: the top of the head smeared on one half is told from the other half; the two
    halves left as they are are not."""
    from train.classifier import Classifier
    from train.heads import feature_blocks, head_features, skull

    _, found = heads
    classifier = Classifier(os.path.join(ENGINES, "classifier.onnx"))
    details = np.stack([h.detail for h in found])
    landmarks = np.stack([h.landmarks for h in found])
    crops = np.stack([h.crop for h in found])
    smeared = details.copy()
    for image, lm in zip(smeared, landmarks):
        top = skull(lm, 256)[..., None]
        image[:] = (image * (1 - top) + cv2.GaussianBlur(image, (0, 0), 4) * top).round().astype(np.uint8)
    small = np.stack([cv2.resize(d, (128, 128), interpolation=cv2.INTER_AREA) for d in smeared])
    half = len(found) // 2
    _, plain = head_features(classifier, details, crops, landmarks)
    _, blurred = head_features(classifier, smeared, small, landmarks)
    blocks, names = feature_blocks(plain.shape[1], classifier.names)
    assert len(names) == plain.shape[1] and names[-1] == "outside grey spread"
    weights = 1.0 / np.sqrt(np.bincount(blocks)[blocks])
    same = linear_detectability(plain[:half], plain[half:2 * half], repeats=3, weights=weights)
    told = linear_detectability(blurred[:half], plain[half:2 * half], repeats=3, weights=weights)
    assert told.auc >= 0.9
    assert 0.25 <= same.auc <= 0.75


def test_inner_face_of_a_real_edit_is_small_and_the_hull_covers_eyes_nose_mouth(heads):
    from mirror.face.regions import features

    view, found = heads
    head = found[0]
    hull = features(head.landmarks, head.detail.shape[:2])
    for point in (159, 386, 1, 13):                # eyes, nose tip, lips
        x, y = np.round(head.landmarks[point]).astype(int)
        assert hull[y, x]
    for point in (10, 152, 234):                   # forehead top, chin, cheek's edge
        x, y = np.round(head.landmarks[point]).astype(int)
        assert not hull[y, x]
    detail, crop = view.show(head, view.style("hairloss:5"))
    assert detail.shape == head.detail.shape and crop.shape == head.crop.shape
    assert (np.abs(detail.astype(int) - head.detail).max(axis=-1) > 12).mean() > 0.05   # it did edit
    assert inner_face(detail[None], head.detail[None], hull[None])[0] <= 0.03


def test_style_names_resolve_as_the_pipeline_knows_them(heads):
    from mirror.errors import MirrorError
    from train.heads import style_target

    view, _ = heads
    assert style_target("hairloss:5") == (("Bald",), 1)
    assert style_target("hairloss:-1") == (("Bald", "Receding_Hairline"), -1)
    assert style_target("bangs") == (("Bangs",), 1)
    assert style_target("donor_crop@Bald+Receding_Hairline") == (("Bald", "Receding_Hairline"), 1)
    assert style_target("donor_full@-Bald") == (("Bald",), -1)
    assert style_target("a_new_look") is None
    assert view.style("hairloss:3").name == "hairloss" and view.style("bald@Bald").name == "bald"
    with pytest.raises(MirrorError):
        view.style("hairloss:9")
    with pytest.raises(MirrorError):
        view.style("no_such_style")


def test_evaluate_parses_parts_and_any_style_name():
    from train.evaluate import merged, parse_arguments

    args = parse_arguments(["--engines", "e", "--data", "d", "--parts", "heads,clips", "--styles",
                            "bald,hairloss:4,donor@Bald", "--limit", "5"])
    assert args.parts == ("heads", "clips") and args.styles == ["bald", "hairloss:4", "donor@Bald"]
    assert args.limit == 5
    with pytest.raises(SystemExit):
        parse_arguments(["--engines", "e", "--data", "d", "--parts", "heads,everything"])
    old = {"heads": {"bald": 1, "bangs": 2}, "psnr": 20}
    assert merged(old, {"heads": {"bald": 3}}) == {"heads": {"bald": 3, "bangs": 2}, "psnr": 20}
