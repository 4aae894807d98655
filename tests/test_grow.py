"""Grow: new hair (regrowth) drawn from the person's own, falling from the hairline, lit where it
curves over the forehead, ending in clumps that thin out; none from a cap or a bald head."""
from __future__ import annotations

import dataclasses
import os

import cv2
import numpy as np
import pytest

from conftest import CELEBA, clip_frame, need
from mirror.edit import shapes
from render_support import sure_hair_lab
from mirror.face.regions import face_oval
from mirror.io.source import read_image
from mirror.render import HairRenderer
from mirror.render.color import ColorParams
from mirror.render.grow import _bay, _copy_strands, _from_hairline, GrowParams, lit_like, strand_tips, thin_ends, way_down
from mirror.render.imaging import column_span, reflect_from
from mirror.render.lab import to_lab
from mirror.render.scalp import ScalpParams, skin_sample
from mirror.types import AlignedFace, Frame


@pytest.fixture(autouse=True)
def deep_regrowth(monkeypatch):
    """New hair down to the face mesh's top (0.16 of the skull's height below it at the temples):
    a receded hairline's worth on these tests' full-haired subjects, for the renderer to draw."""
    monkeypatch.setattr(shapes, "REGROW_LINE", (0.0, -0.16))


def test_new_hair_falls_from_the_hairline_above_it_not_a_patch_on_the_forehead():
    hair = np.zeros((128, 128), np.float32)
    hair[:20, 10:118] = 1.0                         # a high hairline: bare forehead from row 20
    grow = np.zeros((128, 128), np.float32)
    grow[40:60, 30:90] = 1.0                         # the new hair, as the shape placed it
    grow[40:60, 120:126] = 1.0                       # ... and where there is no hair above it
    full = _from_hairline(grow, hair, 2.0)
    assert full[22:40, 32:88].min() > 0.9            # the skin between is covered: no floating patch
    assert np.array_equal(full[40:60, 30:90], grow[40:60, 30:90])
    assert full[:, 122:124].max() == 1.0 and full[:38, 122:124].max() < 0.05   # nothing to fall from
    assert full[60:].max() < 0.05 and full[:, :20].max() < 0.05                # not below it, not beside it
    # A patch the segmenter took for hair on the wall above the head's own hair (d13's ceiling):
    # the wall between the two is not filled, only the skin below the head's hair.
    hair[:5] = 0.0
    hair[5:12, 10:118] = 0.0                         # the wall, with the false patch at rows 0-5 ...
    hair[:5, 30:90] = 1.0
    full = _from_hairline(grow, hair, 2.0)
    assert full[22:40, 32:88].min() > 0.9 and full[5:12, 32:88].max() < 0.05


@pytest.mark.data
@pytest.mark.engines
def test_new_hair_covers_a_bay_of_skin_the_hair_mask_takes_for_hair(pipeline, d13_frame):
    """d13 (frame 0) has a bay of bare skin in his hairline that the segmenter's soft mask takes
    for hair: it was neither covered by the new hair nor kept out of what it is copied from, a
    pale patch in the regrown hair (35-37 pixels of the skin's hue there)."""
    _, aligned = pipeline.track(Frame(0, 0, d13_frame))
    edited = pipeline.edit(Frame(0, 0, d13_frame), aligned, pipeline.styles.get("regrowth"))
    size = edited.crop.shape[0]
    hair = cv2.resize(aligned.hair, (size, size))
    before, after = to_lab(aligned.detail), to_lab(edited.crop)
    sample = skin_sample(before, aligned.landmarks * aligned.scale, hair)
    hair_ab = np.median(before[hair > 0.95][:, 1:], axis=0)
    line = np.median(before[sample][:, 1:], axis=0) - hair_ab

    def skin_hued(lab):     # (a* and b* more than half way from the hair's to the forehead's)
        return (hair > 0.9) & ((lab[..., 1:] - hair_ab) @ line / (line @ line) > 0.5)

    bay, left = skin_hued(before), skin_hued(after)
    assert bay.sum() > 100 and left.sum() < 10
    # The renderer's map of it covers it, and takes little else of his hair (0.2 % of the sure hair
    # with the old segmenter, 0.4 % with the stricter one, a rim of half-skin at the bay's edge;
    # counted with the bay itself, which the stricter one's map covers more of, 1.0 % and 2.5 %).
    found = _bay(aligned, size, GrowParams(), ScalpParams(), ColorParams())
    assert found[bay].mean() > 0.25 and ((found > 0.5) & (hair > 0.9) & ~bay).mean() < 0.01 * (hair > 0.9).mean()


