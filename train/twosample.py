"""Two-sample tests on features: can a linear classifier tell two sets of faces apart?

    ia, ib = paired(match_groups(attrs_a, names), match_groups(attrs_b, names))
    found = linear_detectability(features_a[ia], features_b[ib])     # Detection: auc, spread, scores

The faces of the two sets are paired one to one within groups of sex and age (``match_groups``),
so the test tells the sets apart by what they show, not by who is in them. The classifier is an
L2-penalised logistic regression on standardised features (numpy, solved by L-BFGS);
its figure is the cross-validated ROC AUC (``train.metrics.roc_auc``): 0.5 cannot tell, 1 always.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from train.metrics import roc_auc

MATCH_ON = ("Male", "Young")   # pairs agree on these CelebA labels (sex and age)


def match_groups(attributes: np.ndarray, names: list[str]) -> np.ndarray:
    """(N,) int: each face's group by its CelebA labels in MATCH_ON (sex and age)."""
    return sum((np.asarray(attributes)[:, names.index(name)] > 0).astype(np.int64) << i
               for i, name in enumerate(MATCH_ON))


def paired(groups_a: np.ndarray, groups_b: np.ndarray, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Pairs of one member of set a and one of set b in the same group (e.g. of sex and age).

    Each member is in at most one pair; a group gives as many pairs as its smaller side has
    members, those of the larger side drawn at random (``seed``), each side's order shuffled.

    Args:
        groups_a, groups_b: (N,), (M,) integer group labels.

    Returns:
        ((P,), (P,)) int64 indices into a and b, ``groups_a[ia] == groups_b[ib]``, sorted by ``ia``.
    """
    rng = np.random.default_rng(seed)
    pairs = []
    for group in np.intersect1d(groups_a, groups_b):
        a = rng.permutation(np.flatnonzero(groups_a == group))
        b = rng.permutation(np.flatnonzero(groups_b == group))
        n = min(len(a), len(b))
        pairs += list(zip(a[:n].tolist(), b[:n].tolist()))
    pairs.sort()
    if not pairs:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    ia, ib = np.int64(pairs).T
    return ia, ib


def logistic_regression(x: np.ndarray, y: np.ndarray, l2: float, iterations: int = 1000
                        ) -> tuple[np.ndarray, float]:
    """L2-penalised logistic regression: (weights (D,), bias).

    Minimises the summed log loss plus ``l2`` |w|^2 (the bias is not penalised), a convex
    problem, with L-BFGS (``scipy.optimize``) from zero on the exact gradient: deterministic, and
    for thousands of features and a thousand rows a fraction of a second.

    Args:
        x: (n, D) float; y: (n,) 0 or 1.
    """
    from scipy.optimize import minimize

    x, y = np.asarray(x, np.float64), np.asarray(y, np.float64)

    def loss(p: np.ndarray) -> tuple[float, np.ndarray]:
        z = x @ p[:-1] + p[-1]
        error = 0.5 * (1.0 + np.tanh(0.5 * z)) - y        # sigmoid(z) - y, without overflow
        value = np.logaddexp(0.0, z).sum() - y @ z + l2 * p[:-1] @ p[:-1]
        return float(value), np.append(x.T @ error + 2.0 * l2 * p[:-1], error.sum())

    found = minimize(loss, np.zeros(x.shape[1] + 1), jac=True, method="L-BFGS-B",
                     options={"maxiter": iterations, "gtol": 1e-6})
    return found.x[:-1], float(found.x[-1])


def linear_detectability(a: np.ndarray, b: np.ndarray, folds: int = 5, repeats: int = 10, seed: int = 0,
                         l2: float = 1.0, weights: np.ndarray | None = None,
                         extra: tuple[np.ndarray, np.ndarray] | None = None) -> "Detection":
    """Can a linear classifier on features tell set a from set b? Cross-validated ROC AUC.

    ``a[i]`` and ``b[i]`` are a pair (``paired``: alike in sex and age); each fold holds out
    whole pairs, so both sides of a held-out fold are alike in who they are. On the other folds
    (and the ``extra`` pairs) every feature is standardised (their mean and standard deviation),
    multiplied by its ``weights`` entry, and an L2 logistic regression (``logistic_regression``)
    is fitted; the held-out pairs are scored. The figure is the mean held-out ``roc_auc`` over
    ``folds`` folds and ``repeats`` random fold splits (AUC: every ranking counts, with no
    threshold to fit on a few faces, and 0.5 means "cannot tell" however many faces there are);
    the spread is the standard deviation of the repeats' means.

    Args:
        a, b: (P, D) float features of the two sides, row i of each a pair.
        weights: (D,) per feature after standardising (e.g. to give blocks of features equal
            weight); None: all 1.
        extra: ((Q, D), (Q, D)) more pairs of the same two kinds (other people) that every fold
            also learns from and none is scored on: a rare style's few test pairs alone teach a
            classifier of thousands of features too little.

    Returns:
        A ``Detection``: the mean AUC (1: always told apart, 0.5: not at all), its spread, and
        each pair's held-out scores (mean over the repeats; higher: more like set a).

    Raises:
        ValueError: unequal or too few pairs.
    """
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    if a.shape != b.shape or a.ndim != 2:
        raise ValueError(f"a and b must be (P, D) paired features of one shape, got {a.shape} and {b.shape}")
    if folds < 2 or len(a) < folds:
        raise ValueError(f"linear_detectability needs folds >= 2 and at least {folds} pairs, got {len(a)}")
    weights = np.ones(a.shape[1]) if weights is None else np.asarray(weights, np.float64)
    more_a, more_b = (np.zeros((0, a.shape[1])),) * 2 if extra is None else (np.asarray(e, np.float64) for e in extra)
    if more_a.shape != more_b.shape or more_a.shape[1:] != a.shape[1:]:
        raise ValueError(f"extra must be two (Q, {a.shape[1]}) feature sets, got {more_a.shape} and {more_b.shape}")
    rng = np.random.default_rng(seed)
    means, scores = [], np.zeros((2, len(a)))
    for _ in range(repeats):
        fold_of = rng.permutation(len(a)) % folds
        aucs = []
        for fold in range(folds):
            train, held = fold_of != fold, fold_of == fold
            side_a, side_b = np.concatenate([a[train], more_a]), np.concatenate([b[train], more_b])
            x = np.concatenate([side_a, side_b])
            centre, scale = x.mean(0), x.std(0)
            factor = weights / np.where(scale > 1e-9, scale, np.inf)
            w, bias = logistic_regression((x - centre) * factor, np.repeat([1.0, 0.0], len(side_a)), l2)
            score_a = ((a[held] - centre) * factor) @ w + bias
            score_b = ((b[held] - centre) * factor) @ w + bias
            aucs.append(roc_auc(score_a, score_b))
            scores[:, held] += np.stack([score_a, score_b]) / repeats
        means.append(float(np.mean(aucs)))
    return Detection(float(np.mean(means)), float(np.std(means)), scores[0], scores[1])


class Detection(NamedTuple):
    """``linear_detectability``'s answer: mean held-out ROC AUC, the spread of the repeats'
    means, and (P,) held-out scores of each pair's a and b side (mean over the repeats)."""

    auc: float
    spread: float
    scores_a: np.ndarray
    scores_b: np.ndarray
