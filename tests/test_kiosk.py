"""The kiosk as a salon runs it: the live loop soaked with faults, and stopped like a service.

Real MediaPipe, ONNX Runtime and Pygame (SDL's dummy driver) on a held-out clip. No timing is
asserted but the service manager's stop, whose 2 s is the product's promise (docs/DEPLOY.md).
"""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

from conftest import ENGINES, ROOT, clip_path as clip
from mirror.soak.faults import KINDS, FaultPlan
from mirror.soak.live import REPORT_KEYS, live_soak

def test_a_short_live_soak_injects_every_fault_and_recovers_from_each():
    """Each kind once, a fault every 40 frames, through the loop's own seams. A fault that waits
    for its moment (the model's next call, the idle mode) delays the rest: the run leaves room
    (with the seeded styles, the model's next call comes some 110 frames after it is due)."""
    plan = FaultPlan(every=40, count=len(KINDS), no_face_frames=30, two_face_frames=15)
    report = live_soak([clip()], frames=540, every=40, engines=ENGINES, backend="onnxruntime",
                       warmup=50, window=150, idle_seconds=1.0, plan=plan)
    missing = [key for key in REPORT_KEYS if key not in report]
    assert not missing, f"the report lacks {missing}"
    assert report["exceptions"] == 0, report["first_exceptions"]
    faults = {fault["kind"]: fault for fault in report["faults"]}
    assert set(faults) == set(KINDS) and report["faults_injected"] == len(KINDS), report["faults"]
    for kind, fault in faults.items():
        assert fault["started"] is not None and fault["started"] >= 0, f"{kind} never struck: {fault}"
        assert fault["recovered_frames"] is not None and fault["recovered_frames"] <= 60, fault
    assert faults["no_face"]["faces_during"] == 0            # nobody there, truly
    assert faults["two_faces"]["faces_during"] > 0            # one of the two is edited
    assert "in flight" in faults["switch_in_flight"]["note"]  # switched while the render thread drew
    assert faults["render_error"]["note"] == "raised in the render thread"
    # Every frame in came out: shown, or (the corrupt frame's dtype, shape and NaNs) refused.
    assert report["frames_in"] == 540 and report["frames_lost"] == 0
    assert report["frames_refused"] == 3 and report["frames_out"] == 537
    # Stopped with SIGTERM at the end, as a service: camera released, window closed, threads gone.
    assert report["stopped_by"] == "SIGTERM" and report["shutdown_s"] is not None
    assert report["closed"] == {"window": True, "camera": True, "threads_left": []}
    assert all(key in report["load"]["first"] for key in ("load", "p95_ms", "cpu_ms_per_frame"))


def test_a_session_fault_waiting_for_the_model_steps_through_the_styles_until_it_strikes(monkeypatch):
    """Only some styles run the model: a session fault due while others are shown waited for one
    (in a 10,000-frame soak, one in two never struck and its recovery went unmeasured). The
    next style is asked for every ``seek_frames`` frames until the model runs, then no more."""
    from types import SimpleNamespace

    import mirror.soak.faults as faults

    keys = []
    monkeypatch.setattr(faults, "post_key", keys.append)
    plan = FaultPlan(every=10, seek_frames=5)
    injector = faults.Injector(plan, frames=200, bad_file="none.txt", kinds=("session_error",))

    def frame(index):
        return SimpleNamespace(frame=SimpleNamespace(index=index, image=None), face=True, output=None)

    for index in range(40):
        injector.frame_read()
        injector.shown(frame(index))
    assert keys == ["right"] * 6                  # frames 14, 19, ..., 39: due at frame 10
    with pytest.raises(Exception, match="injected"):
        injector.model_call()
    for index in range(40, 60):
        injector.frame_read()
        injector.shown(frame(index))
    assert keys == ["right"] * 6 and injector.injected == 1


