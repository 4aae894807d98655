"""Benchmarks the whole mirror headless: per-stage times, latency, throughput, the tracker-only
floor, the same model on PyTorch eager, and peak memory.

    python -m mirror.bench --source ../shared/data/videos/d13.mp4 --frames 300 --json bench.json
    python -m mirror.bench --source ../shared/data/videos/d13.mp4 --sequential   # the plain loop
    python -m mirror.bench --source demo --frames 60 --engines /tmp/fake_engines
    python -m mirror.bench --source clip.mp4 --live     # paced like a 30 fps camera, drops allowed

What it runs, in one process:

1. The mirror, as ``run_mirror.py`` runs it (the pipelined loop of ``mirror.pipelined``, or with
   ``--sequential`` the one-frame-at-a-time ``Pipeline.process``), headless, followed on the
   caller's thread by the preview's own drawing code on an offscreen SDL window (``display``).
   ``--warmup`` frames first, then ``--frames`` measured ones. A short video is looped.
2. The tracker-only floor: capture + MediaPipe face mesh alone, on the same source.
3. The model alone: one encode and one two-latent decode (what the editor runs per frame) on
   crops from the run, on the chosen backend and on PyTorch eager (``engines/torch``).

Stages (milliseconds per frame): ``capture`` (reading/decoding the frame), ``track`` (face
mesh), ``align``, ``encode``, ``segment`` (selfie segmentation), ``decode``, ``edit`` (the rest
of the editor: latent move, crop blend), ``composite``, ``display`` (preview drawing). Latency:
from the frame in hand to the preview drawn. Throughput: frames out per second of wall time.
The main run feeds frames as fast as the mirror takes them (its latency includes the wait of a
saturated pipeline); ``as_camera`` then plays the video in real time, as a camera would deliver
it, and reports the latency a person in front of the mirror sees.
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import resource
import sys
import time
from contextlib import ExitStack
from dataclasses import dataclass, field

import numpy as np

from mirror.errors import MirrorError
from mirror.source import Source, camera_index
from mirror.timing import add_timing, timing_scope

log = logging.getLogger(__name__)

STAGES = ("capture", "track", "align", "encode", "segment", "decode", "edit", "composite", "display")
# The targets for this 2-core CPU machine.
TARGETS = {"throughput_fps": 60.0, "latency_p95_ms": 25.0, "ratio_to_floor": 0.4,
           "speedup_vs_torch": 1.5, "rss_mb": 1024.0}


# --- timing hooks -------------------------------------------------------------------------------

class TimedBackend:
    """Wraps a backend so each ``encode`` and ``decode`` adds its time to the frame's timings.

    Same interface as ``mirror.backends.Backend`` (it forwards every call).
    """

    def __init__(self, inner):
        self.inner = inner
        self.name = inner.name

    def encode(self, crops: np.ndarray) -> np.ndarray:
        start = time.perf_counter()
        out = self.inner.encode(crops)
        add_timing("encode", start)
        return out

    def decode(self, latents: np.ndarray) -> np.ndarray:
        start = time.perf_counter()
        out = self.inner.decode(latents)
        add_timing("decode", start)
        return out

    def close(self) -> None:
        self.inner.close()


def instrument(pipeline) -> None:
    """Times the editor's model calls inside the frame's timings."""
    pipeline.editor.backend = TimedBackend(pipeline.editor.backend)


def split_edit(timings: dict[str, float]) -> dict[str, float]:
    """Turns the editor's total ``edit`` into ``edit`` = what is left after encode and decode."""
    out = dict(timings)
    if "edit" in out:
        out["edit_total"] = out["edit"]
        out["edit"] = max(0.0, out["edit"] - sum(out.get(k, 0.0) for k in ("encode", "decode")))
    return out


# --- the preview's drawing, offscreen ------------------------------------------------------------

