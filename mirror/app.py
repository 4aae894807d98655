"""The mirror's wiring: Source -> FaceTracker -> Aligner -> PersonSegmenter -> HairEditor -> Compositor
-> Display.

    python run_mirror.py --source demo --style blond
"""
from __future__ import annotations

import contextlib
import logging
import os
import random
import time
from dataclasses import dataclass, field

import cv2
import numpy as np

from mirror import hairloss
from mirror.align import Aligner
from mirror.backends import create_backend, load_model_files
from mirror.compositor import Compositor
from mirror.editor import HairEditor, to_tensor
from mirror.errors import MirrorError
from mirror.filters import OneEuroFilter
from mirror.source import IMAGE_EXTENSIONS, ImageSource, Source, SourceLost, as_bgr, open_source, read_image
from mirror.segment import PersonSegmenter
from mirror.styles import ORIGINAL, Style
from mirror.timing import add_timing, timing_scope
from mirror.tracker import FaceTracker
from mirror.types import AlignedFace, EditedFace, Frame

log = logging.getLogger(__name__)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_ENGINES = os.path.join(ROOT, "engines")
SHOWCASE = ("bangs", "blond", "bald", "regrowth", "black", "wavy")
STAGES = ("track", "align", "edit", "composite")


@dataclass
class Options:
    """What ``run_mirror.py`` asks for (see its ``--help``)."""

    source: str | None = None          # None: camera 0 if one opens, else the demo
    style: str = "random"
    strength: float = 1.0
    backend: str = "auto"
    engines: str = DEFAULT_ENGINES
    run: str | None = None             # a training run folder, for the torch backend
    max_frames: int | None = None
    headless: bool = False
    output: str | None = None
    kiosk: bool = False
    fullscreen: bool = False
    random_seconds: float = 4.0
    snapshot_dir: str = "snapshots"
    retry_seconds: float = 10.0
    loop: bool = False


@dataclass
class Result:
    """One processed frame."""

    frame: Frame
    output: np.ndarray
    face: bool
    timings: dict[str, float] = field(default_factory=dict)


@dataclass
class Stats:
    """What a run did."""

    frames: int = 0
    faces: int = 0
    bad_frames: int = 0
    seconds: float = 0.0
    backend: str = ""
    outputs: list[str] = field(default_factory=list)

    @property
    def fps(self) -> float:
        return self.frames / self.seconds if self.seconds > 0 else 0.0


