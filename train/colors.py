"""Target colours of the colour styles: the hair of the training faces that have the colour.

    python -m train.colors --data data/aligned128 --engines engines

For each colour style (``train.styles.STYLES`` of kind ``color``), the CIELAB mean and spread of
the hair (the teacher's mask, ``python -m train.teacher``) of every labelled training face with
that attribute (for gray, those of them with silver hair: ``SILVER``), averaged over faces, and
the median skin of the same faces (the face below the brows); written into
``ENGINES/styles.json`` as the style's ``color``. The mirror recolours a person's own hair to
these statistics, moved by how the person's skin in the picture differs from that skin
(``mirror.render.color.scene_target``: the picture's light and colour cast).
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import sys

import numpy as np

from mirror.cli import setup_logging
from mirror.errors import MirrorError
from mirror.face.regions import face_interior
from mirror.render.lab import color_stats, to_lab
from train.data import attribute_names
from train.directions import STYLES, has_style

log = logging.getLogger(__name__)

HAIR_SURE = 0.6 * 255   # the teacher's hair probability (x 255) that counts as hair
MIN_HAIR = 0.03         # a face counts when at least this share of its crop is hair
# Gray as a salon means it: silver. CelebA's gray-labelled hair is on average as light as its
# blond and half as colourful (salt-and-pepper, and white hair yellowed by warm light): that
# target turned blond hair ash blond and brown or black hair beige. Its faces whose hair is both
# lighter and less colourful than the labelled faces' median make the target.
SILVER = ("gray",)


def hair_colors(crops: np.ndarray, hair: np.ndarray, attributes: np.ndarray, names: list[str],
                landmarks: np.ndarray, faces: int = 400) -> dict:
    """{style: {"mean": [L, a, b], "spread": [L, a, b], "skin": [L, a, b], "faces": n}} of the
    colour styles.

    Args:
        crops: (N, S, S, 3) uint8 BGR; hair: (N, S, S) uint8 teacher probability x 255;
        attributes: (N, 40) +1/-1 CelebA labels named by ``names``; landmarks: (N, 478, 2) crop px.
        faces: at most this many faces per style (the first ones).
    """
    result = {}
    for name, (_, _, kind, _) in STYLES.items():
        if kind != "color":
            continue
        rows = np.flatnonzero(has_style(attributes, names, name))
        stats, skins = [], []
        for r in rows:
            mask = hair[r] > HAIR_SURE
            if mask.mean() < MIN_HAIR:
                continue
            lab = to_lab(crops[r].astype(np.float32) / 255.0)
            interior = face_interior(landmarks[r], crops.shape[1])
            stats.append(color_stats(lab, mask))
            skins.append(np.median(lab[interior], axis=0) if interior.any() else None)
            if len(stats) == faces:
                break
        if not stats:
            raise MirrorError(f"no labelled training face shows {name}")
        stats = np.stack(stats)
        chosen = silver(stats) if name in SILVER else np.ones(len(stats), bool)
        mean = stats[chosen].mean(axis=0)
        skin = [v for v, c in zip(skins, chosen) if c and v is not None]
        result[name] = {"mean": [round(float(v), 3) for v in mean[0]],
                        "spread": [round(float(v), 3) for v in mean[1]],
                        "skin": [round(float(v), 3) for v in np.mean(skin, axis=0)], "faces": int(chosen.sum())}
        log.info("%s: %s", name, result[name])
    return result


def silver(stats: np.ndarray) -> np.ndarray:
    """(N,) bool: the faces of (N, 2, 3) hair colour statistics (``color_stats``) whose hair is
    at least as light as the median face's and at most as colourful (a*, b* chroma); all of them
    if none is both."""
    lightness, chroma = stats[:, 0, 0], np.hypot(stats[:, 0, 1], stats[:, 0, 2])
    chosen = (lightness >= np.median(lightness)) & (chroma <= np.median(chroma))
    return chosen if chosen.any() else np.ones(len(stats), bool)


def parse_arguments(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m train.colors", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", required=True, help="a prepared folder with teacher labels")
    parser.add_argument("--engines", required=True, help="the engines folder whose styles.json gets the colours")
    parser.add_argument("--faces", type=int, default=400, help="at most this many faces per style")
    return parser.parse_args(argv)


def main(args: argparse.Namespace) -> int:
    setup_logging(True)
    path = os.path.join(args.engines, "styles.json")
    try:
        teacher = os.path.join(args.data, "teacher.npy")
        if not os.path.isfile(teacher):
            raise MirrorError(f"no teacher labels in {args.data}: run python -m train.teacher --data {args.data}")
        if not os.path.isfile(path):
            raise MirrorError(f"style library not found: {path}")
        split = np.load(os.path.join(args.data, "split.npy"))
        rows = np.flatnonzero((split == 0) & np.load(os.path.join(args.data, "teacher_rows.npy")))
        crops = np.load(os.path.join(args.data, "crops.npy"), mmap_mode="r")
        colors = hair_colors(crops[rows], np.load(teacher, mmap_mode="r")[rows],
                             np.load(os.path.join(args.data, "attributes.npy"))[rows],
                             attribute_names(args.data), np.load(os.path.join(args.data, "landmarks.npy"))[rows],
                             args.faces)
    except MirrorError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    with open(path) as f:
        library = json.load(f)
    for name, color in colors.items():
        library["styles"][name]["color"] = color
    with open(path, "w") as f:
        json.dump(library, f, indent=1)
        f.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(parse_arguments()))
