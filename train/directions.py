"""Style directions in the VAE's latent space: which CelebA attributes make each named style, and
the arithmetic that turns encoded faces into directions (``style_directions``) and the hair
subspace (``hair_subspace``). Building the
library file from a data set is ``train.styles``; scoring an edit is ``train.evaluate``.
"""
from __future__ import annotations

import json
import logging

import numpy as np

from mirror.errors import MirrorError

log = logging.getLogger(__name__)

# name: (attributes, target, kind, description). target +1: move toward having the attribute;
# -1: toward not having it (for several attributes: having none of them).
STYLES = {
    "bangs": (["Bangs"], 1, "add", "a fringe of hair over the forehead"),
    "no_bangs": (["Bangs"], -1, "remove", "the fringe swept away, forehead uncovered"),
    "bald": (["Bald"], 1, "remove", "no hair on top of the head"),
    "receding": (["Receding_Hairline"], 1, "remove", "the hairline pulled back at the temples"),
    "regrowth": (["Bald", "Receding_Hairline"], -1, "add",
                 "fuller hair: the way back from bald or a receding hairline"),
    "blond": (["Blond_Hair"], 1, "color", "blond hair"),
    "black": (["Black_Hair"], 1, "color", "black hair"),
    "brown": (["Brown_Hair"], 1, "color", "brown hair"),
    "gray": (["Gray_Hair"], 1, "color", "gray hair"),
    "wavy": (["Wavy_Hair"], 1, "texture", "wavy hair"),
    "straight": (["Straight_Hair"], 1, "texture", "straight hair"),
}
KEEP = ("Male", "Smiling", "Eyeglasses")
MIN_GROUP = 20          # a sex group with fewer positives is left out of the stratified mean


def has_style(attributes: np.ndarray, names: list[str], style: str) -> np.ndarray:
    """(N,) bool: which faces already show ``style`` according to (N, 40) +1/-1 labels."""
    columns, target, _, _ = STYLES[style]
    present = np.stack([attributes[:, names.index(c)] > 0 for c in columns])
    return present.any(axis=0) if target > 0 else ~present.any(axis=0)


def mean_difference(mu: np.ndarray, positive: np.ndarray, groups: np.ndarray | None = None) -> np.ndarray:
    """Mean latent of ``positive`` rows minus mean of the others, stratified by ``groups``.

    Args:
        mu: (N, Z) latents; positive: (N,) bool; groups: (N,) bool (e.g. Male) or None.

    Returns:
        (Z,) float64.
    """
    if groups is None:
        return mu[positive].mean(0) - mu[~positive].mean(0)
    parts, weights = [], []
    for g in (False, True):
        pos, neg = positive & (groups == g), ~positive & (groups == g)
        if pos.sum() >= MIN_GROUP and neg.sum() >= MIN_GROUP:
            parts.append(mu[pos].mean(0) - mu[neg].mean(0))
            weights.append(pos.sum())
    if not parts:
        return mu[positive].mean(0) - mu[~positive].mean(0)
    return np.average(np.stack(parts), axis=0, weights=np.asarray(weights, float))


def orthonormal(vectors: np.ndarray) -> np.ndarray:
    """(K, Z) rows -> orthonormal rows spanning the same space (tiny components dropped)."""
    u, s, vt = np.linalg.svd(np.asarray(vectors, np.float64), full_matrices=False)
    return vt[s > 1e-6 * s.max()]


def style_directions(mu: np.ndarray, attributes: np.ndarray, names: list[str],
                     project_keep: bool = True) -> tuple[dict, np.ndarray]:
    """Directions of all STYLES; returns ({style: (Z,)}, keep basis (3, Z))."""
    male = attributes[:, names.index("Male")] > 0
    keep = np.stack([mean_difference(mu, attributes[:, names.index(a)] > 0) for a in KEEP])
    basis = orthonormal(keep)
    directions = {}
    for style in STYLES:
        d = mean_difference(mu, has_style(attributes, names, style), male)
        if project_keep:
            d = d - basis.T @ (basis @ d)
        directions[style] = d
    return directions, basis


def hair_subspace(directions: dict, mu: np.ndarray, decode, hair: np.ndarray, interior: np.ndarray,
                  components: int = 32, ratio: float = 1.5) -> np.ndarray:
    """Orthonormal (K, Z) basis of the hair part of the latent space.

    The style directions, plus those of the first ``components`` principal components of ``mu``
    whose decoded change (mean latent +- 2 standard deviations) is ``ratio`` times stronger per
    pixel in the hair region than in the face interior.

    Args:
        decode: (B, Z) float32 -> (B, 3, S, S) float32.
        hair, interior: (S, S) float masks (averages over the train split).
    """
    mean = mu.mean(0)
    centred = mu - mean
    _, s, vt = np.linalg.svd(centred[:4000], full_matrices=False)
    std = s / np.sqrt(min(len(centred), 4000) - 1)
    k = min(components, len(vt))
    z = np.concatenate([mean + 2 * std[:k, None] * vt[:k], mean - 2 * std[:k, None] * vt[:k]])
    images = decode(z.astype(np.float32))
    change = np.abs(images[:k] - images[k:]).mean(1)                      # (k, S, S)
    in_hair = (change * hair).sum((1, 2)) / hair.sum()
    in_face = (change * interior).sum((1, 2)) / interior.sum()
    chosen = vt[:k][in_hair > ratio * in_face]
    log.info("hair subspace: %d of %d principal components are hair-dominant", len(chosen), k)
    return orthonormal(np.concatenate([np.stack(list(directions.values())), chosen]))


def load_styles(path: str) -> dict:
    """Reads styles.json; MirrorError when missing or malformed."""
    try:
        with open(path) as f:
            styles = json.load(f)
        for key in ("size", "latent_dim", "styles"):
            styles[key]
    except FileNotFoundError:
        raise MirrorError(f"style library not found: {path}") from None
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise MirrorError(f"corrupt style library {path}: {error}") from None
    return styles
