"""The training loop: one explicit loop, one run folder, single process or DistributedDataParallel.

A run folder holds:
    specs.json        every setting of the run (indent=4, sort_keys=True); load_model() reads it
    model.pt          the latest checkpoint: model, optimizer, epoch/step counters, RNG state
    history.json      one row per logged step: step, epoch, loss, rec, kl, lr, img_per_s
    history.csv       the same rows as CSV
    epochs.json       one row per epoch: val loss terms and val PSNR
    events.out.tfevents.*  TensorBoard (``tensorboard --logdir runs``)

Under ``torchrun`` (WORLD_SIZE > 1) each rank takes every WORLD_SIZE-th image of the epoch's
shuffled order; DistributedDataParallel averages the gradients (gloo on CPU, nccl on GPU) and
only rank 0 writes to the run folder.
"""
from __future__ import annotations

import csv
import dataclasses
import json
import logging
import math
import os
import time
from dataclasses import dataclass, field

import numpy as np
import torch

from mirror.errors import MirrorError
from mirror.edit.vae import CHECKPOINT, MODEL_KEYS, load_checkpoint, model_from_specs, write_specs
from train.data import AlignedSet
from train.losses import get_loss
from train.metrics import psnr

log = logging.getLogger(__name__)


@dataclass
class Config:
    """Every setting of a run; saved as specs.json. Defaults are the shipped model's."""

    data: str = "data/aligned128"      # prepared folder (python -m train.prepare)
    run: str = "runs/vae128"           # run folder (created)
    # model
    size: int = 128                    # image side; must match the prepared folder
    latent_dim: int = 128              # Z
    width: int = 16                    # channels after the first stride-2 conv (x2 per stage)
    max_width: int = 256               # channel cap
    blocks: int = 1                    # residual blocks per resolution <= 16 px, each half
    # loss
    loss: str = "betaH"                # vae | betaH | betaB
    rec_dist: str = "laplace"          # bernoulli | laplace | gaussian
    beta: float = 1.0                  # betaH weight on the KL term
    warmup_steps: int = 0              # vae/betaH: KL weight ramps 0 -> beta over these steps
    c_init: float = 0.0                # betaB: capacity at step 0 (nats)
    c_max: float = 200.0               # betaB: final capacity (nats)
    gamma: float = 100.0               # betaB: weight on |KL - C|
    anneal_steps: int = 10000          # betaB: steps over which C grows
    hair_weight: float = 1.0           # reconstruction weight 1 + hair_weight * hair mask
    # optimisation
    epochs: int = 30
    batch_size: int = 64               # per process
    lr: float = 5e-4                   # Adam; cosine decay to lr * lr_min_ratio over all epochs
    lr_min_ratio: float = 0.05
    flip: bool = True                  # random left-right mirror of half the batch
    seed: int = 0
    limit: int | None = None           # train on the first N train images only
    max_steps: int | None = None       # stop after this many steps in total (tests, probes)
    save_every: int = 500              # checkpoint every N steps (and at every epoch end)
    log_every: int = 10                # history row every N steps
    val_images: int = 512              # val images scored at each epoch end
    threads: int = 2                   # torch intra-op threads per process
    # filled in by the loop
    world_size: int = 1
    torch_version: str = field(default=torch.__version__)

    def model_specs(self) -> dict:
        return {key: getattr(self, key) for key in MODEL_KEYS}

    def to_specs(self) -> dict:
        specs = dataclasses.asdict(self)
        specs["model"] = self.model_specs()
        return specs

    @classmethod
    def from_specs(cls, specs: dict) -> "Config":
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in specs.items() if k in names})


class Distributed:
    """The torchrun environment (or a single process)."""

    def __init__(self):
        self.world_size = int(os.environ.get("WORLD_SIZE", "1"))
        self.rank = int(os.environ.get("RANK", "0"))
        self.local_rank = int(os.environ.get("LOCAL_RANK", "0"))
        self.enabled = self.world_size > 1
        if torch.cuda.is_available():
            self.device = torch.device("cuda", self.local_rank)
            torch.cuda.set_device(self.device)
        else:
            self.device = torch.device("cpu")
        if self.enabled and not torch.distributed.is_initialized():
            backend = "nccl" if self.device.type == "cuda" else "gloo"
            torch.distributed.init_process_group(backend=backend)

    @property
    def main(self) -> bool:
        return self.rank == 0

    def close(self) -> None:
        if self.enabled and torch.distributed.is_initialized():
            torch.distributed.destroy_process_group()


