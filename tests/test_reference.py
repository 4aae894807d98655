"""A reference photo as its own donor (``mirror.edit.reference``), on real CelebA photos through
the mirror's own tracker, aligner and segmenter: its hair, its colour, and the bank's heads that
stand in for it where it cannot be drawn (the transplant itself: test_transplant)."""
from __future__ import annotations

import os

import cv2
import numpy as np
import pytest

from conftest import CELEBA, celeba_photo, need
from render_support import hull_in_frame
from train.prepare import split_of

# A blonde whose photo's top edge cuts her crown.
CUT_CROWN = "182849.jpg"


@pytest.mark.data
@pytest.mark.engines
def test_hair_the_photos_frame_cuts_is_rounded_off_not_cut_flat(pipeline):
    """Where the photo's frame cuts the hair (its crown), the donor's hair goes on past it, the
    photo mirrored out there, as far as a head of hair reaches: its crown is rounded, narrow at
    its top, not cut flat along the photo's edge (drawn flat, it was a hood)."""
    style = pipeline.reference_style(os.path.join(need(CELEBA), "img", CUT_CROWN))
    widths = (style.donor.matte > 0.5).sum(axis=1)
    top = int(np.flatnonzero(widths)[0])
    assert top > 0                                        # the hair ends inside the crop
    assert widths[top] < 0.2 * widths.max(), widths[top:top + 8]
    assert np.all(np.diff(widths[top:top + 8]) >= 0)      # widening down from the crown


@pytest.mark.data
@pytest.mark.engines
def test_hair_reaching_past_the_persons_crop_goes_on_past_it(pipeline):
    """A man's high crop drawn on a woman whose head fills its crop: his hair, warped onto her,
    reaches past the crop's top. It goes on past it (``donor_beyond``), on the frame's own pixels,
    not cut square along the crop's edge (a box of hair)."""
    import cv2

    from mirror.io.source import read_image
    from mirror.types import Frame

    image = read_image(os.path.join(need(CELEBA), "img", "182796.jpg"))
    style = pipeline.reference_style(os.path.join(CELEBA, "img", "182728.jpg"))
    frame, aligned = pipeline.track(Frame(0, 0, image))
    out = pipeline.process(Frame(0, 0, image), style, 1.0).output
    size = aligned.crop.shape[0]
    inside = cv2.warpAffine(np.ones((size, size), np.uint8), cv2.invertAffineTransform(aligned.to_crop),
                            image.shape[1::-1]) > 0
    assert (~inside).sum() > 5000                         # the frame reaches past the crop
    changed = np.abs(out.astype(int) - image).max(axis=-1) > 30
    assert (changed & ~inside).sum() > 300                # (0 when cut along the crop's edge)
    # ... and dark, as his hair is, where drawn
    assert np.median(out[changed & ~inside].mean(axis=-1)) < 80


@pytest.mark.engines
def test_a_reference_photo_whose_hair_is_under_a_hat_is_refused(pipeline):
    from mirror.errors import MirrorError

    assert split_of("182942.jpg") == 2
    with pytest.raises(MirrorError, match="under a hat"):
        pipeline.reference_style(celeba_photo("182942.jpg"))          # a boy in a flat cap


# Test split: a man in a cap; a woman with long light-brown hair.
IN_A_CAP, LONG_BROWN = "182689.jpg", "183128.jpg"


@pytest.mark.engines
def test_no_reference_s_hair_is_drawn_over_a_hat(pipeline):
    """A person whose hair is under a hat gets no reference's hair drawn over it (drawn, a
    woman's hair hung round his cap), and the HUD says why."""
    from mirror.types import Frame

    assert split_of(IN_A_CAP) == split_of(LONG_BROWN) == 2
    image = cv2.imread(celeba_photo(IN_A_CAP))
    result = pipeline.process(Frame(0, 0, image), pipeline.reference_style(celeba_photo(LONG_BROWN)), 1.0)
    assert result.note == "a hat covers the hair"
    assert np.array_equal(result.output, image)


