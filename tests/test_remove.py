"""Remove: hair taken away whole (its fringe, what hangs over the face, long hair beside it), the
brows a fringe hid drawn anew, a receding hairline, thinning hair."""
from __future__ import annotations

import dataclasses
import os

import cv2
import numpy as np
import pytest

from conftest import CELEBA, clip_frame, ENGINES, need
from render_support import d3_bald, photo_named, round_eyes
from mirror.edit import shapes
from mirror.face import regions
from mirror.face.regions import brow_line, BROWS, CHIN, EARS, face_interior, face_oval, MOUTH, skull, skull_axes
from mirror.io.source import read_image
from mirror.render import HairRenderer
from mirror.render.color import own_color
from mirror.render.lab import to_lab
from mirror.render.masks import hair_mask
from mirror.render.remove import _enclosed, close_dips, thin_out, wall_behind
from mirror.render.scalp import above_brows, forehead_tone
from mirror.run.app import Pipeline
from mirror.types import AlignedFace, Frame


@pytest.mark.data
@pytest.mark.engines
def test_a_fringe_taken_away_bares_a_forehead_in_the_faces_own_tone(pipeline):
    """CelebA 182839, 188337 and 186277: a fringe down to the brows, which a receding hairline
    takes with it. The forehead drawn where it goes took the tone of the skin beside it, which there is the brows and, between the strands,
    skin in the fringe's shadow: a grey patch 5.3, 24.5 and 8.3 CIELAB units off the cheeks'
    colour (12.7 in the mean). Then the cheeks' own tone: 4.0, 7.6 and 4.4 off them, but 14 L*
    darker in the median than a forehead is on faces that show both, a tan patch: 18.1, 17.8 and
    15.5 off the forehead the cheeks foretell (``forehead_tone``). Now 6.3, 9.1 and 6.8."""
    gaps = []
    for name in ("182839", "188337", "186277"):
        frame, aligned = pipeline.track(Frame(0, 0, read_image(os.path.join(need(CELEBA), "img", f"{name}.jpg"))))
        crop = pipeline.edit(frame, aligned, pipeline.styles.get("receding")).crop
        size = crop.shape[0]
        landmarks = aligned.landmarks * aligned.scale
        oval = face_oval(landmarks, size)
        drawn = (np.abs(crop.astype(int) - aligned.detail).max(axis=-1) > 12) & oval
        assert drawn.sum() > 0.01 * size * size
        forehead, _ = forehead_tone(to_lab(aligned.detail), landmarks, cv2.resize(aligned.hair, (size, size)))
        gaps.append(np.linalg.norm(np.median(to_lab(crop)[drawn], axis=0) - forehead))
    assert np.mean(gaps) < 8.0, gaps


@pytest.mark.data
@pytest.mark.engines
def test_hair_taken_from_above_a_fringe_takes_its_end_over_the_brows_and_draws_the_brows_it_hid(pipeline):
    """CelebA 000748 (test split): her fringe hangs over her brows to her eyes. Receding, its end
    over the protected face stayed: a strip of hair across the brows under
    the bare forehead (a tenth of the hair just above the brows' arc kept as it was), and the
    hair over the brows themselves, a dark band as wide as them (as dark as her hair: all the way
    from the forehead's L* to the hair's). Now the brows are drawn anew (``mirror.render.eyebrows``),
    about half way (0.56-0.65), as real brows are; her eyes stay as they were."""
    image = read_image(os.path.join(need(CELEBA), "img", "000748.jpg"))
    frame, aligned = pipeline.track(Frame(0, 0, image))
    edited = pipeline.edit(frame, aligned, pipeline.styles.get("receding"))
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
    forehead, _ = forehead_tone(before, landmarks, hair)
    own = own_color(to_lab(aligned.crop), aligned.hair)[0]
    inner = cv2.erode(brows, np.ones((3, 3), np.uint8)) > 0

    def way(lab):     # (how far from the forehead's L* to the hair's)
        return (np.median(lab[inner][:, 0]) - forehead[0]) / (own[0] - forehead[0])

    assert way(before) > 0.9 and 0.35 < way(after) < 0.7
    assert changed[round_eyes(landmarks, size)].mean() < 3.0


