"""The fitted latent prior: stored in styles.json, sampled by the style library, N(0, I) without it."""
from __future__ import annotations

import json
import os

import numpy as np
import pytest

from conftest import ROOT
from mirror.backends import load_model_files
from mirror.errors import MirrorError
from mirror.edit.styles import LatentPrior, StyleLibrary

ENGINES = os.environ.get("HAIR_MIRROR_ENGINES", os.path.join(ROOT, "engines"))


def correlated(n: int, dim: int, seed: int = 0) -> np.ndarray:
    """(n, dim) latents with an uneven, correlated spread and a non-zero mean."""
    rng = np.random.default_rng(seed)
    mixing = rng.standard_normal((dim, dim)) * np.linspace(2.0, 0.2, dim)
    return (rng.standard_normal((n, dim)) @ mixing.T + rng.standard_normal(dim)).astype(np.float32)


def relative_error(estimate: np.ndarray, truth: np.ndarray) -> float:
    return float(np.linalg.norm(estimate - truth) / np.linalg.norm(truth))


@pytest.fixture(scope="module")
def shipped():
    return StyleLibrary(load_model_files(ENGINES).styles)


def test_fitted_prior_round_trips_through_styles_json(tmp_path):
    latents = correlated(3000, 8)
    prior = LatentPrior.fit(latents)
    assert prior.images == 3000
    np.testing.assert_allclose(prior.mean, latents.mean(0), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(prior.covariance, np.cov(latents.astype(np.float64), rowvar=False), rtol=1e-3, atol=1e-4)
    path = tmp_path / "styles.json"
    path.write_text(json.dumps({"size": 128, "latent_dim": 8, "styles": {}, "latent_prior": prior.to_json()}, indent=1))
    loaded = StyleLibrary(json.loads(path.read_text())).prior
    np.testing.assert_array_equal(loaded.mean, prior.mean)
    np.testing.assert_array_equal(loaded.cholesky, prior.cholesky)
    assert loaded.images == 3000 and not np.triu(loaded.cholesky, 1).any()


def test_shipped_prior_samples_have_its_mean_and_covariance(shipped):
    prior = shipped.prior
    assert prior is not None and prior.images >= 4000 and "fitted" in shipped.prior_label
    samples = shipped.sample_prior(np.random.default_rng(0), 4000).astype(np.float64)
    assert samples.shape == (4000, shipped.latent_dim)
    np.testing.assert_allclose(samples.mean(0), prior.mean, atol=0.15)
    assert relative_error(np.cov(samples, rowvar=False), prior.covariance) < 0.15
    cooler = shipped.sample_prior(np.random.default_rng(1), 4000, temperature=0.5).astype(np.float64)
    assert relative_error(np.cov(cooler, rowvar=False), 0.25 * prior.covariance) < 0.15
    # Real faces fill only part of N(0, I): the fitted spread is far from isotropic.
    spread = np.linalg.eigvalsh(prior.covariance)
    assert spread.max() / spread.min() > 50


def test_a_library_without_a_prior_falls_back_to_the_standard_normal(shipped):
    old = {key: value for key, value in load_model_files(ENGINES).styles.items() if key != "latent_prior"}
    library = StyleLibrary(old)
    assert library.prior is None and "N(0, I)" in library.prior_label
    samples = library.sample_prior(np.random.default_rng(0), 4000, temperature=2.0).astype(np.float64)
    np.testing.assert_allclose(samples.mean(0), 0, atol=0.25)
    np.testing.assert_allclose(np.cov(samples, rowvar=False), 4 * np.eye(library.latent_dim), atol=0.6)
    assert library.names == shipped.names


def test_a_broken_prior_is_a_clear_error():
    entry = LatentPrior.fit(correlated(500, 4)).to_json()
    for broken in ({**entry, "cholesky": entry["cholesky"][:3]}, {**entry, "mean": entry["mean"][:3]},
                   {"mean": entry["mean"]}):
        with pytest.raises(MirrorError, match="latent_prior"):
            StyleLibrary({"latent_dim": 4, "styles": {}, "latent_prior": broken})
