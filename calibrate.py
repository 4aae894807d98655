"""Calibrates the mirror for this machine and camera, and writes the config run_mirror.py reads.

    python calibrate.py                         # camera 0: check, time the backends, choose, write
    python calibrate.py --source camera:1 --target-fps 30
    python calibrate.py --source clip.mp4       # a video stands in for a camera
    python calibrate.py --dry-run               # measure and show, write nothing
    python calibrate.py --reset                 # remove the config (run_mirror.py's defaults again)

The config lives at $HAIR_MIRROR_CONFIG, else ~/.config/hair-mirror/config.json. run_mirror.py
takes its backend and camera resolution as defaults; flags typed on its command line win.
"""
from __future__ import annotations

import argparse
import json
import sys

from mirror.errors import MirrorError


def parse_arguments(argv=None) -> argparse.Namespace:
    from mirror.paths import DEFAULT_ENGINES
    from mirror.backends import BACKENDS

    parser = argparse.ArgumentParser(prog="calibrate.py", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--source", default="camera:0", help="camera:N, or a video file standing in for a "
                        "camera (default: camera:0)")
    parser.add_argument("--engines", default=DEFAULT_ENGINES, help="folder of the shipped model")
    parser.add_argument("--target-fps", type=float, help="frame rate to keep (default: the camera's, "
                        "between 15 and 60; 30 when it does not say)")
    parser.add_argument("--frames", type=int, default=60, help="measured frames per run (default: 60)")
    parser.add_argument("--warmup", type=int, default=10, help="frames run before measuring (default: 10)")
    parser.add_argument("--backend", action="append", choices=list(BACKENDS), dest="backends",
                        help="try only this backend (repeatable; default: all)")
    parser.add_argument("--dry-run", action="store_true", help="measure and show, write nothing")
    parser.add_argument("--reset", action="store_true", help="remove the config and exit")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.add_argument("-v", "--verbose", action="store_true", help="log more")
    args = parser.parse_args(argv)
    if args.frames < 5:
        parser.error("--frames must be at least 5")
    if args.warmup < 1:
        parser.error("--warmup must be at least 1")
    if args.target_fps is not None and not 1 <= args.target_fps <= 240:
        parser.error("--target-fps must be between 1 and 240")
    return args


def main(args: argparse.Namespace) -> int:
    from mirror.cli import setup_logging

    setup_logging(args.verbose)
    from mirror.run.config import config_path, reset_config, write_config

    path = config_path()
    try:
        if args.reset:
            if args.dry_run:
                print(f"dry run: would remove {path}")
            else:
                print(f"removed {path}" if reset_config(path) else f"no config at {path}")
            return 0
        from mirror.run.calibration import calibrate

        report = calibrate(args.source, args.engines, args.target_fps, args.frames, args.warmup,
                           args.backends, progress=not args.no_progress)
        for line in report.lines():
            print(line)
        if args.dry_run:
            print(f"dry run: nothing written; {path} would hold:")
            print(json.dumps(report.settings, indent=4, sort_keys=True))
        else:
            print(f"wrote {write_config(report.settings, path)}")
    except MirrorError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main(parse_arguments()))
