"""Random faces: the VAE's prior N(0, I) against the fitted latent prior of styles.json.

    python -m train.prior --engines engines --data data/aligned128 --json docs/prior/fd.json \\
        --sheets docs/prior

Decodes ``--samples`` latents from each of SOURCES: N(0, I), the Gaussian fitted to the train
posterior means (``latent_prior`` of ENGINES/styles.json, ``python -m train.styles --prior-only``,
drawn as the mirror draws it: ``StyleLibrary.sample_prior``), and the same at temperature 0.8.
For each, the Fréchet distance to ``--images`` real test crops in the attribute classifier's
feature space, as ``train.compare_decoders`` measures it (``fd_real``, the real val crops against
the test crops, is the floor). ``--sheets DIR`` writes the first 64 decodes of each as an 8 x 8
sheet of SHEET_SIDE px tiles (``standard.png``, ``fitted.png``, ``fitted_t0.8.png``), each under
290 KB.
"""
from __future__ import annotations

import argparse
import logging
import os
import sys

import cv2
import numpy as np

from mirror.backends import decode_crops, load_model_files, open_backend
from mirror.cli import setup_logging
from mirror.errors import MirrorError
from mirror.edit.styles import StyleLibrary
from train.compare_decoders import SHEET_BYTES, embed, tiles, write_report
from train.data import AlignedSet
from train.figures import mosaic
from train.metrics import frechet_distance
from train.sheets import save_sheet

log = logging.getLogger(__name__)

SOURCES = {"standard": None, "fitted": 1.0, "fitted_t0.8": 0.8}   # name: temperature (None: N(0, I))
SHEET_SIDE = 80   # px per tile: 64 colourful 128 px tiles do not fit 290 KB


def draw(library: StyleLibrary, rng: np.random.Generator, samples: int, temperature: float | None) -> np.ndarray:
    """(samples, Z) latents of one of SOURCES."""
    if temperature is None:
        return rng.standard_normal((samples, library.latent_dim)).astype(np.float32)
    return library.sample_prior(rng, samples, temperature)


def sheet(crops: np.ndarray) -> np.ndarray:
    """(64, S, S, 3) BGR crops -> one 8 x 8 BGR sheet of SHEET_SIDE px tiles."""
    small = np.stack([cv2.resize(c, (SHEET_SIDE, SHEET_SIDE), interpolation=cv2.INTER_AREA) for c in crops])
    return mosaic(tiles([small], 8))[..., ::-1]


def measure(engines: str, data: str, images: int = 1000, samples: int = 1000, seed: int = 0,
            sheets: str | None = None) -> dict:
    """{"fd_real", "fd": {source: Fréchet distance}} of the module docstring.

    Raises:
        MirrorError: a missing model or data folder, or a styles.json without ``latent_prior``.
    """
    import torch

    from train.classifier import load_fused_classifier

    torch.set_num_threads(2)
    library = StyleLibrary(load_model_files(engines).styles)
    if library.prior is None:
        raise MirrorError(f"{engines}/styles.json has no latent_prior: python -m train.styles --prior-only")
    backend = open_backend(engines, threads=2)
    judge = load_fused_classifier(os.path.join(engines, "classifier.onnx"))
    real = embed(judge, AlignedSet(data, "test", images, masks=False).crops)
    report = {"images": len(real), "samples": samples,
              "fd_real": round(frechet_distance(embed(judge, AlignedSet(data, "val", images, masks=False).crops), real), 3),
              "fd": {}}
    rng = np.random.default_rng(seed)
    for name, temperature in SOURCES.items():
        decoded = decode_crops(backend, draw(library, rng, samples, temperature))
        report["fd"][name] = round(frechet_distance(embed(judge, decoded), real), 3)
        log.info("%s: FD %.3f", name, report["fd"][name])
        if sheets:
            save_sheet(sheet(decoded[:64]), os.path.join(sheets, f"{name}.png"), SHEET_BYTES)
    return report


def parse_arguments(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m train.prior", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--engines", default="engines", help="model, styles.json and classifier.onnx (default: engines)")
    parser.add_argument("--data", required=True, help="prepared aligned folder (test and val splits)")
    parser.add_argument("--images", type=int, default=1000, help="real test faces (default: 1000)")
    parser.add_argument("--samples", type=int, default=1000, help="samples per source (default: 1000)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    parser.add_argument("--json", help="write the figures here")
    parser.add_argument("--sheets", help="folder for the 8 x 8 sample sheets")
    args = parser.parse_args(argv)
    if args.images < 64 or args.samples < 64:
        parser.error("--images and --samples must be at least 64")
    return args


def main(args: argparse.Namespace) -> int:
    setup_logging(False, logging.INFO, native=True)
    try:
        report = measure(args.engines, args.data, args.images, args.samples, args.seed, args.sheets)
    except MirrorError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    write_report(report, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main(parse_arguments()))
