"""Camera reconnection: a camera that stops delivering is retried for a while, with a note on
screen, before the mirror gives up with a clear error."""
from __future__ import annotations

import time

import numpy as np

from typing import Callable

from mirror.errors import MirrorError
from mirror.io.source import Source, SourceLost

RETRY_PAUSE_SECONDS = 0.5          # between two attempts to reopen the camera
BLANK_SIZE = (480, 640)            # (height, width) of the black picture shown meanwhile


def reconnect(source: Source, lost: SourceLost, retry_seconds: float, display=None, backend: str = "",
              stopped: Callable[[], bool] | None = None) -> Source | None:
    """Closes ``source`` and reopens it, retrying for ``retry_seconds``.

    Args:
        source: the source that raised ``lost``.
        display: an open ``mirror.io.display.Display`` to say so on (None: headless).
        backend: the backend's name, for the HUD.
        stopped: asked between attempts; once it says True, the mirror is stopping (a signal).

    Returns:
        The reopened source, or None when ``stopped`` said so first.

    Raises:
        MirrorError: the camera did not come back in time.
    """
    from mirror.io.display import Hud

    source.close()
    deadline = time.monotonic() + retry_seconds
    blank = np.zeros((*BLANK_SIZE, 3), np.uint8)
    while time.monotonic() < deadline:
        if stopped is not None and stopped():
            return None
        if display:
            display.events()
            display.show(blank, blank, Hud("-", 0.0, backend, 0.0, False,
                                           f"{lost} - retrying for {deadline - time.monotonic():.0f} s"))
        try:
            return source.reopen()
        except MirrorError:
            time.sleep(RETRY_PAUSE_SECONDS)
    raise MirrorError(f"{lost}; gave up after {retry_seconds:.0f} s")
