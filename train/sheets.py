"""Before/after sheets: every style, as the mirror shows it, on photos and video frames.

    python -m train.sheets --data ../shared/data --out docs/sheets
    python -m train.sheets --data ../shared/data --out docs/sheets --suffix after --sheets photos,video

Writes, in OUT, PNGs named SHEET_SUFFIX.png (``photos_before.png``, ...; a sheet of more than six
rows is split into SHEET1_SUFFIX.png, SHEET2_SUFFIX.png, ...):
    photos   the two packaged photos (Grace Hopper, the astronaut)
    celeba   12 CelebA test-split photos (loose crops; men and women, several hair colours, one
             bald, one with bangs), from DATA/celeba
    video    one frame of each of DATA/videos/d13.mp4, d0.mp4 and d3.mp4, run as video (temporal
             smoothing and every-other-frame segmentation as in the live mirror) for --frames
             frames per style from the clip's start; the last of them is shown
    hairloss the hair-loss scale's stages (``mirror.edit.hairloss``) instead of the styles, on the
             astronaut (Grace Hopper's cap hides her hair) and the first four CelebA faces of the
             celeba sheet
One row per photo or clip: "before", then one column per style of the engines' library, all
cropped to the part of the picture any style changed (the head, and any halo around it). Tiles
are --height px tall; a sheet larger than 600 KB is palette-quantised (256 colours).
Everything goes through the mirror's public pipeline (``mirror.run.app.Pipeline``), so the sheets
show exactly what the mirror shows.
"""
from __future__ import annotations

import argparse
import logging
import os
import sys
import time

import numpy as np

from mirror.run.app import Pipeline
from mirror.io.demo import labelled_tile, stack_rows
from mirror.paths import DEFAULT_ENGINES
from mirror.errors import MirrorError
from mirror.edit.styles import ORIGINAL
from mirror.types import Frame

log = logging.getLogger(__name__)

SHEETS = ("photos", "celeba", "video", "hairloss")
HAIRLOSS_FACES = 4        # CelebA faces on the hair-loss sheet, after the astronaut
CLIPS = ("d13.mp4", "d0.mp4", "d3.mp4")
MAX_BYTES = 600_000
ROWS_PER_SHEET = 6        # 12 CelebA rows of 12 tiles make a 1 MB sheet even palette-quantised
# The CelebA faces: (attribute, male) wishes, in order; each takes the first test-split loose crop
# (by file name) that has the attribute, the sex, a tracked face and no hat.
CELEBA_WISHES = (("Bald", True), ("Bangs", False), ("Blond_Hair", False), ("Black_Hair", True),
                 ("Gray_Hair", True), ("Brown_Hair", False), ("Receding_Hairline", True),
                 ("Wavy_Hair", False), ("Black_Hair", False), ("Straight_Hair", True),
                 ("Brown_Hair", True), ("Bangs", True))
LOOSE_FIRST = 182638      # CelebA files from this number on are loose crops of the whole head


def style_columns(pipeline: Pipeline, names: list[str] | None = None) -> list[tuple[str, object]]:
    """[(name, Style)] for ``names`` (default: every style of the pipeline's library but ``original``)."""
    names = [n for n in pipeline.styles.names if n != ORIGINAL] if names is None else names
    return [(name, pipeline.styles.get(name)) for name in names]


def photo_row(pipeline: Pipeline, image: np.ndarray, height: int = 160, styles: list[str] | None = None
              ) -> np.ndarray:
    """(height, W, 3) uint8 BGR: a photo before and in each style (``sheet_row``).

    Args:
        pipeline: a ``Pipeline(static=True)``.
        styles: style names (default: all but ``original``).
    """
    outputs = [(name, pipeline.process(Frame(0, 0, image), style).output)
               for name, style in style_columns(pipeline, styles)]
    return sheet_row(image, outputs, height)


def hairloss_row(pipeline: Pipeline, image: np.ndarray, height: int = 160) -> np.ndarray:
    """(height, W, 3) uint8 BGR: a photo before and at each stage of the hair-loss scale but today."""
    from mirror.edit.hairloss import STAGES, scale_style

    outputs = [(label, pipeline.process(Frame(0, 0, image), scale_style(pipeline.styles, stage)).output)
               for stage, label, _ in STAGES if stage != 0]
    return sheet_row(image, outputs, height)


