"""Measuring what a run cost: percentiles, peak memory, CPU time, and the machine it ran on."""
from __future__ import annotations

import os
import platform
import resource
import time

import numpy as np


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


def cpu_seconds() -> float:
    """CPU time of this process so far (all threads, user + system), in seconds."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime
