"""Sheets of the mirror's edits, as the mirror shows them, on photos and video frames.

    python -m train.sheets --data ../shared/data --out docs/sheets
    python -m train.sheets --data ../shared/data --out docs/sheets --sheets looks,donors

Writes, in OUT, NAME.png for each sheet asked for (a sheet of more rows than fit one small file
is split into NAME1.png, NAME2.png, ...):
    photos      the two packaged photos (Grace Hopper, the astronaut) in every style
    styles      12 CelebA test-split photos (``CELEBA_WISHES``: men and women, long hair, a fringe
                over the eyes, turned heads) in every named style
    looks       the same 12 faces in each of the donor bank's looks
    references  six of them with the hair of each of six other test photos (their reference
                photos in the top row)
    donors      six of them in each style drawn from a donor, every edit beside the donor it used
    video       each clip of DATA/videos at its own resolution, run as live video for --frames
                frames per style and every third look (temporal smoothing, reused segmentation);
                one sheet per clip
    hairloss    the hair-loss scales' stages (``mirror.edit.hairloss``): a man's on the astronaut
                and the first four CelebA faces, a woman's on the women of them
One row per photo or clip: "before", then one column per style, all cropped to the part of the
picture any style changed (the head, and any halo around it). Tiles are --height px tall (the
video's are at the clip's own pixels); a sheet larger than 600 KB is palette-quantised.
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

from mirror.errors import MirrorError
from mirror.edit import hairloss
from mirror.edit.styles import ORIGINAL
from mirror.io.demo import labelled_tile, stack_rows
from mirror.paths import DEFAULT_ENGINES
from mirror.run.app import Pipeline
from mirror.types import Frame

log = logging.getLogger(__name__)

SHEETS = ("photos", "styles", "looks", "references", "donors", "video", "hairloss")
HAIRLOSS_FACES = 4        # CelebA faces on the hair-loss sheet, after the astronaut
PAIRED_FACES = 6          # faces on the references and donors sheets
MAX_BYTES = 600_000
ROWS_PER_SHEET = 6        # 12 CelebA rows of 16 tiles make a 1 MB sheet even palette-quantised
TURNED = 20.0             # degrees of yaw that make a head "turned"
# The CelebA faces: (attribute, male, turned) wishes, in order; each takes the first test-split
# loose crop (by file name) that has the attribute and the sex, a tracked face, no hat, and a head
# turned by more than TURNED degrees where asked. Long hair, a fringe over the eyes and turned
# heads are there on purpose: they are where a shape edit is hardest.
CELEBA_WISHES = (("Bald", True, False), ("Bangs", False, False), ("Blond_Hair", False, False),
                 ("Black_Hair", True, False), ("Wavy_Hair", False, False), ("Brown_Hair", False, True),
                 ("Receding_Hairline", True, False), ("Straight_Hair", False, False),
                 ("Black_Hair", False, True), ("Gray_Hair", True, False), ("Bangs", True, False),
                 ("Wavy_Hair", True, True))
# The reference photos' wishes: six hairstyles a customer might bring.
REFERENCE_WISHES = (("Bangs", False, False), ("Bald", True, False), ("Blond_Hair", False, False),
                    ("Wavy_Hair", False, False), ("Black_Hair", True, False), ("Gray_Hair", False, False))
LOOSE_FIRST = 182638      # CelebA files from this number on are loose crops of the whole head


def style_columns(pipeline: Pipeline, names: list[str] | None = None) -> list[tuple[str, object]]:
    """[(name, Style)] for ``names`` (default: every named style of the pipeline's library: not
    ``original``, not the donor bank's looks)."""
    if names is None:
        names = [n for n in pipeline.styles.names if n != ORIGINAL and n not in pipeline.styles.looks]
    return [(name, pipeline.styles.get(name)) for name in names]


def photo_row(pipeline: Pipeline, image: np.ndarray, height: int = 160, styles: list[str] | None = None
              ) -> np.ndarray:
    """(height, W, 3) uint8 BGR: a photo before and in each style (``sheet_row``).

    Args:
        pipeline: a ``Pipeline(static=True)``.
        styles: style names (default: ``style_columns``').
    """
    outputs = [(name, pipeline.process(Frame(0, 0, image), style).output)
               for name, style in style_columns(pipeline, styles)]
    return sheet_row(image, outputs, height)


def hairloss_row(pipeline: Pipeline, image: np.ndarray, height: int = 160, scale: str = hairloss.RECEDING
                 ) -> np.ndarray:
    """(height, W, 3) uint8 BGR: a photo before and at each stage of a hair-loss scale but today
    (``mirror.edit.hairloss.SCALES``)."""
    outputs = [(label, pipeline.process(Frame(0, 0, image), hairloss.scale_style(pipeline.styles, stage, scale)).output)
               for stage, label, _ in hairloss.SCALES[scale] if stage != 0]
    # (every scale's tiles cropped to the head a man's balding stage changes: a woman's thinning
    # changes the top of the head only, a tile of which shows no face)
    balding = hairloss.scale_style(pipeline.styles, hairloss.LAST, hairloss.RECEDING)
    head = pipeline.process(Frame(0, 0, image), balding).output
    return sheet_row(image, outputs, height, framing=[head])


def donor_row(pipeline: Pipeline, image: np.ndarray, styles: list, height: int = 160) -> np.ndarray:
    """(height, W, 3) uint8 BGR: a photo before, then for each transplant style the donor it
    used (its aligned crop) and the edit.

    Args:
        pipeline: a ``Pipeline(static=True)``.
        styles: [(label, Style)] of kind "transplant".
    """
    outputs, donors = [], []
    for label, style in styles:
        result = pipeline.process(Frame(0, 0, image), style)
        _, aligned = pipeline.track(Frame(0, 0, image))
        donor = pipeline.editor.edit(aligned, style, 1.0, 0).donor if aligned is not None else None
        outputs.append((label, result.output))
        donors.append(donor)
    y, x = crop_box(image, [output for _, output in outputs])
    tiles = [labelled_tile(np.ascontiguousarray(image[y, x]), "before", height)]
    for (label, output), donor in zip(outputs, donors):
        if donor is not None:
            tiles.append(labelled_tile(donor.crop, f"donor {donor.source}", height))
        tiles.append(labelled_tile(np.ascontiguousarray(output[y, x]), label, height))
    return np.hstack(tiles)


def celeba_faces(celeba: str, wishes=CELEBA_WISHES, min_side: int = 150, exclude: tuple[str, ...] = ()
                 ) -> list[tuple[str, np.ndarray]]:
    """[(file name, BGR image)]: a CelebA test-split loose crop for each (attribute, male, turned) wish.

    Args:
        celeba: a folder with ``img/`` and ``list_attr_celeba.txt``.
        min_side: skip photos smaller than this (px).
        exclude: file names not to take.
    """
    from PIL import Image

    from mirror.face.pose import head_pose
    from mirror.face.tracker import FaceTracker
    from mirror.io.source import read_image
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
    taken = set(exclude)
    chosen: list[tuple[str, np.ndarray]] = []
    with FaceTracker(static=True) as tracker:
        for attribute, male, turned in wishes:
            for name in files:
                values = table[name]
                if (name in taken or values[column["Wearing_Hat"]] > 0 or values[column[attribute]] <= 0
                        or (values[column["Male"]] > 0) != male):
                    continue
                image = read_image(os.path.join(folder, name))
                face = tracker.process(image)
                if face is None or (turned and abs(float(head_pose(face.landmarks)[0])) <= TURNED):
                    continue
                chosen.append((name, image))
                taken.add(name)
                break
    if len(chosen) < len(wishes):
        log.warning("only %d of %d CelebA test photos found for the sheet", len(chosen), len(wishes))
    return chosen


def video_row(pipeline: Pipeline, path: str, frames: int = 60, height: int = 0,
              styles: list[str] | None = None) -> np.ndarray:
    """(H, W, 3) uint8 BGR: frame ``frames - 1`` of a clip, before and in every style
    (``sheet_row``; ``height`` 0: the clip's own pixels).

    Each style runs on the clip's first ``frames`` frames from a reset pipeline, as live video,
    so that its temporal state (smoothed landmarks and latent, reused segmentation) has settled.

    Args:
        pipeline: a ``Pipeline(static=False)``.
        styles: style names (default: ``style_columns``' and every third look).
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
    columns = style_columns(pipeline, styles)
    if styles is None:
        columns += [(n, pipeline.styles.get(n)) for n in pipeline.styles.looks[::3]]
    outputs = []
    for name, style in columns:
        pipeline.reset()
        for frame in clip:
            result = pipeline.process(frame, style)
        outputs.append((name, result.output))
    pipeline.reset()
    return sheet_row(clip[-1].image, outputs, height)


def crop_box(before: np.ndarray, outputs: list[np.ndarray], margin: float = 0.15) -> tuple[slice, slice]:
    """The (rows, columns) box of everything any output changed from ``before`` (by more than 8
    grey levels), grown by ``margin`` of its larger side; nothing changed: the whole picture."""
    changed = np.zeros(before.shape[:2], bool)
    for output in outputs:
        changed |= np.abs(output.astype(np.int16) - before.astype(np.int16)).max(axis=2) > 8
    if not changed.any():
        log.warning("no style changed the picture: no face?")
        return slice(0, before.shape[0]), slice(0, before.shape[1])
    ys, xs = np.nonzero(changed)
    grow = int(margin * max(np.ptp(ys), np.ptp(xs)))
    return (slice(max(ys.min() - grow, 0), min(ys.max() + 1 + grow, before.shape[0])),
            slice(max(xs.min() - grow, 0), min(xs.max() + 1 + grow, before.shape[1])))


def sheet_row(before: np.ndarray, outputs: list[tuple[str, np.ndarray]], height: int = 160,
              margin: float = 0.15, framing: list[np.ndarray] = ()) -> np.ndarray:
    """(height, W, 3) uint8 BGR: labelled tiles of "before" and each (label, output), all cropped
    to ``crop_box`` (of the outputs and the ``framing`` pictures, not shown) so the head fills
    the tile and a halo on the wall still shows (``height`` 0: the crop's own pixels)."""
    y, x = crop_box(before, [output for _, output in outputs] + list(framing), margin)
    height = height or y.stop - y.start
    return np.hstack([labelled_tile(np.ascontiguousarray(image[y, x]), label, height)
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


def save_rows(rows: list[np.ndarray], out: str, name: str, per_sheet: int = ROWS_PER_SHEET) -> list[str]:
    """Saves rows as OUT/NAME.png, or, beyond ``per_sheet`` rows, as NAME1.png, NAME2.png, ... of
    ``per_sheet`` rows each (so that each stays a small file)."""
    chunks = [rows[i:i + per_sheet] for i in range(0, len(rows), per_sheet)]
    names = [name] if len(chunks) == 1 else [f"{name}{i + 1}" for i in range(len(chunks))]
    return [save_sheet(stack_rows(chunk), os.path.join(out, f"{n}.png")) for n, chunk in zip(names, chunks)]


def still_rows(pipeline: Pipeline, name: str, celeba: str, height: int, styles: list[str] | None
               ) -> list[np.ndarray]:
    """The rows of still sheet ``name`` (any of ``SHEETS`` but "video")."""
    from mirror.io.source import demo_images

    if name == "photos":
        return [photo_row(pipeline, image, height, styles) for _, image in demo_images()]
    if name == "hairloss":
        # (a man's scale on every face, then a woman's on the women: the astronaut and the wishes')
        images = demo_images()[1:] + celeba_faces(celeba, CELEBA_WISHES[:HAIRLOSS_FACES])
        women = [True] + [not male for _, male, _ in CELEBA_WISHES[:HAIRLOSS_FACES]]
        return ([hairloss_row(pipeline, image, height) for _, image in images]
                + [hairloss_row(pipeline, image, height, hairloss.PARTING) for (_, image), woman in zip(images, women) if woman])
    faces = celeba_faces(celeba)
    if name == "styles":
        return [photo_row(pipeline, image, height, styles) for _, image in faces]
    if name == "looks":
        return [photo_row(pipeline, image, height, pipeline.styles.looks) for _, image in faces]
    faces = faces[:PAIRED_FACES]
    if name == "donors":
        columns = [(n, s) for n, s in style_columns(pipeline, styles) if s.kind == "transplant"]
        columns += [(n, pipeline.styles.get(n)) for n in pipeline.styles.looks[::3]]
        return [donor_row(pipeline, image, columns, height) for _, image in faces]
    # references: the reference photos on top, then each face with each one's hair
    references = celeba_faces(celeba, REFERENCE_WISHES, exclude=tuple(n for n, _ in faces))
    columns = [(n, pipeline.reference_style(os.path.join(celeba, "img", n))) for n, _ in references]
    rows = []
    for _, image in faces:
        outputs = [(label, pipeline.process(Frame(0, 0, image), style).output) for label, style in columns]
        rows.append(sheet_row(image, outputs, height))
    top = [np.zeros((height, rows[0].shape[1] // (len(columns) + 1), 3), np.uint8)]
    top += [labelled_tile(image, f"reference {n}", height) for n, image in references]
    return [np.hstack(top)] + rows


def make_sheets(data: str, out: str, engines: str = DEFAULT_ENGINES, backend: str = "auto",
                sheets: tuple[str, ...] = SHEETS, height: int = 160, frames: int = 60,
                styles: list[str] | None = None) -> list[str]:
    """Writes the asked-for sheets (``SHEETS``) to ``out``; returns their paths.

    Args:
        data: the shared data folder (``celeba/``, ``videos/``); not needed for "photos".
        engines, backend: the model, as for ``run_mirror.py``.
        styles: the named styles' columns (default: ``style_columns``').
    """
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
                rows = still_rows(pipeline, name, os.path.join(data, "celeba"), height, styles)
                # (the references' sheet has its row of references; the hair-loss sheets are a
                # man's scale on every face, then a woman's on the women)
                per_sheet = {"references": ROWS_PER_SHEET + 1, "hairloss": 1 + HAIRLOSS_FACES}.get(name, ROWS_PER_SHEET)
                paths += save_rows(rows, out, name, per_sheet)
                log.info("%s: %.0f s", name, time.perf_counter() - start)
    if "video" in sheets:
        start = time.perf_counter()
        folder = os.path.join(data, "videos")
        clips = sorted(f for f in os.listdir(folder) if f.endswith(".mp4")) if os.path.isdir(folder) else []
        if not clips:
            raise MirrorError(f"no clips (.mp4) in {folder}")
        with Pipeline(engines, backend, static=False) as pipeline:
            rows = [video_row(pipeline, os.path.join(folder, clip), frames, 0, styles) for clip in clips]
        paths += save_rows(rows, out, "video", per_sheet=1)
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
    parser.add_argument("--height", type=int, default=160, help="tile height in px (default: 160)")
    parser.add_argument("--frames", type=int, default=60, help="video frames run per style (default: 60)")
    parser.add_argument("--styles", default=None, type=lambda t: t.split(","),
                        help="comma-separated named styles for the columns (default: all but original and the looks)")
    args = parser.parse_args(argv)
    unknown = [s for s in args.sheets if s not in SHEETS]
    if unknown:
        parser.error(f"unknown sheet(s) {', '.join(unknown)}: choose from {', '.join(SHEETS)}")
    return args


def main(args: argparse.Namespace) -> int:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        paths = make_sheets(args.data, args.out, args.engines, args.backend, args.sheets, args.height,
                            args.frames, args.styles)
    except MirrorError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print("\n".join(paths))
    return 0


if __name__ == "__main__":
    sys.exit(main(parse_arguments()))