# A man with his head shaved close (test split, labelled bald) that the classifier is unsure of.
SHAVED = "190051.jpg"


@pytest.mark.engines
def test_a_shaved_head_the_classifier_is_unsure_of_is_bald_by_its_bare_crown(pipeline):
    """A reference photo whose crown shows no hair is a bald head, though the classifier is not
    sure of it: it has no hair colour to give, and a bald head of the bank stands in for it (as a
    head of hair, its scalp's colour made a long-haired woman blonde and a bob stood in for it)."""
    from mirror.edit.reference import BALD
    from mirror.types import Frame

    assert split_of(SHAVED) == 2
    style = pipeline.reference_style(celeba_photo(SHAVED))
    crop = pipeline.track(Frame(0, 0, cv2.imread(celeba_photo(SHAVED))))[1].crop
    bald = float(pipeline.classifier.predict_crops(crop[None])[0, pipeline.classifier.column("Bald")])
    assert BALD[0] < bald < 0.5, f"the classifier is sure ({bald}): nothing tested"
    assert style.want == "bald" and style.color is None
    assert pipeline.reference_style(celeba_photo(LONG_BROWN)).want == "hair"


# A reference photo (test split) of short black hair, on a pale wall the segmenter partly takes
# for hair; the person with long hair it cannot be drawn on.
BLACK_REFERENCE, LONG_HAIRED = "189898.jpg", "183604.jpg"


@pytest.mark.engines
def test_a_reference_photo_s_colour_is_measured_on_its_hair_not_the_wall(pipeline):
    """A reference's hair colour (its fallback's target) is that of its hair: black, not the grey
    its matte's mean makes of the black hair and the pale wall the segmenter took for hair."""
    from mirror.render.lab import color_stats, to_lab

    style = pipeline.reference_style(celeba_photo(BLACK_REFERENCE))
    whole = color_stats(to_lab(style.donor.crop), style.donor.matte > 0.5)
    assert whole[1, 0] > 20.0, "the matte holds no wall: nothing tested"
    assert style.color[0, 0] < 15.0 and style.color[1, 0] < 12.0, style.color


@pytest.mark.engines
def test_a_reference_that_cannot_be_drawn_gives_its_colour_only(pipeline, heads):
    """Where a reference photo's hair cannot be drawn on the person (their long hair could not be
    taken away), the person's own hair takes its colour, and the HUD says so; their eyes, nose and
    mouth are untouched."""
    from mirror.render.lab import to_lab
    from mirror.types import Frame

    image = cv2.imread(celeba_photo(LONG_HAIRED))
    assert split_of(LONG_HAIRED) == split_of(BLACK_REFERENCE) == 2
    style = pipeline.reference_style(celeba_photo(BLACK_REFERENCE))
    result = pipeline.process(Frame(0, 0, image), style, 1.0)
    assert result.note == "hair too long to take away: its colour only"
    aligned = heads.aligned(image)
    to_frame = cv2.invertAffineTransform(aligned.to_crop)
    hair = cv2.warpAffine(aligned.hair, to_frame, image.shape[1::-1]) > 0.9
    before, after = (float(np.median(to_lab(picture)[hair][:, 0])) for picture in (image, result.output))
    assert after < before - 8.0, (before, after)
    keep = hull_in_frame(aligned, image.shape[:2])
    assert np.abs(result.output[keep].astype(int) - image[keep]).max() <= 2


# A reference photo (test split) of a fringe on long dark hair; a woman whose long hair hangs over
# her cheeks and has no fringe.
FRINGE_REFERENCE, OVER_CHEEKS = "182839.jpg", "182651.jpg"


