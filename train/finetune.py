"""Fine-tune the shipped decoder for sharper decodes against a PatchGAN (encoder frozen, or trained too).

    python -m train.finetune --engines engines --data data/aligned128 --run runs/sharp128
    python -m train.finetune --engines engines --data data/aligned128 --run runs/sharp128 --resume
    python -m train.finetune --engines engines --data data/aligned128 --run /tmp/probe --steps 20

Then: python -m train.export runs/sharp128 /tmp/sharp --no-static   (copy decoder.onnx to engines)
      python -m train.report runs/sharp128 --out /tmp/report       (loss.png: the new terms too)

The VAE is rebuilt from ``--engines`` (specs.json + the ONNX files); the encoder stays frozen, so
the latent and the style library stay valid. Each step decodes the posterior means of a batch of
train crops (``--latent sample``: a posterior sample) and minimises, for the decoder,

    rec + feature_weight * feature + [step >= gan_start] disc_weight * lambda * adversarial

``--encoder-lr`` > 0 trains the encoder too, on the same terms plus ``beta`` times the KL term:
the latent moves, so the style library must be rebuilt on it (``train.styles``).

``rec`` is the VAE's own reconstruction term (its ``rec_dist`` and hair weighting); ``feature``
is feature matching on the discriminator's hidden layers (``--feature discriminator``) or on the
attribute classifier's (``--feature classifier``, a perceptual loss); ``lambda`` is VQGAN's
adaptive weight (``--no-adaptive``: 1). The discriminator trains from step 0 with the same
adversarial loss (``--adversarial hinge|nonsaturating``). Both learning rates follow a cosine
from their value to ``lr_min_ratio`` of it over ``steps`` (a resumed run continues it). With
``ema`` > 0 an exponential moving average of the decoder's weights (decay ``ema`` per step) is
validated and saved as the run's model, so ``train.export`` exports it; the trained decoder rides
along in the checkpoint. An "epoch" is ``epoch_images`` train crops; each ends with validation
(reconstruction, PSNR, sharpness) and a checkpoint.

Issue 13's fourth attempt added: ``--upsample nearest --upsample-layers N`` (the decoder's last
N stages as upsample + 3x3 conv, started from the shipped transposed kernels), ``--grid-weight``
(``train.losses.grid_loss``), ``--r1-weight`` / ``--r1-every``, ``--disc-shift`` and
``--face-feather`` (the discriminator and feature net see the decode inside the face interior on
both sides; ``interior_masks``).

The run folder is a ``train`` run folder (``mirror.edit.vae.load_model`` and ``train.export`` read
it): specs.json, model.pt (+ trained decoder, discriminator and both optimizers),
history.json/csv, epochs.json.
"""
from __future__ import annotations

import argparse
import copy
import dataclasses
import json
import logging
import math
import os
import sys
import time
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from mirror.backends.base import load_model_files
from mirror.cli import setup_logging
from mirror.errors import MirrorError
from mirror.edit.vae import (CHECKPOINT, UPSAMPLES, ResBlock, load_checkpoint, model_from_specs, read_specs, reparameterize,
                        transposed_to_upsample, write_specs)
from train.data import AlignedSet, to_crops
from train.discriminator import PatchDiscriminator
from train.losses import (ADVERSARIAL, adaptive_weight, feature_matching, get_adversarial, grid_loss,
                          kl_per_dimension, r1_penalty, random_shift, reconstruction_loss)
from train.metrics import psnr, sharpness
from train.training import History, epoch_order

log = logging.getLogger(__name__)

FEATURES = ("discriminator", "classifier", "none")
LATENTS = ("mean", "sample")


