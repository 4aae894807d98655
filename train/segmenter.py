"""The student hair segmenter: a small U-Net that learns the BiSeNet teacher's hair masks
(``python -m train.teacher``) and the person silhouette, fast enough for every live frame.

    python -m train.segmenter --data data/aligned128 --run runs/seg128            # ~10 min, 2 cores
    python -m train.segmenter --data data/aligned128 --run runs/seg128 --export engines

Inputs are aligned crops (B, 3, S, S) float32 BGR in [0, 1]; the output ``masks`` is
(B, 2, S, S) float32 probabilities: channel 0 hair, channel 1 person. The run folder gets
``model.pt``, ``specs.json`` and ``metrics.json``; ``--export`` writes ``segmenter.onnx`` there.

Where the teacher fails (it sometimes calls a dark background hair), its labels are cut to the
selfie silhouette grown a little; the student also sees crops whose background was replaced by
dark or random colours, blurred crops, and the VAE's own decodes of the crops (the mirror
segments those to see where an edit adds or removes hair).
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
from dataclasses import asdict, dataclass

import cv2
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from mirror.cli import setup_logging
from mirror.errors import MirrorError

log = logging.getLogger(__name__)

HAIR, PERSON = 0, 1


@dataclass
class Config:
    data: str = "data/aligned128"
    run: str = "runs/seg128"
    width: int = 16             # channels of the first level; doubled, then x1.5 per level
    epochs: int = 6
    batch_size: int = 32
    lr: float = 3e-3
    seed: int = 0
    threads: int = 2
    grow: int = 7               # px at 128: the teacher's hair is kept within the silhouette grown this much
    p_background: float = 0.3   # share of crops whose background is replaced
    p_blur: float = 0.15        # share blurred (sigma 0.5-1.5 px)
    p_decode: float = 0.25      # share replaced by the VAE's decode of the crop (needs --engines)
    engines: str | None = "engines"


def block(cin: int, cout: int, stride: int = 1) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True))


class Student(nn.Module):
    """U-Net of four levels (S/2 .. S/16); logits at S/2, upsampled to S.

    Args:
        width: channels of the first level.
    """

    def __init__(self, width: int = 16):
        super().__init__()
        w = [width, 2 * width, 3 * width, 4 * width]
        self.down = nn.ModuleList([nn.Sequential(block(3, w[0], 2), block(w[0], w[0])),
                                   nn.Sequential(block(w[0], w[1], 2), block(w[1], w[1])),
                                   nn.Sequential(block(w[1], w[2], 2), block(w[2], w[2])),
                                   nn.Sequential(block(w[2], w[3], 2), block(w[3], w[3]))])
        self.up = nn.ModuleList([block(w[3] + w[2], w[2]), block(w[2] + w[1], w[1]), block(w[1] + w[0], w[0])])
        self.head = nn.Conv2d(w[0], 2, 1)

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        """(B, 3, S, S) BGR in [0, 1] -> (B, 2, S, S) logits (hair, person)."""
        skips = []
        x = image - 0.5
        for level in self.down:
            x = level(x)
            skips.append(x)
        for level, skip in zip(self.up, reversed(skips[:-1])):
            x = level(torch.cat([F.interpolate(x, skip.shape[2:], mode="bilinear", align_corners=False), skip], 1))
        return F.interpolate(self.head(x), image.shape[2:], mode="bilinear", align_corners=False)


class Exported(nn.Module):
    """What ships: probabilities instead of logits."""

    def __init__(self, student: Student):
        super().__init__()
        self.student = student

    def forward(self, image):
        return torch.sigmoid(self.student(image))


def labels(teacher: np.ndarray, person: np.ndarray, grow: int) -> np.ndarray:
    """(N, 2, S, S) float32 targets: the teacher's hair within the grown silhouette, and the person.

    Args:
        teacher: (N, S, S) uint8 teacher hair probability x 255.
        person: (N, S, S) uint8 selfie-segmentation probability x 255.
    """
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * grow + 1, 2 * grow + 1))
    out = np.empty((len(teacher), 2) + teacher.shape[1:], np.float32)
    for i, (t, p) in enumerate(zip(teacher, person)):
        silhouette = cv2.dilate((p > 127).astype(np.uint8), kernel).astype(np.float32)
        # The teacher's softmax peaks near 0.7 for hair: 0.6 and up counts as sure.
        out[i, HAIR] = np.clip(t.astype(np.float32) / (0.6 * 255), 0, 1) * silhouette
        out[i, PERSON] = p.astype(np.float32) / 255
    return out


def augment(x: torch.Tensor, y: torch.Tensor, decodes: torch.Tensor | None, config: Config,
            gen: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """Flips, colour jitter, replaced backgrounds, blur and decodes, batch-wise."""
    n = len(x)

    def pick(p):
        return (torch.rand(n, generator=gen) < p).view(n, 1, 1, 1)

    if decodes is not None:
        x = torch.where(pick(config.p_decode), decodes, x)
    flip = pick(0.5)
    x, y = torch.where(flip, x.flip(3), x), torch.where(flip, y.flip(3), y)
    person = y[:, PERSON:PERSON + 1]
    dark = torch.rand(n, 3, 1, 1, generator=gen) * torch.where(pick(0.6), 0.15, 1.0)
    ramp = torch.linspace(-1, 1, x.shape[2]).view(1, 1, -1, 1) * (torch.rand(n, 1, 1, 1, generator=gen) - 0.5) * 0.3
    noise = torch.randn(x.shape, generator=gen) * 0.03
    background = (dark + ramp + noise).clamp(0, 1)
    x = torch.where(pick(config.p_background), person * x + (1 - person) * background, x)
    gain = 1 + (torch.rand(n, 3, 1, 1, generator=gen) - 0.5) * 0.2
    brightness = 1 + (torch.rand(n, 1, 1, 1, generator=gen) - 0.5) * 0.6
    x = (x * gain * brightness).clamp(0, 1)
    blurred = pick(config.p_blur)
    if blurred.any():
        sigma = float(0.5 + torch.rand(1, generator=gen))
        k = torch.exp(-torch.arange(-3, 4, dtype=torch.float32) ** 2 / (2 * sigma ** 2))
        k = (k / k.sum()).view(1, 1, 1, 7).repeat(3, 1, 1, 1)
        soft = F.pad(x, (3, 3, 3, 3), mode="replicate")
        soft = F.conv2d(F.conv2d(soft, k, groups=3), k.transpose(2, 3), groups=3)
        x = torch.where(blurred, soft, x)
    return x, y


def loss_fn(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Binary cross-entropy on both channels plus a soft Dice term on hair."""
    bce = F.binary_cross_entropy_with_logits(logits, target)
    prob = torch.sigmoid(logits[:, HAIR])
    t = target[:, HAIR]
    dice = 1 - (2 * (prob * t).sum((1, 2)) + 1) / (prob.sum((1, 2)) + t.sum((1, 2)) + 1)
    return bce + 0.5 * dice.mean()


