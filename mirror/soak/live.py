"""The live loop's soak: the mirror as ``run_mirror.py --kiosk`` runs it, with faults injected.

    report = live_soak(["clip.mp4"], frames=10000, every=500)

The loop is ``mirror.run.loop.run`` in kiosk mode: its threads, the render thread drawing shape
styles, the background plate, a real Pygame window drawn offscreen (SDL's dummy driver), random
styles every ``random_seconds`` and the idle mode on. The camera is made of the videos, and a
fault comes every ``every`` frames (``mirror.soak.faults``). Once the last frame is shown the soak
stops the mirror as a service manager does, with SIGTERM, and times the shutdown.

Latency is from the frame in hand to its composite; ``p95_ratio`` compares the p95 of the last
``window`` frames with that of the first after warm-up, over the steady frames of each (a live
edit, no fault under way: a window holding a hundred frames with nobody in them is not slower
or faster for it), and ``p95_ratio_all_frames`` over every frame. Each window also records the
load average at its two ends, its CPU time per frame and its frame rate: the machine may be
shared.

RSS is sampled every 50 frames; its growth is the median of the last window's samples less that
of the first's (a single sample moves by 10-20 MB as the C allocator hands back the top of its
heap or keeps it), with the slope over the whole run after warm-up beside it. Over a long run
the RSS windows grow with it (``RSS_SETTLE``, ``RSS_SPAN``): the heaps fill over the first
5,000 frames, and one thousand frames' median moves by some 13 MB with the styles shown.
``rss_in_use_mb`` is RSS at warm-up and at the end once the allocator has handed back its free pages: what the
process really holds, Python's and the native libraries'.

Frames are counted by index: ``frames_in`` came from the camera, ``frames_out`` were shown, and
``frames_refused`` were not pictures (a corrupt frame's wrong dtype, wrong shape or NaNs), which
the loop refuses in their place. Anything else that reached the loop, killed a thread or ended
the run is an escaped exception.
"""
from __future__ import annotations

import ctypes
import logging
import os
import resource
import signal
import tempfile
import threading
import time
from dataclasses import asdict, dataclass

import numpy as np

from mirror.errors import MirrorError
from mirror.paths import DEFAULT_ENGINES
from mirror.run.loop import Options, Watch, run
from mirror.soak.faults import KINDS, REFUSED, FaultPlan, FaultySource, Injector, live_edit
from mirror.soak.memory import MemoryTrace, rss_mb

log = logging.getLogger(__name__)

# What every live soak report holds (tests check them).
REPORT_KEYS = ("exceptions", "frames_in", "frames_out", "frames_refused", "faults_injected", "faults",
               "rss_growth_mb", "p95_ratio", "worst_frame_ms", "shutdown_s", "load", "targets")
RSS_EVERY = 50    # frames between two RSS samples
RSS_SETTLE = 0.05  # RSS growth is measured from this share of the run on (at least the warm-up) ...
RSS_SPAN = 0.1     # ... over two windows of this share of it each (at least the latency's window)
TRACE_SAMPLES = 6  # with trace_memory: samples of Python's allocations after warm-up
# The loop's own threads, which must be gone once it stops (the renderer's mask worker is the
# process's, kept between runs).
LOOP_THREADS = ("mirror-capture", "mirror-track", "mirror-edit", "mirror-composite", "mirror-render")


@dataclass(frozen=True)
class LiveTargets:
    """What a live soak must meet."""

    max_growth_mb: float = 10.0    # median RSS of the last window less that of the first after warm-up
    max_p95_ratio: float = 1.25    # latency p95 of the last window over the first
    max_recovery: int = 60         # frames from a fault's end to a live edit
    max_shutdown_s: float = 2.0    # SIGTERM to everything closed


class _Window:
    """The frames shown with index in [start, end): wall time, CPU time and load at each end."""

    def __init__(self, start: int, end: int):
        self.start, self.end = start, end
        self.at: dict[str, tuple[float, float, float]] = {}

    def mark(self, index: int) -> None:
        for edge, at in (("start", self.start), ("end", self.end - 1)):
            if edge not in self.at and index >= at:
                usage = resource.getrusage(resource.RUSAGE_SELF)
                self.at[edge] = (time.perf_counter(), usage.ru_utime + usage.ru_stime, os.getloadavg()[0])

    def record(self, latency: np.ndarray, steady: np.ndarray) -> dict:
        part = latency[self.start:self.end]
        live = part[steady[self.start:self.end]]
        start, end = self.at.get("start"), self.at.get("end")
        shown = int(np.count_nonzero(~np.isnan(part)))
        record = {"frames": [self.start, self.end], "steady_frames": int(live.size),
                  "p95_ms": _round(np.percentile(live, 95)) if live.size else None,
                  "p95_all_ms": _round(np.nanpercentile(part, 95)) if shown else None,
                  "p50_ms": _round(np.percentile(live, 50)) if live.size else None}
        if start and end:
            record.update(load=[round(start[2], 2), round(end[2], 2)],
                          fps=round(shown / max(end[0] - start[0], 1e-9), 2),
                          cpu_ms_per_frame=round((end[1] - start[1]) * 1000 / max(shown, 1), 1))
        return record


