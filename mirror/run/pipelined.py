"""The pipelined mirror loop: capture, tracking, editing and compositing overlap in threads.

    with PipelinedRunner(pipeline, source, style=lambda frame: (style, 1.0)) as runner:
        while (result := runner.next()) is not None:   # Results in capture order
            show(result.output)

Threads (MediaPipe, ONNX Runtime, OpenCV and NumPy's large-array loops release the GIL, so they
run at once on different cores)::

    capture (live sources only) -> track + align + segment -> edit + place -> composite -> next() in the caller
                                                             |
                                              render (plan + draw, at its own rate: mirror.run.lagged)

The three middle stages are ``Pipeline.track``, ``Pipeline.edit`` with ``Pipeline.place`` (the
edit warped onto the frame's boxes, which reads none of the frame's pixels: a carried drawing
leaves that thread idle) and ``Pipeline.compose`` (laying it over the frame).
Each stage is one thread and every hand-over is a FIFO of one slot, so frames come out in the
order they were captured, and the video-mode stages (face mesh and the hair segmenter's
smoothing, both in the track thread; the segmenter's model runs beside face mesh on a thread of
its own, ``mirror.face.ahead``) see one thread and increasing timestamps. A stage takes its next
frame only once the following stage has room: nothing queues up behind a slow stage, so
latency stays near the sum of the stages while throughput approaches 1 / (slowest stage).

A frame whose edit fails (the model or the drawing raised) is shown unedited, and the error
logged: the edit stage never loses a frame. A frame that is not a picture raises in its place.

Files and still images never drop a frame: the track thread reads the source itself when it is
ready for the next frame. A live camera is read without pause by its own thread into a one-frame
mailbox: while the pipeline is busy the newest frame replaces the waiting one (the dropped one is
counted), so the preview never lags behind the person (DeepFaceLive's rule).
"""
from __future__ import annotations

import collections
import functools
import logging
import os
import threading
import time
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from mirror.run.lagged import LaggedEdit
from mirror.io.source import Source
from mirror.render.compositor import Placed
from mirror.edit.styles import Style
from mirror.run.timing import timing_scope
from mirror.types import AlignedFace, EditedFace, Frame, Result

log = logging.getLogger(__name__)

# Thread counts for the pipelined loop on a small CPU (see configure_threads and docs/SPEED.md).
PIPELINED_ONNXRUNTIME_THREADS = 1
PIPELINED_OPENCV_THREADS = 1
PIPELINED_BLAS_THREADS = 1

# Frames in flight: as many as the cores that can work on them at once (see PipelinedRunner).
MAX_IN_FLIGHT = max(2, os.cpu_count() or 1)
# A live source whose frames run this far ahead of the wall clock is not real time: not dropped.
REALTIME_SLACK_MS = 20.0
# How often next() asks its ``stopped`` function while it waits for a frame (a signal's stop).
STOP_POLL_SECONDS = 0.05

@dataclass
class _Item:
    """One frame on its way through the threads."""

    frame: Frame | None = None
    captured: float = 0.0                 # perf_counter() when the frame was in hand
    timings: dict[str, float] = field(default_factory=dict)
    aligned: AlignedFace | None = None    # None: no face
    edited: EditedFace | None = None
    placed: Placed | None = None          # the edit warped onto the frame's boxes
    output: np.ndarray | None = None
    error: BaseException | None = None    # raised by next() in this frame's place
    end: bool = False                     # the stream ended (or stopped): nothing follows
    fatal: bool = False                   # reading the source failed (e.g. SourceLost): nothing follows

    @property
    def last(self) -> bool:
        """Nothing follows this item: the end, or the source failed. A stage's error on one
        frame (a bad frame) is not last: the loop goes on."""
        return self.end or self.fatal


class _Closed(Exception):
    """The runner is shutting down."""