def celeba_faces(celeba: str, count: int = 12, min_side: int = 150) -> list[tuple[str, np.ndarray]]:
    """[(file name, BGR image)]: CelebA test-split loose crops for the sheet (``CELEBA_WISHES``).

    Args:
        celeba: a folder with ``img/`` and ``list_attr_celeba.txt``.
        count: how many (the wishes first, then any other test photos).
        min_side: skip photos smaller than this (px).
    """
    from PIL import Image

    from mirror.io.source import read_image
    from mirror.face.tracker import FaceTracker
    from train.prepare import read_attributes, split_of

    names, table = read_attributes(os.path.join(celeba, "list_attr_celeba.txt"))
    folder = os.path.join(celeba, "img")
    files = []
    for name in sorted(table):
        path = os.path.join(folder, name)
        if int(os.path.splitext(name)[0]) >= LOOSE_FIRST and split_of(name) == 2 and os.path.isfile(path):
            with Image.open(path) as image:
                if min(image.size) >= min_side:
                    files.append(name)
    column = {n: i for i, n in enumerate(names)}
    wishes = [lambda v, a=a, m=m: v[column[a]] > 0 and (v[column["Male"]] > 0) == m for a, m in CELEBA_WISHES]
    wishes += [lambda v: True] * max(0, count - len(wishes))
    chosen: list[tuple[str, np.ndarray]] = []
    with FaceTracker(static=True) as tracker:
        for wish in wishes[:count]:
            for name in files:
                values = table[name]
                if any(name == c for c, _ in chosen) or values[column["Wearing_Hat"]] > 0 or not wish(values):
                    continue
                image = read_image(os.path.join(folder, name))
                if tracker.process(image) is not None:
                    chosen.append((name, image))
                    break
    if len(chosen) < count:
        log.warning("only %d CelebA test photos found for the sheet", len(chosen))
    return chosen


def video_row(pipeline: Pipeline, path: str, frames: int = 60, height: int = 160,
              styles: list[str] | None = None) -> np.ndarray:
    """(height, W, 3) uint8 BGR: frame ``frames - 1`` of a clip, before and in every style
    (``sheet_row``).

    Each style runs on the clip's first ``frames`` frames from a reset pipeline, as live video,
    so that its temporal state (smoothed landmarks and latent, reused segmentation) has settled.

    Args:
        pipeline: a ``Pipeline(static=False)``.
        styles: style names (default: all but ``original``).
    """
    from mirror.io.source import VideoSource

    with VideoSource(path) as source:
        clip = []
        while len(clip) < frames:
            frame = source.read()
            if frame is None:
                break
            clip.append(frame)
    if not clip:
        raise MirrorError(f"no frames in {path}")
    outputs = []
    for name, style in style_columns(pipeline, styles):
        pipeline.reset()
        for frame in clip:
            result = pipeline.process(frame, style)
        outputs.append((name, result.output))
    pipeline.reset()
    return sheet_row(clip[-1].image, outputs, height)


def sheet_row(before: np.ndarray, outputs: list[tuple[str, np.ndarray]], height: int = 160,
              margin: float = 0.15) -> np.ndarray:
    """(height, W, 3) uint8 BGR: labelled tiles of "before" and each (label, output).

    All tiles are cropped to the same box: everything any output changed (by more than 8 grey
    levels), grown by ``margin`` of its larger side, so the head fills the tile and a halo on the
    wall still shows. Nothing changed: the whole picture.
    """
    changed = np.zeros(before.shape[:2], bool)
    for _, output in outputs:
        changed |= np.abs(output.astype(np.int16) - before.astype(np.int16)).max(axis=2) > 8
    y0, y1, x0, x1 = 0, before.shape[0], 0, before.shape[1]
    if changed.any():
        ys, xs = np.nonzero(changed)
        grow = int(margin * max(np.ptp(ys), np.ptp(xs)))
        y0, y1 = max(ys.min() - grow, 0), min(ys.max() + 1 + grow, before.shape[0])
        x0, x1 = max(xs.min() - grow, 0), min(xs.max() + 1 + grow, before.shape[1])
    else:
        log.warning("no style changed the picture: no face?")
    return np.hstack([labelled_tile(np.ascontiguousarray(image[y0:y1, x0:x1]), label, height)
                      for label, image in [("before", before), *outputs]])


