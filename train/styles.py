"""The style library: named hairstyles as directions in the VAE's latent space.

    python -m train.styles engines --data data/aligned128 --out engines/styles.json
    python -m train.styles engines --data data/aligned128 --out engines/styles.json \\
        --classifier engines/classifier.onnx          # also calibrates default strengths on val

ENGINES is a folder with encoder.onnx + decoder.onnx (``python -m train.export``) or a run folder.

How a direction is made (train split only): encode every crop to its mean latent ``mu``; for the
style's CelebA attribute, take the mean latent of the faces with it minus the mean of the faces
without it, separately for men and women, and average the two differences weighted by how many
faces have the attribute in each group (so "bald" is not "male", nor "blond" "female"). The
components along the Male, Smiling and Eyeglasses directions are then removed, so the edit
leaves those alone. Strength 1.0 is therefore "the average difference"; the mirror computes
``z = mu + strength * direction``.

Default strengths: 2.0 without a classifier; with ``--classifier`` each style's strength is the
smallest of STRENGTHS whose edit (composited as in ``train.evaluate``) the classifier judges a
success on at least 85% of the val faces without the attribute, while Male, Smiling and
Eyeglasses keep their class on at least 92% (else the best trade-off found).

Exemplar styles (a hairstyle from a reference photo): styles.json also holds ``hair_basis``, an
orthonormal (K, Z) basis of the latent directions that change the hair region much more than
the face interior (the style directions plus such principal components of the latents), and
``latent_mean``. ``exemplar_direction(reference_mu, styles, user_mu)`` moves the user's latent
to the reference's inside that subspace only: the hair comes from the reference, the rest stays.
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time

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
STRENGTHS = (1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0, 5.0)
DEFAULT_STRENGTH = 2.0
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


def exemplar_direction(reference_mu: np.ndarray, styles: dict, user_mu: np.ndarray | None = None,
                       amount: float = 1.0) -> np.ndarray:
    """The direction that gives the user the hair of a reference photo.

    The mirror applies it like any style: ``z = user_mu + strength * direction`` with
    strength 1.0. With ``user_mu`` (the user's current latent, recomputed per frame: it is one
    small matrix product) the user's latent is moved exactly onto the reference's inside the hair
    subspace, and left alone outside it. Without it, the reference's hair offset from the
    average face (``latent_mean``) is added, a direction that can be computed once per reference.

    Args:
        reference_mu: (Z,) the encoder's ``mu`` of the aligned reference crop.
        styles: the parsed styles.json (needs ``hair_basis`` and ``latent_mean``).
        user_mu: optional (Z,) the user's ``mu``.
        amount: scales the result (1.0 = all of the reference's hair).

    Returns:
        (Z,) float32 direction.
    """
    basis = np.asarray(styles["hair_basis"], np.float64)
    reference = np.asarray(reference_mu, np.float64).reshape(-1)
    if reference.shape[0] != basis.shape[1]:
        raise ValueError(f"reference_mu has {reference.shape[0]} dims, the library {basis.shape[1]}")
    base = np.asarray(styles["latent_mean"] if user_mu is None else user_mu, np.float64).reshape(-1)
    return (amount * basis.T @ (basis @ (reference - base))).astype(np.float32)


def build_library(engine, data: str, limit: int | None = None, classifier=None,
                  project_keep: bool = True) -> dict:
    """Computes styles.json's content.

    Args:
        engine: a train.engine.Engine (encode / decode).
        data: prepared aligned folder; the train split makes the directions, val calibrates.
        limit: only the first N train (and N val) images.
        classifier: optional train.classifier.Classifier for strength calibration.
    """
    from mirror.regions import face_interior
    from train.data import AlignedSet

    start = time.time()
    train_set = AlignedSet(data, "train", limit, masks=True)
    if train_set.size != engine.size:
        raise MirrorError(f"{data} holds {train_set.size} px crops, the model wants {engine.size}")
    mu, _ = engine.encode_crops(train_set.crops)
    directions, _ = style_directions(mu, train_set.attributes, train_set.names, project_keep)
    hair = train_set.hair.astype(np.float32).mean(0) / 255
    interior = np.mean([face_interior(lm, engine.size) for lm in train_set.landmarks[:2000]], 0)
    basis = hair_subspace(directions, mu, engine.decode, hair, interior)
    strengths = {s: DEFAULT_STRENGTH for s in STYLES}
    calibration = None
    if classifier is not None:
        from train.evaluate import score_style
        val = AlignedSet(data, "val", limit, masks=True)
        val_mu, _ = engine.encode_crops(val.crops)
        calibration = {}
        for style, d in directions.items():
            rows = {}
            for s in STRENGTHS:
                score = score_style(engine, classifier, val, val_mu, style, d, s, max_faces=300)
                rows[s] = score
                if (score["success"] is None or score["kept"] < 0.85
                        or (score["success"] >= 0.85 and score["kept"] >= 0.92)):
                    break  # good enough, or stronger edits only lose more
            strengths[style], calibration[style] = choose_strength(rows)
            log.info("%s: strength %.1f %s", style, strengths[style], calibration[style])
    library = {
        "size": engine.size, "latent_dim": engine.latent_dim, "channel_order": "BGR",
        "model": engine.specs_summary(),
        "styles": {
            name: {"direction": [round(float(v), 6) for v in directions[name]],
                   "strength": strengths[name], "attribute": STYLES[name][0][0],
                   "attributes": STYLES[name][0], "target": STYLES[name][1],
                   "kind": STYLES[name][2], "description": STYLES[name][3]}
            for name in STYLES},
        "hair_basis": [[round(float(v), 6) for v in row] for row in basis],
        "latent_mean": [round(float(v), 6) for v in mu.mean(0)],
        "built_from": {"data": os.path.abspath(data), "train_images": len(train_set),
                       "method": "sex-stratified mean difference of mu, Male/Smiling/Eyeglasses "
                                 "components removed" if project_keep else
                                 "sex-stratified mean difference of mu",
                       "strengths": "calibrated on val with the attribute classifier"
                                    if classifier is not None else f"default {DEFAULT_STRENGTH}",
                       "calibration": calibration, "seconds": round(time.time() - start, 1)},
    }
    return library


def choose_strength(rows: dict) -> tuple[float, dict]:
    """Picks a strength from {strength: {"success", "kept"}} (see the module docstring)."""
    rows = {s: r for s, r in rows.items() if r["success"] is not None} or {DEFAULT_STRENGTH: {
        "success": None, "kept": None}}
    if next(iter(rows.values()))["success"] is None:
        return DEFAULT_STRENGTH, rows[DEFAULT_STRENGTH]
    for s, r in rows.items():
        if r["success"] >= 0.85 and r["kept"] >= 0.92:
            return s, r
    ok = {s: r for s, r in rows.items() if r["kept"] >= 0.9}
    pool = ok or rows
    best = max(pool, key=lambda s: (pool[s]["success"] + (0 if ok else pool[s]["kept"]), -s))
    return best, pool[best]


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


def parse_arguments(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m train.styles", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("engines", help="folder with encoder.onnx + decoder.onnx, or a run folder")
    parser.add_argument("--data", required=True, help="prepared aligned folder")
    parser.add_argument("--out", required=True, help="styles.json to write")
    parser.add_argument("--classifier", default=None,
                        help="classifier.onnx: calibrate default strengths on the val split")
    parser.add_argument("--limit", type=int, default=None, help="only the first N images per split")
    parser.add_argument("--no-project", dest="project_keep", action="store_false",
                        help="keep the Male/Smiling/Eyeglasses components in the directions")
    return parser.parse_args(argv)


def main(args: argparse.Namespace) -> int:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    from train.engine import open_engine
    try:
        engine = open_engine(args.engines)
        classifier = None
        if args.classifier:
            from train.classifier import Classifier
            classifier = Classifier(args.classifier)
        library = build_library(engine, args.data, args.limit, classifier, args.project_keep)
    except MirrorError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w") as f:
        json.dump(library, f, indent=1)
    print(json.dumps({name: s["strength"] for name, s in library["styles"].items()}, indent=4))
    return 0


if __name__ == "__main__":
    sys.exit(main(parse_arguments()))
