"""The speed work's shortcuts give what the plain computations give (docs/SPEED.md)."""
import cv2
import numpy as np
import pytest

from mirror.face.align import invert, warp_to_crop
from mirror.render.color import ColorParams, color_table, recolor
from mirror.face.regions import face_interior, soft_interior
from mirror.render.imaging import median, nonzero_box
from mirror.render.lab import color_stats, to_lab
from mirror.render.masks import MaskParams, refine
from mirror.render.matte import MatteParams, hair_matte


def plain_warp_to_crop(image, to_crop, size):
    """The whole frame halved while the crop is much smaller (the definition FramePyramid keeps)."""
    matrix = np.asarray(to_crop, dtype=np.float64).copy()
    scale = np.hypot(matrix[0, 0], matrix[0, 1])
    while scale < 0.5 and min(image.shape[:2]) > 2 * size:
        image = cv2.pyrDown(image)
        matrix[:, :2] *= 2.0
        scale *= 2.0
    return cv2.warpAffine(image, matrix, (size, size), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


def test_the_face_box_pyramid_crops_as_the_whole_frame_does():
    rng = np.random.default_rng(0)
    for _ in range(60):
        height, width = (int(v) for v in rng.integers(150, 1300, 2))
        image = rng.integers(0, 256, (height, width, 3), dtype=np.uint8)
        size = int(rng.choice([64, 128, 256]))
        scale, angle = rng.uniform(0.05, 1.5), rng.uniform(-0.5, 0.5)
        center = rng.uniform(-0.3, 1.3, 2) * (width, height)     # some squares reach off the frame
        rotation = scale * np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
        to_crop = np.hstack([rotation, (size / 2 - rotation @ center)[:, None]])
        assert np.array_equal(warp_to_crop(image, to_crop, size), plain_warp_to_crop(image, to_crop, size))


@pytest.mark.parametrize("amount", [0.0, 0.5, 1.0, 1.4, 2.5])
def test_the_colour_table_recolours_as_recolor_does(amount):
    rng = np.random.default_rng(1)
    bgr = rng.integers(0, 256, (64, 96, 3), dtype=np.uint8)
    bgr[:32] = np.clip(rng.normal(40, 12, (32, 96, 3)), 0, 255).astype(np.uint8)   # dark hair
    core = rng.random((64, 96)).astype(np.float32)
    own = color_stats(to_lab(bgr[:32]), np.ones((32, 96), bool))
    for target in (np.float32([[70, 5, 30], [12, 3, 8]]), np.float32([[10, 1, 2], [4, 1, 1]])):
        for skin in (None, np.float32([55, 15, 15])):
            table = color_table(own, target, amount, skin=skin)
            for mask, mixed, weight in ((None, None, None), (core, None, None), (core, core[::-1].copy(), None),
                                        (core, core[::-1].copy(), core)):
                plain = np.round(recolor(to_lab(bgr), own, target, amount, core=mask, mixed=mixed, weight=weight,
                                         skin=skin) * 255).astype(int)
                fast = table.apply(bgr, mask, mixed, weight).astype(int)
                # (with the face's skin known, more saturated colours stop at the ceiling, where
                # one 8-bit L* step either way is up to 3 levels of B, G or R)
                assert np.abs(fast - plain).max() <= (1 if skin is None else 3)
                assert (fast != plain).mean() < 0.01


def test_refine_on_the_masks_box_is_the_whole_crops_guided_filter():
    rng = np.random.default_rng(2)
    guide = cv2.GaussianBlur(rng.random((256, 256, 3)).astype(np.float32), (0, 0), 2)
    mask = np.zeros((128, 128), np.float32)
    mask[10:60, 30:90] = cv2.GaussianBlur(rng.random((50, 60)).astype(np.float32), (0, 0), 3)
    up = cv2.resize(mask, (256, 256), interpolation=cv2.INTER_LINEAR)
    whole = np.clip(cv2.ximgproc.guidedFilter(guide, up, 3, MaskParams().guide_eps), 0, 1)
    np.testing.assert_allclose(refine(mask, guide), whole, atol=1e-5)
    assert not refine(np.zeros((128, 128), np.float32), guide).any()
    # (an 8-bit guide is the same guide in float, taken to float on the box alone)
    guide = (guide * 255).astype(np.uint8)
    assert np.array_equal(refine(mask, guide), refine(mask, guide.astype(np.float32) / 255.0))


def test_median_is_numpys():
    rng = np.random.default_rng(5)
    for count in (1, 2, 3, 1000, 1001):
        for values in (rng.random(count).astype(np.float32), rng.normal(size=(3, count)).astype(np.float32)):
            assert np.array_equal(median(values), np.median(values, axis=-1))


@pytest.mark.engines
def test_the_face_interiors_depth_on_its_box_is_the_whole_crops(faces):
    """``soft_interior`` measures the interior's depth round it only: as over the whole crop, for
    faces anywhere in it (their interior cut by its edges too)."""
    for name, _, aligned in faces:
        size = aligned.detail.shape[0]
        for shift in ((0, 0), (-0.45, 0.1), (0.4, -0.3), (0.1, 0.45)):
            landmarks = aligned.landmarks * aligned.scale
            landmarks[:, :2] += np.float32(shift) * size
            for inset in (0.0, 0.015 * size):
                inside = face_interior(landmarks, size).astype(np.uint8)
                whole = np.clip((cv2.distanceTransform(inside, cv2.DIST_L2, 3) - inset) / (0.015 * size), 0.0, 1.0)
                np.testing.assert_allclose(soft_interior(landmarks, size, 0.015 * size, inset), whole, atol=1e-6,
                                           err_msg=name)


@pytest.mark.parametrize("own", [((20, 3, 5), (5, 2, 2)), ((2, 0, 2), (3, 2, 2))])
def test_the_vectorised_matte_is_the_plain_one(own):
    rng = np.random.default_rng(3)
    lab = np.stack([rng.normal(40, 15, (80, 80)), rng.normal(5, 5, (80, 80)), rng.normal(10, 8, (80, 80))], -1)
    lab = lab.astype(np.float32)
    hair = np.clip(cv2.GaussianBlur(rng.random((80, 80)).astype(np.float32), (0, 0), 4) * 3 - 1, 0, 1)
    own, skin = np.float32(own), np.float32([65, 12, 15])   # mid-brown hair; black hair
    zone = rng.random((80, 80)).astype(np.float32)
    matte = hair_matte(lab, own, hair, skin, zone)
    # The plain computation, pixel by pixel as the matte is defined.
    params, deviation_limits = MatteParams(), ColorParams().deviation
    small = (20, 20)
    other = cv2.resize(np.clip(1.0 - 2.0 * hair, 0.0, 1.0), small, interpolation=cv2.INTER_AREA)
    weight = cv2.GaussianBlur(other, (0, 0), params.other_sigma * 20)
    lab_small = cv2.resize(lab, small, interpolation=cv2.INTER_AREA)
    beside = cv2.GaussianBlur(lab_small * other[..., None], (0, 0), params.other_sigma * 20)
    beside = cv2.resize(beside / np.maximum(weight, 1e-3)[..., None], (80, 80), interpolation=cv2.INTER_LINEAR)
    # Where no wall is near: the wall's colour from farther off (off the face), and pixels near it.
    wall = other * (1.0 - cv2.resize(zone, small, interpolation=cv2.INTER_AREA))
    gap = cv2.resize(1.0 - np.clip(weight / params.other_min, 0.0, 1.0), (80, 80), interpolation=cv2.INTER_LINEAR)
    mean = (lab_small * wall[..., None]).sum(axis=(0, 1)) / wall.sum()
    far = ((cv2.GaussianBlur(lab_small * wall[..., None], (0, 0), params.wall_wide * 20) + params.wall_mean * mean)
           / (cv2.GaussianBlur(wall, (0, 0), params.wall_wide * 20) + params.wall_mean)[..., None])
    far = cv2.resize(far, (80, 80), interpolation=cv2.INTER_LINEAR)
    reach = own[0] - far
    toward = ((lab - far) * reach).sum(axis=-1) / (reach ** 2).sum(axis=-1)
    deviation = np.linalg.norm((lab - own[0]) / own[1], axis=-1)
    spilled = (np.clip(1.0 - toward / params.wall_share, 0.0, 1.0)
               * np.clip((np.linalg.norm(reach, axis=-1) - params.matte_contrast[0]) / (params.matte_contrast[1] - params.matte_contrast[0]), 0.0, 1.0)
               * np.clip((deviation - deviation_limits[0]) / (deviation_limits[1] - deviation_limits[0]), 0.0, 1.0) * gap)
    assert spilled.max() > 0.5 or own[0, 0] < 5     # the test reaches that path (brown hair)
    weight = cv2.resize(weight, (80, 80), interpolation=cv2.INTER_LINEAR)
    span = own[0] - beside
    length = np.sqrt((span ** 2).sum(axis=-1))
    share = np.clip(((lab - beside) * span).sum(axis=-1) / np.maximum(length, 1e-3) ** 2, 0.0, 1.0)
    sure = np.clip((length - params.matte_contrast[0]) / (params.matte_contrast[1] - params.matte_contrast[0]), 0.0, 1.0)
    plain = (1.0 - (1.0 - share) * sure * np.clip(weight / params.other_min, 0.0, 1.0)) * (1.0 - spilled)
    light = np.float32([params.skin_light, 1.0, 1.0])     # the skin's lightness counts less
    skinlike = 1.0 - np.clip((np.linalg.norm((lab - skin) * light, axis=-1) - params.not_skin[0]) / (params.not_skin[1] - params.not_skin[0]),
                             0.0, 1.0)
    # ... unless what is beside is skin too and far from the hair: a mix the share weighs.
    # (on the quarter-size map of the colour beside, as that is)
    beside_small = cv2.GaussianBlur(lab_small * other[..., None], (0, 0), params.other_sigma * 20) \
        / np.maximum(cv2.GaussianBlur(other, (0, 0), params.other_sigma * 20), 1e-3)[..., None]
    bare = np.clip((params.skin_beside[1] - np.linalg.norm(beside_small[..., 1:] - skin[1:], axis=-1))
                   / (params.skin_beside[1] - params.skin_beside[0]), 0.0, 1.0)
    bare = bare * np.clip((np.linalg.norm(own[0] - beside_small, axis=-1) - params.mix_contrast[0])
                          / (params.mix_contrast[1] - params.mix_contrast[0]), 0.0, 1.0)
    # (... where the share is trusted)
    bare = cv2.resize(bare.astype(np.float32), (80, 80), interpolation=cv2.INTER_LINEAR) * sure * np.clip(weight / params.other_min, 0.0, 1.0)
    plain = plain * (1.0 - skinlike * (1.0 - bare) * zone)
    assert bare.max() > 0.5 or own[0, 0] > 5         # ... and this one (black hair)
    np.testing.assert_allclose(matte, plain, atol=1e-5)


def test_nonzero_box_is_numpys():
    rng = np.random.default_rng(4)
    for threshold in (0.5, 0.999, 1.0):
        mask = rng.random((57, 91)) > threshold
        ys, xs = np.nonzero(mask)
        expected = None if ys.size == 0 else ((ys.min(), ys.max() + 1), (xs.min(), xs.max() + 1))
        assert nonzero_box(mask) == expected


@pytest.mark.engines
@pytest.mark.parametrize("style", ["blond", "black", "gray"])
def test_recolouring_the_masks_pixels_alone_is_the_whole_boxs_recolouring_on_the_photos(pipeline, faces, style):
    """``recolor_box`` recolours only the pixels its mask weighs, gathered into one row: on the
    packaged photos, with a donor's strands lent, it gives the whole box's recolouring by the
    same table to within 1 grey level (measured: the same to the bit), and leaves every pixel
    the mask does not weigh as it was."""
    import functools

    from mirror.render.colortable import recolor_box
    from mirror.render.color import scene_target
    from mirror.render.memory import Memory
    from mirror.render.recolor import RecolorParams, measure_colors, shaped_mask
    from mirror.render.texture_bank import lighten

    params = RecolorParams()
    for name, _, aligned in faces:
        own, skin = measure_colors(aligned, Memory(), False, params.color, params.matte, params.masks)
        plan = pipeline.editor.edit(aligned, pipeline.styles.get(style))
        table = color_table(own, scene_target(plan.color, plan.skin, skin, params.color), plan.amount, warm=True,
                            skin=skin, params=params.color)
        mask, box, mixed, _, _ = shaped_mask(aligned, own, skin, style == "black", params)
        lent = pipeline.renderer.textures.detail_at(0, mask.shape[0])[box]
        strands = functools.partial(lighten, detail_spread=4.0, spread=float(plan.color[1, 0]), gain=0.8)
        fast = recolor_box(aligned.detail, table, mask, box, mixed[box], strands, lent).crop
        # (the same with the box's CIELAB codes given, as video gives them)
        codes = cv2.cvtColor(np.ascontiguousarray(aligned.detail[box]), cv2.COLOR_BGR2LAB)
        assert np.array_equal(recolor_box(aligned.detail, table, mask, box, mixed[box], strands, lent, codes).crop, fast)
        # The whole box, every pixel through the table (with the 8-bit round trip's error taken out).
        part, weight = aligned.detail[box], np.clip(mask[box], 0.0, 1.0)
        moved = table.apply(part, weight, mixed[box], weight, functools.partial(strands, detail=lent)).astype(int)
        moved += part.astype(int) - cv2.cvtColor(cv2.cvtColor(part, cv2.COLOR_BGR2LAB), cv2.COLOR_LAB2BGR)
        plain = aligned.detail.copy()
        plain[box] = np.clip(moved, 0, 255)
        assert (plain != aligned.detail).any(axis=-1).mean() > 0.02, name     # (the hair changed)
        assert np.abs(fast.astype(int) - plain).max() <= 1, name
        assert np.array_equal(fast[mask == 0], aligned.detail[mask == 0]), name


def test_the_frame_past_the_crop_recoloured_where_weighed_is_the_whole_blend(photos):
    from mirror.render.compositor import recolor_where
    from mirror.render.imaging import blend

    image = photos[1][1][:200, :300]
    rng = np.random.default_rng(3)
    weight = cv2.GaussianBlur(rng.random((200, 300)).astype(np.float32), (0, 0), 6)
    weight = np.clip((weight - weight.mean()) * 40.0, 0.0, 1.0)         # patches of 0, of 1 and between
    own = color_stats(to_lab(image), np.ones((200, 300), bool))
    table = color_table(own, np.float32([[70, 5, 30], [12, 3, 8]]))
    out = recolor_where(image, table, weight)
    assert 0.2 < (weight == 0).mean() < 0.8 and (out != image).mean() > 0.1
    assert np.array_equal(out, blend(image, table.apply(image), weight))


@pytest.mark.engines
def test_a_drawings_change_warped_on_a_coarser_grid_differs_only_at_its_soft_edge(pipeline):
    """Where an edit draws anew (bald's scalp), the compositor warps its change onto a grid near
    the crop's own resolution: on a 720p webcam clip's frame (a face large enough for the grids
    to differ) the frame is the one the finer grid gives but at the drawing's soft edge
    (0 < replace < 1), and there within a few grey levels."""
    from conftest import clip_frame
    from mirror.render import compositor
    from mirror.types import Frame

    fine = compositor.warp_back
    frame, aligned = pipeline.track(Frame(0, 0, clip_frame("d13.mp4")))
    edited = pipeline.edit(frame, aligned, pipeline.styles.get("bald"))
    assert edited.replace.max() > 0.99
    coarse = pipeline.compose(frame, aligned, edited).astype(int)
    compositor.warp_back = lambda *args, resolution=2.0: fine(*args)
    try:
        plain = pipeline.compose(frame, aligned, edited).astype(int)
    finally:
        compositor.warp_back = fine
    apart = np.abs(coarse - plain).max(axis=-1)
    edge = ((edited.replace > 1 / 255) & (edited.replace < 254 / 255)).astype(np.uint8)
    edge = cv2.dilate(edge, np.ones((5, 5), np.uint8))
    at_edge = cv2.warpAffine(edge, invert(aligned.detail_to_crop), frame.image.shape[1::-1],
                             flags=cv2.INTER_NEAREST) > 0
    assert (apart > 0).any()      # (the grids differ)
    assert apart[~at_edge].max() <= 1
    assert np.percentile(apart[at_edge], 99) <= 8