class Pipeline:
    """Tracks, aligns, edits and composites frames. Open stages are closed by ``close()``.

    Args:
        model_dir: the engines folder.
        backend: a name from ``mirror.backends.CHOICES``.
        static: photos (detect every frame, no smoothing) rather than a video stream.
        run: a training run folder for the torch backend.
    """

    def __init__(self, model_dir: str = DEFAULT_ENGINES, backend: str = "auto", static: bool = False,
                 run: str | None = None):
        self._stack = contextlib.ExitStack()
        try:
            model = load_model_files(model_dir)
            backend_impl, self.backend_reason = create_backend(backend, model, run)
            self.backend = backend_impl.name
            self.editor = self._stack.enter_context(HairEditor(backend_impl, model, smooth=not static))
            self.tracker = self._stack.enter_context(FaceTracker(static=static))
            self.segmenter = self._stack.enter_context(PersonSegmenter(video=not static))
        except BaseException:
            self._stack.close()
            raise
        self.static = static
        self.aligner = Aligner(model.size)
        self.compositor = Compositor()
        self.styles = self.editor.styles
        # Steady at rest, quick on a real move (measured on d13.mp4: hair flicker 1.4x the source's).
        self._landmarks = OneEuroFilter(min_cutoff=0.3, beta=0.01, shared_speed=True)

    def process(self, frame: Frame, style: Style, strength: float = 1.0) -> Result:
        """Edits one frame; with no face, the output is the plain frame."""
        with timing_scope({}) as timings:
            frame, aligned = self.track(frame)
            edited = self.edit(frame, aligned, style, strength)
            output = self.compose(frame, aligned, edited)
        return Result(frame, output, aligned is not None, timings)

    # The three halves of ``process``; the pipelined loop runs each in its own thread, so each
    # keeps to its own stages' state. Timings go to the frame's ``timing_scope``.

    def track(self, frame: Frame) -> tuple[Frame, AlignedFace | None]:
        """Face mesh, landmark smoothing, alignment and the person mask: (BGR frame, aligned face
        or None when no face is found)."""
        start = time.perf_counter()
        image = as_bgr(frame.image)
        frame = Frame(frame.index, frame.timestamp_ms, image)
        face = self.tracker.process(image)
        add_timing("track", start)
        if face is None:
            self._landmarks.reset()
            self.segmenter.reset()
            return frame, None
        if not self.static:
            face.landmarks = self._landmarks(face.landmarks, frame.timestamp_ms / 1000.0)
        start = time.perf_counter()
        aligned = self.aligner.align(image, face)
        add_timing("align", start)
        start = time.perf_counter()
        aligned.person = self.segmenter(aligned.crop, frame.timestamp_ms)
        add_timing("segment", start)
        return frame, aligned

    def edit(self, frame: Frame, aligned: AlignedFace | None, style: Style, strength: float = 1.0
             ) -> EditedFace | None:
        """The hair edit of a tracked face (None, and the editor's memory reset, without one)."""
        if aligned is None:
            self.editor.reset()
            return None
        start = time.perf_counter()
        edited = self.editor.edit(aligned, style, strength, frame.timestamp_ms)
        add_timing("edit", start)
        return edited

    def compose(self, frame: Frame, aligned: AlignedFace | None, edited: EditedFace | None) -> np.ndarray:
        """The output picture: the edit warped back onto the frame, or the plain frame."""
        if edited is None:
            return frame.image
        start = time.perf_counter()
        output = self.compositor.compose(frame.image, aligned, edited)
        add_timing("composite", start)
        return output

    def reset(self) -> None:
        """Forgets every stage's memory of past frames (a new stream starts)."""
        self._landmarks.reset()
        self.segmenter.reset()
        self.editor.reset()

    def reference_style(self, path: str) -> Style:
        """An exemplar style: the hair of the face in the photo at ``path``.

        Raises:
            MirrorError: if the photo is unreadable or shows no face.
        """
        image = read_image(path)
        with FaceTracker(static=True) as tracker:
            face = tracker.process(image)
        if face is None:
            raise MirrorError(f"no face found in the reference photo {path}")
        crop = self.aligner.align(image, face).crop
        latent = self.editor.backend.encode(to_tensor(crop))[0]
        return self.styles.exemplar(os.path.basename(path), latent)

    def close(self) -> None:
        self._stack.close()

    def __enter__(self) -> "Pipeline":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class StyleState:
    """The style shown, the user's strength, and the ``random`` rotation."""

    def __init__(self, pipeline: Pipeline, style: str, strength: float, random_seconds: float,
                 seed: int | None = None):
        self.styles = pipeline.styles
        self.rng = random.Random(seed)
        self.rotate = style == "random"
        self.random_seconds = random_seconds
        self.stage = 0  # the hair-loss scale's stage, when that is the style shown
        if style == hairloss.NAME:
            self.style = hairloss.scale_style(self.styles, self.stage)
        elif os.path.splitext(style)[1].lower() in IMAGE_EXTENSIONS:
            self.style = pipeline.reference_style(style)
            self.styles.add(self.style)
        else:
            self.style = self.styles.random(self.rng) if self.rotate else self.styles.get(style)
        self.strength = strength
        self._changed_ms = None

    @property
    def hud_lines(self) -> list[str]:
        """Extra HUD lines: the hair-loss stage when it is shown."""
        if self.style.name != hairloss.NAME:
            return []
        label = hairloss.scale_direction(self.styles, self.stage)[1]
        return [f"stage {self.stage:+d}: {label}", "[ / ]: along the scale"]

    def tick(self, timestamp_ms: int) -> None:
        """Moves to a new random style every ``random_seconds`` while rotating."""
        if self._changed_ms is None or timestamp_ms < self._changed_ms:
            self._changed_ms = timestamp_ms
        if self.rotate and timestamp_ms - self._changed_ms >= self.random_seconds * 1000:
            self.style = self.styles.random(self.rng, exclude=self.style.name)
            self._changed_ms = timestamp_ms

    def apply(self, action: str) -> None:
        """Applies a key action from the display."""
        if action in ("next", "prev"):
            self.rotate = False
            self.style = self.styles.step(self.style.name, 1 if action == "next" else -1)
        elif action == "random":
            self.style = self.styles.random(self.rng, exclude=self.style.name)
        elif action == "original":
            self.rotate = False
            self.style = self.styles.get(ORIGINAL)
        elif action in ("scale_up", "scale_down"):
            self.rotate = False
            step = 1 if action == "scale_up" else -1
            if self.style.name == hairloss.NAME:
                self.stage = min(max(self.stage + step, hairloss.FIRST), hairloss.LAST)
            self.style = hairloss.scale_style(self.styles, self.stage)
        elif action == "stronger":
            self.strength = round(min(self.strength + 0.25, 3.0), 2)
        elif action == "weaker":
            self.strength = round(max(self.strength - 0.25, 0.0), 2)


