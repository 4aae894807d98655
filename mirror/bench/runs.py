"""The bench's runs: the mirror itself (pipelined or sequential), the tracker-only floor, and the
model alone on the chosen backend against PyTorch eager."""
from __future__ import annotations

import os
import time
from dataclasses import dataclass, field

import numpy as np

from mirror.backends.base import crops_to_images
from mirror.bench.harness import Preview, open_bench_source, split_edit
from mirror.bench.measure import cpu_seconds
from mirror.errors import MirrorError
from mirror.run.timing import timing_scope


# --- the runs -----------------------------------------------------------------------------------

@dataclass
class RunTimings:
    """What the main run measured."""

    stages: dict[str, list[float]] = field(default_factory=dict)
    latency: list[float] = field(default_factory=list)
    frames: int = 0
    faces: int = 0
    bad_frames: int = 0
    dropped: int = 0
    seconds: float = 0.0
    cpu_seconds: float = 0.0   # this process's CPU time (all threads) while measuring
    drawing: list[float] = field(default_factory=list)   # latencies of frames shown while the render thread drew
    idle: list[float] = field(default_factory=list)      # ... and of the others, when it drew at all
    crops: list[np.ndarray] = field(default_factory=list)

    def add(self, timings: dict[str, float]) -> None:
        for name, ms in split_edit(timings).items():
            if name != "latency":
                self.stages.setdefault(name, []).append(ms)


def bench_mirror(pipeline, source, style, frames: int, warmup: int, sequential: bool,
                 preview: Preview | None, progress=None, max_in_flight: int | None = None) -> RunTimings:
    """Runs the mirror on ``source``: ``warmup`` frames, then ``frames`` measured ones.

    Args:
        max_in_flight: ``PipelinedRunner``'s limit (None: its default).
    """
    run = RunTimings()
    total = warmup + frames
    crops = []

    def keep_crop(aligned):
        if aligned is not None and len(crops) < 8:
            crops.append(aligned.crop)

    def finish(result, latency_start_ms: float) -> float:
        if preview is None:
            return latency_start_ms
        start = time.perf_counter()
        preview.show(result.frame.image, result.output, 0.0, result.face, pipeline.backend)
        result.timings["display"] = (time.perf_counter() - start) * 1000.0
        return latency_start_ms + result.timings["display"]

    # Keep a few crops for the model comparison: align() is wrapped where the loop calls it.
    aligner_align = pipeline.aligner.align

    def align(image, face, *args):
        aligned = aligner_align(image, face, *args)
        keep_crop(aligned)
        return aligned

    pipeline.aligner.align = align
    if warmup == 0:
        run.cpu_seconds = -cpu_seconds()
    try:
        if sequential:
            done, start = _sequential(pipeline, source, style, total, warmup, run, finish, progress)
        else:
            done, start = _pipelined(pipeline, source, style, total, warmup, run, finish, progress, max_in_flight)
    finally:
        del pipeline.aligner.align
    run.frames = max(0, done - warmup)
    run.seconds = time.perf_counter() - start if start is not None else 0.0
    run.cpu_seconds += cpu_seconds()
    run.crops = crops
    return run


def _measured(run: RunTimings, done: int, warmup: int, result, latency: float, progress) -> float | None:
    """Books one finished frame; returns the measuring start time when the warm-up just ended."""
    if progress:
        progress.update(1)
    if done == warmup:
        run.cpu_seconds = -cpu_seconds()
        return time.perf_counter()
    if done > warmup:
        run.latency.append(latency)
        run.add(result.timings)
        run.faces += result.face
    return None


def _sequential(pipeline, source, style, total, warmup, run, finish, progress):
    """The loop before pipelining: read, ``Pipeline.process``, preview, one frame at a time."""
    from mirror.io.source import SourceLost

    done, start = 0, (time.perf_counter() if warmup == 0 else None)
    while done < total:
        with timing_scope({}) as timings:
            t0 = time.perf_counter()
            try:
                frame = source.read()
            except SourceLost as error:
                raise MirrorError(str(error)) from None
            if frame is None:
                break
            in_hand = time.perf_counter()
            try:
                result = pipeline.process(frame, style, 1.0)
            except MirrorError:
                run.bad_frames += 1
                continue
        result.timings.update({k: v for k, v in timings.items() if k not in result.timings})
        result.timings["capture"] = (in_hand - t0) * 1000.0
        latency = finish(result, (time.perf_counter() - in_hand) * 1000.0)
        done += 1
        start = _measured(run, done, warmup, result, latency, progress) or start
    return done, (start if start is not None and done > warmup else None)


