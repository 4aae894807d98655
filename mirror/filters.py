"""Temporal smoothing: the One Euro filter (Casiez et al., 2012), over whole arrays at once.

Little smoothing when things move fast (no lag), strong smoothing when they are still (no jitter).
"""
from __future__ import annotations

import math

import numpy as np


class OneEuroFilter:
    """Smooths an array signal sample by sample.

    Args:
        min_cutoff: cutoff frequency (Hz) at rest; lower is steadier.
        beta: how fast the cutoff rises with speed; higher follows fast motion more closely.
        d_cutoff: cutoff (Hz) for the speed estimate.
        shared_speed: one cutoff for the whole array, from its mean speed (for points that move
            together, like a face's landmarks: their own jitter averages out, a real move does not).
    """

    def __init__(self, min_cutoff: float = 1.0, beta: float = 0.05, d_cutoff: float = 1.0,
                 shared_speed: bool = False):
        self.min_cutoff, self.beta, self.d_cutoff = min_cutoff, beta, d_cutoff
        self.shared_speed = shared_speed
        self.reset()

    def reset(self) -> None:
        """Forgets the past (call when the face is lost)."""
        self._x = self._dx = self._t = None

    @staticmethod
    def _alpha(cutoff: np.ndarray | float, dt: float) -> np.ndarray | float:
        tau = 1.0 / (2 * math.pi * cutoff)
        return 1.0 / (1.0 + tau / dt)

    def __call__(self, x: np.ndarray, t_seconds: float) -> np.ndarray:
        """Returns the smoothed value of ``x`` (any shape, float) sampled at ``t_seconds``."""
        x = np.asarray(x, dtype=np.float32)
        if self._x is None or self._x.shape != x.shape or t_seconds <= self._t:
            self._x, self._dx, self._t = x.copy(), np.zeros_like(x), t_seconds
            return x
        dt = t_seconds - self._t
        dx = (x - self._x) / dt
        a_d = self._alpha(self.d_cutoff, dt)
        self._dx = a_d * dx + (1 - a_d) * self._dx
        speed = np.abs(self._dx).mean() if self.shared_speed else np.abs(self._dx)
        cutoff = self.min_cutoff + self.beta * speed
        a = self._alpha(cutoff, dt)
        self._x = (a * x + (1 - a) * self._x).astype(np.float32)
        self._t = t_seconds
        return self._x
