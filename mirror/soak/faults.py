"""Faults injected into the live loop through its real seams, one every so many frames, in turn.

    injector = Injector(FaultPlan(every=500), frames=10000)
    source = FaultySource(videos, injector)           # the camera: lost, corrupt, no face, two faces
    injector.attach(pipeline, state)                  # the render thread and the model's session
    injector.shown(result)                            # each frame shown: keys and dropped files

The kinds (``KINDS``), in the order they come:

- ``camera_lost``: the camera stops delivering (``SourceLost``) and cannot be reopened for
  ``outage_seconds``; the loop's reconnection brings it back.
- ``corrupt_frames``: frames of the wrong dtype, the wrong shape and NaNs (refused), then an
  all-black one and one at half the resolution (shown).
- ``no_face``: ``no_face_frames`` frames with nobody in them (the frame blurred to a wash).
- ``two_faces``: ``two_face_frames`` frames showing two people side by side.
- ``switch_in_flight``: as the render thread starts a drawing, a key (R) is pressed; the drawing
  waits up to ``hold_seconds`` for the switch and goes on. Struck once the style switched before
  the drawing was done (else tried again at the next drawing).
- ``render_error``: the renderer raises inside the render thread.
- ``session_error``: the model's session raises, once (the next style is asked for until one
  runs the model).
- ``key_in_idle``: a key (R) pressed while the kiosk is idle.
- ``bad_reference``: a file that is not an image dropped on the window as a reference photo.

Each fault records the frame it was due at, the first frame after it (``ended``) and how many
frames were shown from there until the mirror showed a live edit again (``recovered``).
"""
from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass, field

import cv2
import numpy as np

from mirror.errors import MirrorError
from mirror.io.source import Source, SourceLost, VideoSource
from mirror.run.lagged import RENDER_THREAD
from mirror.types import Frame

KINDS = ("camera_lost", "corrupt_frames", "no_face", "two_faces", "switch_in_flight",
         "render_error", "session_error", "key_in_idle", "bad_reference")
SOURCE_KINDS = KINDS[:4]   # made by the source; the others strike from the threads they target
STREAM_FPS = 30.0          # the soak camera's clock: frame timestamps advance this fast
REFUSED = ("frame has dtype", "frame has shape", "empty frame")   # how the mirror refuses a non-picture


class InjectedFault(RuntimeError):
    """An error the soak raised on purpose."""


@dataclass(frozen=True)
class FaultPlan:
    """How often faults come and how long they last."""

    every: int = 500               # frames read between two faults (one under way delays the next)
    count: int = 0                 # faults in all (0: as many as the run has room for)
    outage_seconds: float = 2.0    # camera_lost: how long the camera cannot be reopened
    no_face_frames: int = 100      # no_face: frames with nobody in them
    two_face_frames: int = 30      # two_faces: frames with two people
    give_up_frames: int = 300      # a fault waiting for its moment, or for a live edit, stops after this many frames
    hold_seconds: float = 0.5      # switch_in_flight: longest a drawing waits for the switch
    # session_error: while no model call comes (only some styles run the model), the next style
    # is asked for every this many frames, as a customer stepping through them would
    seek_frames: int = 10


@dataclass
class Fault:
    """One injected fault, as the report shows it."""

    kind: str
    due: int                        # frames read when it was due
    started: int | None = None      # the newest frame read when it struck (None: it never did)
    ended: int | None = None        # the first frame after it
    recovered: int | None = None    # frames shown from ``ended`` until a live edit (None: never)
    note: str = ""
    shown_since: int = field(default=0, repr=False)
    faces: int = field(default=0, repr=False)      # frames with a face found while it lasted
    before: str = field(default="", repr=False)    # switch_in_flight: the style when the drawing began
    drawing_from: int = field(default=-1, repr=False)
    attempts: int = field(default=0, repr=False)   # switch_in_flight: drawings done before the switch came

    def record(self) -> dict:
        return {"kind": self.kind, "due": self.due, "started": self.started, "ended": self.ended,
                "recovered_frames": self.recovered, "faces_during": self.faces, "note": self.note}