@pytest.mark.data
@pytest.mark.engines
def test_in_video_new_hair_follows_its_copy_over_the_frames_and_shimmers_less(pipeline, d13_frame):
    """Noise in the hair new hair is copied from (a compressed camera frame) moves a still's new
    hair wholly, a video's by strands_rate of it (d13, regrowth)."""
    _, aligned = pipeline.track(Frame(0, 0, d13_frame))
    plan = pipeline.editor.edit(aligned, pipeline.styles.get("regrowth"))
    noise = np.random.default_rng(0).normal(0.0, 8.0, aligned.detail.shape)
    noisy = dataclasses.replace(aligned, detail=np.clip(aligned.detail + noise, 0, 255).astype(np.uint8))
    changes = []
    for video in (False, True):
        renderer = HairRenderer(video=video, textures=pipeline.renderer.textures)
        first, second = renderer.render(aligned, plan), renderer.render(noisy, plan)
        drawn = (first.replace > 0.9) & (second.replace > 0.9)
        assert drawn.sum() > 500
        changes.append(np.abs(second.crop.astype(np.float32) - first.crop)[drawn].mean())
    assert changes[0] > 2.0 and changes[1] < 0.7 * changes[0]


@pytest.mark.engines
def test_no_bay_is_looked_for_where_hair_and_skin_share_a_hue(faces):
    """The astronaut's brown hair is of her skin's hue (a*, b* 11 apart): its lighter strands
    would pass for skin, so none of it is taken for a bay."""
    aligned = faces[1][2]
    assert _bay(aligned, aligned.detail.shape[0], GrowParams(), ScalpParams(), ColorParams()).max() == 0.0


def test_new_hair_ends_in_clumps_of_uneven_length_that_thin_out():
    grow = np.zeros((256, 256), np.float32)
    grow[40:120, 60:200] = 1.0
    tipped = strand_tips(grow)
    # Above every clump's end (and the arc that shortens the sides) the hair is whole.
    full = 120 - int(np.ceil(GrowParams().tip_length * 256)) - int(np.ceil(GrowParams().fringe_arc * 256)) - 1
    assert np.array_equal(tipped[:, :60], grow[:, :60]) and tipped[40:full, 60:200].min() == 1.0
    assert np.all(tipped <= grow)                             # never longer than the hair drawn
    amount = tipped[:, 60:200].sum(axis=0)                   # each column's length of hair
    assert amount.max() - amount.min() > 2.0 and amount.std() > 0.4
    # Cut round: shorter at its sides than in its middle.
    assert amount[:5].mean() < amount[65:75].mean() - 0.2 * GrowParams().fringe_arc * 256
    assert amount[-5:].mean() < amount[65:75].mean() - 0.2 * GrowParams().fringe_arc * 256
    # Neighbouring columns end alike (clumps, not a saw of one-pixel teeth, whose steps would
    # reach the tips' whole length) ...
    assert np.abs(np.diff(amount)).max() < 0.2 * GrowParams().tip_length * 256
    # ... but many of them, not a few broad teeth (a comb): 13 across 140 columns (6 with clumps
    # 2.5 times as wide).
    step = np.diff(amount)
    assert ((step[:-1] > 0) & (step[1:] <= 0)).sum() >= 10
    # ... and the ends thin out over several rows rather than stopping at once.
    assert np.median(((tipped[:, 60:200] > 0.05) & (tipped[:, 60:200] < 0.95)).sum(axis=0)) >= 3
    assert np.array_equal(strand_tips(grow), tipped)         # the same every frame: no flicker


def test_new_hair_takes_the_lighter_part_of_the_hair_it_falls_from_not_its_median():
    rng = np.random.default_rng(0)
    hair = np.clip(0.3 + 0.1 * rng.standard_normal((500, 3)), 0, 1).astype(np.float32)   # lit and shaded hair
    drawn = np.clip(0.1 + 0.05 * rng.standard_normal((64, 64, 3)), 0, 1).astype(np.float32)
    where = np.zeros((64, 64), bool)
    where[20:40] = True
    lit = lit_like(drawn, where, hair)
    assert np.median(lit[where], axis=0) == pytest.approx(np.percentile(hair, GrowParams().fringe_shade, axis=0), abs=0.01)
    assert np.all(np.median(lit[where], axis=0) > np.median(hair, axis=0) + 0.02)   # lighter than its median
    shift = lit - drawn                                                              # a shift: its pattern kept
    np.testing.assert_allclose(shift, np.broadcast_to(shift[30, 30], shift.shape), atol=1e-6)
    assert np.array_equal(lit_like(drawn, np.zeros_like(where), hair), drawn)