class _Channel:
    """A FIFO hand-over of at most ``size`` items between two threads.

    ``put()`` blocks while the channel is full; ``put(item, drop=True)`` instead replaces the
    oldest waiting item (a live camera's mailbox) and counts it in ``dropped``. A last item (the
    end, a lost source) never waits and never replaces a frame. ``wait_room()`` blocks until a
    ``put()`` would not, so a producer can wait *before* taking on new work.
    """

    def __init__(self, size: int = 1):
        self._items: collections.deque = collections.deque()
        self._size = size
        self._closed = False
        self._cond = threading.Condition()
        self.dropped = 0

    def put(self, item, drop: bool = False) -> None:
        with self._cond:
            if not item.last:
                if drop:
                    while len(self._items) >= self._size and not self._items[0].last:
                        self._items.popleft()
                        self.dropped += 1
                while len(self._items) >= self._size and not self._closed:
                    self._cond.wait()
            if self._closed:
                raise _Closed
            self._items.append(item)
            self._cond.notify_all()

    def wait_room(self) -> None:
        with self._cond:
            while len(self._items) >= self._size and not self._closed:
                self._cond.wait()
            if self._closed:
                raise _Closed

    def get(self, timeout: float | None = None):
        with self._cond:
            deadline = None if timeout is None else time.monotonic() + timeout
            while not self._items and not self._closed:
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    raise TimeoutError
                self._cond.wait(remaining)
            if self._closed:
                raise _Closed
            item = self._items.popleft()
            self._cond.notify_all()
            return item

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()


StyleFn = Callable[[Frame], tuple[Style, float]]


def follow(state) -> StyleFn:
    """The style function for a ``mirror.run.app.StyleState``: ticks its random rotation with each
    frame's timestamp, then gives its style and strength (called in the edit thread)."""

    def style(frame: Frame) -> tuple[Style, float]:
        state.tick(frame.timestamp_ms)
        return state.style, state.strength

    return style


class _Run:
    """One source's threads and channels (a new one after ``restart``)."""

    def __init__(self, source: Source, max_in_flight: int | None):
        self.source = source
        # Frames taken from the source and not yet shown (a shown frame's slot is freed when the
        # caller asks for the next one).
        self.in_flight = threading.Semaphore(max_in_flight or 1_000_000)
        self.shown = False
        self.stop = threading.Event()
        self.mailbox = _Channel(1) if source.live else None
        self.tracked = _Channel(1)
        self.edited = _Channel(1)
        self.done = _Channel(1)
        self.channels = [c for c in (self.mailbox, self.tracked, self.edited, self.done) if c]
        self.threads: list[threading.Thread] = []
        self.edit = None          # the edit stage's call: Pipeline.edit, or a LaggedEdit of it


