"""Tests of the decoder fine-tune: the adversarial and feature losses, the learning-rate schedule and
the weight average against hand-computed values, one step moving both networks, the fused
classifier and the exported decoder against their references, resume and the one-line errors.

    python -m pytest tests/test_finetune.py -q
"""
from __future__ import annotations

import json
import math
import os

import numpy as np
import pytest
import torch

from conftest import ROOT
from test_train import run_cli

from mirror.errors import MirrorError
from mirror.edit.vae import VAE, load_model, model_from_specs, transposed_to_upsample, write_specs
from train.discriminator import PatchDiscriminator
from train.finetune import (FinetuneConfig, build_model, cosine_factor, finetune, hold_inside, interior_masks,
                            parse_arguments, set_learning_rates, train_step, update_ema)
from train.losses import (ADVERSARIAL, adaptive_weight, feature_matching, get_adversarial, grid_frequencies,
                          grid_loss, r1_penalty, random_shift)
from train.metrics import frechet_distance, grid_artefact, sharpness

ENGINES = os.path.join(ROOT, "engines")


# --- losses -------------------------------------------------------------------------------

def test_hinge_loss_has_the_hand_computed_values():
    real, fake = torch.tensor([2.0, 0.5, -1.0]), torch.tensor([-2.0, 0.0, 1.0])
    loss = get_adversarial("hinge")
    # relu(1 - real) = 0, 0.5, 2; relu(1 + fake) = 0, 1, 2
    assert float(loss.discriminator(real, fake)) == pytest.approx(2.5 / 3 + 1.0)
    assert float(loss.generator(fake)) == pytest.approx(1.0 / 3)


def test_nonsaturating_loss_has_the_hand_computed_values():
    loss = get_adversarial("nonsaturating")
    real, fake = torch.tensor([0.0, math.log(3.0)]), torch.tensor([0.0, -math.log(3.0)])
    # softplus(-0) = log 2, softplus(-log 3) = log(4/3); softplus(0) = log 2, softplus(-log 3) = log(4/3)
    expected = 2 * (math.log(2.0) + math.log(4.0 / 3.0)) / 2
    assert float(loss.discriminator(real, fake)) == pytest.approx(expected)
    assert float(loss.generator(torch.tensor([math.log(3.0)]))) == pytest.approx(math.log(4.0 / 3.0))


def test_every_adversarial_name_constructs_and_a_bad_name_is_refused():
    for name in ADVERSARIAL:
        assert get_adversarial(name).generator(torch.zeros(2)).shape == ()
    with pytest.raises(ValueError, match="unknown adversarial loss"):
        get_adversarial("wasserstein")


def test_feature_matching_has_the_hand_computed_value_and_real_features_get_no_gradient():
    real = [torch.ones(1, 1, 2, 2, requires_grad=True), torch.zeros(1, 2, 1, 1)]
    fake = [torch.zeros(1, 1, 2, 2, requires_grad=True), torch.full((1, 2, 1, 1), 0.5)]
    value = feature_matching(real, fake)
    assert float(value.detach()) == pytest.approx(1.0 + 0.5)
    value.backward()
    assert real[0].grad is None and fake[0].grad is not None
    with pytest.raises(ValueError):
        feature_matching(real, fake[:1])


def test_adaptive_weight_is_the_ratio_of_gradient_norms_at_the_last_layer():
    w = torch.tensor([1.0, 2.0], requires_grad=True)
    rec = (w * torch.tensor([3.0, 4.0])).sum()            # gradient norm 5
    adv = (w * torch.tensor([0.0, 2.0])).sum()            # gradient norm 2
    assert float(adaptive_weight(rec, adv, w)) == pytest.approx(5.0 / (2.0 + 1e-4))
    flat = (w * 0.0).sum()
    assert float(adaptive_weight(rec, flat, w, limit=10.0)) == 10.0


