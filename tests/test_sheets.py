"""train.sheets: sheets of the edits through the mirror's own pipeline."""
from __future__ import annotations

import os

import cv2
import numpy as np
import pytest

from train.sheets import SHEETS, parse_arguments, save_sheet, sheet_row


def test_one_packaged_photo_in_two_styles(tmp_path, photos):
    from mirror.run.app import Pipeline
    from train.sheets import make_sheets, photo_row

    name, image = photos[1]           # the astronaut: Grace Hopper's hair is under her cap
    with Pipeline(backend="onnxruntime", static=True) as pipeline:
        row = photo_row(pipeline, image, height=96, styles=["blond", "bald"])
    assert row.shape[0] == 96 and row.dtype == np.uint8
    width = row.shape[1] // 3
    assert row.shape[1] == 3 * width                        # before, blond, bald: one crop box
    before, blond, bald = (row[:, i * width:(i + 1) * width].astype(int) for i in range(3))
    # Below the labels, each style changes the picture, and the two differently.
    assert np.abs(blond - before)[30:].mean() > 2 and np.abs(bald - before)[30:].mean() > 2
    assert np.abs(blond - bald)[30:].mean() > 2

    paths = make_sheets("unused", str(tmp_path), backend="onnxruntime", sheets=("photos",),
                        height=64, styles=["gray"])
    assert paths == [str(tmp_path / "photos.png")]
    sheet = cv2.imread(paths[0])
    assert sheet.shape[0] == 2 * 64                          # both packaged photos, one row each


def test_hairloss_row_shows_every_stage_but_today(photos):
    from mirror.run.app import Pipeline
    from mirror.edit.hairloss import STAGES
    from train.sheets import hairloss_row

    _, image = photos[1]                                    # the astronaut: hair to lose
    with Pipeline(backend="onnxruntime", static=True) as pipeline:
        row = hairloss_row(pipeline, image, height=96)
    tiles = len(STAGES)                                     # before + every stage but today
    width = row.shape[1] // tiles
    assert row.shape == (96, tiles * width, 3)
    before = row[30:, :width].astype(int)
    change = [np.abs(row[30:, i * width:(i + 1) * width].astype(int) - before).mean() for i in range(1, tiles)]
    # Her full hair cannot get fuller; every later stage takes more of it away.
    assert all(c > 1 for c in change[1:]) and change[1:] == sorted(change[1:]), change


def test_sheet_row_crops_every_tile_to_what_changed():
    before = np.zeros((200, 300, 3), np.uint8)
    changed = before.copy()
    changed[50:100, 100:150] = 200
    row = sheet_row(before, [("a", changed), ("b", before)], height=50, margin=0.0)
    assert row.shape == (50, 150, 3)                         # three 50x50 tiles of the 50 px box
    assert row[40:, 50:100].mean() > 150 and row[40:, :50].max() == 0
    # Nothing changed: the whole picture, scaled.
    assert sheet_row(before, [("b", before)], height=100).shape == (100, 300, 3)


def test_large_sheets_are_palette_quantised(tmp_path):
    noise = np.random.default_rng(0).integers(0, 256, (200, 200, 3), dtype=np.uint8)
    path = save_sheet(noise, str(tmp_path / "a" / "s.png"), max_bytes=10_000)
    from PIL import Image

    with Image.open(path) as image:
        assert image.mode == "P" and image.size == (200, 200)
    small = save_sheet(np.zeros((20, 20, 3), np.uint8), str(tmp_path / "t.png"))
    with Image.open(small) as image:
        assert image.mode == "RGB"
    assert os.path.getsize(small) < 1000


def test_parse_arguments():
    args = parse_arguments(["--out", "docs/sheets"])
    assert args.sheets == SHEETS and args.height == 160 and args.frames == 60 and args.styles is None
    args = parse_arguments(["--out", "o", "--sheets", "photos,video", "--styles", "bald,blond"])
    assert args.sheets == ("photos", "video") and args.styles == ["bald", "blond"]
    with pytest.raises(SystemExit):
        parse_arguments(["--out", "o", "--sheets", "everything"])


@pytest.mark.engines
def test_donor_row_puts_each_edit_beside_its_donor(photos):
    from mirror.run.app import Pipeline
    from train.sheets import donor_row

    _, image = photos[1]
    with Pipeline(backend="onnxruntime", static=True) as pipeline:
        look = pipeline.styles.looks[0]
        columns = [(look, pipeline.styles.get(look)), ("blond", pipeline.styles.get("blond"))]
        row = donor_row(pipeline, image, columns, height=64)
        donor = pipeline.editor.chooser.bank.donor(0)
    # before, the look's donor, the look, then blond (no donor): four tiles, the donor square.
    side = 64 * donor.crop.shape[1] // donor.crop.shape[0]
    width = (row.shape[1] - side) // 3
    assert row.shape[0] == 64 and row.shape[1] == 3 * width + side
