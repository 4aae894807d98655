"""Soak tests from the command line.

    python -m mirror.soak --frames 20000 --json soak.json
    python -m mirror.soak --videos ../shared/data/videos --frames 2000 --style random
    python -m mirror.soak --live --faults 500 --frames 10000 --videos ../shared/data/videos --json live.json

Without ``--live``: frames one at a time through ``Pipeline.process`` (exceptions, frames in and
out, RSS growth after warm-up, latency p95 of the first and last 1,000 frames). With ``--live``:
the kiosk's live loop, a fault every ``--faults`` frames, stopped with SIGTERM at the end (see
mirror/soak/live.py for the report). Exit status 1 when a target is missed, 2 for bad input.
"""
from __future__ import annotations

import argparse
import json
import os
import sys

from mirror.cli import setup_logging
from mirror.errors import MirrorError
from mirror.paths import DEFAULT_ENGINES

DEFAULT_VIDEOS = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                              "..", "shared", "data", "videos")


def parse_arguments(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m mirror.soak", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--videos", default=DEFAULT_VIDEOS, help="a folder of videos or one video file")
    parser.add_argument("--frames", type=int, default=20000, help="frames to run (default: 20000)")
    parser.add_argument("--engines", default=DEFAULT_ENGINES)
    parser.add_argument("--backend", default="auto")
    parser.add_argument("--style", default="random", help="a style name, or random (changes every 100 frames)")
    parser.add_argument("--live", action="store_true", help="soak the kiosk's live loop, with faults")
    parser.add_argument("--faults", type=int, default=500, metavar="K",
                        help="with --live, one fault every K frames (default: 500)")
    parser.add_argument("--warmup", type=int, default=500,
                        help="with --live, frames before memory and the first window are measured (default: 500)")
    parser.add_argument("--window", type=int, default=1000,
                        help="with --live, frames in each latency window (default: 1000)")
    parser.add_argument("--idle-seconds", type=float, default=5.0,
                        help="with --live, the kiosk's idle limit in the camera's time (default: 5)")
    parser.add_argument("--kinds", help="with --live, the faults to inject in turn, comma-separated "
                        "(default: all: camera_lost, corrupt_frames, no_face, two_faces, switch_in_flight, "
                        "render_error, session_error, key_in_idle, bad_reference)")
    parser.add_argument("--trace-memory", action="store_true",
                        help="with --live, trace Python's allocations and report what grew (slow)")
    parser.add_argument("--json", help="also write the report here")
    parser.add_argument("-v", "--verbose", action="store_true", help="log more")
    args = parser.parse_args(argv)
    if args.frames < 2:
        parser.error("--frames must be at least 2")
    if args.faults < 1:
        parser.error("--faults must be at least 1")
    if args.idle_seconds <= 0:
        parser.error("--idle-seconds must be positive")
    from mirror.soak.faults import KINDS

    args.kinds = tuple(args.kinds.split(",")) if args.kinds else KINDS
    if not set(args.kinds) <= set(KINDS):
        parser.error(f"--kinds: unknown {', '.join(sorted(set(args.kinds) - set(KINDS)))}")
    return args


def videos_in(path: str) -> list[str]:
    """The .mp4 files in a folder (sorted), or the one file given."""
    if os.path.isdir(path):
        videos = sorted(os.path.join(path, f) for f in os.listdir(path) if f.endswith(".mp4"))
        if not videos:
            raise MirrorError(f"no .mp4 videos in {path}")
        return videos
    if not os.path.isfile(path):
        raise MirrorError(f"video not found: {path}")
    return [path]


def main(args: argparse.Namespace) -> int:
    setup_logging(args.verbose)
    try:
        videos = videos_in(args.videos)
        if args.live:
            from mirror.soak.live import live_soak, passed

            report = live_soak(videos, args.frames, args.faults, args.engines, args.backend,
                               warmup=args.warmup, window=args.window, idle_seconds=args.idle_seconds,
                               trace_memory=args.trace_memory, kinds=args.kinds)
        else:
            from mirror.soak.frames import passed, soak

            report = soak(videos, args.frames, args.engines, args.backend, args.style)
    except MirrorError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    text = json.dumps(report, indent=4, sort_keys=True)
    print(text)
    if args.json:
        with open(args.json, "w") as f:
            f.write(text + "\n")
    return 0 if passed(report) else 1


if __name__ == "__main__":
    sys.exit(main(parse_arguments()))
