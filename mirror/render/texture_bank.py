"""Hair texture for hair that has none of its own: real hair's fine pattern of light and shade,
lent to a recolouring where the person's hair is too flat to carry one.

    bank = TextureBank.load("engines/hair_textures.npz")   # python -m train.textures
    donor = bank.pick(mask, lightness=crop_l)              # whose hair covers this hair best, running its way
    offset = lighten(codes, weight, bank.detail_at(donor, size)[box], bank.spread[donor],
                     target_spread, gain)                  # to add to the recoloured L* codes

Hair that a photo crushed to black keeps no strands: recoloured blond it is a flat tan, and the
two-sample test spots it (blond's detectability 0.80 on people with dark hair against 0.61 on
the rest). The bank holds the lightness pattern of real blond hair (L* less its local mean, on
the sure hair) of training faces, in the aligned crop's coordinates, where every head sits in
the same place: a donor's strands fall where the person's would.
"""
from __future__ import annotations

import functools
import os

import cv2
import numpy as np

from mirror.errors import MirrorError
from mirror.render.imaging import median

PICK_SIZE = 32         # donors are matched on their hair masks at this size
EXCESS = 0.3           # ... losing this much for their hair where the person has none
ALONG = 0.5            # ... and gaining this much for strands that run as the person's do (-1 across, 1 along:
                       # a donor's strands across a person's were a plaid in blond and gray),
RUNS_SIZE = 64         # ... which way they run measured at this size (at 128, half a millisecond more a frame in video)
CURL = 1.0             # ... and losing this much for each unit their strands' coherence (1 straight, lower as
                       # they curl or crimp) differs from the person's (crimped strands lent to straight hair,
                       # which runs the same way on the whole, were a zigzag across it)
KEEP = 0.5             # in video, a new donor must match this much better than the one in use (lower, a long-haired
                       # clip changed donor every few seconds)
SAMPLE = 2000          # the hair's own lightness spread is measured on at most about this many pixels


class TextureBank:
    """Donors' hair detail (``python -m train.textures``).

    Attributes:
        detail: (N, S, S) int8, L* offsets from the local mean times 1 / ``scale``, 0 off the hair.
        scale: L* per unit of ``detail``.
        hair: (N, PICK_SIZE, PICK_SIZE) float32 in [0, 1], each donor's sure hair.
        spread: (N,) float32, the standard deviation of each donor's detail over its hair (L*).
        runs: (N, PICK_SIZE * PICK_SIZE * 2) float32, which way each donor's strands run
            (``strand_field``, flattened); run_strength: (N, PICK_SIZE * PICK_SIZE), how strongly.
        coherence: (N,) float32, how straight each donor's strands run (``coherence``).
    """

    def __init__(self, detail: np.ndarray, scale: float, hair: np.ndarray):
        self.detail = np.asarray(detail, np.int8)
        self.scale = float(scale)
        self.hair = np.asarray(hair, np.float32)
        if self.detail.ndim != 3 or len(self.detail) == 0 or self.hair.shape != (len(self.detail), PICK_SIZE, PICK_SIZE):
            raise ValueError(f"texture bank of {self.detail.shape} details and {self.hair.shape} masks")
        values = [d[d != 0].astype(np.float32) * self.scale for d in self.detail]
        self.spread = np.float32([v.std() if len(v) else 0.0 for v in values])
        tensors = [structure(d.astype(np.float32), (d != 0).astype(np.float32)) for d in self.detail]
        runs = np.stack([strand_field(tensor) for tensor in tensors])
        self.runs = runs.reshape(len(runs), -1)
        self.run_strength = np.linalg.norm(runs, axis=-1).reshape(len(runs), -1)
        self.coherence = np.float32([coherence(tensor) for tensor in tensors])

    @classmethod
    def load(cls, path: str) -> TextureBank | None:
        """The bank in ``path``; None if there is no such file (the mirror lends no texture).

        Raises:
            MirrorError: the file is there but cannot be read.
        """
        if not os.path.isfile(path):
            return None
        try:
            with np.load(path) as data:
                return cls(data["detail"], float(data["scale"]), data["hair"].astype(np.float32) / 255.0)
        except (OSError, ValueError, KeyError, EOFError) as error:
            raise MirrorError(f"broken hair texture bank: {path} ({error})") from None

    def pick(self, mask: np.ndarray, current: int | None = None, lightness: np.ndarray | None = None) -> int:
        """The donor whose hair best covers ``mask`` (R, R) float32 hair (with least hair beyond
        it) and whose strands run most as those of the person's ``lightness`` (any square size;
        None: coverage alone), as straight or curled; ``current``: the one in use, kept unless
        another matches KEEP better (no flicker)."""
        small = cv2.resize(mask.astype(np.float32, copy=False), (PICK_SIZE, PICK_SIZE), interpolation=cv2.INTER_AREA)
        total = max(float(small.sum()), 1e-3)
        score = (np.minimum(self.hair, small).sum(axis=(1, 2)) - EXCESS * np.maximum(self.hair - small, 0).sum(axis=(1, 2))) / total
        if lightness is not None:
            tensor = structure(lightness.astype(np.float32), mask.astype(np.float32, copy=False))
            runs = strand_field(tensor)
            # (element-wise, not a matrix product: BLAS's threads spin on the frames' cores)
            along = (self.runs * runs.ravel()).sum(axis=1)
            strength = (self.run_strength * np.linalg.norm(runs, axis=-1).ravel()).sum(axis=1)
            score += ALONG * along / np.maximum(strength, 1e-9)
            score -= CURL * np.abs(self.coherence - coherence(tensor))
        best = int(np.argmax(score))
        if current is not None and score[best] < score[current] + KEEP:
            return current
        return best

    def detail_at(self, donor: int, size: int) -> np.ndarray:
        """(size, size) float32 L* offsets of ``donor``'s hair at the renderer's resolution."""
        return _resized(self, donor, size)


