"""The pipelined loop (``mirror.run.pipelined``) and its render thread (``mirror.run.lagged``):
every frame kept, in order, the same pictures as the one-frame-at-a-time loop, bad frames and
failed edits in their place, a live camera's frames dropped only while the loop is busy, and
work taken off the frame's path (the segmenter beside face mesh, the wall learnt after the
frame is handed on). No timing is asserted."""
from __future__ import annotations

import os
import time

import cv2
import numpy as np
import pytest

from conftest import ENGINES, clip_path as clip
from mirror.run.app import Pipeline
from mirror.errors import MirrorError
from mirror.render.carry import carry
from mirror.run.lagged import LaggedEdit
from mirror.run.pipelined import PipelinedRunner
from mirror.io.source import ImageSource, Source, VideoSource
from mirror.types import Frame


def test_pipelined_loop_keeps_every_frame_in_order_and_matches_the_plain_loop(video_pipeline):
    import dataclasses

    from mirror.render.recolor import Recolor, RecolorParams

    # (a recolouring's mask, made on its worker, is taken as soon as it is done: with each mask
    # serving one frame, both loops take the same masks whatever the machine's timing)
    in_step = Recolor(dataclasses.replace(RecolorParams(), mask_frames=1))
    style = video_pipeline.styles.get("blond")
    usual = video_pipeline.renderer.effects["color"]
    video_pipeline.renderer.effects["color"] = in_step
    try:
        with VideoSource(clip()) as source:
            with PipelinedRunner(video_pipeline, source, lambda frame: (style, 1.0), max_frames=24,
                                 lag_edits=False) as runner:
                piped = list(runner)
                assert runner.dropped == 0
    finally:
        video_pipeline.renderer.effects["color"] = usual
    assert [r.frame.index for r in piped] == list(range(24))
    assert all({"capture", "track", "latency"} <= set(r.timings) for r in piped)
    video_pipeline.editor.reset()
    with Pipeline(ENGINES, "onnxruntime", transplanted=()) as fresh, VideoSource(clip()) as source:
        fresh.renderer.effects["color"] = in_step
        plain = [fresh.process(source.read(), fresh.styles.get("blond"), 1.0) for _ in range(24)]
    assert [r.face for r in piped] == [r.face for r in plain]
    for a, b in zip(piped, plain):
        assert a.output.shape == b.output.shape
        assert np.abs(a.output.astype(np.int16) - b.output).mean() < 1.0, a.frame.index


