"""Export a run's encoder and decoder to single-file ONNX for the mirror.

    python -m train.export runs/vae128 engines
    python -m train.export runs/vae128 /tmp/out --no-static

Writes into OUT_DIR:
    encoder.onnx      image (B, 3, S, S) float32 BGR in [0, 1] -> mu (B, Z), logvar (B, Z)
    decoder.onnx      z (B, Z) float32 -> image (B, 3, S, S) float32 BGR in [0, 1]
    encoder_b1.onnx, decoder_b1.onnx   the same with the batch fixed at 1 (for builders such as
                      TensorRT that want static shapes; skip with --no-static)
    specs.json        the run's specs (the model part is what the ONNX files were built from)

Every file is checked with onnx.checker, and ONNX Runtime is compared with PyTorch on random
inputs before the command returns (max abs difference printed).
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import sys

import numpy as np
import torch

from mirror.cli import setup_logging
from mirror.errors import MirrorError
from mirror.edit.vae import SPECS, load_model

log = logging.getLogger(__name__)

OPSET = 17


class _Encoder(torch.nn.Module):
    def __init__(self, model):
        super().__init__()
        self.encoder = model.encoder

    def forward(self, image):
        return self.encoder(image)


def export_onnx(run_dir: str, out_dir: str, static: bool = True) -> dict:
    """Writes the ONNX files; returns {file name: max abs difference ORT vs PyTorch}."""
    import onnx

    model = load_model(run_dir)
    size, latent = model.size, model.latent_dim
    os.makedirs(out_dir, exist_ok=True)
    jobs = [("encoder", _Encoder(model), torch.rand(2, 3, size, size), ["image"], ["mu", "logvar"]),
            ("decoder", model.decoder, torch.randn(2, latent), ["z"], ["image"])]
    report = {}
    for name, module, example, inputs, outputs in jobs:
        variants = [(f"{name}.onnx", True)] + ([(f"{name}_b1.onnx", False)] if static else [])
        for filename, dynamic in variants:
            path = os.path.join(out_dir, filename)
            x = example if dynamic else example[:1]
            axes = {n: {0: "batch"} for n in inputs + outputs} if dynamic else None
            with torch.no_grad():
                torch.onnx.export(module, (x,), path, input_names=inputs, output_names=outputs,
                                  dynamic_axes=axes, opset_version=OPSET, dynamo=False,
                                  external_data=False)
            onnx.checker.check_model(onnx.load(path), full_check=True)
            report[filename] = parity(path, module, x)
            log.info("wrote %s (%.1f MB), ORT vs torch max abs diff %.2e", path,
                     os.path.getsize(path) / 1e6, report[filename])
    shutil.copy(os.path.join(run_dir, SPECS), os.path.join(out_dir, SPECS))
    return report


def parity(path: str, module: torch.nn.Module, x: torch.Tensor) -> float:
    """Max abs difference between ONNX Runtime and PyTorch on ``x`` over all outputs."""
    from mirror.backends.onnxruntime import open_session

    sess = open_session(path, threads=2)
    got = sess.run(None, {sess.get_inputs()[0].name: x.numpy()})
    with torch.no_grad():
        want = module(x)
    want = want if isinstance(want, tuple) else (want,)
    return float(max(np.abs(g - w.numpy()).max() for g, w in zip(got, want)))


def parse_arguments(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m train.export", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("run_dir", help="run folder (specs.json + model.pt)")
    parser.add_argument("out_dir", help="where to write the ONNX files (e.g. engines)")
    parser.add_argument("--no-static", dest="static", action="store_false",
                        help="skip the batch-1 variants")
    return parser.parse_args(argv)


def main(args: argparse.Namespace) -> int:
    setup_logging(False, logging.INFO, native=True)
    torch.set_num_threads(2)
    try:
        report = export_onnx(args.run_dir, args.out_dir, args.static)
    except MirrorError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(json.dumps(report, indent=4))
    return 0


if __name__ == "__main__":
    sys.exit(main(parse_arguments()))