class LiveSoak(Watch):
    """Watches the loop: per-frame latency, RSS, windows, escaped errors, and the stop."""

    def __init__(self, frames: int, injector: Injector, warmup: int, window: int, trace_memory: bool):
        self.frames = frames
        self.injector = injector
        self.warmup = warmup
        self.trace_memory = trace_memory
        # Preallocated: the soak's own records must not grow the memory it measures.
        self.latency = np.full(frames, np.nan, np.float32)
        self.steady = np.zeros(frames, bool)    # a live edit, with no fault under way
        self.rss = np.full(frames // RSS_EVERY + 1, np.nan, np.float32)
        self.windows = {"first": _Window(warmup, warmup + window), "last": _Window(frames - window, frames)}
        self.frames_out = self.refused = 0
        self.unedited = 0     # a face found, and its frame shown unedited (its edit failed)
        self.escaped: list[str] = []
        self.escaped_count = 0
        self.rss_start = self.rss_end = None
        self.in_use: list[float | None] = []   # RSS once the allocator's free pages are handed back
        self.trace: MemoryTrace | None = None
        self.trace_every = max((frames - warmup) // TRACE_SAMPLES, 1)
        self._next_sample = frames
        self.memory_growth: list[dict] = []
        self.stop_at: float | None = None
        self.worst = (0.0, -1, None)   # (latency ms, frame, the fault under way)

    def opened(self, pipeline, state) -> None:
        self.injector.attach(pipeline, state)

    def shown(self, result) -> None:
        steady = self.injector.active is None and live_edit(result)
        self.injector.shown(result)
        index = result.frame.index
        if index >= self.frames:            # shown after the stop was asked for
            return
        self.frames_out += 1
        self.unedited += bool(result.face) and result.output is result.frame.image
        latency = result.timings.get("latency", np.nan)
        self.latency[index] = latency
        self.steady[index] = steady
        if latency > self.worst[0]:
            fault = self.injector.active
            self.worst = (latency, index, fault.kind if fault is not None else None)
        for window in self.windows.values():
            window.mark(index)
        if index % RSS_EVERY == 0:
            self.rss[index // RSS_EVERY] = rss_mb()
            if index % 1000 == 0:
                log.info("frame %d shown, RSS %.1f MB, faults %d", index, self.rss[index // RSS_EVERY],
                         len(self.injector.faults))
        if self.rss_start is None and index >= self.warmup:
            self.rss_start = rss_mb()
            self.in_use.append(_in_use_mb())
            if self.trace_memory:
                self.trace = MemoryTrace.start()
                self._next_sample = index + self.trace_every
        if self.trace is not None and index >= self._next_sample and index < self.frames - 1:
            self.trace.sample()
            self._next_sample += self.trace_every
        if index >= self.frames - 1 and self.stop_at is None:
            self.rss_end = rss_mb()
            self.in_use.append(_in_use_mb())
            if self.trace is not None:
                self.trace.sample()
                self.memory_growth = self.trace.growth(top=15)
            self.stop_at = time.perf_counter()
            os.kill(os.getpid(), signal.SIGTERM)  # stopped as a service manager stops it

    def skipped(self, error: Exception) -> None:
        if isinstance(error, MirrorError) and str(error).startswith(REFUSED):
            self.refused += 1
        else:
            self.escape(f"reached the loop: {type(error).__name__}: {error}")

    def escape(self, text: str) -> None:
        self.escaped_count += 1
        if len(self.escaped) < 10:
            self.escaped.append(text)

    def thread_died(self, args: threading.ExceptHookArgs) -> None:
        name = args.thread.name if args.thread else "?"
        self.escape(f"killed thread {name}: {args.exc_type.__name__}: {args.exc_value}")


def live_soak(videos: list[str], frames: int, every: int, engines: str = DEFAULT_ENGINES,
              backend: str = "auto", warmup: int = 500, window: int = 1000, idle_seconds: float = 5.0,
              random_seconds: float = 1.0, seed: int | None = 0, plan: FaultPlan | None = None,
              trace_memory: bool = False, targets: LiveTargets = LiveTargets(), kinds: tuple[str, ...] = KINDS) -> dict:
    """Runs the live loop for ``frames`` frames with a fault every ``every``; returns the report.

    Args:
        videos: the video files the camera plays in turn.
        warmup: frames before RSS and the first latency window are measured.
        window: frames in each latency window (the first after warm-up, the last).
        idle_seconds, random_seconds: the kiosk's idle limit and its style rotation, in the
            camera's time (30 frames a second).
        seed: the random styles' order: the same in every run (None: another).
        plan: the faults' lengths (default: ``FaultPlan(every=every)``).
        trace_memory: trace Python's allocations from warm-up on and report the sites that grew
            most (slow: for finding a leak).
        kinds: the faults to take in turn (default: every kind).

    Raises:
        ValueError: bad arguments, or not called from the main thread (the soak stops the mirror
            with SIGTERM, which only the main thread can be given to handle).
    """
    if frames < 2:
        raise ValueError(f"frames must be at least 2, got {frames}")
    if not kinds or not set(kinds) <= set(KINDS):
        raise ValueError(f"unknown fault kinds {sorted(set(kinds) - set(KINDS))}: choose from {', '.join(KINDS)}")
    if threading.current_thread() is not threading.main_thread():
        raise ValueError("the live soak stops the mirror with SIGTERM: run it in the main thread")
    warmup = min(warmup, frames // 4)
    window = max(1, min(window, (frames - warmup) // 2))
    plan = plan or FaultPlan(every=every)
    os.environ["SDL_VIDEODRIVER"] = "dummy"   # a real window, drawn offscreen
    os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
    with tempfile.TemporaryDirectory(prefix="mirror-soak-") as folder:
        bad_file = os.path.join(folder, "customer_photo.jpg")
        with open(bad_file, "w") as f:
            f.write("not an image\n")
        injector = Injector(plan, frames, bad_file, tuple(kinds))
        source = FaultySource(videos, injector)
        watch = LiveSoak(frames, injector, warmup, window, trace_memory)
        options = Options(style="random", backend=backend, engines=engines, kiosk=True,
                          random_seconds=random_seconds, seed=seed, idle_seconds=idle_seconds, snapshot_dir=folder)
        hook, threading.excepthook = threading.excepthook, watch.thread_died
        stats = None
        try:
            stats = run(options, source, watch)
        except Exception as error:  # noqa: BLE001 - the soak's job is to find these
            watch.escape(f"ended the run: {type(error).__name__}: {error}")
        finally:
            stopped = time.perf_counter()
            threading.excepthook = hook
            source.release()
    return _report(watch, injector, stats, stopped, source, videos, plan, targets, kinds)


def _report(watch: LiveSoak, injector: Injector, stats, stopped: float, source: FaultySource,
            videos: list[str], plan: FaultPlan, targets: LiveTargets, kinds: tuple[str, ...]) -> dict:
    import pygame

    first, last = (watch.windows[name].record(watch.latency, watch.steady) for name in ("first", "last"))
    ratio = round(last["p95_ms"] / first["p95_ms"], 3) if first["p95_ms"] and last["p95_ms"] else None
    ratio_all = round(last["p95_all_ms"] / first["p95_all_ms"], 3) \
        if first["p95_all_ms"] and last["p95_all_ms"] else None
    rss_end = watch.rss_end or rss_mb()
    memory = _rss_figures(watch)
    frames_in = min(injector.read, watch.frames)
    faults = [fault.record() for fault in injector.faults]
    injected = [f for f in faults if f["started"] is not None and f["started"] >= 0]
    corrupt = sum(f["kind"] == "corrupt_frames" for f in injected)
    shutdown = round(stopped - watch.stop_at, 3) if watch.stop_at else None
    left = sorted(t.name for t in threading.enumerate() if t.name.startswith(LOOP_THREADS) and t.is_alive())
    report = {
        "exceptions": watch.escaped_count,
        "first_exceptions": watch.escaped,
        "frames_in": frames_in,
        "frames_out": watch.frames_out,
        "frames_refused": watch.refused,
        "frames_lost": frames_in - watch.frames_out - watch.refused,
        "frames_unedited": watch.unedited,
        "faults_injected": len(injected),
        "faults": faults,
        "rss_start_mb": round(watch.rss_start or rss_end, 1),
        "rss_end_mb": round(rss_end, 1),
        "rss_growth_end_mb": round(rss_end - (watch.rss_start or rss_end), 1),
        **memory,
        "rss_in_use_mb": watch.in_use,
        "rss_in_use_growth_mb": round(watch.in_use[1] - watch.in_use[0], 1)
                                if len(watch.in_use) == 2 and None not in watch.in_use else None,
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "p95_ratio": ratio,
        "p95_ratio_all_frames": ratio_all,
        "load": {"first": first, "last": last, "cores": os.cpu_count()},
        "worst_frame_ms": _round(watch.worst[0]),
        "worst_frame": {"index": watch.worst[1], "fault": watch.worst[2]},
        "shutdown_s": shutdown,
        "closed": {"window": not pygame.display.get_init(), "camera": source.closed, "threads_left": left},
        "stopped_by": stats.stopped_by if stats else None,
        "backend": stats.backend if stats else None,
        "videos": [os.path.basename(v) for v in videos],
        "plan": asdict(plan),
    }
    if watch.trace is not None:
        report["traced_python_mb"] = watch.trace.traced_mb
        report["memory_growth_top"] = watch.memory_growth
    recovered = [f["recovered_frames"] for f in injected]
    report["targets"] = {
        "no_exceptions": report["exceptions"] == 0,
        "every_frame_kept": report["frames_lost"] == 0 and watch.refused == 3 * corrupt,
        "rss_growth": memory["rss_growth_mb"] is not None and memory["rss_growth_mb"] <= targets.max_growth_mb,
        "p95_ratio": ratio is not None and ratio <= targets.max_p95_ratio,
        "recovery": len(injected) == len(faults) and all(r is not None and r <= targets.max_recovery
                                                         for r in recovered),
        "every_kind": len(faults) < len(kinds) or {f["kind"] for f in injected} == set(kinds),
        "shutdown": shutdown is not None and shutdown <= targets.max_shutdown_s
                    and stats is not None and stats.stopped_by == "SIGTERM" and not left
                    and report["closed"]["window"] and report["closed"]["camera"],
    }
    return report


def passed(report: dict) -> bool:
    """Every target met."""
    return all(report["targets"].values())


def _rss_figures(watch: LiveSoak) -> dict:
    """RSS growth as the median of the samples in the last window less that in the first after
    warm-up (one sample moves by 10-20 MB as the allocator hands back the top of its heap or
    not), windows that grow with a long run (``RSS_SETTLE``, ``RSS_SPAN``), the least-squares
    slope after warm-up, and the median of each 1,000 frames."""
    at = np.arange(len(watch.rss)) * RSS_EVERY
    first, last = watch.windows["first"], watch.windows["last"]
    start = max(first.start, int(watch.frames * RSS_SETTLE))
    span = max(first.end - first.start, int(watch.frames * RSS_SPAN))
    medians = []
    for low, high in ((start, start + span), (last.end - span, last.end)):
        part = watch.rss[(at >= low) & (at < high)]
        medians.append(float(np.nanmedian(part)) if np.any(~np.isnan(part)) else None)
    after = (at >= watch.warmup) & ~np.isnan(watch.rss)
    slope = float(np.polyfit(at[after], watch.rss[after], 1)[0]) * 10_000 if after.sum() >= 3 else None
    blocks = [watch.rss[i:i + 1000 // RSS_EVERY] for i in range(0, len(watch.rss), 1000 // RSS_EVERY)]
    return {
        "rss_growth_mb": round(medians[1] - medians[0], 1) if None not in medians else None,
        "rss_window_medians_mb": [None if m is None else round(m, 1) for m in medians],
        "rss_slope_mb_per_10k_frames": None if slope is None else round(slope, 2),
        "rss_per_1000_frames_mb": [round(float(np.nanmedian(b)), 1) for b in blocks if np.any(~np.isnan(b))],
    }


def _in_use_mb() -> float | None:
    """RSS once the C allocator has handed back its free pages (glibc's ``malloc_trim``): the
    memory in use, Python's and the native libraries'. None elsewhere."""
    try:
        trim = ctypes.CDLL("libc.so.6").malloc_trim
    except (OSError, AttributeError):
        return None
    trim(0)
    return round(rss_mb(), 1)


def _round(value) -> float | None:
    return None if value is None or np.isnan(value) else round(float(value), 2)