class Writer:
    """Writes processed frames where the user asked: a video file, an image file or a folder."""

    def __init__(self, path: str, fps: float = 30.0):
        self.path = path
        self._video = None
        self._fps = fps
        self._count = 0
        extension = os.path.splitext(path)[1].lower()
        self.kind = "video" if extension in (".mp4", ".avi", ".mov", ".mkv") else \
            "image" if extension in (".png", ".jpg", ".jpeg", ".bmp") else "folder"
        parent = path if self.kind == "folder" else os.path.dirname(os.path.abspath(path))
        try:
            os.makedirs(parent, exist_ok=True)
        except OSError as error:
            raise MirrorError(f"cannot write to {path}: {error.strerror}") from None

    def write(self, image: np.ndarray) -> None:
        if self.kind == "video":
            if self._video is None:
                fourcc = cv2.VideoWriter_fourcc(*"mp4v")
                self._video = cv2.VideoWriter(self.path, fourcc, self._fps, (image.shape[1], image.shape[0]))
                if not self._video.isOpened():
                    raise MirrorError(f"cannot write video {self.path}")
            self._video.write(image)
        elif self.kind == "image":
            if not cv2.imwrite(self.path, image):
                raise MirrorError(f"cannot write image {self.path}")
        else:
            cv2.imwrite(os.path.join(self.path, f"frame_{self._count:06d}.png"), image)
        self._count += 1

    def close(self) -> None:
        if self._video is not None:
            self._video.release()


def open_default_source(options: Options) -> Source:
    """The asked-for source; with none asked, camera 0 if it opens, else the demo."""
    repeat = 1 if options.headless and options.max_frames is None else 0
    if options.source:
        return open_source(options.source, repeat=repeat, loop=options.loop)
    try:
        return open_source("camera:0")
    except MirrorError:
        log.warning("no camera found: showing the built-in demo (--source to choose)")
        return open_source("demo", repeat=repeat)


def demo_picture(pipeline: Pipeline, images: list[tuple[str, np.ndarray]], styles: list[tuple[str, Style]],
                 strength: float = 1.0, height: int = 256) -> tuple[np.ndarray, int]:
    """A before/after grid: one row per photo, the original then one column per (label, style).

    Returns:
        (grid, faces): the (H, W, 3) uint8 BGR grid and how many photos had a face.
    """
    rows = []
    faces = 0
    for name, image in images:
        tiles = []
        for label, style in [("before", pipeline.styles.get(ORIGINAL)), *styles]:
            result = pipeline.process(Frame(0, 0, image), style, strength)
            faces += result.face and label == "before"
            tiles.append(labelled_tile(result.output, label, height))
        rows.append(np.hstack(tiles))
    return stack_rows(rows), faces


def labelled_tile(image: np.ndarray, label: str, height: int) -> np.ndarray:
    """``image`` (H, W, 3) uint8 resized to ``height`` px tall, ``label`` written at its top left."""
    tile = cv2.resize(image, (int(image.shape[1] * height / image.shape[0]), height), interpolation=cv2.INTER_AREA)
    for color, thickness in (((0, 0, 0), 3), ((255, 255, 255), 1)):
        cv2.putText(tile, label, (8, 24), cv2.FONT_HERSHEY_SIMPLEX, 0.7, color, thickness, cv2.LINE_AA)
    return tile


def stack_rows(rows: list[np.ndarray]) -> np.ndarray:
    """Stacks image rows of different widths, padding the narrower ones with black on the right."""
    width = max(r.shape[1] for r in rows)
    return np.vstack([np.pad(r, ((0, 0), (0, width - r.shape[1]), (0, 0))) for r in rows])


def demo_styles(pipeline: Pipeline, state: "StyleState") -> list[tuple[str, Style]]:
    """The demo picture's columns: a showcase (random), the hair-loss scale, or the one style."""
    if state.style.name == hairloss.NAME:
        return [(label.split(" (")[0], hairloss.scale_style(pipeline.styles, stage))
                for stage, label, _ in hairloss.STAGES if stage != 0]
    if state.rotate or state.style.name == ORIGINAL:
        return [(name, pipeline.styles.get(name)) for name in SHOWCASE if name in pipeline.styles.names]
    return [(state.style.name, state.style)]


