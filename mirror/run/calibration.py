"""Calibration for the user's own machine: camera check, backend timing, resolution choice.

    from mirror.run.calibration import calibrate
    report = calibrate("camera:0", engines="engines")   # Calibration; report.settings -> config

Used by ``calibrate.py`` (the command line), which writes ``report.settings`` with
``mirror.run.config.write_config`` for ``run_mirror.py`` to read.

What it does:

1. Checks the camera: it opens; its resolution and frame rate (reported, and as delivered); a
   face is found; the light on the face and its contrast. A hint for each problem.
2. Times each backend of ``mirror.backends.BACKENDS`` that can run here (TensorRT builds and
   caches its engine on first use): the model alone (one encode, one two-latent decode) and the
   whole pipelined mirror on frames just captured, replayed from memory as fast as it can go.
3. Picks the fastest backend that meets the frame-rate target (the camera's own rate unless
   ``target_fps`` is given), then the largest camera resolution at which the mirror still
   meets it, both on capture (what the camera delivers) and on processing.

A video file (``--source clip.mp4``) stands in for a camera: its frames are scaled down to try
smaller resolutions; the chosen resolution is then only advice (no camera entry is written).
"""
from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass, field

import cv2
import numpy as np

from mirror.errors import MirrorError
from mirror.io.source import CameraSource, Source, camera_index, open_source
from mirror.types import Frame

log = logging.getLogger(__name__)

# Camera resolutions tried, largest first (cameras snap a request to the nearest they support).
CAMERA_RESOLUTIONS = ((1920, 1080), (1280, 720), (960, 540), (640, 480))
# For a video standing in for a camera: its own size, then scaled down.
VIDEO_SCALES = (1.0, 0.75, 0.5)
DARK, BRIGHT, FLAT = 50.0, 210.0, 20.0  # face brightness (mean) and contrast (std) limits, 0..255


@dataclass
class CameraCheck:
    """What the camera check found."""

    source: str
    width: int
    height: int
    fps: float                    # reported by the camera or the video file (0: unknown)
    delivered_fps: float | None   # measured while reading (cameras only)
    frames: int
    faces: int
    brightness: float | None      # mean grey level on the face (or the frame with no face)
    contrast: float | None        # its standard deviation
    hints: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.hints


@dataclass
class Measurement:
    """One backend at one resolution."""

    backend: str
    width: int
    height: int
    fps: float | None = None          # the pipelined mirror's throughput
    capture_fps: float | None = None  # what the camera delivers at this resolution (None: video)
    model_ms: float | None = None     # one encode + one two-latent decode
    error: str | None = None

    def meets(self, target: float) -> bool:
        if self.fps is None:
            return False
        return self.fps >= target and (self.capture_fps is None or self.capture_fps >= 0.9 * target)


@dataclass
class Calibration:
    """The outcome: the camera check, every measurement, the choice and the config to write."""

    camera: CameraCheck
    target_fps: float
    measurements: list[Measurement]
    backend: str
    width: int
    height: int
    meets_target: bool
    settings: dict

    def lines(self) -> list[str]:
        """A human summary, one line per finding."""
        c = self.camera
        face = f"a face in {c.faces}/{c.frames} frames"
        light = "" if c.brightness is None else f", light {c.brightness:.0f}/255, contrast {c.contrast:.0f}"
        delivered = "" if c.delivered_fps is None else f", {c.delivered_fps:.1f} delivered"
        out = [f"camera {c.source}: {c.width}x{c.height}, {c.fps:.0f} fps reported{delivered}; {face}{light}"]
        out += [f"  hint: {hint}" for hint in c.hints]
        for m in self.measurements:
            if m.error:
                out.append(f"backend {m.backend}: not usable here ({m.error})")
                continue
            capture = "" if m.capture_fps is None else f", camera delivers {m.capture_fps:.1f} fps"
            model = "" if m.model_ms is None else f"model {m.model_ms:.1f} ms per frame; "
            out.append(f"backend {m.backend} at {m.width}x{m.height}: {model}mirror {m.fps:.1f} fps{capture}")
        verdict = "meets" if self.meets_target else "MISSES"
        out.append(f"chose {self.backend} at {self.width}x{self.height} ({verdict} the {self.target_fps:g} fps target)")
        return out


class MemorySource(Source):
    """Frames held in memory, replayed ``total`` times in a row as a (non-live) video stream."""

    def __init__(self, images: list[np.ndarray], total: int, fps: float = 30.0):
        if not images:
            raise MirrorError("no frames captured")
        self.name = "memory"
        self.images = images
        self.total = total
        self.fps = fps
        self._index = 0

    def read(self) -> Frame | None:
        if self._index >= self.total:
            return None
        image = self.images[self._index % len(self.images)]
        frame = Frame(self._index, int(round(self._index * 1000.0 / self.fps)), image)
        self._index += 1
        return frame


