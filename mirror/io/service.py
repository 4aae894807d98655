"""Running as a service: the signals a service manager stops the mirror with, and systemd's
readiness and watchdog notifications.

    with StopSignals() as stop:      # SIGTERM and SIGINT become a request the loop polls
        service = Service()
        service.ready()              # the first frame is on screen (a Type=notify unit starts)
        while not stop():
            service.alive()          # the loop is alive (a WatchdogSec= unit is not restarted)
        service.stopping()

Outside systemd (no ``$NOTIFY_SOCKET``) the notifications do nothing. See docs/DEPLOY.md.

``settle_memory()`` (``limit_malloc_arenas()`` and ``no_huge_pages()``) and ``HeapTrim`` keep a
day-long run's memory down (see their docstrings).
"""
from __future__ import annotations

import ctypes
import importlib
import logging
import os
import signal
import socket
import threading
import time

log = logging.getLogger(__name__)

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)   # systemd's stop, and Ctrl-C
M_ARENA_MAX = -8       # glibc's mallopt parameter
MALLOC_ARENAS = 2      # arenas for the whole process (glibc's default: 8 per core)
TRIM_FRAMES = 20       # HeapTrim: hand the C heaps' free pages back every this many frames
#                        (2/3 s of a 30 fps camera; a trim takes about 4 ms)


class Stopped(BaseException):
    """A stop signal came while the mirror was starting (``StopSignals`` before ``polled``). A
    BaseException, as KeyboardInterrupt is: no handler of a bad frame catches it."""


class StopSignals:
    """SIGTERM and SIGINT as a request to stop. Until ``polled()`` (the mirror starting: loading
    the model takes seconds) the first one raises ``Stopped`` where the main thread is; after,
    the handler only notes the signal, and the loop ends at its next check, closing the camera
    and the window on its way out.

    Installed only from the main thread (Python runs signal handlers there); elsewhere the
    signals keep their handlers and ``stopped`` stays None. Entered before the window opens, these
    handlers are also the ones SDL finds, so SDL keeps its own off them (it would turn them into a
    window-close event, which kiosk mode ignores).

    Attributes:
        stopped: the signal that asked to stop (``signal.Signals``), None until one does.
    """

    def __init__(self):
        self.stopped: signal.Signals | None = None
        self._polled = False
        self._before: dict[int, object] = {}

    def __call__(self) -> bool:
        """Whether a stop was asked for."""
        return self.stopped is not None

    def polled(self) -> None:
        """From now on the loop asks; a signal no longer interrupts."""
        self._polled = True

    def _handle(self, signum: int, frame) -> None:
        first = self.stopped is None
        self.stopped = signal.Signals(signum)  # one assignment: nothing here can deadlock
        if first and not self._polled:
            raise Stopped(self.stopped.name)

    def __enter__(self) -> "StopSignals":
        if threading.current_thread() is threading.main_thread():
            for number in STOP_SIGNALS:
                self._before[number] = signal.signal(number, self._handle)
        return self

    def __exit__(self, *exc) -> None:
        for number, handler in self._before.items():
            signal.signal(number, handler)
        self._before.clear()


class Service:
    """systemd's notifications (``sd_notify``): ready, alive (the watchdog) and stopping.

    Reads ``$NOTIFY_SOCKET`` (set for ``Type=notify`` units) and ``$WATCHDOG_USEC`` (set with
    ``WatchdogSec=``); the watchdog is pinged at half its period, as systemd asks.
    """

    def __init__(self):
        address = os.environ.get("NOTIFY_SOCKET", "")
        self._address = "\0" + address[1:] if address.startswith("@") else address
        usec = os.environ.get("WATCHDOG_USEC", "")
        self._interval = int(usec) / 2e6 if usec.isdigit() and int(usec) > 0 else None
        self._pinged = 0.0

    def notify(self, state: str) -> bool:
        """Sends ``state`` (e.g. ``READY=1``); False outside systemd or when it cannot be sent."""
        if not self._address:
            return False
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
                sock.sendto(state.encode(), self._address)
        except OSError as error:
            log.debug("service notification %s not sent: %s", state, error)
            return False
        return True

    def ready(self) -> None:
        self.notify("READY=1")

    def alive(self) -> None:
        """Pings the watchdog when due (cheap to call every frame)."""
        now = time.monotonic()
        if self._interval is not None and now - self._pinged >= self._interval:
            self._pinged = now
            self.notify("WATCHDOG=1")

    def stopping(self) -> None:
        self.notify("STOPPING=1")