def test_grid_loss_has_the_hand_computed_value():
    # An 8 x 8 image, grid period 4: frequencies (2, 2), (2, 4), (4, 2), (4, 4), (2, 6), (6, 2), ...
    # i.e. both components in {2, 4, 6}: 9 frequencies.
    assert grid_frequencies(8, 4).sum() == 9 and grid_frequencies(8, 4)[2, 6] and not grid_frequencies(8, 4)[0, 2]
    # A checkerboard of period 2 (+-a) lives only at (4, 4): |FFT| = a * 64 there, power / S^2 = a^2 * 64.
    a = 0.1
    y, x = np.mgrid[:8, :8]
    board = torch.from_numpy(a * (-1.0) ** (x + y)).float()
    data = torch.full((1, 1, 8, 8), 0.5)
    assert float(grid_loss(data + board, data, period=4)) == pytest.approx(a * a * 64, rel=1e-5)
    # A stripe pattern (a frequency on an axis) is not a grid peak: no loss; 3 channels add up.
    stripes = torch.from_numpy(a * (-1.0) ** x).float().expand(3, 8, 8)[None]
    assert float(grid_loss(data.expand(1, 3, 8, 8) + stripes, data.expand(1, 3, 8, 8), period=4)) == pytest.approx(0, abs=1e-9)
    boards = torch.stack([board, 2 * board])[:, None].expand(2, 3, 8, 8)
    assert float(grid_loss(0.5 + boards, torch.full((2, 3, 8, 8), 0.5), period=4)) == pytest.approx(
        3 * (1 + 4) / 2 * a * a * 64, rel=1e-5)
    with pytest.raises(ValueError):
        grid_loss(torch.zeros(1, 1, 8, 8), torch.zeros(1, 1, 8, 8), period=3)


def test_r1_penalty_has_the_hand_computed_value():
    # A linear "discriminator" logits = sum(w * x) per image: the gradient is w for every image.
    w = torch.tensor([[[[1.0, -2.0], [0.5, 0.0]]]], requires_grad=True)
    real = torch.rand(3, 1, 2, 2).requires_grad_(True)
    penalty = r1_penalty((real * w).sum(dim=(1, 2, 3)), real)
    assert float(penalty.detach()) == pytest.approx(1 + 4 + 0.25)
    penalty.backward()                                        # d/dw sum(w^2) = 2w
    torch.testing.assert_close(w.grad, 2 * w.detach())
    # Patch logits (a PatchGAN's) are averaged per image: four equal patches, the same penalty.
    patches = (real * w).sum(dim=(1, 2, 3))[:, None, None, None].expand(-1, 1, 2, 2)
    assert float(r1_penalty(patches, real).detach()) == pytest.approx(1 + 4 + 0.25)
    with pytest.raises(ValueError):
        r1_penalty(torch.zeros(3), torch.zeros(3, 1, 2, 2))


def test_random_shift_moves_each_image_by_whole_pixels_within_the_bound():
    images = torch.arange(2 * 16.0).view(2, 1, 4, 4)
    assert random_shift(images, 0) is images
    moved = random_shift(images, 1, torch.Generator().manual_seed(0))
    again = random_shift(images, 1, torch.Generator().manual_seed(0))
    assert torch.equal(moved, again) and moved.shape == images.shape
    for image, out in zip(images, moved):               # the centre 2x2 of out is in image, shifted by <= 1
        padded = torch.nn.functional.pad(image[None], (1, 1, 1, 1), mode="reflect")[0, 0]
        assert any(torch.equal(out[0], padded[y:y + 4, x:x + 4]) for y in range(3) for x in range(3))


def test_hold_inside_keeps_the_values_and_cuts_the_gradient_inside():
    recon = torch.tensor([[[[0.2, 0.4, 0.6]]]], requires_grad=True)
    interior = torch.tensor([[[[1.0, 0.5, 0.0]]]])
    held = hold_inside(recon, interior)
    torch.testing.assert_close(held, recon)
    held.sum().backward()
    torch.testing.assert_close(recon.grad, torch.tensor([[[[0.0, 0.5, 1.0]]]]))
    assert hold_inside(recon, None) is recon


def test_interior_masks_cover_the_face_below_the_brows_and_follow_flips(photos):
    from mirror.run.app import Pipeline
    from mirror.types import Frame

    with Pipeline(static=True) as pipeline:        # the packaged photos, aligned as in training
        landmarks = np.stack([pipeline.track(Frame(0, 0, image))[1].landmarks for _, image in photos])
    assert landmarks.shape[1:] == (478, 2) and landmarks.max() < 128
    masks = interior_masks(landmarks, 128, 4.0, np.array([False, True]))
    assert masks.shape == (2, 1, 128, 128) and float(masks.min()) == 0 and float(masks.max()) == 1
    nose = landmarks[0, 1].astype(int)                        # the nose tip is inside, the corner not
    assert masks[0, 0, nose[1], nose[0]] == 1 and masks[0, 0, 0, 0] == 0
    torch.testing.assert_close(masks[1], interior_masks(landmarks[1:2], 128, 4.0)[0].flip(-1))


