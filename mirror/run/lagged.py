"""The hair edit on its own thread, at its own rate: every frame shows the newest finished edit.

    lagged = LaggedEdit(pipeline.edit)
    edited = lagged(frame, aligned, style, strength)     # in the pipelined loop's edit stage
    lagged.close()

Planning and rendering a shape or a transplant (receding, bangs) costs more than a camera
frame's time on a small CPU. Here it runs on a worker thread, resting after each drawing as long
as it took (``REDRAW_REST``: drawing on end, it kept a core from the frames), and each frame gets
the newest finished edit, carried over to this frame's crop (``carry``). The crop is
aligned to the face, so the edit follows the head; only what it draws updates at the worker's
rate. The first frame of a style (and of a face) is edited at once, so a style never shows late;
a head that has not moved since the edit shown is drawn anew only now and then (``stale``). A
head that has moved in the crop (a nod, a lean: the crop follows the face's position, size and
roll only) has its frame cut again where the head lay in the edit shown (``refit``), which is
carried onto that cut and put back through it. A head moved too far for that, or turned, takes
the worker's drawing in flight if that fits, else is edited at once, by the quicker drawing
without the fine detail a large face lends (``quick``: a third less of the time the mirror stands
still), which the worker then draws again in full; a frame waiting on the worker lends it its
priority. An edit that draws nothing (a look faded out for a head turned past its donor's) fits
every frame (``blank``): the worker judges it anew while the frames go on. A recolouring runs
no model: it is drawn on every frame (carried over, its colour change would smear on a moving
head); so is a transplant shown as its colour
alone (a reference photo's hair that cannot be drawn), which the worker judges anew every
``FALLBACK_AGE``. A drawing that fails on the worker is logged and dropped, with the edit it
would have replaced: the next frame is edited anew at once, so the worker's error never
reaches the frames.
"""
from __future__ import annotations

import dataclasses
import logging
import threading
import time
from typing import Callable, NamedTuple

import numpy as np

from mirror.face.align import recut, similarity_matrix, transform_points
from mirror.face.regions import HEAD_POINTS
from mirror.render.carry import carry
from mirror.edit.styles import Style
from mirror.run.timing import add_timing, niceness, run_in_background, set_niceness, stage_timings, timing_scope
from mirror.types import AlignedFace, EditedFace, Frame

log = logging.getLogger(__name__)

CARRY_REACH = 0.02  # an edit is carried only while the head has moved less than this in the crop since
                    # (the mean of its HEAD_POINTS, share of the crop) ...
REFIT_REACH = 0.08  # ... or, moved less than this, the frame cut again where the head lay fits it so;
                    # else it is made anew at once
REDRAW_REACH = 0.004  # the worker draws anew once the head has moved this far since the edit shown ...
REDRAW_AGE = 500      # ... or that edit is this old (ms of the stream): a still head is not redrawn on end
REDRAW_REST = 1.0     # ... and the worker has rested this many times as long as its last drawing took

FALLBACK_AGE = 1000   # a transplant shown as its colour alone (``EditedFace.fallback``) is judged anew
                      # on the worker this often (ms of the stream); its colour is drawn on every frame
RENDER_THREAD = "mirror-render"  # the worker thread's name

EditFn = Callable[[Frame, "AlignedFace | None", Style, float], "EditedFace | None"]


class _Shown(NamedTuple):
    """The newest finished edit: of which style and strength (``key``), made on ``aligned`` at
    ``ms`` (the stream's time), and its stage timings (reported with one frame only)."""

    key: tuple[str, str | None, float]
    aligned: AlignedFace
    edited: EditedFace
    timings: dict
    ms: int
    whole: bool = True      # False: the quicker drawing, which the worker draws again in full


def moved(then: AlignedFace, now: AlignedFace) -> float:
    """How far the head has moved in the crop from ``then`` to ``now``: the mean distance of its
    HEAD_POINTS, as a share of the crop's side."""
    return _apart(then.landmarks[HEAD_POINTS, :2], now.landmarks[HEAD_POINTS, :2], now.crop.shape[0])


def _apart(points: np.ndarray, others: np.ndarray, size: int) -> float:
    """The mean distance of two sets of points, as a share of ``size``."""
    return float(np.linalg.norm(others - points, axis=1).mean()) / size