def run(options: Options, source: Source | None = None) -> Stats:
    """Runs the mirror until the source ends, ``max_frames`` is reached, or the user quits.

    Args:
        options: what the user asked for.
        source: an already open source to use instead of ``options.source``.

    Raises:
        MirrorError: for anything the user must fix (bad files, no camera, camera lost).
    """
    from mirror.display import Display, Hud, has_display
    from mirror.pipelined import PipelinedRunner, configure_threads, follow

    if not options.headless and not has_display():
        log.warning("no display found: running headless (--headless to silence this)")
        options.headless = True
    stats = Stats()
    with contextlib.ExitStack() as stack:
        source = stack.enter_context(source or open_default_source(options))
        static = isinstance(source, ImageSource)
        pipeline = stack.enter_context(Pipeline(options.engines, options.backend, static, options.run))
        stats.backend = pipeline.backend
        log.info("backend: %s", pipeline.backend_reason)
        state = StyleState(pipeline, options.style, options.strength, options.random_seconds)
        if options.headless and source.name == "demo" and options.max_frames is None:
            path = options.output or "demo_before_after.png"
            grid, stats.faces = demo_picture(pipeline, source.images, demo_styles(pipeline, state),
                                             options.strength)
            Writer(path).write(grid)
            stats.outputs.append(path)
            stats.frames = len(source.images)
            return stats
        writer = stack.enter_context(contextlib.closing(Writer(options.output, getattr(source, "fps", 30.0)))) \
            if options.output else None
        display = None if options.headless else stack.enter_context(
            Display(fullscreen=options.fullscreen, kiosk=options.kiosk))
        # Capture, tracking, editing and compositing overlap in threads (mirror/pipelined.py).
        configure_threads(pipeline)
        runner = stack.enter_context(PipelinedRunner(pipeline, source, follow(state), options.max_frames))
        start = time.perf_counter()
        fps = 0.0
        message = ""
        while options.max_frames is None or stats.frames < options.max_frames:
            try:
                result = runner.next()
            except SourceLost as lost:
                source = _reconnect(source, lost, options, display, pipeline.backend)
                stack.callback(source.close)
                runner.restart(source)
                stack.callback(runner.close)  # its threads stop before the new source closes
                continue
            except Exception as error:  # one bad frame never ends the mirror
                stats.bad_frames += 1
                log.log(logging.DEBUG if isinstance(error, MirrorError) else logging.WARNING,
                        "skipped a frame: %s", error)
                continue
            if result is None:
                break
            before = result.frame.image
            stats.frames += 1
            stats.faces += result.face
            elapsed = time.perf_counter() - start
            fps = stats.frames / elapsed if elapsed > 0 else 0.0
            if writer:
                writer.write(result.output)
            if display:
                for action in display.events():
                    if action == "quit":
                        options.max_frames = stats.frames
                    elif action == "snapshot":
                        message = "saved " + _snapshot(result.output, options.snapshot_dir)
                        stats.outputs.append(message[6:])
                    else:
                        state.apply(action)
                display.show(before, result.output, Hud(state.style.name, state.strength, pipeline.backend,
                                                        fps, result.face, message, state.hud_lines))
        stats.seconds = time.perf_counter() - start
        if writer:
            stats.outputs.append(options.output)
    return stats


def _snapshot(image: np.ndarray, folder: str) -> str:
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, time.strftime("hair-mirror-%Y%m%d-%H%M%S.png"))
    cv2.imwrite(path, image)
    return path


def _reconnect(source: Source, lost: SourceLost, options: Options, display, backend: str) -> Source:
    """Retries a lost camera for ``retry_seconds``, saying so on screen; MirrorError after."""
    from mirror.display import Hud

    source.close()
    deadline = time.monotonic() + options.retry_seconds
    blank = np.zeros((480, 640, 3), np.uint8)
    while time.monotonic() < deadline:
        if display:
            display.events()
            display.show(blank, blank, Hud("-", 0.0, backend, 0.0, False,
                                           f"{lost} - retrying for {deadline - time.monotonic():.0f} s"))
        try:
            return source.reopen()
        except MirrorError:
            time.sleep(0.5)
    raise MirrorError(f"{lost}; gave up after {options.retry_seconds:.0f} s")
