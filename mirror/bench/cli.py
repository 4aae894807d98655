"""The bench's command line: ``python -m mirror.bench --help``."""
from __future__ import annotations

import argparse
import json
import os
import sys

import mirror.bench
from mirror.bench.report import bench, bench_all, format_summary, format_table
from mirror.cli import setup_logging
from mirror.errors import MirrorError
from mirror.io.service import settle_memory


def parse_arguments(argv=None) -> argparse.Namespace:
    from mirror.paths import DEFAULT_ENGINES
    from mirror.backends import CHOICES

    parser = argparse.ArgumentParser(prog="python -m mirror.bench", description=mirror.bench.__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--source", default="demo", help="a video file, an image, demo or camera:N (default: demo)")
    parser.add_argument("--frames", type=int, default=300, help="measured frames (default: 300)")
    parser.add_argument("--warmup", type=int, default=30, help="frames run first, not measured (default: 30)")
    parser.add_argument("--floor-frames", type=int, default=None,
                        help="frames for the tracker-only floor (default: as --frames, at most 200)")
    parser.add_argument("--json", help="write the report here as JSON")
    parser.add_argument("--backend", default="auto", choices=CHOICES, help="model backend (default: auto)")
    parser.add_argument("--engines", default=DEFAULT_ENGINES, help="folder of the shipped model")
    parser.add_argument("--run", help="a training run folder for PyTorch (default: the shipped model's weights)")
    parser.add_argument("--style", default="receding", help="the style applied, or all: each style in turn, one "
                        "JSON (default: receding, drawn from the face's geometry: every stage runs: the model, the "
                        "decodes, the scalp and the wall drawn)")
    parser.add_argument("--sequential", action="store_true",
                        help="one frame at a time through Pipeline.process (the loop before pipelining)")
    parser.add_argument("--threads", type=int, default=None,
                        help="ONNX Runtime intra-op threads (default: chosen for the machine and mode)")
    parser.add_argument("--in-flight", type=int, default=None,
                        help="most frames in flight in the pipelined loop (0: no limit; default: the runner's)")
    parser.add_argument("--live", action="store_true",
                        help="play a video in real time like a camera (frames may be dropped)")
    parser.add_argument("--live-frames", type=int, default=150,
                        help="then play the video in real time like a camera for N frames and report that "
                             "latency too (0: skip; default: 150)")
    parser.add_argument("--no-display", action="store_true", help="skip the offscreen preview drawing")
    parser.add_argument("--no-torch", action="store_true", help="skip the PyTorch comparison")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    parser.add_argument("-v", "--verbose", action="store_true", help="log more")
    args = parser.parse_args(argv)
    if args.frames < 1:
        parser.error("--frames must be at least 1")
    if args.warmup < 0:
        parser.error("--warmup must be at least 0")
    if args.live_frames < 0:
        parser.error("--live-frames must be at least 0")
    if args.threads is not None and args.threads < 1:
        parser.error("--threads must be at least 1")
    if args.floor_frames is None:
        args.floor_frames = min(args.frames, 200)
    return args


def main(args: argparse.Namespace) -> int:
    setup_logging(args.verbose)
    settle_memory()   # (as the live loop runs)
    try:
        if args.style == "all":
            report = bench_all(args, _style_names(args.engines))
        else:
            report = bench(args)
    except MirrorError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    print(format_summary(report) if args.style == "all" else format_table(report))
    if args.json:
        folder = os.path.dirname(os.path.abspath(args.json))
        os.makedirs(folder, exist_ok=True)
        with open(args.json, "w") as f:
            json.dump(report, f, indent=4, sort_keys=True)
            f.write("\n")
        print(f"wrote {args.json}")
    return 0


def _style_names(engines: str) -> list[str]:
    """Every style the mirror cycles through but ``original`` (``--style all``): the model's, then
    the looks of its donor bank (none without one)."""
    from mirror.backends import load_model_files
    from mirror.edit.donors import BANK_FILE, DonorBank
    from mirror.edit.styles import ORIGINAL, StyleLibrary

    bank = os.path.join(engines, BANK_FILE)
    looks = DonorBank.load(bank).look_names if os.path.isfile(bank) else ()
    return [name for name in StyleLibrary(load_model_files(engines).styles, looks=looks).names if name != ORIGINAL]