class History:
    """Step rows and epoch rows, kept in memory and rewritten as JSON + CSV on save."""

    def __init__(self, run: str, steps: list | None = None, epochs: list | None = None):
        self.run, self.steps, self.epochs = run, steps or [], epochs or []

    @classmethod
    def load(cls, run: str) -> "History":
        def read(name):
            path = os.path.join(run, name)
            if not os.path.isfile(path):
                return []
            with open(path) as f:
                return json.load(f)
        return cls(run, read("history.json"), read("epochs.json"))

    def save(self) -> None:
        for name, rows in (("history", self.steps), ("epochs", self.epochs)):
            _atomic_json(os.path.join(self.run, name + ".json"), rows)
        if self.steps:
            with open(os.path.join(self.run, "history.csv"), "w", newline="") as f:
                writer = csv.DictWriter(f, fieldnames=list(self.steps[0]))
                writer.writeheader()
                writer.writerows(self.steps)


def _atomic_json(path: str, value) -> None:
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(value, f, indent=1)
    os.replace(tmp, path)


def learning_rate(config: Config, step: int, total_steps: int) -> float:
    """Cosine decay from lr to lr * lr_min_ratio over total_steps."""
    progress = min(1.0, step / max(total_steps, 1))
    low = config.lr * config.lr_min_ratio
    return low + (config.lr - low) * 0.5 * (1 + math.cos(math.pi * progress))


def epoch_order(n: int, seed: int, epoch: int, rank: int, world_size: int, batch_size: int):
    """This rank's batches (lists of row numbers) and flip flags for one epoch; the same on every
    rank up to the rank's share, and reproducible from (seed, epoch) so resume can skip ahead."""
    rng = np.random.default_rng([seed, epoch])
    order = rng.permutation(n)
    flips = rng.random(n) < 0.5
    per_rank = n // world_size
    order, flips = order[rank * per_rank:(rank + 1) * per_rank], flips[rank * per_rank:(rank + 1) * per_rank]
    count = per_rank // batch_size
    return [(order[i * batch_size:(i + 1) * batch_size], flips[i * batch_size:(i + 1) * batch_size])
            for i in range(count)]


def save_checkpoint(path: str, model, optimizer, epoch: int, batch: int, step: int) -> None:
    """Atomic write of model + optimizer + counters."""
    state = {"model": model.state_dict(), "optimizer": optimizer.state_dict(),
             "epoch": epoch, "batch": batch, "step": step}
    tmp = path + ".tmp"
    torch.save(state, tmp)
    os.replace(tmp, path)


@torch.no_grad()
def validate(model, data: AlignedSet, config: Config, loss_fn, step: int) -> dict:
    """Loss terms (with z = mu) and PSNR on the first ``val_images`` images of ``data``."""
    model.eval()
    totals = {"val_loss": 0.0, "val_rec": 0.0, "val_kl": 0.0, "val_psnr": 0.0}
    count = min(len(data), config.val_images)
    for start in range(0, count, 128):
        rows = np.arange(start, min(start + 128, count))
        images, weights = data.batch(rows, config.hair_weight)
        recon, mu, logvar, _ = model(images, sample=False)
        terms = loss_fn(images, recon, mu, logvar, step, weights)
        for key in ("loss", "rec", "kl"):
            totals["val_" + key] += float(terms[key]) * len(rows)
        totals["val_psnr"] += float(psnr(recon.cpu().numpy(), images.cpu().numpy()).sum())
    model.train()
    return {k: round(v / count, 4) for k, v in totals.items()}


def train(config: Config, resume: bool = False, on_end=None) -> dict:
    """Runs (or resumes) the training described by ``config``; returns the last epoch row.

    ``on_end(model, rank)``, if given, is called on every process with the trained model before
    the process group closes (the DDP test compares the ranks' weights this way).

    Raises:
        MirrorError: for a bad data folder, a run folder that exists without --resume, or a
            corrupt checkpoint.
    """
    dist = Distributed()
    torch.set_num_threads(max(1, config.threads))
    config.world_size = dist.world_size
    try:
        return _train(config, resume, dist, on_end)
    finally:
        dist.close()


