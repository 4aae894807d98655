"""Builds the aligned training set from a CelebA-format folder (``img/`` + ``list_attr_celeba.txt``).

    python -m train.prepare --data ../shared/data/celeba --size 128 --out data/aligned128
    python -m train.prepare --data ../shared/data/celeba --size 128 --out /tmp/a --limit 200

Writes into ``--out``: ``crops.npy`` (N, S, S, 3) uint8 BGR, ``person.npy`` (N, S, S) uint8 selfie
segmentation of each crop, ``landmarks.npy`` (N, 478, 2) float32 in crop pixels,
``attributes.npy`` (N, 40) int8 (+1/-1), ``split.npy`` (N,) int8 (0 train, 1 val, 2 test),
``images.txt`` (the N file names), ``attributes.txt`` (the 40 names), ``missing.txt`` (files
where no face was found) and ``summary.json``.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import logging
import multiprocessing
import os
import sys
import time

import numpy as np
from tqdm import tqdm

from mirror.cli import silence_native_stderr
from mirror.errors import MirrorError

log = logging.getLogger(__name__)

SPLITS = ("train", "val", "test")


def split_of(name: str) -> int:
    """Reproducible split by file name: 80% train, 10% val, 10% test."""
    bucket = int(hashlib.md5(name.encode()).hexdigest()[:8], 16) % 100
    return 0 if bucket < 80 else 1 if bucket < 90 else 2


def read_attributes(path: str) -> tuple[list[str], dict[str, np.ndarray]]:
    """Parses CelebA's ``list_attr_celeba.txt``: returns (attribute names, {file: (40,) int8})."""
    if not os.path.isfile(path):
        raise MirrorError(f"attribute file not found: {path}")
    with open(path) as f:
        lines = f.read().splitlines()
    try:
        names = lines[1].split()
        table = {}
        for line in lines[2:]:
            parts = line.split()
            if parts:
                table[parts[0]] = np.array([int(v) for v in parts[1:]], dtype=np.int8)
        if any(len(v) != len(names) for v in table.values()):
            raise ValueError
    except (IndexError, ValueError):
        raise MirrorError(f"not a CelebA attribute file: {path}") from None
    return names, table


_worker = None


def _init_worker(size: int) -> None:
    global _worker
    from mirror.face.align import Aligner
    from mirror.face.segment import PersonSegmenter
    from mirror.face.tracker import FaceTracker

    segmenter = PersonSegmenter()
    _worker = (FaceTracker(static=True, max_faces=1), Aligner(size), segmenter)


def track_photo(tracker, image: np.ndarray):
    """The largest face of a photo (a ``Face`` in its pixels), or None; a small photo is also tried
    at twice its size, where MediaPipe finds more faces."""
    import cv2

    face = tracker.process(image)
    if face is None:
        big = cv2.resize(image, None, fx=2, fy=2, interpolation=cv2.INTER_CUBIC)
        face = tracker.process(big)
        if face is not None:
            face.landmarks[:, :3] /= 2
    return face


def track_file(tracker, path: str):
    """(image BGR, Face) of the photo at ``path`` (``track_photo``), or None for an unreadable
    photo or one without a face."""
    from mirror.io.source import read_image

    try:
        image = read_image(path)
    except MirrorError:
        return None
    face = track_photo(tracker, image)
    return None if face is None else (image, face)


def _process(path: str):
    """Tracks and aligns one image; returns (crop, person, landmarks) or None."""
    tracker, aligner, segmenter = _worker
    found = track_file(tracker, path)
    if found is None:
        return None
    image, face = found
    aligned = aligner.align(image, face)
    person = np.clip(segmenter(aligned.crop) * 255 + 0.5, 0, 255).astype(np.uint8)
    return aligned.crop, person, aligned.landmarks


def prepare(data: str, size: int, out: str, limit: int | None = None, workers: int = 2) -> dict:
    """Runs tracker + aligner over the folder and writes the cache; returns the summary."""
    image_dir = os.path.join(data, "img")
    if not os.path.isdir(image_dir):
        raise MirrorError(f"no img/ folder in {data} (expected a CelebA-format folder)")
    attribute_names, table = read_attributes(os.path.join(data, "list_attr_celeba.txt"))
    files = sorted(f for f in os.listdir(image_dir) if f in table)
    if limit:
        files = files[:limit]
    if not files:
        raise MirrorError(f"no images listed in the attribute file were found in {image_dir}")
    os.makedirs(out, exist_ok=True)
    start = time.time()
    paths = [os.path.join(image_dir, f) for f in files]
    with multiprocessing.get_context("spawn").Pool(workers, _init_worker, (size,)) as pool:
        results = list(tqdm(pool.imap(_process, paths, chunksize=16), total=len(paths),
                            desc="aligning", unit="img"))
    found = [(f, r) for f, r in zip(files, results) if r is not None]
    missing = [f for f, r in zip(files, results) if r is None]
    names = [f for f, _ in found]
    np.save(os.path.join(out, "crops.npy"), np.stack([r[0] for _, r in found]))
    np.save(os.path.join(out, "person.npy"), np.stack([r[1] for _, r in found]))
    np.save(os.path.join(out, "landmarks.npy"), np.stack([r[2] for _, r in found]).astype(np.float32))
    np.save(os.path.join(out, "attributes.npy"), np.stack([table[f] for f in names]))
    np.save(os.path.join(out, "split.npy"), np.array([split_of(f) for f in names], dtype=np.int8))
    for filename, lines in (("images.txt", names), ("missing.txt", missing),
                            ("attributes.txt", attribute_names)):
        with open(os.path.join(out, filename), "w") as f:
            f.write("".join(line + "\n" for line in lines))
    splits = np.array([split_of(f) for f in names])
    summary = {
        "total": len(files), "found": len(names), "missing": len(missing),
        "found_rate": round(len(names) / len(files), 4), "size": size,
        "seconds": round(time.time() - start, 1), "data": os.path.abspath(data),
        "splits": {s: int((splits == i).sum()) for i, s in enumerate(SPLITS)},
    }
    with open(os.path.join(out, "summary.json"), "w") as f:
        json.dump(summary, f, indent=4, sort_keys=True)
    return summary


def parse_arguments(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m train.prepare", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", required=True, help="CelebA-format folder (img/ + list_attr_celeba.txt)")
    parser.add_argument("--size", type=int, default=128, choices=(64, 96, 128, 192, 256),
                        help="crop side in pixels (default: 128)")
    parser.add_argument("--out", required=True, help="output folder for the aligned set")
    parser.add_argument("--limit", type=int, default=None, help="only the first N images")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1,
                        help="tracking processes (default: one per core)")
    return parser.parse_args(argv)


def main(args: argparse.Namespace) -> int:
    silence_native_stderr()
    try:
        summary = prepare(args.data, args.size, args.out, args.limit, max(args.workers, 1))
    except MirrorError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(json.dumps(summary, indent=4, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main(parse_arguments()))
