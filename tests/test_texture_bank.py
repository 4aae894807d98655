"""The hair texture bank: real hair's detail lent to hair too flat to carry its own."""
from __future__ import annotations

import functools
import os

import cv2
import numpy as np
import pytest

from conftest import CELEBA, ROOT, need
from mirror.run.app import Pipeline
from mirror.render.colortable import recolor_box
from mirror.errors import MirrorError
from mirror.render import HairRenderer
from mirror.render.color import color_table
from mirror.io.source import read_image
from mirror.render.texture_bank import PICK_SIZE, TextureBank, lighten
from mirror.types import Frame
from train.textures import choose, hair_detail

ENGINES = os.path.join(ROOT, "engines")


def spread(lightness: np.ndarray) -> float:
    return 1.4826 * float(np.median(np.abs(lightness - np.median(lightness))))


def flat_hair(level: int = 150, noise: float = 1.0, size: int = 64) -> tuple[np.ndarray, np.ndarray]:
    """A grey crop whose middle rows are flat, tan 'hair' (its mask)."""
    rng = np.random.default_rng(0)
    crop = np.full((size, size, 3), 200, np.uint8)
    mask = np.zeros((size, size), np.float32)
    mask[16:48] = 1.0
    hair = np.clip(np.float32([90, 140, level]) + rng.normal(0, noise, (32, size, 1)), 0, 255)
    crop[16:48] = hair.astype(np.uint8)
    return crop, mask


def strands(size: int = 64) -> np.ndarray:
    """(size, size) L* detail: vertical strands of spread ~8."""
    rng = np.random.default_rng(1)
    columns = cv2.GaussianBlur(rng.normal(0, 1, (1, size)).astype(np.float32), (0, 0), 1.0)
    detail = np.repeat(columns / columns.std() * 8.0, size, axis=0)
    return detail.astype(np.float32)


def crimped(size: int = 64, amount: float = 1.0, period: float = 6.0) -> np.ndarray:
    """``strands`` crimped: each row shifted along a sine down the hair (still falling down it)."""
    straight = strands(size)
    columns = np.arange(size, dtype=np.float32)
    return np.stack([np.interp(columns - amount * np.sin(2 * np.pi * y / period), columns, row, period=size)
                     for y, row in enumerate(straight)]).astype(np.float32)


