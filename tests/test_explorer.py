"""The latent explorer: every control changes the shown image as it should, by keyboard and
mouse, and screenshots are written (headless Pygame, SDL_VIDEODRIVER=dummy)."""
from __future__ import annotations

import json
import logging
import os
import subprocess
import sys

import numpy as np
import pytest

from conftest import ROOT
from mirror.edit import hairloss
from mirror.face.align import Aligner
from mirror.backends import create_backend, load_model_files
from mirror.edit.editor import to_tensor
from mirror.explorer.cli import parse_arguments
from mirror.explorer.data import AlignedData, principal_directions
from mirror.explorer.state import LatentExplorer
from mirror.edit.styles import StyleLibrary

ENGINES = os.environ.get("HAIR_MIRROR_ENGINES", os.path.join(ROOT, "engines"))


@pytest.fixture(scope="module")
def model():
    return load_model_files(ENGINES)


@pytest.fixture(scope="module")
def backend(model):
    backend, _ = create_backend("onnxruntime", model)
    yield backend
    backend.close()


@pytest.fixture(scope="module")
def crops(tracked, model):
    """Aligned crops of the packaged photos."""
    aligner = Aligner(model.size)
    return [(name, aligner.align(image, face).crop) for name, image, face in tracked]


@pytest.fixture(scope="module")
def data(tmp_path_factory, crops, model):
    """A tiny prepared set: the photos' crops, mirrored and shifted (12 faces)."""
    folder = tmp_path_factory.mktemp("aligned")
    faces = []
    for _, crop in crops:
        for shift in (-6, -3, 0, 3, 6, 9):
            faces.append(np.roll(crop[:, ::-1] if shift % 2 else crop, shift, axis=1))
    np.save(folder / "crops.npy", np.stack(faces))
    np.save(folder / "split.npy", np.arange(len(faces)) % 3)
    (folder / "images.txt").write_text("\n".join(f"{i:06d}.jpg" for i in range(len(faces))))
    return AlignedData(str(folder), model.size)


@pytest.fixture()
def explorer(backend, model, data, crops):
    return LatentExplorer(backend, StyleLibrary(model.styles), model.size, data, crops,
                          components=4, seed=1, encoder_path=None)


def decode(backend, latent):
    image = np.clip(backend.decode(latent[None].astype(np.float32))[0].transpose(1, 2, 0), 0, 1)
    return (image * 255 + 0.5).astype(np.uint8)


def test_reset_shows_the_decode_of_zeros(explorer, backend):
    explorer.randomize()
    explorer.set_value("PC 1", 1.5)
    assert explorer.latent.any()
    explorer.reset()
    np.testing.assert_array_equal(explorer.latent, np.zeros(explorer.latent_dim))
    np.testing.assert_array_equal(explorer.image(), decode(backend, np.zeros(explorer.latent_dim)))
    assert all(c.value == 0 for c in explorer.controls) and explorer.stage == 0


def test_invert_negates_the_latent(explorer, backend):
    explorer.show_item(2)
    explorer.set_value("bangs", 1.0)
    explorer.set_stage(2)
    before, image = explorer.latent, explorer.image().copy()
    explorer.invert()
    np.testing.assert_allclose(explorer.latent, -before, atol=1e-5)
    np.testing.assert_array_equal(explorer.image(), decode(backend, explorer.latent))
    # The same picture as the decode of -before, up to float rounding of the sum (one grey level).
    assert np.abs(explorer.image().astype(int) - decode(backend, -before)).max() <= 1
    assert not np.array_equal(explorer.image(), image)
    explorer.invert()
    np.testing.assert_allclose(explorer.latent, before, atol=1e-5)


def test_randomize_draws_from_the_fitted_prior_with_the_range_as_its_spread(explorer):
    prior = explorer.styles.prior
    assert prior is not None
    explorer.rng = np.random.default_rng(7)
    explorer.set_range(0.5)
    explorer.randomize()
    first = explorer.styles.sample_prior(np.random.default_rng(7), 1, 0.5)[0]
    np.testing.assert_allclose(explorer.latent, first, atol=1e-6)
    assert explorer.original_label.startswith("random face")
    explorer.rng = np.random.default_rng(7)
    explorer.set_range(3.0)
    explorer.randomize()
    np.testing.assert_allclose(explorer.latent - prior.mean, 6 * (first - prior.mean), atol=1e-4)
    explorer.set_range(99)
    assert explorer.random_range == 5.0
    explorer.set_range(1.0)
    draws = []
    for _ in range(400):
        explorer.randomize()
        draws.append(explorer.latent)
    spread, axes = np.linalg.eigh(prior.covariance)
    along = (np.array(draws) - prior.mean) @ axes[:, [0, -1]]   # the narrowest and widest axes
    assert abs(along[:, 1].var() / spread[-1] - 1) < 0.3 and abs(along[:, 0].var() / spread[0] - 1) < 0.3


