"""The student hair segmenter: a small U-Net that learns the BiSeNet teacher's hair masks
(``python -m train.teacher``) and the person silhouette, fast enough for every live frame.

    python -m train.segmenter --data data/aligned128 --run runs/seg128            # ~10 min, 2 cores
    python -m train.segmenter --data data/aligned128 --run runs/seg128 --export engines

Inputs are aligned crops (B, 3, S, S) float32 BGR in [0, 1]; the output ``masks`` is
(B, 2, S, S) float32 probabilities: channel 0 hair, channel 1 person. The run folder gets
``model.pt``, ``specs.json`` and ``metrics.json``; ``--export`` writes ``segmenter.onnx`` there.

Where the teacher fails (it sometimes calls a dark background hair), its labels are cut to the
selfie silhouette grown a little. 60 % of the crops get a new wall behind the silhouette, with no
hair on it: plain dark or random colours, dark curly noise with specks, or the person's own hair
tiled, so dark texture beside the head is not taken for hair. Crops with a hat are drawn 4x as
often (a cap is not hair). The student also sees blurred crops and the VAE's own decodes of the
crops (the mirror segments those to see where an edit adds or removes hair).
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
SURE = 0.6              # the teacher's softmax peaks near 0.7 for hair: from this on it is sure


@dataclass
class Config:
    data: str = "data/aligned128"
    run: str = "runs/seg128"
    width: int = 16             # channels of the first level; doubled, then x1.5 per level
    epochs: int = 14
    batch_size: int = 32
    lr: float = 3e-3
    seed: int = 0
    threads: int = 2
    grow: int = 7               # px at 128: the teacher's hair is kept within the silhouette grown this much
    p_background: float = 0.6   # share of crops whose background is replaced (plain, curly, hair)
    p_blur: float = 0.15        # share blurred (sigma 0.5-1.5 px)
    p_decode: float = 0.25      # share replaced by the VAE's decode of the crop (needs --engines)
    engines: str | None = "engines"
    hat_weight: float = 4.0     # crops with a hat are drawn this many times as often
    dark_weight: float = 3.0    # crops with a dark wall (``dark_walls``) are drawn this many times as often
    label_floor: float = 0.25   # teacher hair probability counted as none off the person (its doubt over a dark wall)


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


def labels(teacher: np.ndarray, person: np.ndarray, grow: int, floor: float = 0.0) -> np.ndarray:
    """(N, 2, S, S) float32 targets: the teacher's hair within the grown silhouette, and the person.

    Args:
        teacher: (N, S, S) uint8 teacher hair probability x 255.
        person: (N, S, S) uint8 selfie-segmentation probability x 255.
        floor: teacher probability that counts as no hair off the person (its target rises from
            there to 1 at SURE; on the person, from 0).
    """
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * grow + 1, 2 * grow + 1))
    out = np.empty((len(teacher), 2) + teacher.shape[1:], np.float32)
    for i, (t, p) in enumerate(zip(teacher, person)):
        silhouette = cv2.dilate((p > 127).astype(np.uint8), kernel).astype(np.float32)
        # (the floor off the person only: on it, a strand's end over the skin is as doubtful)
        none = floor * (1.0 - p.astype(np.float32) / 255)
        out[i, HAIR] = np.clip((t.astype(np.float32) / 255 - none) / (SURE - none), 0, 1) * silhouette
        out[i, PERSON] = p.astype(np.float32) / 255
    return out


def plain_backgrounds(n: int, size: int, gen: torch.Generator) -> torch.Tensor:
    """(n, 3, S, S) walls of one colour (mostly dark), a ramp and a little noise."""
    dark = torch.rand(n, 3, 1, 1, generator=gen) * torch.where(torch.rand(n, 1, 1, 1, generator=gen) < 0.6, 0.15, 1.0)
    ramp = torch.linspace(-1, 1, size).view(1, 1, -1, 1) * (torch.rand(n, 1, 1, 1, generator=gen) - 0.5) * 0.3
    return (dark + ramp + torch.randn(n, 3, size, size, generator=gen) * 0.03).clamp(0, 1)


def curl_backgrounds(n: int, size: int, gen: torch.Generator) -> torch.Tensor:
    """(n, 3, S, S) dark textured walls: ridged noise of several scales (curl-like lines) and
    sparse bright specks on a dark colour."""
    noise = sum(F.interpolate(torch.randn(n, 1, size // s, size // s, generator=gen), (size, size),
                              mode="bicubic", align_corners=False) / s ** 0.5 for s in (2, 4, 8, 16))
    ridges = (1 - noise.abs() * 1.5).clamp(0, 1) ** 2
    specks = (torch.rand(n, 1, size, size, generator=gen) < 0.03 * torch.rand(n, 1, 1, 1, generator=gen)).float()
    base = torch.rand(n, 3, 1, 1, generator=gen) * 0.2
    tint = 0.5 + torch.rand(n, 3, 1, 1, generator=gen) * 0.5
    amount = 0.15 + torch.rand(n, 1, 1, 1, generator=gen) * 0.5
    return (base + amount * tint * ridges + 0.5 * specks).clamp(0, 1)


def hair_backgrounds(x: torch.Tensor, hair: torch.Tensor, patch: int = 32) -> torch.Tensor:
    """(n, 3, S, S) walls tiled from the hairiest ``patch``-px square of each crop itself
    (mirrored tiles, no seams): the person's own hair texture where no head is, so that only the
    head's shape tells hair from wall."""
    n, _, size, _ = x.shape
    stride = patch // 2
    cells = F.avg_pool2d(hair, patch, stride).flatten(1).argmax(1)
    per_row = (size - patch) // stride + 1
    out = torch.empty_like(x)
    for i, cell in enumerate(cells.tolist()):
        y0, x0 = (cell // per_row) * stride, (cell % per_row) * stride
        tile = x[i, :, y0:y0 + patch, x0:x0 + patch]
        tile = torch.cat([tile, tile.flip(2)], 1)
        tile = torch.cat([tile, tile.flip(2)], 2)
        out[i] = tile.repeat(1, size // (2 * patch), size // (2 * patch))
    return out


def backgrounds(x: torch.Tensor, hair: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """(n, 3, S, S) walls to put behind the person: plain, curly noise or tiled hair, each a
    third of the time; textured ones darkened by a random amount."""
    n, _, size, _ = x.shape
    kind = torch.randint(0, 3, (n, 1, 1, 1), generator=gen)
    darken = 0.3 + torch.rand(n, 1, 1, 1, generator=gen) * 0.7
    out = torch.where(kind == 0, plain_backgrounds(n, size, gen), curl_backgrounds(n, size, gen))
    return torch.where(kind == 2, hair_backgrounds(x, hair) * darken, out)


def augment(x: torch.Tensor, y: torch.Tensor, decodes: torch.Tensor | None, config: Config,
            gen: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """Flips, colour jitter, replaced backgrounds (no hair there), blur and decodes, batch-wise."""
    n = len(x)

    def pick(p):
        return (torch.rand(n, generator=gen) < p).view(n, 1, 1, 1)

    if decodes is not None:
        x = torch.where(pick(config.p_decode), decodes, x)
    flip = pick(0.5)
    x, y = torch.where(flip, x.flip(3), x), torch.where(flip, y.flip(3), y)
    person = y[:, PERSON:PERSON + 1]
    replaced = pick(config.p_background)
    x = torch.where(replaced, person * x + (1 - person) * backgrounds(x, y[:, HAIR:HAIR + 1], gen), x)
    y = torch.where(replaced, torch.cat([y[:, HAIR:HAIR + 1] * person, person], 1), y)
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


def labelled_rows(folder: str, split: int) -> np.ndarray:
    """Row numbers of the teacher-labelled crops of one split (0 train, 1 val, 2 test)."""
    if not os.path.isfile(os.path.join(folder, "teacher.npy")):
        raise MirrorError(f"no teacher labels in {folder}: run python -m train.teacher --data {folder}")
    return np.flatnonzero((np.load(os.path.join(folder, "split.npy")) == split)
                          & np.load(os.path.join(folder, "teacher_rows.npy")))


def load_split(folder: str, split: int, floor: float = 0.0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(crops (N, S, S, 3) uint8, labels (N, 2, S, S) float32, raw teacher (N, S, S) uint8) of the
    teacher-labelled rows of one split (0 train, 1 val, 2 test)."""
    rows = labelled_rows(folder, split)
    teacher = np.load(os.path.join(folder, "teacher.npy"), mmap_mode="r")[rows]
    person = np.load(os.path.join(folder, "person.npy"), mmap_mode="r")[rows]
    crops = np.ascontiguousarray(np.load(os.path.join(folder, "crops.npy"), mmap_mode="r")[rows])
    return crops, labels(teacher, person, Config.grow, floor), np.asarray(teacher)


def sampling_weights(folder: str, split: int, hat_weight: float, dark_weight: float = 1.0) -> torch.Tensor:
    """(N,) how often each labelled crop of a split is drawn: crops with a hat ``hat_weight``
    times as often as the rest (few wear one, and a cap must not pass for hair), crops with a
    dark wall (``dark_walls``) ``dark_weight`` times (the wall beside dark hair must not pass for
    it either); both: the larger."""
    from train.data import attribute_names

    rows = labelled_rows(folder, split)
    hat = attribute_names(folder).index("Wearing_Hat")
    hats = np.load(os.path.join(folder, "attributes.npy"))[rows, hat] > 0
    crops = np.load(os.path.join(folder, "crops.npy"), mmap_mode="r")
    person = np.load(os.path.join(folder, "person.npy"), mmap_mode="r")
    dark = np.concatenate([dark_walls(np.asarray(crops[rows[i:i + 1024]]), np.asarray(person[rows[i:i + 1024]]) / 255.0)
                           for i in range(0, len(rows), 1024)]) if dark_weight != 1.0 else np.zeros(len(rows), bool)
    return torch.from_numpy(np.maximum(np.where(hats, hat_weight, 1.0), np.where(dark, dark_weight, 1.0)))


def dark_walls(crops: np.ndarray, person: np.ndarray) -> np.ndarray:
    """(N,) bool: crops with a dark background: beyond the selfie silhouette (``person`` (N, S, S)
    in [0, 1] under 0.25) on at least a fifth of the crop, of mean grey under 60."""
    background = person < 0.25
    grey = (crops.mean(3) * background).sum((1, 2)) / np.maximum(background.sum((1, 2)), 1)
    return (background.mean((1, 2)) >= 0.2) & (grey < 60)


def false_hair(hair: np.ndarray, crops: np.ndarray, person: np.ndarray) -> tuple[float, int]:
    """(share of background pixels called hair (> 0.5), crops) over the crops with a dark
    background: beyond the selfie silhouette (person < 0.25) on at least a fifth of the crop,
    mean grey under 60."""
    background = person < 0.25
    dark = dark_walls(crops, person)
    wrong = ((hair > 0.5) & background)[dark].sum()
    return float(wrong / max(background[dark].sum(), 1)), int(dark.sum())


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
    crops, target, _ = load_split(config.data, 0, config.label_floor)
    val_crops, val_target, _ = load_split(config.data, 1, config.label_floor)
    decodes = torch.from_numpy(decodes_of(config.engines, crops)) if config.engines and config.p_decode > 0 else None
    weights = sampling_weights(config.data, 0, config.hat_weight, config.dark_weight)
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
        order = torch.multinomial(weights, len(crops), replacement=True, generator=gen)
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


def scores(pred: np.ndarray, crops: np.ndarray, target: np.ndarray, teacher: np.ndarray) -> dict:
    """A student's (N, 2, S, S) probabilities against one split's labels (``load_split``)."""
    wrong, dark = false_hair(pred[:, HAIR], crops, target[:, PERSON])
    return {"test_crops": len(crops),
            "hair_iou_vs_labels": round(iou(pred[:, HAIR], target[:, HAIR]), 4),
            "hair_iou_vs_raw_teacher": round(iou(pred[:, HAIR], teacher / (SURE * 255)), 4),
            "person_iou_vs_selfie": round(iou(pred[:, PERSON], target[:, PERSON]), 4),
            "dark_background_crops": dark,
            "false_hair_on_dark_backgrounds": round(wrong, 4)}


def evaluate(run: str, data: str) -> dict:
    """Student vs teacher on the labelled test crops: IoU against the (silhouette-cut) labels
    and against the raw teacher, per channel, and hair called on dark backgrounds."""
    crops, target, teacher = load_split(data, 2)
    result = scores(predict(load_student(run), crops), crops, target, teacher)
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
    parser.add_argument("--dark-weight", type=float, default=defaults.dark_weight,
                        help="crops with a dark wall are drawn this many times as often")
    parser.add_argument("--label-floor", type=float, default=defaults.label_floor,
                        help="teacher hair probability counted as none")
    parser.add_argument("--threads", type=int, default=defaults.threads)
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
                            threads=args.threads, engines=args.engines, dark_weight=args.dark_weight,
                            label_floor=args.label_floor)
            log.info("last epoch: %s", train(config))
            log.info("test: %s", evaluate(args.run, args.data))
    except MirrorError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(parse_arguments()))