@pytest.mark.engines
def test_where_a_reference_cannot_be_drawn_whole_its_fringe_is(pipeline, heads):
    """A reference's whole head of hair cannot be drawn on hair over the person's cheeks; its
    fringe can, over the person's own hair in its colour (else the bank's would be): her forehead
    takes the fringe, the HUD says so, and her eyes, nose and mouth are untouched. A bald
    reference has no part to give."""
    from mirror.types import Frame

    assert {split_of(n) for n in (FRINGE_REFERENCE, OVER_CHEEKS, BALD_RIMMED)} == {2}
    style = pipeline.reference_style(celeba_photo(FRINGE_REFERENCE))
    image = cv2.imread(celeba_photo(OVER_CHEEKS))
    aligned = heads.aligned(image)
    plans = [pipeline.editor.edit(aligned, style)]
    while plans[-1].fallback is not None:
        plans.append(plans[-1].fallback)
    assert style.want == "bangs"
    assert [(p.kind, p.part) for p in plans[-3:]] == [("transplant", "fringe")] * 2 + [("color", "all")]
    assert plans[-3].donor is style.donor and plans[-2].donor.index >= 0     # (the photo's, then the bank's)
    result = pipeline.process(Frame(0, 0, image), style, 1.0)
    assert result.note == "hair over the cheeks: its fringe and colour", result.note
    _assert_a_fringe_and_the_face_kept(aligned, image, result.output)
    bald = pipeline.editor.edit(aligned, pipeline.reference_style(celeba_photo(BALD_RIMMED)))
    assert all(p.part == "all" for p in (bald, bald.fallback) if p is not None)


def _assert_a_fringe_and_the_face_kept(aligned, image: np.ndarray, output: np.ndarray, share: float = 0.5) -> None:
    """The forehead, between the brows and the hairline, is under a fringe in ``output`` (over
    ``share`` of it changed); the eyes, nose and mouth are not drawn on."""
    from mirror.face.regions import FOREHEAD_TOP

    size = aligned.crop.shape[0]
    brow, top = (float(aligned.landmarks[i, 1]) for i in (9, FOREHEAD_TOP))   # (9: between the brows)
    middle = float(aligned.landmarks[9, 0])
    box = np.zeros((size, size), np.float32)
    box[int(top + 0.3 * (brow - top)):int(brow), int(middle - 0.12 * size):int(middle + 0.12 * size)] = 1.0
    forehead = cv2.warpAffine(box, cv2.invertAffineTransform(aligned.to_crop), image.shape[1::-1]) > 0.5
    changed = np.abs(output.astype(int) - image).max(axis=-1) > 30
    assert forehead.sum() > 200 and changed[forehead].mean() > share, changed[forehead].mean()
    keep = hull_in_frame(aligned, image.shape[:2])
    assert np.abs(output[keep].astype(int) - image[keep]).max() <= 2


# A reference photo (test split) of a fringe on a head turned one way; a woman (test split) with
# her head turned the other, long hair and no fringe.
TURNED_FRINGE, TURNED_AWAY = "190206.jpg", "182920.jpg"


@pytest.mark.engines
def test_where_a_references_own_fringe_cannot_be_drawn_the_banks_is(pipeline, heads):
    """Turned too far from the reference's head for its hair or its fringe, the person gets the
    fringe the bank's bangs would draw on them, in the photo's colour, and the HUD says so."""
    from mirror.types import Frame

    assert {split_of(n) for n in (TURNED_FRINGE, TURNED_AWAY)} == {2}
    style = pipeline.reference_style(celeba_photo(TURNED_FRINGE))
    assert style.want == "bangs"
    image = cv2.imread(celeba_photo(TURNED_AWAY))
    aligned = heads.aligned(image)
    result = pipeline.process(Frame(0, 0, image), style, 1.0)
    assert result.note == "head turned too far from the donor's: a fringe from the bank, and its colour", result.note
    _assert_a_fringe_and_the_face_kept(aligned, image, result.output, share=0.15)   # (a side fringe: a fifth)


# Bald reference photos (test split): one whose crown's shaded rim the skin's colour misses, one
# whose face does not fit a man's (test split) it is drawn on; a woman with long hair.
BALD_RIMMED, BALD_UNFIT, SHORT_HAIRED_MAN, LONG_HAIRED_WOMAN = "191613.jpg", "185213.jpg", "190787.jpg", "191475.jpg"