def live_edit(result) -> bool:
    """Whether a shown frame is a live edit: a face found and the edit drawn on this frame."""
    return bool(result.face) and result.output is not result.frame.image


class Injector:
    """Decides when each fault comes and records what it did (thread-safe: the camera, render,
    edit and main threads all call in).

    Args:
        plan: how often and how long.
        frames: faults come only while there is room for one and its recovery before this frame.
        bad_file: the file dropped as a reference photo (not an image).
        kinds: the kinds to take in turn.
    """

    def __init__(self, plan: FaultPlan, frames: int, bad_file: str, kinds: tuple[str, ...] = KINDS):
        self.plan = plan
        self.frames = frames
        self.bad_file = bad_file
        self.kinds = kinds
        self.faults: list[Fault] = []
        self.active: Fault | None = None
        self.read = 0                   # frames read from the camera so far (the next one's index)
        self.state = None               # the loop's StyleState, once attached
        self.lost_at: float | None = None
        self._lock = threading.Lock()
        self._next_due = plan.every

    # --- wiring -----------------------------------------------------------------------------

    def attach(self, pipeline, state) -> None:
        """Wraps the pipeline's renderer and its model backend (``Watch.opened``)."""
        self.state = state
        pipeline.renderer = FaultyRenderer(pipeline.renderer, self)
        pipeline.editor.backend = FaultyBackend(pipeline.editor.backend, self)

    # --- the camera's side (camera thread) -----------------------------------------------------

    def frame_read(self) -> Fault | None:
        """Counts one frame read; starts the next fault when due. Returns the fault under way."""
        with self._lock:
            index = self.read
            self.read += 1
            last_due = self.frames - self.plan.every // 2
            room = not self.plan.count or len(self.faults) < self.plan.count
            if self.active is None and room and index >= self._next_due and index <= last_due:
                self.active = Fault(self.kinds[len(self.faults) % len(self.kinds)], due=index)
                self.faults.append(self.active)
                self._next_due += self.plan.every
                while self._next_due <= index:
                    self._next_due += self.plan.every
            fault = self.active
            if fault is not None and fault.started is None and fault.kind not in SOURCE_KINDS \
                    and index - fault.due > self.plan.give_up_frames:
                fault.note = "never struck"
                self.active = None
        return fault

    def strike(self, fault: Fault, lasts: int = 0) -> None:
        """Marks ``fault`` as struck on the newest frame read, lasting ``lasts`` frames more."""
        fault.started = self.read - 1
        fault.ended = self.read + lasts

    # --- the threads' side --------------------------------------------------------------------

    def _armed(self, kind: str) -> Fault | None:
        with self._lock:
            fault = self.active
            if fault is not None and fault.kind == kind and fault.started is None:
                fault.started = -1     # claimed: struck exactly once
                return fault
        return None

    def drawing(self) -> Fault | None:
        """The renderer is about to draw; on the render thread it may fail, or a switch of style
        may be asked for (R posted), the drawing held up to ``hold_seconds`` for it. Returns the
        switch's fault, for ``drawn``."""
        if threading.current_thread().name != RENDER_THREAD:
            return None
        fault = self._armed("render_error")
        if fault is not None:
            self.strike(fault)
            fault.note = "raised in the render thread"
            raise InjectedFault("injected: the renderer failed in the render thread")
        fault = self._armed("switch_in_flight")
        if fault is None:
            return None
        fault.before = self.state.style.name
        fault.drawing_from = self.read - 1
        post_key("r")
        deadline = time.monotonic() + self.plan.hold_seconds
        while self.state.style.name == fault.before and time.monotonic() < deadline:
            time.sleep(0.005)
        return fault

    def drawn(self, fault: Fault) -> None:
        """The drawing held for ``fault`` is done: struck if the style switched meanwhile, else
        armed again for the next drawing (the frames could not come while the caller waited for
        this drawing: an edit made at once waits for the one in flight)."""
        now = self.state.style.name
        if now == fault.before:
            fault.attempts += 1
            fault.started = None
            return
        fault.ended = self.read
        fault.started = fault.drawing_from
        fault.note = f"{fault.before} -> {now} while a drawing was in flight" + \
            (f" (attempt {fault.attempts + 1})" if fault.attempts else "")

    def model_call(self) -> None:
        """The model's session is about to run; it may raise once."""
        fault = self._armed("session_error")
        if fault is not None:
            self.strike(fault)
            fault.note = f"raised in {threading.current_thread().name}"
            raise session_error("injected: the model's session failed")

    def shown(self, result) -> None:
        """A frame is on screen (main thread): posts the display's faults, follows recovery."""
        fault = self.active
        if fault is None:
            return
        if fault.kind == "key_in_idle" and self.state.idle and self._armed("key_in_idle"):
            self.strike(fault)
            fault.note = f"R pressed while idle in {self.state.style.name}"
            post_key("r")
        elif fault.kind == "session_error" and fault.started is None and \
                (self.read - fault.due) % self.plan.seek_frames == self.plan.seek_frames - 1:
            post_key("right")
        elif fault.kind == "bad_reference" and self._armed("bad_reference"):
            self.strike(fault)
            post_drop(self.bad_file)
            fault.note = "dropped " + os.path.basename(self.bad_file)
        if fault.started is not None and fault.started >= 0 and result.frame.index >= fault.started:
            fault.faces += result.face and (fault.ended is None or result.frame.index < fault.ended)
        if fault.ended is None or result.frame.index < fault.ended:
            return
        if live_edit(result):
            fault.recovered = fault.shown_since
        else:
            fault.shown_since += 1
            if fault.shown_since <= self.plan.give_up_frames:
                return
            fault.note += "; no live edit since"
        with self._lock:
            if self.active is fault:
                self.active = None

    @property
    def injected(self) -> int:
        return sum(f.started is not None and f.started >= 0 for f in self.faults)


