"""The style library: named hairstyles as directions in the VAE's latent space.

    python -m train.styles engines --data data/aligned128 --out engines/styles.json
    python -m train.styles engines --data data/aligned128 --out engines/styles.json \\
        --classifier engines/classifier.onnx          # also calibrates default strengths on val
    python -m train.styles engines --data data/aligned128 --out engines/styles.json \\
        --classifier engines/classifier.onnx --method optimised --colors engines/styles.json
    python -m train.styles engines --data data/aligned128 --out engines/styles.json \\
        --prior-only --limit 5000                     # refit only the latent prior, in place

ENGINES is a folder with encoder.onnx + decoder.onnx (``python -m train.export``) or a run folder.

How a direction is made (train split only): encode every crop to its mean latent ``mu``; for the
style's CelebA attribute, take the mean latent of the faces with it minus the mean of the faces
without it, separately for men and women, and average the two differences weighted by how many
faces have the attribute in each group (so "bald" is not "male", nor "blond" "female"). The
components along the Male, Smiling and Eyeglasses directions are then removed, so the edit
leaves those alone. Strength 1.0 is therefore "the average difference"; the mirror computes
``z = mu + strength * direction``.

``--method optimised`` (needs ``--classifier``, or ``--guide`` for another classifier to follow)
then refines each direction through the decoder and the classifier (``train.optimise``): the
decode of ``mu + d`` should show the style while Male, Smiling, Eyeglasses, Young and the other
non-hair attributes hold, with the face interior unchanged and a small norm.

Default strengths: 2.0 without a classifier; with ``--classifier`` each style's strength is the
smallest of STRENGTHS whose edit (composited as in ``train.evaluate``) the classifier judges a
success on at least 85% of the val faces without the attribute, while Male, Smiling and
Eyeglasses keep their class on at least 92% (else the best trade-off found).

styles.json also holds ``hair_basis``, an orthonormal (K, Z) basis of the latent directions that
change the hair region much more than the face interior (the style directions plus such
principal components of the latents), and ``latent_mean``.

Random faces: styles.json also holds ``latent_prior``, a Gaussian fitted to the train ``mu``
(``mirror.edit.styles.LatentPrior``: mean and Cholesky factor of the covariance, 5 significant digits).
Samples of N(0, I) decode to colour blobs, since real faces fill only part of it; samples of the
fitted Gaussian decode to faces. ``--prior-only`` refits just that entry of an existing ``--out``
(35 s for 5,000 crops: no directions, no calibration).
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time

from dataclasses import asdict

import numpy as np

from mirror.cli import setup_logging
from mirror.errors import MirrorError
from mirror.edit.styles import LatentPrior
from train.directions import STYLES, hair_subspace, load_styles, style_directions
from train.optimise import OptimiseConfig

log = logging.getLogger(__name__)

METHODS = ("mean", "optimised")
STRENGTHS = (1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0, 5.0)
DEFAULT_STRENGTH = 2.0


def build_library(backend, data: str, limit: int | None = None, classifier=None,
                  project_keep: bool = True, specs: dict | None = None, optimiser=None) -> dict:
    """Computes styles.json's content.

    Args:
        backend: a ``mirror.backends.Backend`` running the model (``open_backend``).
        data: prepared aligned folder; the train split makes the directions, val calibrates.
        limit: only the first N train (and N val) images.
        classifier: optional train.classifier.Classifier for strength calibration.
        specs: the model's specs.json, summarised in the library (``model_summary``).
        optimiser: a train.optimise.DirectionOptimiser refining the directions (method
            ``optimised``), or None (``mean``: the mean differences as they are).
    """
    from mirror.face.regions import face_interior
    from mirror.backends import encode_crops
    from train.data import AlignedSet

    start = time.time()
    train_set, mu = encode_train(backend, data, limit, masks=True)
    directions, _ = style_directions(mu, train_set.attributes, train_set.names, project_keep)
    if optimiser is not None:
        directions = optimiser.refine(directions, mu, train_set)
    hair = train_set.hair.astype(np.float32).mean(0) / 255
    interior = np.mean([face_interior(lm, backend.size) for lm in train_set.landmarks[:2000]], 0)
    basis = hair_subspace(directions, mu, backend.decode, hair, interior)
    strengths = {s: DEFAULT_STRENGTH for s in STYLES}
    calibration = None
    if classifier is not None:
        from train.evaluate import score_style
        val = AlignedSet(data, "val", limit, masks=True)
        val_mu, _ = encode_crops(backend, val.crops)
        calibration = {}
        for style, d in directions.items():
            rows = {}
            for s in STRENGTHS:
                score = score_style(backend, classifier, val, val_mu, style, d, s, max_faces=300)
                rows[s] = score
                if (score["success"] is None or score["kept"] < 0.85
                        or (score["success"] >= 0.85 and score["kept"] >= 0.92)):
                    break  # good enough, or stronger edits only lose more
            strengths[style], calibration[style] = choose_strength(rows)
            log.info("%s: strength %.1f %s", style, strengths[style], calibration[style])
    library = {
        "size": backend.size, "latent_dim": backend.latent_dim, "channel_order": "BGR",
        "model": model_summary(specs or {}),
        "styles": {
            name: {"direction": [round(float(v), 6) for v in directions[name]],
                   "strength": strengths[name], "attribute": STYLES[name][0][0],
                   "attributes": STYLES[name][0], "target": STYLES[name][1],
                   "kind": STYLES[name][2], "description": STYLES[name][3]}
            for name in STYLES},
        "hair_basis": [[round(float(v), 6) for v in row] for row in basis],
        "latent_mean": [round(float(v), 6) for v in mu.mean(0)],
        "latent_prior": LatentPrior.fit(mu).to_json(),
        "built_from": {"data": os.path.abspath(data), "train_images": len(train_set),
                       "method": method_description(project_keep, optimiser),
                       "strengths": "calibrated on val with the attribute classifier"
                                    if classifier is not None else f"default {DEFAULT_STRENGTH}",
                       "calibration": calibration, "seconds": round(time.time() - start, 1)},
    }
    return library


def encode_train(backend, data: str, limit: int | None = None, masks: bool = False):
    """(the train split's AlignedSet, (N, Z) mu of its crops), first ``limit`` images only."""
    from mirror.backends import encode_crops
    from train.data import AlignedSet

    train_set = AlignedSet(data, "train", limit, masks=masks)
    if train_set.size != backend.size:
        raise MirrorError(f"{data} holds {train_set.size} px crops, the model wants {backend.size}")
    return train_set, encode_crops(backend, train_set.crops)[0]


def refit_prior(backend, data: str, path: str, limit: int | None = None) -> dict:
    """The styles.json at ``path`` with its ``latent_prior`` refitted to the train crops of ``data``."""
    library = load_styles(path)
    if int(library["latent_dim"]) != backend.latent_dim:
        raise MirrorError(f"{path} is for a {library['latent_dim']}-d latent, the model's is {backend.latent_dim}-d")
    library["latent_prior"] = LatentPrior.fit(encode_train(backend, data, limit)[1]).to_json()
    return library


def method_description(project_keep: bool, optimiser=None) -> str:
    """built_from.method of the library: how its directions were made."""
    text = ("sex-stratified mean difference of mu, Male/Smiling/Eyeglasses components removed"
            if project_keep else "sex-stratified mean difference of mu")
    if optimiser is not None:
        text += f", then optimised through the decoder and the classifier (train.optimise: {asdict(optimiser.config)})"
    return text


def model_summary(specs: dict) -> dict:
    """The settings of a run's specs.json that describe the model and its training."""
    keys = ("size", "latent_dim", "width", "max_width", "blocks", "loss", "rec_dist", "beta",
            "hair_weight", "epochs", "batch_size", "lr")
    model = specs.get("model", {})
    return {k: specs.get(k, model.get(k)) for k in keys if k in specs or k in model}


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


def parse_arguments(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m train.styles", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("engines", help="folder with encoder.onnx + decoder.onnx, or a run folder")
    parser.add_argument("--data", required=True, help="prepared aligned folder")
    parser.add_argument("--out", required=True, help="styles.json to write")
    parser.add_argument("--classifier", default=None,
                        help="classifier.onnx: calibrate default strengths on the val split")
    parser.add_argument("--method", choices=METHODS, default="mean",
                        help="mean: stratified mean differences; optimised: refined through the decoder "
                             "and the classifier (default: mean)")
    parser.add_argument("--guide", default=None,
                        help="classifier.onnx the optimisation follows (default: --classifier)")
    parser.add_argument("--steps", type=int, default=OptimiseConfig.steps,
                        help=f"optimisation steps per style (default: {OptimiseConfig.steps})")
    parser.add_argument("--seed", type=int, default=0, help="optimisation seed (default: 0)")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (default: 1)")
    parser.add_argument("--colors", default=None,
                        help="a styles.json whose colour targets (train.colors) the new library keeps")
    parser.add_argument("--limit", type=int, default=None, help="only the first N images per split")
    parser.add_argument("--no-project", dest="project_keep", action="store_false",
                        help="keep the Male/Smiling/Eyeglasses components in the directions")
    parser.add_argument("--prior-only", action="store_true",
                        help="refit only the latent prior of the existing --out (use --limit 5000)")
    args = parser.parse_args(argv)
    if args.prior_only and (args.classifier or args.guide or args.colors or args.method != "mean"):
        parser.error("--prior-only takes no --classifier, --guide, --colors or --method")
    if args.method == "optimised" and not (args.guide or args.classifier):
        parser.error("--method optimised needs --classifier or --guide")
    return args


def open_optimiser(engines: str, guide: str, steps: int, seed: int):
    """The DirectionOptimiser of ``--method optimised``: the decoder rebuilt in torch from
    ENGINES, the guide classifier fused into a torch module."""
    from mirror.backends import load_model_files
    from mirror.backends.torch import model_from_engines
    from train.classifier import Classifier, load_fused_classifier
    from train.optimise import DirectionOptimiser

    decoder = model_from_engines(load_model_files(engines)).decoder.eval()
    return DirectionOptimiser(decoder, load_fused_classifier(guide), Classifier(guide, threads=1).names,
                              OptimiseConfig(steps=steps, seed=seed))


def copy_colors(library: dict, path: str) -> None:
    """Copies the ``color`` fields of the styles in the styles.json at ``path`` into ``library``."""
    for name, style in load_styles(path)["styles"].items():
        if "color" in style and name in library["styles"]:
            library["styles"][name]["color"] = style["color"]


def write_library(library: dict, path: str) -> None:
    """Writes styles.json (one value a line, as shipped)."""
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w") as f:
        json.dump(library, f, indent=1)


def main(args: argparse.Namespace) -> int:
    setup_logging(False, logging.INFO, native=True)
    from mirror.backends import open_backend
    from mirror.edit.vae import SPECS, read_specs

    try:
        backend = open_backend(args.engines)
        if args.prior_only:
            library = refit_prior(backend, args.data, args.out, args.limit)
            write_library(library, args.out)
            print(f"{args.out}: latent_prior fitted to {library['latent_prior']['images']} train faces")
            return 0
        classifier = None
        if args.classifier:
            from train.classifier import Classifier
            classifier = Classifier(args.classifier)
        optimiser = None
        if args.method == "optimised":
            import torch

            torch.set_num_threads(args.threads)
            optimiser = open_optimiser(args.engines, args.guide or args.classifier, args.steps, args.seed)
        library = build_library(backend, args.data, args.limit, classifier, args.project_keep,
                                read_specs(args.engines) if os.path.isfile(os.path.join(args.engines, SPECS)) else {},
                                optimiser)
        if args.colors:
            copy_colors(library, args.colors)
    except MirrorError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    write_library(library, args.out)
    print(json.dumps({name: s["strength"] for name, s in library["styles"].items()}, indent=4))
    return 0


if __name__ == "__main__":
    sys.exit(main(parse_arguments()))
