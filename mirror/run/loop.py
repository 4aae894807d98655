"""The mirror's run loop: opens the source, the pipeline and the window, and shows frames until
the source ends, ``max_frames`` is reached, the user quits, or SIGTERM / SIGINT asks it to stop.

    stats = run(Options(source="demo", style="blond", max_frames=100))

Stopped by a signal (a service manager's SIGTERM, Ctrl-C's SIGINT), in every mode, the kiosk's
included (it holds back only the keys), the loop ends after the frame in hand and closes the
camera, the window and the model on its way out (``stats.stopped_by`` names the signal); while
the mirror is still starting (loading the model takes seconds), the signal interrupts that. Under
systemd it also says when the first frame is on screen and pings the watchdog
(``mirror.io.service``, docs/DEPLOY.md).
"""
from __future__ import annotations

import contextlib
import logging
import time
from dataclasses import dataclass, field

from mirror.run.app import Pipeline
from mirror.io.demo import demo_picture, demo_styles
from mirror.errors import MirrorError
from mirror.io.output import Writer, save_snapshot
from mirror.paths import DEFAULT_ENGINES
from mirror.io.reconnect import reconnect
from mirror.io.service import HeapTrim, Service, StopSignals, Stopped, settle_memory
from mirror.io.source import ImageSource, Source, SourceLost, open_source
from mirror.run.style_state import StyleState

log = logging.getLogger(__name__)

DEMO_PICTURE = "demo_before_after.png"   # what the headless demo writes without --output


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
    seed: int | None = None            # the random styles' order (None: another every run)
    idle_seconds: float = 30.0         # --kiosk: random styles after this long without a key
    snapshot_dir: str = "snapshots"
    retry_seconds: float = 10.0
    loop: bool = False


@dataclass
class Stats:
    """What a run did."""

    frames: int = 0
    faces: int = 0
    bad_frames: int = 0
    seconds: float = 0.0
    backend: str = ""
    outputs: list[str] = field(default_factory=list)
    stopped_by: str | None = None   # the signal that stopped the mirror (SIGTERM, SIGINT), if one did

    @property
    def fps(self) -> float:
        return self.frames / self.seconds if self.seconds > 0 else 0.0


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


class Watch:
    """Looks on as ``run`` goes (the soak's seam: mirror.soak.live); this one does nothing."""

    def opened(self, pipeline: Pipeline, state: StyleState) -> None:
        """Everything is open; the loop's threads start next."""

    def shown(self, result) -> None:
        """``result`` (a ``mirror.types.Result``) is on screen (or written, headless)."""

    def skipped(self, error: Exception) -> None:
        """A frame was skipped: ``error`` came out of the pipeline in its place."""


def run(options: Options, source: Source | None = None, watch: Watch | None = None) -> Stats:
    """Runs the mirror until the source ends, ``max_frames`` is reached, the user quits, or a
    SIGTERM or SIGINT arrives (in the main thread; see the module's docstring).

    Args:
        options: what the user asked for.
        source: an already open source to use instead of ``options.source``.
        watch: told when everything is open and of every frame shown.

    Raises:
        MirrorError: for anything the user must fix (bad files, no camera, camera lost).
    """
    from mirror.io.display import has_display

    if not options.headless and not has_display():
        log.warning("no display found: running headless (--headless to silence this)")
        options.headless = True
    stats = Stats()
    settle_memory()  # before the loop's threads start (mirror.io.service)
    with StopSignals() as stop:
        try:
            _run(options, source, watch or Watch(), stats, stop)
        except Stopped:
            pass  # asked to stop while starting: what was open is closed
        stats.stopped_by = stop.stopped.name if stop.stopped else None
    return stats


def _run(options: Options, source: Source | None, watch: Watch, stats: Stats, stop: StopSignals) -> None:
    """``run``'s body, within its signal handlers; fills in ``stats``."""
    from mirror.io.display import Display, Hud
    from mirror.run.pipelined import PipelinedRunner, configure_threads, follow

    service = Service()
    trim = HeapTrim()   # the C heaps' free pages handed back every 20 frames (mirror.io.service)
    with contextlib.ExitStack() as stack:
        source = stack.enter_context(source or open_default_source(options))
        static = isinstance(source, ImageSource)
        pipeline = stack.enter_context(Pipeline(options.engines, options.backend, static, options.run))
        stats.backend = pipeline.backend
        log.info("backend: %s", pipeline.backend_reason)
        state = StyleState(pipeline, options.style, options.strength, options.random_seconds, seed=options.seed,
                           idle_seconds=options.idle_seconds if options.kiosk else None)
        if options.headless and source.name == "demo" and options.max_frames is None:
            path = options.output or DEMO_PICTURE
            grid, stats.faces = demo_picture(pipeline, source.images, demo_styles(pipeline, state),
                                             options.strength)
            Writer(path).write(grid)
            stats.outputs.append(path)
            stats.frames = len(source.images)
            return
        writer = stack.enter_context(contextlib.closing(Writer(options.output, getattr(source, "fps", 30.0)))) \
            if options.output else None
        display = None if options.headless else stack.enter_context(
            Display(fullscreen=options.fullscreen, kiosk=options.kiosk))
        # Capture, tracking, editing and compositing overlap in threads (mirror/run/pipelined.py).
        configure_threads(pipeline)
        watch.opened(pipeline, state)
        stop.polled()  # from here the loop asks: a signal no longer interrupts
        runner = stack.enter_context(PipelinedRunner(pipeline, source, follow(state), options.max_frames,
                                                     stopped=stop))
        stack.callback(service.stopping)
        start = time.perf_counter()
        fps = 0.0
        message = ""
        while (options.max_frames is None or stats.frames < options.max_frames) and not stop():
            try:
                result = runner.next()
            except SourceLost as lost:
                source = reconnect(source, lost, options.retry_seconds, display, pipeline.backend, stop)
                if source is None:
                    break
                stack.callback(source.close)
                runner.restart(source)
                stack.callback(runner.close)  # its threads stop before the new source closes
                continue
            except Exception as error:  # one bad frame never ends the mirror
                stats.bad_frames += 1
                log.log(logging.DEBUG if isinstance(error, MirrorError) else logging.WARNING,
                        "skipped a frame: %s", error)
                watch.skipped(error)
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
                        continue
                    if action == "snapshot":
                        path = save_snapshot(result.output, options.snapshot_dir)
                        message = "saved " + path
                        stats.outputs.append(path)
                    try:
                        state.apply(action)  # every key counts as the user being there (idle mode)
                    except MirrorError as error:  # a dropped file that is no photo of a face
                        message = str(error)
                        log.warning("%s", error)
                display.show(before, result.output, Hud(state.style.name, state.strength, pipeline.backend,
                                                        fps, result.face, message,
                                                        state.hud_lines + ([result.note] if result.note else [])))
            if stats.frames == 1:
                service.ready()
            service.alive()
            trim()
            watch.shown(result)
        stats.seconds = time.perf_counter() - start
        if writer:
            stats.outputs.append(options.output)
