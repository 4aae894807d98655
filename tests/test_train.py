"""Tests of the training package on a 200-image slice of the shared CelebA photos.

    python -m pytest tests/test_train.py -q
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import torch

from conftest import ROOT, TINY

from mirror.errors import MirrorError
from train.losses import LOSSES, RECONSTRUCTIONS, get_loss, kl_per_dimension, reconstruction_loss


def run_cli(*args, timeout=120, env=None):
    return subprocess.run([sys.executable, *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout, env=env)


# --- losses -------------------------------------------------------------------------------

def _pair():
    data = torch.tensor([0.0, 0.5, 1.0, 0.25]).view(1, 1, 2, 2).repeat(2, 1, 1, 1)
    recon = torch.tensor([0.5, 0.5, 0.75, 0.5]).view(1, 1, 2, 2).repeat(2, 1, 1, 1)
    return data, recon


def test_reconstruction_losses_by_name_have_the_expected_values():
    data, recon = _pair()
    # per image: |d| = (0.5, 0, 0.25, 0.25): sum 1.0 -> laplace 3.0
    assert reconstruction_loss(data, recon, "laplace").item() == pytest.approx(3.0)
    # squared: 0.25 + 0 + 0.0625 + 0.0625 = 0.375 -> 255 * 0.375
    assert reconstruction_loss(data, recon, "gaussian").item() == pytest.approx(95.625, rel=1e-6)
    # BCE: -[x log p + (1-x) log(1-p)]
    x, p = data[0].flatten().double(), recon[0].flatten().double()
    bce = float(-(x * torch.log(p) + (1 - x) * torch.log(1 - p)).sum())
    assert reconstruction_loss(data, recon, "bernoulli").item() == pytest.approx(bce, rel=1e-5)
    assert bce == pytest.approx(3 * np.log(2) - np.log(0.75), rel=1e-6)  # three log 2 terms
    weight = torch.ones(2, 1, 2, 2)
    weight[:, :, 0, 0] = 3.0  # the 0.5 error pixel counts three times: |d| sum 2.0
    assert reconstruction_loss(data, recon, "laplace", weight).item() == pytest.approx(6.0)
    with pytest.raises(ValueError, match="unknown reconstruction"):
        reconstruction_loss(data, recon, "cauchy")


def test_kl_and_objectives_by_name_have_the_expected_values():
    data, recon = _pair()
    mu = torch.tensor([[1.0, 0.0], [1.0, 0.0]])
    logvar = torch.tensor([[0.0, np.log(2.0)], [0.0, np.log(2.0)]], dtype=torch.float32)
    # KL per dim: 0.5 * (mu^2 + var - log var - 1) = 0.5 and 0.5 * (1 - ln 2)
    kl = kl_per_dimension(mu, logvar)
    np.testing.assert_allclose(kl.numpy(), [0.5, 0.5 * (1 - np.log(2))], rtol=1e-6)
    total_kl = 0.5 + 0.5 * (1 - np.log(2))
    assert get_loss("vae", "laplace")(data, recon, mu, logvar)["loss"].item() == pytest.approx(3.0 + total_kl, rel=1e-6)
    assert get_loss("betaH", "laplace", beta=4)(data, recon, mu, logvar)["loss"].item() == \
        pytest.approx(3.0 + 4 * total_kl, rel=1e-6)
    warm = get_loss("betaH", "laplace", beta=4, warmup_steps=10)
    assert warm(data, recon, mu, logvar, step=5)["loss"].item() == pytest.approx(3.0 + 2 * total_kl, rel=1e-6)
    b = get_loss("betaB", "laplace", c_init=0.0, c_max=10.0, gamma=100.0, anneal_steps=100)
    # at step 50 the capacity is 5 nats: 3 + 100 * |0.8466 - 5|
    assert b(data, recon, mu, logvar, step=50)["loss"].item() == pytest.approx(3.0 + 100 * (5 - total_kl), rel=1e-6)
    assert b(data, recon, mu, logvar, step=1000)["loss"].item() == pytest.approx(3.0 + 100 * (10 - total_kl), rel=1e-6)
    with pytest.raises(ValueError, match="unknown loss"):
        get_loss("betaX")


@pytest.mark.parametrize("name", sorted(LOSSES))
@pytest.mark.parametrize("distribution", RECONSTRUCTIONS)
def test_every_registry_name_constructs(name, distribution):
    data, recon = _pair()
    terms = get_loss(name, distribution)(data, recon, torch.zeros(2, 3), torch.zeros(2, 3), step=1)
    assert torch.isfinite(terms["loss"]) and terms["kl"].item() == 0.0


def test_parse_arguments_choices_come_from_the_registries(capsys):
    from train.__main__ import parse_arguments

    args = parse_arguments(["--loss", "betaB", "--rec-dist", "gaussian", "--epochs", "3"])
    assert (args.loss, args.rec_dist, args.epochs, args.beta) == ("betaB", "gaussian", 3, None)
    with pytest.raises(SystemExit):
        parse_arguments(["--loss", "nope"])
    assert "vae,betaH,betaB" in capsys.readouterr().err


# --- model and training -------------------------------------------------------------------

def test_model_shapes_and_bad_sizes():
    from mirror.edit.vae import VAE

    model = VAE(size=64, latent_dim=8, width=8, max_width=32, blocks=1)
    recon, mu, logvar, z = model(torch.rand(3, 3, 64, 64))
    assert recon.shape == (3, 3, 64, 64) and mu.shape == logvar.shape == z.shape == (3, 8)
    assert 0 <= recon.min() and recon.max() <= 1
    with pytest.raises(ValueError, match="image size"):
        VAE(size=100)


def test_one_training_step_lowers_the_loss_on_real_crops(slice_dir):
    from train.data import AlignedSet
    from mirror.edit.vae import VAE

    torch.manual_seed(0)
    data = AlignedSet(slice_dir, "train", limit=32)
    images, weights = data.batch(np.arange(32), hair_weight=1.0)
    assert weights.shape == (32, 1, 128, 128) and weights.max() > 1.5  # the hair counts double
    model = VAE(128, latent_dim=16, width=8, max_width=32, blocks=0)
    loss_fn = get_loss("vae", "laplace")
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)

    def loss_now():
        torch.manual_seed(1)  # same reparameterisation noise for both measurements
        recon, mu, logvar, _ = model(images)
        return loss_fn(images, recon, mu, logvar, 0, weights)["loss"]

    before = loss_now()
    optimizer.zero_grad()
    before.backward()
    optimizer.step()
    after = loss_now().item()
    assert after < before.item() - 1.0


def test_run_folder_and_specs_round_trip(tiny_run):
    from mirror.edit.vae import load_model, read_specs
    from train.training import Config

    names = set(os.listdir(tiny_run))
    assert {"specs.json", "model.pt", "history.json", "history.csv"} <= names
    assert any(n.startswith("events.out.tfevents") for n in names)
    with open(os.path.join(tiny_run, "specs.json")) as f:
        text = f.read()
    specs = json.loads(text)
    assert text.rstrip() == json.dumps(specs, indent=4, sort_keys=True)
    config = Config.from_specs(specs)
    assert config.to_specs() == specs
    assert (config.width, config.latent_dim, config.max_steps) == (8, 16, 4)
    model = load_model(tiny_run)
    assert model.latent_dim == 16 and not model.training
    assert read_specs(tiny_run)["model"] == {"size": 128, "latent_dim": 16, "width": 8,
                                            "max_width": 32, "blocks": 0}


def test_resume_continues_step_count_and_history(tiny_run, tmp_path):
    import shutil

    from train.__main__ import build_config, parse_arguments
    from mirror.edit.vae import load_checkpoint
    from train.training import train

    run = str(tmp_path / "resumed")
    shutil.copytree(tiny_run, run)
    assert load_checkpoint(os.path.join(run, "model.pt"))["step"] == 4
    # Without --resume an existing run is refused; with it, typed flags win over specs.json.
    with pytest.raises(MirrorError, match="--resume"):
        train(build_config(parse_arguments(["--run", run, "--data", read_data(run), *TINY])))
    args = parse_arguments(["--run", run, "--resume", "--max-steps", "7"])
    config = build_config(args)
    assert (config.max_steps, config.width, config.log_every) == (7, 8, 1)
    train(config, resume=True)
    checkpoint = load_checkpoint(os.path.join(run, "model.pt"))
    assert checkpoint["step"] == 7
    with open(os.path.join(run, "history.json")) as f:
        steps = [row["step"] for row in json.load(f)]
    assert steps == list(range(1, 8))
    with pytest.raises(MirrorError, match="model shape"):
        build_config(parse_arguments(["--run", run, "--resume", "--latent-dim", "32"]))


def read_data(run):
    with open(os.path.join(run, "specs.json")) as f:
        return json.load(f)["data"]


def test_ddp_two_processes_end_a_step_with_identical_weights(slice_dir, tmp_path):
    worker = tmp_path / "worker.py"
    worker.write_text(textwrap.dedent(f"""
        import sys, torch
        sys.path.insert(0, {ROOT!r})
        from train.training import Config, train
        def dump(model, rank):
            torch.save(model.state_dict(), {str(tmp_path)!r} + f"/rank{{rank}}.pt")
        config = Config(data={slice_dir!r}, run={str(tmp_path / 'run')!r}, width=8, max_width=32,
                        blocks=0, latent_dim=16, batch_size=8, max_steps=2, threads=1,
                        val_images=8, log_every=1)
        train(config, on_end=dump)
    """))
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    result = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2",
                             "--master_port", "29517", str(worker)], cwd=ROOT, capture_output=True,
                            text=True, timeout=120, env=env)
    assert result.returncode == 0, result.stderr[-2000:]
    a = torch.load(tmp_path / "rank0.pt")
    b = torch.load(tmp_path / "rank1.pt")
    for key in a:
        torch.testing.assert_close(a[key], b[key], rtol=0, atol=0)
    with open(tmp_path / "run" / "specs.json") as f:
        assert json.load(f)["world_size"] == 2


# --- export, engines, errors ----------------------------------------------------------------

def test_export_parity_onnx_runtime_vs_pytorch_on_real_crops(tiny_run, slice_dir, tmp_path):
    import onnx

    from mirror.backends import encode_crops, open_backend
    from mirror.backends.onnxruntime import open_session
    from train.data import AlignedSet
    from train.export import export_onnx

    out = str(tmp_path / "engines")
    report = export_onnx(tiny_run, out)
    assert set(report) == {"encoder.onnx", "decoder.onnx", "encoder_b1.onnx", "decoder_b1.onnx"}
    for name in report:
        onnx.checker.check_model(onnx.load(os.path.join(out, name)))
    crops = AlignedSet(slice_dir, "test", masks=False).crops[:5]
    ort_backend, torch_backend = open_backend(out), open_backend(tiny_run)
    assert (ort_backend.name, torch_backend.name) == ("onnxruntime", "torch")
    for batch in (crops[:1], crops):
        mu_o, logvar_o = encode_crops(ort_backend, batch)
        mu_t, logvar_t = encode_crops(torch_backend, batch)
        np.testing.assert_allclose(mu_o, mu_t, atol=1e-4, rtol=0)
        np.testing.assert_allclose(logvar_o, logvar_t, atol=1e-4, rtol=0)
        np.testing.assert_allclose(ort_backend.decode(mu_t), torch_backend.decode(mu_t), atol=1e-4, rtol=0)
    # the batch-1 variant agrees too, and refuses batch 2
    b1 = open_session(os.path.join(out, "decoder_b1.onnx"))
    np.testing.assert_allclose(b1.run(None, {"z": mu_t[:1]})[0], torch_backend.decode(mu_t[:1]), atol=1e-4)
    assert b1.get_inputs()[0].shape == [1, 16]
    assert open_session(os.path.join(out, "encoder.onnx")).get_inputs()[0].shape[0] == "batch"


def test_quantize_writes_int8_copies_close_to_the_float_model(slice_dir, tmp_path):
    import onnx

    from train.quantize import quantize

    engines = tmp_path / "engines"
    engines.mkdir()
    for name in ("encoder.onnx", "decoder.onnx", "styles.json"):
        shutil.copy(os.path.join(ROOT, "engines", name), engines / name)
    report = quantize(str(engines), slice_dir, limit=48)
    for name in ("encoder", "decoder"):
        graph = onnx.load(str(engines / f"{name}.int8.onnx")).graph
        onnx.checker.check_model(onnx.load(str(engines / f"{name}.int8.onnx")))
        ops = [node.op_type for node in graph.node]
        int8_weights = [i for i in graph.initializer if i.data_type == onnx.TensorProto.INT8]
        assert "DequantizeLinear" in ops and len(int8_weights) >= 5, name
    assert report["images"] > 0 and report["psnr_int8_vs_float"] > 35, report
    assert abs(report["psnr_int8"] - report["psnr_float"]) < 0.5, report
    result = run_cli("-m", "train.quantize", str(tmp_path / "missing"), "--data", slice_dir)
    assert result.returncode == 1 and result.stderr.startswith("error: ") and "Traceback" not in result.stderr


def test_style_directions_are_stratified_and_keep_the_protected_attributes():
    from train.directions import KEEP, STYLES, style_directions

    rng = np.random.default_rng(1)
    names = ["Male", "Smiling", "Eyeglasses", "Bangs", "Bald", "Receding_Hairline", "Blond_Hair",
             "Black_Hair", "Brown_Hair", "Gray_Hair", "Wavy_Hair", "Straight_Hair"]
    n = 4000
    attributes = np.where(rng.random((n, len(names))) < 0.3, 1, -1).astype(np.int8)
    mu = rng.normal(size=(n, 12)) * 0.1
    mu += (attributes > 0).astype(float)   # attribute k lives on axis k
    directions, basis = style_directions(mu, attributes, names)
    assert set(directions) == set(STYLES)
    assert directions["bangs"][names.index("Bangs")] == pytest.approx(1.0, abs=0.05)
    assert directions["no_bangs"][names.index("Bangs")] == pytest.approx(-1.0, abs=0.05)
    for d in directions.values():
        np.testing.assert_allclose(basis @ d, 0, atol=1e-9)   # nothing along Male/Smiling/Eyeglasses
    assert len(basis) == len(KEEP)


def _one_line_error(result):
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert "Traceback" not in result.stderr


def test_corrupt_checkpoint_and_corrupt_onnx_give_a_one_line_error(tiny_run, slice_dir, tmp_path):
    import shutil

    run = tmp_path / "broken"
    shutil.copytree(tiny_run, run)
    (run / "model.pt").write_bytes(b"not a checkpoint" * 10)
    result = run_cli("-m", "train.export", str(run), str(tmp_path / "out"))
    _one_line_error(result)
    assert "corrupt checkpoint" in result.stderr
    result = run_cli("-m", "train", "--run", str(run), "--resume")
    _one_line_error(result)
    assert "corrupt checkpoint" in result.stderr

    engines = tmp_path / "engines"
    engines.mkdir()
    (engines / "encoder.onnx").write_bytes(b"\x08\x07garbage" * 50)
    (engines / "decoder.onnx").write_bytes(b"")
    result = run_cli("-m", "train.evaluate", "--engines", str(engines), "--data", slice_dir)
    _one_line_error(result)
    assert "corrupt or unreadable model" in result.stderr
    from mirror.backends import open_backend

    with pytest.raises(MirrorError, match="corrupt or unreadable model"):
        open_backend(str(engines))


def test_missing_data_folder_is_a_clear_error(tmp_path):
    """A MirrorError, which the command prints as one line (its exit is checked above)."""
    from train.__main__ import build_config, parse_arguments
    from train.training import train

    args = parse_arguments(["--data", str(tmp_path / "nowhere"), "--run", str(tmp_path / "r")])
    with pytest.raises(MirrorError, match="not a prepared aligned set"):
        train(build_config(args))


def test_classifier_styles_and_evaluate_end_to_end(tiny_run, slice_dir, tmp_path, monkeypatch):
    from train.classifier import Classifier, train_classifier
    from train.evaluate import evaluate
    from train.export import export_onnx
    from mirror.backends import open_backend
    from mirror.edit.vae import read_specs
    from train.directions import STYLES, load_styles
    from train.styles import build_library

    engines = str(tmp_path / "engines")
    export_onnx(tiny_run, engines, static=False)
    report = train_classifier(slice_dir, os.path.join(engines, "classifier.onnx"), epochs=1,
                              batch_size=64)
    assert set(report["test_accuracy"]) == set(report["attributes"]) and len(report["attributes"]) == 40
    classifier = Classifier(os.path.join(engines, "classifier.onnx"))
    library = build_library(open_backend(engines), slice_dir, classifier=classifier, specs=read_specs(engines))
    assert library["model"]["latent_dim"] == 16
    assert set(library["styles"]) == set(STYLES)
    assert (library["size"], library["latent_dim"], library["channel_order"]) == (128, 16, "BGR")
    for style in library["styles"].values():
        assert len(style["direction"]) == 16 and style["strength"] > 0
        assert style["kind"] in ("add", "remove", "color", "texture")
    basis = np.asarray(library["hair_basis"])
    np.testing.assert_allclose(basis @ basis.T, np.eye(len(basis)), atol=1e-4)
    with open(os.path.join(engines, "styles.json"), "w") as f:
        json.dump(library, f)
    assert load_styles(os.path.join(engines, "styles.json"))["latent_dim"] == 16
    # The renderer's segmenter does not depend on the VAE: the shipped one serves.
    shutil.copy(os.path.join(ROOT, "engines", "segmenter.onnx"), engines)
    monkeypatch.setattr("train.evaluate.GROUP_MIN", 2)   # the slice holds few real faces a group
    result = evaluate(engines, slice_dir, limit=12)
    for key in ("psnr", "ssim", "active_units", "classifier_accuracy", "edit_success",
                "edit_success_decoded", "kept", "edit_composite", "latency_ms",
                "halo", "texture", "seam"):
        assert key in result
    assert set(result["halo"]) == set(STYLES) and all(v is None or v >= 0 for v in result["halo"].values())
    assert set(result["edit_success"]) == set(STYLES)
    # The judge on real faces that have each style: a share, or None where the slice has none.
    assert set(result["judge_recall"]) == set(STYLES)
    assert all(v is None or 0 <= v <= 1 for v in result["judge_recall"].values())
    assert any(v is not None for v in result["judge_recall"].values())
    # ... and per group of sex and age, beside the edits' success there; the matched recall is
    # the groups' recalls weighted by the edited faces in them.
    for style, table in result["judge_groups"].items():
        assert sum(row["faces"] for row in table.values()) == result["faces"][style]
        trusted = [row for row in table.values() if row["reals"] >= 2]
        matched = result["judge_recall_matched"][style]
        if not trusted:
            assert matched is None and result["judge_matched_faces"][style] == 0
            continue
        weights = np.float64([row["faces"] for row in trusted])
        expected = weights @ [row["recall"] for row in trusted] / weights.sum()
        assert matched == pytest.approx(expected, abs=1e-3)
        assert result["edit_success_matched"][style] == pytest.approx(
            weights @ [row["success"] for row in trusted] / weights.sum(), abs=1e-3)
    assert any(v is not None for v in result["judge_recall_matched"].values())
    assert 5 < result["psnr"] < 40 and 0 < result["ssim"] <= 1


def test_the_evaluations_view_recolours_hair_up_to_the_crops_edge_as_the_mirror_does(slice_dir):
    # The mirror follows hair past the crop's fading border in the frame (render.beyond); the
    # evaluation's view puts each crop in a frame that carries on its edges, so it does too.
    from mirror.render.color import ColorParams, near_hair, own_color
    from mirror.render.lab import to_lab
    from train.data import AlignedSet
    from train.evaluate import MirrorView

    data = AlignedSet(slice_dir, "all", limit=40, masks=False)
    view = MirrorView(os.path.join(ROOT, "engines"), data)

    def top(r):
        """The crop's top row: where it is sure hair, and where it is of the hair's colour."""
        face = view.face(r)
        lab = to_lab(face.crop)
        own = own_color(lab, face.hair)
        return face.hair[0] > 0.9, np.zeros(face.hair.shape[1], bool) if own is None else near_hair(lab[:1], own, ColorParams().deviation)[0] > 0.5

    # (faces whose sure hair reaches the top and is of the hair's own colour there, which is what
    # the mirror follows past the crop; a lighter streak there is not followed, in the mirror either)
    rows = [r for r, (sure, hairlike) in ((r, top(r)) for r in range(len(data)))
            if sure.sum() >= 24 and hairlike[sure].mean() > 0.5][:3]
    assert rows, "no face in the slice has hair reaching the crop's top"
    shown = np.round(view.show(np.array(rows), "blond") * 255).transpose(0, 2, 3, 1)
    for r, out in zip(rows, shown):
        hair_top, hairlike = top(r)
        change = np.abs(out[0] - data.crops[r][0].astype(np.float32)).max(axis=-1)
        assert np.median(change[hair_top]) > 20, "the hair at the crop's top edge kept its colour"
        # ... and the wall there did not change (not of the hair's colour: the blurred end of a
        # strand the segmenter calls wall is followed as hair, as in the mirror)
        assert change[(view.face(r).hair[0] < 0.1) & ~hairlike].max(initial=0) <= 2


def test_the_evaluations_view_draws_bangs_from_donors_as_the_mirror_does(slice_dir):
    """Bangs and no_bangs are only ever drawn from donors: the evaluation's view chooses them
    as the mirror does (without a chooser it would score the unedited crops)."""
    from train.data import AlignedSet
    from train.evaluate import MirrorView

    data = AlignedSet(slice_dir, "all", limit=6, masks=False)
    view = MirrorView(os.path.join(ROOT, "engines"), data)
    for style in ("bangs", "no_bangs"):
        shown = view.show(np.arange(len(data)), style).transpose(0, 2, 3, 1) * 255
        change = np.abs(shown - data.crops.astype(np.float32)).max(axis=-1)
        # (a donor is chosen as light-haired as the person: a forehead redrawn changes little else)
        assert (change > 24).mean(axis=(1, 2)).max() > 0.02, style


# --- optimised style directions -----------------------------------------------------------

@pytest.fixture(scope="module")
def shipped_parts(slice_dir):
    """The shipped decoder (torch), fused classifier, and mu of 8 slice crops without Bald."""
    from mirror.backends import encode_crops, load_model_files, open_backend
    from mirror.backends.torch import model_from_engines
    from train.classifier import Classifier, load_fused_classifier
    from train.data import AlignedSet

    engines = os.path.join(ROOT, "engines")
    data = AlignedSet(slice_dir, "all", masks=False)
    rows = np.flatnonzero(~data.attribute("Bald"))[:8]
    mu, _ = encode_crops(open_backend(engines, "onnxruntime", threads=1), data.crops[rows])
    decoder = model_from_engines(load_model_files(engines)).decoder.eval()
    path = os.path.join(engines, "classifier.onnx")
    return decoder, load_fused_classifier(path), Classifier(path, threads=1), mu, data.landmarks[rows], data.crops[rows]


def _optimise(shipped_parts, seed, steps=10, keep_weight=2.0):
    from train.optimise import DirectionOptimiser, OptimiseConfig

    decoder, fused, classifier, mu, landmarks, _ = shipped_parts
    start = np.zeros(mu.shape[1])
    config = OptimiseConfig(steps=steps, batch=4, seed=seed, start=1.0, keep_weight=keep_weight)
    return DirectionOptimiser(decoder, fused, classifier.names, config).optimise("bald", start, mu, landmarks)


def test_optimisation_raises_the_style_and_holds_a_kept_attribute(shipped_parts):
    decoder, fused, classifier, mu, _, _ = shipped_parts
    torch.set_num_threads(1)
    d = _optimise(shipped_parts, seed=0, keep_weight=10.0)  # bald alone drifts toward male
    bald, male = classifier.column("Bald"), classifier.column("Male")
    with torch.no_grad():
        z = torch.from_numpy(mu)
        before = torch.sigmoid(fused(decoder(z))).numpy()
        after = torch.sigmoid(fused(decoder(z + torch.from_numpy(d).float()))).numpy()
    assert after[:, bald].mean() > before[:, bald].mean() + 0.05
    assert ((after[:, male] > 0.5) == (before[:, male] > 0.5)).mean() >= 0.75


def test_optimisation_is_deterministic_for_a_seed(shipped_parts):
    torch.set_num_threads(1)
    first, again = _optimise(shipped_parts, 0, steps=3), _optimise(shipped_parts, 0, steps=3)
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, _optimise(shipped_parts, 1, steps=3))


def test_styles_method_flag_parses_and_optimised_needs_a_classifier(capsys):
    from train.styles import parse_arguments

    args = parse_arguments(["engines", "--data", "d", "--out", "o.json", "--classifier", "c.onnx",
                            "--method", "optimised", "--steps", "5", "--seed", "3"])
    assert (args.method, args.steps, args.seed, args.guide) == ("optimised", 5, 3, None)
    assert parse_arguments(["engines", "--data", "d", "--out", "o.json"]).method == "mean"
    with pytest.raises(SystemExit):
        parse_arguments(["engines", "--data", "d", "--out", "o.json", "--method", "optimised"])
    assert "needs --classifier" in capsys.readouterr().err


def test_prior_only_refits_just_the_latent_prior(slice_dir, tmp_path, capsys):
    from mirror.edit.styles import StyleLibrary
    from train.styles import main, parse_arguments

    out = tmp_path / "styles.json"
    shipped = json.loads(open(os.path.join(ROOT, "engines", "styles.json")).read())
    old = {key: value for key, value in shipped.items() if key != "latent_prior"}
    out.write_text(json.dumps(old))
    args = parse_arguments([os.path.join(ROOT, "engines"), "--data", slice_dir, "--out", str(out), "--prior-only"])
    assert main(args) == 0
    library = json.loads(out.read_text())
    assert {key: value for key, value in library.items() if key != "latent_prior"} == old
    prior = StyleLibrary(library).prior
    assert 100 < prior.images < 200 and np.all(np.diag(prior.cholesky) > 0)
    with pytest.raises(SystemExit):
        parse_arguments(["engines", "--data", "d", "--out", "o.json", "--prior-only", "--classifier", "c.onnx"])
    assert "--prior-only takes no" in capsys.readouterr().err


def test_colour_targets_carry_the_skin_of_the_faces_they_were_measured_on(slice_dir):
    from mirror.face.regions import face_interior
    from mirror.render.lab import to_lab
    from train.colors import hair_colors
    from train.data import attribute_names

    crops = np.load(os.path.join(slice_dir, "crops.npy"))
    landmarks = np.load(os.path.join(slice_dir, "landmarks.npy"))
    attributes = np.load(os.path.join(slice_dir, "attributes.npy"))
    names = attribute_names(slice_dir)
    attributes[:, names.index("Blond_Hair")] = -1
    attributes[:3, names.index("Blond_Hair")] = 1                 # three blond faces
    hair = np.zeros(crops.shape[:3], np.uint8)
    hair[:, :24] = 255                                          # their hair: the crop's top
    colors = hair_colors(crops, hair, attributes, names, landmarks)
    skins = [np.median(to_lab(crops[r].astype(np.float32) / 255)[face_interior(landmarks[r], 128)], axis=0)
             for r in range(3)]
    assert colors["blond"]["faces"] == 3
    np.testing.assert_allclose(colors["blond"]["skin"], np.mean(skins, axis=0), atol=1e-3)
    assert 30 < colors["blond"]["skin"][0] < 90                  # skin, not hair or wall


def test_the_gray_target_is_the_silver_of_the_gray_labelled_hair(slice_dir):
    # Gray-labelled hair: dark grey, silver, a light yellowed white and a dark warm grey. Gray's
    # target is the hair both lighter and less colourful than the median face's: the silver.
    from mirror.render.lab import from_lab, to_lab
    from train.colors import hair_colors
    from train.data import attribute_names

    crops = np.load(os.path.join(slice_dir, "crops.npy"))[:4].copy()
    landmarks = np.load(os.path.join(slice_dir, "landmarks.npy"))[:4]
    names = attribute_names(slice_dir)
    attributes = -np.ones((4, len(names)), np.int8)
    for name in ("Gray_Hair", "Blond_Hair", "Black_Hair", "Brown_Hair"):   # every colour needs a face
        attributes[:, names.index(name)] = 1
    hairs = np.float32([[30, 1, 2], [68, 1, 3], [70, 4, 24], [32, 5, 22]])
    for crop, lab in zip(crops, hairs):
        crop[:24] = np.round(from_lab(np.broadcast_to(lab, (24, 128, 3)).copy()) * 255).astype(np.uint8)
    hair = np.zeros(crops.shape[:3], np.uint8)
    hair[:, :24] = 255
    colors = hair_colors(crops, hair, attributes, names, landmarks)
    assert colors["gray"]["faces"] == 1
    np.testing.assert_allclose(colors["gray"]["mean"], to_lab(crops[1, :1, :1].astype(np.float32) / 255)[0, 0],
                               atol=0.01)


def test_segmenter_labels_can_count_the_teachers_doubt_off_the_person_as_no_hair():
    """``train.segmenter.labels``: the teacher half-calls a dark wall beside the head hair (0.2-0.45:
    CelebA test rows 288, 448). Scaled to its sure level (0.6), that doubt became a target of 0.4 and
    more in the silhouette's grown edge; with ``floor``, off the person it is no hair, on the person
    (a strand's end over the skin) it is as before, and sure hair is hair either way."""
    from train.segmenter import HAIR, dark_walls, labels

    size = 32
    teacher = np.full((1, size, size), 64, np.uint8)            # doubt: 0.25
    teacher[:, :4] = 180                                          # sure hair: 0.71
    person = np.zeros((1, size, size), np.uint8)
    person[:, :, :16] = 255                                       # the person on the left half
    plain, floored = labels(teacher, person, 7)[0, HAIR], labels(teacher, person, 7, floor=0.25)[0, HAIR]
    wall = np.s_[8:, 17:22]                                       # off the person, in the grown silhouette
    assert plain[wall].min() > 0.4 and floored[wall].max() < 0.01
    np.testing.assert_allclose(floored[8:, :16], plain[8:, :16])  # on the person: unchanged
    assert floored[:4, :16].min() == 1.0
    assert plain[:, 24:].max() == 0.0                             # beyond the grown silhouette: none
    crops = np.stack([np.full((size, size, 3), 20, np.uint8), np.full((size, size, 3), 200, np.uint8)])
    assert dark_walls(crops, np.repeat(person / 255.0, 2, axis=0)).tolist() == [True, False]
