"""CIELAB: the renderer's colour space, in OpenCV's 8-bit coding.

    lab = to_lab(bgr)            # (H, W, 3) float32, L* in [0, 100], a*, b* around 0
    bgr = from_lab(lab)          # (H, W, 3) float32 BGR in [0, 1]
    lab = from_codes(codes)      # to_lab's, from OpenCV's 8-bit codes (cv2.COLOR_BGR2LAB)

OpenCV converts 8-bit colour to CIELAB by table, 30x faster than in floating point; 8 bits
hold L* in steps of 0.4 and a*, b* in steps of 1, finer than hair colour needs.
"""
from __future__ import annotations

import cv2
import numpy as np

# The 8-bit coding: L* in [0, 100] as 0..255, a*, b* + 128.
LAB_SCALE = np.float32([100.0 / 255.0, 1.0, 1.0])
LAB_OFFSET = np.float32([0.0, 128.0, 128.0])
SUM = np.ones((1, 3), np.float32)   # cv2.transform by this: the sum of a pixel's three channels

# The same conversions as table look-ups (cv2.LUT: one vectorised pass, the same float32 values).
_LAB_VALUES = ((np.arange(256, dtype=np.float32)[:, None] - LAB_OFFSET) * LAB_SCALE).reshape(256, 1, 3)
_UNIT_VALUES = (np.arange(256, dtype=np.float32) * np.float32(1.0 / 255.0)).reshape(256, 1)


def to_lab(image: np.ndarray) -> np.ndarray:
    """(H, W, 3) BGR, uint8 or float in [0, 1] -> float32 CIELAB (L* in [0, 100], a*, b* around 0)."""
    if image.dtype != np.uint8:
        scaled = image * 255.0
        scaled += 0.5
        image = np.clip(scaled, 0, 255, out=scaled).astype(np.uint8)
    return from_codes(cv2.cvtColor(image, cv2.COLOR_BGR2LAB))


def from_codes(codes: np.ndarray) -> np.ndarray:
    """(H, W, 3) OpenCV's 8-bit CIELAB codes (``cv2.COLOR_BGR2LAB``) -> float32 CIELAB."""
    return cv2.LUT(codes, _LAB_VALUES)


def from_lab(lab: np.ndarray) -> np.ndarray:
    """Float32 CIELAB -> (H, W, 3) float32 BGR in [0, 1]."""
    lab8 = lab / LAB_SCALE
    lab8 += LAB_OFFSET
    lab8 += 0.5
    lab8 = np.clip(lab8, 0, 255, out=lab8).astype(np.uint8)
    return cv2.LUT(cv2.cvtColor(lab8, cv2.COLOR_LAB2BGR), _UNIT_VALUES)


def color_stats(lab: np.ndarray, weight: np.ndarray) -> np.ndarray | None:
    """(2, 3) float32 weighted mean and spread of CIELAB pixels, or None with too little weight."""
    w = weight.astype(np.float32)
    total = float(w.sum())
    if total < 4.0:
        return None
    mean = (lab * w[..., None]).reshape(-1, 3).sum(0) / total
    spread = np.sqrt(((lab - mean) ** 2 * w[..., None]).reshape(-1, 3).sum(0) / total)
    return np.stack([mean, np.maximum(spread, 1.0)]).astype(np.float32)
