"""The renderer: a real hair mask, colour only on the hair, new hair and scalp from the person's
own pixels, the wall behind removed hair, no seam at the brows."""
from __future__ import annotations

import dataclasses
import os

import cv2
import numpy as np
import pytest

from conftest import CELEBA, ROOT, clip_frame, need
from mirror.face import regions
from mirror import render
from mirror.edit import shapes
from mirror.render import waves
from mirror.run.app import Pipeline
from mirror.render.compositor import Compositor, warp_back
from mirror.run.lagged import rebase
from mirror.render.plate import LEARN_EVERY, BackgroundPlate, fill_holes
from mirror.face.regions import BROWS, CHIN, EARS, EYES, MOUTH, brow_line, edge_margin, face_interior, face_oval, hair_reach, skull, skull_axes
from mirror.render import (SKULL_GROWTH, FAST_HEAD, LENT_RETURN, LENT_SLACK, CEILING, GREEN_FLOOR, BLUE_FLOOR, CERTAIN_INSET, CLUMP_THIN, ENDS_FADE, FRINGE_ARC, FRINGE_LIFT, FRINGE_LIGHT, FRINGE_SHADE, HAIR_CERTAIN, LIGHTEN_PAST,
                           THIN_ENDS, TIP_LENGTH, HairRenderer, _sheen, beyond, color_stats, color_table,
                           column_span, edges_shown, fade_cut, from_lab, hair_matte, hanging, lit_like, move, remix,
                           lit_band, own_color, recolor, reflect_from, removed_beyond, scene_target, strand_tips, thin_ends, way_down,
                           forehead_box, own_color, thin_out, to_lab, wall_contrast)
from mirror.io.source import read_image
from mirror.types import AlignedFace, EditedFace, EditPlan, Frame

ENGINES = os.environ.get("HAIR_MIRROR_ENGINES", os.path.join(ROOT, "engines"))


@pytest.fixture(scope="module")
def pipeline():
    with Pipeline(ENGINES, "onnxruntime", static=True) as pipeline:
        yield pipeline


@pytest.fixture(scope="module")
def faces(pipeline, photos):
    """[(name, image, AlignedFace)] of the packaged photos, segmented."""
    return [(name, image, pipeline.track(Frame(0, 0, image))[1]) for name, image in photos]


def test_hair_mask_covers_the_hair_and_not_the_face(faces):
    for name, _, aligned in faces:
        size = aligned.crop.shape[0]
        interior = face_interior(aligned.landmarks, size)
        assert (aligned.hair[interior] > 0.5).mean() < 0.05, f"{name}: hair inside the face"
        assert aligned.person[interior].mean() > 0.9, f"{name}: the face is not the person"
    # The astronaut's hair: the top of her head above the face oval, inside her silhouette.
    _, _, astronaut = faces[1]
    size = astronaut.crop.shape[0]
    above = skull(astronaut.landmarks, size) > 0.5
    above &= ~face_oval(astronaut.landmarks, size)
    above[int(astronaut.landmarks[10, 1]):] = False
    assert above.sum() > 200 and astronaut.hair[above].mean() > 0.7
    # Grace Hopper's hat is not hair (0.29 before the segmenter saw hats 4x as often).
    _, _, hopper = faces[0]
    hat = np.zeros_like(hopper.hair, bool)
    hat[: int(hopper.landmarks[10, 1]) - 4, 40:88] = True
    assert hopper.hair[hat].mean() < 0.2


def test_a_dark_textured_wall_is_not_hair(pipeline):
    """CelebA 182721 (the celeba1 sheet's row 2): dark curly hair before a dark, speckled wall,
    which the teacher and selfie segmentation both take for her. The crop's corners are wall,
    not hair (0.5 of them was, before the student saw textured walls); her crown is hair."""
    image = read_image(os.path.join(need(CELEBA), "img", "182721.jpg"))
    _, aligned = pipeline.track(Frame(0, 0, image))
    wall = np.zeros_like(aligned.hair, bool)
    wall[:20, :20] = wall[:20, -20:] = wall[64:, :12] = True
    top = int(aligned.landmarks[10, 1])
    assert aligned.hair[wall].mean() < 0.25, f"{aligned.hair[wall].mean():.2f} of the wall is hair"
    assert aligned.hair[top - 14:top - 4, 50:80].mean() > 0.9


def frame_mask(mask, aligned, shape, grow=2, beyond=None):
    """A detail-crop mask warped onto the whole frame, with the edit's reach past the crop
    (``beyond``, in the outer square) if given, grown by ``grow`` frame pixels."""
    roi = (0, 0, shape[1], shape[0])
    warped = warp_back(mask.astype(np.float32), aligned.detail_to_crop, roi) > 1e-3
    if beyond is not None:
        warped |= warp_back(beyond.mask, aligned.to_outer, roi) > 1e-3
    return cv2.dilate(warped.astype(np.uint8), np.ones((2 * grow + 1,) * 2, np.uint8)).astype(bool)


@pytest.mark.parametrize("style", ["blond", "black", "gray"])
def test_colour_changes_nothing_outside_the_hair_mask(pipeline, faces, style):
    name, image, aligned = faces[1]
    result = pipeline.process(Frame(0, 0, image), pipeline.styles.get(style), 1.0)
    edited = pipeline.edit(Frame(0, 0, image), aligned, pipeline.styles.get(style))
    hair = frame_mask(edited.hair_mask, aligned, image.shape, beyond=edited.beyond)   # and past the crop's top
    changed = np.abs(result.output.astype(int) - image.astype(int)).max(axis=2) > 0
    assert changed.sum() > 2000, "the hair did not change"
    assert not (changed & ~hair).any(), f"{(changed & ~hair).sum()} pixels changed outside the hair"
    assert edited.replace.max() == 0   # a recolouring keeps the frame's own detail


