"""The hair texture bank the mirror lends to hair too flat to carry its own (``mirror.render.texture_bank``).

    python -m train.textures --data data/aligned128 --engines engines

Training faces labelled ``Blond_Hair`` (light hair shows its strands best), segmented by the
shipped segmenter (``ENGINES/segmenter.onnx``, the mask the mirror itself uses): for each, the
lightness (CIELAB L*) less its local mean over the hair (a Gaussian of ``--sigma`` px, normalised
by the hair mask so skin and wall do not leak in), kept on the eroded sure hair; ``--donors``
faces are chosen so that together their hair covers the hair of the other candidates (greedy,
on 32-px masks). Written to ``ENGINES/hair_textures.npz``: ``detail`` (N, S, S) int8, ``scale``
(L* per unit), ``hair`` (N, 32, 32) uint8 masks.
"""
from __future__ import annotations

import argparse
import logging
import os
import sys

import cv2
import numpy as np

from mirror.backends import load_model_files
from mirror.cli import setup_logging
from mirror.errors import MirrorError
from mirror.face.segment import HairSegmenter
from mirror.render.texture_bank import PICK_SIZE, TextureBank
from train.data import SPLITS, attribute_names

log = logging.getLogger(__name__)

SURE = 0.8          # segmenter probability that counts as sure hair
MIN_HAIR = 0.08     # a candidate has at least this share of its crop as hair
SCALE = 0.5         # L* per int8 unit (offsets beyond +-63.5 L* are clipped)


def hair_detail(crop: np.ndarray, hair: np.ndarray, sigma: float) -> tuple[np.ndarray, np.ndarray]:
    """((S, S) float32 L* less its local mean over the hair, 0 off the sure hair; (S, S) float32
    sure hair) of one BGR crop and its hair probability."""
    lightness = cv2.cvtColor(crop, cv2.COLOR_BGR2LAB)[..., 0].astype(np.float32) * (100.0 / 255.0)
    inside = (hair > 0.5).astype(np.float32)
    local = cv2.GaussianBlur(lightness * inside, (0, 0), sigma) / (cv2.GaussianBlur(inside, (0, 0), sigma) + 1e-3)
    sure = cv2.erode((hair > SURE).astype(np.uint8), np.ones((3, 3), np.uint8)).astype(np.float32)
    return (lightness - local) * sure, sure


def choose(masks: np.ndarray, count: int) -> list[int]:
    """Indices of ``count`` masks (N, P, P) in [0, 1] that, picked greedily, best cover the others:
    each next one adds the most to the sum over candidates of the share of their hair that the
    pick covering it best covers."""
    flat = masks.reshape(len(masks), -1)
    totals = np.maximum(flat.sum(axis=1), 1e-3)
    # cover[i, j]: the share of candidate i's hair that candidate j's covers.
    cover = np.stack([np.minimum(flat, flat[j]).sum(axis=1) for j in range(len(flat))], axis=1) / totals[:, None]
    covered = np.zeros(len(masks), np.float32)
    chosen: list[int] = []
    for _ in range(min(count, len(masks))):
        gain = np.maximum(cover - covered[:, None], 0.0).sum(axis=0)
        gain[chosen] = -1.0
        best = int(np.argmax(gain))
        chosen.append(best)
        covered = np.maximum(covered, cover[:, best])
    return chosen


def build(crops: np.ndarray, segmenter, donors: int, sigma: float) -> dict:
    """The bank's arrays from (N, S, S, 3) uint8 BGR candidate crops."""
    details, masks = [], []
    for crop in crops:
        hair, _ = segmenter(np.ascontiguousarray(crop))
        if (hair > 0.5).mean() < MIN_HAIR:
            continue
        detail, sure = hair_detail(crop, hair, sigma)
        details.append(detail)
        masks.append(cv2.resize(sure, (PICK_SIZE, PICK_SIZE), interpolation=cv2.INTER_AREA))
    if not details:
        raise MirrorError("no candidate face shows enough hair")
    masks = np.stack(masks)
    chosen = choose(masks, donors)
    detail = np.clip(np.round(np.stack([details[i] for i in chosen]) / SCALE), -127, 127).astype(np.int8)
    return {"detail": detail, "scale": np.float32(SCALE),
            "hair": np.round(masks[chosen] * 255).astype(np.uint8)}


def parse_arguments(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m train.textures", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", required=True, help="a prepared folder (python -m train.prepare)")
    parser.add_argument("--engines", required=True, help="the engines folder: its segmenter, and where the bank goes")
    parser.add_argument("--donors", type=int, default=64, help="faces in the bank (default 64)")
    parser.add_argument("--candidates", type=int, default=600, help="labelled faces to choose them from")
    parser.add_argument("--sigma", type=float, default=6.0, help="the local mean's Gaussian, crop px (default 6)")
    parser.add_argument("--out", help="the bank's file (default ENGINES/hair_textures.npz)")
    return parser.parse_args(argv)


def main(args: argparse.Namespace) -> int:
    setup_logging(True)
    try:
        if args.donors < 1 or args.candidates < 1 or args.sigma <= 0:
            raise MirrorError("--donors and --candidates must be at least 1, --sigma above 0")
        model = load_model_files(args.engines, styles=False)
        split = np.load(os.path.join(args.data, "split.npy"))
        attributes = np.load(os.path.join(args.data, "attributes.npy"))
        blond = attributes[:, attribute_names(args.data).index("Blond_Hair")] > 0
        rows = np.flatnonzero((split == SPLITS["train"]) & blond)
        crops = np.load(os.path.join(args.data, "crops.npy"), mmap_mode="r")[rows[:args.candidates]]
        with HairSegmenter(model.segmenter) as segmenter:
            bank = build(crops, segmenter, args.donors, args.sigma)
    except (MirrorError, OSError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    out = args.out or model.textures
    np.savez_compressed(out, **bank)
    checked = TextureBank.load(out)
    log.info("%s: %d donors of %d px, detail spread %.1f L* (median), %.0f KB", out, len(checked.detail),
             checked.detail.shape[1], float(np.median(checked.spread)), os.path.getsize(out) / 1024)
    return 0


if __name__ == "__main__":
    sys.exit(main(parse_arguments()))
