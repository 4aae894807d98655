"""INT8 copies of the shipped encoder and decoder for the CPU (ONNX Runtime static quantization).

    python -m train.quantize engines --data data/aligned128

Writes ``encoder.int8.onnx`` and ``decoder.int8.onnx`` beside the float files. Weights are int8
per output channel in 7 bits (``reduce_range``: x86 CPUs with AVX2 or AVX-512 but no VNNI add
pairs of uint8 x int8 products in 16 bits, which saturate with 8-bit weights; on such a CPU the
8-bit copies decoded at 27 dB from the float model against 45 dB with VNNI), activations uint8 with ranges calibrated on train-split crops (the decoder on
the encoder's latents of the same crops); the decoder's transposed convolutions stay in float,
since ONNX Runtime's CPU provider has no int8 kernel for them (quantizing them only adds
conversions). Before it returns, the command compares the INT8 pair with the float pair on
val-split crops (PSNR of the INT8 decode against the float decode, and each against the input)
and times both; ``mirror.backends`` then offers the pair as the ``onnxruntime-int8`` backend.
"""
from __future__ import annotations

import argparse
import json
import logging
import sys
import time

import numpy as np

from mirror.backends.base import onnx_paths
from mirror.cli import setup_logging
from mirror.errors import MirrorError

log = logging.getLogger(__name__)

# Operators quantized in each graph (see the module docstring for ConvTranspose).
QUANTIZED_OPS = {"encoder": ["Conv", "Gemm"], "decoder": ["Conv", "Gemm"]}


class _Feed:
    """ONNX Runtime calibration reader: one input array per call, batch 1."""

    def __init__(self, name: str, arrays: np.ndarray):
        self._items = iter([{name: a[None]} for a in arrays])

    def get_next(self):
        return next(self._items, None)


def quantize(engines: str, data: str, limit: int = 512) -> dict:
    """Writes the INT8 files into ``engines``; returns the comparison report."""
    from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static

    from mirror.backends import open_backend
    from mirror.backends.base import crops_to_images
    from train.data import AlignedSet

    CalibrationDataReader.register(_Feed)
    float_backend = open_backend(engines)
    train_set = AlignedSet(data, "train", limit)
    if train_set.size != float_backend.size:
        raise MirrorError(f"{data} holds {train_set.size} px crops, the model wants {float_backend.size}")
    images = crops_to_images(train_set.crops)
    mu = float_backend.encode(images)
    feeds = [("encoder", "image", images), ("decoder", "z", mu)]
    for (name, input_name, arrays), source, target in zip(feeds, onnx_paths(engines), onnx_paths(engines, int8=True)):
        quantize_static(source, target, _Feed(input_name, arrays), quant_format=QuantFormat.QDQ,
                        activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8, per_channel=True,
                        reduce_range=True, op_types_to_quantize=QUANTIZED_OPS[name])
        log.info("wrote %s", target)
    return compare(engines, data, limit=min(limit, 256))


def compare(engines: str, data: str, limit: int = 256) -> dict:
    """INT8 against float on val crops: quality (PSNR) and speed (one encode + a two-latent decode,
    batch 1, one thread: the mirror's work per frame)."""
    from mirror.backends import open_backend
    from mirror.backends.base import crops_to_images
    from train.data import AlignedSet
    from train.metrics import psnr

    images = crops_to_images(AlignedSet(data, "val", limit).crops)
    report = {"images": len(images)}
    decodes = {}
    for label, int8 in (("float", False), ("int8", True)):
        backend = open_backend(engines, "onnxruntime-int8" if int8 else "onnxruntime", threads=1)
        mu = backend.encode(images)
        decodes[label] = backend.decode(mu)
        report[f"psnr_{label}"] = round(float(psnr(decodes[label], images).mean()), 3)
        report[f"ms_per_frame_{label}"] = round(_time_frame(backend, images[:1], mu[:1]), 3)
    report["psnr_int8_vs_float"] = round(float(psnr(decodes["int8"], decodes["float"]).mean()), 2)
    report["speedup"] = round(report["ms_per_frame_float"] / report["ms_per_frame_int8"], 2)
    return report


def _time_frame(backend, image: np.ndarray, mu: np.ndarray, repeats: int = 100) -> float:
    pair = np.concatenate([mu, mu])
    for _ in range(10):
        backend.encode(image), backend.decode(pair)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        backend.encode(image)
        backend.decode(pair)
        times.append(time.perf_counter() - start)
    return float(np.median(times) * 1000.0)


def parse_arguments(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m train.quantize", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("engines", help="folder with encoder.onnx and decoder.onnx")
    parser.add_argument("--data", required=True, help="prepared aligned folder (python -m train.prepare)")
    parser.add_argument("--limit", type=int, default=512, help="train crops used to calibrate (default 512)")
    parser.add_argument("--json", help="also write the comparison report here")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_arguments(argv)
    setup_logging(False, logging.INFO, native=True)
    try:
        report = quantize(args.engines, args.data, args.limit)
    except MirrorError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    text = json.dumps(report, indent=4)
    print(text)
    if args.json:
        with open(args.json, "w") as f:
            f.write(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