def test_transposed_to_upsample_is_exact_where_the_transposed_kernel_allows_it():
    # A 3x3 kernel c after nearest 2x upsampling is the transposed kernel w (per axis)
    # w3 = c0, w1 = c1 + c2, w2 = c0 + c1, w0 = c2; from such a w the least squares gives c back.
    torch.manual_seed(0)
    c = torch.randn(4, 5, 3, 3)
    m = torch.tensor([[0, 0, 1], [0, 1, 1], [1, 1, 0], [1, 0, 0]], dtype=torch.float32)
    w = torch.einsum("ak,bl,oikl->ioab", m, m, c)
    torch.testing.assert_close(transposed_to_upsample(w), c, rtol=0, atol=1e-5)
    transposed = torch.nn.ConvTranspose2d(5, 4, 4, stride=2, padding=1, bias=False)
    conv = torch.nn.Conv2d(5, 4, 3, padding=1, bias=False)
    transposed.weight.data, conv.weight.data = w, transposed_to_upsample(w)
    x = torch.randn(2, 5, 6, 6)
    with torch.no_grad():
        torch.testing.assert_close(conv(torch.nn.functional.interpolate(x, scale_factor=2))[..., 1:-1, 1:-1],
                                   transposed(x)[..., 1:-1, 1:-1], rtol=0, atol=1e-5)
    with pytest.raises(ValueError):
        transposed_to_upsample(torch.zeros(2, 2, 3, 3))


@pytest.mark.parametrize("upsample,layers", [("nearest", 2), ("bilinear", 4), ("transposed", 0)])
def test_upsample_decoder_round_trips_through_specs_json(tmp_path, upsample, layers):
    from train.export import export_onnx

    torch.manual_seed(0)
    specs = {"size": 64, "latent_dim": 8, "width": 4, "max_width": 16, "blocks": 1,
             "upsample": upsample, "upsample_layers": layers}
    model = model_from_specs(specs)
    kinds = [type(m).__name__ for m in model.decoder.conv if isinstance(m, (torch.nn.Conv2d, torch.nn.ConvTranspose2d))]
    assert kinds == ["ConvTranspose2d"] * (4 - layers) + ["Conv2d"] * layers
    run = str(tmp_path / "run")
    os.makedirs(run)
    write_specs(run, {"model": specs})
    torch.save({"model": model.state_dict()}, os.path.join(run, "model.pt"))
    loaded = load_model(run)
    z = torch.randn(3, 8)
    with torch.no_grad():
        torch.testing.assert_close(loaded.decoder(z), model.decoder(z), rtol=0, atol=0)
    # Through ONNX and back: the shipped engines' way (specs.json + weights read from the ONNX files).
    from mirror.backends.base import load_model_files
    from mirror.backends.onnxruntime import open_session
    from mirror.backends.torch import model_from_engines

    out = str(tmp_path / "engines")
    assert export_onnx(run, out, static=False)["decoder.onnx"] < 1e-5
    assert json.load(open(os.path.join(out, "specs.json")))["model"] == specs
    rebuilt = model_from_engines(load_model_files(out, styles=False))
    with torch.no_grad():
        torch.testing.assert_close(rebuilt.decoder(z), model.decoder(z), rtol=0, atol=0)
    got = open_session(os.path.join(out, "decoder.onnx")).run(None, {"z": z.numpy()})[0]
    np.testing.assert_allclose(got, model.decoder(z).detach().numpy(), atol=1e-5, rtol=0)
    # A specs.json without the keys is the transposed decoder; bad values are refused.
    old = {k: v for k, v in specs.items() if not k.startswith("upsample")}
    assert model_from_specs(old).decoder.conv[-1].__class__ is torch.nn.ConvTranspose2d
    for bad in ({"upsample": "nearest", "upsample_layers": 0}, {"upsample": "cubic", "upsample_layers": 1},
                {"upsample": "nearest", "upsample_layers": 5}):
        with pytest.raises(ValueError):
            model_from_specs({**old, **bad})