@pytest.mark.data
@pytest.mark.engines
@pytest.mark.parametrize("style", ["bald", "receding"])
def test_a_fringe_the_segmenter_is_unsure_of_goes_whole_not_as_a_dark_blot(pipeline, style):
    """CelebA 005030 (test split): a dark fringe over his forehead, which the segmenter half takes
    for hair (its strands with skin between them). Half taken, it stayed as a dark blot on the
    bared front of his head: 21-23% of the forehead above the brows' arc 15 L* darker than what
    was drawn there. Now it goes whole (``RemoveParams.unsure``): under 5%."""
    frame, aligned = pipeline.track(Frame(0, 0, read_image(os.path.join(need(CELEBA), "img", "005030.jpg"))))
    crop = pipeline.edit(frame, aligned, pipeline.styles.get(style)).crop
    size = crop.shape[0]
    landmarks = aligned.landmarks * aligned.scale
    front = face_oval(landmarks, size) & above_brows(landmarks, size)
    drawn = front & (np.abs(crop.astype(int) - aligned.detail).max(axis=-1) > 12)
    assert drawn.sum() > 0.3 * front.sum()
    light = to_lab(crop)[..., 0]
    assert (light[front] < np.median(light[drawn]) - 15.0).mean() < 0.05


@pytest.mark.data
@pytest.mark.engines
@pytest.mark.parametrize("style", ["receding", "bald"])
def test_hair_taken_from_over_the_face_leaves_no_thin_line_of_itself_on_the_bared_skin(pipeline, style):
    """CelebA 001335 (test split): a fringe over his brows and hair over his cheeks. Where two
    soft parts of a removal met (the fringe's end hung over the brows and the wisps below it; the
    protected face's edge and the hair hung over it), its weight dipped half way between them and
    the hair showed through as thin dark lines: across his brows like a pair of glasses' (receding
    29 pixels, 6 L* or more darker than their 5x5 median in the skin drawn over the face, off the
    brows and eyes), down his cheeks in bald (39). Now none."""
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
    """``close_dips`` fills a dip a pixel or two wide in a removal's weight where it is over
    half (a thin line of the hair taken between two soft parts), not one under half, and
    not where hair thins (``thin_out``): there its dips are the strands kept (filled, the hair-loss
    scale's "thin on top" lost 25-95 pixels of its strands on the astronaut and three CelebA faces)."""
    weight = np.ones((128, 128), np.float32)
    weight[60:62, 20:100] = 0.6             # (a line, 2 px wide, of the hair showing through)
    weight[30:32, 20:100] = 0.4             # (as narrow, but under half: the hair mostly stays there)
    closed = close_dips(weight, np.zeros_like(weight))
    assert closed[60:62, 30:90].min() > 0.99 and np.array_equal(closed[30:32], weight[30:32])
    thinned = np.zeros_like(weight)
    thinned[40:80] = 0.5
    kept = close_dips(weight, thinned)
    assert np.array_equal(kept[60:62], weight[60:62])


@pytest.mark.data
@pytest.mark.engines
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


@pytest.mark.data
@pytest.mark.engines
def test_brows_drawn_anew_in_a_small_crop_are_soft_bands_not_split_lengthwise(pipeline):
    """CelebA 000748 in receding, rendered at the model crop's own size (128 px, as
    ``train.evaluate`` and a face far from the camera have it): her brows are drawn anew. Their
    strands, finer than a pixel there, split a brow lengthwise, a light row between two darker
    ones in 29 of the brows' 49 columns (with their outline's half-pixel edge, a pencil line round a pale
    middle); real brows at this size are soft bands. Now in none."""
    frame, aligned = pipeline.track(Frame(0, 0, read_image(os.path.join(need(CELEBA), "img", "000748.jpg"))))
    small = dataclasses.replace(aligned, detail=aligned.crop)
    light = to_lab(HairRenderer().render(small, pipeline.editor.edit(small, pipeline.styles.get("receding"), 1.0)).crop)[..., 0]
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


@pytest.mark.data
@pytest.mark.engines
@pytest.mark.parametrize("name, style", [("astronaut", "bald"), ("000158", "receding")])
def test_brows_that_show_stay_the_persons_own(pipeline, photos, name, style):
    """The astronaut's fringe ends at her brows, which show; CelebA 000158's dark brows lie under
    a low hairline, and the segmenter's soft mask reaches over them: neither is drawn anew."""
    frame, aligned = pipeline.track(Frame(0, 0, photo_named(photos, name)))
    edited = pipeline.edit(frame, aligned, pipeline.styles.get(style))
    size = edited.crop.shape[0]
    landmarks = aligned.landmarks * aligned.scale
    inner = cv2.erode(regions.brows(landmarks, size).astype(np.uint8), np.ones((3, 3), np.uint8)) > 0
    changed = np.abs(to_lab(edited.crop)[..., 0] - to_lab(aligned.detail)[..., 0])
    assert (np.abs(edited.crop.astype(int) - aligned.detail).max(axis=-1) > 12).mean() > 0.05   # (edited)
    assert changed[inner].mean() < 3.0