def test_column_span_gives_each_columns_first_and_last_row():
    mask = np.zeros((6, 4), bool)
    mask[1:4, 0] = True
    mask[2, 1] = mask[5, 1] = True
    first, last = column_span(mask)
    assert first.tolist() == [1, 2, -1, -1] and last.tolist() == [3, 5, -1, -1]


def test_new_hair_thins_out_towards_its_ends_between_its_clumps():
    grow = np.zeros((256, 256), np.float32)
    grow[40:120, 60:200] = 1.0
    new = grow > 0.5
    streaks = np.zeros((256, 256), np.float32)
    streaks[:, 60:200:8] = 2.0                        # light between clumps, every 8th column
    streaks[:, 64:200:8] = -2.0                       # ... and the clumps themselves
    thinned = thin_ends(grow, way_down(new), streaks)
    assert np.all(thinned <= grow) and np.array_equal(thinned[:, :60], grow[:, :60])
    assert thinned[40, 60:200].min() > 0.99          # whole at its roots
    # Thinner the farther down, most between the clumps, where the skin shows through at its end.
    gap, clump = thinned[40:120, 60], thinned[40:120, 64]
    assert np.all(np.diff(gap) <= 1e-6) and gap[-1] == pytest.approx(1.0 - GrowParams().thin_ends, abs=0.01)
    assert np.all(np.diff(clump) <= 1e-6) and clump[-1] == pytest.approx(1.0 - GrowParams().clump_thin * GrowParams().thin_ends, abs=0.01)
    assert clump[-1] > gap[-1] + 0.05
    between = 1.0 - GrowParams().thin_ends * (GrowParams().clump_thin + 0.5 * (1.0 - GrowParams().clump_thin))
    assert thinned[119, 62] == pytest.approx(between, abs=0.01)
    assert np.array_equal(thin_ends(grow, way_down(np.zeros_like(new)), streaks), grow)


@pytest.mark.data
@pytest.mark.engines
def test_a_new_hairline_ends_softly_not_in_a_row_of_teeth(pipeline):
    """Regrowth brings a webcam clip's long-haired woman's hairline down: its lower edge thins
    out into the skin as a hairline does. Thinned in clumps, it was a row of dark teeth across
    the forehead: the lightness along its last rows varied from column to column by 2.8-3.3 L*
    (the photo there by 0.75-1.0), now 1.1-1.2 (lit in a band above them, as hair falling over
    the forehead is, they were a pale strip over the teeth)."""
    for at in (0, 59):
        frame, aligned = pipeline.track(Frame(0, 0, clip_frame("d3.mp4", at)))
        edited = pipeline.edit(frame, aligned, pipeline.styles.get("regrowth"))
        lightness = to_lab(edited.crop)[..., 0]
        _, bottom = column_span(edited.replace > 0.5)
        columns = np.flatnonzero(bottom >= 0)
        columns = columns[(columns > columns.min() + 20) & (columns < columns.max() - 20)]
        assert len(columns) > 40
        ends = np.zeros(lightness.shape, bool)
        for column in columns:
            ends[int(bottom[column]) - 8:int(bottom[column]) - 1, column] = True
        across = np.abs(lightness - cv2.GaussianBlur(lightness, (0, 0), sigmaX=4, sigmaY=0.1))
        assert across[ends].mean() < 2.0, at