def stale(then: AlignedFace, then_ms: int, now: AlignedFace, now_ms: int) -> bool:
    """Whether an edit made on ``then`` (at ``then_ms``) is worth drawing anew for ``now``: the head
    has moved (REDRAW_REACH) or it is old (REDRAW_AGE). Drawn again for a head that has not moved,
    it comes out the same, and costs the frames a core."""
    return now_ms - then_ms >= REDRAW_AGE or moved(then, now) >= REDRAW_REACH


def still_fits(then: AlignedFace, now: AlignedFace) -> bool:
    """Whether an edit of ``then``'s crop can be carried over to ``now``'s (``carry``): the crop
    follows the face's position, size and roll, not its nodding or turning, which move the head in
    the crop. A head nodding fast moved 3-4 % of the crop in the six frames a bald drawing
    took, and the drawing carried over lay off it: a bare plate above the head, a strand of the
    old fringe across the forehead."""
    return moved(then, now) < CARRY_REACH


def refit(then: AlignedFace, now: AlignedFace, image: np.ndarray) -> AlignedFace | None:
    """``now`` cut again from its frame ``image`` with its head where it lay in ``then``'s crop
    (the similarity of their HEAD_POINTS): an edit of ``then`` fits it, where the head has moved
    in the crop (a nod, a lean) but kept its shape. None where the head has moved beyond
    REFIT_REACH, or has turned so that no similarity brings it within CARRY_REACH."""
    if moved(then, now) >= REFIT_REACH:
        return None
    move = similarity_matrix(now.landmarks[HEAD_POINTS, :2], then.landmarks[HEAD_POINTS, :2])
    points = transform_points(now.landmarks[HEAD_POINTS, :2], move)
    if _apart(then.landmarks[HEAD_POINTS, :2], points, now.crop.shape[0]) >= CARRY_REACH:
        return None
    return recut(image, now, move)


def blank(edited: EditedFace) -> bool:
    """Whether an edit draws nothing (a look faded out for a head turned past its donor's, hair
    too long to take away): it fits any frame, which waits for no drawing however far the head has
    moved (each such wait froze the mirror for a drawing's time while a head turned away)."""
    return edited.beyond is None and not edited.replace.any() and not edited.hair_mask.any()


def _key(style: Style, strength: float) -> tuple:
    """What an edit was made of: the style (and its choice of donor) and the strength."""
    return style.name, style.choice, float(strength)


def drawn_every_frame(style: Style) -> bool:
    """A recolouring runs no model and follows the strands of every frame: it never lags."""
    return style.kind == "color" and style.color is not None


