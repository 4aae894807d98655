"""Soak test: many frames through the whole pipeline, headless, looping the shared videos.

    python -m mirror.soak --frames 20000 --json soak.json
    python -m mirror.soak --videos ../shared/data/videos --frames 2000 --style random

Reports exceptions, frames in and out, RSS growth after warm-up, and latency p95 of the first
and last 1,000 frames. Exit status 1 when a target is missed.
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import random
import resource
import sys
import time

import numpy as np

from mirror.run.app import Pipeline
from mirror.paths import DEFAULT_ENGINES
from mirror.cli import silence_native_stderr
from mirror.errors import MirrorError
from mirror.io.source import VideoSource

log = logging.getLogger(__name__)
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_VIDEOS = os.path.join(ROOT, "..", "shared", "data", "videos")


def rss_mb() -> float:
    """Current resident set size in MB (Linux)."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def soak(videos: list[str], frames: int, engines: str = DEFAULT_ENGINES, backend: str = "auto",
         style: str = "random", warmup: int = 200, window: int = 1000, seed: int = 0) -> dict:
    """Runs ``frames`` frames, switching video at each end and style every 100 frames."""
    rng = random.Random(seed)
    latencies, errors = [], []
    frames_in = frames_out = faces = 0
    rss_start = None
    with Pipeline(engines, backend) as pipeline:
        names = pipeline.styles.names[1:]
        current = pipeline.styles.get(rng.choice(names) if style == "random" else style)
        clock = 0
        video_index = 0
        source = VideoSource(videos[0])
        try:
            while frames_in < frames:
                frame = source.read()
                if frame is None:
                    source.close()
                    video_index = (video_index + 1) % len(videos)
                    source = VideoSource(videos[video_index])
                    continue
                frame.timestamp_ms = clock  # one monotonic clock across the looped videos
                clock += 33
                frames_in += 1
                if style == "random" and frames_in % 100 == 0:
                    current = pipeline.styles.get(rng.choice(names))
                start = time.perf_counter()
                try:
                    result = pipeline.process(frame, current, 1.0)
                except Exception as error:  # counted: the soak's job is to find these
                    errors.append(f"frame {frames_in}: {type(error).__name__}: {error}")
                    continue
                latencies.append((time.perf_counter() - start) * 1000)
                frames_out += 1
                faces += result.face
                if frames_in == warmup:
                    rss_start = rss_mb()
        finally:
            source.close()
    rss_end = rss_mb()
    window = min(window, max(len(latencies) // 2, 1))
    first = float(np.percentile(latencies[:window], 95)) if latencies else 0.0
    last = float(np.percentile(latencies[-window:], 95)) if latencies else 0.0
    return {
        "frames_in": frames_in, "frames_out": frames_out, "faces": faces, "exceptions": len(errors),
        "first_errors": errors[:5], "rss_start_mb": round(rss_start or rss_end, 1),
        "rss_end_mb": round(rss_end, 1), "rss_growth_mb": round(rss_end - (rss_start or rss_end), 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "window": window, "p95_first_ms": round(first, 2), "p95_last_ms": round(last, 2),
        "p95_ratio": round(last / first, 3) if first else None, "backend": pipeline.backend,
        "videos": [os.path.basename(v) for v in videos],
    }


def passed(report: dict, max_growth_mb: float = 30.0, max_ratio: float = 1.2) -> bool:
    """The soak targets: no exception, frames in = out, bounded RSS growth and latency drift."""
    return (report["exceptions"] == 0 and report["frames_in"] == report["frames_out"]
            and report["rss_growth_mb"] <= max_growth_mb
            and (report["p95_ratio"] or 0) <= max_ratio)


def parse_arguments(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m mirror.soak", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--videos", default=DEFAULT_VIDEOS, help="a folder of videos or one video file")
    parser.add_argument("--frames", type=int, default=20000, help="frames to run (default: 20000)")
    parser.add_argument("--engines", default=DEFAULT_ENGINES)
    parser.add_argument("--backend", default="auto")
    parser.add_argument("--style", default="random", help="a style name, or random (changes every 100 frames)")
    parser.add_argument("--json", help="also write the report here")
    args = parser.parse_args(argv)
    if args.frames < 2:
        parser.error("--frames must be at least 2")
    return args


def main(args: argparse.Namespace) -> int:
    silence_native_stderr()
    if os.path.isdir(args.videos):
        videos = sorted(os.path.join(args.videos, f) for f in os.listdir(args.videos) if f.endswith(".mp4"))
    else:
        videos = [args.videos]
    try:
        if not videos:
            raise MirrorError(f"no .mp4 videos in {args.videos}")
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