def test_sharpness_and_frechet_distance():
    rng = np.random.default_rng(0)
    crops = rng.integers(0, 256, (4, 32, 32, 3), dtype=np.uint8)
    assert sharpness(crops, crops) == pytest.approx(1.0)
    flat = np.full_like(crops, 128)
    assert sharpness(flat, crops) == 0.0
    a = rng.standard_normal((4000, 3))
    assert frechet_distance(a, a) == pytest.approx(0.0, abs=1e-6)
    # N(0, I) vs N(2, 4 I) in 3 dims: |2|^2 * 3 + 3 * (1 + 4 - 2 * 2) = 15
    assert frechet_distance(a, 2 + 2 * rng.standard_normal((4000, 3))) == pytest.approx(15.0, rel=0.1)


def test_grid_artefact_is_about_one_for_noise_and_large_for_a_checkerboard():
    rng = np.random.default_rng(0)
    noise = rng.normal(128, 20, (64, 32, 32, 3))
    board = 12.0 * (np.indices((32, 32)).sum(axis=0) % 2)[None, :, :, None]          # period 2
    assert grid_artefact(np.clip(noise, 0, 255).astype(np.uint8)) == pytest.approx(1.0, abs=0.3)
    assert grid_artefact(np.clip(noise + board, 0, 255).astype(np.uint8)) > 5        # one peak of 28


# --- schedule and weight average -----------------------------------------------------------

def test_cosine_factor_runs_from_one_to_the_floor():
    assert cosine_factor(0, 100, 0.1) == pytest.approx(1.0)
    assert cosine_factor(50, 100, 0.1) == pytest.approx(0.55)              # 0.1 + 0.9 * (1 + cos(pi / 2)) / 2
    assert cosine_factor(25, 100, 0.1) == pytest.approx(0.1 + 0.9 * (1 + math.sqrt(0.5)) / 2)
    assert cosine_factor(100, 100, 0.1) == pytest.approx(0.1)
    assert cosine_factor(150, 100, 0.1) == pytest.approx(0.1)              # past the end: the floor
    assert cosine_factor(7, 100, 1.0) == 1.0                               # ratio 1: constant


def test_set_learning_rates_moves_both_optimizers_and_the_encoders_group():
    decoder, encoder, disc = torch.nn.Linear(2, 2), torch.nn.Linear(2, 2), torch.nn.Linear(2, 2)
    optimizer = torch.optim.Adam([{"params": decoder.parameters()}, {"params": encoder.parameters()}])
    disc_optimizer = torch.optim.Adam(disc.parameters())
    config = FinetuneConfig(lr=1e-4, encoder_lr=5e-5, disc_lr=2e-4, steps=10, lr_min_ratio=0.2)
    assert set_learning_rates(config, 5, optimizer, disc_optimizer) == pytest.approx(0.6e-4)
    assert optimizer.param_groups[0]["lr"] == pytest.approx(0.6e-4)
    assert optimizer.param_groups[1]["lr"] == pytest.approx(0.3e-4)
    assert disc_optimizer.param_groups[0]["lr"] == pytest.approx(1.2e-4)


def test_update_ema_has_the_hand_computed_value_and_copies_buffers():
    average, model = torch.nn.BatchNorm1d(2), torch.nn.BatchNorm1d(2)
    with torch.no_grad():
        average.weight.fill_(1.0)
        model.weight.copy_(torch.tensor([3.0, -1.0]))
        model.running_mean.fill_(5.0)
    update_ema(average, model, 0.9)
    torch.testing.assert_close(average.weight.detach(), torch.tensor([1.2, 0.8]))   # 0.9 * 1 + 0.1 * w
    torch.testing.assert_close(average.running_mean, torch.full((2,), 5.0))
    torch.testing.assert_close(model.weight.detach(), torch.tensor([3.0, -1.0]))


# --- networks -----------------------------------------------------------------------------

def test_discriminator_gives_patch_logits_and_features():
    logits, features = PatchDiscriminator(width=8, layers=3)(torch.rand(2, 3, 128, 128))
    assert logits.shape == (2, 1, 14, 14)
    assert [f.shape[1] for f in features] == [8, 16, 32, 64]
    with pytest.raises(ValueError):
        PatchDiscriminator(width=0)