def session_error(message: str) -> Exception:
    """The exception ONNX Runtime's sessions raise when a run fails (RuntimeError elsewhere)."""
    try:
        from onnxruntime.capi.onnxruntime_pybind11_state import RuntimeException
        return RuntimeException(message)
    except ImportError:
        return InjectedFault(message)


def post_key(name: str) -> None:
    """A key press into the window's event queue, as a person would type it."""
    import pygame

    pygame.event.post(pygame.event.Event(pygame.KEYDOWN, key=pygame.key.key_code(name), mod=0,
                                         unicode=name, scancode=0))


def post_drop(path: str) -> None:
    """A file dropped on the window."""
    import pygame

    pygame.event.post(pygame.event.Event(pygame.DROPFILE, file=path))


class FaultyRenderer:
    """The pipeline's renderer, through which the render thread's faults strike."""

    def __init__(self, renderer, injector: Injector):
        self._renderer = renderer
        self._injector = injector

    def render(self, *args, **kwargs):
        switch = self._injector.drawing()
        edited = self._renderer.render(*args, **kwargs)
        if switch is not None:
            self._injector.drawn(switch)
        return edited

    def __getattr__(self, name):
        return getattr(self._renderer, name)


class FaultyBackend:
    """The model's backend, whose session may raise once."""

    def __init__(self, backend, injector: Injector):
        self._backend = backend
        self._injector = injector

    def encode(self, images):
        self._injector.model_call()
        return self._backend.encode(images)

    def decode(self, latents):
        self._injector.model_call()
        return self._backend.decode(latents)

    def __getattr__(self, name):
        return getattr(self._backend, name)