def iou(pred: np.ndarray, target: np.ndarray) -> float:
    """Mean IoU of (N, S, S) probability maps thresholded at 0.5 (images with neither count as 1)."""
    p, t = pred > 0.5, target > 0.5
    inter = (p & t).sum((1, 2))
    union = (p | t).sum((1, 2))
    return float(np.where(union > 0, inter / np.maximum(union, 1), 1.0).mean())


def decodes_of(engines: str, crops: np.ndarray) -> np.ndarray:
    """(N, S, S, 3) uint8 BGR crops -> (N, 3, S, S) float32 VAE decodes (the shipped float model)."""
    from mirror.backends import load_model_files
    from mirror.backends.onnxruntime import OnnxRuntimeBackend

    backend = OnnxRuntimeBackend(load_model_files(engines))
    out = []
    for i in range(0, len(crops), 64):
        x = crops[i:i + 64].transpose(0, 3, 1, 2).astype(np.float32) / 255
        out.append(backend.decode(backend.encode(x)))
    return np.concatenate(out)


def load_split(folder: str, split: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(crops (N, S, S, 3) uint8, labels (N, 2, S, S) float32, raw teacher (N, S, S) uint8) of the
    teacher-labelled rows of one split (0 train, 1 val, 2 test)."""
    path = os.path.join(folder, "teacher.npy")
    if not os.path.isfile(path):
        raise MirrorError(f"no teacher labels in {folder}: run python -m train.teacher --data {folder}")
    rows = np.flatnonzero((np.load(os.path.join(folder, "split.npy")) == split)
                          & np.load(os.path.join(folder, "teacher_rows.npy")))
    teacher = np.load(path, mmap_mode="r")[rows]
    person = np.load(os.path.join(folder, "person.npy"), mmap_mode="r")[rows]
    crops = np.ascontiguousarray(np.load(os.path.join(folder, "crops.npy"), mmap_mode="r")[rows])
    return crops, labels(teacher, person, Config.grow), np.asarray(teacher)


@torch.no_grad()
def predict(model: nn.Module, crops: np.ndarray) -> np.ndarray:
    """(N, S, S, 3) uint8 -> (N, 2, S, S) float32 probabilities."""
    model.eval()
    out = []
    for i in range(0, len(crops), 128):
        x = torch.from_numpy(crops[i:i + 128].transpose(0, 3, 1, 2).astype(np.float32) / 255)
        out.append(torch.sigmoid(model(x)).numpy())
    return np.concatenate(out)


def train(config: Config) -> dict:
    """Trains the student; writes ``model.pt``, ``specs.json`` and ``metrics.json`` to the run."""
    torch.manual_seed(config.seed)
    torch.set_num_threads(config.threads)
    os.makedirs(config.run, exist_ok=True)
    crops, target, _ = load_split(config.data, 0)
    val_crops, val_target, _ = load_split(config.data, 1)
    decodes = torch.from_numpy(decodes_of(config.engines, crops)) if config.engines and config.p_decode > 0 else None
    x_all = torch.from_numpy(crops.transpose(0, 3, 1, 2).copy())
    y_all = torch.from_numpy(target)
    model = Student(config.width)
    steps = config.epochs * (len(crops) // config.batch_size)
    optimizer = torch.optim.AdamW(model.parameters(), lr=config.lr, weight_decay=1e-4)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, config.lr, total_steps=steps, pct_start=0.1)
    gen = torch.Generator().manual_seed(config.seed)
    start = time.perf_counter()
    history = []
    step = 0
    for epoch in range(config.epochs):
        model.train()
        order = torch.randperm(len(crops), generator=gen)
        total = 0.0
        for b in range(len(crops) // config.batch_size):
            idx = order[b * config.batch_size:(b + 1) * config.batch_size]
            x, y = augment(x_all[idx].float() / 255, y_all[idx], None if decodes is None else decodes[idx],
                           config, gen)
            loss = loss_fn(model(x), y)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            schedule.step()
            total += float(loss.detach())
            step += 1
        pred = predict(model, val_crops)
        history.append({"epoch": epoch, "loss": round(total / max(1, len(crops) // config.batch_size), 4),
                        "val_hair_iou": round(iou(pred[:, HAIR], val_target[:, HAIR]), 4),
                        "val_person_iou": round(iou(pred[:, PERSON], val_target[:, PERSON]), 4),
                        "seconds": round(time.perf_counter() - start, 1)})
        log.info("%s", history[-1])
    torch.save(model.state_dict(), os.path.join(config.run, "model.pt"))
    with open(os.path.join(config.run, "specs.json"), "w") as f:
        json.dump({**asdict(config), "train_crops": len(crops), "torch_version": torch.__version__},
                  f, indent=4, sort_keys=True)
    with open(os.path.join(config.run, "history.json"), "w") as f:
        json.dump(history, f, indent=4)
    return history[-1]


def load_student(run: str) -> Student:
    with open(os.path.join(run, "specs.json")) as f:
        specs = json.load(f)
    model = Student(specs["width"])
    model.load_state_dict(torch.load(os.path.join(run, "model.pt"), map_location="cpu", weights_only=True))
    return model.eval()


def evaluate(run: str, data: str) -> dict:
    """Student vs teacher on the labelled test crops: IoU against the (silhouette-cut) labels
    and against the raw teacher, per channel."""
    model = load_student(run)
    crops, target, teacher = load_split(data, 2)
    pred = predict(model, crops)
    result = {"test_crops": len(crops),
              "hair_iou_vs_labels": round(iou(pred[:, HAIR], target[:, HAIR]), 4),
              "hair_iou_vs_raw_teacher": round(iou(pred[:, HAIR], teacher / (0.6 * 255)), 4),
              "person_iou_vs_selfie": round(iou(pred[:, PERSON], target[:, PERSON]), 4)}
    with open(os.path.join(run, "metrics.json"), "w") as f:
        json.dump(result, f, indent=4, sort_keys=True)
    return result


def export(run: str, out_dir: str) -> str:
    """Writes ``segmenter.onnx`` (input ``image`` (B, 3, S, S), output ``masks`` (B, 2, S, S))."""
    with open(os.path.join(run, "specs.json")) as f:
        specs = json.load(f)
    size = int(np.load(os.path.join(specs["data"], "crops.npy"), mmap_mode="r").shape[1])
    path = os.path.join(out_dir, "segmenter.onnx")
    torch.onnx.export(Exported(load_student(run)), torch.rand(1, 3, size, size), path,
                      input_names=["image"], output_names=["masks"],
                      dynamic_axes={"image": {0: "batch"}, "masks": {0: "batch"}}, dynamo=False)
    return path


def contact_sheet(run: str, data: str, out: str, count: int = 64) -> str:
    """A sheet of ``count`` test crops with the student's hair mask over them (red) beside the
    teacher's, for looking at."""
    model = load_student(run)
    crops, target, _ = load_split(data, 2)
    crops = crops[np.linspace(0, len(crops) - 1, count).astype(int)]
    target = target[np.linspace(0, len(target) - 1, count).astype(int)] if len(target) >= count else target
    pred = predict(model, crops)
    tiles = []
    for crop, p, t in zip(crops, pred[:, HAIR], target[:, HAIR]):
        def tint(mask):
            out = crop.astype(np.float32)
            out[..., 2] = out[..., 2] * (1 - mask) + 255 * mask
            return out.clip(0, 255).astype(np.uint8)
        tiles.append(np.hstack([crop, tint(p), tint(t)]))
    rows = [np.hstack(tiles[i:i + 4]) for i in range(0, len(tiles), 4)]
    cv2.imwrite(out, np.vstack(rows))
    return out


def parse_arguments(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m train.segmenter", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    defaults = Config()
    parser.add_argument("--data", default=defaults.data)
    parser.add_argument("--run", default=defaults.run)
    parser.add_argument("--epochs", type=int, default=defaults.epochs)
    parser.add_argument("--width", type=int, default=defaults.width)
    parser.add_argument("--engines", default=defaults.engines, help="the VAE whose decodes the student also sees")
    parser.add_argument("--export", metavar="DIR", help="only export the run to DIR/segmenter.onnx")
    parser.add_argument("--sheet", metavar="PNG", help="only draw a contact sheet of 64 test masks")
    parser.add_argument("-v", "--verbose", action="store_true")
    return parser.parse_args(argv)


def main(args: argparse.Namespace) -> int:
    setup_logging(True)
    try:
        if args.export:
            log.info("wrote %s", export(args.run, args.export))
        elif args.sheet:
            log.info("wrote %s", contact_sheet(args.run, args.data, args.sheet))
        else:
            config = Config(data=args.data, run=args.run, epochs=args.epochs, width=args.width,
                            engines=args.engines)
            log.info("last epoch: %s", train(config))
            log.info("test: %s", evaluate(args.run, args.data))
    except MirrorError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(parse_arguments()))