@dataclass
class FinetuneConfig:
    """Every setting of a fine-tune; saved in specs.json (with the model's and the VAE's loss)."""

    engines: str = "engines"           # shipped model to start from (specs.json + ONNX files)
    data: str = "data/aligned128"      # prepared folder (python -m train.prepare)
    run: str = "runs/sharp128"         # run folder (created)
    # loss
    adversarial: str = "hinge"         # hinge | nonsaturating
    feature: str = "discriminator"     # discriminator | classifier | none
    feature_weight: float = 5000.0     # weight of the feature term (rec is a per-image sum)
    disc_weight: float = 0.8           # weight of the adversarial term (times lambda)
    adaptive: bool = True              # lambda = VQGAN's adaptive weight, else 1
    gan_start: int = 50                # decoder steps before the adversarial term is on
    latent: str = "mean"               # mean | sample: what the decoder decodes in training
    encoder_lr: float = 0.0            # > 0: the encoder trains too, at this rate (the latent moves:
                                       # rebuild the style library); 0: frozen
    beta: float = 1.0                  # ... and the KL term's weight then (below 1: the latent carries more)
    grid_weight: float = 0.0           # weight of train.losses.grid_loss (checkerboard frequencies)
    # decoder (issue 13: a checkerboard-free up-sampler)
    upsample: str = "transposed"       # transposed | nearest | bilinear: the last upsample_layers stages
    upsample_layers: int = 0           # stages rebuilt as upsample + 3x3 conv (from the shipped weights)
    # discriminator
    disc_width: int = 32               # channels of its first layer
    disc_layers: int = 3               # stride-2 layers after the first (70 px patches)
    r1_weight: float = 0.0             # R1 gradient penalty on real crops (gamma); 0: off
    r1_every: int = 4                  # lazy R1: every N steps, scaled by N (StyleGAN2)
    disc_shift: int = 0                # the discriminator sees real and decoded crops moved by up to N px
    face_feather: float = -1.0         # >= 0: the discriminator and feature net see the decode inside the
                                       # face interior below the brows on both real and decoded crops
                                       # (mirror.face.regions.soft_interior, feathered over this many px): the
                                       # part the mirror never draws is left to reconstruction; < 0: off
    # optimisation
    steps: int = 4000                  # decoder steps in total
    batch_size: int = 16
    lr: float = 1e-4                   # Adam (0.5, 0.9), decoder, at step 0
    disc_lr: float = 2e-4              # Adam (0.5, 0.9), discriminator, at step 0
    lr_min_ratio: float = 0.1          # both rates fall on a cosine to this fraction at `steps`
    ema: float = 0.995                 # decay of the decoder's weight average (the model saved); 0: off
    epoch_images: int = 1024           # train crops per "epoch" (validation + checkpoint)
    flip: bool = True                  # random left-right mirror of half the batch
    seed: int = 0
    save_every: int = 50               # checkpoint every N steps (and at every epoch end)
    log_every: int = 10                # history row every N steps
    val_images: int = 256              # val images scored at each epoch end
    threads: int = 2                   # torch intra-op threads
    max_minutes: float = 0.0           # stop (with a checkpoint) after this wall-clock time; 0: off
    torch_version: str = field(default=torch.__version__)


DEFAULTS = FinetuneConfig()


def build_model(engines: str, upsample: str = "transposed", upsample_layers: int = 0):
    """(VAE rebuilt from the ONNX files, the engines' specs.json with the model part updated).

    With ``upsample_layers`` > 0 the decoder's last stages become ``upsample`` + 3x3 conv
    (``mirror.edit.vae.Decoder``); their kernels start from the shipped transposed kernels
    (``transposed_to_upsample``, exact where a transposed kernel can be written so), every other
    weight is the shipped one.
    """
    from mirror.backends.torch import model_from_engines

    if not os.path.isdir(engines):
        raise MirrorError(f"engines folder not found: {engines}")
    shipped, specs = model_from_engines(load_model_files(engines, styles=False)), read_specs(engines)
    model_specs = specs["model"]
    if upsample_layers == model_specs.get("upsample_layers", 0) and \
            upsample == model_specs.get("upsample", "transposed"):
        return shipped, specs
    if model_specs.get("upsample_layers", 0):
        raise MirrorError(f"{engines} already has an upsample decoder; start from a transposed one")
    model_specs = {**model_specs, "upsample": upsample, "upsample_layers": upsample_layers}
    vae = model_from_specs(model_specs)
    vae.encoder.load_state_dict(shipped.encoder.state_dict())
    vae.decoder.head.load_state_dict(shipped.decoder.head.state_dict())

    def weighted(decoder):
        return [m for m in decoder.conv if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, ResBlock))]

    for old, new in zip(weighted(shipped.decoder), weighted(vae.decoder), strict=True):
        if isinstance(old, nn.ConvTranspose2d) and isinstance(new, nn.Conv2d):
            with torch.no_grad():
                new.weight.copy_(transposed_to_upsample(old.weight))
                new.bias.copy_(old.bias)
        else:
            new.load_state_dict(old.state_dict())
    return vae, {**specs, "model": model_specs}