def test_the_pipelined_loop_runs_each_librarys_work_on_one_thread(video_pipeline):
    """The pipelined loop's stages share the cores: OpenCV, ONNX Runtime and NumPy's BLAS each
    run one thread (two BLAS threads made a donor warp's small solve 50 times slower)."""
    import cv2
    from threadpoolctl import ThreadpoolController, threadpool_info

    from mirror.run.pipelined import configure_threads

    threads = cv2.getNumThreads()
    try:
        with ThreadpoolController().limit(limits=2, user_api="blas"):   # as a 2-core machine starts
            used = configure_threads(video_pipeline)
            blas = [pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"]
            assert blas and set(blas) == {1}, blas
            assert used == {"opencv": 1, "onnxruntime": 1, "blas": 1}, used
            assert cv2.getNumThreads() == 1
    finally:
        cv2.setNumThreads(threads)


def test_the_segmenter_starts_beside_the_face_mesh_on_the_last_frames_crop(video_pipeline):
    """In video the segmenter runs on the frame cut where the last frame's crop lay while the face
    mesh finds this frame's, and its masks are moved into the new crop; a head moved too far is
    segmented again in its own crop."""
    import dataclasses

    from mirror.backends import load_model_files
    from mirror.face.ahead import MAX_MOVE, SegmentAhead
    from mirror.face.segment import HairSegmenter

    with VideoSource(clip("d13.mp4")) as source:
        frame = source.read()
    video_pipeline.reset()
    _, aligned = video_pipeline.track(frame)
    video_pipeline.reset()
    size = aligned.crop.shape[0]
    with HairSegmenter(load_model_files(ENGINES).segmenter) as segmenter:
        direct = segmenter.predict_crop(aligned.crop)
        for pixels in (2.0, 2.0 * MAX_MOVE * size):
            ahead = SegmentAhead(segmenter, size)
            try:
                assert ahead.start(frame.image) is None   # no last crop yet
                # the last frame, its crop ``pixels`` to the right of this one's
                ahead.finish(None, dataclasses.replace(aligned, to_crop=aligned.to_crop + [[0, 0, pixels], [0, 0, 0]]), 0)
                job = ahead.start(frame.image)
                assert job is not None
                masks = np.stack(ahead.finish(job, aligned, 0))
                unmoved = np.abs(job.result()[1] - direct).mean()
            finally:
                ahead.close()
            error = np.abs(masks - direct).mean()
            if pixels < MAX_MOVE * size:
                # made there and moved into this crop: its masks to the segmenter's own spread
                # under a shift of two pixels, far closer than left where they were made
                assert 0.0 < error < 0.02 and error < 0.5 * unmoved, (error, unmoved)
            else:
                assert error == 0.0


def test_the_pipelined_loop_learns_the_wall_off_the_frames_path(video_pipeline, monkeypatch):
    """The background plate learns from every frame once the frame is handed on, not while the
    frame waits: a slow learning step shows in no frame's render time, and the wall is learnt."""
    video_pipeline.reset()
    plate = video_pipeline.plate
    learnt = []
    update = plate.update

    def slow_update(*args):
        time.sleep(0.15)
        learnt.append(True)
        return update(*args)

    monkeypatch.setattr(plate, "update", slow_update)
    style = video_pipeline.styles.get("blond")
    with VideoSource(clip("d13.mp4")) as source:
        with PipelinedRunner(video_pipeline, source, lambda frame: (style, 1.0), max_frames=8) as runner:
            results = list(runner)
    assert len(results) == 8 and all(r.face for r in results)
    assert len(learnt) >= 7
    assert max(r.timings["render"] for r in results) < 100.0, [r.timings["render"] for r in results]
    _, aligned = video_pipeline.track(results[-1].frame)
    _, known = plate.crop(aligned.to_crop, aligned.crop.shape[0])
    assert known.max() > 0.5
    video_pipeline.reset()


def test_the_compositors_warps_are_made_on_the_edit_thread(video_pipeline, monkeypatch):
    """The warps of an edit onto its frame read none of the frame's pixels: the edit's thread
    makes them, and the compositor's thread only lays them over the frame (a look's warps took
    two thirds of the compositor's time, the stage frames queued before)."""
    import threading

    compositor = video_pipeline.compositor
    threads = {"place": set(), "lay": set()}
    for name in threads:
        def spy(*args, _name=name, _call=getattr(compositor, name)):
            threads[_name].add(threading.current_thread().name)
            return _call(*args)
        monkeypatch.setattr(compositor, name, spy)
    video_pipeline.reset()
    style = video_pipeline.styles.get("bald")
    with VideoSource(clip("d13.mp4")) as source:
        with PipelinedRunner(video_pipeline, source, lambda frame: (style, 1.0), max_frames=6) as runner:
            results = list(runner)
    assert len(results) == 6 and all(r.face for r in results)
    assert threads == {"place": {"mirror-edit"}, "lay": {"mirror-composite"}}, threads
    assert all("place" in r.timings for r in results)
    video_pipeline.reset()


def test_an_edit_is_carried_over_to_the_next_crop(video_pipeline):
    with VideoSource(clip()) as source:
        first, second = source.read(), source.read()
    _, then = video_pipeline.track(first)
    _, now = video_pipeline.track(second)
    grown = video_pipeline.edit(first, then, video_pipeline.styles.get("regrowth"))
    # New hair's copy and the frame's detail lent to it go with it (in the crop's frame).
    carried = carry(grown, then, now)
    assert carried.source is grown.source and carried.source_weight is grown.source_weight
    assert grown.lent is not None and carried.lent is grown.lent
    for name in ("blond", "bald"):
        edited = video_pipeline.edit(first, then, video_pipeline.styles.get(name))
        same = carry(edited, then, then)
        assert np.abs(same.crop.astype(int) - edited.crop).max() <= 1
        moved = carry(edited, then, now)
        drawn = edited.replace > 0.99
        assert drawn.any() == (name == "bald")
        # Drawn anew: as drawn; recoloured: this crop's own pixels with the same change.
        assert np.abs(moved.crop[drawn].astype(int) - edited.crop[drawn]).max(initial=0) <= 1
        kept = edited.hair_mask < 1e-3
        assert np.abs(moved.crop[kept].astype(int) - now.detail[kept]).max() <= 1
        change = edited.crop.astype(int) - then.detail
        changed = (edited.hair_mask > 0.5) & (edited.replace < 1e-3)
        assert changed.any() == (name == "blond")
        if name == "blond":
            assert np.abs(moved.crop[changed].astype(int) - now.detail[changed]
                          - change[changed]).mean() < 1.0
    video_pipeline.reset()
    # d3's long hair, taken away past the crop: the wall drawn there goes with the edit (dropped,
    # the live mirror showed her hair above the shaved head on every frame but the first).
    with VideoSource(clip("d3.mp4")) as source:
        first, second = source.read(), source.read()
    _, then = video_pipeline.track(first)
    _, now = video_pipeline.track(second)
    bald = video_pipeline.edit(first, then, video_pipeline.styles.get("bald"))
    assert bald.beyond is not None
    carried = carry(bald, then, now).beyond
    # (and where it lay in the frame, above the crop: the top of the hair stays put as a face nods)
    assert (carried.mask >= bald.beyond.mask).all()
    kept = carried.mask == bald.beyond.mask
    assert (carried.fill[kept] == bald.beyond.fill[kept]).all()
    video_pipeline.reset()


@pytest.mark.skipif(not hasattr(os, "setpriority"), reason="thread priorities: Linux only")
def test_background_drawing_yields_to_the_frames_path():
    import threading

    from mirror.render.memory import mask_worker
    from mirror.run.timing import BACKGROUND_NICE

    def nice() -> int:
        return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())

    own = nice()
    assert mask_worker().submit(nice).result() == min(own + BACKGROUND_NICE, 19)
    lagged = LaggedEdit(lambda *args: None)
    try:
        deadline = time.monotonic() + 5.0                  # the worker lowers itself as it starts
        while os.getpriority(os.PRIO_PROCESS, lagged._thread.native_id) == own and time.monotonic() < deadline:
            time.sleep(0.01)
        assert os.getpriority(os.PRIO_PROCESS, lagged._thread.native_id) == min(own + BACKGROUND_NICE, 19)
    finally:
        lagged.close()
    assert nice() == own                                   # the caller's thread is left as it was