def test_fused_classifier_matches_onnx_runtime():
    from train.classifier import Classifier, load_fused_classifier

    path = os.path.join(ENGINES, "classifier.onnx")
    images = np.random.default_rng(1).random((3, 3, 128, 128), dtype=np.float32)
    fused = load_fused_classifier(path)
    with torch.no_grad():
        got = torch.sigmoid(fused(torch.from_numpy(images))).numpy()
    np.testing.assert_allclose(got, Classifier(path).predict(images), atol=1e-5, rtol=0)
    assert fused.embedding(torch.from_numpy(images)).shape == (3, 256)


@pytest.mark.parametrize("feature", ["discriminator", "classifier", "none"])
def test_one_step_with_the_adversarial_term_moves_decoder_and_discriminator_not_encoder(feature):
    from train.classifier import load_fused_classifier

    torch.manual_seed(0)
    vae = VAE(size=128, latent_dim=8, width=4, max_width=16, blocks=0)
    vae.encoder.requires_grad_(False)
    disc = PatchDiscriminator(width=4, layers=2)
    judge = load_fused_classifier(os.path.join(ENGINES, "classifier.onnx")) if feature == "classifier" else None
    config = FinetuneConfig(feature=feature, gan_start=0)
    optimizer = torch.optim.Adam(vae.decoder.parameters(), lr=1e-3)
    disc_optimizer = torch.optim.Adam(disc.parameters(), lr=1e-3)
    before = {name: {k: v.clone() for k, v in net.state_dict().items()}
              for name, net in (("encoder", vae.encoder), ("decoder", vae.decoder), ("disc", disc))}
    terms = train_step(vae, disc, judge, optimizer, disc_optimizer, get_adversarial("hinge"), config,
                       torch.rand(2, 3, 128, 128), None, "laplace", step=0)
    assert terms["lambda"] > 0 and np.isfinite(list(terms.values())).all()
    assert (terms["feat"] > 0) == (feature != "none")
    moved = {name: any(not torch.equal(v, net.state_dict()[k]) for k, v in before[name].items())
             for name, net in (("encoder", vae.encoder), ("decoder", vae.decoder), ("disc", disc))}
    assert moved == {"encoder": False, "decoder": True, "disc": True}


def test_with_an_encoder_rate_the_step_moves_the_encoder_too_and_counts_the_kl_term():
    torch.manual_seed(0)
    vae = VAE(size=128, latent_dim=8, width=4, max_width=16, blocks=0)
    disc = PatchDiscriminator(width=4, layers=2)
    config = FinetuneConfig(feature="none", gan_start=0, encoder_lr=1e-3, beta=0.5)
    optimizer = torch.optim.Adam([{"params": vae.decoder.parameters()}, {"params": vae.encoder.parameters()}], lr=1e-3)
    images = torch.rand(2, 3, 128, 128)
    with torch.no_grad():
        mu, logvar = vae.encoder(images)
    kl = float((0.5 * (-1.0 - logvar + mu ** 2 + logvar.exp())).mean(dim=0).sum())   # by hand
    encoder = {k: v.clone() for k, v in vae.encoder.state_dict().items()}
    terms = train_step(vae, disc, None, optimizer, torch.optim.Adam(disc.parameters(), lr=1e-3),
                       get_adversarial("hinge"), config, images, None, "laplace", step=0)
    assert terms["kl"] == pytest.approx(kl, rel=1e-5)
    assert terms["loss"] == pytest.approx(terms["rec"] + terms["lambda"] * 0.8 * terms["adv"] + 0.5 * kl, rel=1e-4)
    assert any(not torch.equal(v, vae.encoder.state_dict()[k]) for k, v in encoder.items())