@pytest.mark.engines
def test_a_bald_reference_leaves_no_band_of_hair_round_its_dome(pipeline):
    """A bald reference's crown is skin to its rim: none of it is left in the matte, to be drawn
    as a ragged band of hair round the person's new dome; and it has no hair colour to give."""
    from mirror.face.regions import brow_line

    style = pipeline.reference_style(celeba_photo(BALD_RIMMED))
    donor, side = style.donor, style.donor.crop.shape[0]
    assert style.want == "bald" and style.color is None
    skin = (donor.skin > 0.5).astype(np.uint8)
    dome = np.zeros_like(skin)
    cv2.fillConvexPoly(dome, cv2.convexHull(cv2.findNonZero(skin)), 1)
    rows = np.arange(side)[:, None]
    crown = (dome > 0) & (rows < brow_line(donor.landmarks, side)[None, :] - 0.2 * side)
    assert crown.sum() > 2000, "no crown: nothing tested"
    assert (donor.matte[crown] > 0.3).mean() < 0.06


@pytest.mark.engines
def test_a_reference_that_cannot_be_drawn_is_stood_in_for_by_the_banks_nearest(pipeline):
    """Where a reference photo's own head of hair does not fit the person (its face, its turn),
    the bank's head of hair nearest it, of its look (bald here), is drawn instead, and the HUD
    says so; the eyes, nose and mouth are untouched. On long hair that cannot be taken away,
    neither is drawn, and a bald head gives no colour: the person is left as they are."""
    from mirror.types import Frame

    assert {split_of(n) for n in (BALD_UNFIT, SHORT_HAIRED_MAN, LONG_HAIRED_WOMAN)} == {2}
    style = pipeline.reference_style(celeba_photo(BALD_UNFIT))
    image = cv2.imread(celeba_photo(SHORT_HAIRED_MAN))
    result = pipeline.process(Frame(0, 0, image), style, 1.0)
    assert result.note.startswith("the donor's face does not fit: one like it from the bank, 1 of"), result.note
    aligned = pipeline.track(Frame(0, 0, image))[1]
    assert pipeline.editor.edit(aligned, style).fallback.donor.look == "bald"
    to_frame = cv2.invertAffineTransform(aligned.to_crop)
    hair = cv2.warpAffine(aligned.hair, to_frame, image.shape[1::-1]) > 0.9
    changed = np.abs(result.output.astype(int) - image).max(axis=-1) > 20
    assert changed[hair].mean() > 0.5
    keep = hull_in_frame(aligned, image.shape[:2])
    assert np.abs(result.output[keep].astype(int) - image[keep]).max() <= 2
    image = cv2.imread(celeba_photo(LONG_HAIRED_WOMAN))
    result = pipeline.process(Frame(0, 0, image), style, 1.0)
    assert result.note in ("hair too long to take away", "head turned too far from the donor's"), result.note
    assert np.array_equal(result.output, image)


@pytest.mark.engines
def test_another_steps_through_a_reference_s_stand_ins(pipeline):
    """The HUD offers "N: another" for the bank's head standing in for a reference photo: the key
    draws the next nearest."""
    from mirror.run.style_state import StyleState
    from mirror.types import Frame

    state = StyleState(pipeline, celeba_photo(BALD_UNFIT), 1.0, random_seconds=2.0)
    image = cv2.imread(celeba_photo(SHORT_HAIRED_MAN))
    first = pipeline.process(Frame(0, 0, image), state.style, 1.0)
    state.apply("another")
    second = pipeline.process(Frame(0, 0, image), state.style, 1.0)
    assert "one like it from the bank, 1 of" in first.note and "one like it from the bank, 2 of" in second.note
    assert (np.abs(first.output.astype(int) - second.output).max(axis=-1) > 20).mean() > 0.01     # (another head)


# Reference photos (test split): a woman with long light-brown hair, drawn on a man (test split)
# whose face it does not fit; a black-haired woman in orange light, on a man in cool light.
LONG_LIGHT_BROWN, ON_MAN, BLACK_IN_ORANGE, COOL_MAN = "190943.jpg", "182728.jpg", "190535.jpg", "187795.jpg"