def test_a_lagged_edit_follows_a_head_that_moved_in_the_crop_or_is_made_anew_when_it_turned():
    """A head nodding fast moves in the crop (the crop follows position, size and roll only): an
    edit carried over from a few frames back lay off it (d12: a bare plate above his head). A head
    that moved as a whole has its frame cut again where it lay (the edit goes with that cut); one
    whose outline changed (turned), or moved beyond REFIT_REACH, is edited anew at once."""
    import threading

    from mirror.run.lagged import CARRY_REACH, REFIT_REACH, moved, still_fits
    from mirror.face.regions import HEAD_POINTS
    from mirror.edit.styles import Style
    from mirror.types import AlignedFace

    rng = np.random.default_rng(0)
    landmarks = rng.uniform(20, 108, (478, 2)).astype(np.float32)
    image = cv2.GaussianBlur(rng.integers(0, 255, (200, 200, 3), dtype=np.uint8), (0, 0), 3)   # (smooth: sub-pixel cuts alike)

    def face(shift: float, spread: float = 1.0) -> AlignedFace:
        crop = image[:128, :128].copy()
        moved = landmarks.copy()
        head = moved[HEAD_POINTS, 1]
        moved[HEAD_POINTS, 1] = head.mean() + spread * (head - head.mean()) + shift * 128   # down the crop
        return AlignedFace(crop, np.float64([[1, 0, 0], [0, 1, 0]]), moved, crop)

    assert still_fits(face(0.0), face(0.5 * CARRY_REACH)) and not still_fits(face(0.0), face(2 * CARRY_REACH))
    here = []

    def edit(frame, aligned, style, strength):
        if threading.current_thread() is threading.main_thread():
            here.append(float(aligned.landmarks[HEAD_POINTS[0], 1]))
        return _drawing(aligned)

    lagged = LaggedEdit(edit)
    style = Style("bald", np.zeros(4, np.float32), 1.0, kind="shape")
    try:
        frame = Frame(0, 0, image)
        for shift in (0.0, 0.25 * CARRY_REACH, 0.5 * CARRY_REACH):    # the first at once, then carried
            edited = lagged(frame, face(shift), style, 1.0)
            assert edited.aligned is None
        assert len(here) == 1
        edited = lagged(frame, face(3 * CARRY_REACH), style, 1.0)     # moved as a whole: cut again
        assert len(here) == 1 and edited.aligned is not None
        # ... where the head lay in the edit shown (the first, or one the worker drew since)
        then = min((0.0, 0.25 * CARRY_REACH, 0.5 * CARRY_REACH), key=lambda shift: moved(face(shift), edited.aligned))
        assert moved(face(then), edited.aligned) < 0.05 * CARRY_REACH
        rows = (3 * CARRY_REACH - then) * 128
        assert edited.aligned.to_crop[1, 2] == pytest.approx(-rows, abs=0.5)
        # (the crop cut again shows the frame that many pixels lower: what lay there)
        assert np.abs(edited.aligned.crop[10:100].astype(int) - image[10 + round(rows):100 + round(rows), :128]).mean() < 3
        lagged(frame, face(0.0, spread=1.3), style, 1.0)        # its outline changed: anew
        assert len(here) == 2
        lagged(frame, face(1.5 * REFIT_REACH), style, 1.0)      # too far: anew
        assert len(here) == 3
    finally:
        lagged.close()