class LaggedEdit:
    """Runs ``edit`` (``Pipeline.edit``) on a worker thread; see the module's docstring.

    A worker's error is logged and its style's edit dropped: the next frame is edited at once,
    in the caller's thread (where an error is the caller's, as any frame's own edit).

    Args:
        edit: the edit (``Pipeline.edit``).
        quick: the same edit drawn quicker with less detail (``Pipeline.edit`` with ``lend=False``),
            for a frame whose head moved past the edit shown and waits on its drawing; None: ``edit``.

    Attributes:
        worker_errors: drawings the worker could not finish.
    """

    def __init__(self, edit: EditFn, quick: EditFn | None = None):
        self._edit = edit
        self._quick = quick
        self._busy = threading.Lock()            # held while ``edit`` runs, on either thread
        self._ready = threading.Condition()
        self._job: tuple | None = None
        self._result: _Shown | None = None
        self._closed = False
        self._rested = 0.0      # (perf_counter) the worker may start a redrawing from then on
        self.worker_errors = 0
        self._thread = threading.Thread(target=self._work, name=RENDER_THREAD, daemon=True)
        self._thread.start()

    def __call__(self, frame: Frame, aligned: AlignedFace | None, style: Style, strength: float
                 ) -> EditedFace | None:
        key = _key(style, strength)
        with self._ready:
            result = self._result
        if aligned is not None and result is not None and result.key == key and result.edited.fallback:
            colored = self._colored(frame, aligned, style, strength, result)
            if colored is not None:
                return colored
        usable = (aligned is not None and result is not None and result.key == key
                  and not drawn_every_frame(style))
        onto = aligned        # the crop the edit shown is carried onto
        if usable and not still_fits(result.aligned, aligned) and not blank(result.edited):
            onto = refit(result.aligned, aligned, frame.image)
            usable = onto is not None
        if usable:
            with self._ready:
                if self._job is None and (not result.whole or (
                        time.perf_counter() >= self._rested and stale(result.aligned, result.ms, aligned, frame.timestamp_ms))):
                    self._job = (frame, aligned, style, strength)
                    self._ready.notify_all()
                if self._result is result:     # (a new edit's timings go to one frame only)
                    self._result = result._replace(timings={})
        moved_away = not usable and self._moved_from(result, aligned, key, style)
        if moved_away:
            # The head has moved out of the last edit's reach. The worker may be drawing a later
            # frame's: this frame would wait for it anyway (one edit at a time), then draw its
            # own; that drawing, made where the head was a moment ago, often fits it.
            with self._ready:
                if self._job is not None:
                    set_niceness(self._thread.native_id, niceness())
                while self._job is not None and not self._closed:
                    self._ready.wait()
                result, onto = self._result, aligned
                usable = self._moved_from(result, aligned, key, style) is False and result is not None
                if usable:
                    self._result = result._replace(timings={})
        if usable:
            start = time.perf_counter()
            stage_timings().update(result.timings)
            edited = carry(result.edited, result.aligned, onto)
            if onto is not aligned:
                edited = dataclasses.replace(edited, aligned=onto)
            add_timing("rebase", start)
            return edited
        # A new style, a recolouring, a head moved too far for the last edit, or no face: edit now
        # (after the worker's edit in flight, if any, which meanwhile runs at this frame's priority:
        # a frame waited 100-300 ms on a drawing slowed by its background priority).
        if not self._busy.acquire(blocking=False):
            set_niceness(self._thread.native_id, niceness())
            self._busy.acquire()
        draw = self._quick if moved_away and self._quick is not None else self._edit
        try:
            edited = draw(frame, aligned, style, strength)
        finally:
            self._busy.release()
        with self._ready:
            self._result = None if edited is None else _Shown(key, aligned, edited, {}, frame.timestamp_ms,
                                                               whole=draw is self._edit)
        return edited

    def _colored(self, frame: Frame, aligned: AlignedFace, style: Style, strength: float, result: _Shown
                 ) -> EditedFace | None:
        """A transplant shown as its colour alone: that colour drawn on this frame, as a recolouring
        is (carried, it would lag behind the strands), while the worker judges the transplant anew
        now and then; None while the worker is judging it (the last drawing is carried)."""
        with self._ready:
            if self._job is None and frame.timestamp_ms - result.ms >= FALLBACK_AGE:
                self._job = (frame, aligned, style, strength)
                self._ready.notify_all()
        if not self._busy.acquire(blocking=False):
            return None
        try:
            edited = self._edit(frame, aligned, dataclasses.replace(style, kind="color"), strength)
        finally:
            self._busy.release()
        return None if edited is None else dataclasses.replace(edited, note=result.edited.note)

    @staticmethod
    def _moved_from(result: "_Shown | None", aligned: AlignedFace | None, key: tuple, style: Style) -> bool | None:
        """Whether the last edit (``result``) is of this carried style and the head has moved too far
        from it to carry it (True) or not (False); None where carrying does not apply."""
        if aligned is None or result is None or result.key != key or drawn_every_frame(style):
            return None
        return not still_fits(result.aligned, aligned) and not blank(result.edited)

    @property
    def drawing(self) -> bool:
        """Whether the worker is drawing an edit now."""
        return self._job is not None

    def _work(self) -> None:
        before = run_in_background()
        background = None if before is None else niceness()
        while True:
            with self._ready:
                while self._job is None and not self._closed:
                    self._ready.wait()
                if self._closed:
                    return
                frame, aligned, style, strength = self._job
            set_niceness(threading.get_native_id(), background)     # (a waiting frame may have raised it)
            timings: dict[str, float] = {}
            start = time.perf_counter()
            try:
                with self._busy, timing_scope(timings):
                    edited = self._edit(frame, aligned, style, strength)
            except BaseException as error:  # noqa: BLE001 - the next frame is edited anew instead
                log.warning("the render thread's drawing failed (%s: %s): the next frame is edited anew",
                            type(error).__name__, error)
                with self._ready:
                    self.worker_errors += 1
                    if self._result is not None and self._result.key == _key(style, strength):
                        self._result = None
                    self._job = None
                    self._ready.notify_all()
                continue
            with self._ready:
                self._rested = time.perf_counter() + REDRAW_REST * (time.perf_counter() - start)
                key = _key(style, strength)
                if edited is not None and self._result is not None and self._result.key == key:
                    self._result = _Shown(key, aligned, edited, timings, frame.timestamp_ms)
                self._job = None
                self._ready.notify_all()

    def close(self) -> None:
        """Stops the worker (an edit in flight finishes first)."""
        with self._ready:
            self._closed = True
            self._ready.notify_all()
        self._thread.join(timeout=5.0)
