"""Foundation: frame sources, MediaPipe tracking, the shared alignment, train.prepare."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import cv2
import numpy as np
import pytest

from conftest import CELEBA, ROOT, clip_path, need
from mirror.face.align import Aligner, invert, outer_square, transform_points
from mirror.render.compositor import mask_roi, warp_back
from mirror.errors import MirrorError
from mirror.io.source import ImageSource, VideoSource, as_bgr, open_source, read_image
from mirror.face.tracker import FOREHEAD_TOP, FaceTracker


def test_landmarks_found_on_packaged_photos(tracked):
    for name, image, face in tracked:
        assert face is not None, name
        assert face.landmarks.shape == (478, 3)
        x0, y0, x1, y1 = face.box
        assert 0 <= x0 < x1 <= image.shape[1] and 0 <= y0 < y1 <= image.shape[0]


def test_a_video_tracker_finds_a_new_face_on_the_frame_it_appears(photos):
    # (MediaPipe alone, tracking the last frame's face, loses it and finds the new one a frame late)
    (_, first), (_, second) = photos[:2]
    with FaceTracker(static=False) as tracker:
        found = [tracker.process(image) is not None for image in (first, second, first)]
    assert found == [True, True, True]


def test_a_reset_pipeline_tracks_a_stream_as_if_it_were_its_first(video_pipeline):
    """``Pipeline.reset`` starts a new stream: MediaPipe, tracking on from the last stream's face,
    put the same frames' landmarks elsewhere (enough to turn a head past a donor's, and a bald
    dome drawn or not with the styles tried before)."""
    from mirror.types import Frame

    capture = cv2.VideoCapture(clip_path("d12.mp4"))
    clip = [capture.read()[1] for _ in range(12)]
    capture.release()

    def landmarks(images: list[np.ndarray]) -> list[np.ndarray]:
        video_pipeline.reset()
        return [video_pipeline.track(Frame(i, i * 33, image))[1].landmarks for i, image in enumerate(images)]

    first = landmarks(clip)
    landmarks(clip[::-1])             # (another stream, ending where this one does not start)
    assert all(np.array_equal(a, b) for a, b in zip(first, landmarks(clip)))


@pytest.mark.parametrize("size", [64, 128, 256])
def test_align_inverse_round_trip_under_one_pixel(tracked, size):
    aligner = Aligner(size)
    for name, image, face in tracked:
        aligned = aligner.align(image, face)
        assert aligned.crop.shape == (size, size, 3) and aligned.crop.dtype == np.uint8
        back = transform_points(aligned.landmarks, invert(aligned.to_crop))
        assert np.abs(back - face.landmarks[:, :2]).max() < 1.0, name


def test_the_outer_square_is_cut_from_the_frame_only_where_it_is_read(tracked):
    """The renderer's view past the crop is cut on first use (only its workers read it, on
    some frames), as the frame shows there: the crop's middle square is the crop's own."""
    aligner = Aligner(128, detail=2)
    for name, image, face in tracked:
        aligned = aligner.align(image, face)
        assert aligned.outer is None and aligned.frame is image and aligned.sees_past, name
        outer = outer_square(aligned)
        assert outer.shape == (256, 256, 3) and outer_square(aligned) is outer
        middle = cv2.resize(outer[64:192, 64:192], (128, 128))
        assert np.abs(middle.astype(int) - aligned.crop.astype(int)).mean() < 8, name
        # Beyond the crop: the frame's pixels under the outer square's corners.
        corner = transform_points(np.float32([[-32, -32], [159, 159]]), invert(aligned.to_crop))
        for (x, y), (u, v) in zip(np.round(corner).astype(int), ((32, 32), (223, 223))):
            if 0 <= x < image.shape[1] and 0 <= y < image.shape[0]:
                assert np.abs(outer[v, u].astype(int) - image[y, x].astype(int)).max() < 40, name
    assert not Aligner(128).align(image, face).sees_past        # a crop alone keeps no frame


def test_crop_holds_the_hair(tracked):
    """A margin above the highest face-mesh point and at the sides, for the hair."""
    for name, image, face in tracked:
        aligned = Aligner(128).align(image, face)
        top = aligned.landmarks[:, 1].min()
        assert top > 0.2 * 128, f"{name}: forehead at y={top:.1f}, no room for hair"
        assert aligned.landmarks[FOREHEAD_TOP, 1] > 0.2 * 128
        xs = aligned.landmarks[:, 0]
        assert xs.min() > 0.1 * 128 and xs.max() < 0.9 * 128, name


def test_crop_is_upright_and_centred(tracked):
    for name, image, face in tracked:
        aligned = Aligner(128).align(image, face)
        left, right = aligned.landmarks[468], aligned.landmarks[473]
        assert abs(left[1] - right[1]) < 1.0 and left[0] < 64 < right[0], name


def test_warp_back_puts_the_crop_back(tracked):
    name, image, face = tracked[0]
    aligned = Aligner(128).align(image, face)
    x0, y0, x1, y1 = mask_roi(np.ones((128, 128), np.float32), aligned.to_crop, image.shape)
    warped = warp_back(aligned.crop, aligned.to_crop, (x0, y0, x1, y1))
    assert warped.shape == (y1 - y0, x1 - x0, 3)
    inside = cv2.warpAffine(np.full((128, 128), 255, np.uint8), invert(aligned.to_crop)
                            - [[0, 0, x0], [0, 0, y0]], (x1 - x0, y1 - y0)) == 255
    inside = cv2.erode(inside.astype(np.uint8), np.ones((5, 5))).astype(bool)
    error = np.abs(warped.astype(int) - image[y0:y1, x0:x1].astype(int))[inside].mean()
    assert error < 12, error  # a 128 px round trip of a ~300 px face loses detail, not position


def test_blank_image_has_no_face():
    with FaceTracker(static=True) as tracker:
        assert tracker.process(np.zeros((240, 320, 3), np.uint8)) is None
        assert tracker.process(np.full((240, 320, 3), 200, np.uint8)) is None


def test_grayscale_and_rgba_frames_are_handled(photos):
    image = photos[0][1]
    with FaceTracker(static=True) as tracker:
        assert tracker.process(cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)) is not None
        assert tracker.process(cv2.cvtColor(image, cv2.COLOR_BGR2BGRA)) is not None


@pytest.mark.parametrize("bad, message", [
    (np.zeros((0, 0, 3), np.uint8), "empty frame"),
    (np.zeros((8, 8, 3), np.float32), "frame has dtype float32, expected uint8"),
    (np.zeros((8, 8, 2), np.uint8), r"frame has shape \(8, 8, 2\), expected \(H, W\), \(H, W, 3\) or \(H, W, 4\)"),
    (np.zeros((2, 8, 8, 3), np.uint8), r"frame has shape \(2, 8, 8, 3\)")])
def test_bad_frames_get_a_clear_error(bad, message):
    with pytest.raises(MirrorError, match=message):
        as_bgr(bad)


def test_missing_and_corrupt_images(tmp_path):
    with pytest.raises(MirrorError, match="not found"):
        read_image(str(tmp_path / "nope.jpg"))
    corrupt = tmp_path / "corrupt.jpg"
    corrupt.write_bytes(b"\xff\xd8\xff\xe0 this is not a jpeg")
    with pytest.raises(MirrorError, match="not a readable image"):
        read_image(str(corrupt))
    with pytest.raises(MirrorError, match="not a readable image"):
        open_source(str(corrupt))


def test_unreadable_video(tmp_path):
    bad = tmp_path / "clip.mp4"
    bad.write_bytes(os.urandom(4096))
    with pytest.raises(MirrorError, match="not a readable video"):
        VideoSource(str(bad))
    notes = tmp_path / "notes.txt"           # (which FFmpeg would play as its characters drawn)
    notes.write_text("a note, not a video\n" * 50)
    with pytest.raises(MirrorError, match="a text file"):
        open_source(str(notes))
    with pytest.raises(MirrorError, match="not found"):
        open_source(str(tmp_path / "missing.mp4"))
    with pytest.raises(MirrorError, match="unknown source"):
        open_source("nonsense")
    with pytest.raises(MirrorError, match="camera index"):
        open_source("camera:x")


def test_camera_specs_parse_one_way():
    from mirror.io.source import camera_index

    assert [camera_index(s) for s in ("camera", "camera:0", "camera:3", "demo", "clip.mp4")] == [0, 0, 3, None, None]
    with pytest.raises(MirrorError, match="bad camera index in 'camera:front'"):
        camera_index("camera:front")


def test_no_camera_is_a_clear_error():
    with pytest.raises(MirrorError, match="could not be opened"):
        open_source("camera:9")


def test_demo_source_gives_indexed_bgr_frames():
    with open_source("demo", repeat=2) as source:
        frames = list(source)
    with open_source("demo", repeat=0) as source:
        cycled = [source.read() for _ in range(200)]
    assert all(f is not None for f in cycled)
    assert np.array_equal(cycled[0].image, cycled[89].image)
    assert not np.array_equal(cycled[0].image, cycled[90].image)
    assert np.array_equal(cycled[0].image, cycled[180].image)
    assert [f.index for f in frames] == [0, 1, 2, 3]
    assert all(f.image.dtype == np.uint8 and f.image.ndim == 3 for f in frames)
    assert frames[1].timestamp_ms > frames[0].timestamp_ms
    assert np.array_equal(frames[0].image, frames[1].image)
    assert not np.array_equal(frames[1].image, frames[2].image)


def test_video_source_reads_in_order():
    with VideoSource(clip_path("d12.mp4")) as source:
        frames = [source.read() for _ in range(5)]
    assert [f.index for f in frames] == list(range(5))
    assert frames[0].image.shape == (512, 512, 3)
    assert all(b.timestamp_ms > a.timestamp_ms for a, b in zip(frames, frames[1:]))


def test_image_source_rejects_empty():
    with pytest.raises(MirrorError, match="no images given"):
        ImageSource([])


def test_prepare_on_a_celeba_slice(tmp_path):
    data = need(CELEBA)
    out = tmp_path / "aligned"
    result = subprocess.run([sys.executable, "-m", "train.prepare", "--data", data, "--size", "64",
                             "--out", str(out), "--limit", "200", "--workers", "2"],
                            cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    summary = json.loads((out / "summary.json").read_text())
    assert summary["total"] == 200 and summary["size"] == 64 and summary["seconds"] > 0
    assert summary["found"] >= 190
    crops = np.load(out / "crops.npy")
    assert crops.shape == (summary["found"], 64, 64, 3) and crops.dtype == np.uint8
    assert np.load(out / "landmarks.npy").shape == (summary["found"], 478, 2)
    assert np.load(out / "attributes.npy").shape == (summary["found"], 40)
    split = np.load(out / "split.npy")
    assert set(np.unique(split)) == {0, 1, 2}
    names = (out / "images.txt").read_text().split()
    missing = (out / "missing.txt").read_text().split()
    assert len(names) + len(missing) == 200


def test_prepare_bad_folder_is_one_line(tmp_path):
    result = subprocess.run([sys.executable, "-m", "train.prepare", "--data", str(tmp_path),
                             "--out", str(tmp_path / "o")], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0 and "error:" in result.stderr