def test_a_head_moved_too_far_waits_on_the_quicker_drawing_then_gets_it_in_full():
    """A frame whose head moved past what the edit shown can be carried to waits on its own
    drawing: that one is the quicker drawing (no lent detail, a third less of the mirror standing
    still), and the worker draws it again in full at once, without its rest."""
    import threading

    from mirror.run.lagged import REFIT_REACH
    from mirror.edit.styles import Style

    calls = []

    def drawer(kind):
        def edit(frame, aligned, style, strength):
            calls.append((kind, threading.current_thread() is threading.main_thread()))
            return _drawing(aligned, kind)
        return edit

    lagged = LaggedEdit(drawer("whole"), drawer("quick"))
    style = Style("bald", np.zeros(4, np.float32), 1.0, kind="shape")
    try:
        frame = Frame(0, 0, _head_moved_by(0.0).crop)
        assert lagged(frame, _head_moved_by(0.0), style, 1.0).note == "whole"    # a new style: whole, at once
        lagged._rested = time.perf_counter() + 60.0                               # (the worker resting)
        moved = _head_moved_by(1.5 * REFIT_REACH)
        assert lagged(Frame(1, 33, moved.crop), moved, style, 1.0).note == "quick"
        assert calls == [("whole", True), ("quick", True)]
        lagged(Frame(2, 66, moved.crop), moved, style, 1.0)                       # asks the worker at once
        deadline = time.monotonic() + 10.0
        while lagged._result.edited.note != "whole" and time.monotonic() < deadline:
            time.sleep(0.01)
        assert calls[2] == ("whole", False)
        assert lagged(Frame(3, 99, moved.crop), moved, style, 1.0).note == "whole"
    finally:
        lagged.close()


