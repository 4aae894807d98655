"""The live mirror: backends, the hair-only edit, steadiness, the preview and run_mirror.py."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import cv2
import numpy as np
import pytest

from conftest import ROOT, clip_path, need
from mirror.face.align import Aligner
from mirror.run.app import Pipeline
from mirror.backends import BACKENDS, create_backend, load_model_files
from mirror.errors import MirrorError
from mirror.face.filters import OneEuroFilter
from mirror.face.regions import face_interior, skull
from mirror.face.segment import HairSegmenter
from mirror.types import Frame

ENGINES = os.environ.get("HAIR_MIRROR_ENGINES", os.path.join(ROOT, "engines"))


@pytest.fixture(scope="module")
def model():
    return load_model_files(ENGINES)


@pytest.fixture(scope="module")
def photo_pipeline():
    with Pipeline(ENGINES, "onnxruntime", static=True, transplanted=()) as pipeline:
        yield pipeline


def run_cli(*args, env=None, timeout=300):
    args = list(args) + ([] if "--engines" in args else ["--engines", ENGINES])
    return subprocess.run([sys.executable, "run_mirror.py", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=timeout, env={**os.environ, **(env or {})})


def one_line_error(result):
    assert result.returncode == 2, (result.returncode, result.stderr[-1500:])
    assert result.stderr.startswith("error: ") and result.stderr.strip().count("\n") == 0, result.stderr
    assert "Traceback" not in result.stderr


# --- backends -------------------------------------------------------------------------------

def test_every_backend_name_constructs_or_says_why(model):
    why = {"tensorrt": "the TensorRT backend needs TensorRT and a CUDA GPU: ",
           "onnxruntime-cuda": "ONNX Runtime has no CUDA provider here"}
    for name in BACKENDS:
        try:
            backend, reason = create_backend(name, model)
        except MirrorError as error:
            assert name in why and str(error).startswith(why[name]), f"{name}: {error}"
            continue
        assert backend.name == name and reason == f"{name} (asked for)"
        crops = np.random.default_rng(0).random((2, 3, model.size, model.size), dtype=np.float32)
        mu = backend.encode(crops)
        images = backend.decode(mu)
        assert mu.shape == (2, model.latent_dim) and mu.dtype == np.float32
        assert images.shape == (2, 3, model.size, model.size) and images.dtype == np.float32


def test_auto_takes_the_first_backend_that_starts_and_says_why_it_skipped_the_others(model, tmp_path):
    """The rule, on whatever this machine has (a GPU machine picks an earlier backend)."""
    names = list(BACKENDS)
    backend, reason = create_backend("auto", model)
    picked = names.index(backend.name)
    assert reason.startswith(f"{backend.name} (auto: first available")
    for skipped in names[:picked]:  # every faster backend was tried and says why not
        assert f"{skipped}: " in reason
    for later in names[picked + 1:]:
        assert f"{later}: " not in reason
    # Without the INT8 copies, onnxruntime-int8 cannot start: auto says so and takes the next one.
    for name in ("encoder.onnx", "decoder.onnx", "styles.json"):
        shutil.copy(os.path.join(ENGINES, name), tmp_path / name)
    float_only, reason = create_backend("auto", load_model_files(str(tmp_path)))
    if backend.name == "onnxruntime-int8":
        assert float_only.name == "onnxruntime"
        assert "onnxruntime-int8: no INT8 model in" in reason and "python -m train.quantize" in reason
    else:
        assert float_only.name == backend.name
    with pytest.raises(MirrorError, match="unknown backend 'cuda-magic': choose from auto, tensorrt"):
        create_backend("cuda-magic", model)


def test_onnxruntime_and_torch_agree_on_real_crops(model, tracked):
    onnx_backend, _ = create_backend("onnxruntime", model)
    torch_backend, _ = create_backend("torch", model)
    crops = np.concatenate([Aligner(model.size).align(image, face).crop[None] for _, image, face in tracked])
    x = (crops.astype(np.float32) / 255).transpose(0, 3, 1, 2)
    np.testing.assert_allclose(onnx_backend.encode(x), torch_backend.encode(x), atol=1e-4, rtol=1e-4)
    z = onnx_backend.encode(x)
    np.testing.assert_allclose(onnx_backend.decode(z), torch_backend.decode(z), atol=1e-4, rtol=1e-4)


def test_int8_model_decodes_what_the_float_model_decodes(model, tracked):
    """The shipped INT8 copies (train.quantize) stay within 35 dB of the float model on real crops."""
    float_backend, _ = create_backend("onnxruntime", model)
    int8_backend, _ = create_backend("onnxruntime-int8", model)
    crops = np.concatenate([Aligner(model.size).align(image, face).crop[None] for _, image, face in tracked])
    x = (crops.astype(np.float32) / 255).transpose(0, 3, 1, 2)
    mu, mu8 = float_backend.encode(x), int8_backend.encode(x)
    assert not np.array_equal(mu, mu8)                          # really another model
    assert np.abs(mu - mu8).max() < 0.25 * np.abs(mu).max()
    decoded, decoded8 = float_backend.decode(mu), int8_backend.decode(mu8)
    psnr = 10 * np.log10(1 / np.mean((decoded - decoded8) ** 2))
    assert psnr > 35, psnr


def broken_engines(tmp_path, what):
    folder = tmp_path / what
    shutil.copytree(ENGINES, folder, ignore=shutil.ignore_patterns("trt", "torch"))
    if what.startswith("corrupt"):
        name = "decoder.int8.onnx" if what == "corrupt_int8" else "decoder.onnx"
        if what == "corrupt":  # the float model: auto runs it where there is no INT8 copy
            for int8 in folder.glob("*.int8.onnx"):
                int8.unlink()
        data = (folder / name).read_bytes()
        (folder / name).write_bytes(data[: len(data) // 3])
    elif what == "no_styles":
        (folder / "styles.json").unlink()
    elif what == "wrong_shape":
        styles = json.loads((folder / "styles.json").read_text())
        styles["size"] = 64
        (folder / "styles.json").write_text(json.dumps(styles))
    elif what == "garbage_styles":
        (folder / "styles.json").write_text("{not json")
    return str(folder)


@pytest.mark.parametrize("what,match", [("corrupt", "decoder.onnx"), ("corrupt_int8", "decoder.int8.onnx"),
                                        ("no_styles", "styles.json"), ("wrong_shape", "expected (B, 3, 64, 64)"),
                                        ("garbage_styles", "styles.json")])
def test_broken_model_files_are_one_line_errors(tmp_path, what, match):
    result = run_cli("--source", "demo", "--headless", "--engines", broken_engines(tmp_path, what),
                     "--output", str(tmp_path / "x.png"))
    one_line_error(result)
    assert match in result.stderr
    assert not (tmp_path / "x.png").exists()


# --- the edit: hair changes, the person stays -----------------------------------------------

def face_and_hair_masks(image, face, size=None):
    """Frame-space masks of the face interior and of the head around it: the hair (the shipped
    segmenter's) and the skull, where hair may be drawn, recoloured or taken away."""
    aligner = Aligner(128)
    aligned = aligner.align(image, face)
    interior = face_interior(aligned.landmarks, 128).astype(np.float32)
    with HairSegmenter(load_model_files(ENGINES).segmenter) as segmenter:
        hair, _ = segmenter(aligned.crop)
    hair = np.maximum(hair, skull(aligned.landmarks, 128)) * (1 - interior)
    inverse = cv2.invertAffineTransform(aligned.to_crop)
    shape = (image.shape[1], image.shape[0])
    interior = cv2.warpAffine(interior, inverse, shape, flags=cv2.INTER_NEAREST) > 0.5
    interior = cv2.erode(interior.astype(np.uint8), np.ones((3, 3))).astype(bool)
    hair = cv2.warpAffine(hair, inverse, shape) > 0.5
    return interior, hair


@pytest.mark.parametrize("style", ["blond", "bald", "regrowth", "receding", "black"])
def test_edit_changes_hair_and_keeps_the_face(photo_pipeline, tracked, style):
    # Where the photo's hair shows the style already (the astronaut's full hairline)
    # or is under a hat (Grace Hopper), the head need not change; the face never may.
    due = {"astronaut": {"blond", "bald", "receding", "black"}}
    for name, image, face in tracked:
        result = photo_pipeline.process(Frame(0, 0, image), photo_pipeline.styles.get(style), 1.0)
        assert result.face
        interior, head = face_and_hair_masks(image, face)
        change = np.abs(result.output.astype(np.float32) - image.astype(np.float32)).mean(axis=2)
        assert change[interior].mean() <= 2.0, f"{name}/{style}: face interior changed {change[interior].mean():.2f}/255"
        if style in due.get(name, ()):
            assert (change[head] > 20).mean() >= 0.1, f"{name}/{style}: the head barely changed"


def test_nothing_below_the_chin_changes_in_a_close_up(monkeypatch):
    """A selfie close-up (shoulders up to the chin): neck and shoulders stay as they are, while
    the hair changes. (Selfie segmentation counts shoulders as person, like hair.) Regrowth grows
    new hair down to the face mesh's top here: a receded hairline's worth on his full head."""
    from mirror.edit import shapes

    monkeypatch.setattr(shapes, "REGROW_LINE", (0.0, -0.16))
    capture = cv2.VideoCapture(clip_path("d13.mp4"))
    with Pipeline(ENGINES, "onnxruntime", transplanted=()) as pipeline:
        for index in range(20):
            ok, image = capture.read()
            assert ok
            frame, aligned = pipeline.track(Frame(index, index * 33, image))
            edited = pipeline.edit(frame, aligned, pipeline.styles.get("regrowth"))
            output = pipeline.compose(frame, aligned, edited)
    capture.release()
    height, width = image.shape[:2]
    ys, xs = np.mgrid[0:height, 0:width]
    crop_y = aligned.to_crop[1, 0] * xs + aligned.to_crop[1, 1] * ys + aligned.to_crop[1, 2]
    below_chin = crop_y > aligned.landmarks[152, 1] + 1
    change = np.abs(output.astype(np.int16) - image.astype(np.int16)).max(axis=2)
    assert below_chin.sum() > 0.2 * height * width
    assert change[below_chin].max() <= 1, change[below_chin].max()
    assert (change[~below_chin] > 20).sum() > 0.02 * height * width   # the hair did change


def test_segmenter_reuses_its_mask_every_other_video_frame(model, tracked):
    crops = [Aligner(model.size).align(image, face).crop for _, image, face in tracked]
    with HairSegmenter(model.segmenter, video=True) as video, HairSegmenter(model.segmenter) as photo:
        first, _ = video(crops[0], 0)
        assert np.array_equal(video(crops[1], 33)[0], first)    # reused, though the crop changed
        third, _ = video(crops[1], 66)
        assert np.abs(third - first).max() > 0.05               # computed anew
        video.reset()
        assert np.array_equal(video(crops[1], 100)[0], photo(crops[1])[0])   # no memory after reset
        hair, person = photo(crops[0])
        assert photo(crops[0])[1] is not person and person.shape == (model.size, model.size)
        assert 0.2 < person.mean() < 0.9                        # a real silhouette, not empty or full
        assert 0.02 < hair.mean() < person.mean()               # some hair, all of it on the person


def test_original_style_is_the_plain_mirror(photo_pipeline, tracked):
    name, image, face = tracked[0]
    result = photo_pipeline.process(Frame(0, 0, image), photo_pipeline.styles.get("original"), 1.0)
    assert np.array_equal(result.output, image)
    result = photo_pipeline.process(Frame(0, 0, image), photo_pipeline.styles.get("blond"), 0.0)
    assert np.array_equal(result.output, image)


def test_no_face_gives_the_plain_image(photo_pipeline):
    blank = np.full((360, 480, 3), 90, np.uint8)
    result = photo_pipeline.process(Frame(0, 0, blank), photo_pipeline.styles.get("bald"), 1.0)
    assert not result.face and np.array_equal(result.output, blank)


def test_several_faces_edit_the_largest_only(photo_pipeline, photos):
    big = photos[1][1]                                    # astronaut, 512 px
    small = cv2.resize(photos[0][1], (256, 300))          # Grace Hopper, half size
    canvas = np.full((512, 512 + 256, 3), 128, np.uint8)
    canvas[:, :512] = big
    canvas[100:400, 512:] = small
    result = photo_pipeline.process(Frame(0, 0, canvas), photo_pipeline.styles.get("blond"), 1.0)
    assert result.face
    change = np.abs(result.output.astype(int) - canvas.astype(int)).mean(axis=2)
    assert change[:, :512].mean() > 10 * max(change[:, 540:].mean(), 0.01)


# --- steadiness ---------------------------------------------------------------------------

def test_one_euro_filter_steadies_noise_and_follows_motion():
    rng = np.random.default_rng(0)
    f = OneEuroFilter(min_cutoff=1.0, beta=0.02)
    noisy = [f(np.array([5.0]) + rng.normal(0, 0.5, 1), t / 30) for t in range(60)]
    assert np.std(np.diff(np.ravel(noisy[10:]))) < 0.5 * 0.5
    f = OneEuroFilter(min_cutoff=1.0, beta=0.5)
    moving = [f(np.array([t * 10.0]), t / 30)[0] for t in range(60)]
    assert abs(moving[-1] - 590.0) < 40.0


def turned(points: np.ndarray, angle: float, about: np.ndarray) -> np.ndarray:
    """(N, 2) ``points`` turned by ``angle`` (radians) about the point ``about``."""
    rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    return (points - about) @ rot.T + about


def test_similarity_recovers_a_known_turn_scale_and_shift():
    from mirror.face.filters import similarity

    source = np.random.default_rng(1).random((30, 2)) * 100
    angle, scale, shift = 0.3, 1.2, np.array([5.0, -7.0])
    centre = source.mean(axis=0)
    target = (turned(source, angle, centre) - centre) * scale + centre + shift
    found_scale, found_angle, centre = similarity(source, target)
    assert found_scale == pytest.approx(scale) and found_angle == pytest.approx(angle)
    assert np.allclose(centre, source.mean(axis=0) + shift)


def test_head_filter_follows_a_moving_head_and_keeps_a_talking_one_still(photos, photo_pipeline):
    """The astronaut's landmarks, each frame with a pixel of noise: a head turning and sliding
    across the frame (300 px/s), then a still head whose mouth opens and shuts. The head filter
    lags the moving head less than half as much as one filter over all the landmarks did (whose
    hair slid off a moving head), and keeps the forehead as steady while the mouth moves."""
    from mirror.face.filters import HeadFilter
    from mirror.face.regions import HEAD_POINTS, MOUTH

    face = photo_pipeline.tracker.process(photos[1][1])
    base = face.landmarks.astype(np.float64)
    rng = np.random.default_rng(0)
    centre = base[:, :2].mean(axis=0)
    mouth = np.linalg.norm(base[:, :2] - base[MOUTH, :2], axis=1) < 40     # lips and chin
    forehead = [10, 109, 338]

    def frames(moving: bool):
        for i in range(90):
            points = base.copy()
            if moving:
                points[:, :2] = turned(points[:, :2], 0.004 * i, centre) + [10.0 * i, 0.0]
            else:
                points[mouth, 1] += 8.0 * np.sin(i / 2.0) ** 2                # talking
            yield points + rng.normal(0, 1.0, points.shape), points, i / 30.0

    for moving in (True, False):
        old = OneEuroFilter(min_cutoff=0.3, beta=0.01, shared_speed=True)
        new = HeadFilter(HEAD_POINTS)
        errors, steps, last = {"old": [], "new": []}, {"old": [], "new": []}, {}
        for noisy, true, t in frames(moving):
            for name, f in (("old", old), ("new", new)):
                out = f(noisy, t)[forehead, :2]
                errors[name].append(np.linalg.norm(out - true[forehead, :2], axis=1).mean())
                if name in last:
                    steps[name].append(np.linalg.norm(out - last[name], axis=1).mean())
                last[name] = out
        if moving:
            assert np.mean(errors["new"][30:]) < 0.5 * np.mean(errors["old"][30:]), errors
        else:
            assert np.mean(steps["new"][10:]) <= 1.1 * np.mean(steps["old"][10:]) and np.mean(steps["new"][10:]) < 0.3


# The smallest change a display shows: one 8-bit grey level.
VISIBLE_STEP = 1.0


@pytest.mark.parametrize("name", ["blond", "wavy"])
def test_output_is_steady_on_a_still_head(name):
    """The goal: the edit adds no flicker one could see. On a still head the hair region's mean
    frame-to-frame change in the output exceeds the camera's own (its noise) by less than one
    grey level, the smallest step the screen can show (a recolouring; waves, drawn anew)."""
    from mirror.io.source import VideoSource

    path = clip_path("d13.mp4")
    with Pipeline(ENGINES, "onnxruntime", transplanted=()) as pipeline, VideoSource(path) as source:
        style = pipeline.styles.get(name)
        results = [pipeline.process(source.read(), style, 1.0) for _ in range(30)][5:]
    assert all(r.face for r in results)
    with Pipeline(ENGINES, "onnxruntime", static=True, transplanted=()) as still:
        face = still.tracker.process(results[0].frame.image)
    _, hair = face_and_hair_masks(results[0].frame.image, face)
    source_change = np.mean([np.abs(b.frame.image.astype(np.float32) - a.frame.image)[hair].mean()
                             for a, b in zip(results, results[1:])])
    output_change = np.mean([np.abs(b.output.astype(np.float32) - a.output)[hair].mean()
                             for a, b in zip(results, results[1:])])
    assert output_change - source_change <= VISIBLE_STEP, (output_change, source_change)


# --- the preview ----------------------------------------------------------------------------

def post_key(key):
    import pygame

    pygame.event.post(pygame.event.Event(pygame.KEYDOWN, key=key, mod=0, unicode="", scancode=0))


def test_display_mirrors_splits_and_shows_the_hud(tmp_path, photos):
    import pygame

    from mirror.io.display import Display, Hud

    before = photos[1][1]
    after = before.copy()
    after[:, :, 2] = 255  # a red "edit" everywhere
    with Display(size=(512, 512)) as display:
        view = display.compose_view(before, after)
        assert np.array_equal(view, after[:, ::-1])           # mirrored
        post_key(pygame.K_b)
        assert display.events() == ["split"] and display.split
        view = display.compose_view(before, after)
        assert np.array_equal(view[:, :256], before[:, ::-1][:, :256])   # left: before
        assert np.array_equal(view[:, 256:], after[:, ::-1][:, 256:])    # right: after
        display.show(before, after, Hud("blond", 1.0, "onnxruntime", 42.0))
        shot = tmp_path / "screen.png"
        display.screenshot(str(shot))
        screen = cv2.imread(str(shot))
        plain = cv2.resize(display.compose_view(before, after), (512, 512))
        assert np.abs(screen[10:100, 10:230].astype(int) - plain[10:100, 10:230]).mean() > 20  # HUD drawn
        assert np.abs(screen[200:480, 300:480].astype(int) - plain[200:480, 300:480]).mean() < 3  # as composed
        for key, action in [(pygame.K_RIGHT, "next"), (pygame.K_LEFT, "prev"), (pygame.K_UP, "stronger"),
                            (pygame.K_DOWN, "weaker"), (pygame.K_r, "random"), (pygame.K_0, "original"),
                            (pygame.K_s, "snapshot"), (pygame.K_h, "help"), (pygame.K_q, "quit"),
                            (pygame.K_ESCAPE, "quit"), (pygame.K_RIGHTBRACKET, "scale_up"), (pygame.K_l, "scale_kind")]:
            post_key(key)
            assert display.events() == [action]


def test_kiosk_quits_only_with_its_key():
    import pygame

    from mirror.io.display import Display

    with Display(size=(320, 240), kiosk=True) as display:
        post_key(pygame.K_q)
        post_key(pygame.K_ESCAPE)
        pygame.event.post(pygame.event.Event(pygame.QUIT))
        assert display.events() == ["wake", "wake"]  # someone is there, but they do not quit
        post_key(pygame.K_RIGHT)
        assert display.events() == ["next"]
        post_key(pygame.K_F12)
        assert display.events() == ["quit"]


def test_kiosk_goes_idle_cycles_random_styles_and_a_key_returns_control(photo_pipeline):
    """Synthetic key presses through a real (dummy-driver) Pygame window, on the frame clock."""
    import pygame

    from mirror.io.display import Display
    from mirror.run.style_state import IDLE_HUD, StyleState

    state = StyleState(photo_pipeline, "bangs", 1.0, random_seconds=2.0, seed=5, idle_seconds=10.0)
    with Display(size=(320, 240), kiosk=True) as display:
        def frames(start_ms, end_ms, step_ms=500):
            shown = []
            for t in range(start_ms, end_ms, step_ms):
                state.tick(t)
                for action in display.events():
                    state.apply(action)
                shown.append(state.style.name)
            return shown

        assert set(frames(0, 9500)) == {"bangs"} and not state.idle and IDLE_HUD not in state.hud_lines
        post_key(pygame.K_RIGHT)  # a key before the limit: the clock starts again
        chosen = frames(9500, 10000)[-1]
        assert chosen != "bangs" and set(frames(10000, 19000)) == {chosen} and not state.idle
        idle = frames(19000, 30000)  # 10 s after the key: idle, a new random style every 2 s
        assert state.idle and state.rotate and IDLE_HUD in state.hud_lines
        assert idle[0] == chosen and idle[1] != chosen and len(set(idle)) >= 4  # at once, then every 2 s
        post_key(pygame.K_a)  # any key returns control: no more rotation, the HUD says nothing
        after = frames(30000, 39500)
        assert not state.idle and not state.rotate and IDLE_HUD not in state.hud_lines
        assert len(set(after)) == 1
        frames(39500, 41000)
        assert state.idle  # idle again 10 s after that key


def test_a_photo_dropped_on_the_window_becomes_the_style_and_a_non_image_changes_nothing(photo_pipeline,
                                                                                          photos, tmp_path):
    import pygame

    from mirror.io.display import Display
    from mirror.run.style_state import StyleState

    photo = tmp_path / "astronaut.png"
    cv2.imwrite(str(photo), photos[1][1])
    other = tmp_path / "notes.jpg"
    other.write_text("not an image")
    state = StyleState(photo_pipeline, "random", 1.0, random_seconds=2.0, seed=3, idle_seconds=10.0)
    with Display(size=(320, 240), kiosk=True) as display:
        before = state.style.name
        pygame.event.post(pygame.event.Event(pygame.DROPFILE, file=str(other)))
        actions = display.events()
        assert actions == ["reference:" + str(other)]
        with pytest.raises(MirrorError, match="not a readable image"):
            state.apply(actions[0])
        assert state.style.name == before and state.rotate          # nothing changed
        pygame.event.post(pygame.event.Event(pygame.DROPFILE, file=str(photo)))
        state.apply(display.events()[0])
    assert state.style.name == "astronaut.png" and state.style.kind == "transplant" and not state.rotate
    assert "astronaut.png" in photo_pipeline.styles.names


def test_style_state_idle_needs_a_positive_limit(photo_pipeline):
    from mirror.run.style_state import StyleState

    with pytest.raises(ValueError, match="idle_seconds must be positive"):
        StyleState(photo_pipeline, "bangs", 1.0, 2.0, idle_seconds=0)


def test_style_keys_cycle_and_hairloss_moves_along_the_scale(photo_pipeline):
    from mirror.edit import hairloss
    from mirror.run.style_state import StyleState

    state = StyleState(photo_pipeline, "bangs", 1.0, 4.0, seed=1)
    names = photo_pipeline.styles.names
    state.apply("next")
    assert state.style.name == names[names.index("bangs") + 1]
    state.apply("prev"), state.apply("prev")
    assert state.style.name == names[names.index("bangs") - 1]
    state.apply("original")
    assert state.style.name == "original"
    state.apply("stronger")
    assert state.strength == 1.25
    state.apply("scale_up")
    assert state.style.name == "hairloss" and state.stage == 0
    for _ in range(10):
        state.apply("scale_up")
    assert state.stage == hairloss.LAST and "bald" in state.hud_lines[0]
    for _ in range(10):
        state.apply("scale_down")
    assert state.stage == hairloss.FIRST and "fuller" in state.hud_lines[0]
    for _ in range(10):
        state.apply("scale_up")
    state.apply("scale_kind")           # a woman's scale: its last stage is lower, where it stays
    assert state.scale == hairloss.PARTING and state.stage == hairloss.bounds(hairloss.PARTING)[1]
    assert state.style.mix == hairloss.PARTING_STAGES[-1][2] and "a woman's" in state.hud_lines[0]
    state.apply("scale_kind")
    stage = hairloss.bounds(hairloss.PARTING)[1]       # (a man's scale at the same stage)
    assert state.scale == hairloss.RECEDING and state.style.mix == hairloss.STAGES[stage - hairloss.FIRST][2]
    rotating = StyleState(photo_pipeline, "random", 1.0, 2.0, seed=3)
    first = rotating.style.name
    rotating.tick(0), rotating.tick(1000)
    assert rotating.style.name == first
    rotating.tick(2100)
    assert rotating.style.name != first


# --- run_mirror.py --------------------------------------------------------------------------

def test_demo_writes_a_before_after_picture(tmp_path):
    out = tmp_path / "demo.png"
    result = run_cli("--source", "demo", "--headless", "--output", str(out))
    assert result.returncode == 0, result.stderr[-2000:]
    assert f"wrote {out}" in result.stdout and "2 with a face" in result.stdout
    grid = cv2.imread(str(out))
    assert grid is not None and grid.shape[0] == 512 and grid.shape[1] > 5 * 256


def test_video_end_to_end_with_output(tmp_path):
    out = tmp_path / "out.mp4"
    video = clip_path("d12.mp4")
    result = run_cli("--source", video, "--style", "blond", "--max-frames", "12", "--headless",
                     "--output", str(out))
    assert result.returncode == 0, result.stderr[-2000:]
    assert "12 frames, 12 with a face" in result.stdout
    capture = cv2.VideoCapture(str(out))
    assert int(capture.get(cv2.CAP_PROP_FRAME_COUNT)) == 12


def test_window_under_dummy_sdl_runs_and_snapshots_nothing(tmp_path):
    result = run_cli("--source", "demo", "--max-frames", "6", "--style", "bangs",
                     "--snapshot-dir", str(tmp_path / "snaps"), env={"SDL_VIDEODRIVER": "dummy"})
    assert result.returncode == 0, result.stderr[-2000:]
    assert "6 frames" in result.stdout and not (tmp_path / "snaps").exists()


@pytest.mark.parametrize("args,match", [
    (["--style", "no-such-style"], "unknown style"),
    (["--source", "/nonexistent/clip.mp4"], "not found"),
    (["--source", "camera:7"], "could not be opened"),
    (["--backend", "tensorrt"], "TensorRT"),
    (["--engines", "/nonexistent"], "engines folder not found"),
])
def test_bad_options_are_one_line_errors(args, match):
    result = run_cli("--headless", "--max-frames", "1", *(["--source", "demo"] if "--source" not in args else []), *args)
    one_line_error(result)
    assert match in result.stderr


@pytest.mark.parametrize("args", [["--strength", "9"], ["--backend", "cuda"], ["--max-frames", "0"]])
def test_bad_option_values_are_usage_errors(args):
    result = run_cli(*args)
    assert result.returncode == 2 and "Traceback" not in result.stderr and "usage" in result.stderr


def test_list_styles():
    result = run_cli("--list-styles")
    assert result.returncode == 0
    for name in ("original", "bangs", "bald", "receding", "regrowth", "blond", "gray", "wavy"):
        assert any(line.split()[0] == name for line in result.stdout.splitlines())


def test_real_window_under_xvfb(tmp_path):
    """One run in a real X window, screenshotted from the X server itself."""
    if not shutil.which("Xvfb") or not shutil.which("import"):
        why = "Xvfb and ImageMagick's import are needed (apt-get install xvfb imagemagick)"
        if os.environ.get("CI"):  # CI must show a real window once: a silent skip hides a broken display path
            pytest.fail(f"on CI the real-window test must run: {why}")
        pytest.skip(why)
    # (the server picks a free display and writes its number: a fixed one collided with another
    # X server on the machine, such as a second test run's)
    read, write = os.pipe()
    server = subprocess.Popen(["Xvfb", "-displayfd", str(write), "-screen", "0", "1024x768x24", "-nolisten", "tcp"],
                              pass_fds=(write,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(write)
    with os.fdopen(read) as pipe:
        display = ":" + pipe.readline().strip()
    try:
        assert display != ":", "Xvfb started no display"
        env = {"DISPLAY": display, "SDL_VIDEODRIVER": "x11"}
        mirror = subprocess.Popen([sys.executable, "run_mirror.py", "--source", "demo", "--style", "blond",
                                   "--max-frames", "400", "--engines", ENGINES], cwd=ROOT, env={**os.environ, **env},
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        shot = tmp_path / "xvfb.png"
        import time

        deadline = time.time() + 90
        while time.time() < deadline and mirror.poll() is None:
            time.sleep(2)
            subprocess.run(["import", "-display", display, "-window", "root", str(shot)],
                           capture_output=True, timeout=30)
            image = cv2.imread(str(shot))
            if image is not None and image[100:600, 100:900].std() > 30:
                break
        mirror.kill()
        out, err = mirror.communicate()
        image = cv2.imread(str(shot))
        assert image is not None, err[-1500:]
        assert image[100:600, 100:900].std() > 30, "the window shows no picture"
        if os.environ.get("HAIR_MIRROR_SCREENSHOTS"):
            shutil.copy(shot, os.environ["HAIR_MIRROR_SCREENSHOTS"])
    finally:
        server.kill()


def test_hairloss_scale_is_monotone_in_the_classifiers_score():
    """Mean Bald + Receding_Hairline logit of the project's classifier over real CelebA faces,
    as the mirror shows them, rises with every stage of the scale.

    Held-out faces: the stage weights (``mirror.edit.hairloss.STAGES``) were chosen on the first 30
    whole-head photos (``hairloss.FIT_FACES``); these are 15 others, from the test split that no
    training tool uses."""
    import glob

    import onnxruntime

    from conftest import CELEBA
    from mirror.edit import hairloss
    from mirror.io.source import read_image
    from train.prepare import split_of

    paths = sorted(glob.glob(os.path.join(need(CELEBA), "img", "18*.jpg")))
    fitted = set(paths[:hairloss.FIT_FACES])
    paths = [p for p in paths if p not in fitted and split_of(os.path.basename(p)) == 2][:15]
    assert len(paths) == 15
    classifier = onnxruntime.InferenceSession(os.path.join(ENGINES, "classifier.onnx"))
    names = json.load(open(os.path.join(ENGINES, "classifier.json")))["attributes"]
    columns = [names.index("Bald"), names.index("Receding_Hairline")]
    scores = np.zeros(len(hairloss.STAGES))
    with Pipeline(ENGINES, "onnxruntime", static=True, transplanted=()) as pipeline:
        for path in paths:
            image = read_image(path)
            face = pipeline.tracker.process(image)
            if face is None:
                continue
            for i, (stage, _, _) in enumerate(hairloss.STAGES):
                output = pipeline.process(Frame(0, 0, image), hairloss.scale_style(pipeline.styles, stage)).output
                crop = pipeline.aligner.align(output, face).crop
                logits = classifier.run(None, {classifier.get_inputs()[0].name:
                                               (crop.astype(np.float32) / 255).transpose(2, 0, 1)[None]})[0][0]
                scores[i] += logits[columns].sum()
    assert np.all(np.diff(scores) > 0), scores / len(paths)
