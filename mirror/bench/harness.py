"""What the bench wraps around the mirror: the model's calls timed per frame, the preview drawn
offscreen, and a video played in real time like a camera."""
from __future__ import annotations

import logging
import os
import time

import numpy as np

from mirror.io.source import Source
from mirror.run.timing import add_timing

log = logging.getLogger(__name__)


# --- timing hooks -------------------------------------------------------------------------------

class TimedBackend:
    """Wraps a backend so each ``encode`` and ``decode`` adds its time to the frame's timings.

    Same interface as ``mirror.backends.Backend`` (it forwards every call).
    """

    def __init__(self, inner):
        self.inner = inner
        self.name = inner.name
        self.size, self.latent_dim = inner.size, inner.latent_dim

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
        from mirror.io.display import Display, has_display

        if not has_display():
            os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
        try:
            self.display = Display()
        except Exception as error:  # noqa: BLE001 - Pygame raises its own error types
            log.warning("no offscreen preview (%s): timing the view preparation only", error)
            self.display = None

    def show(self, before: np.ndarray, after: np.ndarray, fps: float, face: bool, backend: str) -> None:
        from mirror.io.display import Hud

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
    from mirror.io.source import VideoSource, open_source

    source = open_source(spec, repeat=0, loop=True)
    if isinstance(source, VideoSource) and live:
        return PacedSource(source, source.fps)
    return source