def test_randomize_without_a_fitted_prior_draws_from_the_standard_normal(backend, model, data, crops):
    old = {key: value for key, value in model.styles.items() if key != "latent_prior"}
    explorer = LatentExplorer(backend, StyleLibrary(old), model.size, data, crops, components=0,
                              encoder_path=None, random_range=2.0)
    explorer.rng = np.random.default_rng(3)
    explorer.randomize()
    np.testing.assert_allclose(explorer.latent, 2 * np.random.default_rng(3).standard_normal(explorer.latent_dim),
                               atol=1e-5)


def test_cli_says_when_there_is_no_fitted_prior(tmp_path, caplog):
    from mirror.explorer.cli import build

    engines = tmp_path / "engines"
    engines.mkdir()
    for name in ("encoder.onnx", "decoder.onnx"):
        os.symlink(os.path.join(ENGINES, name), engines / name)
    library = json.loads(open(os.path.join(ENGINES, "styles.json")).read())
    del library["latent_prior"]
    (engines / "styles.json").write_text(json.dumps(library))
    with caplog.at_level(logging.WARNING, logger="mirror.explorer.cli"):
        explorer = build(parse_arguments(["--engines", str(engines), "--components", "0"]))
    assert explorer.styles.prior is None and "N(0, I)" in caplog.text and "--prior-only" in caplog.text


def test_every_slider_moves_the_latent_along_its_direction(explorer):
    explorer.show_item(0)
    base, image = explorer.latent, explorer.image().copy()
    groups = {c.group for c in explorer.controls}
    assert groups == {"style", "pca"}
    assert {c.label for c in explorer.controls if c.group == "style"} == \
        set(explorer.styles.names) - {"original"}
    for control in explorer.controls:
        explorer.set_value(control.key, 1.0)
        np.testing.assert_allclose(explorer.latent - base, control.direction, atol=1e-4)
        assert not np.array_equal(explorer.image(), image), control.key
        explorer.nudge(2, control.key)
        np.testing.assert_allclose(explorer.latent - base, (1 + 2 * control.step) * control.direction, atol=1e-4)
        explorer.set_value(control.key, 1e6)
        assert explorer.control(control.key).value == control.high
        explorer.set_value(control.key, 0.0)
    np.testing.assert_allclose(explorer.latent, base)
    style = explorer.styles.get("bangs")
    explorer.set_value("bangs", 2.0)
    np.testing.assert_allclose(explorer.latent - base, 2 * style.strength * style.direction, atol=1e-4)


def test_principal_directions_are_unit_and_ordered():
    rng = np.random.default_rng(0)
    latents = rng.standard_normal((500, 6)) * np.array([5, 3, 1, 0.5, 0.2, 0.1])
    components, stds, explained = principal_directions(latents.astype(np.float32), 3)
    np.testing.assert_allclose(np.linalg.norm(components, axis=1), 1, atol=1e-5)
    assert stds[0] > stds[1] > stds[2] and abs(stds[0] - 5) < 0.6
    assert abs(abs(components[0, 0]) - 1) < 0.01 and explained.sum() < 1


def test_hairloss_scale_adds_the_stage_direction(explorer):
    explorer.show_item(1)
    base = explorer.latent
    for stage in range(hairloss.FIRST, hairloss.LAST + 1):
        explorer.set_stage(stage)
        direction, label = hairloss.scale_direction(explorer.styles, stage)
        np.testing.assert_allclose(explorer.latent - base, direction, atol=1e-5)
        assert explorer.stage_label == label
    explorer.set_stage(99)
    assert explorer.stage == hairloss.LAST
    explorer.set_stage(0)
    np.testing.assert_allclose(explorer.latent, base)


def test_dataset_index_shows_that_item_and_its_reconstruction(explorer, data, backend):
    explorer.show_item(5)
    np.testing.assert_array_equal(explorer.original, data.crop(5))
    np.testing.assert_allclose(explorer.latent, backend.encode(to_tensor(data.crop(5)))[0], atol=1e-5)
    assert explorer.index == 5 and explorer.original_label.startswith("#5 ")
    explorer.step_item(1)
    assert explorer.index == 6
    explorer.step_item(-7)
    assert explorer.index == len(data) - 1
    explorer.show_item(len(data))
    assert explorer.index == len(data) - 1 and "out of range" in explorer.message