@pytest.mark.engines
def test_a_hat_is_not_taken_away_with_the_hair_under_it(pipeline, faces):
    """Grace Hopper made bald: the segmenter half takes her black hat for hair (0.2-0.4), and it
    was taken with her white hair: its brim smeared into the wall (0.34 of the hat's dark pixels
    above the brows changed). Under a hat (``not_skin_hued``), only the hair it is sure of
    goes, at her sides (0.11 of them change, beside it)."""
    _, image, aligned = faces[0]
    edited = pipeline.edit(Frame(0, 0, image), aligned, pipeline.styles.get("bald"))
    size = aligned.detail.shape[0]
    person = cv2.resize(aligned.person, (size, size)) > 0.5
    hat = person & above_brows(aligned.landmarks * aligned.scale, size) & (to_lab(aligned.detail)[..., 0] < 30)
    changed = np.abs(edited.crop.astype(int) - aligned.detail).max(axis=-1) > 12
    assert hat.sum() > 5000
    assert changed[hat].mean() < 0.2, changed[hat].mean()
    # (and her light hair at the sides that it is sure of still goes)
    light = person & (to_lab(aligned.detail)[..., 0] > 55) & (cv2.resize(aligned.hair, (size, size)) > 0.4)
    assert light.sum() > 100 and changed[light].mean() > 0.5, changed[light].mean()


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
    wall = wall_behind(detail, aligned, head.astype(np.float32), None)
    inner = (xx - 128) ** 2 + (yy - 140) ** 2 < 60 ** 2        # behind the removed hair
    assert np.abs(wall[inner] - 0.8).max() < 0.05


@pytest.mark.engines
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