def lightness(crop: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(crop, cv2.COLOR_BGR2LAB)[..., 0].astype(np.float32) * (100.0 / 255.0)


def test_flat_hair_borrows_strands_up_to_the_targets_spread_and_nothing_else_changes():
    crop, mask = flat_hair()
    codes = cv2.cvtColor(crop, cv2.COLOR_BGR2LAB)[..., 0].astype(np.float32)
    hair = mask > 0.5
    assert spread(codes[hair] * (100 / 255)) < 2.0
    offset = lighten(codes, mask, strands(), 8.0, spread=16.0, gain=0.8)
    out = (codes + offset) * (100 / 255)
    assert 0.8 * 16 * 0.8 < spread(out[hair]) < 1.2 * 16 * 0.8
    assert not offset[~hair].any()                               # the wall keeps every pixel
    # The strands are the donor's: the new lightness follows its pattern.
    assert np.corrcoef(out[hair], strands()[hair])[0, 1] > 0.95


def test_hair_with_strands_of_its_own_borrows_none():
    crop, mask = flat_hair(noise=25.0)
    codes = cv2.cvtColor(crop, cv2.COLOR_BGR2LAB)[..., 0].astype(np.float32)
    assert spread(codes[mask > 0.5] * (100 / 255)) > 9.0
    assert lighten(codes, mask, strands(), 8.0, spread=9.0, gain=0.8) is None


def test_a_recolouring_adds_the_strands_before_it_leaves_cielab_and_only_on_its_mask():
    crop, mask = flat_hair()
    own = np.float32([[40, 5, 20], [1, 1, 1]])
    table = color_table(own, np.float32([[60, 8, 20], [16, 4, 6]]))
    box = (slice(8, 56), slice(0, 64))
    plain = recolor_box(crop, table, mask, box)
    lent = recolor_box(crop, table, mask, box,
                       lighten=functools.partial(lighten, detail_spread=8.0, spread=16.0, gain=0.8), lent=strands()[box])
    hair = mask > 0.5
    assert spread(lightness(lent.crop)[hair]) > spread(lightness(plain.crop)[hair]) + 8.0
    assert np.array_equal(lent.crop[~hair], crop[~hair])


def bank_of(masks: list[np.ndarray]) -> TextureBank:
    detail = np.stack([np.where(m > 0, 10, 0) for m in masks]).astype(np.int8)
    small = np.stack([cv2.resize(m.astype(np.float32), (PICK_SIZE, PICK_SIZE), interpolation=cv2.INTER_AREA) for m in masks])
    return TextureBank(detail, 0.5, small)


def test_the_donor_is_the_one_whose_hair_covers_the_persons_and_stays_in_video():
    top, top_and_sides, little = (np.zeros((64, 64), np.float32) for _ in range(3))
    top[:20] = 1
    top_and_sides[:20] = 1
    top_and_sides[:, :10] = top_and_sides[:, -10:] = 1
    little[:6, 20:40] = 1
    bank = bank_of([little, top, top_and_sides])
    long_hair = top_and_sides.copy()
    assert bank.pick(top) == 1                                 # covers it, no hair beyond it
    assert bank.pick(long_hair) == 2
    assert bank.pick(long_hair, current=0) == 2                # far better: changes
    assert bank.pick(long_hair, current=1) == 1                # better, not by KEEP: kept
    nearly = top.copy()
    nearly[20:22] = 1
    assert bank.pick(nearly, current=1) == 1                   # kept
    assert bank.detail_at(1, 128).shape == (128, 128) and bank.spread[1] == pytest.approx(0.0)


def test_of_donors_that_cover_the_hair_alike_the_one_whose_strands_run_as_the_persons_is_picked():
    mask = np.zeros((64, 64), np.float32)
    mask[:24] = 1
    mask[:, :12] = mask[:, -12:] = 1
    down = strands(64)                 # strands that fall down the head
    across = down.T.copy()             # ... and strands across them (a plaid over the person's own)
    small = cv2.resize(mask, (PICK_SIZE, PICK_SIZE), interpolation=cv2.INTER_AREA)
    bank = TextureBank(np.stack([np.where(mask > 0, d / 0.5, 0) for d in (across, down)]).astype(np.int8), 0.5,
                       np.stack([small, small]))
    person = 100.0 + down * mask
    assert bank.pick(mask, lightness=person) == 1
    assert bank.pick(mask, lightness=100.0 + across * mask) == 0
    assert bank.pick(mask, current=0, lightness=person) == 1        # a crossing donor in use gives way
    assert bank.pick(mask) == 0                                     # (without the person's strands: a tie, the first)


def test_of_donors_whose_strands_fall_alike_the_one_as_straight_or_crimped_as_the_persons_is_picked():
    mask = np.zeros((64, 64), np.float32)
    mask[:24] = 1
    mask[:, :12] = mask[:, -12:] = 1
    straight, crimp = strands(64), crimped(64)
    small = cv2.resize(mask, (PICK_SIZE, PICK_SIZE), interpolation=cv2.INTER_AREA)
    less = small.copy()
    less[:, :PICK_SIZE // 8] = 0                # (the straight donor covers a little less of the hair)
    bank = TextureBank(np.stack([np.where(mask > 0, d / 0.5, 0) for d in (crimp, straight)]).astype(np.int8), 0.5,
                       np.stack([small, less]))
    assert bank.coherence[1] > 0.9 > 0.6 > bank.coherence[0]
    # (both fall down the head: by coverage and the way they run alone, the crimped one won, a
    # zigzag lent to straight hair)
    assert bank.pick(mask, lightness=100.0 + straight * mask) == 1
    assert bank.pick(mask, lightness=100.0 + crimp * mask) == 0


def test_a_missing_bank_lends_nothing_and_a_broken_one_is_named(tmp_path):
    assert TextureBank.load(str(tmp_path / "none.npz")) is None
    broken = tmp_path / "hair_textures.npz"
    broken.write_bytes(b"not a bank")
    with pytest.raises(MirrorError, match="broken hair texture bank"):
        TextureBank.load(str(broken))


def test_the_shipped_bank_lends_strands_to_black_hair_made_blond():
    """CelebA 000158: short black hair the photo crushed flat, a flat tan without the bank."""
    bank = TextureBank.load(os.path.join(ENGINES, "hair_textures.npz"))
    assert bank is not None and len(bank.detail) >= 16 and np.median(bank.spread) > 4.0
    image = read_image(os.path.join(need(CELEBA), "img", "000158.jpg"))
    with Pipeline(ENGINES, "onnxruntime", static=True, transplanted=()) as pipeline:
        _, aligned = pipeline.track(Frame(0, 0, image))
        plan = pipeline.editor.edit(aligned, pipeline.styles.get("blond"))
        plain = HairRenderer().render(aligned, plan)
        lent = HairRenderer(textures=bank).render(aligned, plan)
        hair = plain.hair_mask > 0.9
        assert hair.sum() > 500
        assert spread(lightness(lent.crop)[hair]) > spread(lightness(plain.crop)[hair]) + 3.0
        assert np.array_equal(lent.crop[plain.hair_mask == 0], plain.crop[plain.hair_mask == 0])
        # Black on black hair does not lighten it: it borrows none.
        plan = pipeline.editor.edit(aligned, pipeline.styles.get("black"))
        assert np.array_equal(HairRenderer(textures=bank).render(aligned, plan).crop,
                              HairRenderer().render(aligned, plan).crop)


def test_the_bank_is_built_from_hair_detail_and_donors_that_cover_the_rest():
    masks = np.zeros((4, 8, 8), np.float32)
    masks[0, :4] = 1          # top
    masks[1, :3] = 1          # less of the top
    masks[2, :4] = 1
    masks[2, :, :2] = 1       # top and a side: covers 0 and 1 too
    masks[3, 6:] = 1          # the bottom, alone
    assert choose(masks, 2) == [2, 3]
    crop = np.full((32, 32, 3), 128, np.uint8)
    crop[:, ::2] = 60                                   # dark and light strands ...
    hair = np.zeros((32, 32), np.float32)
    hair[:16] = 1.0                                     # ... of which the top half is hair
    detail, sure = hair_detail(crop, hair, sigma=3.0)
    assert np.all(detail[sure == 0] == 0) and sure[2:14, 2:30].all()
    assert abs(float(detail[sure > 0].mean())) < 2.0 and detail[sure > 0].std() > 8.0
