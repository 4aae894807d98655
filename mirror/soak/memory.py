"""Memory over a long run: the resident set, and where Python's own allocations grew.

    trace = MemoryTrace.start()           # tracemalloc on (slows the run: diagnosis only)
    trace.sample()                        # now and then
    growth = trace.growth(top=10)         # [{"kb": ..., "steady": ..., "where": [...]}], largest first
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
    """Python allocations (NumPy's arrays included) traced from ``start()``, sampled now and then
    by traceback: a leak grows at every sample, frames in flight come and go."""

    def __init__(self):
        self._samples: list[dict] = []     # {traceback: bytes} at each sample
        self.traced_mb: list[float] = []

    @classmethod
    def start(cls) -> "MemoryTrace":
        if not tracemalloc.is_tracing():
            tracemalloc.start(TRACE_DEPTH)
        trace = cls()
        trace.sample()
        return trace

    def sample(self) -> None:
        """Notes the size of every allocation site now."""
        self._samples.append({stat.traceback: stat.size for stat in _snapshot().statistics("traceback")})
        self.traced_mb.append(round(tracemalloc.get_traced_memory()[0] / 2**20, 1))

    def growth(self, top: int = 10) -> list[dict]:
        """The ``top`` allocation sites that grew most from the first sample to the last: KB
        added, whether they grew at every sample (``steady``: a leak's mark), and the traceback
        (innermost last)."""
        first, last = self._samples[0], self._samples[-1]
        rows = []
        for traceback, size in last.items():
            sizes = [sample.get(traceback, 0) for sample in self._samples]
            grown = size - first.get(traceback, 0)
            if grown > 0:
                rows.append((grown, all(b >= a for a, b in zip(sizes, sizes[1:])), traceback))
        rows.sort(key=lambda row: row[0], reverse=True)
        return [{"kb": round(grown / 1024, 1), "steady": steady,
                 "where": [f"{f.filename}:{f.lineno}" for f in traceback][-6:]}
                for grown, steady, traceback in rows[:top]]


def _snapshot() -> tracemalloc.Snapshot:
    return tracemalloc.take_snapshot().filter_traces(
        [tracemalloc.Filter(False, tracemalloc.__file__), tracemalloc.Filter(False, "<frozen importlib._bootstrap>")])