def test_with_the_whole_crop_as_interior_only_reconstruction_moves_the_decoder():
    # Inside the interior the discriminator sees the decode on both sides: no adversarial or
    # feature pull there. With the whole crop as interior the step equals a reconstruction-only step.
    images = torch.rand(2, 3, 128, 128)
    decoders = []
    for interior, config in ((torch.ones(2, 1, 128, 128), FinetuneConfig(feature="discriminator", gan_start=0)),
                             (None, FinetuneConfig(feature="none", disc_weight=0.0, gan_start=0))):
        torch.manual_seed(0)
        vae = VAE(size=128, latent_dim=8, width=4, max_width=16, blocks=0)
        vae.encoder.requires_grad_(False)
        disc = PatchDiscriminator(width=4, layers=2)
        optimizer = torch.optim.Adam(vae.decoder.parameters(), lr=1e-3)
        terms = train_step(vae, disc, None, optimizer, torch.optim.Adam(disc.parameters(), lr=1e-3),
                           get_adversarial("hinge"), config, images, None, "laplace", step=0, interior=interior)
        decoders.append(vae.decoder.state_dict())
    assert terms["feat"] == 0
    for key, value in decoders[0].items():
        torch.testing.assert_close(value, decoders[1][key], rtol=0, atol=1e-6)


# --- the command --------------------------------------------------------------------------

def test_finetune_resumes_keeps_the_encoder_and_exports_a_decoder_matching_pytorch(tiny_run, slice_dir, tmp_path):
    from mirror.backends.onnxruntime import open_session
    from train.export import export_onnx

    engines = str(tmp_path / "engines")
    export_onnx(tiny_run, engines, static=False)
    run = str(tmp_path / "ft")
    config = FinetuneConfig(engines=engines, data=slice_dir, run=run, steps=2, batch_size=4, epoch_images=8,
                            val_images=8, gan_start=1, log_every=1, save_every=1, ema=0.5, lr_min_ratio=0.1)
    assert finetune(config)["step"] == 2                     # one epoch of 2 steps, validated
    with pytest.raises(MirrorError, match="already holds a run"):
        finetune(config)
    config.steps = 3
    last = finetune(config, resume=True)
    assert last["step"] == 2 and last["val_psnr"] > 5        # epoch 0 ended at step 2
    # The schedule goes on from the checkpoint's step (step 3 trains at step index 2 of 3).
    rates = [row["lr"] for row in json.load(open(os.path.join(run, "history.json")))]
    assert rates == pytest.approx([1e-4, 1e-4 * cosine_factor(1, 2, 0.1), 1e-4 * cosine_factor(2, 3, 0.1)])
    # model.pt: the weight average as the run's model, the trained decoder beside it.
    checkpoint = torch.load(os.path.join(run, "model.pt"), weights_only=True)
    model = load_model(run)
    for key, value in model.decoder.state_dict().items():
        torch.testing.assert_close(checkpoint["model"]["decoder." + key], value, rtol=0, atol=0)
    assert any(not torch.equal(v, checkpoint["decoder"][k]) for k, v in model.decoder.state_dict().items())
    original = load_model(tiny_run)
    for key, value in original.encoder.state_dict().items():
        torch.testing.assert_close(model.encoder.state_dict()[key], value, rtol=0, atol=0)
    assert any(not torch.equal(v, model.decoder.state_dict()[k]) for k, v in original.decoder.state_dict().items())
    out = str(tmp_path / "out")
    report = export_onnx(run, out, static=False)
    assert report["decoder.onnx"] < 1e-4
    z = np.random.default_rng(0).standard_normal((3, model.latent_dim)).astype(np.float32)
    with torch.no_grad():
        want = model.decoder(torch.from_numpy(z)).numpy()
    got = open_session(os.path.join(out, "decoder.onnx")).run(None, {"z": z})[0]
    np.testing.assert_allclose(got, want, atol=1e-4, rtol=0)


def test_parse_arguments_choices_and_one_line_errors(tmp_path):
    args = parse_arguments(["--engines", "e", "--adversarial", "nonsaturating", "--no-adaptive", "--steps", "5"])
    assert (args.adversarial, args.adaptive, args.steps, args.lr) == ("nonsaturating", False, 5, None)
    with pytest.raises(SystemExit):
        parse_arguments(["--feature", "vgg"])
    with pytest.raises(ValueError, match="ema must be"):
        finetune(FinetuneConfig(ema=1.0))
    result = run_cli("-m", "train.finetune", "--engines", str(tmp_path / "nowhere"), "--data", str(tmp_path),
                     "--run", str(tmp_path / "run"))
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:") and "engines folder not found" in lines[0], result.stderr
    # (any other MirrorError is printed alike)
    with pytest.raises(MirrorError, match="not a prepared aligned set"):
        finetune(FinetuneConfig(engines=ENGINES, data=str(tmp_path / "nodata"), run=str(tmp_path / "run")))