def _pipelined(pipeline, source, style, total, warmup, run, finish, progress, max_in_flight=None):
    """The pipelined loop of ``mirror.run.pipelined``, the preview drawn on this thread."""
    from mirror.run.pipelined import PipelinedRunner
    from mirror.io.source import SourceLost

    done, start = 0, (time.perf_counter() if warmup == 0 else None)
    options = {} if max_in_flight is None else {"max_in_flight": max_in_flight or None}
    with PipelinedRunner(pipeline, source, lambda frame: (style, 1.0), max_frames=total, **options) as runner:
        while True:
            try:
                result = runner.next()
            except SourceLost as error:
                raise MirrorError(str(error)) from None
            except MirrorError:
                run.bad_frames += 1
                continue
            if result is None:
                break
            drawing = runner.drawing
            latency = finish(result, result.timings.pop("latency"))
            done += 1
            start = _measured(run, done, warmup, result, latency, progress) or start
            if done > warmup:
                (run.drawing if drawing else run.idle).append(latency)
        run.dropped = runner.dropped
        if not run.drawing:
            run.idle = []
    return done, (start if start is not None and done > warmup else None)


def bench_floor(spec: str, tracker, frames: int, warmup: int, progress=None) -> float:
    """Frames per second of capture + MediaPipe face mesh alone (the tracker-only floor).

    Uses the mirror's own tracker (same settings), on a freshly opened ``spec``.
    """
    with open_bench_source(spec, frames + warmup) as source:
        start = None
        for i in range(frames + warmup):
            if i == warmup:
                start = time.perf_counter()
            frame = source.read()
            if frame is None:
                break
            tracker.process(frame.image)
            if progress:
                progress.update(1)
        seconds = time.perf_counter() - start if start is not None else 0.0
    return round(frames / seconds, 2) if seconds > 0 else 0.0


def model_ms(backend, crops: list[np.ndarray], direction: np.ndarray, repeats: int = 30) -> float:
    """Median ms of what the editor asks the model per frame: encode 1 crop, decode 2 latents."""
    times = []
    for i in range(repeats + 3):
        x = crops_to_images(crops[i % len(crops)][None])
        start = time.perf_counter()
        mu = backend.encode(x)[0]
        backend.decode(np.stack([mu, mu + direction]))
        if i >= 3:
            times.append((time.perf_counter() - start) * 1000.0)
    return float(np.median(times))


def bench_torch(model, backend, run_dir: str | None, crops: list[np.ndarray], direction: np.ndarray,
                threads: int) -> dict:
    """The chosen backend against PyTorch eager on the same model and crops, both at the thread
    count the mirror runs the backend with (``threads``) and at every core.

    ``speedup`` compares them at ``threads`` (like with like); ``speedup_best`` each at its
    own best thread count.
    """
    from mirror.backends.onnxruntime import OnnxRuntimeBackend
    from mirror.backends.torch import TorchBackend

    cores = os.cpu_count() or 1
    counts = sorted({threads, cores})
    out = {"backend_ms": {}, "torch_ms": {}, "threads": threads, "speedup": None, "speedup_best": None,
           "reason": None}
    if not crops:
        out["reason"] = "no face found in the source: no crops to time the model on"
        return out
    for count in counts:
        if count == threads or not isinstance(backend, OnnxRuntimeBackend):
            timed = backend
        else:
            timed = backend.with_threads(count)
        out["backend_ms"][str(count)] = round(model_ms(timed, crops, direction), 3)
    try:
        torch_backend = TorchBackend(model, run_dir, threads=threads)
    except (MirrorError, ImportError) as error:
        out["reason"] = f"no PyTorch model to compare with: {error}"
        return out
    import torch

    for count in counts:
        torch.set_num_threads(count)
        out["torch_ms"][str(count)] = round(model_ms(torch_backend, crops, direction, repeats=20), 3)
    out["speedup"] = round(out["torch_ms"][str(threads)] / out["backend_ms"][str(threads)], 2)
    out["speedup_best"] = round(min(out["torch_ms"].values()) / min(out["backend_ms"].values()), 2)
    return out