@torch.no_grad()
def validate(vae, data: AlignedSet, rec_dist: str, hair_weight: float) -> dict:
    """Reconstruction term, PSNR and sharpness (Laplacian-variance ratio) of decoded means."""
    vae.eval()
    images, weights = data.batch(np.arange(len(data)), hair_weight)
    recon = torch.cat([vae.decoder(vae.encoder(images[i:i + 128])[0]) for i in range(0, len(images), 128)])
    vae.train()
    return {"val_rec": round(float(reconstruction_loss(images, recon, rec_dist, weights)), 2),
            "val_psnr": round(float(psnr(recon.numpy(), images.numpy()).mean()), 3),
            "val_sharpness": round(sharpness(to_crops(recon), data.crops), 4)}


def cosine_factor(step: int, steps: int, min_ratio: float) -> float:
    """Learning-rate factor at ``step``: 1 at step 0, falling on a cosine to ``min_ratio`` at ``steps``."""
    progress = min(step, steps) / max(steps, 1)
    return min_ratio + (1.0 - min_ratio) * 0.5 * (1.0 + math.cos(math.pi * progress))


def set_learning_rates(config: FinetuneConfig, step: int, optimizer, disc_optimizer) -> float:
    """Puts both optimizers on the schedule at ``step``; returns the decoder's rate."""
    factor = cosine_factor(step, config.steps, config.lr_min_ratio)
    # (the optimizer's groups: the decoder's, then the encoder's if it trains)
    for opt, rates in ((optimizer, (config.lr, config.encoder_lr)), (disc_optimizer, (config.disc_lr,))):
        for group, lr in zip(opt.param_groups, rates):
            group["lr"] = lr * factor
    return config.lr * factor


@torch.no_grad()
def update_ema(average: torch.nn.Module, model: torch.nn.Module, decay: float) -> None:
    """average <- decay * average + (1 - decay) * model, parameter by parameter; buffers copied."""
    for mean, value in zip(average.parameters(), model.parameters()):
        mean.lerp_(value, 1.0 - decay)
    for mean, value in zip(average.buffers(), model.buffers()):
        mean.copy_(value)


def save_checkpoint(path: str, vae, ema, disc, optimizer, disc_optimizer, epoch: int, batch: int,
                    step: int) -> None:
    """``model``: the averaged VAE, the run's model (``vae`` itself without EMA); ``decoder`` and
    ``encoder``: the trained ones."""
    state = {"model": ema.state_dict(), "decoder": vae.decoder.state_dict(), "encoder": vae.encoder.state_dict(),
             "discriminator": disc.state_dict(),
             "optimizer": optimizer.state_dict(), "disc_optimizer": disc_optimizer.state_dict(),
             "epoch": epoch, "batch": batch, "step": step}
    torch.save(state, path + ".tmp")
    os.replace(path + ".tmp", path)


def interior_masks(landmarks: np.ndarray, size: int, feather: float, flips: np.ndarray | None = None) -> torch.Tensor:
    """(B, 1, S, S) float32: the face interior below the brows of each crop (1 inside, feathered
    over ``feather`` px to 0 at its edge; ``mirror.face.regions.soft_interior``), mirrored where ``flips``."""
    from mirror.face.regions import soft_interior

    masks = np.stack([soft_interior(points, size, feather) for points in landmarks])
    if flips is not None:
        masks[flips] = masks[flips][:, :, ::-1]
    return torch.from_numpy(np.ascontiguousarray(masks)).unsqueeze(1)


def hold_inside(recon: torch.Tensor, interior: torch.Tensor | None) -> torch.Tensor:
    """``recon`` whose gradient is cut where ``interior`` is 1 (scaled by 1 - interior between):
    the same values, so a loss on it moves the decoder only outside the interior."""
    if interior is None:
        return recon
    return recon * (1 - interior) + recon.detach() * interior