class FaultySource(Source):
    """A camera made of video files played in turn (a 30 fps clock across them, from 0 again
    when it is reopened, as a camera's), into which the camera's faults are injected. ``reopen``
    fails while the camera is away."""

    live = True            # read by the loop's camera thread, as a camera is ...
    realtime = False       # ... but every frame counts: none is dropped while the mirror is busy
    name = "camera:soak"

    def __init__(self, videos: list[str], injector: Injector):
        if not videos:
            raise MirrorError("no videos to play")
        self._videos = videos
        self._injector = injector
        self._clip = 0
        self._video = VideoSource(videos[0])
        self._pending: list[np.ndarray] = []   # corrupt frames still to deliver
        self._epoch = 0      # the index of the first frame since the camera was (re)opened: its clock's 0
        self.closed = False

    def _next_image(self) -> np.ndarray:
        frame = self._video.read()
        while frame is None:
            self._video.close()
            self._clip = (self._clip + 1) % len(self._videos)
            self._video = VideoSource(self._videos[self._clip])
            frame = self._video.read()
        return frame.image

    def read(self) -> Frame | None:
        injector = self._injector
        if injector.lost_at is not None:
            raise SourceLost(f"{self.name} stopped delivering frames")
        fault = injector.frame_read()
        index = injector.read - 1
        image = self._next_image()
        if fault is not None and fault.started is None and fault.kind in SOURCE_KINDS:
            lasts = {"corrupt_frames": 4, "no_face": self._injector.plan.no_face_frames - 1,
                     "two_faces": self._injector.plan.two_face_frames - 1}.get(fault.kind, 0)
            injector.strike(fault, lasts)
            if fault.kind == "camera_lost":
                injector.read -= 1          # this frame never came
                injector.lost_at = time.monotonic()
                fault.ended = None          # until the camera is back
                raise SourceLost(f"{self.name} stopped delivering frames")
            if fault.kind == "corrupt_frames":
                self._pending = corrupt_images(image)
        if fault is not None and fault.ended is not None and index < fault.ended:
            if fault.kind == "corrupt_frames" and self._pending:
                image = self._pending.pop(0)
            elif fault.kind == "no_face":
                image = nobody(image)
            elif fault.kind == "two_faces":
                image = two_people(image)
        return Frame(index, int(round((index - self._epoch) * 1000.0 / STREAM_FPS)), image)

    def reopen(self) -> "FaultySource":
        injector = self._injector
        if injector.lost_at is not None and time.monotonic() - injector.lost_at < injector.plan.outage_seconds:
            raise MirrorError(f"{self.name} could not be opened")
        if injector.lost_at is not None:
            injector.lost_at = None
            fault = injector.active
            if fault is not None and fault.kind == "camera_lost":
                fault.ended = injector.read
                fault.note = f"away {injector.plan.outage_seconds:.1f} s"
            self._epoch = injector.read       # a camera reopened starts its clock again
        self.closed = False
        return self

    def close(self) -> None:
        """Released as a camera is (the clips stay open for its return: ``release``)."""
        self.closed = True

    def release(self) -> None:
        self._video.close()


def corrupt_images(image: np.ndarray) -> list[np.ndarray]:
    """What a broken driver might hand over: the wrong dtype, the wrong shape, NaNs (all refused),
    an all-black frame and one at half the resolution (both shown)."""
    height, width = image.shape[:2]
    return [image.astype(np.float32), np.ascontiguousarray(image[..., :2]),
            np.full(image.shape, np.nan), np.zeros_like(image),
            cv2.resize(image, (width // 2, height // 2), interpolation=cv2.INTER_AREA)]


def nobody(image: np.ndarray) -> np.ndarray:
    """The frame washed out to its colours: nobody in front of the mirror."""
    height, width = image.shape[:2]
    small = cv2.resize(image, (8, 8), interpolation=cv2.INTER_AREA)
    return cv2.resize(small, (width, height), interpolation=cv2.INTER_LINEAR)


def two_people(image: np.ndarray) -> np.ndarray:
    """Two people side by side: the frame at half size twice, the second mirrored."""
    height, width = image.shape[:2]
    half = cv2.resize(image, (width // 2, height // 2), interpolation=cv2.INTER_AREA)
    out = np.zeros_like(image)
    top = height // 4
    out[top:top + half.shape[0], :half.shape[1]] = half
    out[top:top + half.shape[0], width - half.shape[1]:] = half[:, ::-1]
    return out
