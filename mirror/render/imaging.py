"""Image helpers shared by the renderer's effects, the compositor and the carried edits: boxes,
8-bit blends, wide blurs, fixed noise, reflections, medians.

    box = nonzero_box(mask > 0)                  # ((y0, y1), (x0, x1)), or None
    out = over(target, weight, under)            # uint8 blend through a uint8 weight
"""
from __future__ import annotations

import cv2
import numpy as np


def nonzero_box(mask: np.ndarray) -> tuple[tuple[int, int], tuple[int, int]] | None:
    """((y0, y1), (x0, x1)), the end-exclusive box of the (H, W) bool ``mask``'s True pixels, or
    None (cv2.boundingRect: a tenth of the time of NumPy's nonzero on a crop)."""
    x, y, width, height = cv2.boundingRect(mask.view(np.uint8))
    if width == 0 or height == 0:
        return None
    return (y, y + height), (x, x + width)


def within(box: tuple[int, int, int, int], roi: tuple[int, int, int, int]) -> tuple[slice, slice] | None:
    """The part of frame box ``box`` (x0, y0, x1, y1) inside ``roi``, as slices of ``roi``'s
    pixels; None if they do not meet."""
    x0, y0 = max(box[0], roi[0]), max(box[1], roi[1])
    x1, y1 = min(box[2], roi[2]), min(box[3], roi[3])
    if x1 <= x0 or y1 <= y0:
        return None
    return slice(y0 - roi[1], y1 - roi[1]), slice(x0 - roi[0], x1 - roi[0])


def over(target: np.ndarray, weight: np.ndarray, under: np.ndarray) -> np.ndarray:
    """(H, W, 3) uint8: ``target`` (uint8) over ``under`` (uint8, or float32 unclipped) through
    ``weight`` (H, W, 3) uint8 in [0, 255]."""
    depth = cv2.CV_8U if under.dtype == np.uint8 else cv2.CV_32F
    return cv2.add(cv2.multiply(target, weight, scale=1 / 255, dtype=depth),
                   cv2.multiply(under, 255 - weight, scale=1 / 255, dtype=depth), dtype=cv2.CV_8U)


def with_weight(color: np.ndarray, replace: np.ndarray) -> np.ndarray:
    """(H, W, 4) uint8: a drawn crop (H, W, 3) uint8 and, as its fourth channel, its weight
    ``replace`` (H, W) in [0, 1] times 255: one image, warped at once."""
    return cv2.merge([color, cv2.convertScaleAbs(replace, alpha=255.0)])