def train_step(vae, disc, judge, optimizer, disc_optimizer, adversarial, config: FinetuneConfig,
               images: torch.Tensor, weights: torch.Tensor | None, rec_dist: str, step: int,
               interior: torch.Tensor | None = None) -> dict:
    """One decoder step, then one discriminator step, on a batch; returns the terms as floats.

    Args:
        vae: the VAE (its encoder frozen unless ``encoder_lr`` > 0); disc: the PatchDiscriminator; judge: the
            FusedClassifier for ``feature == "classifier"`` (else unused, may be None).
        adversarial: from ``train.losses.get_adversarial``.
        images: (B, 3, S, S) float32 in [0, 1]; weights: (B, 1, S, S) reconstruction weights or None.
        step: the global step (the adversarial term is on from ``config.gan_start``).
        interior: (B, 1, S, S) in [0, 1] or None: the face interior (``interior_masks``). The
            discriminator and the feature network then see, on the real side as on the decoded
            side, the decode there (detached), so they judge only the rest of the crop and neither
            pulls on the interior nor on its edge; the reconstruction term acts everywhere.
    """
    with torch.set_grad_enabled(config.encoder_lr > 0):
        mu, logvar = vae.encoder(images)
    recon = vae.decoder(mu if config.latent == "mean" else reparameterize(mu, logvar))
    kl = kl_per_dimension(mu, logvar).sum() if config.encoder_lr > 0 else torch.zeros(())
    rec = reconstruction_loss(images, recon, rec_dist, weights)
    # The same random offsets for a crop and its decode (so feature matching compares like with like).
    real_judged = images
    if interior is not None:   # both sides show the decode inside: nothing to judge there
        real_judged = images * (1 - interior) + recon.detach() * interior
    seen_real = random_shift(real_judged, config.disc_shift, torch.Generator().manual_seed(step))
    seen_fake = random_shift(hold_inside(recon, interior), config.disc_shift, torch.Generator().manual_seed(step))
    real_logits, real_features = disc(seen_real)
    fake_logits, fake_features = disc(seen_fake)
    if config.feature == "discriminator":
        feat = feature_matching(real_features, fake_features)
    elif config.feature == "classifier":
        with torch.no_grad():
            real_features_judged = judge.features(real_judged)
        feat = feature_matching(real_features_judged, judge.features(hold_inside(recon, interior)))
    else:
        feat = torch.zeros(())
    grid = grid_loss(recon, images) if config.grid_weight > 0 else torch.zeros(())
    nll = rec + config.feature_weight * feat + config.grid_weight * grid
    # (The adaptive weight balances the decoder's terms; the KL term joins after.)
    adv = adversarial.generator(fake_logits)
    weight = torch.zeros(())
    if step >= config.gan_start:
        weight = adaptive_weight(nll, adv, vae.decoder.conv[-1].weight) if config.adaptive else torch.ones(())
    loss = nll + config.disc_weight * weight * adv + config.beta * kl
    optimizer.zero_grad(set_to_none=True)
    loss.backward(inputs=[p for group in optimizer.param_groups for p in group["params"]])
    optimizer.step()
    disc_loss = adversarial.discriminator(real_logits, disc(seen_fake.detach())[0])
    r1 = torch.zeros(())
    if config.r1_weight > 0 and step % config.r1_every == 0:
        real = seen_real.detach().requires_grad_(True)
        r1 = r1_penalty(disc(real)[0], real)
        disc_loss = disc_loss + 0.5 * config.r1_weight * config.r1_every * r1
    disc_optimizer.zero_grad(set_to_none=True)
    disc_loss.backward()
    disc_optimizer.step()
    return {key: float(value.detach()) for key, value in
            (("loss", loss), ("rec", rec), ("kl", kl), ("feat", feat), ("grid", grid), ("adv", adv), ("lambda", weight),
             ("disc", disc_loss), ("r1", r1))}