def _drawing(aligned, note: str = ""):
    """An edit of ``aligned`` that draws something (new hair over the crop's top rows)."""
    from mirror.types import EditedFace

    drawn = np.zeros(aligned.detail.shape[:2], np.float32)
    drawn[:20] = 1.0
    return EditedFace(aligned.detail.copy(), drawn, drawn.copy(), note=note)


def test_an_edit_that_draws_nothing_is_carried_however_far_the_head_moves():
    """A look faded out for a head turned past its donor's draws nothing: it fits every frame, so
    no frame waits on a drawing as the head turns on (each wait froze the mirror for a drawing's
    time); the worker judges it anew meanwhile, and what it draws is shown."""
    import threading

    from mirror.run.lagged import REFIT_REACH
    from mirror.edit.styles import Style
    from mirror.types import EditedFace

    here, turned = [], _head_moved_by(2 * REFIT_REACH)

    def edit(frame, aligned, style, strength):
        if threading.current_thread() is threading.main_thread():
            here.append(frame.index)
        if aligned is turned:
            return _drawing(aligned, "drawn")
        none = np.zeros(aligned.detail.shape[:2], np.float32)
        return EditedFace(aligned.detail.copy(), none, none.copy(), note="head turned too far")

    lagged = LaggedEdit(edit)
    style = Style("bob", np.zeros(4, np.float32), 1.0, kind="transplant")
    try:
        assert lagged(Frame(0, 0, turned.crop), _head_moved_by(0.0), style, 1.0).note == "head turned too far"
        shown = lagged(Frame(1, 600, turned.crop), turned, style, 1.0)    # far off: carried, not drawn here
        assert here == [0] and shown.note == "head turned too far" and not shown.replace.any()
        deadline = time.monotonic() + 10.0
        while lagged._result.edited.note != "drawn" and time.monotonic() < deadline:
            time.sleep(0.01)
        assert lagged(Frame(2, 633, turned.crop), turned, style, 1.0).note == "drawn"
        assert here == [0]
    finally:
        lagged.close()


def _head_moved_by(shift: float):
    """An AlignedFace of random landmarks and pixels (the same every call) whose head points have
    moved ``shift`` of its 128-px crop to the right."""
    from mirror.face.regions import HEAD_POINTS
    from mirror.types import AlignedFace

    rng = np.random.default_rng(0)
    landmarks = rng.uniform(20, 108, (478, 2)).astype(np.float32)
    crop = rng.integers(0, 255, (128, 128, 3), dtype=np.uint8)
    landmarks[HEAD_POINTS, 0] += shift * 128
    return AlignedFace(crop, np.float64([[1, 0, 0], [0, 1, 0]]), landmarks, crop)