def blend(base: np.ndarray, over: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """(H, W, 3) uint8: ``base + weight * (over - base)`` (``weight`` (H, W) float32 in [0, 1],
    or uint8 in [0, 255]), in 8 bits (within 1 of it: 4x faster than in float, on every frame the
    wall is drawn past the crop)."""
    if weight.dtype != np.uint8:
        weight = cv2.convertScaleAbs(weight, alpha=255.0)
    weight = cv2.merge([weight, weight, weight])
    return cv2.add(cv2.multiply(over, weight, scale=1 / 255), cv2.multiply(base, 255 - weight, scale=1 / 255))


def per_channel(weight: np.ndarray, channels: int = 3) -> np.ndarray:
    """(H, W, channels): the (H, W) ``weight`` repeated for each channel of an image, for arithmetic
    with it in numpy's plain loops (``weight[..., None]``'s broadcast over a last axis of 3 runs
    about ten times slower: half a millisecond on a 256 px crop)."""
    return cv2.merge([weight] * channels)


def wide_blur(image: np.ndarray, sigma: float) -> np.ndarray:
    """A Gaussian blur of ``sigma`` pixels, made at a lower resolution when it is wide (what it
    keeps is smooth, and a wide kernel at full resolution costs milliseconds)."""
    factor = int(np.clip(sigma // 3, 1, 8))
    if factor == 1:
        return cv2.GaussianBlur(image, (0, 0), sigma)
    height, width = image.shape[:2]
    small = cv2.resize(image, (max(1, width // factor), max(1, height // factor)), interpolation=cv2.INTER_AREA)
    small = cv2.GaussianBlur(small, (0, 0), sigma / factor)
    return cv2.resize(small, (width, height), interpolation=cv2.INTER_LINEAR)


def median(values: np.ndarray) -> np.ndarray:
    """``np.median(values, axis=-1)`` to the bit (no NaNs), by one partition: np.median's own
    checks cost half as much again as the partition on the few thousand pixels measured."""
    middle = values.shape[-1] // 2
    first = middle - 1 + values.shape[-1] % 2      # (odd: the middle one; even: the two round it)
    return np.partition(values, (first, middle), axis=-1)[..., first:middle + 1].mean(axis=-1)


def kernel_width(share: float, size: int) -> int:
    """The odd width of a kernel reaching ``share`` of a ``size``-pixel crop either side of its
    centre (at least one pixel)."""
    return 2 * max(1, int(round(share * size))) + 1


def falloff(near: np.ndarray, scale: float) -> np.ndarray:
    """(H, W) float32: exp(-distance to the nearest pixel of ``near`` (H, W) bool / ``scale``)
    (0 where it has none)."""
    if not near.any():
        return np.zeros(near.shape, np.float32)
    return np.exp(-cv2.distanceTransform((~near).astype(np.uint8), cv2.DIST_L2, 3) * (1.0 / scale))


_PATTERNS: dict[tuple, np.ndarray] = {}


def noise_pattern(size: int, sigma_x: float, sigma_y: float) -> np.ndarray:
    """(size, size) float32, zero-mean unit-spread noise blurred by (sigma_x, sigma_y) px. Fixed
    per size, so what it textures does not flicker from frame to frame."""
    key = (size, sigma_x, sigma_y)
    if key not in _PATTERNS:
        noise = np.random.default_rng(0).standard_normal((size, size)).astype(np.float32)
        noise = cv2.GaussianBlur(noise, (0, 0), sigmaX=sigma_x, sigmaY=sigma_y)
        _PATTERNS[key] = (noise - noise.mean()) / max(float(noise.std()), 1e-6)
    return _PATTERNS[key]


def column_span(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """((W,) float32, (W,) float32): the first and the last row of ``mask`` (H, W) bool in each
    column, -1 in a column with none."""
    has = mask.any(axis=0)
    first = np.where(has, mask.argmax(axis=0), -1).astype(np.float32)
    last = np.where(has, mask.shape[0] - 1 - mask[::-1].argmax(axis=0), -1).astype(np.float32)
    return first, last


def reflect_from(source: np.ndarray, depth: float) -> tuple[np.ndarray, np.ndarray]:
    """A sampling map that fills everything outside ``source`` with ``source``'s own pixels:
    each pixel takes the source pixel as far inside the source's edge as it is outside it,
    folded back every ``depth`` pixels (a mirror, then a mirror of the mirror, ...), so texture
    continues across the edge without smearing.

    Args:
        source: (H, W) bool, at least one True.

    Returns:
        (map_x, map_y), each (H, W) float32, for ``cv2.remap``.
    """
    height, width = source.shape
    _, labels = cv2.distanceTransformWithLabels((~source).astype(np.uint8), cv2.DIST_L2, 3,
                                                labelType=cv2.DIST_LABEL_PIXEL)
    ys, xs = np.nonzero(source)   # row-major, the order of DIST_LABEL_PIXEL's labels
    near = labels.astype(np.int64) - 1
    px, py = xs[near].astype(np.float32), ys[near].astype(np.float32)
    gy, gx = np.mgrid[0:height, 0:width].astype(np.float32)
    dx, dy = px - gx, py - gy
    dist = np.sqrt(dx * dx + dy * dy)
    fold = depth - np.abs(np.mod(dist, 2 * depth) - depth)
    scale = np.where(dist > 0, fold / np.maximum(dist, 1e-6), 0.0).astype(np.float32)
    return px + dx * scale, py + dy * scale