def finetune(config: FinetuneConfig, resume: bool = False) -> dict:
    """Runs (or resumes) the fine-tune; returns the last epoch row.

    Raises:
        MirrorError: for a missing engines or data folder, a run folder that exists without
            --resume, or a corrupt checkpoint.
    """
    for name, choices, value in (("adversarial", tuple(ADVERSARIAL), config.adversarial),
                                 ("upsample", UPSAMPLES, config.upsample),
                                 ("feature", FEATURES, config.feature), ("latent", LATENTS, config.latent)):
        if value not in choices:
            raise ValueError(f"unknown {name} {value!r}; choose one of {choices}")
    if not 0.0 <= config.ema < 1.0 or config.lr_min_ratio < 0.0:
        raise ValueError(f"ema must be in [0, 1) and lr_min_ratio >= 0, got {config.ema} and "
                         f"{config.lr_min_ratio}")
    torch.set_num_threads(max(1, config.threads))
    run, checkpoint_path = config.run, os.path.join(config.run, CHECKPOINT)
    if not resume and os.path.isfile(checkpoint_path):
        raise MirrorError(f"{run} already holds a run; pass --resume to continue it or pick another --run")
    if resume and not os.path.isfile(checkpoint_path):
        raise MirrorError(f"nothing to resume: no {CHECKPOINT} in {run}")
    vae, engine_specs = build_model(config.engines, config.upsample, config.upsample_layers)
    rec_dist, hair_weight = engine_specs.get("rec_dist", "laplace"), engine_specs.get("hair_weight", 0.0)
    train_set = AlignedSet(config.data, "train", masks=hair_weight > 0)
    if train_set.size != vae.size:
        raise MirrorError(f"{config.data} holds {train_set.size} px crops, the model wants {vae.size}")
    val_set = AlignedSet(config.data, "val", config.val_images, masks=hair_weight > 0)

    torch.manual_seed(config.seed)
    vae.encoder.requires_grad_(config.encoder_lr > 0)
    ema = copy.deepcopy(vae).requires_grad_(False) if config.ema > 0 else vae
    disc = PatchDiscriminator(config.disc_width, config.disc_layers)
    groups = [{"params": list(vae.decoder.parameters())}]
    if config.encoder_lr > 0:
        groups.append({"params": list(vae.encoder.parameters())})
    optimizer = torch.optim.Adam(groups, lr=config.lr, betas=(0.5, 0.9))
    disc_optimizer = torch.optim.Adam(disc.parameters(), lr=config.disc_lr, betas=(0.5, 0.9))
    adversarial = get_adversarial(config.adversarial)
    judge = None
    if config.feature == "classifier":
        from train.classifier import load_fused_classifier
        judge = load_fused_classifier(os.path.join(config.engines, "classifier.onnx"))
    epoch, skip, step, history = 0, 0, 0, History(run)
    if resume:
        checkpoint = load_checkpoint(checkpoint_path)
        try:
            ema.load_state_dict(checkpoint["model"])
            vae.decoder.load_state_dict(checkpoint["decoder"])
            vae.encoder.load_state_dict(checkpoint.get("encoder", ema.encoder.state_dict()))
            disc.load_state_dict(checkpoint["discriminator"])
            optimizer.load_state_dict(checkpoint["optimizer"])
            disc_optimizer.load_state_dict(checkpoint["disc_optimizer"])
        except (KeyError, RuntimeError, ValueError):
            raise MirrorError(f"{checkpoint_path} is not a fine-tune checkpoint of these settings") from None
        epoch, skip, step = checkpoint["epoch"], checkpoint["batch"], checkpoint["step"]
        history = History.load(run)
        history.steps = [row for row in history.steps if row["step"] <= step]
        history.epochs = [row for row in history.epochs if row["step"] <= step]
        torch.manual_seed(config.seed + step)
    os.makedirs(run, exist_ok=True)
    write_specs(run, {**dataclasses.asdict(config), "model": engine_specs["model"],
                      "rec_dist": rec_dist, "hair_weight": hair_weight, "size": vae.size,
                      "latent_dim": vae.latent_dim, "loss": "finetune"})
    per_epoch = config.epoch_images // config.batch_size
    if per_epoch == 0 or len(train_set) < config.batch_size:
        raise MirrorError(f"epoch_images {config.epoch_images} and {len(train_set)} train images "
                          f"are fewer than one batch of {config.batch_size}")
    log.info("fine-tuning %s: %d steps of %d, %d steps per epoch, discriminator %.2fM parameters",
             run, config.steps - step, config.batch_size, per_epoch,
             sum(p.numel() for p in disc.parameters()) / 1e6)

    keys = ("loss", "rec", "kl", "feat", "grid", "adv", "lambda", "disc", "r1")
    window = dict.fromkeys(keys, 0.0) | {"n": 0, "t": time.time()}
    last = history.epochs[-1] if history.epochs else {}
    vae.train()
    deadline = time.time() + 60 * config.max_minutes if config.max_minutes > 0 else float("inf")
    while step < config.steps and time.time() < deadline:
        batches = epoch_order(len(train_set), config.seed, epoch, 0, 1, config.batch_size)[:per_epoch]
        b = skip
        while b < len(batches) and step < config.steps and time.time() < deadline:
            rows, flips = batches[b]
            images, weights = train_set.batch(rows, hair_weight, flips if config.flip else None)
            lr = set_learning_rates(config, step, optimizer, disc_optimizer)
            interior = None
            if config.face_feather >= 0:
                interior = interior_masks(train_set.landmarks[rows], vae.size, config.face_feather,
                                          flips if config.flip else None)
            terms = train_step(vae, disc, judge, optimizer, disc_optimizer, adversarial, config,
                               images, weights, rec_dist, step, interior)
            if ema is not vae:   # (the whole VAE where the encoder trains too)
                whole = config.encoder_lr > 0
                update_ema(ema if whole else ema.decoder, vae if whole else vae.decoder, config.ema)
            step, b = step + 1, b + 1
            for key in keys:
                window[key] += terms[key]
            window["n"] += 1
            if step % config.log_every == 0 or step == config.steps:
                seconds = max(time.time() - window["t"], 1e-9)
                row = {"step": step, "epoch": epoch, **{k: round(window[k] / window["n"], 4) for k in keys},
                       "lr": lr, "img_per_s": round(window["n"] * config.batch_size / seconds, 1)}
                history.steps.append(row)
                log.info("step %d: %s", step, {k: row[k] for k in keys + ("img_per_s",)})
                window = dict.fromkeys(keys, 0.0) | {"n": 0, "t": time.time()}
            if step % config.save_every == 0 and b < len(batches):
                save_checkpoint(checkpoint_path, vae, ema, disc, optimizer, disc_optimizer, epoch, b, step)
                history.save()
        if b < len(batches):
            # Stopped inside the epoch (steps or time): resume continues at batch b.
            save_checkpoint(checkpoint_path, vae, ema, disc, optimizer, disc_optimizer, epoch, b, step)
            break
        epoch, skip = epoch + 1, 0
        last = {"epoch": epoch - 1, "step": step, **validate(ema, val_set, rec_dist, hair_weight)}
        history.epochs.append(last)
        log.info("epoch %d: %s", epoch - 1, last)
        save_checkpoint(checkpoint_path, vae, ema, disc, optimizer, disc_optimizer, epoch, 0, step)
        history.save()
    history.save()
    return last


