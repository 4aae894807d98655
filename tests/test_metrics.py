"""train.metrics on small hand-made images whose answers are known."""
from __future__ import annotations

import cv2
import numpy as np
import pytest

from train.metrics import DETECT_SEEDS, boundary_band, detectability, halo, matched, roc_auc, seam, texture

S = 64


def photo(n: int = 2, seed: int = 0, sigma: float = 1.0, spread: float = 40.0) -> np.ndarray:
    """(n, S, S, 3) uint8 smooth-ish noise around mid grey: a stand-in for a photo's detail."""
    rng = np.random.default_rng(seed)
    noise = rng.normal(0, 1, (n, S, S, 3)).astype(np.float32)
    noise = np.stack([cv2.GaussianBlur(x, (0, 0), sigma) for x in noise])
    noise *= spread / noise.std()
    return np.clip(128 + noise, 0, 255).astype(np.uint8)


def shifted(images: np.ndarray, amount: np.ndarray) -> np.ndarray:
    """images + amount (broadcast over channels), rounded to uint8."""
    return np.clip(images.astype(np.float64) + amount[..., None] + 0.5, 0, 255).astype(np.uint8)


def person_disk(n: int = 2, radius: int = 16) -> np.ndarray:
    """(n, S, S) uint8 selfie probability: 255 in a centred disk."""
    mask = np.zeros((S, S), np.uint8)
    cv2.circle(mask, (S // 2, S // 2), radius, 255, -1)
    return np.repeat(mask[None], n, 0)


def test_halo_is_the_change_on_the_background_and_zero_without_one():
    original = photo()
    person = person_disk()
    assert halo(original, original, person) == 0.0
    # 10 grey levels added everywhere off the person: the background (beyond the silhouette
    # grown by 8 % of S) changed by 10 everywhere.
    edited = shifted(original, 10.0 * (person == 0))
    assert halo(edited, original, person) == pytest.approx(10, abs=0.1)
    # A change on the person and the 8 % margin around it is no halo.
    inside = np.zeros((S, S))
    cv2.circle(inside, (S // 2, S // 2), 16 + 4, 1, -1)
    edited = shifted(original, 30 * np.repeat(inside[None], 2, 0))
    assert halo(edited, original, person) == 0.0
    # The same change with an ungrown silhouette reaches the background.
    assert halo(edited, original, person, grow=0.0) > 1


def test_halo_rejects_bad_shapes():
    original = photo()
    with pytest.raises(ValueError, match="uint8"):
        halo(original.astype(np.float32), original, person_disk())
    with pytest.raises(ValueError, match="person"):
        halo(original, original, person_disk(3))


def test_texture_is_below_one_for_a_smear_above_one_for_noise_and_none_without_change():
    original = photo(sigma=0.7)
    assert texture(original, original) is None
    region = np.zeros((S, S), bool)
    region[16:48, 16:48] = True
    smeared = original.copy()
    for image, blurred in zip(smeared, [cv2.GaussianBlur(x, (0, 0), 2.0) for x in original]):
        image[region] = blurred[region]
    value = texture(smeared, original)
    assert value is not None and value < 0.3
    noisy = shifted(original, np.random.default_rng(1).normal(0, 30, (2, S, S)) * region)
    assert texture(noisy, original) > 1.2
    # A flat colour shift keeps the detail: the ratio is 1.
    assert texture(shifted(original, 20 * np.repeat(region[None], 2, 0)), original) == pytest.approx(1, abs=0.15)


def interior_square() -> np.ndarray:
    interior = np.zeros((2, S, S), bool)
    interior[:, 20:44, 20:44] = True
    return interior


def test_seam_band_is_two_pixels_each_side():
    band = boundary_band(interior_square())
    assert band[0, 32, 18:22].all() and band[0, 32, 42:46].all()
    assert not band[0, 32, 16] and not band[0, 32, 24] and not band[0, 32, 32]


def test_seam_is_high_for_a_hard_step_and_low_for_a_smooth_one():
    original = photo(sigma=1.5, spread=15)
    interior = interior_square()
    assert seam(original, original, interior) == 0.0
    hard = shifted(original, 60.0 * ~interior)
    assert seam(hard, original, interior) > 2
    # The same 60 levels reached over 20 px from the boundary: a gentle ramp, no seam.
    distance = np.stack([cv2.distanceTransform((~m).astype(np.uint8), cv2.DIST_L2, 5) for m in interior])
    smooth = shifted(original, 60.0 * np.clip(distance / 20, 0, 1))
    value = seam(smooth, original, interior)
    assert value is not None and value <= 1.0
    assert seam(original, original, np.zeros((2, S, S), bool)) is None


def test_roc_auc_by_ranks():
    assert roc_auc(np.array([3, 4, 5]), np.array([0, 1, 2])) == 1.0
    assert roc_auc(np.array([0, 1]), np.array([2, 3])) == 0.0
    assert roc_auc(np.array([1, 1]), np.array([1, 1])) == 0.5
    assert roc_auc(np.array([2, 0]), np.array([1])) == 0.5
    with pytest.raises(ValueError):
        roc_auc(np.array([]), np.array([1]))


def small_faces(n: int, seed: int) -> np.ndarray:
    """(n, 32, 32, 3) uint8: random smooth blobs, one draw of a distribution."""
    rng = np.random.default_rng(seed)
    images = rng.normal(0, 1, (n, 8, 8, 3)).astype(np.float32)
    images = np.stack([cv2.resize(x, (32, 32), interpolation=cv2.INTER_CUBIC) for x in images])
    return np.clip(128 + 40 * images, 0, 255).astype(np.uint8)


def test_detectability_is_chance_on_one_distribution_and_high_on_an_obvious_artefact():
    reals, fakes = small_faces(60, 0), small_faces(60, 1)
    same = detectability(fakes, reals, folds=3, seed=0)
    assert 0.25 <= same <= 0.75
    stamped = fakes.copy()
    stamped[:, 10:18, 12:20] = 250
    assert detectability(stamped, reals, folds=3, seed=0) >= 0.9
    assert detectability(fakes, reals, folds=3, seed=0) == same       # deterministic for a seed


def test_spotted_scores_the_edits_with_an_artefact_highest_and_looks_at_it():
    """train.spotted: each edit's held-out score and where the test looks (its gradient)."""
    from train.spotted import sheet, spot

    reals, fakes = small_faces(60, 0), small_faces(60, 1)
    fakes[::2, 10:18, 12:20] = 250                   # half the edits carry a stamp
    scores, maps = spot(fakes, reals, seeds=1, folds=3)
    assert np.isfinite(scores).all() and maps.shape == (60, 32, 32)
    assert scores[::2].min() > scores[1::2].max()     # every stamped edit above every clean one
    inside = maps[::2, 8:20, 10:22].sum(axis=(1, 2)) / maps[::2].sum(axis=(1, 2))
    assert np.median(inside) > 3 * (12 * 12) / (32 * 32)   # it looks at the stamp
    image, order = sheet(fakes, fakes, scores, maps, [str(i) for i in range(60)], 4)
    assert sorted(order) == sorted(np.argsort(-scores)[:4].tolist()) and all(i % 2 == 0 for i in order)
    assert image.shape == (256, 4 * 3 * 256, 3)


def test_detectability_rejects_too_few_images_and_mixed_sizes():
    with pytest.raises(ValueError, match="at least"):
        detectability(small_faces(2, 0), small_faces(10, 1), folds=5)
    with pytest.raises(ValueError, match="shape"):
        detectability(small_faces(10, 0), photo(10), folds=2)


def test_photo_metrics_reports_all_four_and_skips_detectability_without_reals():
    from train.metrics import photo_metrics

    original = photo(12)
    edited = shifted(original, 10.0 * (person_disk(12) == 0))
    interior = np.zeros((12, S, S), bool)
    interior[:, 24:40, 24:40] = True
    result = photo_metrics(edited, original, person_disk(12), interior)
    assert result["halo"] == pytest.approx(10, abs=0.1) and result["detectability"] is None
    assert set(result) == {"halo", "texture", "seam", "detectability", "detectability_spread", "detectability_faces"}
    with_reals = photo_metrics(edited[:4], original[:4], person_disk(4), interior[:4], reals=original)
    assert with_reals["detectability"] is None and with_reals["detectability_faces"] == 0   # too few
    assert with_reals["detectability_unedited"] is None and with_reals["detectability_unedited_faces"] == 0


def test_photo_metrics_also_score_the_faces_left_unedited_against_the_reals():
    from train.metrics import photo_metrics

    # Faces unlike the real photos (a mark on each) and edits that made them like them (the
    # same kind of image): leaving the faces as they were is told apart, the edits are not.
    reals, faces, edits = small_faces(40, 0), small_faces(40, 1), small_faces(40, 2)
    faces[:, 10:18, 12:20] = 250
    interior = np.zeros((40, 32, 32), bool)
    result = photo_metrics(edits, faces, np.ones((40, 32, 32), np.float32), interior, reals=reals)
    runs = [detectability(faces, reals, seed=k, max_per_class=40) for k in range(DETECT_SEEDS)]
    assert result["detectability_unedited"] == pytest.approx(np.mean(runs), abs=1e-4)
    assert result["detectability_unedited_spread"] == pytest.approx(np.std(runs), abs=1e-4)
    assert result["detectability_unedited_faces"] == 40
    assert result["detectability_unedited"] > 0.8 and result["detectability"] < 0.7


def test_matched_samples_hold_as_many_of_each_group_on_both_sides():
    # Edits of everyone against real photos mostly of one group (as real blond photos are
    # mostly of young women): matched, both sides have each group's smaller count.
    edits = np.array([0] * 40 + [1] * 40 + [2] * 5)
    reals = np.array([0] * 3 + [1] * 60 + [3] * 7)
    a, b = matched(edits, reals, seed=0)
    assert len(a) == len(b) == 3 + 40
    assert np.array_equal(np.sort(edits[a]), np.sort(reals[b]))
    assert len(set(a)) == len(a) and len(set(b)) == len(b)
    assert np.array_equal(matched(edits, reals, seed=0)[1], b)        # deterministic for a seed
    assert len(matched(np.array([0, 0]), np.array([1]))[0]) == 0      # no group in common


def test_photo_metrics_run_the_matched_test_on_matched_samples():
    from train.metrics import photo_metrics

    reals, fakes = small_faces(40, 0), small_faces(40, 1)
    interior = np.zeros((40, 32, 32), bool)
    groups = (np.array([0] * 20 + [1] * 20), np.array([0] * 5 + [1] * 35))
    result = photo_metrics(fakes, reals, np.ones((40, 32, 32), np.float32), interior, reals=reals, groups=groups)
    assert result["detectability_faces"] == 40 and result["detectability_matched_faces"] == 25
    assert 0.0 <= result["detectability_matched"] <= 1.0
    # The mean of DETECT_SEEDS runs from the seed on, and their spread.
    a, b = matched(*groups, seed=0)
    runs = [detectability(fakes[a], reals[b], seed=k, max_per_class=25) for k in range(DETECT_SEEDS)]
    assert result["detectability_matched"] == pytest.approx(np.mean(runs), abs=1e-4)
    assert result["detectability_matched_spread"] == pytest.approx(np.std(runs), abs=1e-4)
