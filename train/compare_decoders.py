"""Two decoders of the same encoder side by side on held-out test faces: sharpness, PSNR, SSIM and
Fréchet distances in the attribute classifier's feature space.

    python -m train.compare_decoders --engines engines --old /tmp/old_decoder.onnx \\
        --new engines/decoder.onnx --data data/aligned128 --json /tmp/compare.json --sheets docs/sharp

Per decoder, on ``--images`` test faces decoded from their posterior means:
    sharpness      var(Laplacian of decodes) / var(Laplacian of the real crops), grey, pooled
    psnr, ssim     decode vs crop (dB; mean SSIM of the colour crops)
    fd_recon       Fréchet distance, decodes vs the real test crops
    fd_prior       the same for ``--samples`` decodes of z ~ N(0, I)
    fd_fitted      the same for z ~ N(m, C), a Gaussian fitted to the posterior means of train crops
    grid           checkerboard of the decodes: spectral peaks of an 8 px grid over their neighbours
                   (``train.metrics.grid_artefact``; ``grid_real``, the real crops', is about 1)
``fd_real`` is the floor: the real val crops against the real test crops. Features: the
classifier's last convolutional map averaged over space (256 numbers, ``FusedClassifier.embedding``).

``--sheets DIR`` writes recon_old_new.png (crop / old / new for 8 faces), recon64_new_1.png and
recon64_new_2.png (64 new reconstructions), prior_old_new.png and fitted_old_new.png (8 samples
each, old above new); each PNG stays under 290 KB.
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import sys

import numpy as np
import torch

from mirror.backends.base import crops_to_images, images_to_crops
from mirror.cli import setup_logging
from mirror.errors import MirrorError
from mirror.edit.styles import LatentPrior
from train.data import AlignedSet
from train.evaluate import ssim
from train.figures import mosaic
from train.metrics import frechet_distance, grid_artefact, psnr, sharpness
from train.sheets import save_sheet

log = logging.getLogger(__name__)

SHEET_BYTES = 290_000


def run_session(session, array: np.ndarray, batch: int = 64) -> list[np.ndarray]:
    """All outputs of an ONNX Runtime session over ``array`` in batches, concatenated."""
    name = session.get_inputs()[0].name
    parts = [session.run(None, {name: np.ascontiguousarray(array[i:i + batch], np.float32)})
             for i in range(0, len(array), batch)]
    return [np.concatenate([p[k] for p in parts]) for k in range(len(parts[0]))]


def embed(judge, crops: np.ndarray) -> np.ndarray:
    """(N, S, S, 3) uint8 -> (N, D) float64 classifier features."""
    with torch.no_grad():
        return np.concatenate([judge.embedding(torch.from_numpy(crops_to_images(crops[i:i + 128]))).numpy()
                               for i in range(0, len(crops), 128)]).astype(np.float64)


def tiles(rows: list[np.ndarray], cols: int) -> np.ndarray:
    """Rows of crops (each (N, S, S, 3), N a multiple of ``cols``) -> (R, cols, S, S, 3) tiles."""
    return np.concatenate([r.reshape(-1, cols, *r.shape[1:]) for r in rows])


def compare(engines: str, old: str, new: str, data: str, images: int = 1000, samples: int = 1000,
            seed: int = 0, sheets: str | None = None, threads: int = 2) -> dict:
    """The figures of the module docstring for the ``old`` and ``new`` decoder ONNX files.

    Raises:
        MirrorError: for a missing engines folder, decoder file or data folder.
    """
    from mirror.backends.onnxruntime import open_session
    from train.classifier import load_fused_classifier

    for path in (os.path.join(engines, "encoder.onnx"), old, new):
        if not os.path.isfile(path):
            raise MirrorError(f"model file not found: {path}")
    torch.set_num_threads(threads)
    encoder = open_session(os.path.join(engines, "encoder.onnx"), threads=threads)
    decoders = {"old": open_session(old, threads=threads), "new": open_session(new, threads=threads)}
    judge = load_fused_classifier(os.path.join(engines, "classifier.onnx"))
    test = AlignedSet(data, "test", images, masks=False)
    val = AlignedSet(data, "val", images, masks=False)
    fit = AlignedSet(data, "train", 2000, masks=False)
    mu = run_session(encoder, crops_to_images(test.crops))[0]
    train_mu = run_session(encoder, crops_to_images(fit.crops))[0]
    rng = np.random.default_rng(seed)
    prior = rng.standard_normal((samples, mu.shape[1])).astype(np.float32)
    fitted = LatentPrior.fit(train_mu).sample(rng, samples)
    real = embed(judge, test.crops)
    report = {"images": len(test), "samples": samples, "fd_real": round(frechet_distance(embed(judge, val.crops), real), 3),
              "grid_real": round(grid_artefact(test.crops), 2)}
    shown = {}
    for name, session in decoders.items():
        recon = images_to_crops(run_session(session, mu)[0])
        drawn = {key: images_to_crops(run_session(session, z)[0]) for key, z in (("prior", prior), ("fitted", fitted))}
        report[name] = {
            "sharpness": round(sharpness(recon, test.crops), 4),
            "psnr": round(float(psnr(recon / 255.0, test.crops / 255.0).mean()), 3),
            "ssim": round(ssim(recon, test.crops), 4),
            "fd_recon": round(frechet_distance(embed(judge, recon), real), 3),
            "fd_prior": round(frechet_distance(embed(judge, drawn["prior"]), real), 3),
            "fd_fitted": round(frechet_distance(embed(judge, drawn["fitted"]), real), 3),
            "sharpness_prior": round(sharpness(drawn["prior"], test.crops), 4),
            "grid": round(grid_artefact(recon), 2)}
        shown[name] = {"recon": recon, **drawn}
        log.info("%s: %s", name, report[name])
    if sheets:
        crops, old_, new_ = test.crops, shown["old"], shown["new"]

        def write(grid, name):
            save_sheet(mosaic(grid)[..., ::-1], os.path.join(sheets, name), SHEET_BYTES)

        write(tiles([crops[:8], old_["recon"][:8], new_["recon"][:8]], 8), "recon_old_new.png")
        for part in range(2):
            write(tiles([new_["recon"][32 * part:32 * part + 32]], 8), f"recon64_new_{part + 1}.png")
        for key in ("prior", "fitted"):
            write(tiles([old_[key][:8], new_[key][:8]], 8), f"{key}_old_new.png")
    return report


def write_report(report: dict, path: str | None) -> None:
    """Prints the figures as JSON, and writes them to ``path`` too when given."""
    text = json.dumps(report, indent=4, sort_keys=True)
    if path:
        with open(path, "w") as f:
            f.write(text + "\n")
    print(text)


def parse_arguments(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m train.compare_decoders", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--engines", default="engines", help="encoder.onnx and classifier.onnx (default: engines)")
    parser.add_argument("--old", required=True, help="the old decoder ONNX file")
    parser.add_argument("--new", required=True, help="the new decoder ONNX file")
    parser.add_argument("--data", required=True, help="prepared aligned folder (test split)")
    parser.add_argument("--images", type=int, default=1000, help="test faces (default: 1000)")
    parser.add_argument("--samples", type=int, default=1000, help="prior samples per decoder (default: 1000)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    parser.add_argument("--json", help="write the figures here")
    parser.add_argument("--sheets", help="folder for the PNG sheets")
    parser.add_argument("--threads", type=int, default=2, help="CPU threads (default: 2)")
    args = parser.parse_args(argv)
    if args.images < 32 or args.samples < 32:
        parser.error("--images and --samples must be at least 32")
    return args


def main(args: argparse.Namespace) -> int:
    setup_logging(False, logging.INFO, native=True)
    try:
        report = compare(args.engines, args.old, args.new, args.data, args.images, args.samples,
                         args.seed, args.sheets, args.threads)
    except MirrorError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    write_report(report, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main(parse_arguments()))
