"""The one-frame-at-a-time soak: many frames through ``Pipeline.process``, looping the videos.

    report = soak(["clip.mp4"], frames=2000, style="random")

Reports exceptions, frames in and out, RSS growth after warm-up, and latency p95 of the first
and last 1,000 frames (``python -m mirror.soak``; the live loop's soak is mirror.soak.live).
"""
from __future__ import annotations

import logging
import os
import random
import resource
import time

import numpy as np

from mirror.run.app import Pipeline
from mirror.paths import DEFAULT_ENGINES
from mirror.io.source import VideoSource
from mirror.soak.memory import rss_mb

log = logging.getLogger(__name__)


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