@pytest.mark.data
@pytest.mark.engines
def test_new_hair_on_a_large_face_takes_the_frames_own_fine_detail(pipeline):
    """The renderer draws at 256 px; on a face larger than that in the frame (d0 at twice its
    size, regrowth), new hair copied from the person's own was an upscaled blur beside their
    sharp real hair. The edit lends it the frame's fine detail from where it was copied: as
    detailed as their own hair, not a blur and not noisier; nothing else changes (but for
    resampling: the drawn crop is warped from the detail's finer grid), nor on a face the crop
    holds whole (CelebA 000241)."""
    big = cv2.resize(clip_frame("d0.mp4"), None, fx=2, fy=2, interpolation=cv2.INTER_CUBIC)
    small = read_image(os.path.join(need(CELEBA), "img", "000241.jpg"))
    for frame_image, lends in ((big, True), (small, False)):
        frame, aligned = pipeline.track(Frame(0, 0, frame_image))
        edited = pipeline.edit(frame, aligned, pipeline.styles.get("regrowth"))
        assert edited.source is not None and edited.source_weight.max() > 0.9
        if not lends:
            assert edited.lent is None
            continue
        lent = pipeline.compose(frame, aligned, edited)
        plain = pipeline.compose(frame, aligned, dataclasses.replace(edited, lent=None))
        to_frame = np.linalg.inv(np.vstack([aligned.detail_to_crop, [0, 0, 1]]))[:2]
        shape = frame_image.shape[1::-1]
        weight = cv2.warpAffine(edited.source_weight, to_frame, shape)
        hair = cv2.warpAffine(cv2.resize(aligned.hair, edited.crop.shape[:2]), to_frame, shape)
        new, own = weight > 0.9, (hair > 0.95) & (weight < 0.01)
        # (the drawn crop is warped from the detail's finer grid: resampled, not changed)
        assert np.abs(lent.astype(np.int16) - plain)[weight < 1e-3].max() <= 3

        def detail(picture, where):
            gray = cv2.cvtColor(picture, cv2.COLOR_BGR2GRAY).astype(np.float32)
            return cv2.Laplacian(gray, cv2.CV_32F)[where].var()

        hair_detail = detail(frame_image, own)
        assert detail(lent, new) > 1.5 * detail(plain, new)            # the blur it was
        assert 0.5 * hair_detail < detail(lent, new) < 2.0 * hair_detail


def test_new_hair_with_no_hair_above_it_carries_the_hairs_texture_not_a_flat_block():
    rng = np.random.default_rng(0)
    image = np.repeat(rng.random((128, 128, 1)).astype(np.float32), 3, axis=2)   # textured "hair"
    image = cv2.GaussianBlur(image, (0, 0), 1.0)
    source = np.zeros((128, 128), bool)
    source[10:60, 10:50] = True                 # hair at the left only
    new = np.zeros((128, 128), bool)
    new[40:90, 30:110] = True                   # new hair reaching far right of it (a bare crown)
    drawn = _copy_strands(image, source, new, 6.0, GrowParams())[0][..., 0]
    bare = drawn[45:85, 70:110]                 # no hair above these columns
    # Each row varies along its width as the hair does, not one column's value stretched sideways.
    assert np.median(bare.std(axis=1)) > 0.3 * np.median(drawn[45:85, 15:45].std(axis=1))
    # ... nor one row's value stretched downwards.
    assert np.median(bare.std(axis=0)) > 0.3 * np.median(drawn[45:85, 15:45].std(axis=0))


@pytest.mark.data
@pytest.mark.engines
def test_short_hair_gets_new_hair_drawn_from_it(pipeline):
    """CelebA 000813 (short dark hair): his hair at least DENSE inside its edge is under half the
    new hair's area, which once counted as too little to draw from (a bald head or a hat has a
    tenth or none, ``GrowParams.source_min``): his temples were left bare in regrowth. Now new
    hair of his own hair's colour covers them."""
    frame, aligned = pipeline.track(Frame(0, 0, read_image(os.path.join(need(CELEBA), "img", "000813.jpg"))))
    edited = pipeline.edit(frame, aligned, pipeline.styles.get("regrowth"))
    before, after = to_lab(aligned.detail), to_lab(edited.crop)
    hair = np.median(sure_hair_lab(aligned, aligned.detail), axis=0)
    changed = np.abs(edited.crop.astype(int) - aligned.detail).max(axis=-1) > 12
    assert changed.mean() > 0.05, changed.mean()
    # ... in the hair's colour (its lighter part): much nearer to it than the skin it covers was
    gap_before = np.linalg.norm(np.median(before[changed], axis=0) - hair)
    gap_after = np.linalg.norm(np.median(after[changed], axis=0) - hair)
    assert gap_after < 0.7 * gap_before, (gap_before, gap_after)


@pytest.mark.data
@pytest.mark.engines
@pytest.mark.parametrize("name", ["000635", "004997"])
def test_a_cap_is_not_copied_into_new_hair(pipeline, name):
    """CelebA 000635 (a pink visor), 004997 (a camouflage cap): the segmenter half takes the cap
    for hair (0.6-0.8 where it is 0.95 on hair), and new hair copied from it would be pink or
    grey strands. Under a cap (``_under_cap``) no new hair is drawn: the mirror shows them as
    they are."""
    frame, aligned = pipeline.track(Frame(0, 0, read_image(os.path.join(need(CELEBA), "img", f"{name}.jpg"))))
    edited = pipeline.edit(frame, aligned, pipeline.styles.get("regrowth"))
    changed = np.abs(edited.crop.astype(int) - aligned.detail).max(axis=-1) > 12
    assert changed.mean() < 0.002, changed.mean()


