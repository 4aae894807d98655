"""Memory over a long run: the resident set, and where Python's own allocations grew.

    before = MemoryTrace.start()          # tracemalloc on (slows the run: diagnosis only)
    ...
    growth = before.growth(top=10)        # [{"kb": ..., "blocks": ..., "where": [...]}], largest first
"""
from __future__ import annotations

import os
import tracemalloc

TRACE_DEPTH = 12   # frames of each allocation's traceback kept: enough to reach the mirror's code


def rss_mb() -> float:
    """Current resident set size in MB (Linux)."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


class MemoryTrace:
    """Python allocations (NumPy's arrays included) traced from ``start()``; ``growth()`` compares
    a snapshot then with one now, by traceback."""

    def __init__(self, snapshot: tracemalloc.Snapshot):
        self._before = snapshot

    @classmethod
    def start(cls) -> "MemoryTrace":
        if not tracemalloc.is_tracing():
            tracemalloc.start(TRACE_DEPTH)
        return cls(_snapshot())

    def growth(self, top: int = 10) -> list[dict]:
        """The ``top`` allocation sites that grew most since ``start()``: KB and blocks added, and
        the traceback (innermost last, this package's lines and their callers)."""
        stats = _snapshot().compare_to(self._before, "traceback")
        rows = []
        for stat in sorted(stats, key=lambda s: s.size_diff, reverse=True)[:top]:
            if stat.size_diff <= 0:
                break
            rows.append({"kb": round(stat.size_diff / 1024, 1), "blocks": stat.count_diff,
                         "where": [f"{f.filename}:{f.lineno}" for f in stat.traceback][-6:]})
        return rows

    @staticmethod
    def traced_mb() -> float:
        """Python's traced allocations now, MB."""
        return tracemalloc.get_traced_memory()[0] / 2**20 if tracemalloc.is_tracing() else 0.0


def _snapshot() -> tracemalloc.Snapshot:
    return tracemalloc.take_snapshot().filter_traces(
        [tracemalloc.Filter(False, tracemalloc.__file__), tracemalloc.Filter(False, "<frozen importlib._bootstrap>")])