def test_over_a_long_soak_the_heaps_filling_is_not_growth_and_a_climb_is():
    """RSS rises as the heaps fill over the first 5,000 frames and one thousand frames' median
    moves by some 13 MB with the styles shown: over 100,000 frames the growth is measured between
    windows a tenth of the run long, from the twentieth on."""
    from mirror.soak.live import RSS_EVERY, LiveSoak, _rss_figures

    rng = np.random.default_rng(0)
    at = np.arange(100_000 // RSS_EVERY + 1) * RSS_EVERY
    filled = 370.0 + 35.0 * np.minimum(at / 5000.0, 1.0)
    for climb, low, high in ((0.0, -5.0, 5.0), (1.0, 80.0, 100.0)):   # MB per 1,000 frames
        watch = LiveSoak(100_000, None, warmup=500, window=1000, trace_memory=False)
        watch.rss[:] = filled + climb * at / 1000.0 + rng.normal(0.0, 13.0, at.size)
        growth = _rss_figures(watch)["rss_growth_mb"]
        assert low < growth < high, (climb, growth)


def test_a_render_thread_exception_never_reaches_the_display_thread():
    """The renderer raises inside the render thread, again and again: the display thread (the
    loop) never sees it, no frame is skipped, and the next frame shows a live edit."""
    report = live_soak([clip()], frames=90, every=30, engines=ENGINES, backend="onnxruntime",
                       warmup=10, window=30, kinds=("render_error",))
    # (a fault strikes when the render thread next draws: not while a recolouring is shown; the
    # soak's styles come in a fixed order, and in these 90 frames each is drawn on that thread)
    struck = [f for f in report["faults"] if f["started"] is not None and f["started"] >= 0]
    assert len(struck) >= 2 and all(f["note"] == "raised in the render thread" for f in struck), report["faults"]
    assert report["exceptions"] == 0, report["first_exceptions"]      # nothing reached the loop
    assert report["frames_out"] == report["frames_in"] == 90
    assert report["frames_unedited"] == 0          # nor any frame's edit: the failure stayed on its thread
    assert all(f["recovered_frames"] == 0 for f in struck), struck   # the next frame edited anew at once


def test_a_failed_drawing_on_the_worker_is_dropped_and_the_next_frame_edited_at_once():
    from mirror.edit.styles import Style
    from mirror.face.regions import HEAD_POINTS
    from mirror.run.lagged import RENDER_THREAD, LaggedEdit
    from mirror.types import AlignedFace, EditedFace, Frame

    rng = np.random.default_rng(0)
    landmarks = rng.uniform(20, 108, (478, 2)).astype(np.float32)
    crop = rng.integers(0, 255, (128, 128, 3), dtype=np.uint8)
    made_in = []

    def edit(frame, aligned, style, strength):
        made_in.append(threading.current_thread().name)
        if threading.current_thread().name == RENDER_THREAD:
            raise RuntimeError("the drawing failed")
        zero = np.zeros((128, 128), np.float32)
        return EditedFace(aligned.detail.copy(), zero, zero)

    def face(shift):
        moved = landmarks.copy()
        moved[HEAD_POINTS, 0] += shift
        return AlignedFace(crop, np.float64([[1, 0, 0], [0, 1, 0]]), moved, crop)

    lagged = LaggedEdit(edit)
    style = Style("bald", np.zeros(4, np.float32), 1.0, kind="shape")
    image = np.zeros((8, 8, 3), np.uint8)
    try:
        lagged(Frame(0, 0, image), face(0.0), style, 1.0)           # at once, in this thread
        lagged(Frame(1, 600, image), face(0.0), style, 1.0)         # old: the worker draws anew, and fails
        deadline = time.monotonic() + 5.0
        while RENDER_THREAD not in made_in and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(0.1)                                             # (its failure handled)
        assert made_in.count(RENDER_THREAD) == 1
        edited = lagged(Frame(2, 633, image), face(0.0), style, 1.0)  # no error here: edited anew
        assert edited is not None and made_in[-1] == threading.current_thread().name
        assert lagged.worker_errors == 1
    finally:
        lagged.close()


def test_a_stop_while_the_mirror_starts_closes_what_was_open():
    """SIGTERM as the kiosk finishes starting (window open, model loaded, before the loop): the
    start is interrupted, and the camera and window are closed on the way out."""
    import pygame

    from mirror.io.source import VideoSource
    from mirror.run.loop import Options, Watch, run

    class Camera(VideoSource):
        closed = False

        def close(self):
            self.closed = True
            super().close()

    class StopAtOpen(Watch):
        def opened(self, pipeline, state):
            self.window = pygame.display.get_init()
            os.kill(os.getpid(), signal.SIGTERM)

    camera, watch = Camera(clip()), StopAtOpen()
    stats = run(Options(kiosk=True, engines=ENGINES, backend="onnxruntime"), camera, watch)
    assert stats.stopped_by == "SIGTERM" and stats.frames == 0
    assert watch.window and not pygame.display.get_init() and camera.closed
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL       # its handlers are put back


HEAP_HOLES = """
import os, time
import numpy as np
from mirror.io.service import HeapTrim

def rss():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20

start = rss()
# 60 MB of 100 KB arrays from the heap, each followed by a small block that stays in use
blocks, pins = zip(*[(np.ones(100_000 // 8), np.ones(1000)) for _ in range(600)])
del blocks
freed = rss()
trim = HeapTrim(every=2)
print(freed - start, trim(), trim(), freed - rss())
"""


def test_the_heap_trim_hands_back_free_pages_amid_the_heap():
    """Frame-sized arrays freed below a block still in use stay resident (glibc hands back only
    a heap's top): the loop's HeapTrim gives those pages back."""
    out = subprocess.run([sys.executable, "-c", HEAP_HOLES], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr[-2000:]
    kept, first, second, released = out.stdout.split()
    assert float(kept) > 50.0, out.stdout             # freed, and still resident
    assert (first, second) == ("False", "True"), out.stdout   # at its second frame
    assert float(released) > 50.0, out.stdout


HUGE_PAGES = """
import numpy as np
from mirror.io.service import no_huge_pages

def advised(array):
    # the VmFlags of the mapping that holds the array's middle (NumPy marks its whole 2 MB pages
    # only): "hg" where it was marked MADV_HUGEPAGE
    address = array.__array_interface__["data"][0] + array.nbytes // 2
    with open("/proc/self/smaps") as f:
        inside = False
        for line in f:
            head = line.split()[0]
            if "-" in head and ":" not in head:
                start, end = (int(part, 16) for part in head.split("-"))
                inside = start <= address < end
            elif inside and head == "VmFlags:":
                return "hg" in line.split()
    return False

before = advised(np.ones(2**21))      # 16 MB
print(before, no_huge_pages(), advised(np.ones(2**21)))
"""


def test_the_mirrors_large_arrays_are_not_marked_for_huge_pages():
    """NumPy marks its arrays of 4 MB or more for transparent huge pages, which the kernel merges
    back after the heap trim has handed their free pages back: ``no_huge_pages`` (which the loop
    and the bench call) turns that off."""
    env = {key: value for key, value in os.environ.items() if key != "NUMPY_MADVISE_HUGEPAGE"}
    out = subprocess.run([sys.executable, "-c", HUGE_PAGES], cwd=ROOT, capture_output=True, text=True,
                         timeout=60, env=env)
    assert out.returncode == 0, out.stderr[-2000:]
    before, told, after = out.stdout.split()
    if before != "True":
        pytest.skip("this kernel does not take NumPy's huge-page advice")
    assert (told, after) == ("True", "False"), out.stdout


def wait_for_ready(sock: socket.socket, process: subprocess.Popen, timeout: float = 180.0) -> None:
    """Waits for the mirror's READY=1 on the notify socket (its first frame is on screen)."""
    deadline = time.monotonic() + timeout
    sock.settimeout(1.0)
    while time.monotonic() < deadline:
        assert process.poll() is None, process.communicate()[1][-2000:]
        try:
            if b"READY=1" in sock.recv(256):
                return
        except socket.timeout:
            pass
    pytest.fail("the mirror never said READY=1")


@pytest.mark.parametrize("mode", [["--kiosk"], ["--kiosk", "--headless"]], ids=["kiosk-window", "kiosk-headless"])
def test_sigterm_ends_the_kiosk_within_2_s_with_status_0(tmp_path, mode):
    """A service manager's stop: the kiosk holds back only the keys, never SIGTERM."""
    address = str(tmp_path / "notify")
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind(address)
        env = {**os.environ, "NOTIFY_SOCKET": address, "SDL_VIDEODRIVER": "dummy"}
        process = subprocess.Popen([sys.executable, "run_mirror.py", "--source", clip(), "--loop",
                                    "--engines", ENGINES, "--backend", "onnxruntime", *mode],
                                   cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            wait_for_ready(sock, process)
            start = time.monotonic()
            process.send_signal(signal.SIGTERM)
            out, err = process.communicate(timeout=30)
            seconds = time.monotonic() - start
        finally:
            if process.poll() is None:
                process.kill()
                process.communicate()
        sock.settimeout(0.5)
        try:
            stopping = sock.recv(256)
        except socket.timeout:
            stopping = b""
    assert process.returncode == 0, err[-2000:]
    assert "stopped by SIGTERM" in out and "Traceback" not in err
    assert seconds < 2.0, f"{seconds:.2f} s"
    assert b"STOPPING=1" in stopping