@pytest.mark.engines
def test_in_video_new_hair_holds_while_its_hair_is_a_little_less_sure(pipeline, faces):
    """Regrowth on Grace Hopper with her hair mask replaced by a band along the hairline, sure
    (0.95) on one side and half sure (0.7) on the other: too little sure hair to draw from in a
    photo, or on the first frame of a video (a head under a cap). But a head that was not under
    one on the last frame still gets its new hair (in d12 the sure share dips for a few frames as
    the head turns): it does not blink off."""
    _, _, aligned = faces[0]
    size = aligned.crop.shape[0]
    oval = face_oval(aligned.landmarks, size)
    top = int(oval.argmax(axis=0)[oval.any(axis=0)].min())
    middle = int(round(aligned.landmarks[:, 0].mean()))

    def band(other: float) -> AlignedFace:
        hair = np.zeros((size, size), np.float32)
        hair[max(top - 30, 0):top, :middle] = 0.95
        hair[max(top - 30, 0):top, middle:] = other
        return dataclasses.replace(aligned, hair=hair)

    def draws(renderer: HairRenderer, face: AlignedFace) -> bool:
        return renderer.render(face, pipeline.editor.edit(face, pipeline.styles.get("regrowth"), 1.0)).replace.max() > 0.5

    video = HairRenderer(video=True)
    assert draws(video, band(0.95))
    assert draws(video, band(0.7))              # held
    assert not draws(HairRenderer(video=True), band(0.7))
    assert not draws(HairRenderer(), band(0.7))


@pytest.mark.engines
def test_a_band_of_hair_too_shallow_to_fall_from_gets_no_new_hair_and_no_error(pipeline, faces):
    """Regrowth on Grace Hopper with her hair mask replaced by a band of sure hair along the
    hairline, 4 to 16 crop pixels deep. A band a little less deep than ``roots`` below its dense
    part has dense hair enough to draw from but none for new hair to fall from: the renderer
    raised an IndexError there. It now draws none; a deeper band still gets some."""
    _, _, aligned = faces[0]
    size = aligned.crop.shape[0]
    oval = face_oval(aligned.landmarks, size)
    top = int(oval.argmax(axis=0)[oval.any(axis=0)].min())
    drawn = []
    for deep in range(4, 17):
        hair = np.zeros((size, size), np.float32)
        hair[max(top - deep, 0):top] = 1.0
        band = dataclasses.replace(aligned, hair=hair)
        edited = HairRenderer().render(band, pipeline.editor.edit(band, pipeline.styles.get("regrowth"), 1.0))
        drawn.append(edited.replace.max() > 0.5)
    assert not all(drawn) and any(drawn), drawn


def test_new_hair_copied_from_short_hair_is_stretched_down_not_folded_into_a_zigzag():
    """Short hair above new hair four times as deep: copied down and folded back on itself every
    run (a mirror, then a mirror of the mirror), its slanting strands came out as chevrons, a
    zigzag of teeth across the forehead (CelebA 000144, 001209). Each column's copy now runs one
    way down its source."""
    image = np.repeat(np.random.default_rng(0).random((128, 128, 1)).astype(np.float32), 3, axis=2)
    source = np.zeros((128, 128), bool)
    source[30:40, 20:100] = True               # short hair, 10 rows deep
    new = np.zeros((128, 128), bool)
    new[40:80, 20:100] = True                  # new hair 40 rows deep below it
    copied_from = _copy_strands(image, source, new, 6.0, GrowParams())[1][..., 1]
    steps = np.diff(copied_from[40:80, 20:100], axis=0)
    assert np.all(steps <= 1e-3)               # always from farther up the source, never back down


def test_reflection_fills_from_the_source_only():
    source = np.zeros((40, 40), bool)
    source[:10] = True
    map_x, map_y = reflect_from(source, depth=6)
    assert map_y.max() < 10 and map_y[25].max() <= 6 + 1e-3       # samples inside the source band
    assert np.allclose(map_y[12], 9 - 3, atol=1.01)              # 3 px below the last row (9) -> 3 px above it
    assert np.allclose(map_x[20], np.arange(40), atol=1e-3)       # straight up, no sideways smear
