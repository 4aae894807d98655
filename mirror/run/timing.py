"""Per-frame stage timings, added from wherever a stage runs (any thread); background threads'
priority.

    timings = {}
    with timing_scope(timings):
        start = time.perf_counter()
        ...
        add_timing("track", start)      # timings["track"] += elapsed ms
"""
from __future__ import annotations

import os
import threading
import time

# Background work (drawing at its own rate, making masks ahead) yields to the frame's path by this
# much niceness: on a small CPU the frames in flight run first, the background on what is left.
BACKGROUND_NICE = 5

_local = threading.local()


def stage_timings() -> dict[str, float]:
    """The timings dict of the frame this thread is working on (a throwaway dict outside one).

    Lets code deep inside a stage add finer timings to the frame's record, e.g. the bench's
    timed backend adds ``encode`` and ``decode`` from inside the editor.
    """
    timings = getattr(_local, "timings", None)
    return timings if timings is not None else {}


class timing_scope:
    """``with timing_scope(timings):`` makes ``stage_timings()`` return ``timings`` in this thread."""

    def __init__(self, timings: dict[str, float]):
        self._timings = timings

    def __enter__(self) -> dict[str, float]:
        self._previous = getattr(_local, "timings", None)
        _local.timings = self._timings
        return self._timings

    def __exit__(self, *exc) -> None:
        _local.timings = self._previous


def add_timing(name: str, start: float) -> float:
    """Adds the milliseconds since ``start`` (a ``perf_counter()``) to this frame's ``name``."""
    ms = (time.perf_counter() - start) * 1000.0
    timings = stage_timings()
    timings[name] = timings.get(name, 0.0) + ms
    return ms


def run_in_background() -> int | None:
    """Lowers the calling thread's priority by BACKGROUND_NICE (Linux; elsewhere nothing); returns
    the niceness it had before (None where it could not be read)."""
    try:
        thread = threading.get_native_id()
        before = os.getpriority(os.PRIO_PROCESS, thread)
        os.setpriority(os.PRIO_PROCESS, thread, before + BACKGROUND_NICE)
        return before
    except (AttributeError, OSError):
        return None


def niceness() -> int | None:
    """The calling thread's niceness (None where it cannot be read)."""
    try:
        return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    except (AttributeError, OSError):
        return None


def set_niceness(thread: int | None, nice: int | None) -> None:
    """Sets the niceness of the thread of native id ``thread`` (Linux, where allowed: raising a
    thread's priority takes CAP_SYS_NICE or RLIMIT_NICE room; elsewhere nothing)."""
    if thread is None or nice is None:
        return
    try:
        os.setpriority(os.PRIO_PROCESS, thread, nice)
    except (AttributeError, OSError):
        pass