def parse_arguments(argv=None) -> argparse.Namespace:
    """Options not typed stay None, so that --resume takes them from the run's specs.json."""
    parser = argparse.ArgumentParser(prog="python -m train.finetune", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--resume", action="store_true", help="continue the run in --run")
    choices = {"adversarial": tuple(ADVERSARIAL), "feature": FEATURES, "latent": LATENTS,
               "upsample": UPSAMPLES}
    for f in dataclasses.fields(FinetuneConfig):
        if f.name == "torch_version":
            continue
        default = getattr(DEFAULTS, f.name)
        flag = "--" + f.name.replace("_", "-")
        if isinstance(default, bool):
            parser.add_argument("--no-" + flag[2:], dest=f.name, action="store_const", const=False,
                                default=None, help=f"turn off: {f.name} (default: on)")
        else:
            parser.add_argument(flag, type=type(default), default=None, choices=choices.get(f.name),
                                help=f"(default: {default})")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    return parser.parse_args(argv)


def build_config(args: argparse.Namespace) -> FinetuneConfig:
    """Defaults, then the run's specs.json (with --resume), then the flags typed: typed flags win."""
    names = {f.name for f in dataclasses.fields(FinetuneConfig)} - {"torch_version"}
    typed = {k: v for k, v in vars(args).items() if k in names and v is not None}
    values = dataclasses.asdict(DEFAULTS)
    if args.resume:
        specs = read_specs(typed.get("run", DEFAULTS.run))
        values.update({k: v for k, v in specs.items() if k in names})
    values.update(typed)
    values["torch_version"] = DEFAULTS.torch_version
    return FinetuneConfig(**values)


def main(args: argparse.Namespace) -> int:
    setup_logging(args.verbose, logging.INFO, native=True)
    try:
        last = finetune(build_config(args), resume=args.resume)
    except MirrorError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted: continue with --resume", file=sys.stderr)
        return 130
    print(json.dumps(last, indent=4))
    return 0


if __name__ == "__main__":
    sys.exit(main(parse_arguments()))