def structure(lightness: np.ndarray, weight: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(xx, yy, xy) (RUNS_SIZE, RUNS_SIZE) float32: the structure tensor of ``lightness`` (S, S,
    any S) on ``weight`` (S, S) hair, measured at RUNS_SIZE and smoothed to PICK_SIZE's scale."""
    lightness, weight = (cv2.resize(a, (RUNS_SIZE, RUNS_SIZE), interpolation=cv2.INTER_AREA) for a in (lightness, weight))
    dx = cv2.Sobel(lightness, cv2.CV_32F, 1, 0, ksize=3)
    dy = cv2.Sobel(lightness, cv2.CV_32F, 0, 1, ksize=3)
    sigma = lightness.shape[0] / PICK_SIZE
    return tuple(cv2.GaussianBlur(a * weight, (0, 0), sigma) for a in (dx * dx, dy * dy, dx * dy))


def strand_field(tensor: tuple[np.ndarray, np.ndarray, np.ndarray]) -> np.ndarray:
    """(PICK_SIZE, PICK_SIZE, 2) float32: which way the strands run (``structure``'s ``tensor``):
    its doubled angle (cos, sin) times its strength (two fields' agreement is their dot product)."""
    xx, yy, xy = tensor
    return cv2.resize(cv2.merge([xx - yy, 2.0 * xy]), (PICK_SIZE, PICK_SIZE), interpolation=cv2.INTER_AREA)


def coherence(tensor: tuple[np.ndarray, np.ndarray, np.ndarray]) -> float:
    """How straight the strands run (``structure``'s ``tensor``), in [0, 1]: the share of the
    lightness's gradient energy across one direction (straight hair near 0.9, curls near 0.5)."""
    xx, yy, xy = tensor
    return float(np.sqrt((xx - yy) ** 2 + 4.0 * xy * xy).sum() / max(float((xx + yy).sum()), 1e-9))


@functools.lru_cache(maxsize=8)
def _resized(bank: TextureBank, donor: int, size: int) -> np.ndarray:
    detail = bank.detail[donor].astype(np.float32) * bank.scale
    if detail.shape[0] == size:
        return detail
    return cv2.resize(detail, (size, size), interpolation=cv2.INTER_LINEAR)


def lighten(lightness: np.ndarray, weight: np.ndarray, detail: np.ndarray, detail_spread: float,
            spread: float, gain: float) -> np.ndarray | None:
    """(H, W) float32 to add to a recoloured box's 8-bit L* codes ``lightness`` (H, W; L* x 2.55):
    a donor's ``detail`` (H, W) L* through ``weight`` (H, W) in [0, 1], as much as the sure hair's
    own lightness spread falls short of ``spread`` (the target's, L*), times ``gain``; None if it
    has enough (``ColorTable.apply`` adds it before leaving CIELAB)."""
    sure = lightness[weight > 0.8]
    if len(sure) < 20 or detail_spread <= 0:
        return None
    # An even sample: the spread of a few thousand pixels is as good.
    sure = sure[::max(1, len(sure) // SAMPLE)] * (100.0 / 255.0)
    own = 1.4826 * float(median(np.abs(sure - median(sure))))
    amount = gain * np.sqrt(max(spread * spread - own * own, 0.0)) / detail_spread
    if amount <= 0:
        return None
    return (amount * 255.0 / 100.0) * weight * detail