class Preview:
    """The mirror's own ``Display.show`` on an offscreen SDL window (dummy video driver), so the
    bench pays what the live preview pays per frame. Falls back to the view preparation alone
    (mirror, BGR->RGB) when Pygame cannot start."""

    def __init__(self):
        from mirror.display import Display, has_display

        if not has_display():
            os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
        try:
            self.display = Display()
        except Exception as error:  # noqa: BLE001 - Pygame raises its own error types
            log.warning("no offscreen preview (%s): timing the view preparation only", error)
            self.display = None

    def show(self, before: np.ndarray, after: np.ndarray, fps: float, face: bool, backend: str) -> None:
        from mirror.display import Hud

        if self.display is None:
            view = after[:, ::-1, ::-1]
            np.ascontiguousarray(view).tobytes()
            return
        self.display.events()
        self.display.show(before, after, Hud("bench", 1.0, backend, fps, face))

    def close(self) -> None:
        if self.display is not None:
            self.display.close()


# --- sources ------------------------------------------------------------------------------------

class PacedSource(Source):
    """Plays a source in real time like a camera (``live``: the pipelined loop may drop frames)."""

    live = True

    def __init__(self, inner, fps: float):
        self.inner = inner
        self.name = f"{inner.name} (paced at {fps:g} fps)"
        self.fps = fps
        self._next = None

    def read(self):
        now = time.perf_counter()
        if self._next is None:
            self._next = now
        if self._next > now:
            time.sleep(self._next - now)
        self._next = max(self._next + 1.0 / self.fps, time.perf_counter() - 1.0 / self.fps)
        return self.inner.read()

    def close(self) -> None:
        self.inner.close()


def open_bench_source(spec: str, frames: int, live: bool = False):
    """The source to bench: videos loop (so ``frames`` can exceed their length), images cycle."""
    from mirror.source import VideoSource, open_source

    source = open_source(spec, repeat=0, loop=True)
    if isinstance(source, VideoSource) and live:
        return PacedSource(source, source.fps)
    return source


# --- statistics ---------------------------------------------------------------------------------

def percentiles(values) -> dict[str, float]:
    values = np.asarray(list(values), np.float64)
    if values.size == 0:
        return {"p50": None, "p95": None}
    return {"p50": round(float(np.percentile(values, 50)), 3), "p95": round(float(np.percentile(values, 95)), 3)}


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far, in MB."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0, 1)


class CpuMeter:
    """How many cores other processes kept busy meanwhile (to tell a contended run apart)."""

    def __init__(self):
        self._start = self._sample()

    @staticmethod
    def _sample():
        try:
            with open("/proc/stat") as f:
                fields = [float(x) for x in f.readline().split()[1:]]
            busy = sum(fields) - fields[3] - (fields[4] if len(fields) > 4 else 0.0)
            ticks = os.sysconf("SC_CLK_TCK")
            own = resource.getrusage(resource.RUSAGE_SELF)
            return time.perf_counter(), busy / ticks, own.ru_utime + own.ru_stime
        except (OSError, ValueError, IndexError):
            return None

    def other_cores(self) -> float | None:
        end = self._sample()
        if self._start is None or end is None:
            return None
        wall = end[0] - self._start[0]
        return round(max(0.0, (end[1] - self._start[1]) - (end[2] - self._start[2])) / wall, 2) if wall > 0 else None


