"""Temporal smoothing: the One Euro filter (Casiez et al., 2012), over whole arrays at once.

Little smoothing when things move fast (no lag), strong smoothing when they are still (no jitter).
``HeadFilter`` smooths face landmarks as a head's pose and its expression, each with its own.
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


def similarity(source: np.ndarray, target: np.ndarray) -> tuple[float, float, np.ndarray]:
    """(scale, angle in radians, the target's centre): the similarity that takes the points
    ``source`` (N, 2) onto ``target`` (N, 2) best in least squares (Umeyama):
    ``target ~ centre_t + scale * R(angle) @ (source - centre_s)``, the centres their means."""
    centre_s, centre_t = source.mean(axis=0), target.mean(axis=0)
    a, b = source - centre_s, target - centre_t
    dot = float((a * b).sum())
    cross = float((a[:, 0] * b[:, 1] - a[:, 1] * b[:, 0]).sum())
    scale = math.hypot(dot, cross) / max(float((a * a).sum()), 1e-9)
    return scale, math.atan2(cross, dot), centre_t


class HeadFilter:
    """Smooths face landmarks (N, 2+) in pixels as a head's pose and its expression, apart.

    The pose is the similarity (position, rotation, scale) taking the first frame's ``rigid``
    points onto this frame's: points that move with the head, not with the face (a talking
    mouth, a blink). Its One Euro filter follows the head's own speed; the expression, the
    landmarks taken back into the first frame's pose, has a steadier one of its own. One filter
    over all the landmarks (speed shared) lagged a moving head by its mean speed: drawn hair slid
    off a nodding head (about twice as far behind on average), while a still head that talked was
    less steady.

    Args:
        rigid: indices of the points that move with the head.
        pose: (min_cutoff, beta) for the pose, in pixels (rotation and scale at the rigid points'
            mean radius).
        expression: (min_cutoff, beta) for the expression.
    """

    def __init__(self, rigid: list[int] | np.ndarray, pose: tuple[float, float] = (0.3, 0.1),
                 expression: tuple[float, float] = (0.3, 0.01)):
        self.rigid = np.asarray(rigid)
        self._pose = OneEuroFilter(*pose, shared_speed=True)
        self._expression = OneEuroFilter(*expression, shared_speed=True)
        self.reset()

    def reset(self) -> None:
        """Forgets the past (call when the face is lost)."""
        self._pose.reset()
        self._expression.reset()
        self._reference: np.ndarray | None = None

    def __call__(self, landmarks: np.ndarray, t_seconds: float) -> np.ndarray:
        """Returns the smoothed ``landmarks`` (N, 2+) sampled at ``t_seconds``."""
        points = np.asarray(landmarks, dtype=np.float32)
        xy = points[:, :2].astype(np.float64)
        if self._reference is None or self._reference.shape != xy.shape:
            self._reference = xy[self.rigid]
            self._radius = max(float(np.sqrt(((self._reference - self._reference.mean(axis=0)) ** 2).sum(axis=1).mean())), 1.0)
        scale, angle, centre = similarity(self._reference, xy[self.rigid])
        radius = self._radius
        pose = self._pose(np.float32([centre[0], centre[1], angle * radius, math.log(scale) * radius]), t_seconds)
        # The expression: every landmark in the pose's own frame (depth, if any, scaled with it).
        expression = np.empty_like(points)
        expression[:, :2] = (xy - centre) @ _rotation(angle) / scale
        expression[:, 2:] = points[:, 2:] / scale
        expression = self._expression(expression, t_seconds)
        scale, angle = math.exp(pose[3] / radius), pose[2] / radius
        out = np.empty_like(points)
        out[:, :2] = expression[:, :2] @ _rotation(angle).T * scale + pose[:2]
        out[:, 2:] = expression[:, 2:] * scale
        return out


def _rotation(angle: float) -> np.ndarray:
    """(2, 2) float64: the rotation by ``angle`` (radians) of column vectors."""
    c, s = math.cos(angle), math.sin(angle)
    return np.array([[c, -s], [s, c]])
