"""Which edits the two-sample test spots most, and where it looks.

    python -m train.spotted --engines engines --data data/aligned128 --style blond --out spotted_blond.png
    python -m train.spotted --engines engines --data data/aligned128 --style bangs --faces 300 --json spotted.json

The detectability test of ``train.evaluate`` (``train.metrics.two_sample_folds``: its folds and
its seeds) trained on a style's edits of the first FACES test faces without it, as the mirror
shows them (``MirrorView``), against real photos of other people who have it. Each edit is scored
by the folds that held it out (the mean over the seeds; higher: more surely an edit), and its map
is the gradient of that score with respect to the edit's pixels (summed over the channels): where
the test looks. The sheet shows the COUNT edits it spots most, each as its photo, the edit and the
map over the edit (scaled to its own largest value). It finds flaws the test sees on many edits,
such as a dark crown left above blond hair. About 8 minutes for 600 faces on 2 cores.
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import sys

import cv2
import numpy as np

from mirror.io.demo import labelled_tile, stack_rows
from mirror.errors import MirrorError
from train.directions import STYLES, has_style
from train.metrics import DETECT_SEEDS, two_sample_folds

log = logging.getLogger(__name__)

TILE = 256      # sheet tiles, px tall
PER_ROW = 4     # edits per sheet row (three tiles each)


def spot(fakes: np.ndarray, reals: np.ndarray, seeds: int = DETECT_SEEDS, folds: int = 5
         ) -> tuple[np.ndarray, np.ndarray]:
    """((N,) float32, (N, S, S) float32): each of the (N, S, S, 3) uint8 ``fakes``' held-out score
    against the ``reals`` (the mean over the ``seeds`` runs whose folds held it out; NaN if none
    did: a larger set of fakes is cut down to the reals' number in each run) and the mean absolute
    gradient of that score with respect to its pixels, summed over the channels."""
    total, count = np.zeros(len(fakes)), np.zeros(len(fakes))
    maps = np.zeros(fakes.shape[:3], np.float32)
    for seed in range(seeds):
        for fold in two_sample_folds(fakes, reals, folds, seed):
            held = fold.held[fold.held < len(fold.fakes)]      # (the fakes come first)
            images = fold.images[held].clone().requires_grad_(True)
            scores = fold.model(images)
            scores.sum().backward()
            rows = fold.fakes[held]
            total[rows] += scores.detach().numpy()
            count[rows] += 1
            maps[rows] += images.grad.abs().sum(1).numpy()
    seen = count > 0
    scores = np.full(len(fakes), np.nan, np.float32)
    scores[seen] = total[seen] / count[seen]
    maps[seen] /= count[seen][:, None, None]
    return scores, maps


def overlay(image: np.ndarray, where: np.ndarray) -> np.ndarray:
    """(S, S, 3) uint8: ``where`` (S, S) as a heat map (smoothed, scaled to its largest value)
    half over ``image``."""
    where = cv2.GaussianBlur(where.astype(np.float32), (0, 0), 2.0)
    heat = cv2.applyColorMap(np.uint8(255 * where / max(float(where.max()), 1e-12)), cv2.COLORMAP_JET)
    return cv2.addWeighted(image, 0.5, heat, 0.5, 0)


def sheet(photos: np.ndarray, fakes: np.ndarray, scores: np.ndarray, maps: np.ndarray, names: list[str],
          count: int) -> tuple[np.ndarray, list[int]]:
    """(H, W, 3) uint8 BGR: the ``count`` edits with the highest ``scores`` (NaN last), each as its
    photo (labelled with its name and score), the edit and ``overlay`` of its map; and their indices."""
    order = [int(i) for i in np.argsort(-np.nan_to_num(scores, nan=-np.inf))[:count] if np.isfinite(scores[i])]
    tiles = [np.hstack([labelled_tile(photos[i], f"{names[i]} {scores[i]:.1f}", TILE),
                        labelled_tile(fakes[i], "edit", TILE), labelled_tile(overlay(fakes[i], maps[i]), "looks", TILE)])
             for i in order]
    rows = [np.hstack(tiles[k:k + PER_ROW]) for k in range(0, len(tiles), PER_ROW)]
    return stack_rows(rows) if rows else np.zeros((TILE, TILE, 3), np.uint8), order


def run(engines: str, data: str, style: str, faces: int, count: int, seeds: int) -> tuple[np.ndarray, dict]:
    """The sheet and a JSON-ready summary ({"style", "faces", "reals", "spotted": [[test row, score], ...]})."""
    from train.data import AlignedSet, to_crops
    from train.evaluate import MirrorView, real_faces

    test = AlignedSet(data, "test", None, masks=True)
    rows = np.flatnonzero(~has_style(test.attributes, test.names, style))[:faces]
    reals = np.asarray(real_faces(test, style)[0])
    if len(rows) < 5 or len(reals) < 5:
        raise MirrorError(f"{style}: {len(rows)} test faces without it and {len(reals)} real photos with it; "
                          "the test needs at least 5 of each")
    view = MirrorView(engines, test)
    fakes = to_crops(view.show(rows, style))       # (as train.evaluate's look: rounded as shown)
    scores, maps = spot(fakes, reals, seeds)
    image, order = sheet(test.crops[rows], fakes, scores, maps, [f"test {r}" for r in rows], count)
    return image, {"style": style, "faces": int(len(rows)), "reals": int(len(reals)),
                   "spotted": [[int(rows[i]), round(float(scores[i]), 3)] for i in order]}


def parse_arguments(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m train.spotted", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--engines", required=True, help="the model folder")
    parser.add_argument("--data", required=True, help="prepared aligned folder (its test split is used)")
    parser.add_argument("--style", required=True, choices=STYLES, help="the style whose edits are tested")
    parser.add_argument("--out", required=True, help="the sheet (PNG)")
    parser.add_argument("--faces", type=int, default=600, help="the first N test faces without the style (default: 600)")
    parser.add_argument("--count", type=int, default=16, help="edits on the sheet (default: 16)")
    parser.add_argument("--seeds", type=int, default=DETECT_SEEDS, help=f"runs of the test (default: {DETECT_SEEDS})")
    parser.add_argument("--json", default=None, help="write the spotted test rows and scores here too")
    args = parser.parse_args(argv)
    for name in ("faces", "count", "seeds"):
        if getattr(args, name) < 1:
            parser.error(f"--{name} must be at least 1")
    return args


def main(args: argparse.Namespace) -> int:
    from train.sheets import save_sheet

    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        image, summary = run(args.engines, args.data, args.style, args.faces, args.count, args.seeds)
    except MirrorError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(save_sheet(image, args.out))
    if args.json:
        os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
        with open(args.json, "w") as f:
            json.dump(summary, f, indent=2)
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main(parse_arguments()))