class PipelinedRunner:
    """Runs a ``mirror.run.app.Pipeline`` over a ``Source`` with its stages in threads.

    Args:
        pipeline: an open ``mirror.run.app.Pipeline`` (its tracker, aligner, editor and compositor
            are driven here, one thread each; do not call ``pipeline.process`` meanwhile).
        source: an open source; it stays the caller's to close.
        style: called in the edit thread with each frame, returns (style, strength) for it.
        max_frames: process at most this many frames (None: until the source ends).
        max_in_flight: at most this many frames between capture and the caller being done
            with them (None: no limit but the one-frame hand-overs). More frames in flight than
            cores only queue up: latency, no throughput.
        lag_edits: plan and render the edit on its own thread at its own rate, each frame
            showing the newest finished edit (``mirror.run.lagged``); False: every frame's own edit.
        stopped: asked while ``next()`` waits; once it says True, ``next()`` returns None (the
            mirror is stopping: a signal). None: ``next()`` waits for the frame however long.

    Attributes:
        dropped: frames a live source delivered that were never processed (the pipeline was
            busy). Always 0 for files and images.
        failed_edits: frames shown unedited because their edit raised.
    """

    def __init__(self, pipeline, source: Source, style: StyleFn, max_frames: int | None = None,
                 max_in_flight: int | None = MAX_IN_FLIGHT, lag_edits: bool = True,
                 stopped: Callable[[], bool] | None = None):
        if max_frames is not None and max_frames < 0:
            raise ValueError(f"max_frames must be >= 0, got {max_frames}")
        self.pipeline = pipeline
        self.style = style
        self.max_frames = max_frames
        if max_in_flight is not None and max_in_flight < 1:
            raise ValueError(f"max_in_flight must be >= 1, got {max_in_flight}")
        self.max_in_flight = max_in_flight
        self.lag_edits = lag_edits
        self.stopped = stopped
        self.failed_edits = 0
        self.taken = 0  # frames handed to the track stage
        self._dropped_before = 0
        self._start(source)

    @property
    def dropped(self) -> int:
        return self._dropped_before + (self._run.mailbox.dropped if self._run.mailbox else 0)

    @property
    def drawing(self) -> bool:
        """Whether the render thread is drawing an edit now (``LaggedEdit.drawing``)."""
        edit = self._run.edit
        return isinstance(edit, LaggedEdit) and edit.drawing

    @property
    def source(self) -> Source:
        return self._run.source

    # --- life cycle ---------------------------------------------------------------------------

    def _start(self, source: Source) -> None:
        run = self._run = _Run(source, self.max_in_flight)
        # (the wall is learnt from each frame once it is handed on to the compositor, off its path)
        edit = functools.partial(self.pipeline.edit, learn=False)
        run.edit = (LaggedEdit(edit, functools.partial(self.pipeline.edit, learn=False, lend=False))
                    if self.lag_edits else edit)
        self._finished = False
        workers = [("track", self._track_loop), ("edit", self._edit_loop), ("composite", self._composite_loop)]
        if run.mailbox:
            workers.insert(0, ("capture", self._capture_loop))
        run.threads = [threading.Thread(target=fn, args=(run,), name=f"mirror-{name}", daemon=True)
                       for name, fn in workers]
        for thread in run.threads:
            thread.start()

    def restart(self, source: Source) -> None:
        """Carries on with a new source (after ``next()`` raised ``SourceLost``)."""
        self._shutdown()
        self.pipeline.reset()
        self._start(source)

    def _shutdown(self) -> None:
        """Stops this run's threads; a thread that does not stop keeps only its own run's
        (closed) channels, never the next run's."""
        run = self._run
        run.stop.set()
        for channel in run.channels:
            channel.close()
        for thread in run.threads:
            thread.join(timeout=5.0)
            if thread.is_alive():
                log.warning("thread %s did not stop within 5 s", thread.name)
        run.threads = []
        if isinstance(run.edit, LaggedEdit):
            run.edit.close()
        if run.mailbox:
            self._dropped_before += run.mailbox.dropped
            run.mailbox.dropped = 0

    def close(self) -> None:
        """Stops the threads (frames in flight are discarded). The source stays open."""
        self._shutdown()

    def __enter__(self) -> "PipelinedRunner":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # --- the caller's side ----------------------------------------------------------------------

    def next(self):
        """The next processed frame, in capture order: a ``mirror.types.Result``.

        Its ``timings`` hold the stages' milliseconds (``capture``, ``track``, ``align``,
        ``edit``, ``place``, ``composite``, and whatever the stages added) and ``latency``: from the frame
        in hand to the composited output here.

        Returns:
            None once the source has ended (or ``max_frames`` were read, or ``stopped`` said so).

        Raises:
            SourceLost: the live source stopped; ``restart()`` with a new one to go on. Any other
                error reading the source also ends the loop (``next()`` then returns None).
            Exception: whatever a stage raised on one bad frame (MirrorError for a bad image);
                the frame is skipped and ``next()`` goes on with the following one.
        """
        if self._finished:
            return None
        run = self._run
        if run.shown:  # the caller is done with the previous frame: its slot is free
            run.shown = False
            run.in_flight.release()
        item = self._wait(run)
        if item is None:
            self._finished = True
            return None
        run.shown = True
        if item.end:
            self._finished = True
            return None
        if item.error is not None:
            if item.last:
                self._finished = True
            raise item.error
        item.timings["latency"] = (time.perf_counter() - item.captured) * 1000.0
        return Result(item.frame, item.output, item.aligned is not None, item.timings,
                      "" if item.edited is None else item.edited.note)

    def __iter__(self):
        while (result := self.next()) is not None:
            yield result

    def _wait(self, run: "_Run") -> _Item | None:
        """The next finished item, or None once ``stopped`` says so."""
        if self.stopped is None:
            return run.done.get()
        while not self.stopped():
            try:
                return run.done.get(timeout=STOP_POLL_SECONDS)
            except TimeoutError:
                pass
        return None

    # --- the threads ----------------------------------------------------------------------------

    def _capture_loop(self, run: "_Run") -> None:
        """Live sources: read without pause; the mailbox keeps only the newest frame.

        Only a source that delivers in real time is drained this way. One whose frames come
        faster than their timestamps advance (a test double, a file played as a camera that
        has fallen behind nothing) is waited for instead, like a file: dropping its frames
        would lose content, not lag. Once ahead, always so: a camera's frames never run ahead
        of the clock, and a file's lead can be used up by a stall of the pipeline (a long
        drawing) without its frames becoming a camera's to drop. A source that says it is not
        real time (``Source.realtime``) is never drained.
        """
        first = None  # (timestamp_ms, perf_counter) of the first frame
        judge = run.source.realtime is None
        realtime = run.source.realtime is not False
        try:
            while not run.stop.is_set():
                start = time.perf_counter()
                try:
                    frame = run.source.read()
                except BaseException as error:  # noqa: BLE001 - handed to the caller, in order
                    run.mailbox.put(_Item(error=error, captured=time.perf_counter(), fatal=True))
                    return
                item = _Item(frame, time.perf_counter(), end=frame is None)
                item.timings["capture"] = (item.captured - start) * 1000.0
                if frame is not None and realtime and judge:
                    first = first or (frame.timestamp_ms, item.captured)
                    ahead_ms = (frame.timestamp_ms - first[0]) - (item.captured - first[1]) * 1000.0
                    realtime = ahead_ms <= REALTIME_SLACK_MS
                run.mailbox.put(item, drop=realtime)
                if frame is None:
                    return
        except _Closed:
            pass

    def _take(self, run: "_Run") -> _Item:
        """The track thread's next frame: the newest from the mailbox (live) or read now (files)."""
        if self.max_frames is not None and self.taken >= self.max_frames:
            return _Item(end=True)
        if run.mailbox:
            item = run.mailbox.get()
        else:
            start = time.perf_counter()
            try:
                frame = run.source.read()
            except BaseException as error:  # noqa: BLE001 - handed to the caller, in order
                return _Item(error=error, captured=time.perf_counter(), fatal=True)
            item = _Item(frame, time.perf_counter(), end=frame is None)
            item.timings["capture"] = (item.captured - start) * 1000.0
        if item.frame is not None:
            self.taken += 1
        return item

    def _track_loop(self, run: "_Run") -> None:
        try:
            while not run.stop.is_set():
                run.tracked.wait_room()  # take a frame only when the editor can take it next
                while not run.in_flight.acquire(timeout=0.05):  # and only while few are in flight
                    if run.stop.is_set():
                        return
                item = self._take(run)
                if item.frame is not None and item.error is None:
                    with timing_scope(item.timings):
                        self._track(item)
                run.tracked.put(item)
                if item.last:
                    return
        except _Closed:
            pass

    def _track(self, item: _Item) -> None:
        try:
            item.frame, item.aligned = self.pipeline.track(item.frame)
        except BaseException as error:  # noqa: BLE001 - a bad frame is the caller's to count
            item.error = error

    def _edit_loop(self, run: "_Run") -> None:
        try:
            while not run.stop.is_set():
                run.edited.wait_room()  # take a frame only when the compositor can take it next
                item = run.tracked.get()
                if item.error is None and not item.end:
                    with timing_scope(item.timings):
                        try:
                            style, strength = self.style(item.frame)
                            edited = run.edit(item.frame, item.aligned, style, strength)
                            # (warped here, where a carried drawing leaves the thread idle: the
                            # compositor's thread only lays it over the frame)
                            item.placed = self.pipeline.place(item.frame, item.aligned, edited)
                            item.edited = edited
                        except Exception as error:  # noqa: BLE001 - the frame is shown unedited
                            self.failed_edits += 1
                            log.warning("frame %d shown unedited: its edit failed: %s: %s",
                                        item.frame.index, type(error).__name__, error)
                        except BaseException as error:  # noqa: BLE001
                            item.error = error
                run.edited.put(item)
                if item.last:
                    return
                if item.error is None:
                    self._learn(item)
        except _Closed:
            pass

    def _learn(self, item: _Item) -> None:
        try:
            self.pipeline.learn(item.frame, item.aligned)
        except Exception as error:  # noqa: BLE001 - the wall is learnt from the next frame
            log.warning("frame %d: the wall was not learnt from it: %s: %s",
                        item.frame.index, type(error).__name__, error)

    def _composite_loop(self, run: "_Run") -> None:
        try:
            while not run.stop.is_set():
                run.done.wait_room()
                item = run.edited.get()
                if item.error is None and not item.end:
                    self._composite(item)
                run.done.put(item)
                if item.last:
                    return
        except _Closed:
            pass

    def _composite(self, item: _Item) -> None:
        with timing_scope(item.timings):
            try:
                item.output = self.pipeline.compose(item.frame, item.aligned, item.edited, item.placed)
            except BaseException as error:  # noqa: BLE001
                item.error = error