def _train(config: Config, resume: bool, dist: Distributed, on_end=None) -> dict:
    run = config.run
    checkpoint_path = os.path.join(run, CHECKPOINT)
    if not resume and os.path.isfile(checkpoint_path):
        raise MirrorError(f"{run} already holds a run; pass --resume to continue it or pick "
                          f"another --run")
    if resume and not os.path.isfile(checkpoint_path):
        raise MirrorError(f"nothing to resume: no {CHECKPOINT} in {run}")
    checkpoint = load_checkpoint(checkpoint_path) if resume else None
    train_set = AlignedSet(config.data, "train", config.limit, masks=config.hair_weight > 0)
    if train_set.size != config.size:
        raise MirrorError(f"{config.data} holds {train_set.size} px crops but --size is {config.size}")
    val_set = AlignedSet(config.data, "val", config.val_images, masks=config.hair_weight > 0)

    torch.manual_seed(config.seed)
    model = model_from_specs(config.model_specs()).to(dist.device)
    optimizer = torch.optim.Adam(model.parameters(), lr=config.lr)
    loss_fn = get_loss(config.loss, config.rec_dist, config.beta, config.warmup_steps,
                       config.c_init, config.c_max, config.gamma, config.anneal_steps)
    epoch, skip, step = 0, 0, 0
    history = History(run)
    if resume:
        try:
            model.load_state_dict(checkpoint["model"])
        except RuntimeError:
            raise MirrorError(f"{checkpoint_path} does not match the run's specs.json") from None
        optimizer.load_state_dict(checkpoint["optimizer"])
        epoch, skip, step = checkpoint["epoch"], checkpoint["batch"], checkpoint["step"]
        history = History.load(run)
        history.steps = [row for row in history.steps if row["step"] <= step]
        history.epochs = [row for row in history.epochs if row["epoch"] < epoch]
        torch.manual_seed(config.seed + step)
    if dist.main:
        os.makedirs(run, exist_ok=True)
        write_specs(run, config.to_specs())
    net = model
    if dist.enabled:
        net = torch.nn.parallel.DistributedDataParallel(
            model, device_ids=[dist.local_rank] if dist.device.type == "cuda" else None)

    writer = None
    if dist.main:
        from torch.utils.tensorboard import SummaryWriter
        writer = SummaryWriter(run, purge_step=step if resume else None)
    steps_per_epoch = len(train_set) // dist.world_size // config.batch_size
    if steps_per_epoch == 0:
        raise MirrorError(f"{len(train_set)} images are fewer than one batch of "
                          f"{config.batch_size} x {dist.world_size} processes")
    total_steps = steps_per_epoch * config.epochs
    if config.max_steps is not None:
        total_steps = min(total_steps, config.max_steps)
    log.info("training %s: %d images, %d steps/epoch, %d steps, model %.2fM parameters",
             run, len(train_set), steps_per_epoch, total_steps,
             sum(p.numel() for p in model.parameters()) / 1e6)

    from tqdm import tqdm
    import sys
    bar = tqdm(total=total_steps, initial=step, unit="step", disable=not dist.main,
               dynamic_ncols=True, mininterval=0.5 if sys.stderr.isatty() else 10)
    last = {}
    model.train()
    window = {"loss": 0.0, "rec": 0.0, "kl": 0.0, "n": 0, "images": 0, "t": time.time()}
    while epoch < config.epochs and step < total_steps:
        batches = epoch_order(len(train_set), config.seed, epoch, dist.rank, dist.world_size,
                              config.batch_size)
        b = skip
        while b < len(batches) and step < total_steps:
            rows, flips = batches[b]
            images, weights = train_set.batch(rows, config.hair_weight, flips if config.flip else None)
            images = images.to(dist.device)
            weights = weights.to(dist.device) if weights is not None else None
            lr = learning_rate(config, step, total_steps)
            for group in optimizer.param_groups:
                group["lr"] = lr
            recon, mu, logvar, _ = net(images)
            terms = loss_fn(images, recon, mu, logvar, step, weights)
            optimizer.zero_grad(set_to_none=True)
            terms["loss"].backward()
            optimizer.step()
            step, b = step + 1, b + 1
            for key in ("loss", "rec", "kl"):
                window[key] += terms[key].item()
            window["n"] += 1
            window["images"] += len(rows) * dist.world_size
            if dist.main and (step % config.log_every == 0 or step == total_steps):
                seconds = max(time.time() - window["t"], 1e-9)
                row = {"step": step, "epoch": epoch,
                       **{k: round(window[k] / window["n"], 4) for k in ("loss", "rec", "kl")},
                       "lr": round(lr, 7), "img_per_s": round(window["images"] / seconds, 1)}
                history.steps.append(row)
                for key in ("loss", "rec", "kl", "lr", "img_per_s"):
                    writer.add_scalar(f"train/{key}", row[key], step)
                bar.set_postfix(epoch=epoch, loss=f"{row['loss']:.1f}", kl=f"{row['kl']:.1f}",
                                img_s=f"{row['img_per_s']:.0f}")
                window = {"loss": 0.0, "rec": 0.0, "kl": 0.0, "n": 0, "images": 0, "t": time.time()}
            bar.update(1)
            if dist.main and step % config.save_every == 0 and b < len(batches):
                save_checkpoint(checkpoint_path, model, optimizer, epoch, b, step)
                history.save()
        if b < len(batches):
            # Stopped inside the epoch (max_steps): resume continues at batch b.
            if dist.main:
                save_checkpoint(checkpoint_path, model, optimizer, epoch, b, step)
            break
        epoch, skip = epoch + 1, 0
        if dist.main:
            last = {"epoch": epoch - 1, "step": step, **validate(model, val_set, config, loss_fn, step)}
            history.epochs.append(last)
            for key, value in last.items():
                if key.startswith("val_"):
                    writer.add_scalar(f"val/{key[4:]}", value, step)
            log.info("epoch %d: %s", epoch - 1, last)
            save_checkpoint(checkpoint_path, model, optimizer, epoch, 0, step)
            history.save()
    bar.close()
    if dist.main:
        history.save()
        writer.close()
    if on_end is not None:
        on_end(model, dist.rank)
    return last
