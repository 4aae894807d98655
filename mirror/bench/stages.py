"""Where the CPU goes: the mirror's stages one frame at a time, with the process's CPU time
(every thread: MediaPipe's and FFmpeg's own threads count in the stage they run in).

    python -m mirror.bench.stages --source ../shared/data/videos/d13.mp4 --style blond
    python -m mirror.bench.stages --source ../shared/data/videos/d13.mp4 --style bald --frames 120

Runs ``Pipeline.track`` / ``edit`` / ``compose`` and the preview's drawing (an offscreen window)
in turn on every frame, and times within them face mesh, alignment, the background plate and,
for colour styles, the recolouring's mask on its worker thread (apart from the frame's own). Prints mean and p95 milliseconds per frame. Unlike
``python -m mirror.bench``, shape styles are drawn on every frame here (no render thread).
"""
from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

from mirror.render import recolor
from mirror.run.app import Pipeline
from mirror.bench.harness import Preview, open_bench_source
from mirror.paths import DEFAULT_ENGINES
from mirror.run.pipelined import configure_threads


def parse_arguments(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m mirror.bench.stages",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--source", default="demo", help="a video file, an image, demo or camera:N")
    parser.add_argument("--style", default="blond", help="the style applied (default: blond)")
    parser.add_argument("--frames", type=int, default=120, help="measured frames (default: 120)")
    parser.add_argument("--warmup", type=int, default=20, help="frames run first, not measured")
    parser.add_argument("--engines", default=DEFAULT_ENGINES, help="folder of the shipped model")
    parser.add_argument("--backend", default="auto", help="model backend (default: auto)")
    return parser.parse_args(argv)


class _Timed:
    """Wraps ``owner.name`` so each call adds its CPU time by ``clock`` (the process's, or the
    calling thread's for work on another thread) to ``totals[label]``."""

    def __init__(self, owner, name: str, label: str, totals: dict[str, float], clock=time.process_time):
        function = getattr(owner, name)

        def timed(*args, **kwargs):
            start = clock()
            try:
                return function(*args, **kwargs)
            finally:
                totals[label] = totals.get(label, 0.0) + clock() - start

        setattr(owner, name, timed)


def measure(pipeline: Pipeline, source, style, frames: int, warmup: int) -> dict[str, list[float]]:
    """{stage: [ms per measured frame]} of ``frames`` frames after ``warmup`` ones."""
    preview = Preview()
    inner: dict[str, float] = {}
    _Timed(pipeline.tracker, "process", "face mesh", inner)
    _Timed(pipeline.aligner, "align", "align", inner)
    if pipeline.plate is not None:
        _Timed(pipeline.plate, "update", "background plate", inner)
    colour = style.kind == "color" and style.color is not None
    if colour:
        # (made on the mask's worker thread in video, so timed on that thread's clock)
        _Timed(recolor, "shaped_mask", "render: recolour mask", inner, time.thread_time)
    stages: dict[str, list[float]] = {}

    def add(name: str, seconds: float) -> None:
        stages.setdefault(name, []).append(seconds * 1000.0)

    clock = time.process_time
    for index in range(warmup + frames):
        inner.clear()
        start = clock()
        frame = source.read()      # videos loop, images cycle
        if frame is None:
            break
        read = clock()
        frame, aligned = pipeline.track(frame)
        tracked, edit_start = clock(), time.thread_time()
        edited = pipeline.edit(frame, aligned, style, 1.0)
        drawn, edit_cpu = clock(), time.thread_time() - edit_start
        output = pipeline.compose(frame, aligned, edited)
        composed = clock()
        preview.show(frame.image, output, 0.0, aligned is not None, pipeline.backend)
        shown = clock()
        if index < warmup:
            continue
        add("capture", read - start)
        add("face mesh", inner.get("face mesh", 0.0))
        add("align", inner.get("align", 0.0))
        add("segment + landmark filter", tracked - read - inner.get("face mesh", 0.0) - inner.get("align", 0.0))
        plate = inner.get("background plate", 0.0)
        add("background plate", plate)
        if colour:
            # (the frame's own thread, and the mask's worker beside it, apart)
            add("render: recolour mask (worker thread)", inner.get("render: recolour mask", 0.0))
            add("render: own colour, recolour, blend (frame's thread)", edit_cpu - plate)
        else:
            add("edit + render", drawn - tracked - plate)
        add("composite", composed - drawn)
        add("display", shown - composed)
        add("total", shown - start)
    preview.close()
    return stages


def main(args: argparse.Namespace) -> int:
    os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
    with Pipeline(args.engines, args.backend) as pipeline:
        configure_threads(pipeline)
        style = pipeline.styles.get(args.style)
        source = open_bench_source(args.source, args.warmup + args.frames)
        try:
            stages = measure(pipeline, source, style, args.frames, args.warmup)
        finally:
            source.close()
    print(f"{args.style} on {args.source}: process CPU ms per frame, mean / p95 over {args.frames} frames")
    for name, values in stages.items():
        values = np.asarray(values)
        print(f"  {name:52s} {values.mean():7.2f} / {np.percentile(values, 95):7.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main(parse_arguments()))
