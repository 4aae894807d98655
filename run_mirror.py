"""The live hairstyle mirror.

    python run_mirror.py                          # camera 0, or the built-in demo without one
    python run_mirror.py --source demo --headless # writes demo_before_after.png
    python run_mirror.py --source clip.mp4 --style blond --output out.mp4 --headless
    python run_mirror.py --style random --kiosk
    python run_mirror.py --list-styles

SIGTERM (a service manager's stop) and SIGINT (Ctrl-C) end the mirror cleanly in every mode,
--kiosk included: the camera is released and the window closed. Exit status: 0 when the source
ended, the user quit or SIGTERM stopped it; 130 after SIGINT; 2 for an error (one line on stderr).
Running it as a service: docs/DEPLOY.md.
"""
from __future__ import annotations

import argparse
import sys

from mirror.cli import setup_logging
from mirror.errors import MirrorError


def parse_arguments(argv=None) -> argparse.Namespace:
    from mirror.paths import DEFAULT_ENGINES
    from mirror.backends import CHOICES

    parser = argparse.ArgumentParser(prog="run_mirror.py", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--source", help="camera:N, demo, a video file or an image file "
                        "(default: camera 0, else the demo)")
    parser.add_argument("--style", default="random",
                        help="a style name (see --list-styles), random, or a reference photo (default: random)")
    parser.add_argument("--strength", type=float, default=1.0,
                        help="times the style's default strength, 0 to 3 (default: 1)")
    parser.add_argument("--backend", default="auto", choices=CHOICES, help="model backend (default: auto)")
    parser.add_argument("--engines", default=DEFAULT_ENGINES, help="folder of the shipped model")
    parser.add_argument("--run", help="a training run folder, for --backend torch")
    parser.add_argument("--max-frames", type=int, help="stop after N frames")
    parser.add_argument("--headless", action="store_true", help="no window")
    parser.add_argument("--output", help="write processed frames: FILE.mp4, FILE.png or a folder "
                        "(nothing is written unless asked)")
    parser.add_argument("--list-styles", action="store_true", help="list the styles and exit")
    parser.add_argument("--kiosk", action="store_true",
                        help="fullscreen, no cursor, random styles while idle, quit only with F12")
    parser.add_argument("--idle-seconds", type=float, default=30.0,
                        help="with --kiosk, random styles after this long without a key press (default: 30)")
    parser.add_argument("--fullscreen", action="store_true", help="start fullscreen")
    parser.add_argument("--random-seconds", type=float, default=4.0,
                        help="with --style random, seconds between styles (default: 4)")
    parser.add_argument("--snapshot-dir", default="snapshots", help="where S saves snapshots")
    parser.add_argument("--retry-seconds", type=float, default=10.0,
                        help="how long to retry a camera that stops delivering (default: 10)")
    parser.add_argument("--loop", action="store_true", help="loop a video file")
    parser.add_argument("-v", "--verbose", action="store_true", help="log more")
    from mirror.run.config import run_defaults

    parser.set_defaults(**run_defaults(CHOICES))  # calibrate.py's config; flags typed here win
    args = parser.parse_args(argv)
    if not 0.0 <= args.strength <= 3.0:
        parser.error("--strength must be between 0 and 3")
    if args.max_frames is not None and args.max_frames < 1:
        parser.error("--max-frames must be at least 1")
    if args.random_seconds <= 0:
        parser.error("--random-seconds must be positive")
    if args.idle_seconds <= 0:
        parser.error("--idle-seconds must be positive")
    return args


def main(args: argparse.Namespace) -> int:
    setup_logging(args.verbose)
    from mirror.run.loop import Options, run

    try:
        if args.list_styles:
            from mirror.backends import load_model_files
            from mirror.edit.styles import StyleLibrary

            for style in StyleLibrary(load_model_files(args.engines).styles).styles:
                print(f"{style.name:12s} {style.description}")
            return 0
        options = Options(**{k: v for k, v in vars(args).items() if k not in ("list_styles", "verbose")})
        from mirror.run.config import configured_camera

        stats = run(options, configured_camera(options.source))  # the calibrated camera resolution
    except MirrorError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    print(f"{stats.frames} frames, {stats.faces} with a face, {stats.bad_frames} skipped, "
          f"{stats.fps:.1f} fps, backend {stats.backend}"
          + (f", stopped by {stats.stopped_by}" if stats.stopped_by else ""))
    for path in stats.outputs:
        print(f"wrote {path}")
    return 130 if stats.stopped_by == "SIGINT" else 0  # Ctrl-C's usual status; SIGTERM's stop is clean


def console() -> int:
    """The ``hair-mirror`` command of an installed package (``pip install .``).

    Once ``main`` has closed the camera, the window and the model, the process ends at once:
    the interpreter's own teardown (most of it matplotlib's, which MediaPipe imports) took 0.6 s
    more, too long for a service manager's stop."""
    import logging
    import os

    code = main(parse_arguments())
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    sys.exit(console())