def test_photo_reconstruction_and_nearest_faces(explorer, crops, backend, data):
    explorer.show_photo(1)
    np.testing.assert_array_equal(explorer.original, crops[1][1])
    np.testing.assert_allclose(explorer.latent, backend.encode(to_tensor(crops[1][1]))[0], atol=1e-5)
    near = explorer.nearest(4)
    assert len(near) == 4 and [d for _, d in near] == sorted(d for _, d in near)
    # The photo itself is in the tiny set (item 6 is the second photo unshifted... or its flip).
    latents = backend.encode(np.concatenate([to_tensor(data.crop(i)) for i in range(len(data))]))
    best = int(np.argmin(np.linalg.norm(latents - explorer.latent, axis=1)))
    assert near[0][0] == best
    explorer.show_item(best)
    assert all(index != best for index, _ in explorer.nearest(4))


def test_the_shown_latent_chooses_the_donors_and_n_steps_to_the_next(backend, model, data, crops):
    from mirror.edit.donors import DonorBank, DonorQuery

    bank = DonorBank.load(model.donors)
    explorer = LatentExplorer(backend, StyleLibrary(model.styles), model.size, data, crops,
                              components=4, seed=1, encoder_path=None, donors=bank)
    explorer.show_photo(1)
    ranked = bank.ranked(DonorQuery(latent=explorer.latent))
    assert [d.index for d in explorer.nearest_donors(3)] == list(ranked[:3])
    explorer.run("donors")
    assert [d.index for d in explorer.nearest_donors(3)] == list(ranked[6:9])
    explorer.show_photo(0)                     # another face: from its nearest again
    assert [d.index for d in explorer.nearest_donors(3)] == list(bank.ranked(DonorQuery(latent=explorer.latent))[:3])


def test_interpolation_at_0_and_1_gives_the_two_ends(explorer, backend):
    explorer.show_item(0)
    explorer.set_end("a")
    a = explorer.latent
    explorer.show_photo(1)
    explorer.set_value("blond", 1.0)
    explorer.set_end("b")
    b = explorer.latent
    explorer.interpolate(0.0)
    np.testing.assert_allclose(explorer.latent, a, atol=1e-5)
    np.testing.assert_array_equal(explorer.image(), decode(backend, a))
    explorer.interpolate(1.0)
    np.testing.assert_allclose(explorer.latent, b, atol=1e-5)
    np.testing.assert_array_equal(explorer.image(), decode(backend, b))
    explorer.interpolate(0.25)
    np.testing.assert_allclose(explorer.latent, 0.75 * a + 0.25 * b, atol=1e-5)
    ends = explorer.end_images()
    np.testing.assert_array_equal(ends[0], decode(backend, a))


def test_interpolation_between_two_styles(explorer):
    explorer.show_item(3)
    face = explorer.latent
    explorer.set_style_ends("bangs", "blond")
    bangs, blond = explorer.control("bangs").direction, explorer.control("blond").direction
    np.testing.assert_allclose(explorer.latent, face + bangs, atol=1e-5)
    explorer.interpolate(1.0)
    np.testing.assert_allclose(explorer.latent, face + blond, atol=1e-5)
    explorer.interpolate(0.5)
    np.testing.assert_allclose(explorer.latent, face + (bangs + blond) / 2, atol=1e-5)


def test_commands_drive_the_state_and_reject_nonsense(explorer):
    from mirror.errors import MirrorError

    explorer.run("index 4; slider bangs 1.5; stage 3; a; reset; b; t 0.5")
    assert explorer.t == 0.5 and explorer.end_a is not None
    with pytest.raises(MirrorError, match="unknown command"):
        explorer.run("fly away")
    with pytest.raises(MirrorError, match="bad argument"):
        explorer.run("index four")
    with pytest.raises(MirrorError, match="unknown slider"):
        explorer.run("slider nosuch 1")


# --- the window ------------------------------------------------------------------------------

@pytest.fixture()
def window(explorer):
    from mirror.explorer.view import ExplorerWindow

    with ExplorerWindow(explorer, (1280, 800)) as window:
        window.draw()
        yield window


def key(window, name, char=""):
    import pygame

    window.handle(pygame.event.Event(pygame.KEYDOWN, key=pygame.key.key_code(name), unicode=char))
    window.draw()


def click(window, name, fraction=0.5):
    import pygame

    rect = window.hit(name)
    x = rect.x + 6 + fraction * (rect.w - 12) if name in {c.key for c in window.state.controls} | \
        {"t", "range", "hairloss"} else rect.centerx
    window.handle(pygame.event.Event(pygame.MOUSEBUTTONDOWN, button=1, pos=(int(round(x)), rect.centery)))
    window.handle(pygame.event.Event(pygame.MOUSEBUTTONUP, button=1, pos=(int(round(x)), rect.centery)))
    window.draw()