def test_dark_hair_the_mask_spills_over_a_whole_dark_crop_is_recoloured_in_a_heads_shape_not_a_square(
        pipeline, faces):
    name, image, aligned = faces[0]
    # A dark head on a dark wall that the segmenter takes for hair everywhere off the face.
    size, large = aligned.crop.shape[0], aligned.detail.shape[0]
    rng = np.random.default_rng(0)
    oval = face_oval(aligned.landmarks, size)
    crop = np.where(oval[..., None], aligned.crop, rng.integers(5, 25, aligned.crop.shape)).astype(np.uint8)
    big = cv2.resize(oval.astype(np.uint8), (large, large), interpolation=cv2.INTER_NEAREST) > 0
    detail = np.where(big[..., None], aligned.detail, rng.integers(5, 25, aligned.detail.shape)).astype(np.uint8)
    dark = dataclasses.replace(aligned, crop=crop, detail=detail, outer=None,
                               hair=np.where(oval, 0.0, 1.0).astype(np.float32), person=np.ones((size, size), np.float32))
    edited = HairRenderer().render(dark, pipeline.editor.edit(dark, pipeline.styles.get("blond"), 1.0))
    changed = np.abs(edited.crop.astype(int) - detail.astype(int)).max(axis=2) > 10
    corner = large // 8
    assert not changed[:corner, :corner].any() and not changed[:corner, -corner:].any()   # rounded off
    top = int(aligned.landmarks[10, 1] * large / size)                                     # the hairline
    assert changed[max(top - large // 10, 0):top, large // 3:2 * large // 3].mean() > 0.5  # the hair is blond
    reach = hair_reach(aligned.landmarks, size, 1.3, 0.15)
    ears = int(aligned.landmarks[454, 1])
    assert reach[0, 0] == 0 and reach[ears - 2, size // 2] == 1 and reach[-1, 2] > reach[ears, 2]   # wider below


def test_hair_the_crop_cuts_and_that_cannot_be_followed_past_it_fades_out_before_the_edge():
    size = 200
    margin = edge_margin(size)
    mask = np.zeros((size, size), np.float32)
    mask[:, 80:120] = 1.0                    # a lock running off the crop's top and bottom
    mask[:margin], mask[-margin:] = 0.0, 0.0  # (edit_limit's fade at the edge)
    assert np.array_equal(fade_cut(mask, 1.0), mask)          # followed past the crop: as it is
    faded = fade_cut(mask, 0.0)
    column = faded[:, 100]
    bottom_fade = int(ENDS_FADE[0] * size)
    assert column[size - margin - 1] < 0.05 and column[size - bottom_fade] > 0.95   # gone at the edge, whole above
    assert np.all(np.diff(column[size // 2:size - margin]) <= 1e-6)                   # fading, no step
    assert column[margin] < 0.05 and column[int(ENDS_FADE[2] * size) + 1] > 0.95      # the top over less
    assert faded[:, :70].max() == 0.0 and faded[size // 2, 100] == 1.0
    half = fade_cut(mask, 0.5)[size - margin - 1, 100]
    assert 0.4 < half < 0.6                                   # half trusted: half faded


def test_hair_the_frames_own_edge_cuts_is_not_faded_there():
    """A webcam's close-up crop often reaches below the frame: the frame's edge hides the cut,
    and fading the new colour out there would only add dark ends."""
    crop = np.zeros((64, 64, 3), np.uint8)
    aligned = AlignedFace(crop, np.float64([[1, 0, -20], [0, 1, -10]]), np.zeros((478, 2), np.float32),
                          np.zeros((128, 128, 3), np.uint8), frame_shape=(60, 120))   # the crop's rows 50- lie below it
    bottom, left, right, top = edges_shown(aligned, 128)
    assert bottom.max() < 0.05 and left[:80].min() > 0.95 and left[110:].max() < 0.05 and top.min() > 0.95
    mask = np.zeros((128, 128), np.float32)
    mask[5:-5, 40:90] = 1.0
    faded = fade_cut(mask, 0.0, (bottom, left, right, top))
    assert faded[-6, 60] == 1.0 and faded[5, 60] < 0.05          # kept at the hidden bottom, faded at the top
    assert edges_shown(dataclasses.replace(aligned, frame_shape=None), 128) is None


def test_dark_curls_on_a_dark_speckled_wall_are_recoloured_in_a_heads_shape_fading_out_at_the_crops_edge(
        pipeline):
    """CelebA 182721 (the celeba1 sheet's row 2): black curls before a black, speckled wall
    (13 % of the crop seen as wall, but of the hair's colour). Blond was a square block to
    the crop's sides, cut straight across at its bottom."""
    image = read_image(os.path.join(need(CELEBA), "img", "182721.jpg"))
    frame, aligned = pipeline.track(Frame(0, 0, image))
    edited = pipeline.edit(frame, aligned, pipeline.styles.get("blond"))
    changed = np.abs(edited.crop.astype(int) - aligned.detail.astype(int)).max(axis=2) > 10
    size = changed.shape[0]
    margin = edge_margin(size)
    top = int(aligned.landmarks[10, 1] * aligned.scale)                         # the hairline
    assert changed[top - size // 10:top, size // 3:2 * size // 3].mean() > 0.5  # her hair is blond
    assert changed[:size // 2, margin:margin + 4].mean() < 0.02                 # not the wall beside her
    assert changed[:size // 2, -margin - 4:-margin].mean() < 0.02
    assert changed[size - margin - 3:size - margin].mean() < 0.1                # faded out at the bottom ...
    assert changed[int(0.7 * size):int(0.75 * size)].mean() > 0.2               # ... from blond above it


def _photo(photos, name):
    """The astronaut, or a CelebA photo by its number."""
    return dict(photos)["astronaut"] if name == "astronaut" else read_image(
        os.path.join(need(CELEBA), "img", f"{name}.jpg"))


def test_where_a_fringe_hides_the_forehead_a_bald_scalp_is_about_as_light_as_it_would_be(pipeline, photos):
    """CelebA 184929, 182839, 188337, 186277 and the astronaut: a fringe hides the forehead, so
    the scalp took the tone of the skin between nose and mouth, which on faces that show both is
    a median 14 L* darker than the forehead: a tan or brown cap, 21 L* below the forehead the
    cheeks foretell (``render.forehead_tone``) in the mean (18-24). Then 8-15 below (10.7), within
    the real bald heads' IQR of the forehead but darker than their mean (7.8) and than domes on
    faces whose forehead shows, which are lifted to it (``..._as_light_as_the_forehead``). Now
    lifted too, to ``render.HIDDEN_GAP`` below it: 6-10 below, the real heads' mean within 2."""
    gaps = []
    for name in ("184929", "182839", "188337", "186277", "astronaut"):
        frame, aligned = pipeline.track(Frame(0, 0, _photo(photos, name)))
        crop = pipeline.edit(frame, aligned, pipeline.styles.get("bald")).crop
        size = crop.shape[0]
        landmarks = aligned.landmarks * aligned.scale
        hair = cv2.resize(aligned.hair, (size, size))
        assert forehead_box(landmarks, hair) is None            # (the fringe hides it)
        forehead, _ = render.forehead_tone(to_lab(aligned.detail), landmarks, hair)
        dome = ((np.abs(crop.astype(int) - aligned.detail).max(axis=-1) > 12) & (skull(landmarks, size) > 0.5)
                & ~face_oval(landmarks, size))
        gaps.append(np.median(to_lab(crop)[dome][:, 0]) - forehead[0])
    assert -9.8 < np.mean(gaps) < -5.8, gaps


def test_the_forehead_a_fringe_hides_is_foretold_from_the_cheeks(faces):
    """On faces that show both, the bare forehead is lighter than the skin between nose and mouth
    (``render.CHEEKS_TO_FOREHEAD``), by more on darker cheeks: on the astronaut's landmarks and
    hair (her fringe hides her forehead), skin of one colour foretells a lighter forehead."""
    _, _, aligned = faces[1]
    size = aligned.detail.shape[0]
    landmarks = aligned.landmarks * aligned.scale
    hair = cv2.resize(aligned.hair, (size, size))
    for light, lighter in ((45.0, (15.0, 20.0)), (75.0, (7.0, 11.0))):
        lab = np.full((size, size, 3), (light, 12.0, 16.0), np.float32)
        tone, skin = render.forehead_tone(lab, landmarks, hair)
        assert (skin & (hair > 0.5)).sum() == 0 and not (skin & render.above_brows(landmarks, size)).any()
        assert lighter[0] < tone[0] - light < lighter[1] and tone[1] < 12.0 and tone[2] == 16.0


def test_a_fringe_taken_away_bares_a_forehead_in_the_faces_own_tone(pipeline):
    """CelebA 182839, 188337 and 186277: a fringe down to the brows. The forehead drawn where it
    goes took the tone of the skin beside it, which there is the brows and, between the strands,
    skin in the fringe's shadow: a grey patch 5.3, 24.5 and 8.3 CIELAB units off the cheeks'
    colour (12.7 in the mean). Then the cheeks' own tone: 4.0, 7.6 and 4.4 off them, but 14 L*
    darker in the median than a forehead is on faces that show both, a tan patch: 18.1, 17.8 and
    15.5 off the forehead the cheeks foretell (``render.forehead_tone``). Now 6.3, 9.1 and 6.8."""
    gaps = []
    for name in ("182839", "188337", "186277"):
        frame, aligned = pipeline.track(Frame(0, 0, read_image(os.path.join(need(CELEBA), "img", f"{name}.jpg"))))
        crop = pipeline.edit(frame, aligned, pipeline.styles.get("no_bangs")).crop
        size = crop.shape[0]
        landmarks = aligned.landmarks * aligned.scale
        oval = face_oval(landmarks, size)
        drawn = (np.abs(crop.astype(int) - aligned.detail).max(axis=-1) > 12) & oval
        assert drawn.sum() > 0.01 * size * size
        forehead, _ = render.forehead_tone(to_lab(aligned.detail), landmarks, cv2.resize(aligned.hair, (size, size)))
        gaps.append(np.linalg.norm(np.median(to_lab(crop)[drawn], axis=0) - forehead))
    assert np.mean(gaps) < 8.0, gaps


def test_a_bald_scalp_is_about_as_light_as_the_forehead(pipeline):
    """On the val and test split's 76 real bald heads, measured as here (the skull outside the
    face oval against ``forehead_box``), the scalp's median L* is 7.8 below the forehead's in the
    mean (IQR -14.9 to -1.6; the thirty-fifth pass: an earlier measure on another part of the
    head read 0.0). Drawn in the skin's median tone these four test faces' domes were 11.6 below
    in the mean; lifted to the forehead with a pale spot high on the dome, 7.5; with its top
    turned away from the camera (``render.CROWN_SHADE``), 10.7 (the first 150 test faces: 7.0,
    near real heads'; 3.5 before). Neither a pale cap nor a dark one: within the real heads' IQR."""
    gaps = []
    for name in ("000025", "000033", "000035", "000069"):
        frame, aligned = pipeline.track(Frame(0, 0, read_image(os.path.join(need(CELEBA), "img", f"{name}.jpg"))))
        crop = pipeline.edit(frame, aligned, pipeline.styles.get("bald")).crop
        size = crop.shape[0]
        landmarks = aligned.landmarks * aligned.scale
        x0, y0, x1, y1 = forehead_box(landmarks, cv2.resize(aligned.hair, (size, size)))
        lab = to_lab(crop)
        dome = (np.abs(crop.astype(int) - aligned.detail).max(axis=-1) > 12) & (skull(landmarks, size) > 0.5)
        gaps.append(np.median(lab[dome][:, 0]) - np.median(lab[y0:y1, x0:x1, 0]))
    assert -14.9 < np.mean(gaps) < -1.6


@pytest.mark.parametrize("name, fringe", [("184436", 0.5), ("183047", 0.75)])
def test_light_hair_made_black_takes_its_whole_fringe_and_leaves_the_eyes_as_they_were(pipeline, name, fringe):
    """CelebA 184436: a blond fringe of her skin's own colour came out in patches, the skin
    between them (a fifth of the band above her brows went dark). 183047: the mask of her white
    hair runs over her brows and made-up eyelids, and they went dark (12.9 L* round the eyes) and
    half of her fringe stayed white."""
    image = read_image(os.path.join(need(CELEBA), "img", f"{name}.jpg"))
    frame, aligned = pipeline.track(Frame(0, 0, image))
    edited = pipeline.edit(frame, aligned, pipeline.styles.get("black"))
    size = edited.crop.shape[0]
    landmarks = aligned.landmarks * aligned.scale
    darker = to_lab(aligned.detail)[..., 0] - to_lab(edited.crop)[..., 0]
    assert darker[_round_eyes(landmarks, size)].mean() < 3.0
    brow, top = int(landmarks[BROWS, 1].min()), int(landmarks[10, 1])
    band = darker[max(top, brow - size // 12):brow - 2, int(landmarks[33, 0]):int(landmarks[263, 0])]
    assert (band > 15).mean() > fringe


def _round_eyes(landmarks: np.ndarray, size: int) -> np.ndarray:
    """(S, S) bool: the eyes and 4 px round them."""
    eyes = np.zeros((size, size), np.uint8)
    for eye in EYES:
        cv2.fillPoly(eyes, [cv2.convexHull(landmarks[eye].astype(np.int32))], 1)
    return cv2.dilate(eyes, np.ones((9, 9), np.uint8)) > 0


@pytest.mark.parametrize("name", ["000965", "000748"])
def test_dark_hair_made_gray_leaves_the_eyes_and_the_skin_under_its_fringe_as_they_were(pipeline, name):
    """CelebA 000965 and 000748 (test split): the mask of a dark fringe runs over her made-up
    eyelids, and gray lit them into white rims (20-21 L* round the eyes). 000748: the skin
    between her fringe and her brows, which the segmenter takes in, was lit white too."""
    image = read_image(os.path.join(need(CELEBA), "img", f"{name}.jpg"))
    frame, aligned = pipeline.track(Frame(0, 0, image))
    edited = pipeline.edit(frame, aligned, pipeline.styles.get("gray"))
    size = edited.crop.shape[0]
    landmarks = aligned.landmarks * aligned.scale
    before, after = to_lab(aligned.detail), to_lab(edited.crop)
    assert np.abs(after[..., 0] - before[..., 0])[_round_eyes(landmarks, size)].mean() < 3.0
    # ... and her hair did go light.
    hair = cv2.resize(aligned.hair, (size, size)) > 0.9
    assert (after[..., 0] - before[..., 0])[hair].mean() > 10.0
    if name == "000748":
        skin = np.median(before[face_interior(landmarks, size)], axis=0)
        rows = np.arange(size)[:, None]
        line = brow_line(landmarks, size)[None, :]
        band = (rows >= line) & (rows < line + 0.08 * size) & (np.abs(before[..., 1:] - skin[1:]).max(axis=-1) < 6)
        band &= (before[..., 0] > skin[0] - 5) & ~_round_eyes(landmarks, size)
        band[:, :int(landmarks[33, 0])] = band[:, int(landmarks[263, 0]):] = False
        assert band.sum() > 50 and (after[..., 0] - before[..., 0])[band].mean() < 8.0


@pytest.mark.parametrize("style", ["receding", "no_bangs"])
def test_hair_taken_from_above_a_fringe_takes_its_end_over_the_brows_and_draws_the_brows_it_hid(pipeline, style):
    """CelebA 000748 (test split): her fringe hangs over her brows to her eyes. Receding or
    without bangs, its end over the protected face stayed: a strip of hair across the brows under
    the bare forehead (a tenth of the hair just above the brows' arc kept as it was), and the
    hair over the brows themselves, a dark band as wide as them (as dark as her hair: all the way
    from the forehead's L* to the hair's). Now the brows are drawn anew (``mirror.render.eyebrows``),
    about half way (0.56-0.65), as real brows are; her eyes stay as they were."""
    image = read_image(os.path.join(need(CELEBA), "img", "000748.jpg"))
    frame, aligned = pipeline.track(Frame(0, 0, image))
    edited = pipeline.edit(frame, aligned, pipeline.styles.get(style))
    size = edited.crop.shape[0]
    landmarks = aligned.landmarks * aligned.scale
    before, after = to_lab(aligned.detail), to_lab(edited.crop)
    changed = np.abs(after[..., 0] - before[..., 0])
    brows = regions.brows(landmarks, size).astype(np.uint8)
    rows = np.arange(size)[:, None]
    line = brow_line(landmarks, size)[None, :]
    arc = (rows >= line - 0.03 * size) & (rows <= line + 0.01 * size) & ~(cv2.dilate(brows, np.ones((5, 5), np.uint8)) > 0)
    arc[:, :int(landmarks[33, 0])] = arc[:, int(landmarks[263, 0]):] = False
    hair = cv2.resize(aligned.hair, (size, size))
    assert ((hair > 0.5) & arc).sum() > 200
    assert ((changed < 3.0) & (hair > 0.5))[arc].mean() < 0.03
    forehead, _ = render.forehead_tone(before, landmarks, hair)
    own = own_color(to_lab(aligned.crop), aligned.hair)[0]
    inner = cv2.erode(brows, np.ones((3, 3), np.uint8)) > 0

    def way(lab):     # (how far from the forehead's L* to the hair's)
        return (np.median(lab[inner][:, 0]) - forehead[0]) / (own[0] - forehead[0])

    assert way(before) > 0.9 and 0.35 < way(after) < 0.7
    assert changed[_round_eyes(landmarks, size)].mean() < 3.0


@pytest.mark.parametrize("style", ["bald", "receding"])
def test_a_fringe_the_segmenter_is_unsure_of_goes_whole_not_as_a_dark_blot(pipeline, style):
    """CelebA 005030 (test split): a dark fringe over his forehead, which the segmenter half takes
    for hair (its strands with skin between them). Half taken, it stayed as a dark blot on the
    bared front of his head: 21-23% of the forehead above the brows' arc 15 L* darker than what
    was drawn there. Now it goes whole (``render.UNSURE``): under 5%."""
    frame, aligned = pipeline.track(Frame(0, 0, read_image(os.path.join(need(CELEBA), "img", "005030.jpg"))))
    crop = pipeline.edit(frame, aligned, pipeline.styles.get(style)).crop
    size = crop.shape[0]
    landmarks = aligned.landmarks * aligned.scale
    front = face_oval(landmarks, size) & render.above_brows(landmarks, size)
    drawn = front & (np.abs(crop.astype(int) - aligned.detail).max(axis=-1) > 12)
    assert drawn.sum() > 0.3 * front.sum()
    light = to_lab(crop)[..., 0]
    assert (light[front] < np.median(light[drawn]) - 15.0).mean() < 0.05



@pytest.mark.parametrize("style", ["no_bangs", "receding", "bald"])
def test_hair_taken_from_over_the_face_leaves_no_thin_line_of_itself_on_the_bared_skin(pipeline, style):
    """CelebA 001335 (test split): a fringe over his brows and hair over his cheeks. Where two
    soft parts of a removal met (the fringe's end hung over the brows and the wisps below it; the
    protected face's edge and the hair hung over it), its weight dipped half way between them and
    the hair showed through as thin dark lines: across his brows like a pair of glasses' (no
    bangs 27 pixels, receding 29, 6 L* or more darker than their 5x5 median in the skin drawn
    over the face, off the brows and eyes), down his cheeks in bald (39). Now none."""
    frame, aligned = pipeline.track(Frame(0, 0, read_image(os.path.join(need(CELEBA), "img", "001335.jpg"))))
    edited = pipeline.edit(frame, aligned, pipeline.styles.get(style))
    size = edited.crop.shape[0]
    landmarks = aligned.landmarks * aligned.scale
    light = to_lab(edited.crop)[..., 0]
    darker = cv2.medianBlur(np.clip(light * 2.55, 0, 255).astype(np.uint8), 5) / 2.55 - light
    width = int(0.03 * size) | 1
    drawn = cv2.morphologyEx((edited.replace > 0.9).astype(np.uint8), cv2.MORPH_CLOSE,
                             cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (width, width))) > 0
    brows = cv2.dilate(regions.brows(landmarks, size).astype(np.uint8), np.ones((7, 7), np.uint8)) > 0
    skin = drawn & face_oval(landmarks, size) & ~brows & ~(regions.eyes(landmarks, size, 0.3) > 0)
    assert skin.sum() > 2000
    assert ((darker > 6.0) & skin).sum() <= 3


def test_a_removals_thin_dip_is_filled_but_not_the_strands_kept_where_hair_thins():
    """``render.close_dips`` fills a dip a pixel or two wide in a removal's weight where it is over
    half (a thin line of the hair taken between two soft parts), not one under half, and
    not where hair thins (``thin_out``): there its dips are the strands kept (filled, the hair-loss
    scale's "thin on top" lost 25-95 pixels of its strands on the astronaut and three CelebA faces)."""
    weight = np.ones((128, 128), np.float32)
    weight[60:62, 20:100] = 0.6             # (a line, 2 px wide, of the hair showing through)
    weight[30:32, 20:100] = 0.4             # (as narrow, but under half: the hair mostly stays there)
    closed = render.close_dips(weight, np.zeros_like(weight))
    assert closed[60:62, 30:90].min() > 0.99 and np.array_equal(closed[30:32], weight[30:32])
    thinned = np.zeros_like(weight)
    thinned[40:80] = 0.5
    kept = render.close_dips(weight, thinned)
    assert np.array_equal(kept[60:62], weight[60:62])


def test_a_receding_hairline_bares_the_head_up_to_its_outline_not_the_wall(pipeline):
    """CelebA 000241 (test split) in receding: the hair taken at her temple reaches the head's
    outline, past the scalp drawn 4% of the crop inside the person's outline (a layer of hair).
    Drawn there as the wall, the sky cut a wedge into her head (195 of the drawn pixels inside her
    outline had the wall's colour, not the skin's; on d0 and d13 in video a green and a grey wedge
    at the temple). A hairline that only recedes bares the head's own outline: 12."""
    frame, aligned = pipeline.track(Frame(0, 0, read_image(os.path.join(need(CELEBA), "img", "000241.jpg"))))
    edited = pipeline.edit(frame, aligned, pipeline.styles.get("receding"))
    size = edited.crop.shape[0]
    person, hair = (cv2.resize(m, (size, size), interpolation=cv2.INTER_LINEAR) for m in (aligned.person, aligned.hair))
    within = cv2.erode((person > 0.5).astype(np.uint8), np.ones((5, 5), np.uint8)) > 0
    before, after = to_lab(aligned.detail), to_lab(edited.crop)
    wall = np.median(before[(person < 0.2) & (hair < 0.2)], axis=0)
    skin = np.median(before[cv2.resize(face_interior(aligned.landmarks, aligned.crop.shape[0]).astype(np.uint8), (size, size)) > 0], axis=0)
    drawn = (edited.replace > 0.5) & within
    assert drawn.sum() > 2000
    walllike = np.linalg.norm(after - wall, axis=-1) < np.linalg.norm(after - skin, axis=-1)
    assert (drawn & walllike).sum() < 60, (drawn & walllike).sum()

def test_brows_drawn_anew_in_a_small_crop_are_soft_bands_not_split_lengthwise(pipeline):
    """CelebA 000748 in no_bangs, rendered at the model crop's own size (128 px, as
    ``train.evaluate`` and a face far from the camera have it): her brows are drawn anew. Their
    strands, finer than a pixel there, split a brow lengthwise, a light row between two darker
    ones in 29 of the brows' 49 columns (with their outline's half-pixel edge, a pencil line round a pale
    middle); real brows at this size are soft bands. Now in none."""
    frame, aligned = pipeline.track(Frame(0, 0, read_image(os.path.join(need(CELEBA), "img", "000748.jpg"))))
    small = dataclasses.replace(aligned, detail=aligned.crop)
    light = to_lab(HairRenderer().render(small, pipeline.editor.edit(small, pipeline.styles.get("no_bangs"), 1.0)).crop)[..., 0]
    split = columns = 0
    for outline in regions.BROW_OUTLINES:
        brow = cv2.dilate(regions.outline_mask(aligned.landmarks, outline, light.shape[0]), np.ones((3, 3), np.uint8)) > 0
        for column in np.flatnonzero(brow.any(axis=0)):
            rows = np.flatnonzero(brow[:, column])
            across = light[rows.min():rows.max() + 1, column]
            columns += 1
            split += any(across[i] - across[:i].min() > 2.0 and across[i] - across[i + 1:].min() > 2.0
                         for i in range(1, len(across) - 1))
    assert columns > 40 and split <= 0.05 * columns, (split, columns)


@pytest.mark.parametrize("name, style", [("astronaut", "no_bangs"), ("astronaut", "bald"), ("000158", "receding")])
def test_brows_that_show_stay_the_persons_own(pipeline, photos, name, style):
    """The astronaut's fringe ends at her brows, which show; CelebA 000158's dark brows lie under
    a low hairline, and the segmenter's soft mask reaches over them: neither is drawn anew."""
    frame, aligned = pipeline.track(Frame(0, 0, _photo(photos, name)))
    edited = pipeline.edit(frame, aligned, pipeline.styles.get(style))
    size = edited.crop.shape[0]
    landmarks = aligned.landmarks * aligned.scale
    inner = cv2.erode(regions.brows(landmarks, size).astype(np.uint8), np.ones((3, 3), np.uint8)) > 0
    changed = np.abs(to_lab(edited.crop)[..., 0] - to_lab(aligned.detail)[..., 0])
    assert (np.abs(edited.crop.astype(int) - aligned.detail).max(axis=-1) > 12).mean() > 0.05   # (edited)
    assert changed[inner].mean() < 3.0


def test_white_hair_on_a_white_wall_made_black_leaves_no_dark_haze_round_the_head(pipeline):
    """CelebA 183246: white hair against a white wall. Made black, the soft edge of its mask
    darkened the wall above his head in a haze, by 28 grey levels on average a few pixels out
    (a tenth of it by 70 or more)."""
    image = read_image(os.path.join(need(CELEBA), "img", "183246.jpg"))
    frame, aligned = pipeline.track(Frame(0, 0, image))
    edited = pipeline.edit(frame, aligned, pipeline.styles.get("black"))
    hair = (HairRenderer._hair(aligned, aligned.detail.astype(np.float32) / 255.0) > 0.5).astype(np.uint8)
    near = (cv2.dilate(hair, np.ones((13, 13), np.uint8)) > 0) & ~(cv2.dilate(hair, np.ones((3, 3), np.uint8)) > 0)
    near[int(aligned.landmarks[10, 1] * aligned.scale):] = False      # above his forehead
    darker = aligned.detail.astype(np.float32).mean(axis=2) - edited.crop.astype(np.float32).mean(axis=2)
    assert near.sum() > 1000
    assert darker[near].mean() < 22.0 and np.percentile(darker[near], 90) < 45.0
    # ... and his hair did go black.
    assert darker[hair > 0].mean() > 60.0


def test_a_lit_forehead_under_a_loose_mask_is_skin_and_surely_segmented_hair_of_the_skins_colour_is_hair():
    # Blond hair on the left, a forehead lit lighter than the face's median skin on the right;
    # the loose mask covers both.
    skin, lit, blond = np.float32([67, 10, 24]), np.float32([78, 9, 25]), np.float32([70, 6, 26])
    lab = np.tile(lit, (96, 96, 1))
    lab[:, :48] = blond + np.random.default_rng(0).normal(0, 2.0, (96, 48, 3))
    mask = np.ones((96, 96), np.float32)
    own = np.float32([[70, 6, 26], [8, 3, 3]])
    zone = np.ones((96, 96), np.float32)
    assert hair_matte(lab, own, mask, skin, zone)[:, 60:].max() < 0.05     # the lit forehead: skin
    # Hair of the skin's very colour is hair where the segmenter is sure of it, well inside its
    # edge: the renderer takes that out of the skin zone.
    hair = np.zeros((64, 64), np.float32)
    hair[:, :32] = 0.99
    hair[:, 32:36] = 0.8
    aligned = AlignedFace(np.zeros((64, 64, 3), np.uint8), np.float64([[1, 0, 0], [0, 1, 0]]),
                          np.zeros((478, 2), np.float32), np.zeros((96, 96, 3), np.uint8), hair=hair)
    certain = HairRenderer._sure(aligned, 96, HAIR_CERTAIN, CERTAIN_INSET)
    assert certain[:, :40].min() > 0.99 and certain[:, 48:].max() == 0.0   # (its edge: 2 % of the crop in)


def test_hair_hanging_over_the_face_is_the_hair_joined_to_the_hair_outside_it():
    keep_out = np.ones((64, 64), np.float32)
    keep_out[24:, 16:48] = 0.0                  # the protected face
    hair = np.zeros((64, 64), np.float32)
    hair[:20] = 1.0                             # the hair on the head ...
    hair[20:40, 20:24] = 0.9                    # ... a strand from it over the face
    hair[30:34, 30:44] = 0.8                    # an eyebrow the mask took for hair: alone
    over = hanging(hair, keep_out)
    assert np.array_equal(over[20:40, 20:24], hair[20:40, 20:24]) and over[:20].min() == 1.0
    assert over[30:34, 30:44].max() == 0.0 and over[hair == 0].max() == 0.0


def long_hair(wall: int) -> tuple[AlignedFace, np.ndarray]:
    """A 64-px crop (128-px detail) of a frame where a dark lock of hair at crop columns 20-29
    hangs on down past the crop's bottom over a wall of grey ``wall``, and the recolouring's
    mask of the lock, faded out at the crop's edge as the renderer's is."""
    rng = np.random.default_rng(0)
    frame = np.full((128, 128, 3), wall, np.uint8)
    frame[:, 52:62] = np.clip(40 + rng.normal(0, 4, (128, 10, 3)), 0, 255).astype(np.uint8)
    to_crop = np.float64([[1, 0, -32], [0, 1, -32]])          # the crop is the frame's middle
    crop = frame[32:96, 32:96].copy()
    hair = np.zeros((64, 64), np.float32)
    hair[:, 20:30] = 1.0
    aligned = AlignedFace(crop, to_crop, np.zeros((478, 2), np.float32), cv2.resize(crop, (128, 128)),
                          person=hair.copy(), hair=hair, outer=frame)
    mask = cv2.resize(hair, (128, 128), interpolation=cv2.INTER_NEAREST)
    edge = np.clip((np.minimum(np.arange(128), 127 - np.arange(128)) + 0.5) / 5, 0, 1).astype(np.float32)
    return aligned, mask * edge[:, None] * edge[None, :]


def test_a_recolouring_follows_long_hair_past_the_crop_but_not_onto_a_wall_of_its_colour():
    aligned, mask = long_hair(wall=200)
    own = own_color(to_lab(aligned.crop), aligned.hair)
    reach = beyond(aligned, mask, own, color_table(own, np.float32([[75, 5, 25], [8, 3, 6]])))
    assert reach is not None
    lock, wall = reach.mask[100:, 55:59], np.concatenate([reach.mask[100:, :48], reach.mask[100:, 66:]], axis=1)
    assert lock.min() > 0.9 and wall.max() < 0.05       # on down the lock, not onto the wall beside it
    top = np.concatenate([reach.mask[:28, :48], reach.mask[:28, 66:]], axis=1)
    assert reach.mask[:28, 55:59].min() > 0.9 and top.max() < 0.05   # and up it past the crop's top
    assert reach.mask[40:88, 40:88].max() < 0.05        # inside the crop the crop's own recolouring holds
    aligned, mask = long_hair(wall=40)                  # a wall as dark as the hair: not followed
    assert beyond(aligned, mask, own_color(to_lab(aligned.crop), aligned.hair), None) is None


def test_a_crown_the_crop_cuts_on_a_wall_of_its_colour_is_followed_by_the_heads_outline():
    """Dark hair before a dark wall, its crown above the crop's top: colour cannot tell the crown
    from the wall there, so the head's outline carries the new colour on past the crop, round
    the crown and no farther (left in its old colour, it was a dark cap over blond hair)."""
    rng = np.random.default_rng(0)
    frame = np.clip(40 + rng.normal(0, 4, (128, 128, 3)), 0, 255).astype(np.uint8)   # hair and wall alike
    ys, xs = np.mgrid[0:128, 0:128]
    head = ((xs - 64) / 27.0) ** 2 + ((ys - 72) / 49.0) ** 2 <= 1.0    # crown at frame row 23
    crop = frame[32:96, 32:96].copy()
    landmarks = np.zeros((478, 2), np.float32)
    landmarks[[234, 454, 10]] = [[16, 40], [48, 40], [32, 20]]        # ears and hairline: the skull
    hair = head[32:96, 32:96].astype(np.float32)
    aligned = AlignedFace(crop, np.float64([[1, 0, -32], [0, 1, -32]]), landmarks, cv2.resize(crop, (128, 128)),
                          person=hair.copy(), hair=hair, outer=frame)
    edge = np.clip((np.minimum(np.arange(128), 127 - np.arange(128)) + 0.5) / 5, 0, 1).astype(np.float32)
    mask = cv2.resize(hair, (128, 128), interpolation=cv2.INTER_NEAREST) * edge[:, None] * edge[None, :]
    own = own_color(to_lab(aligned.crop), aligned.hair)
    assert wall_contrast(aligned, own) == 0.0
    reach = beyond(aligned, mask, own, color_table(own, np.float32([[75, 5, 25], [8, 3, 6]])))
    assert reach is not None
    assert reach.mask[26:32, 60:69].min() > 0.7                 # the crown past the crop's top
    assert reach.mask[:18].max() < 0.05                         # not above the head
    assert reach.mask[:32, :36].max() < 0.05 and reach.mask[:32, 93:].max() < 0.05   # nor the wall beside it
    faded = fade_cut(mask, 0.0, crown=True)
    assert np.array_equal(faded[:64], mask[:64]) and faded[-6, 64] < 0.05   # not faded at the top, at the foot


def test_a_recolouring_follows_long_hair_into_the_corner_past_two_of_the_crops_edges():
    """Hair falling past the crop's bottom right corner (182920's long hair): the part of it
    below and right of the crop is recoloured too, not left as a bar of the old colour."""
    rng = np.random.default_rng(0)
    frame = np.full((128, 128, 3), 200, np.uint8)
    frame[:, 82:] = np.clip(40 + rng.normal(0, 4, (128, 46, 3)), 0, 255).astype(np.uint8)
    crop = frame[32:96, 32:96].copy()
    hair = np.zeros((64, 64), np.float32)
    hair[:, 50:] = 1.0
    aligned = AlignedFace(crop, np.float64([[1, 0, -32], [0, 1, -32]]), np.zeros((478, 2), np.float32),
                          cv2.resize(crop, (128, 128)), person=hair.copy(), hair=hair, outer=frame)
    edge = np.clip((np.minimum(np.arange(128), 127 - np.arange(128)) + 0.5) / 5, 0, 1).astype(np.float32)
    mask = cv2.resize(hair, (128, 128), interpolation=cv2.INTER_NEAREST) * edge[:, None] * edge[None, :]
    own = own_color(to_lab(aligned.crop), aligned.hair)
    reach = beyond(aligned, mask, own, color_table(own, np.float32([[75, 5, 25], [8, 3, 6]])))
    assert reach.mask[104:, 104:].min() > 0.9                                  # the corner
    assert reach.mask[104:, 86:96].min() > 0.9 and reach.mask[40:88, 104:].min() > 0.9   # below, beside
    assert reach.mask[:, :78].max() < 0.05                                      # not the wall


def test_the_compositor_recolours_the_frame_past_the_crop_through_the_reach():
    aligned, mask = long_hair(wall=200)
    own = own_color(to_lab(aligned.crop), aligned.hair)
    reach = beyond(aligned, mask, own, color_table(own, np.float32([[75, 5, 25], [8, 3, 6]])))
    frame = aligned.outer
    zero = np.zeros((128, 128), np.float32)
    out = Compositor().compose(frame, aligned, EditedFace(aligned.detail, zero, zero, reach))
    changed = np.abs(out.astype(int) - frame.astype(int)).max(axis=2) > 8
    assert changed[100:, 55:59].all() and not changed[:, :48].any() and not changed[:, 66:].any()


def test_hair_taken_away_at_the_crops_top_goes_past_it_too_and_the_wall_shows_there():
    aligned, loss = long_hair(wall=200)                  # the lock leaves the crop at its top too
    reach = removed_beyond(aligned, loss)
    assert reach is not None and reach.table is None
    # Up the lock above the crop, not onto the wall beside it, nor down past the crop's bottom.
    assert reach.mask[:30, 54:60].min() > 0.9 and reach.mask[:, :48].max() < 0.05 and reach.mask[:, 66:].max() < 0.05
    assert reach.mask[48:].max() < 0.05
    frame = aligned.outer
    zero = np.zeros((128, 128), np.float32)
    out = Compositor().compose(frame, aligned, EditedFace(aligned.detail, zero, zero, reach)).astype(int)
    assert np.abs(out[:30, 54:60] - 200).max() < 12 and np.array_equal(out[:, :48], frame[:, :48])
    aligned, loss = long_hair(wall=40)                   # a wall as dark as the hair: left alone
    assert removed_beyond(aligned, loss) is None


def test_hair_taken_away_past_the_crops_foot_and_sides_gives_way_to_what_the_edit_drew_there():
    """Long hair taken away (bald) went on below the crop and beside it, cut square at its edge
    (CelebA 000502, d3). Below, it is carried on down from what the edit drew at the crop's foot
    (the neck's dark skin or clothes the hair's colour takes in are not drawn over with the
    wall); beside, the wall beside it goes on along each row."""
    aligned, loss = long_hair(wall=200)
    drawn = np.full((128, 128, 3), 0.3, np.float32)      # what the edit drew (a grey wall)
    reach = removed_beyond(aligned, loss, drawn)
    assert reach.mask[100:, 55:59].min() > 0.9 and reach.mask[100:, :48].max() < 0.05   # down the lock
    assert np.abs(reach.fill[100:, 55:59].astype(int) - 77).max() <= 1                 # the drawn foot
    assert reach.mask[:30, 54:60].min() > 0.9            # and up it, as before
    # A lock of the wall's colour is not followed up past the crop, but below its foot the
    # drawing still fades out over FOOT_FADE (not a box cut square across the hair below it).
    dark, dark_loss = long_hair(wall=40)
    faded = removed_beyond(dark, dark_loss, drawn)
    below = faded.mask[96:, 55:59].mean(axis=1)
    fade = int(render.FOOT_FADE * 64)
    assert below[2] > 0.9 and 0.1 < below[fade // 2] < 0.9 and below[fade + 6:].max() < 0.05
    assert faded.mask[:30].max() < 0.05
    # A lock leaving the crop at its side: followed out along its rows.
    turned = AlignedFace(np.ascontiguousarray(np.rot90(aligned.crop)), aligned.to_crop, aligned.landmarks,
                         np.ascontiguousarray(np.rot90(aligned.detail)), person=np.rot90(aligned.person).copy(),
                         hair=np.rot90(aligned.hair).copy(), outer=np.ascontiguousarray(np.rot90(aligned.outer)))
    side = removed_beyond(turned, np.rot90(loss).copy())
    assert side is not None and side.mask[68:72, :30].min() > 0.9                      # (rows 66-75 now)
    assert side.mask[:60].max() < 0.05 and side.mask[82:].max() < 0.05
    out = Compositor().compose(turned.outer, turned, EditedFace(turned.detail, *(np.zeros((128, 128), np.float32),) * 2, side))
    assert np.abs(out[68:72, :28].astype(int) - 200).max() < 20 and np.array_equal(out[:60], turned.outer[:60])


def test_a_skull_is_rounded_off_below_a_crown_row_not_flattened(faces):
    _, _, astronaut = faces[1]
    landmarks, size = astronaut.landmarks * 2, 256
    crown = int(np.argmax((skull(landmarks, size) > 0.5).any(axis=1))) + 30    # 30 rows lower
    capped = skull(landmarks, size, top=crown) > 0.5
    rows = np.flatnonzero(capped.any(axis=1))
    assert abs(rows[0] - crown) <= 2
    # A dome: narrow near its crown (a flattened superellipse is still wide 8 rows below it).
    widths = capped.sum(axis=1)
    assert widths[crown + 8] < 0.55 * widths.max()
    assert np.array_equal(skull(landmarks, size, top=0), skull(landmarks, size))   # a crown above: as before


def test_a_bald_heads_outline_against_the_wall_is_as_sharp_as_a_heads(faces):
    """d3 as video: the dome's top, set by the person's outline less a layer of hair, faded into
    the wall over 8 px of the 256-px crop (13 of the frame), a blurred cap; a head's outline is
    a pixel or two."""
    _, _, astronaut = faces[1]
    landmarks, size = astronaut.landmarks * 2, 256
    column = int(round(landmarks[10, 0]))
    lower = np.zeros_like(astronaut.person)
    lower[16:] = astronaut.person[:-16]          # her outline lower: it sets the dome's top
    inside = HairRenderer._skull(landmarks, lower, size)[:, column]
    top = np.argmax(inside > 0.5)
    assert np.argmax(skull(landmarks, size, scale=SKULL_GROWTH)[:, column] > 0.5) + 5 < top
    assert top < np.argmax(skull(landmarks, size)[:, column] > 0.5) - 2
    assert np.argmax(inside > 0.9) - np.argmax(inside > 0.1) <= 3
    # ... the same where the skull from the landmarks sets it (a person outline far above).
    inside = HairRenderer._skull(landmarks, np.ones_like(astronaut.person), size)[:, column]
    assert np.argmax(inside > 0.9) - np.argmax(inside > 0.1) <= 3


def test_a_colour_target_follows_the_pictures_light_and_cast():
    target = np.float32([[53, 8, 20], [15, 4, 6]])
    reference = np.float32([64, 15, 19])                        # the skin of the blond training faces
    assert np.array_equal(scene_target(target, None, reference), target)
    assert np.array_equal(scene_target(target, reference, reference), target)
    dim = scene_target(target, reference, np.float32([37, 19, 27]))   # a dim, warm-lit frame
    assert 30 < dim[0, 0] < 45 and dim[1, 0] < target[1, 0]     # darker, as the skin is
    assert dim[0, 1] > target[0, 1] and dim[0, 2] > target[0, 2]  # warmer
    dark = scene_target(np.float32([[13, 3, 3], [10, 4, 4]]), reference, np.float32([37, 19, 27]))
    assert target[0, 0] - dim[0, 0] > 13 - dark[0, 0]           # a dark target moves less
    # A warm cast moves a grey target's b* further than a blond one's (a grey that kept its own
    # coolness read as lavender in a warm-lit room).
    warm = np.float32([64, 15, 29])
    grey = np.float32([[49, 4, 9], [13, 4, 5]])
    assert scene_target(grey, reference, warm)[0, 2] - 9 > 1.8 * (scene_target(target, reference, warm)[0, 2] - 20)
    assert scene_target(grey, reference, warm)[0, 2] < 9 + 10    # ... but not all of the way
    # A cast never turns hair green: skin far less red than the training faces' (a pale photo)
    # takes a* down only to GREEN_FLOOR.
    pale = np.float32([74, 8, 18])
    assert scene_target(np.float32([[13, 3, 3], [10, 4, 4]]), reference, pale)[0, 1] == pytest.approx(GREEN_FLOOR)
    assert scene_target(target, reference, pale)[0, 1] > GREEN_FLOOR     # blond keeps its own, less
    # ... nor blue: in a black-and-white photo (grey skin) silver hair stays grey, not a blue rinse.
    silver, grey_skin = np.float32([[64, 2, 4], [13, 3, 4]]), np.float32([60, 0, 0])
    assert scene_target(silver, np.float32([60, 15, 14]), grey_skin)[0, 2] == pytest.approx(BLUE_FLOOR)


def sure_hair_lab(aligned: AlignedFace, crop: np.ndarray) -> np.ndarray:
    """(N, 3) CIELAB of the (R, R, 3) uint8 ``crop`` where the renderer's hair mask of ``aligned`` is sure."""
    return to_lab(crop)[HairRenderer._hair(aligned, aligned.detail.astype(np.float32) / 255.0) > 0.9]


def test_hair_made_black_is_neutral_not_brown_black(pipeline):
    """Hair made black keeps its own spread of a*, b* (a ginger or brown head's warm lights): with
    a mean as warm as real black hair's it came out brown-black (d12's ginger curls at a median
    chroma of 8.2; on 300 test faces the judge saw black on 0.27 of them, against 0.53).
    Brown, a lighter target, keeps the colour it has."""
    def black_hair(clip):
        frame, aligned = pipeline.track(Frame(0, 0, clip_frame(clip, at=60)))
        lab = sure_hair_lab(aligned, pipeline.edit(frame, aligned, pipeline.styles.get("black")).crop)
        return np.median(lab[:, 0]), np.median(np.hypot(lab[:, 1], lab[:, 2]))

    lightness, chroma = black_hair("d12.mp4")
    assert lightness < 10 and chroma < 5
    # d3's dark brown hair (L* 13, chroma 14), within 8-20 CIELAB units of black, moved only a
    # seventh of the way and stayed brown (ALREADY); so did most of black's failures.
    lightness, chroma = black_hair("d3.mp4")
    assert lightness < 12 and chroma < 10
    brown_hair, black = np.float32([[35, 8, 14], [10, 3, 4]]), np.float32([[13, 2.7, 3.0], [10.6, 3.8, 4.5]])
    mean = move(brown_hair, black, 2.0)[0]                      # the mirror's reach for black
    assert np.linalg.norm(mean[1:]) < np.linalg.norm(black[0, 1:])  # twice as colourful before
    assert abs(np.degrees(np.arctan2(mean[2], mean[1]) - np.arctan2(3.0, 2.7))) < 1.0   # in black's hue
    blue_black = np.float32([[5, -1, -4], [4, 2, 2]])                 # black makes no hair lighter (an ash)
    assert move(blue_black, black, 2.0)[0][0] == pytest.approx(5)
    brown = np.float32([[26, 8.4, 12.5], [13.8, 4.4, 6.1]])
    assert np.allclose(move(np.float32([[50, 8, 18], [12, 3, 5]]), brown, 1.0)[0][1:], brown[0, 1:])


def test_a_spot_on_the_forehead_half_taken_for_hair_is_not_recoloured(pipeline):
    """CelebA 000019, a blond: the segmenter half takes a spot in the middle of her forehead for
    hair, in her hair's colour; made black, it was a dark blot there (a quarter of the pixels
    round her forehead's centre changed, by up to 72 grey levels). It joins no hair the
    segmenter is sure of."""
    frame, aligned = pipeline.track(Frame(0, 0, read_image(os.path.join(need(CELEBA), "img", "000019.jpg"))))
    crop = pipeline.edit(frame, aligned, pipeline.styles.get("black")).crop
    size = crop.shape[0]
    landmarks = aligned.landmarks * aligned.scale
    rows, cols = np.ogrid[:size, :size]
    centre = (rows - landmarks[151, 1]) ** 2 + (cols - landmarks[151, 0]) ** 2 < (size / 16) ** 2
    assert np.abs(crop.astype(int) - aligned.detail).max(axis=-1)[centre].max() <= 6
    assert sure_hair_lab(aligned, crop)[:, 0].mean() < 30       # the hair itself is black


def test_dark_hair_in_a_pale_photo_made_black_is_not_teal(pipeline, faces):
    """The astronaut's skin is less red than the black-haired training faces' (a* 8 against
    15): following the cast, her hair made black came out teal (a* -3.0 on average; below 0 on
    seven in ten of its pixels)."""
    _, image, aligned = faces[1]
    edited = pipeline.edit(Frame(0, 0, image), aligned, pipeline.styles.get("black"))
    lab = sure_hair_lab(aligned, edited.crop)
    assert lab[:, 0].mean() < 30                                # black
    assert lab[:, 1].mean() > 1.0 and (lab[:, 1] < 0).mean() < 0.3


def test_hair_made_lighter_goes_less_far_past_its_target_than_hair_made_darker():
    own = np.float32([[30, 6, 10], [8, 3, 3]])
    lighter, darker = np.float32([[55, 6, 10], [8, 3, 3]]), np.float32([[5, 6, 10], [8, 3, 3]])
    for amount in (0.5, 1.0):                                   # up to the target: as far either way
        assert move(own, lighter, amount)[0][0] - 30 == pytest.approx(30 - move(own, darker, amount)[0][0])
    up, down = move(own, lighter, 1.4)[0][0] - 30, 30 - move(own, darker, 1.4)[0][0]
    assert 25 < up < down                                       # past the lighter target, but not as far
    assert down == pytest.approx(1.4 * 25)


def test_platinum_or_white_hair_made_blond_or_gray_keeps_its_lightness_and_takes_the_hue():
    platinum = np.float32([[85, 2, 8], [6, 2, 3]])
    blond, gray = np.float32([[53, 8, 20], [16, 5, 6]]), np.float32([[49, 4, 9], [13, 4, 5]])
    brown = np.float32([[26, 8, 12], [14, 4, 6]])
    for target in (blond, gray):
        mean = move(platinum, target, 1.0)[0]
        assert mean[0] == pytest.approx(85)                          # no darker (a dull tan before)
        assert np.allclose(mean[1:], target[0, 1:])                  # in the colour's hue
    assert move(platinum, brown, 1.0)[0][0] == pytest.approx(26)    # a dark colour still darkens
    assert move(np.float32([[30, 6, 10], [8, 3, 3]]), blond, 1.0)[0][0] == pytest.approx(53)   # and blond lightens


def test_ginger_hair_made_blond_keeps_its_warmth_and_gray_does_not():
    """A ginger or auburn head made blond is a strawberry or golden blond: taken to the average
    blond's chroma (21) it came out ash grey (d12, CelebA's redheads)."""
    ginger, brown_hair = np.float32([[32, 17, 25], [15, 3, 8]]), np.float32([[30, 6, 10], [8, 3, 3]])
    blond, gray = np.float32([[53, 8, 20], [16, 5, 6]]), np.float32([[49, 4, 9], [13, 4, 5]])
    for amount in (1.0, 1.4):
        mean = move(ginger, blond, amount, warm=True)[0]
        assert np.linalg.norm(mean[1:]) == pytest.approx(np.linalg.norm(ginger[0, 1:]), abs=0.5)   # as warm
        assert abs(np.degrees(np.arctan2(mean[2], mean[1]) - np.arctan2(20, 8))) < 1.0   # in blond's hue
        assert mean[0] == pytest.approx(32 + (1 + LIGHTEN_PAST * (amount - 1)) * 21)     # as light
    assert np.allclose(move(brown_hair, blond, warm=True)[0][1:], blond[0, 1:])   # hair less colourful: as before
    assert np.linalg.norm(move(ginger, gray, warm=True)[0][1:]) < 11               # gray stays grey
    assert np.allclose(move(ginger, blond)[0][1:], blond[0, 1:])        # an exemplar's colour is its own

    """Orange curls (CelebA 183936) made gray: their near-black shadows lay far below the hair's
    warm a*, b*, kept that offset and came out teal (a* -5)."""
    own, gray = np.float32([[35, 16, 20], [34, 4.4, 8.9]]), np.float32([[49, 4.5, 9], [13, 4, 5]])
    shadow = np.float32([[[2, 2, 1], [20, 12, 18]]])           # a shadow, and hair's own colour
    out = to_lab((recolor(shadow, own, gray, 1.0, core=np.ones((1, 2), np.float32)) * 255).round().astype(np.uint8))
    assert out[0, 0, 1] >= -1.0 and out[0, 0, 2] >= -1.0       # neutral at worst, not teal
    assert out[0, 1, 1] < 12 and out[0, 1, 2] < 18              # the hair itself still moves to gray
    bgr = (from_lab(shadow) * 255).round().astype(np.uint8)
    fast = to_lab(color_table(own, gray).apply(bgr, np.ones((1, 2), np.float32)))
    assert fast[0, 0, 1] >= -1.0 and fast[0, 0, 2] >= -1.0


def test_dark_hairs_sheen_made_blond_is_not_stretched_into_a_pale_mottle():
    own, blond = np.float32([[10, 2, 3], [5, 2, 2]]), np.float32([[55, 8, 20], [15, 4, 6]])
    mean, ratio = move(own, blond, 1.4)                         # the mirror's reach at strength 1
    assert ratio[0] <= 1.0
    sheen = np.float32([[[20, 2, 3]]])                          # a broad highlight, two spreads up
    bgr = np.round(from_lab(sheen) * 255).astype(np.uint8)
    # (the live path's colour table as well as the still's float path)
    for out in ((recolor(sheen, own, blond, 1.4) * 255).round().astype(np.uint8), color_table(own, blond, 1.4).apply(bgr)):
        moved = to_lab(out)[0, 0]
        assert 10 - 1.5 <= moved[0] - mean[0] <= 10 + 1.5       # as far above the new hair as above the old


def test_a_warm_edge_pixel_made_blond_is_not_pushed_past_its_own_and_the_hairs_colour():
    own, blond = np.float32([[8, 0, 2], [4, 2, 2]]), np.float32([[60, 6, 28], [8, 3, 5]])
    mean, ratio = move(own, blond, 1.0)
    top = mean[0] + CEILING * own[1, 0] * ratio[0]                   # no lighter than the new hair's spread allows
    # Dark hair mixed with warm skin in shadow at a hairline: far from the hair's colour, so
    # only shifted, by the share of hair its mask gives it.
    edge = np.float32([[[35, 15, 24]]])
    for weight in (0.3, 0.6, 1.0):
        moved = to_lab((recolor(edge, own, blond, 1.0, mixed=np.ones((1, 1), np.float32),
                                weight=np.full((1, 1), weight, np.float32)) * 255).round().astype(np.uint8))[0, 0]
        assert moved[0] > min(35 + 0.8 * weight * (mean[0] - 8), top - 1.5)    # lighter by the hair's move
        assert moved[0] <= top + 1.0
        assert min(6, 15) - 1.5 <= moved[1] <= max(mean[1], 15) + 1.5          # a*, b* between its own ...
        assert min(24, 28) - 1.5 <= moved[2] <= max(mean[2], 24) + 1.5         # ... and the new hair's: no orange rim


def test_skin_seen_through_dark_hair_at_a_hairline_made_blond_is_no_lighter_than_the_skin():
    """d13 frame 150 (a held-out clip) in blond: dark hair lit from above (its spread 16.9 L*)
    thins out over the forehead, and the skin seen through it (L* 38-45, the skin's a*, b*) was
    only shifted, by the hair's whole move: 60-62, lighter than the new hair (47) and than the
    forehead below it (51): a pale band along the hairline. A mix of hair and skin made lighter
    is no lighter than the lighter of the two (``render.ceiling``)."""
    own, blond = np.float32([[27, 2, 7], [16.9, 1.5, 3]]), np.float32([[47, 8.7, 17.7], [14, 4.7, 6.4]])
    skin = np.float32([53.7, 18, 13])
    mean = move(own, blond, 1.0, True)[0]
    lab = np.float32([[[38, 12, 18], [42, 14, 18], [45, 16, 21], [12, 2, 5]]])
    bgr = np.round(from_lab(lab) * 255).astype(np.uint8)
    weight = np.ones((1, 4), np.float32)
    for out in (to_lab((recolor(lab, own, blond, 1.0, weight=weight, skin=skin) * 255).round().astype(np.uint8)),
                to_lab(color_table(own, blond, 1.0, True, skin=skin).apply(bgr, weight, None, weight))):
        # (L* 58, 62, 65 with the face's skin not known; 53.7 now)
        assert out[0, :3, 0].max() <= max(float(skin[0]), float(mean[0])) + 1.0
        assert out[0, 3, 0] > 25.0                                    # the dark hair itself still made lighter


def _recoloured(pipeline, image: np.ndarray, style: str):
    """(before, after) CIELAB detail crops of ``image`` recoloured in ``style``, its segmenter's
    hair at their size, the face's outline grown by 7 px (uint8), and its landmarks in pixels of
    the detail crop."""
    _, aligned = pipeline.track(Frame(0, 0, image))
    edited = pipeline.edit(Frame(0, 0, image), aligned, pipeline.styles.get(style))
    size = aligned.detail.shape[0]
    landmarks = aligned.landmarks * aligned.scale
    face = cv2.dilate(face_oval(landmarks, size).astype(np.uint8), np.ones((15, 15), np.uint8))
    return to_lab(aligned.detail), to_lab(edited.crop), cv2.resize(aligned.hair, (size, size)), face, landmarks


@pytest.mark.parametrize("style", ["blond", "gray"])
def test_a_shadow_on_the_wall_beside_dark_hair_made_lighter_keeps_its_colour(pipeline, style):
    """d13 frame 150 (a held-out clip): a shadowed corner of the ceiling beside his black hair,
    which the segmenter takes 0.7-0.88 for hair, lies between the hair's colour and the lit
    ceiling's, and the matte took it for a mix of the two: a peach patch on the ceiling in
    blond, a grey one in gray (699 and 860 wall pixels tinted; 231 and 343 now, along his hair's
    edge)."""
    before, after, hair, face, _ = _recoloured(pipeline, clip_frame("d13.mp4", 150), style)
    wall = (before[..., 0] > 45) & (hair < 0.9) & (face == 0)       # far lighter than his hair
    tinted = wall & (np.abs(after - before).max(axis=-1) > 4)
    assert wall.sum() > 20000
    assert tinted.sum() < 450
    # ... and his hair is still recoloured
    assert np.abs(after - before).max(axis=-1)[(hair > 0.95) & (face == 0)].mean() > 15


@pytest.mark.parametrize("name", ["004800", "006010"])
def test_dark_hair_on_a_dark_wall_made_blond_leaves_no_glow_round_the_head(pipeline, name):
    """CelebA 004800 and 006010 (test faces): dark hair before a black wall, which the matte
    cannot tell apart. Made blond, the segmenter's soft edge lit the wall round the head in a
    glow (2,688 and 1,520 pixels of the dark wall 5 L* lighter or more); off the face its outer
    half now falls off steeply, as hair made darker's did (745 and 438)."""
    image = read_image(os.path.join(need(CELEBA), "img", f"{name}.jpg"))
    before, after, hair, face, _ = _recoloured(pipeline, image, "blond")
    wall = (before[..., 0] < 20) & (hair < 0.5) & (face == 0)
    assert wall.sum() > 20000
    assert ((after[..., 0] - before[..., 0])[wall] > 5).sum() < 1000
    assert np.abs(after - before).max(axis=-1)[(hair > 0.9) & (face == 0)].mean() > 30    # the hair is blond


def test_grey_hair_made_black_meets_a_high_forehead_in_a_soft_hairline(pipeline):
    """CelebA 002400 (a test face): grey hair over a high forehead, whose skin goes on above the
    face outline's top. The steep outer edge meant for a wall (``CRISP``) cut the black hair off
    the skin there: a painted cap (664 pixels above the brows, between them, darkened part-way:
    from 5 L* to half the hair's own drop; 987 now). The bare forehead takes no haze, and the
    hair still goes dark."""
    image = read_image(os.path.join(need(CELEBA), "img", "002400.jpg"))
    before, after, hair, _, landmarks = _recoloured(pipeline, image, "black")
    size = before.shape[0]
    above = np.arange(size)[:, None] < brow_line(landmarks, size)[None, :] - 0.03 * size
    between = np.zeros((size, size), bool)
    between[:, int(landmarks[BROWS, 0].min()):int(landmarks[BROWS, 0].max())] = True
    drop = before[..., 0] - after[..., 0]
    hair_drop = float(np.median(drop[hair > 0.95]))
    assert hair_drop > 50                                                       # black
    # (987 then, 843 with this code; the stricter segmenter's sharper edge: 685, and 446 with the
    # cut back (no exemption for skin beside the hair, ON_PERSON); the old one's 513)
    assert ((drop > 5) & (drop < 0.5 * hair_drop) & above & between).sum() > 600
    assert ((drop > 5) & (hair < 0.1) & above & between).sum() < 50              # no haze


def test_only_a_flat_patch_away_from_the_hair_is_a_shadow_not_a_mix_of_hair_and_wall():
    """``render._shadow``: a flat grey patch between dark hair's colour and a lit wall's, away from
    the hair, is a shadow; the same colours along a soft edge (a mix: out-of-focus hair) are not,
    nor a speck, nor a flat patch the matte takes wholly for hair (white hair's flat top)."""
    size = 128
    own = np.float32([[25, 2, 6], [8, 1.5, 3]])
    lab = np.zeros((size, size, 3), np.float32)
    lab[...] = (80, 2, 6)                                            # a lit wall
    lab[:, :40] = own[0]                                             # the hair
    lab[:, 40:56, 0] = np.linspace(25, 80, 16, dtype=np.float32)     # its soft edge
    lab[20:60, 70:110, 0] = 62                                       # a shadow on the wall, 14 px from the hair
    lab[90:97, 10:17, 0] = 62                                        # a speck in the hair
    rng = np.random.default_rng(0)
    lab[..., 0] += rng.normal(0, 0.3, (size, size)).astype(np.float32)
    matte = np.clip((80 - lab[..., 0]) / 55, 0, 1)                   # the matte's share of hair
    shadow = render._shadow(lab, own, matte, size)
    assert shadow[28:52, 78:102].min() > 0.9
    assert shadow[:, 40:50].max() < 0.05                               # (L* 25-65 across it)
    assert shadow[86:101, 6:21].max() < 0.05
    assert render._shadow(lab, own, np.ones_like(matte), size).max() == 0.0


def test_skin_between_dark_strands_deep_inside_the_mask_made_blond_is_not_lit_up():
    """CelebA 003640, 007118: the forehead between dark fringe strands lies deep inside the hair
    mask. Taken there for hair, it was stretched as the hair's spread is (by up to 1.5) from the
    dark hair's colour, and came out white: a glowing fringe."""
    rng = np.random.default_rng(0)
    dark, skin = np.float32([12, 2, 4]), np.float32([70, 14, 18])
    lab = (dark + rng.normal(0, 3, (64, 64, 3)) * np.float32([1.0, 0.3, 0.3])).astype(np.float32)
    lab[:, ::4] = skin                                        # skin between the strands
    strands = np.ones((64, 64), np.float32)
    strands[:, ::4] = 0.0
    own = own_color(lab, strands)
    target = np.float32([[60, 6, 22], [14, 3, 6]])
    mean, ratio = move(own, target)
    sure = np.ones((64, 64), np.float32)                      # the mask: surely hair
    for out in (to_lab(recolor(lab, own, target, core=sure)),
                to_lab(color_table(own, target).apply(np.round(from_lab(lab) * 255).astype(np.uint8), sure))):
        # (no lighter than the new hair, or than it was)
        assert out[:, ::4, 0].max() <= max(float(skin[0]), mean[0] + CEILING * own[1, 0] * ratio[0]) + 1.0
        assert out[:, 1::4, 0].mean() > mean[0] - 5.0                         # the strands are blond


def test_deep_shadows_in_hair_made_blond_stay_dark_not_a_grey_smoke():
    """CelebA 183936: orange curls (L* 35, with deep shadows between them: a spread of 34) made
    blond. Moved with the spread squeezed to blond's, a shadow at L* 3 came out L* 42: a flat
    grey smoke beside her face. Made lighter in linear light, as blond hair in the same light
    is, it stays dark; the hair's mean still goes to the new mean, its light strands as before."""
    own, blond = np.float32([[35, 16, 20], [34, 4, 9]]), np.float32([[60, 6, 25], [12, 3, 6]])
    lab = np.float32([[[3, 10, 8], [35, 16, 20], [55, 18, 24]]])
    mean, ratio = move(own, blond)
    sure = np.ones((1, 3), np.float32)
    bgr = np.round(from_lab(lab) * 255).astype(np.uint8)
    for out in (to_lab(recolor(lab, own, blond, core=sure)), to_lab(color_table(own, blond).apply(bgr, sure))):
        assert out[0, 0, 0] < 15.0                                   # the shadow
        assert abs(out[0, 1, 0] - mean[0]) < 1.5                      # the mean
        assert abs(out[0, 2, 0] - (mean[0] + 20 * ratio[0])) < 1.5    # a light strand: stretched
    # Black hair's darker half is noise and JPEG blocks, not shadows: stretched as before.
    black = np.float32([[12, 2, 3], [6, 2, 2]])
    dark = to_lab(recolor(np.float32([[[6, 2, 3]]]), black, blond, core=np.ones((1, 1), np.float32)))
    mean, ratio = move(black, blond)
    assert abs(dark[0, 0, 0] - (mean[0] - 6 * ratio[0])) < 1.5


def test_black_hair_lit_from_above_made_gray_keeps_no_black_patch():
    """d13 (a held-out clip) in gray: black hair lit from above (median 27 L* with its lit
    strands, spread 16.9, a*, b* near neutral). Its black was taken for the deep shadows of
    brown hair and kept dark in linear light: L* 5 came out 36, a dark patch in a silver head.
    Near-neutral hair is stretched as black hair is (``colortable.HUED``); orange curls keep
    their shadows (``test_deep_shadows_in_hair_made_blond_stay_dark_not_a_grey_smoke``)."""
    own, gray = np.float32([[27, 2, 7], [16.9, 1.5, 3]]), np.float32([[62, 0.5, 2], [10, 1.5, 3]])
    mean, ratio = move(own, gray, 1.0, True)
    lab = np.float32([[[5, 1, 3], [12, 2, 5]]])
    sure = np.ones((1, 2), np.float32)
    bgr = np.round(from_lab(lab) * 255).astype(np.uint8)
    for out in (to_lab((recolor(lab, own, gray, 1.0, core=sure) * 255).round().astype(np.uint8)),
                to_lab(color_table(own, gray, 1.0, True).apply(bgr, sure))):
        # (L* 36 and 45-47 before; 46 and 51-52 now, near the hair's offsets scaled by its
        # stretch: 48.8 and 53)
        assert out[0, 0, 0] > mean[0] + (5 - 27) * ratio[0] - 4.0
        assert out[0, 1, 0] > mean[0] + (12 - 27) * ratio[0] - 2.5


def test_black_hairs_strands_a_shade_warmer_are_moved_as_hair_not_left_as_a_dark_line():
    # Black hair's own spread is a unit or two; a strand at its edge a little lighter and warmer
    # (13 L*, 12 a*, 11 b* off) is still hair, and is moved as far as its mask says.
    own, blond = np.float32([[1.5, 4, 2], [1.5, 1.5, 1.0]]), np.float32([[60, 6, 28], [8, 3, 5]])
    mean = move(own, blond, 1.0)[0]
    strand = np.float32([[[13, 16, 13]]])
    weight = np.full((1, 1), 0.85, np.float32)
    moved = to_lab((recolor(strand, own, blond, 1.0, mixed=np.full((1, 1), 0.6, np.float32), weight=weight)
                    * 255).round().astype(np.uint8))[0, 0]
    assert moved[0] - 13 >= 0.8 * 0.85 * (mean[0] - 1.5)


def test_recolour_keeps_the_hairs_own_pattern():
    rng = np.random.default_rng(0)
    lab = np.stack([rng.normal(25, 6, (32, 32)), rng.normal(3, 2, (32, 32)), rng.normal(5, 2, (32, 32))], -1)
    lab = lab.astype(np.float32)
    own = color_stats(lab, np.ones((32, 32), bool))
    target = np.float32([[60, 8, 25], [12, 4, 6]])
    out = to_lab(recolor(lab, own, target))
    assert np.allclose(out.reshape(-1, 3).mean(0), target[0], atol=1.5)
    # Lighter where it was lighter: the strands' order is kept.
    assert np.corrcoef(out[..., 0].ravel(), lab[..., 0].ravel())[0, 1] > 0.98
    assert np.abs(to_lab(recolor(lab, own, target, amount=0.0)) - lab).mean() < 0.3   # no change
    near = np.stack([own[0] + 2.0, own[1]])     # hair already of the colour stays as it is
    assert np.abs(to_lab(recolor(lab, own, near)) - lab).mean() < 0.3


def test_video_makes_recolouring_masks_off_the_frames_path_and_carries_them_two_frames(pipeline, faces):
    _, image, astronaut = faces[1]
    # Another head of hair (Grace Hopper's is under her cap): the astronaut mirrored.
    other = pipeline.track(Frame(0, 0, np.ascontiguousarray(image[:, ::-1])))[1]
    # (cut where the astronaut's crop is, as a still head's: a crop that moved fast would have
    # its mask made on the frame, not carried)
    other = dataclasses.replace(other, to_crop=astronaut.to_crop)
    blond, bald = pipeline.styles.get("blond"), pipeline.styles.get("bald")

    def plan(face, style):
        return pipeline.editor.edit(face, style, 1.0)

    fresh = HairRenderer().render(astronaut, plan(astronaut, blond)).hair_mask
    video = HairRenderer(video=True)
    first = video.render(other, plan(other, blond)).hair_mask
    # The frame right after reuses the mask (the segmenter's rate), only re-measuring each pixel's
    # share of hair (``remix``), and has one made from its own crop on the worker thread, which the
    # next two frames use.
    carried = video.render(astronaut, plan(astronaut, blond)).hair_mask
    assert (carried <= first + 1e-6).all() and np.abs(carried - fresh).mean() > 0.15 * fresh.mean()
    own = video.render(astronaut, plan(astronaut, blond)).hair_mask
    assert np.abs(own - fresh).mean() < 0.1 * fresh.mean() and np.abs(own - first).mean() > 0.15 * fresh.mean()
    # A mask is never carried across another style's frame, however long ago it was made.
    video.render(other, plan(other, blond))                    # carried over
    video.render(other, plan(other, blond))                    # made on this frame
    video.render(other, plan(other, bald))
    own = video.render(astronaut, plan(astronaut, blond)).hair_mask
    assert np.abs(own - fresh).mean() < 0.1 * fresh.mean() and np.abs(own - first).mean() > 0.15 * fresh.mean()
    # Nor from hair made lighter to hair made darker (which takes less over the face).
    black = pipeline.styles.get("black")
    fresh = HairRenderer().render(astronaut, plan(astronaut, black)).hair_mask
    video.render(other, plan(other, blond))
    own = video.render(astronaut, plan(astronaut, black)).hair_mask
    assert np.abs(own - fresh).mean() < 0.1 * fresh.mean() and np.abs(own - first).mean() > 0.15 * fresh.mean()


def test_video_recolouring_leaves_the_wall_a_moving_head_has_left(pipeline, faces):
    """The head moves in the crop (the tracking's smoothing lags it) while the recolouring mask
    made from the frame before is carried: where the hair has left it, the wall is untouched."""
    astronaut = faces[1][2]
    plan = pipeline.editor.edit(astronaut, pipeline.styles.get("blond"), 1.0)

    def left(image, pixels):
        return np.roll(image, -pixels, axis=1)

    moved = dataclasses.replace(astronaut, crop=left(astronaut.crop, 3), detail=left(astronaut.detail, 6),
                                hair=left(astronaut.hair, 3), person=left(astronaut.person, 3), outer=None)
    video = HairRenderer(video=True)
    video.render(astronaut, plan)                              # makes its own mask
    carried = video.render(moved, plan).crop                   # carries it to the moved head
    fresh = HairRenderer().render(moved, plan).crop
    wall = np.abs(fresh.astype(np.int16) - moved.detail).max(axis=2) <= 2     # nothing to recolour
    change = np.abs(carried.astype(np.int16) - moved.detail).max(axis=2)[wall]
    assert (change > 12).sum() < 50, (change > 12).sum()       # 1,023 pixels carried as made


def test_a_mask_carried_to_a_later_frame_does_not_take_the_wall_the_hair_has_left():
    """d0 turning on her green backdrop: a recolouring mask made from a frame before still took
    her hair's soft edge where the wall now showed, and lit it up: a lime halo round blond hair."""
    dark, green = np.float32([15, 2, 2]), np.float32([55, -35, 20])

    def frame(edge):
        lab = np.tile(green, (64, 128, 1))
        lab[:, :edge] = dark
        lab[:, edge] = (dark + green) / 2                      # a pixel half hair, half wall
        return lab

    hair = np.zeros((64, 128), np.float32)
    hair[:, :67] = 1.0                                         # a loose mask, past the edge
    matte, _, mix = hair_matte(frame(64), np.stack([dark, [3, 2, 2]]), hair, None, unmixed=True)
    assert abs(matte[:, 64].mean() - 0.5) < 0.05 and matte[:, 65:67].max() < 0.05
    assert np.allclose(remix(mix, frame(64))[matte > 0.01], 1.0)   # the same pixels: all of it holds
    later = remix(mix, frame(60))                              # the hair 4 px to the left
    assert later[:, 61:65].max() < 0.05                        # the wall it has left
    assert abs(later[:, 60].mean() - 0.5) < 0.05               # its new edge: half
    assert later[:, :60].min() > 0.99                          # the hair


def test_edge_pixels_that_mix_hair_and_skin_are_recoloured_in_part_and_neither_glow_nor_darken():
    # Dark hair on the left, skin on the right, one column of pixels half way between them; the
    # segmenter's mask (a loose one) covers the hair, the mixed column and a little of the skin.
    skin, dark = np.float32([65, 15, 17]), np.float32([4, 2, 2])
    lab = np.tile(skin, (128, 128, 1))
    lab[:, :64] = dark + np.random.default_rng(0).normal(0, 1.0, (128, 64, 3))
    lab[:, 64] = (dark + skin) / 2
    mask = np.zeros((128, 128), np.float32)
    mask[:, :70] = 1.0
    own = own_color(lab, np.where(np.arange(128) < 64, 1.0, 0.0)[None].repeat(128, axis=0))
    matte = hair_matte(lab, own, mask, skin)
    assert matte[:, 10:58].min() > 0.9                                 # hair
    assert 0.3 < matte[10, 64] < 0.7                                   # half hair, half skin
    assert matte[:, 66:].max() < 0.05                                  # the face's own skin
    target = np.float32([[55, 8, 20], [12, 4, 6]])
    blond = to_lab(recolor(lab, own, target))
    # The mixed pixel is no lighter than hair moved by the mean change would be: no glowing rim.
    assert blond[10, 64, 0] <= lab[10, 64, 0] + (target[0, 0] - own[0, 0]) + 1.0
    # Skin far outside the hair's colour is not moved at all, even where the mask covers it
    # (unless the mask says it is surely hair): no orange ring on the face's edge.
    assert np.abs(blond[:, 66:70] - lab[:, 66:70]).max() <= 1.5        # 8-bit CIELAB rounding
    # Where the mask says it is surely hair, it takes the new hair's colour (b* here), but is
    # made no lighter than the new hair is (already lighter, not at all).
    sure = to_lab(recolor(lab, own, target, core=mask))
    assert np.abs(sure[:, 66:70, 2] - lab[:, 66:70, 2]).min() > 2.0
    assert np.abs(sure[:, 66:70, 0] - lab[:, 66:70, 0]).max() <= 1.0
    # The matte knows the mixed pixel is a mix of the two, and it is moved by its share of the
    # hair's change: half way from blond to skin (neither a dark outline nor a glow).
    matte, mixed, _ = hair_matte(lab, own, mask, skin, unmixed=True)
    assert mixed[10, 64] > 0.9 and mixed[:, 66:].max() <= 1.0
    shown = to_lab(recolor(lab, own, target, mixed=mixed, weight=matte))     # (the renderer's blend)
    assert abs(shown[10, 64, 0] - (target[0, 0] + skin[0]) / 2) < 6.0
    assert np.abs(shown[:, 66:70] - lab[:, 66:70]).max() <= 1.5          # and still no ring


def test_a_dark_hairlines_edge_is_matted_as_a_mix_even_where_it_passes_the_faces_own_colour():
    # Dark hair above a brightly lit forehead; the face below the brows (its median colour, the
    # skin test's) is darker than the forehead, so the edge between them passes through it.
    # The edge's warmth (skin in the hair's shadow) comes in before its light.
    lab = np.zeros((160, 120, 3), np.float32)
    lab[:] = (85, 11, 23)
    lab[:60] = (8, 0, 3)
    ramp = np.linspace(0, 1, 12, dtype=np.float32)
    lab[60:72, :, 0] = (8 + 77 * ramp)[:, None]
    lab[60:72, :, 1:] = (np.float32([0, 3]) + np.minimum(2 * ramp, 1)[:, None] * np.float32([11, 20]))[:, None]
    hair = np.zeros((160, 120), np.float32)
    hair[:66] = 1.0
    own, skin = np.float32([[8, 0, 3], [3, 2, 2]]), np.float32([60, 11, 23])
    matte = hair_matte(lab, own, hair, skin, np.ones((160, 120), np.float32))[:, 60]
    assert np.all(np.diff(matte[56:80]) <= 0.01)        # falls from hair to skin, with no notch
    through = 60 + int(np.argmin(np.abs(lab[60:72, 60, 0] - 60)))
    assert matte[through] > 0.1                         # the pixel of the face's colour is part hair
    assert matte[80:].max() < 0.02                      # the forehead itself is not


def test_wall_the_hair_mask_spilled_over_up_to_the_crops_edge_is_not_recoloured():
    # Dark hair with light and dark strands down the middle, a beige wall either side. At the top
    # the mask keeps to the hair; lower down it spills over the wall on the left up to the crop's
    # edge, so no wall is left near to say what is not hair.
    rng = np.random.default_rng(0)
    wall, dark = np.float32([70, 0, 18]), np.float32([22, 6, 18])
    lab = np.tile(wall, (128, 128, 1))
    lab[:, 40:90] = dark + rng.normal(0, 6.0, (128, 50, 1)) * np.float32([1.0, 0.2, 0.2])
    mask = np.zeros((128, 128), np.float32)
    mask[:, 40:90] = 1.0
    mask[64:, :40] = 1.0
    own = own_color(lab, np.where((np.arange(128) >= 40) & (np.arange(128) < 90), 1.0, 0.0)[None].repeat(128, axis=0))
    matte = hair_matte(lab, own, mask, None)
    assert matte[100:, :8].max() < 0.1             # the wall under the spilled mask, at the edge
    assert matte[:, 50:80].min() > 0.85            # the hair, its light strands too
    assert matte[64:, 50:80].mean() > 0.98         # ... as much where the mask spilled as above


def test_new_hair_falls_from_the_hairline_above_it_not_a_patch_on_the_forehead():
    hair = np.zeros((128, 128), np.float32)
    hair[:20, 10:118] = 1.0                         # a high hairline: bare forehead from row 20
    grow = np.zeros((128, 128), np.float32)
    grow[40:60, 30:90] = 1.0                         # the new fringe, as the decode placed it
    grow[40:60, 120:126] = 1.0                       # ... and where there is no hair above it
    full = HairRenderer._from_hairline(grow, hair, 2.0)
    assert full[22:40, 32:88].min() > 0.9            # the skin between is covered: no floating patch
    assert np.array_equal(full[40:60, 30:90], grow[40:60, 30:90])
    assert full[:, 122:124].max() == 1.0 and full[:38, 122:124].max() < 0.05   # nothing to fall from
    assert full[60:].max() < 0.05 and full[:, :20].max() < 0.05                # not below it, not beside it
    # A patch the segmenter took for hair on the wall above the head's own hair (d13's ceiling):
    # the wall between the two is not filled, only the skin below the head's hair.
    hair[:5] = 0.0
    hair[5:12, 10:118] = 0.0                         # the wall, with the false patch at rows 0-5 ...
    hair[:5, 30:90] = 1.0
    full = HairRenderer._from_hairline(grow, hair, 2.0)
    assert full[22:40, 32:88].min() > 0.9 and full[5:12, 32:88].max() < 0.05


@pytest.mark.parametrize("style", ["bangs", "regrowth"])
def test_new_hair_covers_a_bay_of_skin_the_hair_mask_takes_for_hair(pipeline, d13_frame, style):
    """d13 (frame 0) has a bay of bare skin in his hairline that the segmenter's soft mask takes
    for hair: it was neither covered by the new hair nor kept out of what it is copied from, a
    pale patch at the top of the fringe (35-37 pixels of the skin's hue there)."""
    _, aligned = pipeline.track(Frame(0, 0, d13_frame))
    edited = pipeline.edit(Frame(0, 0, d13_frame), aligned, pipeline.styles.get(style))
    size = edited.crop.shape[0]
    hair = cv2.resize(aligned.hair, (size, size))
    before, after = to_lab(aligned.detail), to_lab(edited.crop)
    sample = render.skin_sample(before, aligned.landmarks * aligned.scale, hair)
    hair_ab = np.median(before[hair > 0.95][:, 1:], axis=0)
    line = np.median(before[sample][:, 1:], axis=0) - hair_ab

    def skin_hued(lab):     # (a* and b* more than half way from the hair's to the forehead's)
        return (hair > 0.9) & ((lab[..., 1:] - hair_ab) @ line / (line @ line) > 0.5)

    bay, left = skin_hued(before), skin_hued(after)
    assert bay.sum() > 100 and left.sum() < 10
    # The renderer's map of it covers it, and takes little else of his hair (0.2 % of the sure hair
    # with the old segmenter, 0.4 % with the stricter one, a rim of half-skin at the bay's edge;
    # counted with the bay itself, which the stricter one's map covers more of, 1.0 % and 2.5 %).
    found = HairRenderer._bay(aligned, size)
    assert found[bay].mean() > 0.25 and ((found > 0.5) & (hair > 0.9) & ~bay).mean() < 0.01 * (hair > 0.9).mean()


def test_in_video_new_hair_follows_its_copy_over_the_frames_and_shimmers_less(pipeline, faces):
    """Noise in the hair a fringe is copied from (a compressed camera frame) moves a still's
    fringe wholly, a video's by STRANDS_RATE of it: d13's fringe changed 2.89 grey levels frame to
    frame before, 2.52 after."""
    aligned = faces[1][2]
    plan = pipeline.editor.edit(aligned, pipeline.styles.get("bangs"))
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


def test_in_video_lent_strands_stay_on_the_hair_as_the_crop_slides_over_it(pipeline, faces):
    """The crop follows the face's landmarks, which slide over the hair as a face turns or
    smiles: lent strands stay where they lay on the frame (d0's blond changed 5.88 grey levels
    frame to frame before, 5.00 after; 5.54 against 4.64 with the hair's own motion taken out),
    up to LENT_SLACK of the crop, past which they follow it; they settle back at LENT_RETURN."""
    aligned = faces[1][2]
    textures = pipeline.renderer.textures
    lent = textures.detail_at(0, aligned.detail.shape[0])
    renderer = HairRenderer(video=True, textures=textures)
    assert np.array_equal(renderer._place_lent(lent, aligned, None), lent)

    def slide(by: float) -> np.ndarray:
        """The strands placed after the crop slides ``by`` crop pixels to the right on the frame."""
        slid = dataclasses.replace(aligned, to_crop=aligned.to_crop - np.float64([[0, 0, by], [0, 0, 0]]))
        return renderer._place_lent(lent, slid, renderer._lent_at)

    def off_by(placed: np.ndarray, shift: float) -> float:
        """Mean difference from the strands moved ``shift`` detail pixels along x."""
        matrix = np.float64([[1, 0, shift], [0, 1, 0]])
        moved = cv2.warpAffine(lent, matrix, lent.shape[::-1], flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
        return float(np.abs(placed - moved).mean())

    scale, size = aligned.scale, aligned.crop.shape[0]
    # Within the slack: they stay on the frame, 2 crop pixels to the left in the crop.
    placed = slide(2.0)
    assert off_by(placed, -2.0 * scale * (1.0 - LENT_RETURN)) < 0.1 * off_by(placed, 0.0)
    # Far past it: dragged along, the slack behind the crop.
    renderer._place_lent(lent, aligned, None)
    placed = slide(3.0 * LENT_SLACK * size)
    assert off_by(placed, -LENT_SLACK * size * scale * (1.0 - LENT_RETURN)) < 0.1 * off_by(placed, 0.0)


def test_in_video_a_new_donors_strands_fade_in(pipeline, monkeypatch):
    """Lent strands are followed over the frames at LENT_RATE: a change of donor (the hair's
    shape changed) fades in rather than changing every strand at once (d3 in blond, which
    changed donor 4 times in 65 frames: 3.79 grey levels frame to frame, with the hair's own
    motion taken out, with neither; 3.28 with this and KEEP raised). (On d3 itself: the
    astronaut's hair, measured with its lit crown, keeps enough spread made blond to be lent none.)"""
    _, aligned = pipeline.track(Frame(0, 0, clip_frame("d3.mp4", 60)))
    plan = pipeline.editor.edit(aligned, pipeline.styles.get("blond"))
    changes = []
    for rate in (1.0, render.LENT_RATE):
        monkeypatch.setattr(render, "LENT_RATE", rate)
        renderer = HairRenderer(video=True, textures=pipeline.renderer.textures)
        first = renderer.render(aligned, plan).crop
        other = (renderer._donor + 1) % len(renderer.textures.spread)    # another donor
        with monkeypatch.context() as patch:
            patch.setattr(renderer.textures, "pick", lambda *args, **kwargs: other)
            second = renderer.render(aligned, plan).crop
        changes.append(np.abs(second.astype(np.float32) - first).mean())
    assert changes[0] > 1.0 and changes[1] < 0.5 * changes[0]


def test_in_video_a_carried_recolouring_mask_stays_on_still_hair_as_the_crop_slides_over_it(faces):
    """A mask made on an earlier frame's crop, used on this one: while the crop has moved less
    than CARRIED_STILL (the landmarks sliding over a still head), it stays where it lay on the
    frame (d0 in blond changed 4.64 grey levels frame to frame, with the hair's own motion taken
    out, before; 3.45 after). A crop that moves more than FAST_HEAD in a frame is a head moving
    fast: one is made on this frame, on the model's crop (d12 in black: the ring on the wall
    beside its hair 2.14 -> 0.90)."""
    aligned = faces[1][2]
    size, scale = aligned.crop.shape[0], aligned.scale

    def slid(by: float) -> AlignedFace:
        """The same still head, the crop slid ``by`` crop pixels to the right over it."""
        def moved(image: np.ndarray, factor: int) -> np.ndarray:
            matrix = np.float64([[1, 0, -by * factor], [0, 1, 0]])
            return cv2.warpAffine(image, matrix, image.shape[1::-1], flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        return dataclasses.replace(aligned, to_crop=aligned.to_crop - np.float64([[0, 0, by], [0, 0, 0]]),
                                   crop=moved(aligned.crop, 1), detail=moved(aligned.detail, scale),
                                   hair=moved(aligned.hair, 1), person=moved(aligned.person, 1))

    def mask(renderer: HairRenderer, face: AlignedFace) -> np.ndarray:
        lab = to_lab(face.crop)
        own = own_color(lab, face.hair)
        return renderer._video_mask(face, face.detail.astype(np.float32) / 255.0, own, lab, None, False)[0]

    for by, stays in ((0.7, True), (3.0 * FAST_HEAD * size, False)):
        renderer = HairRenderer(video=True)
        mask(renderer, aligned)                      # made on this frame's crop
        now = slid(by)
        used = mask(renderer, now)                   # carried from the last (or made again)
        made = mask(HairRenderer(video=True), now)   # made on this one
        still = cv2.warpAffine(mask(HairRenderer(video=True), aligned), np.float64([[1, 0, -by * scale], [0, 1, 0]]),
                               (made.shape[1], made.shape[0]), flags=cv2.INTER_LINEAR)
        if stays:
            assert np.abs(used - made).mean() < 0.3 * np.abs(mask(HairRenderer(video=True), aligned) - made).mean()
            assert np.abs(used - still).mean() < 0.01
        else:   # made again on this frame, on the model's crop
            assert np.abs(used - made).mean() < 0.3 * np.abs(mask(HairRenderer(video=True), aligned) - made).mean()


def test_no_bay_is_looked_for_where_hair_and_skin_share_a_hue(faces):
    """The astronaut's brown hair is of her skin's hue (a*, b* 11 apart): its lighter strands
    would pass for skin, so none of it is taken for a bay."""
    aligned = faces[1][2]
    assert HairRenderer._bay(aligned, aligned.detail.shape[0]).max() == 0.0


def test_new_hair_ends_in_clumps_of_uneven_length_that_thin_out():
    grow = np.zeros((256, 256), np.float32)
    grow[40:120, 60:200] = 1.0
    tipped = strand_tips(grow)
    # Above every clump's end (and the arc that shortens the sides) the hair is whole.
    full = 120 - int(np.ceil(TIP_LENGTH * 256)) - int(np.ceil(FRINGE_ARC * 256)) - 1
    assert np.array_equal(tipped[:, :60], grow[:, :60]) and tipped[40:full, 60:200].min() == 1.0
    assert np.all(tipped <= grow)                             # never longer than the hair drawn
    amount = tipped[:, 60:200].sum(axis=0)                   # each column's length of hair
    assert amount.max() - amount.min() > 2.0 and amount.std() > 0.4
    # Cut round: shorter at its sides than in its middle.
    assert amount[:5].mean() < amount[65:75].mean() - 0.2 * FRINGE_ARC * 256
    assert amount[-5:].mean() < amount[65:75].mean() - 0.2 * FRINGE_ARC * 256
    # Neighbouring columns end alike (clumps, not a saw of one-pixel teeth, whose steps would
    # reach the tips' whole length) ...
    assert np.abs(np.diff(amount)).max() < 0.2 * TIP_LENGTH * 256
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
    assert np.median(lit[where], axis=0) == pytest.approx(np.percentile(hair, FRINGE_SHADE, axis=0), abs=0.01)
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
    assert np.all(np.diff(gap) <= 1e-6) and gap[-1] == pytest.approx(1.0 - THIN_ENDS, abs=0.01)
    assert np.all(np.diff(clump) <= 1e-6) and clump[-1] == pytest.approx(1.0 - CLUMP_THIN * THIN_ENDS, abs=0.01)
    assert clump[-1] > gap[-1] + 0.2
    between = 1.0 - THIN_ENDS * (CLUMP_THIN + 0.5 * (1.0 - CLUMP_THIN))
    assert thinned[119, 62] == pytest.approx(between, abs=0.01)
    assert np.array_equal(thin_ends(grow, way_down(np.zeros_like(new)), streaks), grow)


def test_new_hair_is_lit_in_a_band_below_its_top_where_it_curves_over_the_forehead():
    new = np.zeros((256, 256), bool)
    new[40:120, 60:200] = True
    streaks = np.zeros((256, 256), np.float32)
    streaks[:, 60:200:8] = 2.0                        # light streaks, every 8th column
    streaks[:, 64:200:8] = -2.0                       # ... and dark ones
    lift = lit_band(way_down(new), streaks)
    middle = lift[:, 102]                             # (streaks 0 there)
    peak = 40 + int(round(FRINGE_LIGHT[0] * 79))
    assert int(np.argmax(middle)) == peak and middle[peak] == pytest.approx(FRINGE_LIFT, abs=1e-3)
    assert middle[40] < 0.6 * FRINGE_LIFT and middle[119] < 0.01 * FRINGE_LIFT   # not its roots, not its ends
    assert lift[peak, 60] == pytest.approx(2 * FRINGE_LIFT, abs=1e-3) and lift[peak, 64] == 0.0
    assert np.all(lift >= 0.0) and lift[:, :60].max() < 1e-6                      # only lighter, only on it


def test_a_fringe_on_a_real_photo_is_lit_below_its_top(pipeline, photos, monkeypatch):
    """A fringe copied down from the hair was as dark at its top as the hair above and pale only
    at its see-through ends; a real one catches the light where it curves over the forehead."""
    frame, aligned = pipeline.track(Frame(0, 0, dict(photos)["astronaut"]))
    lit = pipeline.edit(frame, aligned, pipeline.styles.get("bangs"))
    monkeypatch.setattr(render, "FRINGE_LIFT", 0.0)
    unlit = pipeline.edit(frame, aligned, pipeline.styles.get("bangs"))
    weight = lit.source_weight
    change = to_lab(lit.crop)[..., 0] - to_lab(unlit.crop)[..., 0]
    drawn = weight > 0.7
    assert np.percentile(change[drawn], 90) > 3.0       # lighter where its band is (0.1 of the range: < 10 L*)
    assert change[drawn].min() > -0.5                    # never darker
    rows = np.flatnonzero(drawn.any(axis=1))
    assert np.abs(change[rows[-1] - 2:][drawn[rows[-1] - 2:]]).mean() < 1.0   # hardly at its ends
    assert np.array_equal(lit.crop[weight < 1e-3], unlit.crop[weight < 1e-3])  # nothing else changes


def test_a_fringe_on_a_large_face_takes_the_frames_own_fine_detail(pipeline, photos):
    """The renderer draws at 256 px; on a face larger than that in the frame, new hair copied
    from the person's own was an upscaled blur beside their sharp real hair (d13 at 720p). The
    edit lends it the frame's fine detail from where it was copied: as detailed as their
    own hair, not a blur and not noisier; nothing else changes (but for resampling: the drawn crop
    is warped from the detail's finer grid), nor on a face the crop holds whole."""
    image = dict(photos)["astronaut"]
    big = cv2.resize(image, None, fx=2, fy=2, interpolation=cv2.INTER_CUBIC)
    for frame_image, lends in ((big, True), (image, False)):
        frame, aligned = pipeline.track(Frame(0, 0, frame_image))
        edited = pipeline.edit(frame, aligned, pipeline.styles.get("bangs"))
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
        fringe, own = weight > 0.9, (hair > 0.95) & (weight < 0.01)
        # (the drawn crop is warped from the detail's finer grid: resampled, not changed)
        assert np.abs(lent.astype(np.int16) - plain)[weight < 1e-3].max() <= 3

        def detail(picture, where):
            gray = cv2.cvtColor(picture, cv2.COLOR_BGR2GRAY).astype(np.float32)
            return cv2.Laplacian(gray, cv2.CV_32F)[where].var()

        hair_detail = detail(frame_image, own)
        assert detail(lent, fringe) > 1.5 * detail(plain, fringe)            # the blur it was
        assert 0.5 * hair_detail < detail(lent, fringe) < 2.0 * hair_detail


def test_a_bald_scalp_on_a_large_face_takes_the_grain_of_the_persons_own_forehead(pipeline, faces, d13_frame):
    """On a large face (d13 at 720p) a bald scalp drawn at 256 px was smooth as plastic beside the
    sharp skin of the face. The edit gives it a fine grain as strong as the person's bare
    forehead's (a noise: their forehead's own detail mirrored over the dome drew its wrinkles
    as rows of diamonds); nothing else changes (but for resampling); a forehead a fringe covers
    lends nothing."""
    image = d13_frame
    frame, aligned = pipeline.track(Frame(0, 0, image))
    size = aligned.detail.shape[0]
    landmarks, hair = aligned.landmarks * aligned.scale, cv2.resize(aligned.hair, (size, size))
    x0, y0, x1, y1 = forehead_box(landmarks, hair)
    # Bare forehead: inside the face, above the brows, not hair.
    assert face_oval(landmarks, size)[y0:y1, x0:x1].all() and hair[y0:y1, x0:x1].max() < 0.2
    assert y1 <= brow_line(landmarks, size)[x0:x1].min() and min(x1 - x0, y1 - y0) >= 0.03 * size
    edited = pipeline.edit(frame, aligned, pipeline.styles.get("bald"))
    assert edited.grain is not None and edited.grain.forehead == (x0, y0, x1, y1)
    lent = pipeline.compose(frame, aligned, edited)
    plain = pipeline.compose(frame, aligned, dataclasses.replace(edited, lent=None))
    to_frame = np.linalg.inv(np.vstack([aligned.detail_to_crop, [0, 0, 1]]))[:2]
    shape = image.shape[1::-1]
    weight = cv2.warpAffine(edited.grain.weight, to_frame, shape)
    box = np.zeros((size, size), np.float32)
    box[y0:y1, x0:x1] = 1.0
    forehead, scalp = cv2.warpAffine(box, to_frame, shape) > 0.99, weight > 0.9
    assert scalp.sum() > 5 * forehead.sum() > 0
    # (the drawn crop is warped from the detail's finer grid: resampled, not changed)
    assert np.abs(lent.astype(np.int16) - plain)[weight < 1e-3].max() <= 3

    def detail(picture, where):
        gray = cv2.cvtColor(picture, cv2.COLOR_BGR2GRAY).astype(np.float32)
        return cv2.Laplacian(gray, cv2.CV_32F)[where].var()

    own = detail(image, forehead)
    assert detail(plain, scalp) < 0.5 * own                      # the smooth dome it was
    assert 0.5 * own < detail(lent, scalp) < 2.0 * own
    # The astronaut's fringe covers her forehead down to the brows: nothing to take it from.
    _, _, astronaut = faces[1]
    size = astronaut.detail.shape[0]
    assert forehead_box(astronaut.landmarks * astronaut.scale, cv2.resize(astronaut.hair, (size, size))) is None


def test_a_bald_dome_is_convex_above_the_ears_where_the_outline_has_a_notch(faces):
    """The scalp fills the person's outline less a layer of hair; a notch in that outline between
    tufts of hair (d13 frame 150) was drawn as a dent in the head. Above the ears a skull is
    convex: the notch is filled."""
    _, _, astronaut = faces[1]
    size = 256
    landmarks = astronaut.landmarks * (size / astronaut.crop.shape[0])
    cx, cy, half_width, height = skull_axes(landmarks)
    person = (skull(landmarks, size, edge=0.002, scale=1.3) > 0.5).astype(np.float32)   # a full head of hair
    ys, xs = np.mgrid[0:size, 0:size]
    notch = (xs < cx - 0.8 * half_width) & (np.abs(ys - (cy - 0.5 * height)) < 0.15 * height)
    person[notch] = 0.0
    small = cv2.resize(person, astronaut.crop.shape[:2], interpolation=cv2.INTER_AREA)
    inside = HairRenderer._skull(landmarks, small, size) > 0.5
    within = notch & (skull(landmarks, size, scale=SKULL_GROWTH) > 0.5)
    assert within.sum() > 50 and inside[within].mean() > 0.9            # 0.41 before: a dent
    contours, _ = cv2.findContours(inside[:int(cy)].astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
    dome = max(contours, key=cv2.contourArea)
    assert cv2.contourArea(dome) > 0.99 * cv2.contourArea(cv2.convexHull(dome))
    # ... and no bigger than the skull grown by SKULL_GROWTH, above the ears; below them the
    # head's side narrows from that width to the face's by the mouth (no step in at the ears).
    grown = skull(landmarks, size, scale=SKULL_GROWTH * 1.05) > 0.5
    assert not (inside & ~grown)[:int(cy)].any()
    line = inside[int(cy) + 1]
    width = lambda row: np.flatnonzero(row).ptp()
    assert width(line) > 0.95 * width(inside[int(cy) - 1])
    mouth = int(landmarks[MOUTH, 1])
    assert width(inside[int(cy) + 1]) >= width(inside[(int(cy) + mouth) // 2]) >= width(inside[mouth - 1])
    # ... and below the mouth the neck, within the jaw's width, under the chin.
    jaw = np.flatnonzero(face_oval(landmarks, size)[mouth])
    assert not inside[mouth:, :jaw[0]].any() and not inside[mouth:, jaw[-1] + 1:].any()
    chin = int(landmarks[CHIN, 1]) + 4
    assert inside[chin:, int(landmarks[CHIN, 0])].all()
    assert 0.7 * jaw.ptp() < width(inside[chin]) < 0.9 * jaw.ptp()


def test_new_hair_with_no_hair_above_it_carries_the_hairs_texture_not_a_flat_block():
    rng = np.random.default_rng(0)
    image = np.repeat(rng.random((128, 128, 1)).astype(np.float32), 3, axis=2)   # textured "hair"
    image = cv2.GaussianBlur(image, (0, 0), 1.0)
    source = np.zeros((128, 128), bool)
    source[10:60, 10:50] = True                 # hair at the left only
    new = np.zeros((128, 128), bool)
    new[40:90, 30:110] = True                   # new hair reaching far right of it (a bare crown)
    drawn = HairRenderer._strands(image, source, new, 6.0)[0][..., 0]
    bare = drawn[45:85, 70:110]                 # no hair above these columns
    # Each row varies along its width as the hair does, not one column's value stretched sideways.
    assert np.median(bare.std(axis=1)) > 0.3 * np.median(drawn[45:85, 15:45].std(axis=1))
    # ... nor one row's value stretched downwards.
    assert np.median(bare.std(axis=0)) > 0.3 * np.median(drawn[45:85, 15:45].std(axis=0))


@pytest.mark.parametrize("name", ["000813", "001775"])
def test_short_hair_gets_a_fringe_drawn_from_it(pipeline, name):
    """CelebA 000813 (short dark hair) and 001775 (short fair hair): their hair at least DENSE
    inside its edge is a third to a half of the fringe's area, which once counted as too little
    to draw from (a bald head or a hat has a tenth or none): the forehead was left bare. Now a
    fringe of their own hair's colour covers it down towards the brows."""
    frame, aligned = pipeline.track(Frame(0, 0, read_image(os.path.join(need(CELEBA), "img", f"{name}.jpg"))))
    edited = pipeline.edit(frame, aligned, pipeline.styles.get("bangs"))
    size = edited.crop.shape[0]
    landmarks = aligned.landmarks * aligned.scale
    x0, y0, x1, y1 = forehead_box(landmarks, cv2.resize(aligned.hair, (size, size)))
    before, after = to_lab(aligned.detail)[y0:y1, x0:x1], to_lab(edited.crop)[y0:y1, x0:x1]
    hair = np.median(sure_hair_lab(aligned, aligned.detail), axis=0)
    changed = np.abs(edited.crop[y0:y1, x0:x1].astype(int) - aligned.detail[y0:y1, x0:x1]).max(axis=-1) > 12
    assert changed.mean() > 0.5, changed.mean()
    # ... in the hair's colour (its lighter part): much nearer to it than the skin it covers was
    gap_before = np.linalg.norm(np.median(before[changed], axis=0) - hair)
    gap_after = np.linalg.norm(np.median(after[changed], axis=0) - hair)
    assert gap_after < 0.7 * gap_before, (gap_before, gap_after)


@pytest.mark.parametrize("name", ["000635", "003249", "004997"])
def test_a_cap_is_not_copied_into_a_fringe(pipeline, name):
    """CelebA 000635 (a pink visor), 003249 (a red cap), 004997 (a camouflage cap): the segmenter
    half takes the cap for hair (0.6-0.8 where it is 0.95 on hair), and bangs drew a fringe of
    pink, red or grey strands copied from it. Too little of what it calls dense hair is sure hair,
    so no fringe is drawn: the mirror shows them as they are."""
    frame, aligned = pipeline.track(Frame(0, 0, read_image(os.path.join(need(CELEBA), "img", f"{name}.jpg"))))
    edited = pipeline.edit(frame, aligned, pipeline.styles.get("bangs"))
    changed = np.abs(edited.crop.astype(int) - aligned.detail).max(axis=-1) > 12
    assert changed.mean() < 0.002, changed.mean()


@pytest.mark.parametrize("style", ["black", "brown"])
def test_a_bald_heads_lit_rim_is_not_recoloured(pipeline, style):
    """CelebA 183146 (a test face): a bald head before a dark wall, whose lit rim the segmenter
    takes for hair (0.8-0.9): made black, the rim was painted a black arc over the crown (3 % of
    the crop). Skin-coloured hair with hardly any of it dense is no hair to recolour."""
    frame, aligned = pipeline.track(Frame(0, 0, read_image(os.path.join(need(CELEBA), "img", "183146.jpg"))))
    edited = pipeline.edit(frame, aligned, pipeline.styles.get(style))
    changed = np.abs(edited.crop.astype(int) - aligned.detail).max(axis=-1) > 12
    assert changed.mean() < 0.002, changed.mean()


def test_a_hat_is_not_taken_away_with_the_hair_under_it(pipeline, faces):
    """Grace Hopper made bald: the segmenter half takes her black hat for hair (0.2-0.4), and it
    was taken with her white hair: its brim smeared into the wall (0.34 of the hat's dark pixels
    above the brows changed). Under a hat (``render.not_skin_hued``), only the hair it is sure of
    goes, at her sides (0.11 of them change, beside it)."""
    _, image, aligned = faces[0]
    edited = pipeline.edit(Frame(0, 0, image), aligned, pipeline.styles.get("bald"))
    size = aligned.detail.shape[0]
    person = cv2.resize(aligned.person, (size, size)) > 0.5
    hat = person & render.above_brows(aligned.landmarks * aligned.scale, size) & (render.to_lab(aligned.detail)[..., 0] < 30)
    changed = np.abs(edited.crop.astype(int) - aligned.detail).max(axis=-1) > 12
    assert hat.sum() > 5000
    assert changed[hat].mean() < 0.2, changed[hat].mean()
    # (and her light hair at the sides that it is sure of still goes)
    light = person & (render.to_lab(aligned.detail)[..., 0] > 55) & (cv2.resize(aligned.hair, (size, size)) > 0.4)
    assert light.sum() > 100 and changed[light].mean() > 0.5, changed[light].mean()


def test_in_video_a_fringe_holds_while_its_hair_is_a_little_less_sure(pipeline, faces):
    """Bangs on Grace Hopper with her hair mask replaced by a band along the hairline, sure
    (0.95) on one side and half sure (0.7) on the other: too little sure hair to draw from in a
    photo, or on the first frame of a video (a head under a cap). But a head that was not under
    one on the last frame still gets its fringe (in d12 the sure share dips for a few frames as
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
        return renderer.render(face, pipeline.editor.edit(face, pipeline.styles.get("bangs"), 1.0)).replace.max() > 0.5

    video = HairRenderer(video=True)
    assert draws(video, band(0.95))
    assert draws(video, band(0.7))              # held
    assert not draws(HairRenderer(video=True), band(0.7))
    assert not draws(HairRenderer(), band(0.7))


def test_a_band_of_hair_too_shallow_to_fall_from_gets_no_fringe_and_no_error(pipeline, faces):
    """Bangs on Grace Hopper with her hair mask replaced by a band of sure hair along the
    hairline, 4 to 16 crop pixels deep. A band a little less deep than ROOTS below its dense part
    has dense hair enough to draw from but none for the fringe to fall from: since SOURCE_MIN
    was lowered to 0.3, the renderer raised an IndexError there (a band 10 pixels deep). It now
    draws no fringe; a deeper band still gets one."""
    _, _, aligned = faces[0]
    size = aligned.crop.shape[0]
    oval = face_oval(aligned.landmarks, size)
    top = int(oval.argmax(axis=0)[oval.any(axis=0)].min())
    drawn = []
    for deep in range(4, 17):
        hair = np.zeros((size, size), np.float32)
        hair[max(top - deep, 0):top] = 1.0
        band = dataclasses.replace(aligned, hair=hair)
        edited = HairRenderer().render(band, pipeline.editor.edit(band, pipeline.styles.get("bangs"), 1.0))
        drawn.append(edited.replace.max() > 0.5)
    assert not all(drawn) and any(drawn), drawn


def test_new_hair_copied_from_short_hair_is_stretched_down_not_folded_into_a_zigzag():
    """Short hair above a fringe four times as deep: copied down and folded back on itself every
    run (a mirror, then a mirror of the mirror), its slanting strands came out as chevrons, a
    zigzag of teeth across the forehead (CelebA 000144, 001209). Each column's copy now runs one
    way down its source."""
    image = np.repeat(np.random.default_rng(0).random((128, 128, 1)).astype(np.float32), 3, axis=2)
    source = np.zeros((128, 128), bool)
    source[30:40, 20:100] = True               # short hair, 10 rows deep
    new = np.zeros((128, 128), bool)
    new[40:80, 20:100] = True                  # a fringe 40 rows deep below it
    copied_from = HairRenderer._strands(image, source, new, 6.0)[1][..., 1]
    steps = np.diff(copied_from[40:80, 20:100], axis=0)
    assert np.all(steps <= 1e-3)               # always from farther up the source, never back down


def test_reflection_fills_from_the_source_only():
    source = np.zeros((40, 40), bool)
    source[:10] = True
    map_x, map_y = reflect_from(source, depth=6)
    assert map_y.max() < 10 and map_y[25].max() <= 6 + 1e-3       # samples inside the source band
    assert np.allclose(map_y[12], 9 - 3, atol=1.01)              # 3 px below the last row (9) -> 3 px above it
    assert np.allclose(map_x[20], np.arange(40), atol=1e-3)       # straight up, no sideways smear


def test_the_wall_behind_removed_hair_is_not_filled_from_the_strands_fringe_beside_it():
    """CelebA 000406, 000377: the stray strands just outside the hair mask (darker than the wall)
    were trusted as wall, and the fill behind the removed hair drew them as a dark outline of
    the old hair. The fill now takes the wall from beyond FRINGE_REACH of the person."""
    size = 256
    detail = np.full((size, size, 3), 0.8, np.float32)
    yy, xx = np.mgrid[0:size, 0:size]
    head = (xx - 128) ** 2 + (yy - 140) ** 2 < 70 ** 2
    fringe = ((xx - 128) ** 2 + (yy - 140) ** 2 < 74 ** 2) & ~head
    detail[head], detail[fringe] = 0.15, 0.45                # hair, and its strands' dark fringe
    person = cv2.resize(head.astype(np.float32), (128, 128), interpolation=cv2.INTER_AREA)
    aligned = AlignedFace(np.zeros((128, 128, 3), np.uint8), np.float64([[1, 0, 0], [0, 1, 0]]),
                          np.zeros((478, 2), np.float32), (detail * 255).astype(np.uint8),
                          person=person, hair=person.copy())
    wall = HairRenderer._wall(detail, aligned, head.astype(np.float32), None)
    inner = (xx - 128) ** 2 + (yy - 140) ** 2 < 60 ** 2        # behind the removed hair
    assert np.abs(wall[inner] - 0.8).max() < 0.05


def test_fill_holes_takes_the_wall_around():
    wall = np.zeros((64, 64, 3), np.float32)
    wall[:, :32] = (0.2, 0.4, 0.6)
    wall[:, 32:] = (0.6, 0.4, 0.2)
    known = np.ones((64, 64), np.float32)
    known[20:44, 4:28] = 0
    filled = fill_holes(wall * known[..., None], known)
    assert np.abs(filled[24:40, 8:24] - (0.2, 0.4, 0.6)).mean() < 0.03
    assert np.array_equal(filled[known > 0], wall[known > 0])


def test_fill_holes_continues_the_wall_beside_not_a_dark_corner():
    """A light wall left and right of a hole (a head's hair), a dark stripe along the top of the
    picture: the hole is filled with the wall beside it, not a grey average of the whole wall."""
    image = np.full((64, 64, 3), 0.9, np.float32)
    image[:4] = 0.1
    known = np.ones((64, 64), np.float32)
    known[10:54, 16:48] = 0                            # the hole
    image[known == 0] = 0.0
    filled = fill_holes(image, known)
    assert np.abs(filled[18:50, 20:44] - 0.9).max() < 0.03


def test_fill_holes_carries_the_walls_texture():
    """A textured wall (fine noise on grey) with a hole: the fill next to the wall is as grainy as
    the wall, not a smooth patch that glows against it, and keeps the wall's light."""
    rng = np.random.default_rng(3)
    image = np.clip(0.5 + 0.04 * rng.standard_normal((96, 96, 1)), 0, 1).repeat(3, axis=2).astype(np.float32)
    known = np.ones((96, 96), np.float32)
    known[20:76, 30:66] = 0
    filled = fill_holes(image * known[..., None], known)
    fine = lambda a: float(np.std(a - cv2.GaussianBlur(a, (0, 0), 2.0)))
    hole, wall = filled[24:72, 31:37], image[24:72, 4:26]      # a fold (6 px) inside the hole
    assert fine(hole) > 0.6 * fine(wall)
    assert abs(float(hole.mean()) - 0.5) < 0.02


def test_background_plate_learns_the_wall_the_person_uncovers():
    """A person (a disc) walks across a fixed wall, a few frames at each place (the plate learns
    from one frame in LEARN_EVERY): the plate knows the wall where they stood."""
    rng = np.random.default_rng(1)
    wall = cv2.GaussianBlur(rng.uniform(0, 255, (240, 320, 3)).astype(np.uint8), (0, 0), 3)
    plate = BackgroundPlate()
    size = 64
    for x in (80, 120, 160, 200, 240):
        frame = wall.copy()
        cv2.circle(frame, (x, 120), 40, (20, 200, 20), -1)
        to_crop = np.float64([[size / 200, 0, -(x - 100) * size / 200], [0, size / 200, -20 * size / 200]])
        person = cv2.warpAffine((np.all(frame == (20, 200, 20), axis=2)).astype(np.float32), to_crop, (size, size))
        for _ in range(LEARN_EVERY):
            plate.update(frame, to_crop, person)
    # Where the person stood first (x = 80) the wall has been seen since.
    to_crop = np.float64([[size / 200, 0, 0], [0, size / 200, -20 * size / 200]])
    image, known = plate.crop(to_crop, size)
    truth = cv2.warpAffine(wall, to_crop, (size, size)).astype(np.float32) / 255
    centre = np.zeros((size, size), bool)
    centre[size // 2 - 6:size // 2 + 6, 24 - 6:24 + 6] = True   # frame (80, 120)
    assert known[centre].min() > 0.99
    assert np.abs(image[centre] - truth[centre]).mean() < 0.03


def test_the_mirrors_plate_never_learns_hair_as_wall():
    """d3.mp4: her long hair's outer strands lie beyond the person's mask, where the plate learnt
    them as wall: filled in from it after bald took her hair, they drew a dark line along the
    old hair's outline (frame 220). The plate learns only off the person and the hair. (The
    segmenter's person mask now covers her hair but for a few dozen pixels: here it is trimmed off
    the hair at its soft edge, a person mask missing them as the old one did.)"""
    with Pipeline(ENGINES, "onnxruntime") as mirror:
        style = mirror.styles.get("bald")
        for i in range(2 * LEARN_EVERY):
            frame, aligned = mirror.track(Frame(i, i * 33, clip_frame("d3.mp4", at=i)))
            outer = (aligned.hair > 0.2) & (aligned.person < 0.5)
            aligned.person = np.where(outer, 0.0, aligned.person).astype(np.float32)
            mirror.edit(frame, aligned, style)
        size = aligned.hair.shape[0]
        _, known = mirror.plate.crop(aligned.to_crop, size)
    strands = aligned.hair > 0.2                         # (thin strands at the hair's edge too)
    assert (aligned.person[strands] < 0.2).sum() > 100     # ... which the person's mask misses
    assert known[strands].max() < 0.5                    # (17 pixels known from the person alone; 62 with the old segmenter)



def test_the_wall_drawn_behind_removed_hair_takes_no_pixel_of_the_person():
    """d12 in bald, frame 30: along the soft edge of what the plate knows, the wall drawn where
    his curls were mixed in the crop's own pixels there, his hair: a thin dark arc on the wall
    round the dome. The wall is now the plate and the wall seen now, each where it is trusted:
    painting the person white leaves it as it was (with the old code, 6,736 of its pixels moved
    by more than 8 grey levels)."""
    with Pipeline(ENGINES, "onnxruntime") as mirror:
        style = mirror.styles.get("bald")
        for i in range(31):
            frame, aligned = mirror.track(Frame(i, i * 40, clip_frame("d12.mp4", at=i)))
            mirror.edit(frame, aligned, style)
        size = aligned.detail.shape[0]
        hair = cv2.resize(aligned.hair, (size, size), interpolation=cv2.INTER_LINEAR)
        detail = aligned.detail.astype(np.float32) / 255.0
        person = render._off_person(aligned.person, aligned.hair, size) == 0.0
        painted = detail.copy()
        painted[person] = (1.0, 1.0, 1.0)
        walls = [render.HairRenderer._wall(image, aligned, hair, mirror.plate) for image in (detail, painted)]
        _, known = mirror.plate.crop(aligned.detail_to_crop, size)
    edge = (known > 0.05) & (known < 0.95) & person      # (the plate's soft edge, over his hair)
    assert edge.sum() > 200
    moved = np.abs(walls[1] - walls[0]).max(axis=-1) * 255.0
    assert (moved > 8.0).sum() == 0, (moved > 8.0).sum()

def test_removed_hair_outside_the_skull_shows_the_plate(pipeline, faces):
    """Bald on the astronaut with a plate that saw a green wall: beside her head, where her hair
    was, the picture turns to that wall; inside the skull, skin-coloured scalp."""
    name, image, aligned = faces[1]
    wall = np.zeros_like(image)
    wall[...] = (40, 180, 40)
    plate = BackgroundPlate()
    plate.update(wall, aligned.to_crop, np.zeros_like(aligned.person))
    style = pipeline.styles.get("bald")
    plan = pipeline.editor.edit(aligned, style, 1.0)
    edited = HairRenderer().render(aligned, plan, plate)
    size = edited.crop.shape[0]
    landmarks = aligned.landmarks * aligned.scale
    hair = cv2.resize(aligned.hair, (size, size)) > 0.8
    scalp_outline = HairRenderer._skull(landmarks, aligned.person, size)
    outside = hair & (scalp_outline < 0.05) & (edited.replace > 0.95)
    inside = hair & (scalp_outline > 0.95) & (edited.replace > 0.95) & ~face_oval(landmarks, size)
    assert outside.sum() > 100 and inside.sum() > 100
    green = edited.crop[outside].astype(int)
    assert np.abs(green - (40, 180, 40)).mean() < 25
    scalp = to_lab(edited.crop[inside][None].astype(np.float32) / 255)[0].mean(0)
    skin = to_lab(aligned.detail[cv2.resize(face_interior(aligned.landmarks, 128).astype(np.uint8),
                                            (size, size)) > 0][None].astype(np.float32) / 255)[0].mean(0)
    assert abs(scalp[1] - skin[1]) < 8 and abs(scalp[2] - skin[2]) < 8    # the person's own skin hue


@pytest.mark.parametrize("style", ["bangs", "bald", "receding", "regrowth", "blond"])
def test_no_seam_at_the_brows(pipeline, faces, style):
    """Across the protected face's upper edge, the edit's change steps no more than the photo's
    own edges do there (at 95th percentiles)."""
    for name, image, aligned in faces:
        edited = pipeline.edit(Frame(0, 0, image), aligned, pipeline.styles.get(style))
        size = edited.crop.shape[0]
        landmarks = aligned.landmarks * aligned.scale
        interior = face_interior(landmarks, size).astype(np.uint8)
        band = (cv2.dilate(interior, np.ones((5, 5), np.uint8)) - cv2.erode(interior, np.ones((5, 5), np.uint8))) > 0
        band[int(landmarks[6, 1]):] = False          # the upper edge: brows and temples
        change = cv2.cvtColor(edited.crop, cv2.COLOR_BGR2GRAY).astype(np.float32) - \
            cv2.cvtColor(aligned.detail, cv2.COLOR_BGR2GRAY).astype(np.float32)
        photo = cv2.cvtColor(aligned.detail, cv2.COLOR_BGR2GRAY).astype(np.float32)

        def step(img):
            return np.hypot(cv2.Sobel(img, cv2.CV_32F, 1, 0), cv2.Sobel(img, cv2.CV_32F, 0, 1))[band]

        assert np.percentile(step(change), 95) <= np.percentile(step(photo), 95) + 1.0, name


def test_shape_regions_grow_with_the_amount(faces):
    _, _, aligned = faces[1]
    for style in shapes.ADD + shapes.REMOVE:
        areas = [shapes.region(style, aligned.landmarks, 128, a).sum() for a in (0.3, 0.7, 1.0)]
        assert areas[2] > 40, (style, areas)
        if style != "no_bangs":    # the fringe goes whole
            assert areas[0] < areas[1] < areas[2], (style, areas)
    # Removing takes only hair that is there; adding only where there is none.
    change = shapes.hair_change({"bald": 1.0}, aligned.landmarks, aligned.hair, 1.0)
    assert change.max() <= 0 and (change < -0.5).sum() > 300
    assert (-change <= aligned.hair + 1e-6).all()


def test_bald_leaves_no_big_hair_standing_out_beside_the_scalp(faces):
    """Fully bald, the astronaut's big hair beside her head above the ears goes (it stood out as
    two horns beside the new scalp); at a third of the amount, thinning at the crown, it stays."""
    _, _, aligned = faces[1]
    size = aligned.hair.shape[0]
    ears = aligned.landmarks[list(EARS), 1].mean()
    beside = (skull(aligned.landmarks, size, scale=shapes.HORSESHOE_HUG[1] + 0.1) < 0.01) & (aligned.hair > 0.5)
    beside[int(ears):] = False
    beside[:int(aligned.landmarks[10, 1])] = False    # beside the head, not on top of it
    assert beside.sum() > 50
    full = shapes.hair_change({"bald": 1.0}, aligned.landmarks, aligned.hair, 1.0)
    assert (aligned.hair + full)[beside].max() < 0.05
    crown = shapes.hair_change({"bald": 1.0}, aligned.landmarks, aligned.hair, 0.35)
    assert (crown[beside] > -0.01).mean() > 0.9


def test_bald_leaves_long_hair_falling_from_the_side_of_the_head_not_a_box_cut_straight_across():
    """CelebA 000035, 000258: long hair below the horseshoe's top stayed as wide as it was, its
    top a straight line at brow height from the face to the crop's edge (earmuffs). Beside the
    skull it now goes down to a line falling away from the head; below that it stays."""
    size = 128
    landmarks = np.zeros((478, 2), np.float32)
    landmarks[:, 0], landmarks[:, 1] = 64.0, 60.0
    landmarks[EARS[0]], landmarks[EARS[1]] = (34.0, 62.0), (94.0, 62.0)
    landmarks[10], landmarks[152] = (64.0, 30.0), (64.0, 100.0)
    region = shapes.region("bald", landmarks, size, 1.0)
    height = (62.0 - 30.0) * shapes.SKULL_HEIGHT
    cut = int(62.0 - height * shapes.HORSESHOE)                     # the horseshoe's top beside the face
    skull_side = 64 + int(30 * shapes.SKULL_WIDTH)
    assert region[cut + 4, skull_side - 4] < 0.1                     # the horseshoe itself stays
    out = skull_side + 16                                            # farther out, below its top:
    assert region[cut + 8, out] > 0.9 and region[cut + 8 + int(3 * shapes.DRAPE * 16), out] < 0.1   # gone, down to the line
    columns = [region[:, c] > 0.5 for c in range(skull_side + 4, min(size, skull_side + 30))]
    lowest = [np.flatnonzero(c).max() for c in columns]
    assert np.all(np.diff(lowest) >= 0) and lowest[-1] - lowest[0] > 20  # falling away outward


def test_bald_takes_long_hair_beside_the_face_whole_and_keeps_a_short_cuts_horseshoe(pipeline):
    """d3.mp4: a woman's long hair hung on below a horseshoe cut straight across at the ear line,
    with a step in the scalp's outline there and strands left over her cheeks. It now goes whole
    down to the crop's foot (``shapes.hangs_long``, ``render.hung_beside``): what shows there is
    the wall and the side of her head, not dark hair. d0's short hair keeps its horseshoe."""
    frame, aligned = pipeline.track(Frame(0, 0, clip_frame("d3.mp4", at=60)))
    size = aligned.hair.shape[0]
    long = shapes.hangs_long(aligned.hair, aligned.landmarks) > 0.5
    ears, mouth = skull_axes(aligned.landmarks)[1], aligned.landmarks[MOUTH, 1]
    beside = long & (aligned.hair > 0.5)
    beside[:int(ears)] = False
    assert beside[:, :size // 2].sum() > 50 and beside[:, size // 2:].sum() > 50      # both sides
    crop = pipeline.edit(frame, aligned, pipeline.styles.get("bald")).crop
    big = crop.shape[0]
    before, after = to_lab(aligned.detail)[..., 0], to_lab(crop)[..., 0]
    where = cv2.resize(beside.astype(np.uint8), (big, big), interpolation=cv2.INTER_NEAREST) > 0
    rows = np.arange(big)[:, None] * (size / big)
    where &= rows < mouth                                       # beside her cheeks
    assert np.median(before[where]) < 35 and np.median(after[where]) > 55    # dark hair; now wall or skin
    # ... strands over her cheeks too: along the inside of the face's outline, nothing as dark as
    # her hair (its darkest 2 %: L* 8.8, and 25.1 now).
    oval = face_oval(aligned.landmarks * (big / size), big)
    ring = oval & ~(cv2.erode(oval.astype(np.uint8), np.ones((int(0.08 * big),) * 2, np.uint8)) > 0)
    ring &= (rows > ears) & (rows < mouth)
    assert np.percentile(after[ring], 2) > np.percentile(before[ring], 2) + 10
    # d0's short hair: no long hair, its horseshoe kept.
    _, short = pipeline.track(Frame(0, 0, clip_frame("d0.mp4", at=30)))
    assert shapes.hangs_long(short.hair, short.landmarks).max() == 0.0


def test_a_turned_head_keeps_its_long_hair_decision_for_a_while():
    """d3.mp4, frames 140-151, 33 ms apart: as she turns, her cheek hides the hair on one side,
    the runs that tell long hair go (from frame 146 for 32 frames; the decision blinked 12 times
    over the clip, 15 with the old segmenter, which lost them at frames 110-115 too), and that side's
    hair below the jaw hung from a horseshoe cut at eye level. In video the side stays long for
    LONG_HOLD_MS while hair hangs below its ear line (``shapes.LongHold``); not past that."""
    with Pipeline(ENGINES, "onnxruntime") as mirror:
        style = mirror.styles.get("bald")
        for i in range(140, 152):
            _, aligned = mirror.track(Frame(i, i * 33, clip_frame("d3.mp4", at=i)))
            plan = mirror.editor.edit(aligned, style, 1.0, i * 33)
        late = mirror.editor.edit(aligned, style, 1.0, 151 * 33 + shapes.LONG_HOLD_MS + 500)
    size = aligned.hair.shape[0]
    ears = skull_axes(aligned.landmarks)[1]
    side = aligned.hair > shapes.LONG_SURE
    side[:int(ears) + 1] = False
    side[:, :size // 2] = False
    side &= ~face_oval(aligned.landmarks, size)
    assert side.sum() > 30                                         # her hair below the ears ...
    assert shapes.hangs_long(aligned.hair, aligned.landmarks)[side].max() < 0.5   # ... not seen long on its own
    # (held: all of it goes but what lies under her chin within the jaw's width, which stays;
    # none past the hold)
    under = np.zeros_like(side)
    jaw = regions.jaw_span(aligned.landmarks, size)
    under[int(aligned.landmarks[MOUTH, 1]) + 1:, jaw[0]:jaw[1] + 1] = True
    assert (side & ~under).sum() > 30
    assert (plan.hair_change[side & ~under] < -0.5).mean() > 0.9
    assert (late.hair_change[side] < -0.5).mean() < 0.1


def test_no_streak_where_the_crops_fading_top_meets_the_wall_drawn_past_it(pipeline):
    """d3.mp4 in bald: her hair leaves the crop at its top, and past it the wall is drawn over it
    (``removed_beyond``). Inside the crop's fading top rows the edit's wall fades into her dark
    hair; added onto the wall already drawn there, that change went past 255 before the blend took
    it back: a blue-grey streak across the wall (G and R up to 16 below the wall's, B not). The wall
    drawn past the crop and the crop's own meet without one."""
    frame, aligned = pipeline.track(Frame(0, 0, clip_frame("d3.mp4", at=100)))
    edited = pipeline.edit(frame, aligned, pipeline.styles.get("bald"))
    assert edited.beyond is not None and edited.beyond.fill is not None
    out = pipeline.compose(frame, aligned, edited).astype(np.float32)
    roi = (0, 0, frame.image.shape[1], frame.image.shape[0])
    weight = warp_back(edited.beyond.mask, aligned.to_outer, roi)
    fill = warp_back(edited.beyond.fill, aligned.to_outer, roi).astype(np.float32)
    # The frame's pixels in the crop's fading top rows where the wall is drawn over dark hair.
    size, margin = edited.crop.shape[0], regions.edge_margin(edited.crop.shape[0])
    ys, xs = np.mgrid[0:frame.image.shape[0], 0:frame.image.shape[1]]
    rows = aligned.detail_to_crop[1, 0] * xs + aligned.detail_to_crop[1, 1] * ys + aligned.detail_to_crop[1, 2]
    cols = aligned.detail_to_crop[0, 0] * xs + aligned.detail_to_crop[0, 1] * ys + aligned.detail_to_crop[0, 2]
    edge = (rows > 1) & (rows < margin - 1) & (cols > 0) & (cols < size) & (weight > 0.99)
    edge &= to_lab(frame.image)[..., 0] < 40
    assert edge.sum() > 200
    # (off by 1.2, 8.3 and 11.0 in B, G and R before; 0.7 at most now)
    assert np.abs(out[edge] - fill[edge]).mean(axis=0).max() < 3
    # The fill drawn band by band round the crop (``Beyond.inset``) is the fill drawn whole (but
    # for rounding: 8 bits where it was float, a warp's grid set by another box).
    assert edited.beyond.inset is not None
    whole = dataclasses.replace(edited, beyond=dataclasses.replace(edited.beyond, inset=None))
    apart = np.abs(pipeline.compose(frame, aligned, whole).astype(np.float32) - out)
    assert apart.max() <= 2 and apart.mean() < 0.05


def _d3_bald(pipeline, at: int):
    """d3.mp4's frame ``at`` in bald through ``pipeline``: (frame, aligned, the output, and each
    frame pixel's crop column and row)."""
    frame, aligned = pipeline.track(Frame(0, 0, clip_frame("d3.mp4", at=at)))
    out = pipeline.compose(frame, aligned, pipeline.edit(frame, aligned, pipeline.styles.get("bald")))
    height, width = frame.image.shape[:2]
    ys, xs = np.mgrid[0:height, 0:width]
    cols = aligned.to_crop[0, 0] * xs + aligned.to_crop[0, 1] * ys + aligned.to_crop[0, 2]
    rows = aligned.to_crop[1, 0] * xs + aligned.to_crop[1, 1] * ys + aligned.to_crop[1, 2]
    return frame, aligned, out, cols, rows


def _d3_carried(pipeline, then: int, now: int):
    """d3.mp4 in bald: frame ``now``'s output from the edit of frame ``then`` carried over to it
    (``lagged.rebase``, as the live mirror shows it between edits), and from its own edit; and
    each frame pixel's crop row."""
    bald = pipeline.styles.get("bald")
    first, before = pipeline.track(Frame(0, 0, clip_frame("d3.mp4", at=then)))
    edited = pipeline.edit(first, before, bald)
    frame, aligned = pipeline.track(Frame(1, 33, clip_frame("d3.mp4", at=now)))
    carried = pipeline.compose(frame, aligned, rebase(edited, before, aligned))
    fresh = pipeline.compose(frame, aligned, pipeline.edit(frame, aligned, bald))
    height, width = frame.image.shape[:2]
    ys, xs = np.mgrid[0:height, 0:width]
    rows = aligned.to_crop[1, 0] * xs + aligned.to_crop[1, 1] * ys + aligned.to_crop[1, 2]
    return to_lab(carried)[..., 0], to_lab(fresh)[..., 0], rows


def test_a_carried_bald_edit_takes_the_hair_that_has_swung_out_since(pipeline):
    """d3.mp4 in bald: the live mirror draws an edit a few times a second and carries it over to
    the frames between, with the head. Her long hair swings as she turns: it showed beside the
    shaved head, out past what the edit of seven frames before drew. A carried removal takes the
    new frame's hair too (``render.retake``): far less is left darker than the frame's own edit."""
    # (pixels 15 L* darker than the frame's own edit: 11,725 and 12,280 on 4970466, 4,849 and
    # 7,100 now; the rest is the head's outline, drawn as it was seven frames before)
    for then, now, most in ((64, 71, 7000), (192, 199, 9500)):
        carried, fresh, _ = _d3_carried(pipeline, then, now)
        assert int((carried < fresh - 15).sum()) < most, then


def test_a_carried_bald_edit_keeps_the_wall_above_a_nodding_head(pipeline):
    """d3.mp4 in bald, frame 110 carried over to 115: she nods, and the crop, aligned to her face,
    moves 15 frame pixels down while the top of her hair stays put. Carried with the face only,
    the wall drawn over it moved down too, and the top of her old hair showed as a dark arc over
    the bald head. The wall drawn above the crop is carried as it lay in the frame too
    (``lagged._held_above``): above the crop, no darker than the frame's own edit."""
    carried, fresh, rows = _d3_carried(pipeline, 110, 115)
    above = rows < 0
    # (pixels 15 L* darker than the frame's own edit above the crop: 1,372 on 4970466, 0 now)
    assert int((carried[above] < fresh[above] - 15).sum()) < 100


def test_a_carried_bald_edit_leaves_no_light_band_along_the_crops_top_edge(pipeline):
    """d3.mp4 in bald, frames 96 and 104 carried over to six frames on: the compositor draws a
    large face's edit from its lent grid (``LentDetail``), which half draws the crop over its
    fading edge; a carry added the frame's change to the crop but not to the grid, and there the
    wall drawn on the edit's frame showed through over the hair of the frame carried to: in the
    live mirror a lighter band with square ends over the bald head. The grid is redrawn there
    (``lagged.rebase``): along the crop's top edge, nothing lighter than the frame's own edit."""
    for then in (96, 104):
        carried, fresh, rows = _d3_carried(pipeline, then, then + 6)
        band = (rows > 0) & (rows < regions.edge_margin(128))
        assert band.sum() > 5000
        # (pixels 10 L* lighter than the frame's own edit: 82 and 93 on e6de001, 0 now)
        assert int((carried[band] > fresh[band] + 10).sum()) < 20, then


def test_thin_strands_past_the_hair_followed_past_the_crop_go_with_it(pipeline):
    """d3.mp4 in bald, frame 160: her long hair leaves the crop at its left side, where the wall
    shows between its outer strands: too pale for the hair's colour, they stood beside the shaved
    head past the crop's edge. Within STRAND_REACH of the hair followed they go too
    (``render._strands``): the dark strands left of the crop turn to the wall."""
    frame, aligned, out, cols, rows = _d3_bald(pipeline, 160)
    size = aligned.crop.shape[0]
    # (a strip left of the crop, from the ear line down: strands darker than the wall there)
    strip = (cols < 0) & (cols > -render.STRAND_REACH * size) & (rows > 0.45 * size) & (rows < size)
    before, after = to_lab(frame.image)[..., 0], to_lab(out)[..., 0]
    # (the wall: the same rows farther out, past the strands)
    wall = np.median(before[(cols < -2 * render.STRAND_REACH * size) & (rows > 0.45 * size) & (rows < size)])
    dark = strip & (before < wall - 15)
    assert dark.sum() > 300
    # (their mean L* 31.5 below the wall's, 19.5 on e4575bb, 9-10 on 5e7e308, where the wall
    # filled in beside her head took in her neck's colour, 3.6 now: the faintest strands stay)
    assert np.mean(wall - after[dark]) < 13


def test_the_wall_drawn_past_the_crop_is_not_filled_from_the_neck(pipeline):
    """d3.mp4 in bald, frame 260: her long hair hangs past the crop's left edge, between the wall
    and her neck. The wall drawn there was filled along each row from both sides, the neck's too:
    a blurred column of skin's colour stood on the wall where the hair hung. The person the crop
    sees is not the wall (``render._off_person``): there, the wall's colour."""
    frame, aligned, out, cols, rows = _d3_bald(pipeline, 260)
    size = aligned.crop.shape[0]
    below = (rows > 0.45 * size) & (rows < size)
    before, after = to_lab(frame.image), to_lab(out)
    # (the wall: the same rows farther out; the hair: darker than it, just left of the crop)
    wall = np.median(before[(cols < -0.12 * size) & below], axis=0)
    hair = (cols < 0) & (cols > -0.06 * size) & below & (before[..., 0] < wall[0] - 15)
    assert hair.sum() > 1000
    # (CIELAB distance from the wall: 13.2 on 5e7e308, 3.7 now)
    assert np.mean(np.linalg.norm(after[hair] - wall, axis=1)) < 7


def test_no_line_down_the_crops_edge_where_the_wall_drawn_past_it_meets_it(pipeline):
    """d3.mp4 in bald, frame 260: her long hair is taken away up to the crop's left edge and the
    wall drawn past it goes on from there. Drawn up to its edge, the crop met that wall in a line
    a pixel wide, lighter or darker, down its side. It fades out onto that wall over its margin
    (``render._hand_over``): across the edge, no step off the wall either side of it."""
    frame, aligned = pipeline.track(Frame(0, 0, clip_frame("d3.mp4", at=260)))
    edited = pipeline.edit(frame, aligned, pipeline.styles.get("bald"))
    assert edited.beyond is not None and edited.beyond.fill is not None
    lightness = to_lab(pipeline.compose(frame, aligned, edited))[..., 0]
    back = cv2.invertAffineTransform(aligned.to_crop)
    size = aligned.crop.shape[0]
    steps = []
    for row in np.linspace(0.45 * size, 0.95 * size, 60):      # (below the ear line, where the hair hung)
        x, y = np.rint(back @ [0.0, row, 1.0]).astype(int)
        if 4 <= x and y < lightness.shape[0]:
            steps.append(np.abs(lightness[y, x - 1:x + 2] - 0.5 * (lightness[y, x - 4] + lightness[y, x + 4])).max())
    assert len(steps) > 40
    # (L*, the most along it: 14.5 on 3db5ff5, 1.2 now)
    assert max(steps) < 5.0


def test_bald_takes_the_long_hair_seen_beside_the_neck(pipeline):
    """d3.mp4 in bald, frame 100: her long hair shows either side of her neck, under her jaw.
    Kept as a beard under the chin within the jaw's width, it stood as a dark stalk either side of
    the neck. On a side of hair surely hair only a beard's width under the chin is kept
    (``shapes.BEARD``): beside it the neck and the wall are drawn."""
    frame, aligned, out, cols, rows = _d3_bald(pipeline, 100)
    size, landmarks = aligned.crop.shape[0], aligned.landmarks
    jaw = regions.jaw_span(landmarks, size)
    left, right = regions.neck_span(landmarks, size, shapes.BEARD)
    # (under the chin, within the jaw's width, beside a beard's: where her hair was dark)
    beside = (rows > landmarks[CHIN, 1]) & (rows < size) & (cols >= jaw[0]) & (cols <= jaw[1]) & \
        ((cols < left) | (cols > right))
    before, after = to_lab(frame.image)[..., 0], to_lab(out)[..., 0]
    dark = beside & (before < 40)
    assert dark.sum() > 1000
    # (the share still dark: 0.90 on de1f94d, 0.47 now; the rest is the neck's shadow and her
    # thin strands on her left, a side not sure enough of its hair)
    assert np.mean(after[dark] < 40) < 0.65


@pytest.mark.parametrize("name", ["003298", "001710"])
def test_bald_on_long_hair_leaves_no_crescent_under_the_jaw(pipeline, name):
    """CelebA 003298 and 001710 (test faces), long dark hair: right under the jaw, within
    LONG_APART[1] of the face oval below the mouth, hair was kept as a beard along the jaw would
    be: a dark crescent under the shaved head's jaw. On a side whose hair is surely hair it goes."""
    frame, aligned = pipeline.track(Frame(0, 0, read_image(os.path.join(need(CELEBA), "img", f"{name}.jpg"))))
    crop = pipeline.edit(frame, aligned, pipeline.styles.get("bald")).crop
    big = crop.shape[0]
    landmarks = aligned.landmarks * aligned.scale
    oval = face_oval(landmarks, big)
    reach = 2 * int(shapes.LONG_APART[1] * big) + 1
    near = cv2.dilate(oval.astype(np.uint8), cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (reach, reach))) > 0
    rows, cols = np.mgrid[0:big, 0:big]
    left, right = regions.neck_span(landmarks, big, shapes.BEARD)
    band = near & ~oval & (rows > landmarks[MOUTH, 1]) & ((cols < left) | (cols > right))
    before, after = to_lab(aligned.detail)[..., 0], to_lab(crop)[..., 0]
    dark = band & (before < 40)
    assert dark.sum() > 1000
    # (the share still as dark as hair, L* under 25 (the hair's median is 3-4, the neck drawn in
    # the jaw's shadow 30-40 on 003298): 0.50 and 0.48 on 0cf4930, 0.04 and 0.01 now)
    assert np.mean(after[dark] < 25) < 0.2


@pytest.mark.parametrize("name, whole", [("000930", False), ("000123", True)])
def test_bald_on_long_hair_keeps_a_beard(pipeline, name, whole):
    """CelebA 000930 and 000123, men with a beard and hair taken for long hair: the beard's
    sideburns reach from above the ear line to the mouth as long hair does, and the beard went
    with the hair (a mean change of 21 and 11 grey levels under the mouth within the jaw's width).
    It stays, under the chin within BEARD of the jaw's width. Beside it, 000930's long curls go
    from beside his neck; 000123's short cut against a dark collar, which the segmenter half
    takes for hair, is not surely long hair (``shapes._certain``): nothing changes under his
    mouth within the jaw's width (the neck drawn there stood as a patch of skin on the collar)."""
    frame, aligned = pipeline.track(Frame(0, 0, read_image(os.path.join(need(CELEBA), "img", f"{name}.jpg"))))
    assert (shapes.hangs_long(aligned.hair, aligned.landmarks) > 0.5).any()     # taken for long hair
    crop = pipeline.edit(frame, aligned, pipeline.styles.get("bald")).crop
    big = crop.shape[0]
    landmarks = aligned.landmarks * aligned.scale
    change = np.abs(crop.astype(int) - aligned.detail.astype(int))[int(landmarks[MOUTH, 1]):]
    left, right = regions.neck_span(landmarks, big, shapes.BEARD)
    assert change[:, int(left):int(right) + 1].mean() < 3.0
    if whole:
        jaw = regions.jaw_span(landmarks, big)
        assert change[:, jaw[0]:jaw[1] + 1].mean() < 3.0


def test_bald_takes_the_fringe_of_strands_beside_the_removed_hair_too(pipeline, faces):
    """d0.mp4: the stray strands round a head's outline, which the hair mask misses, stayed on
    the wall as a dark outline of the removed hair. The wall is drawn over FRINGE_REACH beyond
    it: here 2-4 pixels past the astronaut's hair above her head."""
    _, image, aligned = faces[1]
    edited = pipeline.edit(Frame(0, 0, image), aligned, pipeline.styles.get("bald"))
    size = edited.crop.shape[0]
    hair = (HairRenderer._hair(aligned, aligned.detail.astype(np.float32) / 255.0) > 0.5).astype(np.uint8)
    ring = (cv2.dilate(hair, np.ones((9, 9), np.uint8)) > 0) & ~(cv2.dilate(hair, np.ones((5, 5), np.uint8)) > 0)
    ring[int(aligned.landmarks[10, 1] * aligned.scale) - size // 10:] = False      # above her head
    assert ring.sum() > 200 and edited.replace[ring].mean() > 0.78


def test_receding_takes_the_hairline_back_and_leaves_long_hair_falling_beside_the_face(pipeline):
    """CelebA 182650: long hair falls past her temples down beside her face. Receding took it
    down to the brows (a fifth of it there), and the hair below was left cut straight across;
    now it takes the hair above her forehead only."""
    image = read_image(os.path.join(need(CELEBA), "img", "182650.jpg"))
    _, aligned = pipeline.track(Frame(0, 0, image))
    size = aligned.hair.shape[0]
    change = shapes.hair_change({"receding": 1.0}, aligned.landmarks, aligned.hair, 1.0)
    hair = aligned.hair > 0.5
    brows = aligned.landmarks[BROWS]
    beside = np.zeros((size, size), bool)
    beside[int(brows[:, 1].min() - 0.04 * size):int(brows[:, 1].max())] = True
    beside &= hair & ~face_oval(aligned.landmarks, size)
    above = np.zeros((size, size), bool)
    above[:int(aligned.landmarks[10, 1]), int(brows[:, 0].min()):int(brows[:, 0].max())] = True
    above &= hair
    assert beside.sum() > 200 and above.sum() > 1000
    assert (change[beside] < -0.5).mean() < 0.05
    assert (change[above] < -0.5).mean() > 0.1


def test_a_slightly_receding_hairline_recedes_at_the_temples_while_its_middle_holds(faces):
    """The astronaut's fringe hangs over her forehead. Slightly receding (the hair-loss scale's
    first stage) took two thirds of it, as much as receding does; a hairline recedes at the
    temples first, so now her fringe stays there, and goes from receding's amount on."""
    _, _, aligned = faces[1]
    size = aligned.hair.shape[0]
    landmarks, brows = aligned.landmarks, aligned.landmarks[BROWS]
    centre, half = float(landmarks[:, 0].mean()), float(np.ptp(brows[:, 0])) / 2
    xs, ys = np.arange(size)[None, :], np.arange(size)[:, None]
    above = (ys < brows[:, 1].min()) & (ys > landmarks[10, 1] - 0.05 * size) & (aligned.hair > 0.5)
    middle = above & (np.abs(xs - centre) < 0.3 * half)
    temples = above & (np.abs(xs - centre) > 0.7 * half) & (np.abs(xs - centre) < half)
    assert middle.sum() > 100 and temples.sum() > 100
    gone = {amount: shapes.hair_change({"receding": 1.0}, landmarks, aligned.hair, amount) < -0.5
            for amount in (0.35, 0.7)}
    assert gone[0.35][middle].mean() < 0.05 and gone[0.35][temples].mean() > 0.5
    assert gone[0.7][middle].mean() > 0.6


def test_receding_leaves_the_short_hair_on_the_side_of_the_head(pipeline, d13_frame):
    """d13 (a clip the model never trained on): his short hair beside his temples, outside the
    face at brow level, is the side of his head, not his hairline. Receding took a third of it,
    and the wall showed there as a pale patch; now it stays, while his temples recede."""
    _, aligned = pipeline.track(Frame(0, 0, d13_frame))
    size = aligned.hair.shape[0]
    change = shapes.hair_change({"receding": 1.0}, aligned.landmarks, aligned.hair, 1.0)
    brows = aligned.landmarks[BROWS]
    rows = np.zeros((size, size), bool)
    rows[int(brows[:, 1].min() - 0.04 * size):int(brows[:, 1].max())] = True
    beside = rows & (aligned.hair > 0.5) & ~face_oval(aligned.landmarks, size)
    assert beside.sum() > 100
    assert (change[beside] < -0.5).mean() < 0.02
    # ... and the hair above his temples, inside the face's outline, still goes.
    temples = np.zeros((size, size), bool)
    temples[:int(brows[:, 1].min() - 0.04 * size), int(brows[:, 0].min()):int(brows[:, 0].max())] = True
    temples[:, int(brows[:, 0].min()) + size // 8:int(brows[:, 0].max()) - size // 8] = False
    temples &= aligned.hair > 0.5
    assert (change[temples] < -0.5).mean() > 0.3


def test_a_receding_hairline_goes_back_in_its_middle_too(pipeline, d13_frame):
    """d13 (frame 0): receding left the hair above the middle of his forehead as a tuft between
    bare temples, a widow's peak (the judge saw receding on 0.04 of the test faces; real receding
    hairlines and the model's own decodes are high all along). Now the middle goes back too, by
    more than a quarter as far as the temples (10 and 11 rows of his hair; 2 and 11 before)."""
    _, aligned = pipeline.track(Frame(0, 0, d13_frame))
    size = aligned.hair.shape[0]
    landmarks, brows = aligned.landmarks, aligned.landmarks[BROWS]
    gone = shapes.hair_change({"receding": 1.0}, landmarks, aligned.hair, 1.0) < -0.5
    hair = aligned.hair > 0.5
    centre, half = float(landmarks[:, 0].mean()), float(np.ptp(brows[:, 0])) / 2
    ys = np.arange(size)[:, None]

    def depth(columns: np.ndarray) -> float:
        """Rows of hair gone above the lowest hair in these columns (the old hairline), median."""
        out = []
        for x in columns:
            line = np.flatnonzero(hair[:int(brows[:, 1].min()), x])
            taken = np.flatnonzero(gone[:, x] & (ys[:, 0] <= (line.max() if len(line) else 0)))
            if len(line) and len(taken):
                out.append(line.max() - taken.min())
        return float(np.median(out)) if out else 0.0

    middle = np.arange(int(centre - 0.2 * half), int(centre + 0.2 * half))
    temples = np.r_[int(centre - 0.9 * half):int(centre - 0.7 * half), int(centre + 0.7 * half):int(centre + 0.9 * half)]
    assert depth(middle) > 0.25 * depth(temples) > 0, (depth(middle), depth(temples))


def test_thinning_is_a_share_of_the_hair_on_top_most_at_the_crown(faces):
    _, _, aligned = faces[1]
    size = aligned.hair.shape[0]
    assert shapes.thinning({"receding": 1.0}, aligned.landmarks, size, 1.0) is None
    shares = [shapes.thinning({"thinning": 1.0}, aligned.landmarks, size, a) for a in (0.3, 0.7, 1.0)]
    assert shares[0].sum() < shares[1].sum() < shares[2].sum()
    assert shares[2].max() == pytest.approx(shapes.THIN_SHARE, abs=0.05)     # a share, never all of it
    brows = int(aligned.landmarks[BROWS, 1].min())
    assert shares[2][brows:].max() < 0.05                                    # on top of the head only
    # Fading out gradually (hair thins, it is not cut): no step anywhere.
    assert np.abs(np.diff(shares[2], axis=0)).max() < 0.1 and np.abs(np.diff(shares[2], axis=1)).max() < 0.1


def test_thinning_hair_lets_the_scalp_through_its_gaps_and_keeps_its_strands():
    size = 128
    image = np.full((size, size, 3), 60, np.uint8)
    image[:, ::4] = 20                                   # dark gaps between lighter strands
    hair = np.zeros((size, size), np.float32)
    hair[:64] = 1.0
    share = np.full((size, size), 0.5, np.float32)
    gone = thin_out(share, hair, image)
    assert gone[64:].max() == 0.0                        # only hair thins
    assert gone[:64].mean() == pytest.approx(0.5, abs=0.1)
    assert gone[10:54, 0::4].mean() > gone[10:54, 2::4].mean() + 0.2   # the gaps go first
    assert thin_out(np.zeros_like(share), hair, image).max() == 0.0


def test_the_hair_loss_scales_thin_stage_thins_the_hair_on_top_between_receding_and_bald(pipeline, faces):
    from mirror.edit import hairloss

    _, image, aligned = faces[1]
    changed = {}
    for stage, label, _ in hairloss.STAGES[-3:]:
        plan = pipeline.editor.edit(aligned, hairloss.scale_style(pipeline.styles, stage))
        edited = HairRenderer().render(aligned, plan)
        top = aligned.detail[:edited.crop.shape[0] // 4]
        changed[label] = float(np.abs(edited.crop[:len(top)].astype(np.float32) - top).mean())
        if label == "thin on top":
            assert plan.thinning is not None and plan.thinning.max() > 0.5
    assert changed["deeply receding"] < changed["thin on top"] < changed["balding"], changed


def test_plan_kinds(pipeline, faces):
    _, _, aligned = faces[1]
    assert pipeline.editor.edit(aligned, pipeline.styles.get("blond")).kind == "color"
    assert pipeline.editor.edit(aligned, pipeline.styles.get("blond"), 0.0).kind == "none"
    bangs = pipeline.editor.edit(aligned, pipeline.styles.get("bangs"))
    assert bangs.kind == "add" and bangs.edited is None and bangs.hair_change.max() > 0.5
    bald = pipeline.editor.edit(aligned, pipeline.styles.get("bald"))
    assert bald.kind == "remove" and bald.edited is not None and bald.hair_change.min() < -0.5
    assert HairRenderer().render(aligned, EditPlan("none")).hair_mask.max() == 0


def test_a_bare_scalp_catches_the_light_on_its_front(faces):
    """The sheen on a bald head lies on the scalp, between its top and the brows, centred on the
    face; nothing of it falls outside the scalp."""
    _, _, aligned = faces[1]
    size = 256
    landmarks = aligned.landmarks * (size / aligned.crop.shape[0])
    inside = skull(landmarks, size)
    sheen = _sheen(inside, landmarks)
    y, x = np.unravel_index(np.argmax(sheen), sheen.shape)
    top = np.nonzero((inside > 0.5).any(axis=1))[0][0]
    brows = np.median(landmarks[[70, 63, 105, 66, 107, 336, 296, 334, 293, 300], 1])
    assert top < y < brows and abs(x - landmarks[:, 0].mean()) < 0.05 * size
    assert sheen.max() > 0.9 and sheen[inside == 0].max() == 0 and (sheen <= inside + 1e-6).all()


@pytest.mark.parametrize("style", ["bald", "receding", "no_bangs"])
def test_bare_scalp_meets_the_forehead_without_a_colour_step(pipeline, faces, d13_frame, style):
    """Where drawn scalp meets bare forehead, the two sides are of one colour (CIELAB distance
    of their means under 6; the scalp's plain skin tone alone is 6-8 off): the astronaut's; in
    receding, whose scalp comes down to her brows, d13's (frame 0), whose forehead is bare."""
    if style == "receding":
        image = d13_frame
        _, aligned = pipeline.track(Frame(0, 0, image))
    else:
        _, image, aligned = faces[1]
    edited = pipeline.edit(Frame(0, 0, image), aligned, pipeline.styles.get(style))
    size = edited.crop.shape[0]
    landmarks = aligned.landmarks * aligned.scale
    hair = cv2.resize(aligned.hair, (size, size))
    drawn = edited.replace > 0.6
    skin = (edited.replace < 0.2) & face_oval(landmarks, size) & (hair < 0.2)
    grow = np.ones((9, 9), np.uint8)
    scalp_side = drawn & (cv2.dilate(skin.astype(np.uint8), grow) > 0)
    skin_side = skin & (cv2.dilate(drawn.astype(np.uint8), grow) > 0)
    assert scalp_side.sum() > 100 and skin_side.sum() > 100
    lab = to_lab(edited.crop)
    assert np.linalg.norm(lab[scalp_side].mean(0) - lab[skin_side].mean(0)) < 6.0


def test_background_plate_is_the_walls_colour_at_the_edge_of_what_it_knows():
    """A plate that has seen a grey wall on its left half only, read through a crop that falls
    between its pixels: beside the unknown half (interpolated with it), the plate is the wall's
    grey, not darker (it mixed in the unknown's black: a dark line where hair was removed)."""
    frame = np.full((120, 160, 3), 200, np.uint8)
    size = 64
    to_crop = np.float64([[size / 120, 0, 0], [0, size / 120, 0]])
    person = np.zeros((size, size), np.float32)
    person[:, size // 2:] = 1.0
    plate = BackgroundPlate()
    plate.update(frame, to_crop, person)
    shifted = to_crop.copy()
    shifted[:, 2] += 0.37           # between the plate's pixels
    image, known = plate.crop(shifted, size)
    edge = (known > 0.05) & (known < 0.95)
    assert edge.any()
    assert np.abs(image[edge] - 200 / 255).max() < 0.01


def test_hair_taken_between_the_skull_and_hair_that_stays_is_the_heads_side_not_the_wall():
    """A head's hair as a ring round a face, its right temple taken away: on the right, between the
    face and the hair that stays beyond, the taken hair is the head's side (drawn as scalp, not
    wall); on the left, where all hair beyond is taken too, and above the head, it is the wall."""
    size = 128
    hair = np.zeros((size, size), np.float32)
    cv2.circle(hair, (64, 64), 50, 1.0, -1)
    cv2.circle(hair, (64, 64), 35, 0.0, -1)          # the face inside the ring
    person = np.zeros((size, size), np.float32)
    cv2.circle(person, (64, 64), 50, 1.0, -1)
    loss = np.zeros((size, size), np.float32)
    loss[40:70, 96:106] = 1.0                         # the right temple: hair stays beyond (x >= 106)
    loss[40:70, 14:33] = 1.0                          # the left: all of the ring's width
    landmarks = np.float32([[64, 64], [64, 40], [64, 90]])
    enclosed = HairRenderer._enclosed(hair, loss, person, landmarks, 1.0)
    assert enclosed[45:65, 98:104].min() > 0.9
    assert enclosed[45:65, 16:31].max() < 0.05
    assert enclosed[:10].max() < 0.05 and enclosed[45:65, 110:].max() < 0.5   # the wall; the hair that stays


def test_a_bald_scalp_is_as_wide_either_side_of_the_skulls_middle(faces):
    """CelebA 183146, a bald man, has a shadow on the wall beside his head, which the segmenter
    counts as the person: the scalp drawn to his outline bulged over it. The scalp now reaches
    as far either side of the skull's middle: here the astronaut's landmarks, a head of the
    skull's shape and a shadow joined to its right side."""
    _, _, aligned = faces[1]
    size = aligned.detail.shape[0]
    landmarks = aligned.landmarks * aligned.scale
    centre, middle, _, height = skull_axes(landmarks)
    head = (skull(landmarks, size, scale=1.12) > 0.5).astype(np.float32)
    row = int(middle - 0.5 * height)
    right = int(np.flatnonzero(head[row] > 0.5)[-1])
    shadow = head.copy()
    shadow[row - 25:row + 25, right - 2:right + 30] = 1.0
    reach = {}
    for name, person in (("head", head), ("shadow", shadow)):
        scalp = np.flatnonzero(HairRenderer._skull(landmarks, person, size)[row] > 0.5)
        reach[name] = (centre - scalp[0], scalp[-1] - centre)
    assert reach["head"][1] > 0.25 * size                       # the scalp fills the head ...
    assert abs(reach["shadow"][1] - reach["shadow"][0]) <= 2.0  # ... and not the shadow
    assert abs(reach["shadow"][1] - reach["head"][1]) <= 2.0


@pytest.mark.parametrize("name", ["003298", "000502"])
def test_bald_draws_the_neck_in_the_jaws_shadow(pipeline, name):
    """CelebA 003298 and 000502 (test faces), long hair hiding the neck: made bald, the neck drawn
    under the jaw took the scalp's tone, as light as the forehead: a pale stalk under the head.
    On 469 real faces whose neck shows, the skin just under the chin is a median 8 L* darker than
    the bare cheeks (``render.NECK_SHADE``); the drawn neck is too."""
    frame, aligned = pipeline.track(Frame(0, 0, read_image(os.path.join(need(CELEBA), "img", f"{name}.jpg"))))
    edited = pipeline.edit(frame, aligned, pipeline.styles.get("bald"))
    big = edited.crop.shape[0]
    landmarks = aligned.landmarks * aligned.scale
    rows, cols = np.mgrid[0:big, 0:big]
    left, right = regions.neck_span(landmarks, big)
    chin = landmarks[CHIN, 1]
    neck = ((rows > chin + 0.01 * big) & (rows < chin + 0.07 * big) & (cols >= left) & (cols <= right)
            & (edited.replace > 0.9))
    hair = cv2.resize(aligned.hair, (big, big), interpolation=cv2.INTER_LINEAR)
    cheeks = ((rows > landmarks[regions.NOSE_TIP, 1]) & (rows < landmarks[MOUTH, 1]) & face_oval(landmarks, big)
              & (hair < 0.2))
    # (drawn wholly: 559 and 260 pixels with the old student; 574 and 176 with the stricter one,
    # which keeps 000502's own neck in the jaw's shadow left of her chin, skin-coloured, that the
    # old one half took for hair)
    assert neck.sum() > 150 and cheeks.sum() > 1000
    # (the drawn neck's median L* less the cheeks': 3.5 and 12.9 on 70cee9f, -11.0 and -12.2 now)
    assert np.median(to_lab(edited.crop)[..., 0][neck]) - np.median(to_lab(aligned.detail)[..., 0][cheeks]) < -4.0


def _made_bald(pipeline, photos, name):
    """(EditedFace, landmarks in its crop's pixels, the brows' row, the skull's top row) of the
    astronaut or a CelebA face made bald."""
    frame, aligned = pipeline.track(Frame(0, 0, _photo(photos, name)))
    edited = pipeline.edit(frame, aligned, pipeline.styles.get("bald"))
    landmarks = aligned.landmarks * aligned.scale
    _, middle, _, height = skull_axes(landmarks)
    return edited, landmarks, float(np.median(brow_line(landmarks, edited.crop.shape[0]))), max(middle - height, 0.0)


@pytest.mark.parametrize("name", ["astronaut", "001751"])
def test_a_bald_dome_is_darker_at_its_top_than_in_front(pipeline, photos, name):
    """The astronaut and CelebA 001751 (a test face) made bald: the dome's highlight sat high on it
    and its top was as light as its front, a flat cap. On the test split's real bald heads the
    top, turned away from the camera, is 11 L* darker than the forehead, the front 3 lighter
    (``render.CROWN_SHADE``, ``SHEEN_AT``): so is the drawn one, up its middle."""
    edited, landmarks, brow, crown = _made_bald(pipeline, photos, name)
    big = edited.crop.shape[0]
    centre = skull_axes(landmarks)[0]
    rise = brow - crown       # (from the brows to the skull's top)
    cols = slice(int(centre - 0.04 * big), int(centre + 0.04 * big))
    top, front = np.s_[int(brow - 0.85 * rise):int(brow - 0.7 * rise), cols], np.s_[int(brow - 0.45 * rise):int(brow - 0.3 * rise), cols]
    assert edited.replace[top].min() > 0.9 and edited.replace[front].min() > 0.9
    lightness = to_lab(edited.crop)[..., 0]
    # (L*: 8.8 and 2.0 on 96acfc4, -2.7 and -4.7 now)
    assert np.median(lightness[top]) - np.median(lightness[front]) < -2.0


@pytest.mark.parametrize("name", ["astronaut", "003298"])
def test_a_bald_dome_darkens_towards_its_sides_as_a_round_head_does(pipeline, photos, name):
    """The astronaut and CelebA 003298 (a test face) made bald: halfway up the dome, its sides
    were lit almost as its middle, a flat cap. On the test split's real bald heads the sides,
    turned away from the camera, are 17 to 23 L* darker than the middle there (``_turned_away``):
    so is the drawn one, 0.9 of the way out across the skull."""
    edited, landmarks, brow, crown = _made_bald(pipeline, photos, name)
    big = edited.crop.shape[0]
    row = int(brow - 0.5 * (brow - crown))
    band = slice(row - int(0.02 * big), row + int(0.02 * big))
    across = np.flatnonzero((edited.replace[band].min(axis=0) > 0.9) & (skull(landmarks, big)[band].min(axis=0) > 0.5))
    centre, half = 0.5 * (across[0] + across[-1]), 0.5 * (across[-1] - across[0])
    assert half > 0.2 * big
    lightness = to_lab(edited.crop)[..., 0]
    at = [float(np.median(lightness[band, int(centre + out * half) - 2:int(centre + out * half) + 3])) for out in (-0.9, 0, 0.9)]
    # (L*, the sides' mean less the middle: -16.5 and -16.9 on 256ab13, -20.2 and -21.7 on 8ce975a;
    # -20.3 and -18.0 with the stricter segmenter, which takes the strands over her temples too:
    # within the real heads' 17 to 23)
    assert 0.5 * (at[0] + at[2]) - at[1] < -17.5


def test_a_neck_is_not_shaded_without_bare_cheeks_to_shade_it_from(faces):
    """Five test faces with hair over the cheeks (no_bangs, 128 px): no bare cheek pixel on the
    every other row and column the medians are taken on, and the median of none (NaN) drew the
    bared forehead dark red. Without bare cheeks enough to measure, the neck keeps its tone."""
    _, _, aligned = faces[1]
    size = aligned.detail.shape[0]
    landmarks = aligned.landmarks * aligned.scale
    hair = np.ones((size, size), np.float32)
    hair[1::2] = 0.0            # (bare cheeks on odd rows only)
    base = render.to_lab(aligned.detail)
    before = base.copy()
    render._shade_neck(base, render.to_lab(aligned.detail), landmarks, hair, np.ones((size, size), np.float32))
    assert np.array_equal(base, before)


def test_in_video_a_bald_scalps_colour_follows_over_the_renders_and_does_not_jump(pipeline):
    """d12, frames 144 and 168: his fringe shows a little forehead between its strands on the
    first (the scalp is drawn from it) and none on the second (from the cheeks, foretold: 13 L*
    lighter). As stills the domes' median L* lie 12 apart (48.6, 60.8), and rendered one after the
    other in video they did too: in the live loop the dome flashed pink for a render or two (its
    median over d12's renders spanned 44.7-64.3 L*; now 47.1-55.3). In video the scalp's colour
    now follows over the renders (DOME_RATE): 4.3 apart."""
    faces = [pipeline.track(Frame(at, 0, clip_frame("d12.mp4", at)))[1] for at in (144, 168)]
    plans = [pipeline.editor.edit(aligned, pipeline.styles.get("bald"), 1.0) for aligned in faces]

    def dome(edited: EditedFace, aligned: AlignedFace) -> float:
        size = edited.crop.shape[0]
        landmarks = aligned.landmarks * aligned.scale
        drawn = (edited.replace > 0.9) & (skull(landmarks, size) > 0.5) & ~face_oval(landmarks, size)
        assert drawn.sum() > 0.05 * size * size
        return float(np.median(to_lab(edited.crop)[drawn][:, 0]))

    stills = [dome(HairRenderer().render(aligned, plan), aligned) for aligned, plan in zip(faces, plans)]
    video = HairRenderer(video=True)
    followed = [dome(video.render(aligned, plan), aligned) for aligned, plan in zip(faces, plans)]
    assert stills[1] - stills[0] > 8.0, stills
    assert abs(followed[0] - stills[0]) < 0.5 and 0.0 < followed[1] - followed[0] < 0.6 * (stills[1] - stills[0]), (stills, followed)


def test_waves_swing_the_hair_across_its_fall_calm_at_the_roots_and_draw_no_wall_in():
    """``mirror.render.waves`` on long hair hanging beside a face (a synthetic mask): the strands swing
    side to side by up to SWING of the crop, not at all at the roots, and no pixel of the hair is
    copied from off the hair (its edge would draw the wall in)."""
    size = 256
    hair = np.zeros((size, size), np.float32)
    hair[40:250, 20:90] = hair[40:250, 166:236] = hair[40:90, 20:236] = 1.0
    hair = cv2.GaussianBlur(hair, (0, 0), 1.5)
    top = column_span(hair > 0.5)[0]
    source, light, swung = waves.waves(hair, top, size)
    grid = np.stack(np.meshgrid(np.arange(size), np.arange(size)), axis=-1).astype(np.float32)
    shift = source - grid
    full = waves.SWING * size
    assert np.abs(shift[..., 0]).max() > 0.8 * full and np.abs(shift).max() <= full + 1e-3
    assert np.abs(shift[..., 0]).sum() > 4 * np.abs(shift[..., 1]).sum()     # across the fall
    roots = np.s_[40:43, 20:236]
    assert np.abs(shift[roots]).max() < 0.05 * full and np.abs(light[roots] - 1).max() < 0.01
    inside = hair > 0.99
    taken = cv2.remap(hair, source, None, cv2.INTER_LINEAR)
    assert taken[inside].min() > 0.5, "wavy hair copied from off the hair"
    assert np.abs(shift[hair < 0.01]).max() < 0.02 * full and swung[hair < 0.01].max() < 0.01   # off the hair
    # ... nor at three times the strength, the mirror's most (its edge kept still as far as it swings)
    source, light, _ = waves.waves(hair, top, size, 3.0)
    assert cv2.remap(hair, source, None, cv2.INTER_LINEAR)[inside].min() > 0.5
    assert np.abs(light - 1).max() <= waves.CREST_MAX * waves.CREST_LIGHT + 1e-5


def test_wavy_hair_is_the_persons_own_in_waves_and_nothing_but_the_hair_changes(pipeline):
    """d3 frame 60 (long hair beside her face) made wavy: her hair is her own pixels swung in
    waves and lit on their crests (down a column of her hair the change of lightness turns from
    lighter to darker and back, wave by wave), drawn anew there with the frame's own detail lent;
    nothing off the hair changes, nor her face below the brows, and her hoop earrings keep still
    (swung, one was bent into an S). (Before, wavy only changed the hair's lightness contrast by
    the decode's gain: no curl at all.)"""
    image = clip_frame("d3.mp4", 60)
    frame, aligned = pipeline.track(Frame(60, 0, image))
    style = pipeline.styles.get("wavy")
    assert style.curl > 0
    edited = pipeline.edit(frame, aligned, style)
    output = pipeline.compose(frame, aligned, edited)
    assert edited.source is not None and edited.lent is not None and edited.replace.max() > 0.7
    changed = np.abs(output.astype(int) - image.astype(int)).max(axis=2) > 0
    hair = frame_mask(edited.hair_mask, aligned, image.shape)
    assert changed.sum() > 5000 and not (changed & ~hair).any()
    size = edited.crop.shape[0]
    interior = frame_mask(face_interior(aligned.landmarks * aligned.scale, size), aligned, image.shape, grow=0) & ~hair
    assert np.abs(output.astype(int) - image.astype(int))[interior].mean() <= 2.0
    # Waves down her hair, column by column where it is drawn anew.
    change = to_lab(edited.crop)[..., 0] - to_lab(aligned.detail)[..., 0]
    turns = []
    for column in range(size):
        inside = edited.replace[:, column] > 0.3
        if inside.sum() > 0.2 * size:
            signs = np.sign(cv2.GaussianBlur(change[inside, column].reshape(-1, 1), (1, 0), 2.0).ravel())
            turns.append(int((np.diff(signs[signs != 0]) != 0).sum()))
    assert len(turns) >= 10 and np.median(turns) >= 3, turns
    # The hoops: metal far lighter than her dark hair, inside it.
    grid = np.stack(np.meshgrid(np.arange(size), np.arange(size)), axis=-1).astype(np.float32)
    hoops = (to_lab(aligned.detail)[..., 0] > 60) & (edited.hair_mask > 0.9)
    assert hoops.sum() > 20
    moved = np.abs(edited.source - grid).max(axis=2)[hoops]      # (2.5 px at most, 0.7 in the median, swung)
    assert moved.max() < 0.25 * waves.SWING * size and np.median(moved) < 0.05 * waves.SWING * size
