"""train.metrics on small hand-made images whose answers are known."""
from __future__ import annotations

import cv2
import numpy as np
import pytest

from train.metrics import boundary_band, halo, roc_auc, seam, texture

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


def test_photo_metrics_reports_all_three():
    from train.metrics import photo_metrics

    original = photo(12)
    edited = shifted(original, 10.0 * (person_disk(12) == 0))
    interior = np.zeros((12, S, S), bool)
    interior[:, 24:40, 24:40] = True
    result = photo_metrics(edited, original, person_disk(12), interior)
    assert result["halo"] == pytest.approx(10, abs=0.1) and set(result) == {"halo", "texture", "seam"}