def settle_memory() -> None:
    """The memory settings of a long run, made before the loop's threads start (the live loop,
    and the bench that times it): two malloc arenas, and no huge pages for NumPy's arrays."""
    limit_malloc_arenas()
    no_huge_pages()


def limit_malloc_arenas(arenas: int = MALLOC_ARENAS) -> bool:
    """Caps glibc's malloc arenas for the threads started from now on; False where that cannot be
    done (another C library), or ``$MALLOC_ARENA_MAX`` already says.

    glibc gives threads their own arenas, up to 8 per core. The loop's threads and the libraries'
    each free frame-sized arrays into theirs, and every arena keeps the pages it has held. With
    two, the live loop's RSS was 20-45 MB lower (peak 354 against 377 MB, 600 frames of a 720p
    clip; about 320 against 365 MB over 3,000 frames of a 512 px one) at no more CPU time.
    """
    if os.environ.get("MALLOC_ARENA_MAX"):
        return False
    try:
        return bool(ctypes.CDLL("libc.so.6").mallopt(M_ARENA_MAX, arenas))
    except (OSError, AttributeError):
        return False


def no_huge_pages() -> bool:
    """Stops NumPy asking the kernel for transparent huge pages for its large arrays; False where
    NumPy cannot be told, or ``$NUMPY_MADVISE_HUGEPAGE`` already says.

    NumPy marks every array of 4 MB or more ``MADV_HUGEPAGE``; with huge pages on request (the
    kernel's ``madvise`` setting, Debian's default) those arrays, most of them inside glibc's heaps,
    lie on 2 MB pages. The kernel's ``khugepaged`` then fills a marked 2 MB range that is only
    partly resident back into one huge page, taking back what ``HeapTrim`` handed back: in a live
    soak 14-88 MB of the mirror's memory lay on huge pages and it merged 27 ranges in 4,000
    frames; with this, none (docs/DEPLOY.md).
    """
    if "NUMPY_MADVISE_HUGEPAGE" in os.environ:
        return False
    for name in ("numpy.core.multiarray", "numpy._core.multiarray"):
        try:
            importlib.import_module(name)._set_madvise_hugepage(False)
            return True
        except (ImportError, AttributeError):
            continue
    return False


class HeapTrim:
    """Hands the C allocator's free pages back to the system once every ``every`` frames shown
    (glibc's ``malloc_trim(0)``), called by the loop between two frames. Does nothing elsewhere
    (another C library) or with ``every`` <= 0.

    glibc gives back a heap's free memory only at the heap's top: the live loop's frame-sized
    arrays, freed amid blocks still in use, leave free pages in the heaps that stay resident. In
    a live soak the arenas' free memory grew from 56 to 118 MB in 2,500 frames while the memory
    in use stayed at 150-210 MB, and RSS rose with it. ``malloc_trim(0)`` hands back every free
    page of every arena, and the frames after it fault in the pages they reuse. Every 20 frames
    a trim takes about 4 ms, no longer than one every 100 (it hands back less), and RSS grew 2,
    6 and 12 MB in three 10,000-frame soaks, against 27 MB with a trim every 100 (docs/DEPLOY.md).
    Counted in frames, not seconds: what the frames take back between two trims follows the
    frames made. A fixed mmap threshold (every large array its own mapping) held
    RSS too, but paid its page faults on every frame: 1.37x the CPU per frame.
    """

    def __init__(self, every: int = TRIM_FRAMES):
        self.every = every
        self.trims = 0           # trims made ...
        self.seconds = 0.0       # ... and the time they took
        self._frames = 0
        try:
            self._trim = ctypes.CDLL("libc.so.6").malloc_trim
        except (OSError, AttributeError):
            self._trim = None

    def __call__(self) -> bool:
        """Counts a frame shown; trims when due (cheap to call every frame). Whether it did."""
        if self._trim is None or self.every <= 0:
            return False
        self._frames += 1
        if self._frames < self.every:
            return False
        self._frames = 0
        start = time.perf_counter()
        self._trim(0)
        seconds = time.perf_counter() - start
        self.trims += 1
        self.seconds += seconds
        log.debug("heap trimmed in %.1f ms", seconds * 1000.0)
        return True