def _read_frames(source: Source, count: int) -> tuple[list[np.ndarray], float | None]:
    """Reads up to ``count`` frames; returns them and the delivered fps (live sources only)."""
    images = []
    start = time.perf_counter()
    for _ in range(count):
        frame = source.read()
        if frame is None:
            break
        images.append(frame.image)
    seconds = time.perf_counter() - start
    delivered = len(images) / seconds if source.live and seconds > 0 and images else None
    return images, delivered


def check_camera(source: Source, images: list[np.ndarray], delivered_fps: float | None) -> CameraCheck:
    """Face, light and contrast on ``images`` read from ``source``, with hints for problems."""
    from mirror.face.tracker import FaceTracker

    height, width = images[0].shape[:2]
    faces, levels, spreads, frame_levels = 0, [], [], []
    with FaceTracker(static=False) as tracker:
        for image in images:
            grey = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
            frame_levels.append(float(grey.mean()))
            face = tracker.process(image)
            if face is None:
                continue
            faces += 1
            x0, y0, x1, y1 = (int(round(v)) for v in face.box)
            patch = grey[max(y0, 0):max(y1, 0), max(x0, 0):max(x1, 0)]
            if patch.size:
                levels.append(float(patch.mean()))
                spreads.append(float(patch.std()))
    fps = float(getattr(source, "fps", 0.0) or 0.0)
    check = CameraCheck(source.name, width, height, fps, delivered_fps, len(images), faces,
                        float(np.median(levels)) if levels else float(np.median(frame_levels)),
                        float(np.median(spreads)) if spreads else None)
    if faces < max(1, len(images) // 2):
        check.hints.append("no face found in most frames: face the camera from 0.5-1 m with your "
                           "whole head in view")
    if check.brightness is not None and check.brightness < DARK:
        check.hints.append("too dark: add light in front of you (a lamp behind the camera)")
    elif check.brightness is not None and check.brightness > BRIGHT:
        check.hints.append("overexposed: less light on the face, or lower the camera's exposure")
    if check.contrast is not None and check.contrast < FLAT:
        check.hints.append("little contrast on the face: light it from the front, not from behind")
    if levels and np.median(frame_levels) > 1.6 * check.brightness:
        check.hints.append("backlit: a bright window or lamp behind you darkens the face")
    if delivered_fps is not None and delivered_fps < 20:
        check.hints.append(f"the camera delivers only {delivered_fps:.0f} fps: more light helps "
                           "(cameras slow down in the dark), or a lower resolution")
    return check


def candidate_frames(spec: str, count: int, progress=None) -> list[tuple[int, int, list[np.ndarray], float | None]]:
    """[(width, height, frames, delivered fps)] per resolution to try, largest first.

    Cameras are reopened at each of ``CAMERA_RESOLUTIONS`` (duplicates of what the camera
    really gives are dropped); a video's frames are scaled by ``VIDEO_SCALES``.
    """
    index = camera_index(spec)
    out = []
    if index is None:
        with open_source(spec, repeat=count, loop=True) as source:
            images, _ = _read_frames(source, count)
        if not images:
            raise MirrorError(f"no frames could be read from {spec}")
        height, width = images[0].shape[:2]
        for scale in VIDEO_SCALES:
            w, h = int(round(width * scale / 2)) * 2, int(round(height * scale / 2)) * 2
            scaled = images if scale == 1.0 else [cv2.resize(i, (w, h), interpolation=cv2.INTER_AREA) for i in images]
            out.append((w, h, scaled, None))
            if progress:
                progress.update(1)
        return out
    seen = set()
    for width, height in CAMERA_RESOLUTIONS:
        with CameraSource(index, width, height) as camera:
            images, delivered = _read_frames(camera, count)
        if progress:
            progress.update(1)
        if not images:
            continue
        size = images[0].shape[1], images[0].shape[0]
        if size in seen:
            continue
        seen.add(size)
        out.append((*size, images, delivered))
    out.sort(key=lambda item: item[0] * item[1], reverse=True)
    return out


def measure(engines: str, backend: str, images: list[np.ndarray], frames: int, warmup: int,
            progress=None) -> Measurement:
    """The pipelined mirror's throughput with ``backend`` on ``images`` replayed from memory."""
    from mirror.run.app import Pipeline
    from mirror.bench.runs import model_ms
    from mirror.run.pipelined import PipelinedRunner, configure_threads

    height, width = images[0].shape[:2]
    result = Measurement(backend, width, height)
    try:
        with Pipeline(engines, backend) as pipeline:
            configure_threads(pipeline)
            style = pipeline.styles.styles[min(1, len(pipeline.styles) - 1)]
            source = MemorySource(images, warmup + frames)
            done, start, crops = 0, None, []
            with PipelinedRunner(pipeline, source, lambda frame: (style, 1.0)) as runner:
                while True:
                    try:
                        if runner.next() is None:
                            break
                    except MirrorError:  # one bad frame: skipped
                        continue
                    done += 1
                    if done == warmup:
                        start = time.perf_counter()
                    if progress:
                        progress.update(1)
            seconds = time.perf_counter() - start if start is not None else 0.0
            result.fps = round((done - warmup) / seconds, 2) if seconds > 0 else 0.0
            face = pipeline.tracker.process(images[0])
            if face is not None:
                crops = [pipeline.aligner.align(images[0], face).crop]
                result.model_ms = round(model_ms(pipeline.editor.backend, crops, style.direction, repeats=10), 2)
    except MirrorError as error:
        result.error = str(error)
    return result


def calibrate(spec: str = "camera:0", engines: str | None = None, target_fps: float | None = None,
              frames: int = 60, warmup: int = 10, backends: list[str] | None = None,
              progress: bool = True) -> Calibration:
    """Checks the camera, times the backends and resolutions, and chooses.

    Args:
        spec: ``camera:N`` or a video file standing in for a camera.
        engines: the engines folder (default: the repository's).
        target_fps: the frame rate to keep (default: the camera's, 15-60, else 30).
        frames: measured frames per run (each run also does ``warmup`` frames first).
        backends: the backends to try (default: every one in ``mirror.backends.BACKENDS``).
        progress: show a progress bar (tqdm) on stderr.

    Raises:
        MirrorError: no camera, an unreadable video, or a broken model (one line each).
    """
    from mirror.paths import DEFAULT_ENGINES
    from mirror.backends import BACKENDS, load_model_files

    engines = engines or DEFAULT_ENGINES
    load_model_files(engines)  # a missing or broken model fails here, before any measuring
    names = list(backends or BACKENDS)
    index = camera_index(spec)
    resolutions_to_try = len(CAMERA_RESOLUTIONS) if index is not None else len(VIDEO_SCALES)
    log.info("calibrating: camera check")
    with open_source(spec, repeat=frames, loop=True) as source:  # no camera: MirrorError here
        images, delivered = _read_frames(source, min(frames, 30))
        if not images:
            raise MirrorError(f"no frames could be read from {spec}")
        camera = check_camera(source, images, delivered)
    bar = _bar(progress, resolutions_to_try + (len(names) + resolutions_to_try) * (frames + warmup))
    try:
        _describe(bar, "resolutions")
        candidates = candidate_frames(spec, max(frames // 2, 10), bar)
        if target_fps is None:
            target_fps = float(np.clip(camera.fps, 15, 60)) if camera.fps else 30.0
        largest = candidates[0]
        measurements = []
        for name in names:
            _describe(bar, f"backend {name}")
            m = measure(engines, name, largest[2], frames, warmup, bar)
            m.capture_fps = largest[3]
            measurements.append(m)
        usable = [m for m in measurements if m.error is None]
        if not usable:
            raise MirrorError("no backend could run the model: " +
                              "; ".join(f"{m.backend}: {m.error}" for m in measurements))
        best = max(usable, key=lambda m: m.fps)
        chosen = best
        if best.meets(target_fps):
            chosen = best
        else:
            for width, height, images, delivered in candidates[1:]:
                _describe(bar, f"{best.backend} at {width}x{height}")
                m = measure(engines, best.backend, images, frames, warmup, bar)
                m.capture_fps = delivered
                measurements.append(m)
                if m.error is None and (m.meets(target_fps) or chosen.fps is None or m.fps > chosen.fps * 1.05):
                    chosen = m
                if m.meets(target_fps):
                    break
    finally:
        if bar:
            bar.close()
    settings = {
        "backend": chosen.backend,
        "camera": {"index": index, "width": chosen.width, "height": chosen.height} if index is not None else None,
        "resolution": {"width": chosen.width, "height": chosen.height},
        "target_fps": target_fps,
        "measured": {
            "fps": chosen.fps,
            "source": spec,
            "runs": [{"backend": m.backend, "width": m.width, "height": m.height, "fps": m.fps,
                      "capture_fps": m.capture_fps, "model_ms": m.model_ms, "error": m.error}
                     for m in measurements],
            "camera_hints": camera.hints,
        },
        "machine": {"cores": os.cpu_count()},
        "written_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    return Calibration(camera, target_fps, measurements, chosen.backend, chosen.width, chosen.height,
                       chosen.meets(target_fps), settings)


def _bar(enabled: bool, total: int):
    if not enabled:
        return None
    import sys

    from tqdm import tqdm

    return tqdm(total=total, unit="frame", file=sys.stderr, leave=False, dynamic_ncols=True)


def _describe(bar, text: str) -> None:
    if bar is not None:
        bar.set_description(text)
    log.info("calibrating: %s", text)