def test_a_still_head_is_drawn_anew_only_when_it_moves_or_its_edit_is_old():
    """Drawn again for a head that has not moved, a shape style comes out the same and costs the
    frames a core (d13 in bald: 44 drawings in 300 frames fed as fast as they go, 25 with the rule;
    57.5-58.4 fps against 62.2-70.1)."""
    import threading
    import time

    from mirror.run.lagged import REDRAW_AGE, REDRAW_REACH
    from mirror.edit.styles import Style
    from mirror.types import EditedFace

    face = _head_moved_by

    drawn = []

    def edit(frame, aligned, style, strength):
        if threading.current_thread() is not threading.main_thread():
            drawn.append(frame.timestamp_ms)
        zero = np.zeros((128, 128), np.float32)
        return EditedFace(aligned.detail.copy(), zero, zero)

    def wait_for(count: int) -> None:
        deadline = time.monotonic() + 5.0
        while len(drawn) < count and time.monotonic() < deadline:
            time.sleep(0.005)
        time.sleep(0.05)        # (and nothing more comes)

    lagged = LaggedEdit(edit)
    style = Style("bald", np.zeros(4, np.float32), 1.0, kind="shape")
    image = np.zeros((8, 8, 3), np.uint8)
    try:
        for ms in range(0, REDRAW_AGE, 33):                 # still: the first frame's edit is shown
            lagged(Frame(ms // 33, ms, image), face(0.0), style, 1.0)
            time.sleep(0.02)
        assert drawn == []
        lagged(Frame(99, REDRAW_AGE, image), face(0.0), style, 1.0)        # old: drawn anew
        wait_for(1)
        assert drawn == [REDRAW_AGE]
        lagged(Frame(100, REDRAW_AGE + 33, image), face(0.5 * REDRAW_REACH), style, 1.0)
        time.sleep(0.2)
        assert drawn == [REDRAW_AGE]
        lagged(Frame(101, REDRAW_AGE + 66, image), face(2 * REDRAW_REACH), style, 1.0)   # moved
        wait_for(2)
        assert drawn == [REDRAW_AGE, REDRAW_AGE + 66]
    finally:
        lagged.close()


def test_the_render_thread_rests_after_each_drawing_as_long_as_it_took():
    """Drawing on end for a head that never stops moving (a talking head), the render thread kept a
    core from the frames (d13 at 720p: 113-146 of 150 frames shown while it drew). After a drawing it
    rests as long as the drawing took: a head that moved asks for no new drawing until then, and
    gets one after (d13: 69-76 of 150 frames, 7-10 % more frames a second in bald and long
    layers)."""
    import threading
    import time

    from mirror.run.lagged import REDRAW_REACH, REDRAW_REST
    from mirror.edit.styles import Style
    from mirror.types import EditedFace

    face = _head_moved_by

    drawing = 0.3                               # a drawing's time, s
    rest = REDRAW_REST * drawing
    drawn = []

    def edit(frame, aligned, style, strength):
        if threading.current_thread() is not threading.main_thread():
            time.sleep(drawing)
            drawn.append(frame.timestamp_ms)
        zero = np.zeros((128, 128), np.float32)
        return EditedFace(aligned.detail.copy(), zero, zero)

    lagged = LaggedEdit(edit)
    style = Style("bald", np.zeros(4, np.float32), 1.0, kind="shape")
    image = np.zeros((8, 8, 3), np.uint8)
    try:
        lagged(Frame(0, 0, image), face(0.0), style, 1.0)                  # drawn at once, on this thread
        lagged(Frame(1, 33, image), face(2 * REDRAW_REACH), style, 1.0)    # moved: drawn on the worker
        deadline = time.monotonic() + 5.0
        while (not drawn or lagged.drawing) and time.monotonic() < deadline:
            time.sleep(0.005)
        done = time.monotonic()
        assert drawn == [33]
        lagged(Frame(2, 66, image), face(4 * REDRAW_REACH), style, 1.0)    # moved again, at once
        time.sleep(0.5 * rest)
        assert drawn == [33] and not lagged.drawing                       # resting
        while time.monotonic() < done + rest + 0.05:
            time.sleep(0.01)
        lagged(Frame(3, 99, image), face(6 * REDRAW_REACH), style, 1.0)    # rested: drawn anew
        assert lagged.drawing
    finally:
        lagged.close()


def test_a_transplant_shown_as_its_colour_alone_is_recoloured_on_every_frame():
    """A reference photo's hair that cannot be drawn is shown as its colour alone: that colour is
    drawn on every frame, on the frame's own thread, as a recolouring is (carried, it lagged
    behind the strands: a band of their old colour at the hair's edge on a moving head), and the
    transplant is judged anew on the worker only every ``FALLBACK_AGE``."""
    import threading
    import time

    from mirror.run.lagged import FALLBACK_AGE
    from mirror.edit.styles import Style
    from mirror.types import AlignedFace, EditedFace

    rng = np.random.default_rng(0)
    crop = rng.integers(0, 255, (128, 128, 3), dtype=np.uint8)
    aligned = AlignedFace(crop, np.float64([[1, 0, 0], [0, 1, 0]]), rng.uniform(20, 108, (478, 2)).astype(np.float32),
                          crop)
    calls = []

    def edit(frame, aligned, style, strength):
        calls.append((threading.current_thread() is threading.main_thread(), style.kind, frame.timestamp_ms))
        zero = np.zeros((128, 128), np.float32)
        return EditedFace(aligned.detail.copy(), zero, zero, note="hair too long to take away: its colour only",
                          fallback=style.kind == "transplant")

    lagged = LaggedEdit(edit)
    style = Style("reference.jpg", np.zeros(4, np.float32), 1.0, kind="transplant",
                  color=np.float32([[60, 7, 20], [12, 4, 4]]))
    image = np.zeros((8, 8, 3), np.uint8)
    frames = range(0, 2 * FALLBACK_AGE + 100, 33)
    try:
        for index, ms in enumerate(frames):
            edited = lagged(Frame(index, ms, image), aligned, style, 1.0)
            assert edited.note == "hair too long to take away: its colour only"
            time.sleep(0.005)
        deadline = time.monotonic() + 5.0
        while lagged.drawing and time.monotonic() < deadline:
            time.sleep(0.005)
    finally:
        lagged.close()
    here = [(kind, ms) for main, kind, ms in calls if main]
    worker = [(kind, ms) for main, kind, ms in calls if not main]
    assert here[0] == ("transplant", 0)                               # the first frame at once
    assert {kind for kind, _ in here[1:]} == {"color"} and len(here) >= 0.8 * len(frames)
    assert 1 <= len(worker) <= 2 and {kind for kind, _ in worker} == {"transplant"}
    assert worker[0][1] >= FALLBACK_AGE


def test_lagged_edits_keep_every_frame_in_order_and_show_each_style_at_once(video_pipeline):
    styles = [video_pipeline.styles.get(name) for name in ("bald", "regrowth")]
    with VideoSource(clip()) as source:
        with PipelinedRunner(video_pipeline, source, lambda frame: (styles[frame.index >= 12], 1.0),
                             max_frames=24) as runner:
            piped = list(runner)
    video_pipeline.reset()
    with Pipeline(ENGINES, "onnxruntime", transplanted=()) as fresh, VideoSource(clip()) as source:
        plain = [fresh.process(source.read(), styles[i >= 12], 1.0) for i in range(24)]
    assert [r.frame.index for r in piped] == list(range(24))
    # The render ran on its own thread for fewer frames than were shown, its timings on the
    # frames that first showed each finished edit.
    renders = sum("render" in r.timings for r in piped)
    assert 2 <= renders < 24 and sum("rebase" in r.timings for r in piped) > 0
    for a, b in zip(piped, plain):
        # Every frame shows its style from the first one on, close to its own edit.
        assert np.abs(a.output.astype(np.int16) - b.output).mean() < 3.0, a.frame.index
    untouched = np.abs(piped[12].output.astype(np.int16) - plain[11].output).mean()
    assert untouched > np.abs(piped[12].output.astype(np.int16) - plain[12].output).mean()


def test_pipelined_loop_skips_bad_frames_in_place(video_pipeline, photos):
    good = photos[0][1]
    images = [good, np.zeros((8, 8, 3), np.float32), good, np.zeros((0, 0, 3), np.uint8), good]

    class Mixed(Source):
        name = "mixed"

        def __init__(self):
            self.index = 0

        def read(self):
            if self.index >= len(images):
                return None
            self.index += 1
            return Frame(self.index - 1, (self.index - 1) * 33, images[self.index - 1])

    style = video_pipeline.styles.get("bangs")
    seen, bad = [], 0
    with PipelinedRunner(video_pipeline, Mixed(), lambda frame: (style, 1.0)) as runner:
        while True:
            try:
                result = runner.next()
            except MirrorError:
                bad += 1
                continue
            if result is None:
                break
            seen.append(result.frame.index)
    assert seen == [0, 2, 4] and bad == 2


class RealTimeCamera(Source):
    """A live source delivering a photo in real time at ``fps`` (wall-clock timestamps)."""

    live = True

    def __init__(self, image, frames: int, fps: float):
        self.name, self.image, self.frames, self.fps = "camera:test", image, frames, fps
        self.index = 0
        self.start = time.perf_counter()

    def read(self):
        if self.index >= self.frames:
            return None
        due = self.start + self.index / self.fps
        time.sleep(max(0.0, due - time.perf_counter()))
        frame = Frame(self.index, int((time.perf_counter() - self.start) * 1000), self.image)
        self.index += 1
        return frame


def test_live_camera_drops_frames_when_busy_but_never_reorders(video_pipeline, photos):
    style = video_pipeline.styles.get("blond")
    camera = RealTimeCamera(photos[0][1], frames=60, fps=400.0)  # far faster than the mirror
    with PipelinedRunner(video_pipeline, camera, lambda frame: (style, 1.0)) as runner:
        indexes = [r.frame.index for r in runner]
        dropped = runner.dropped
    assert dropped > 0 and len(indexes) + dropped == 60
    assert indexes == sorted(indexes) and len(set(indexes)) == len(indexes)
    assert indexes[-1] == 59  # the newest frame is the one shown


def test_a_file_played_as_a_camera_is_never_dropped_even_after_a_stall(video_pipeline, photos):
    """A source whose frames run ahead of the clock is waited for; a stall of the pipeline longer
    than its lead (a long drawing) does not make its frames a camera's to drop."""
    style = video_pipeline.styles.get("blond")

    class Played(Source):
        name, live = "camera:played", True

        def __init__(self):
            self.index = 0

        def read(self):
            if self.index >= 30:
                return None
            self.index += 1
            return Frame(self.index - 1, (self.index - 1) * 33, photos[0][1])

    def stalling(frame):
        if frame.index == 5:
            time.sleep(1.5)        # longer than the 5 frames' lead (165 ms of the stream)
        return style, 1.0

    with PipelinedRunner(video_pipeline, Played(), stalling) as runner:
        indexes = [r.frame.index for r in runner]
        dropped = runner.dropped
    assert dropped == 0 and indexes == list(range(30))


def test_a_frame_whose_edit_fails_is_shown_unedited_not_lost(video_pipeline, photos):
    style = video_pipeline.styles.get("bald")     # (a style the model draws: regrowth needs no decode)
    backend = video_pipeline.editor.backend
    failed = []

    class Failing:
        """The model's backend, failing on one frame's decode."""

        def __getattr__(self, name):
            return getattr(backend, name)

        def decode(self, latents):
            if not failed:
                failed.append(True)
                raise RuntimeError("the session failed")
            return backend.decode(latents)

    video_pipeline.editor.backend = Failing()
    try:
        with PipelinedRunner(video_pipeline, ImageSource(photos[:1], repeat=4), lambda frame: (style, 1.0),
                             lag_edits=False) as runner:
            results = list(runner)
            assert runner.failed_edits == 1
    finally:
        video_pipeline.editor.backend = backend
        video_pipeline.reset()
    assert [r.frame.index for r in results] == [0, 1, 2, 3] and failed
    unedited = [r.output is r.frame.image for r in results]
    assert unedited == [True, False, False, False]    # the first shown as it came, the rest edited


def test_still_images_never_drop(video_pipeline, photos):
    with Pipeline(ENGINES, "onnxruntime", static=True, transplanted=()) as still:
        style = still.styles.get("bald")
        source = ImageSource(photos, repeat=3)
        with PipelinedRunner(still, source, lambda frame: (style, 1.0)) as runner:
            results = list(runner)
    assert [r.frame.index for r in results] == list(range(6)) and all(r.face for r in results)