def configure_threads(pipeline, onnxruntime_threads: int | None = None,
                      opencv_threads: int | None = None, sequential: bool = False) -> dict:
    """Sets the thread counts for this machine; returns what is in use.

    In the pipelined loop the stages already keep the cores busy side by side, so a library
    splitting one small job over every core only makes threads wait for each other. Defaults
    (pipelined): ONNX Runtime 1 intra-op thread per session, OpenCV 1 thread, NumPy's BLAS
    (OpenBLAS) 1 thread. ``sequential`` leaves the libraries' own defaults unless counts are given.

    Args:
        pipeline: an open ``mirror.run.app.Pipeline``; an ONNX Runtime backend is rebuilt with the
            new count (sessions cannot change it once made).
    """
    import cv2
    from threadpoolctl import threadpool_info, threadpool_limits

    cores = os.cpu_count() or 1
    if onnxruntime_threads is None and not sequential:
        onnxruntime_threads = PIPELINED_ONNXRUNTIME_THREADS
    if opencv_threads is None and not sequential:
        opencv_threads = PIPELINED_OPENCV_THREADS
    if opencv_threads is not None:
        cv2.setNumThreads(opencv_threads)
    if not sequential:
        # With the other stages busy on the other core, OpenBLAS's second thread waits to be
        # scheduled: the donor warp's small linear solve (some 180 points) took 19-35 ms on two
        # threads against 0.4 ms on one. (Process-wide, as OpenCV's count.)
        threadpool_limits(PIPELINED_BLAS_THREADS, user_api="blas")
    used = {"opencv": cv2.getNumThreads(), "onnxruntime": None,
            "blas": next((pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"), None)}
    if pipeline.backend.startswith("onnxruntime"):
        if onnxruntime_threads is not None:
            old = pipeline.editor.backend
            pipeline.editor.backend = old.with_threads(onnxruntime_threads)
            old.close()
        used["onnxruntime"] = onnxruntime_threads or cores
    if onnxruntime_threads is not None:
        # The segmenter is an ONNX Runtime session too, whatever the model's backend: on two
        # threads it costs 0.5 ms more CPU a call (3.0 against 2.6 ms), for no speed in the loop.
        pipeline.segmenter.set_threads(onnxruntime_threads)
    if pipeline.backend == "torch" and not sequential:
        import torch

        # PyTorch's OpenMP threads spin while they wait: with the other stages on the other
        # cores, two threads cost far more than one (figures in docs/SPEED.md).
        torch.set_num_threads(onnxruntime_threads or 1)
        used["torch"] = torch.get_num_threads()
    return used