def save_sheet(sheet: np.ndarray, path: str, max_bytes: int = MAX_BYTES) -> str:
    """Writes a BGR sheet as PNG; above ``max_bytes`` it is palette-quantised to 256 colours."""
    from PIL import Image

    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    image = Image.fromarray(np.ascontiguousarray(sheet[..., ::-1]))
    image.save(path, optimize=True)
    if os.path.getsize(path) > max_bytes:
        # (refined by k-means: the median cut's palette alone left blue specks on lit skin)
        image.quantize(colors=256, method=Image.Quantize.MEDIANCUT, kmeans=3).save(path, optimize=True)
    log.info("wrote %s (%d KB)", path, os.path.getsize(path) // 1024)
    return path


def save_rows(rows: list[np.ndarray], out: str, name: str, suffix: str, per_sheet: int = ROWS_PER_SHEET
              ) -> list[str]:
    """Saves rows as OUT/NAME_SUFFIX.png, or, beyond ``per_sheet`` rows, as NAME1_SUFFIX.png,
    NAME2_SUFFIX.png, ... of ``per_sheet`` rows each (so that each stays a small file)."""
    chunks = [rows[i:i + per_sheet] for i in range(0, len(rows), per_sheet)]
    names = [name] if len(chunks) == 1 else [f"{name}{i + 1}" for i in range(len(chunks))]
    return [save_sheet(stack_rows(chunk), os.path.join(out, f"{n}_{suffix}.png")) for n, chunk in zip(names, chunks)]


def make_sheets(data: str, out: str, engines: str = DEFAULT_ENGINES, backend: str = "auto",
                sheets: tuple[str, ...] = SHEETS, suffix: str = "before", height: int = 160,
                frames: int = 60, styles: list[str] | None = None) -> list[str]:
    """Writes the asked-for sheets (``SHEETS``) to ``out``; returns their paths.

    Args:
        data: the shared data folder (``celeba/``, ``videos/``); not needed for "photos".
        engines, backend: the model, as for ``run_mirror.py``.
        suffix: the file names' suffix, e.g. "before" or "after".
        styles: the columns' style names (default: every style but ``original``).
    """
    from mirror.io.source import demo_images

    unknown = [s for s in sheets if s not in SHEETS]
    if unknown:
        raise ValueError(f"unknown sheet(s) {unknown}: choose from {SHEETS}")
    paths = []
    still = [s for s in sheets if s != "video"]
    if still:
        with Pipeline(engines, backend, static=True) as pipeline:
            log.info("backend: %s", pipeline.backend_reason)
            for name in still:
                start = time.perf_counter()
                if name == "hairloss":
                    images = demo_images()[1:] + celeba_faces(os.path.join(data, "celeba"), HAIRLOSS_FACES)
                    rows = [hairloss_row(pipeline, image, height) for _, image in images]
                else:
                    images = demo_images() if name == "photos" else celeba_faces(os.path.join(data, "celeba"))
                    rows = [photo_row(pipeline, image, height, styles) for _, image in images]
                paths += save_rows(rows, out, name, suffix)
                log.info("%s: %.0f s", name, time.perf_counter() - start)
    if "video" in sheets:
        start = time.perf_counter()
        with Pipeline(engines, backend, static=False) as pipeline:
            rows = [video_row(pipeline, os.path.join(data, "videos", clip), frames, height, styles)
                    for clip in CLIPS]
        paths += save_rows(rows, out, "video", suffix)
        log.info("video: %.0f s", time.perf_counter() - start)
    return paths


def parse_arguments(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m train.sheets", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default=os.path.join("..", "shared", "data"),
                        help="shared data folder with celeba/ and videos/ (default: ../shared/data)")
    parser.add_argument("--out", required=True, help="folder for the PNG sheets")
    parser.add_argument("--engines", default=DEFAULT_ENGINES, help="model folder (default: the shipped engines)")
    parser.add_argument("--backend", default="auto", help="model backend, as run_mirror.py's (default: auto)")
    parser.add_argument("--sheets", default=",".join(SHEETS), type=lambda t: tuple(t.split(",")),
                        help=f"comma-separated, from {','.join(SHEETS)} (default: all)")
    parser.add_argument("--suffix", default="before", help="file names are SHEET_SUFFIX.png (default: before)")
    parser.add_argument("--height", type=int, default=160, help="tile height in px (default: 160)")
    parser.add_argument("--frames", type=int, default=60, help="video frames run per style (default: 60)")
    parser.add_argument("--styles", default=None, type=lambda t: t.split(","),
                        help="comma-separated style names for the columns (default: all but original)")
    args = parser.parse_args(argv)
    unknown = [s for s in args.sheets if s not in SHEETS]
    if unknown:
        parser.error(f"unknown sheet(s) {', '.join(unknown)}: choose from {', '.join(SHEETS)}")
    return args


def main(args: argparse.Namespace) -> int:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        paths = make_sheets(args.data, args.out, args.engines, args.backend, args.sheets, args.suffix,
                            args.height, args.frames, args.styles)
    except MirrorError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print("\n".join(paths))
    return 0


if __name__ == "__main__":
    sys.exit(main(parse_arguments()))
