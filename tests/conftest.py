"""Shared fixtures: the packaged photos, the shared data folder, headless Pygame, the mirror's
still-photo pipeline and the packaged photos tracked through it, and a small aligned CelebA set
with a tiny model trained on it (the training tests')."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
# The suite runs one pytest-xdist worker per core (pyproject.toml: -n 2). In each, and in the tools
# the tests start, PyTorch's OpenMP and NumPy's OpenBLAS take one thread, as the pipelined loop
# runs them: with the other core busy, a second thread mostly waits for it, and small training
# steps and solves cost several times their one-thread CPU.
os.environ.setdefault("OMP_NUM_THREADS", "1")

SHARED = os.environ.get("HAIR_MIRROR_DATA", os.path.join(ROOT, "..", "shared", "data"))
CELEBA = os.path.join(SHARED, "celeba")
VIDEOS = os.path.join(SHARED, "videos")
ENGINES = os.environ.get("HAIR_MIRROR_ENGINES", os.path.join(ROOT, "engines"))


def need(path: str) -> str:
    """Skips the test with a clear reason when a shared data path is absent."""
    if not os.path.exists(path):
        pytest.skip(f"shared data not found at {path} (set HAIR_MIRROR_DATA)")
    return path


def celeba_photo(name: str) -> str:
    """The path of the CelebA photo ``name`` (the test is skipped without the data)."""
    return os.path.join(need(os.path.join(CELEBA, "img")), name)


@pytest.fixture(scope="module")
def heads():
    """The mirror's tracker, aligner and segmenter for unrelated photos (``donor_photos.Heads``)."""
    from donor_photos import Heads

    with Heads() as heads:
        yield heads


@pytest.fixture(scope="session")
def photos():
    """[(name, BGR image)] for Grace Hopper and the astronaut."""
    from mirror.io.source import demo_images

    return demo_images()


def clip_frame(clip: str, at: int = 0):
    """Frame ``at`` (BGR) of ``clip`` in the shared videos, real clips no model here trained on."""
    import cv2

    capture = cv2.VideoCapture(clip_path(clip))
    capture.set(cv2.CAP_PROP_POS_FRAMES, at)
    ok, image = capture.read()
    capture.release()
    assert ok
    return image


def clip_path(name: str = "d12.mp4") -> str:
    """The path of ``name`` in the shared videos (skipped where they are missing)."""
    return os.path.join(need(VIDEOS), name)


@pytest.fixture(scope="module")
def video_pipeline():
    """The mirror's pipeline for video (ONNX Runtime), every shape style drawn by its shape."""
    from mirror.run.app import Pipeline

    with Pipeline(ENGINES, "onnxruntime", transplanted=()) as pipeline:
        yield pipeline


@pytest.fixture(scope="session")
def d13_frame():
    """The first frame (BGR, 720x1280) of d13.mp4."""
    return clip_frame("d13.mp4")


@pytest.fixture(scope="session")
def tracked(photos):
    """[(name, image, Face)] for the packaged photos, tracked in static mode."""
    from mirror.face.tracker import FaceTracker

    with FaceTracker(static=True) as tracker:
        return [(name, image, tracker.process(image)) for name, image in photos]


@pytest.fixture(scope="session")
def pipeline():
    """The mirror's pipeline for photos (``static``), on ONNX Runtime, every shape style drawn by
    its shape (bald as the hair-loss scale draws it); bangs and no_bangs, which have none, come
    from donors (tested in test_transplant)."""
    from mirror.run.app import Pipeline

    with Pipeline(ENGINES, "onnxruntime", static=True, transplanted=()) as pipeline:
        yield pipeline


@pytest.fixture(scope="session")
def faces(pipeline, photos):
    """[(name, image, AlignedFace)] of the packaged photos, segmented."""
    from mirror.types import Frame

    return [(name, image, pipeline.track(Frame(0, 0, image))[1]) for name, image in photos]


# A tiny model's width and latent size, for the training tests' few steps.
TINY = ["--width", "8", "--max-width", "32", "--blocks", "0", "--latent-dim", "16"]


@pytest.fixture(scope="session")
def slice_dir(tmp_path_factory):
    """A 200-image aligned set at 128 px (train.prepare; about 3 s)."""
    need(CELEBA)
    out = str(tmp_path_factory.mktemp("aligned") / "a128")
    result = subprocess.run([sys.executable, "-m", "train.prepare", "--data", CELEBA, "--out", out, "--limit", "200"],
                            cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return out


@pytest.fixture(scope="session")
def tiny_run(slice_dir, tmp_path_factory):
    """A tiny model trained for 4 steps on the slice."""
    from train.__main__ import build_config, parse_arguments
    from train.training import train

    run = str(tmp_path_factory.mktemp("runs") / "tiny")
    args = parse_arguments(["--data", slice_dir, "--run", run, *TINY, "--batch-size", "16",
                            "--max-steps", "4", "--log-every", "1", "--val-images", "16"])
    train(build_config(args))
    return run


# Session fixtures that take seconds to build (a prepared set, a model trained on it). Under
# pytest-xdist each worker builds its own copy of a session fixture; the tests that use one of
# these are kept on one worker (--dist loadgroup), so each is built once.
SLOW_SETUPS = {"slice_dir": "training-slice", "tiny_run": "training-slice", "tiny": "report-run"}


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    for item in items:
        groups = {SLOW_SETUPS[name] for name in getattr(item, "fixturenames", ()) if name in SLOW_SETUPS}
        if groups:
            item.add_marker(pytest.mark.xdist_group(sorted(groups)[0]))
