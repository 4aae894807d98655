"""The numbers every training tool reports, computed one way: reconstruction PSNR and the
posterior's KL per latent dimension."""
from __future__ import annotations

import numpy as np

MIN_MSE = 1e-10   # a perfect reconstruction scores 100 dB rather than infinity


def psnr(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(N,) PSNR in dB of N image pairs in [0, 1] (any shape after the first axis, any float or
    uint8 / 255 scaling already applied)."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    mse = ((a - b) ** 2).reshape(len(a), -1).mean(1)
    return -10.0 * np.log10(np.maximum(mse, MIN_MSE))


def kl_per_dimension(mu: np.ndarray, logvar: np.ndarray) -> np.ndarray:
    """(Z,) mean KL(q(z|x) || N(0, 1)) per latent dimension, in nats, of (N, Z) posteriors."""
    return (0.5 * (mu ** 2 + np.exp(logvar) - logvar - 1.0)).mean(axis=0)