def test_keyboard_drives_every_action(window, backend):
    s = window.state
    key(window, "r", "r")
    assert s.latent.any() and s.index is None
    key(window, "x", "x")
    np.testing.assert_array_equal(s.image(), decode(backend, np.zeros(s.latent_dim)))
    for char in "7":
        key(window, char, char)
    key(window, "return")
    assert s.index == 7
    key(window, "page down")
    assert s.index == 8
    before = s.latent
    key(window, "i", "i")
    np.testing.assert_allclose(s.latent, -before, atol=1e-5)
    key(window, "i", "i")
    s.selected = 0
    key(window, "right")
    assert s.controls[0].value == s.controls[0].step
    key(window, "down")
    assert s.selected == 1
    key(window, "]")
    assert s.stage == 1
    key(window, "[")
    key(window, "[")
    assert s.stage == -1
    key(window, "a", "a")
    key(window, "p", "p")
    assert s.photo == 0
    key(window, "b", "b")
    key(window, "k", "k")
    key(window, "k", "k")
    assert abs(s.t - 0.2) < 1e-6
    key(window, "h", "h")
    assert window.help
    key(window, "q", "q")
    assert not window.running


def test_mouse_drives_buttons_sliders_and_nearest_faces(window, backend):
    s = window.state
    click(window, "Randomize")
    assert s.latent.any()
    click(window, "Reset")
    np.testing.assert_array_equal(s.latent, np.zeros(s.latent_dim))
    click(window, "next item")
    assert s.index == 0
    before = s.latent
    click(window, "Invert")
    np.testing.assert_allclose(s.latent, -before, atol=1e-5)
    click(window, "Invert")
    click(window, "style:bangs", 1.0)
    assert s.control("bangs").value == pytest.approx(s.control("bangs").high, abs=0.05)
    click(window, "style:bangs", 0.5)
    assert abs(s.control("bangs").value) < 0.05
    click(window, "hairloss", 1.0)
    assert s.stage == hairloss.LAST
    click(window, "range", 0.0)
    assert s.random_range == pytest.approx(0.1, abs=0.05)
    click(window, "nearest:0")
    first = s.index
    assert first is not None and first != 0
    click(window, "A = shown face")
    click(window, "next photo")
    click(window, "B = shown face")
    click(window, "t", 1.0)
    np.testing.assert_allclose(s.latent, s.end_b, atol=1e-5)
    click(window, "t", 0.0)
    np.testing.assert_allclose(s.latent, s.end_a, atol=1e-5)
    click(window, "styles as ends")
    assert s.end_labels[0].endswith("style")


def test_screenshots_are_written(window, tmp_path):
    s = window.state
    s.run("index 2; slider bangs 1.5; stage 2; a; photo 0; b; t 0.4")
    window.draw()
    path = tmp_path / "explorer.png"
    window.screenshot(str(path))
    import pygame

    shot = pygame.image.load(str(path))
    assert shot.get_size() == (1280, 800)
    window.help = True
    window.draw()
    window.screenshot(str(tmp_path / "help.png"))
    assert os.path.getsize(tmp_path / "help.png") > 10000


def run_cli(*args):
    return subprocess.run([sys.executable, "-m", "mirror.explorer", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=120, env={**os.environ, "SDL_VIDEODRIVER": "dummy"})


def test_cli_writes_a_screenshot(tmp_path, data):
    path = tmp_path / "shot.png"
    result = run_cli("--engines", ENGINES, "--data", data.folder, "--encode", "12",
                     "--do", "index 3; slider bangs 1", "--screenshot", str(path))
    assert result.returncode == 0, result.stderr[-2000:]
    assert path.is_file() and path.stat().st_size > 10000


@pytest.mark.parametrize("args, message", [
    (["--engines", "/no/such/engines"], "engines folder not found"),
    (["--data", "/no/such/data"], "data folder not found"),
    (["--photo", "/no/such/photo.jpg"], "image not found"),
    (["--do", "fly away"], "unknown command"),
    (["--range", "9"], "--range"),
    (["--window", "big"], "--window"),
])
def test_cli_errors_are_one_line(args, message, tmp_path):
    engines = [] if "--engines" in args else ["--engines", ENGINES]
    result = run_cli(*engines, *args, "--screenshot", str(tmp_path / "x.png"))
    assert result.returncode == 2, result.stderr[-2000:]
    assert result.stderr.startswith("error: ") and message in result.stderr, result.stderr
    assert result.stderr.strip().count("\n") == 0 and "Traceback" not in result.stderr


def test_parse_arguments_defaults():
    args = parse_arguments([])
    assert args.engines.endswith("engines") and args.data is None and args.photo == []
    assert args.window == (1280, 800) and args.range == 1.0 and args.components == 8


def test_the_event_loop_runs_until_quit(window):
    import pygame

    for name in ("r", "x", "down", "right"):
        pygame.event.post(pygame.event.Event(pygame.KEYDOWN, key=pygame.key.key_code(name), unicode=name[:1]))
    pygame.event.post(pygame.event.Event(pygame.QUIT))
    window.loop()
    assert not window.running and window.state.selected == 1
    assert window.state.controls[1].value == window.state.controls[1].step