@pytest.mark.data
@pytest.mark.engines
def test_bald_takes_long_hair_beside_the_face_whole_and_keeps_a_short_cuts_horseshoe(pipeline):
    """d3.mp4: a woman's long hair hung on below a horseshoe cut straight across at the ear line,
    with a step in the scalp's outline there and strands left over her cheeks. It now goes whole
    down to the crop's foot (``shapes.hangs_long``, ``hung_beside``): what shows there is
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


@pytest.mark.data
@pytest.mark.engines
def test_a_turned_head_keeps_its_long_hair_decision_for_a_while():
    """d3.mp4, frames 140-151, 33 ms apart: as she turns, her cheek hides the hair on one side,
    the runs that tell long hair go (from frame 146 for 32 frames; the decision blinked 12 times
    over the clip, 15 with the old segmenter, which lost them at frames 110-115 too), and that side's
    hair below the jaw hung from a horseshoe cut at eye level. In video the side stays long for
    LONG_HOLD_MS while hair hangs below its ear line (``shapes.LongHold``); not past that."""
    with Pipeline(ENGINES, "onnxruntime", transplanted=()) as mirror:
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


@pytest.mark.data
@pytest.mark.engines
def test_bald_takes_the_long_hair_seen_beside_the_neck(pipeline):
    """d3.mp4 in bald, frame 100: her long hair shows either side of her neck, under her jaw.
    Kept as a beard under the chin within the jaw's width, it stood as a dark stalk either side of
    the neck. On a side of hair surely hair only a beard's width under the chin is kept
    (``shapes.BEARD``): beside it the neck and the wall are drawn."""
    frame, aligned, out, cols, rows = d3_bald(pipeline, 100)
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


@pytest.mark.data
@pytest.mark.engines
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


@pytest.mark.data
@pytest.mark.engines
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


@pytest.mark.engines
def test_bald_takes_the_fringe_of_strands_beside_the_removed_hair_too(pipeline, faces):
    """d0.mp4: the stray strands round a head's outline, which the hair mask misses, stayed on
    the wall as a dark outline of the removed hair. The wall is drawn over FRINGE_REACH beyond
    it: here 2-4 pixels past the astronaut's hair above her head."""
    _, image, aligned = faces[1]
    edited = pipeline.edit(Frame(0, 0, image), aligned, pipeline.styles.get("bald"))
    size = edited.crop.shape[0]
    hair = (hair_mask(aligned, aligned.detail.astype(np.float32) / 255.0) > 0.5).astype(np.uint8)
    ring = (cv2.dilate(hair, np.ones((9, 9), np.uint8)) > 0) & ~(cv2.dilate(hair, np.ones((5, 5), np.uint8)) > 0)
    ring[int(aligned.landmarks[10, 1] * aligned.scale) - size // 10:] = False      # above her head
    assert ring.sum() > 200 and edited.replace[ring].mean() > 0.78


@pytest.mark.data
@pytest.mark.engines
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


@pytest.mark.engines
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


@pytest.mark.data
@pytest.mark.engines
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


@pytest.mark.data
@pytest.mark.engines
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


@pytest.mark.engines
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


@pytest.mark.engines
def test_a_womans_thinning_runs_along_the_parting_widening_forward_and_the_front_line_holds(faces):
    """Ludwig's scale (``parting``): the share of the hair that thins lies along the face's middle,
    in a band wider at the front than at the crown and wider at a larger amount, a share of it
    at most; the hairline and what lies below it, and the sides of the head, keep their hair."""
    _, _, aligned = faces[1]
    size = aligned.hair.shape[0]
    landmarks = aligned.landmarks
    shares = [shapes.thinning({"parting": 1.0}, landmarks, size, a) for a in (0.5, 1.0, 1.4)]
    assert shares[0].sum() < shares[1].sum() < shares[2].sum()
    assert shares[1].max() == pytest.approx(shapes.PART_SHARE, abs=0.05)
    _, ears, half, height = skull_axes(landmarks)
    centre = int(round(skull_axes(landmarks)[0]))
    crown = int(round(ears - height))
    hairline = int(face_oval(landmarks, size)[:, centre].argmax())
    front = hairline - int(round(shapes.PART_FRONT * height))
    assert shares[2][front + 1:].max() == 0.0                                # the front line holds
    hair = np.zeros((size, size), np.float32)
    hair[:hairline - 10] = 1.0                          # (a hairline above the mesh's top: behind it)
    higher = shapes.thinning({"parting": 1.0}, landmarks, size, 1.4, hair)
    assert higher[front - 10 + 1:].max() == 0.0 < higher.max()
    width = lambda row: int((shares[1][row] > 0.1).sum())
    assert 0 < width(crown + 2) < width(front - int(0.3 * (front - crown)))   # widening forward
    assert shares[2][:, :int(centre - 1.2 * half)].max() == 0.0              # not the sides
    assert np.abs(np.diff(shares[2], axis=1)).max() < 0.15                  # diffuse, not cut


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


@pytest.mark.engines
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


@pytest.mark.engines
def test_a_womans_hair_loss_scale_thins_her_hair_along_the_parting_and_keeps_her_face(pipeline, faces):
    """The ``parting`` scale on the astronaut: each stage changes more of the hair on top of her
    head, lighter as the scalp shows through along the middle, and none of her eyes, nose and mouth."""
    from mirror.edit import hairloss

    _, image, aligned = faces[1]
    size = aligned.detail.shape[0]
    landmarks = aligned.landmarks * aligned.scale
    centre = int(round(skull_axes(landmarks)[0]))
    middle = np.s_[: int(landmarks[BROWS, 1].min()) - size // 16, centre - size // 12:centre + size // 12]
    lighter, changed = [], []
    for stage in range(1, hairloss.bounds(hairloss.PARTING)[1] + 1):
        plan = pipeline.editor.edit(aligned, hairloss.scale_style(pipeline.styles, stage, hairloss.PARTING))
        assert plan.kind == "shape" and plan.thinning is not None
        edited = HairRenderer().render(aligned, plan)
        light = to_lab(edited.crop)[..., 0] - to_lab(aligned.detail)[..., 0]
        lighter.append(float(light[middle].mean()))
        changed.append(float(np.abs(edited.crop.astype(int) - aligned.detail).max(axis=-1).mean()))
        hull = regions.features(landmarks, size)
        assert np.abs(edited.crop.astype(int) - aligned.detail)[hull].max() <= 2
    assert 0 < lighter[0] < lighter[-1] and changed == sorted(changed), (lighter, changed)


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
    enclosed = _enclosed(hair, loss, person, landmarks, 1.0)
    assert enclosed[45:65, 98:104].min() > 0.9
    assert enclosed[45:65, 16:31].max() < 0.05
    assert enclosed[:10].max() < 0.05 and enclosed[45:65, 110:].max() < 0.5   # the wall; the hair that stays