def machine_info(backend: str) -> dict:
    """CPU model, cores, backend, library versions, and the machine's load."""
    from importlib import metadata

    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    versions = {"python": platform.python_version()}
    for package in ("numpy", "opencv-contrib-python", "mediapipe", "onnxruntime", "torch"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = None
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count()
    return {"cpu": cpu, "cores": os.cpu_count(), "usable_cores": usable, "platform": platform.platform(),
            "backend": backend, "versions": versions,
            "loadavg_1min_at_start": round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else None}


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
    crops: list[np.ndarray] = field(default_factory=list)

    def add(self, timings: dict[str, float]) -> None:
        for name, ms in split_edit(timings).items():
            if name != "latency":
                self.stages.setdefault(name, []).append(ms)


def bench_mirror(pipeline, source, style, frames: int, warmup: int, sequential: bool,
                 preview: Preview | None, progress=None, runner_options: dict | None = None) -> RunTimings:
    """Runs the mirror on ``source``: ``warmup`` frames, then ``frames`` measured ones.

    ``runner_options`` go to ``PipelinedRunner`` (``pace``, ``composite_thread``).
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

    def align(image, face):
        aligned = aligner_align(image, face)
        keep_crop(aligned)
        return aligned

    pipeline.aligner.align = align
    if warmup == 0:
        run.cpu_seconds = -_cpu_seconds()
    try:
        if sequential:
            done, start = _sequential(pipeline, source, style, total, warmup, run, finish, progress)
        else:
            done, start = _pipelined(pipeline, source, style, total, warmup, run, finish, progress, runner_options)
    finally:
        del pipeline.aligner.align
    run.frames = max(0, done - warmup)
    run.seconds = time.perf_counter() - start if start is not None else 0.0
    run.cpu_seconds += _cpu_seconds()
    run.crops = crops
    return run


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _measured(run: RunTimings, done: int, warmup: int, result, latency: float, progress) -> float | None:
    """Books one finished frame; returns the measuring start time when the warm-up just ended."""
    if progress:
        progress.update(1)
    if done == warmup:
        run.cpu_seconds = -_cpu_seconds()
        return time.perf_counter()
    if done > warmup:
        run.latency.append(latency)
        run.add(result.timings)
        run.faces += result.face
    return None


def _sequential(pipeline, source, style, total, warmup, run, finish, progress):
    """The loop before pipelining: read, ``Pipeline.process``, preview, one frame at a time."""
    from mirror.source import SourceLost

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


def _pipelined(pipeline, source, style, total, warmup, run, finish, progress, options=None):
    """The pipelined loop of ``mirror.pipelined``, the preview drawn on this thread."""
    from mirror.pipelined import PipelinedRunner
    from mirror.source import SourceLost

    done, start = 0, (time.perf_counter() if warmup == 0 else None)
    with PipelinedRunner(pipeline, source, lambda frame: (style, 1.0), max_frames=total,
                         **(options or {})) as runner:
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
            latency = finish(result, result.timings.pop("latency"))
            done += 1
            start = _measured(run, done, warmup, result, latency, progress) or start
        run.dropped = runner.dropped
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
    from mirror.editor import to_tensor

    times = []
    for i in range(repeats + 3):
        x = to_tensor(crops[i % len(crops)])
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


def bench(args: argparse.Namespace) -> dict:
    """Runs everything; returns the JSON report."""
    from mirror.app import Pipeline
    from mirror.backends import load_model_files
    from mirror.source import ImageSource

    cpu = CpuMeter()
    progress = _progress(args)
    with ExitStack() as stack:
        source = stack.enter_context(open_bench_source(args.source, args.frames, args.live))
        static = isinstance(source, ImageSource)
        pipeline = stack.enter_context(Pipeline(args.engines, args.backend, static, args.run))
        from mirror.pipelined import configure_threads

        threads = configure_threads(pipeline, args.threads, sequential=args.sequential)
        instrument(pipeline)
        style = pipeline.styles.get(args.style)
        preview = stack.enter_context(_closing(Preview())) if not args.no_display else None
        if progress:
            progress.set_description("mirror")
        runner_options = {"composite_thread": not args.composite_in_caller}
        if args.pace is not None:
            runner_options["pace"] = args.pace == "on"
        if args.in_flight is not None:
            runner_options["max_in_flight"] = args.in_flight or None
        run = bench_mirror(pipeline, source, style, args.frames, args.warmup, args.sequential, preview, progress,
                           runner_options)
        live = None
        if args.live_frames and not args.live and not static and camera_index(args.source) is None:
            if progress:
                progress.set_description("as a camera")
            with open_bench_source(args.source, args.live_frames, live=True) as paced:
                played = bench_mirror(pipeline, paced, style, args.live_frames, 10, args.sequential, preview,
                                      progress, runner_options)
            live = {"source_fps": paced.fps, "frames": played.frames, "dropped": played.dropped,
                    "throughput_fps": round(played.frames / played.seconds, 2) if played.seconds > 0 else 0.0,
                    "latency_ms": percentiles(played.latency)}
        rss = peak_rss_mb()
        if progress:
            progress.set_description("tracker floor")
        floor = bench_floor(args.source, pipeline.tracker, args.floor_frames, min(args.warmup, 10), progress)
        if progress:
            progress.set_description("model vs torch")
        model = load_model_files(args.engines)
        torch_info = {"backend_ms": {}, "torch_ms": {}, "threads": None, "speedup": None, "speedup_best": None,
                      "reason": "skipped (--no-torch)"} if args.no_torch else \
            bench_torch(model, pipeline.editor.backend.inner, args.run, run.crops, style.direction,
                        threads.get("onnxruntime") or os.cpu_count() or 1)
        backend_name = pipeline.backend
    if progress:
        progress.close()
    throughput = run.frames / run.seconds if run.seconds > 0 else 0.0
    latency = percentiles(run.latency)
    report = {
        "source": args.source,
        "mode": "sequential" if args.sequential else "pipelined",
        "live": bool(args.live),
        "style": args.style,
        "frames": run.frames,
        "faces": run.faces,
        "bad_frames": run.bad_frames,
        "dropped": run.dropped,
        "throughput_fps": round(throughput, 2),
        "latency_ms": latency,
        "floor_fps": floor,
        "ratio_to_floor": round(throughput / floor, 3) if floor > 0 else None,
        "speedup_vs_torch": torch_info["speedup"],
        "speedup_vs_torch_reason": torch_info["reason"],
        "model_ms": {"threads": torch_info["threads"], "backend_by_threads": torch_info["backend_ms"],
                     "torch_by_threads": torch_info["torch_ms"], "speedup_best": torch_info["speedup_best"]},
        "as_camera": live,
        "rss_mb": rss,
        "cpu_ms_per_frame": round(run.cpu_seconds * 1000.0 / run.frames, 2) if run.frames else None,
        "cpu_cores_used": round(run.cpu_seconds / run.seconds, 2) if run.seconds > 0 else None,
        "stages": {name: percentiles(run.stages[name]) for name in (*STAGES, "edit_total") if name in run.stages},
        "threads": threads,
        "runner": None if args.sequential else runner_options,
        "machine": {**machine_info(backend_name), "other_processes_cores_busy": cpu.other_cores()},
    }
    report["targets"] = check_targets(report)
    return report


def check_targets(report: dict) -> dict:
    """Each target of the issue: its value here, the bar, and whether it is met (None: unknown)."""
    values = {"throughput_fps": report["throughput_fps"], "latency_p95_ms": report["latency_ms"]["p95"],
              "ratio_to_floor": report["ratio_to_floor"], "speedup_vs_torch": report["speedup_vs_torch"],
              "rss_mb": report["rss_mb"]}
    out = {}
    for name, bar in TARGETS.items():
        value = values[name]
        lower_is_better = name in ("latency_p95_ms", "rss_mb")
        met = None if value is None else (value <= bar if lower_is_better else value >= bar)
        out[name] = {"value": value, "target": ("<= " if lower_is_better else ">= ") + f"{bar:g}", "met": met}
    return out


def format_table(report: dict) -> str:
    """The report as a plain-text table."""
    lines = [f"{report['mode']} mirror on {report['source']}: {report['frames']} frames "
             f"({report['faces']} with a face, {report['dropped']} dropped), backend {report['machine']['backend']}",
             f"{'stage':<12}{'p50 ms':>10}{'p95 ms':>10}"]
    for name, values in report["stages"].items():
        p50, p95 = values["p50"], values["p95"]
        lines.append(f"{name:<12}{p50:>10.2f}{p95:>10.2f}")
    lines.append(f"{'latency':<12}{report['latency_ms']['p50']:>10.2f}{report['latency_ms']['p95']:>10.2f}")
    lines.append("")
    for name, target in report["targets"].items():
        mark = {True: "ok", False: "MISSED", None: "n/a"}[target["met"]]
        value = "-" if target["value"] is None else f"{target['value']:g}"
        lines.append(f"{name:<18}{value:>10}  (target {target['target']}) {mark}")
    if report.get("as_camera"):
        live = report["as_camera"]
        lines.append(f"{'as a camera':<18}{live['throughput_fps']:>10g} fps at {live['source_fps']:g} fps in, "
                     f"latency p50 {live['latency_ms']['p50']} ms, p95 {live['latency_ms']['p95']} ms, "
                     f"{live['dropped']} dropped")
    lines.append(f"{'floor_fps':<18}{report['floor_fps']:>10g}")
    lines.append(f"{'cpu per frame':<18}{report['cpu_ms_per_frame']:>10g} ms  ({report['cpu_cores_used']:g} cores busy)")
    if report["speedup_vs_torch"] is None:
        lines.append(f"speedup_vs_torch: {report['speedup_vs_torch_reason']}")
    else:
        model = report["model_ms"]
        lines.append(f"model per frame (encode 1 + decode 2), ms by threads: {report['machine']['backend']} "
                     f"{model['backend_by_threads']}, torch eager {model['torch_by_threads']}; "
                     f"speed-up {report['speedup_vs_torch']}x at {model['threads']} thread(s), "
                     f"{model['speedup_best']}x each at its best")
    machine = report["machine"]
    lines.append(f"machine: {machine['cpu']}, {machine['cores']} cores, threads {report['threads']}, "
                 f"other processes kept {machine['other_processes_cores_busy']} cores busy")
    return "\n".join(lines)


class _closing:
    def __init__(self, thing):
        self.thing = thing

    def __enter__(self):
        return self.thing

    def __exit__(self, *exc):
        self.thing.close()


def _progress(args):
    if args.quiet:
        return None
    from tqdm import tqdm

    return tqdm(total=args.frames + args.warmup + args.floor_frames + min(args.warmup, 10) + args.live_frames + 10,
                unit="frame", file=sys.stderr, leave=False)


def parse_arguments(argv=None) -> argparse.Namespace:
    from mirror.paths import DEFAULT_ENGINES
    from mirror.backends import CHOICES

    parser = argparse.ArgumentParser(prog="python -m mirror.bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--source", default="demo", help="a video file, an image, demo or camera:N (default: demo)")
    parser.add_argument("--frames", type=int, default=300, help="measured frames (default: 300)")
    parser.add_argument("--warmup", type=int, default=30, help="frames run first, not measured (default: 30)")
    parser.add_argument("--floor-frames", type=int, default=None,
                        help="frames for the tracker-only floor (default: as --frames, at most 200)")
    parser.add_argument("--json", help="write the report here as JSON")
    parser.add_argument("--backend", default="auto", choices=CHOICES, help="model backend (default: auto)")
    parser.add_argument("--engines", default=DEFAULT_ENGINES, help="folder of the shipped model")
    parser.add_argument("--run", help="a training run folder for PyTorch (default: ENGINES/torch)")
    parser.add_argument("--style", default="blond", help="the style applied (default: blond)")
    parser.add_argument("--sequential", action="store_true",
                        help="one frame at a time through Pipeline.process (the loop before pipelining)")
    parser.add_argument("--threads", type=int, default=None,
                        help="ONNX Runtime intra-op threads (default: chosen for the machine and mode)")
    parser.add_argument("--pace", choices=("on", "off"), default=None,
                        help="just-in-time tracking in the pipelined loop (default: the runner's default)")
    parser.add_argument("--in-flight", type=int, default=None,
                        help="most frames in flight in the pipelined loop (0: no limit; default: the runner's)")
    parser.add_argument("--composite-in-caller", action="store_true",
                        help="composite on the preview's thread rather than a thread of its own")
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
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(levelname)s: %(message)s")
    try:
        report = bench(args)
    except MirrorError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    print(format_table(report))
    if args.json:
        folder = os.path.dirname(os.path.abspath(args.json))
        os.makedirs(folder, exist_ok=True)
        with open(args.json, "w") as f:
            json.dump(report, f, indent=4, sort_keys=True)
            f.write("\n")
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main(parse_arguments()))