@pytest.mark.engines
def test_a_stand_in_has_the_reference_s_look_and_sex_not_the_person_s(pipeline):
    """The bank's head that stands in for a woman's long hair on a man is a woman's hair, never a
    bald, receding or thinning head (the man's likeliest look)."""
    from mirror.types import Frame

    assert {split_of(n) for n in (LONG_LIGHT_BROWN, ON_MAN)} == {2}
    style = pipeline.reference_style(celeba_photo(LONG_LIGHT_BROWN))
    aligned = pipeline.track(Frame(0, 0, cv2.imread(celeba_photo(ON_MAN))))[1]
    stand_in = pipeline.editor.edit(aligned, style).fallback.donor
    male = pipeline.editor.chooser.bank.attribute_names.index("Male")
    assert style.donor.attributes[male] == -1 and stand_in.attributes[male] == -1
    assert stand_in.look not in ("bald", "receding", "thinning crown"), stand_in.look


@pytest.mark.engines
def test_a_reference_s_colour_is_taken_out_of_its_light(pipeline):
    """Black hair in a photo lit orange is black in white light, not the blue-black that moving
    it by the skins' whole difference made of it on a man in cool light."""
    from mirror.edit.reference import in_light
    from mirror.render.color import ColorParams, cast_share, scene_target

    style = pipeline.reference_style(celeba_photo(BLACK_IN_ORANGE))
    assert style.donor.skin_color[2] > 35.0, "the photo is not lit orange: nothing tested"
    cool = np.float32([66.0, 8.0, 7.0])      # the man's skin, in CIELAB
    assert scene_target(style.color, style.skin, cool)[0, 2] > -12.0
    hair = np.float32([[1.0, 1.7, 0.2], [2.4, 2.8, 1.5]])
    assert scene_target(hair, style.donor.skin_color, cool)[0, 2] < -20.0    # (as it was)
    # (a light colour takes the cast as a colour style's target does, the share of the skins'
    # difference a cast takes on it; a dark one hardly: a golden blonde beside flushed skin had
    # come out ash, the skin's own warmth taken wholly for the light)
    skin, white = np.float32([60.0, 20.0, 25.0]), np.float32([60.0, 15.0, 18.0])
    light, dark = (in_light(np.float32([[l, 12.0, 25.0], [5.0, 2.0, 2.0]]), skin, white)[0] for l in (60.0, 6.0))
    share = cast_share(np.float32([[60.0, 7.0, 18.0], [5.0, 2.0, 2.0]]))      # (its colour without all the cast)
    assert 0.0 < share[0] < 1.0
    assert np.allclose(light[1:], [12.0, 25.0] + share * [-5.0, -7.0], atol=0.01)
    assert np.allclose(dark[1:], [12.0, 25.0] + 0.1 * share * [-5.0, -7.0], atol=0.01)
    # ... and warm-lit white hair, near neutral without the cast, takes most of it: white, not cream;
    # an orange-lit brunette, dark, only a colour's share: warm brown, not ash
    warm_lit = in_light(np.float32([[80.0, 4.0, 20.0], [8.0, 2.0, 3.0]]), np.float32([62.0, 20.0, 35.0]), white)
    assert np.hypot(*warm_lit[0, 1:]) < 8.0
    brunette = in_light(np.float32([[28.5, 11.6, 15.3], [12.8, 4.7, 4.8]]), np.float32([48.2, 30.4, 27.3]),
                        np.float32([60.1, 15.5, 18.2]))
    assert brunette[0, 1] > 8.0 and np.hypot(*brunette[0, 1:]) > 15.0
    # ... but never into green: a flushed face's platinum (a* 1.3 beside skin at a* 25) was mint
    flushed = np.float32([62.0, 25.1, 22.2])
    platinum = in_light(np.float32([[85.5, 1.3, 14.6], [12.1, 4.7, 5.7]]), flushed, np.float32([60.1, 15.5, 18.2]))
    assert platinum[0, 1] == pytest.approx(ColorParams().green_floor) and platinum[0, 2] > 10.0
