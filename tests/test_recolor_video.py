"""Recolour in video: the mask made off the frame's path and carried where the hair lay, lent
strands placed on the hair and faded in."""
from __future__ import annotations

import dataclasses

import cv2
import numpy as np
import pytest

from conftest import clip_frame
from mirror.face.align import outer_square
from mirror.render import HairRenderer
from mirror.render.color import ColorParams, own_color
from mirror.render.lab import to_lab
from mirror.render.matte import hair_matte, remix
from mirror.render.memory import Seen
from mirror.render.recolor import _place_lent, _video_mask, Recolor, RecolorParams
from mirror.types import AlignedFace, Frame

# (these tests replay one still crop: the next mask asked for as a moving head's is, after
# ``mask_start`` frames, not ``mask_rest``)
MOVING = dataclasses.replace(RecolorParams(), mask_rest=RecolorParams().mask_start)


@pytest.mark.engines
def test_video_makes_recolouring_masks_off_the_frames_path_and_carries_them_over_the_next_frames(pipeline, faces):
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
    video = HairRenderer(video=True, effects={"color": Recolor(MOVING)})
    first = video.render(other, plan(other, blond)).hair_mask
    # The frames right after reuse the mask (the segmenter's rate), only re-measuring each pixel's
    # share of hair (``remix``: kept, or grown a little past its edge onto hair); the last of
    # them has one made from its own crop on the worker thread, which the frames after it use.
    swung = int(round(Recolor().params.swung * first.shape[0]))
    reach = cv2.dilate(first, np.ones((2 * swung + 1,) * 2, np.uint8))
    for _ in range(Recolor().params.mask_start):
        carried = video.render(astronaut, plan(astronaut, blond)).hair_mask
    assert (carried <= reach + 1e-6).all() and np.abs(carried - fresh).mean() > 0.15 * fresh.mean()
    video.memory.next_mask.result()        # (a frame takes it once it is done: here, the next)
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


@pytest.mark.engines
def test_video_recolouring_leaves_the_wall_a_moving_head_has_left(pipeline, faces):
    """The head moves in the crop (the tracking's smoothing lags it) while the recolouring mask
    made from the frame before is carried: where the hair has left it, the wall is untouched."""
    astronaut = faces[1][2]
    plan = pipeline.editor.edit(astronaut, pipeline.styles.get("blond"), 1.0)

    def left(image, pixels):
        return np.roll(image, -pixels, axis=1)

    moved = dataclasses.replace(astronaut, crop=left(astronaut.crop, 3), detail=left(astronaut.detail, 6),
                                hair=left(astronaut.hair, 3), person=left(astronaut.person, 3), outer=None, frame=None)
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
    mask = (matte > 0.01).astype(np.float32)
    assert np.allclose(remix(mix, frame(64), mask, hair, 0), mask)    # the same pixels: all of it holds
    later = remix(mix, frame(60), mask, hair, 0)                # the hair 4 px to the left
    assert later[:, 61:65].max() < 0.05                        # the wall it has left
    assert abs(later[:, 60].mean() - 0.5) < 0.05               # its new edge: half
    assert later[:, :60].min() > 0.99                          # the hair


def test_a_mask_carried_to_a_later_frame_takes_the_hair_that_swung_past_its_edge():
    """A head turning swings its hair past the edge of a mask made a few frames before: that hair,
    left in its old colour, was a dark rim round the recoloured hair. Within its reach and where
    the later frame's segmenter takes it for hair, the mask grows onto it; never onto the wall."""
    dark, green = np.float32([15, 2, 2]), np.float32([55, -35, 20])

    def frame(edge):
        lab = np.tile(green, (64, 128, 1))
        lab[:, :edge] = dark
        return lab

    hair = np.zeros((64, 128), np.float32)
    hair[:, :67] = 1.0
    matte, _, mix = hair_matte(frame(64), np.stack([dark, [3, 2, 2]]), hair, None, unmixed=True)
    mask = (matte > 0.01).astype(np.float32)
    now = np.zeros_like(hair)
    now[:, :71] = 1.0                                          # the later frame's segmenter
    assert remix(mix, frame(68), mask, now, 0)[:, 64:68].max() < 0.01     # not grown: a dark rim
    later = remix(mix, frame(68), mask, now, 6)                # the hair 4 px to the right
    assert later[:, 64:68].min() > 0.95                        # the hair that swung past the edge
    assert later[:, 68:].max() < 0.01                          # the wall beyond it
    assert remix(mix, frame(68), mask, hair * 0, 6)[:, 65:68].max() < 0.01   # not hair to the segmenter


@pytest.mark.engines
def test_in_video_lent_strands_stay_on_the_hair_as_the_crop_slides_over_it(pipeline, faces):
    """The crop follows the face's landmarks, which slide over the hair as a face turns or
    smiles: lent strands stay where they lay on the frame (d0's blond changed 5.88 grey levels
    frame to frame before, 5.00 after; 5.54 against 4.64 with the hair's own motion taken out),
    up to LENT_SLACK of the crop, past which they follow it; they settle back at LENT_RETURN."""
    aligned = faces[1][2]
    textures = pipeline.renderer.textures
    lent = textures.detail_at(0, aligned.detail.shape[0])
    seen, params = Seen(), RecolorParams()
    whole = np.s_[0:lent.shape[0], 0:lent.shape[1]]
    assert np.array_equal(_place_lent(lent, aligned, whole, None, seen, params), lent)

    def slide(by: float, box=whole) -> np.ndarray:
        """The strands placed after the crop slides ``by`` crop pixels to the right on the frame."""
        slid = dataclasses.replace(aligned, to_crop=aligned.to_crop - np.float64([[0, 0, by], [0, 0, 0]]))
        return _place_lent(lent, slid, box, seen.lent_at, Seen() if box is not whole else seen, params)

    def off_by(placed: np.ndarray, shift: float) -> float:
        """Mean difference from the strands moved ``shift`` detail pixels along x."""
        matrix = np.float64([[1, 0, shift], [0, 1, 0]])
        moved = cv2.warpAffine(lent, matrix, lent.shape[::-1], flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
        return float(np.abs(placed - moved).mean())

    scale, size = aligned.scale, aligned.crop.shape[0]
    # Within the slack: they stay on the frame, 2 crop pixels to the left in the crop.
    box = np.s_[20:150, 40:230]
    part = slide(2.0, box)         # (only the hair's box is placed: the same strands there)
    placed = slide(2.0)
    assert off_by(placed, -2.0 * scale * (1.0 - RecolorParams().lent_return)) < 0.1 * off_by(placed, 0.0)
    assert part.shape == placed[box].shape and np.abs(part - placed[box]).max() < 1e-3
    # Far past it: dragged along, the slack behind the crop.
    _place_lent(lent, aligned, whole, None, seen, params)
    placed = slide(3.0 * RecolorParams().lent_slack * size)
    assert off_by(placed, -RecolorParams().lent_slack * size * scale * (1.0 - RecolorParams().lent_return)) < 0.1 * off_by(placed, 0.0)


@pytest.mark.data
@pytest.mark.engines
def test_in_video_a_new_donors_strands_fade_in(pipeline, monkeypatch):
    """Lent strands are followed over the frames at LENT_RATE: a change of donor (the hair's
    shape changed) fades in rather than changing every strand at once (d3 in blond, which
    changed donor 4 times in 65 frames: 3.79 grey levels frame to frame, with the hair's own
    motion taken out, with neither; 3.28 with this and KEEP raised). (On d3 itself: the
    astronaut's hair, measured with its lit crown, keeps enough spread made blond to be lent none.)"""
    _, aligned = pipeline.track(Frame(0, 0, clip_frame("d3.mp4", 60)))
    plan = pipeline.editor.edit(aligned, pipeline.styles.get("blond"))
    changes = []
    for rate in (1.0, RecolorParams().lent_rate):
        recolor = Recolor(dataclasses.replace(RecolorParams(), lent_rate=rate))
        renderer = HairRenderer(video=True, textures=pipeline.renderer.textures, effects={"color": recolor})
        first = renderer.render(aligned, plan).crop
        other = (renderer.memory.donor + 1) % len(renderer.textures.spread)    # another donor
        with monkeypatch.context() as patch:
            patch.setattr(renderer.textures, "pick", lambda *args, **kwargs: other)
            renderer.render(aligned, plan)
            assert renderer.memory.donor != other       # (with the mask in use, not chosen again)
            renderer.memory.color_mask = None           # a new mask: the donor is chosen again
            second = renderer.render(aligned, plan).crop
        assert renderer.memory.donor == other
        changes.append(np.abs(second.astype(np.float32) - first).mean())
    assert changes[0] > 1.0 and changes[1] < 0.5 * changes[0]


@pytest.mark.engines
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
        return _video_mask(face, own, None, False, renderer.memory, RecolorParams())[0]

    for by, stays in ((0.7, True), (3.0 * RecolorParams().fast_head * size, False)):
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


@pytest.mark.engines
def test_in_video_a_recolourings_reach_past_the_crop_is_carried_with_its_mask(pipeline):
    """Long hair the crop cuts: the recolouring's reach past the crop is made with the mask (on
    the worker's frame) and, on the frames that carry the mask, lies where the hair lay on the
    frame, as the mask does."""
    frame = pipeline.track(Frame(0, 0, clip_frame("d3.mp4", 0)))[1]
    size, scale = frame.crop.shape[0], frame.scale
    by = 0.8 * RecolorParams().carried_still[0] * size         # the crop slides, the head is still

    def shifted(image: np.ndarray, factor: int) -> np.ndarray:
        matrix = np.float64([[1, 0, -by * factor], [0, 1, 0]])
        return cv2.warpAffine(image, matrix, image.shape[1::-1], flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)

    slid = dataclasses.replace(frame, to_crop=frame.to_crop - np.float64([[0, 0, by], [0, 0, 0]]),
                               crop=shifted(frame.crop, 1), detail=shifted(frame.detail, scale),
                               hair=shifted(frame.hair, 1), person=shifted(frame.person, 1),
                               outer=shifted(outer_square(frame), 1))
    own = own_color(to_lab(frame.crop), frame.hair)
    video = HairRenderer(video=True)
    made = _video_mask(frame, own, None, False, video.memory, RecolorParams())[3]
    assert made is not None and made.mask.max() > 0.5           # the hair goes on past the crop
    carried = _video_mask(slid, own, None, False, video.memory, RecolorParams())[3]
    where_it_lay = shifted(made.mask, 1)
    assert np.abs(carried.mask - where_it_lay).mean() < 0.25 * np.abs(made.mask - where_it_lay).mean()


@pytest.mark.engines
def test_a_still_heads_mask_serves_longer_before_the_next_is_made(pipeline, faces):
    """A head at rest keeps its hair where the mask found it: the next mask is asked for only
    once the one in use has served ``mask_rest`` frames; a crop that has moved ``mask_still``
    since asks for it after ``mask_start``."""
    _, _, astronaut = faces[1]
    plan = pipeline.editor.edit(astronaut, pipeline.styles.get("blond"), 1.0)
    params = RecolorParams()
    assert params.mask_start < params.mask_rest

    def asked_after(crop: AlignedFace) -> int:
        """Frames on ``crop``, after one on the astronaut's that makes its mask, until the next is asked for."""
        video = HairRenderer(video=True)
        video.render(astronaut, plan)
        for frames in range(1, 4 * params.mask_rest):
            video.render(crop, plan)
            if video.memory.next_mask is not None:
                video.composed(crop)
                video.memory.next_mask.result(timeout=20.0)
                return frames
        return 0

    assert asked_after(astronaut) == params.mask_rest
    # (slid less than a head moving fast, whose mask is made on the frame)
    by = 1.5 * params.mask_still * astronaut.crop.shape[0]
    assert by < params.fast_head * astronaut.crop.shape[0]
    assert asked_after(dataclasses.replace(astronaut, to_crop=astronaut.to_crop - np.float64([[0, 0, by], [0, 0, 0]]))) \
        == params.mask_start


@pytest.mark.engines
def test_the_next_mask_waits_until_the_frame_that_asked_for_it_is_composed(pipeline, faces):
    """The worker starts on the next mask only once the frame that asked for it is composed
    (``HairRenderer.composed``): started beside the frame's own drawing, it slowed that frame."""
    import time

    _, _, astronaut = faces[1]
    plan = pipeline.editor.edit(astronaut, pipeline.styles.get("blond"), 1.0)
    params = dataclasses.replace(MOVING, mask_hold=30.0)
    video = HairRenderer(video=True, effects={"color": Recolor(params)})
    for _ in range(params.mask_start + 1):
        video.render(astronaut, plan)                   # made on the first frame; the last asks for the next
    asked = video.memory.next_mask
    assert asked is not None
    time.sleep(0.5)
    assert not asked.done()                             # held while the frame is not composed
    video.composed(faces[0][2])                         # (another frame's composition does not start it)
    time.sleep(0.2)
    assert not asked.done()
    video.composed(astronaut)
    assert asked.result(timeout=20.0)[1] is not None    # then it is made


def test_a_frame_does_not_wait_for_a_late_mask_while_its_own_may_serve_one_more_frame(pipeline, faces):
    """A busy machine starves the mask's worker thread: the frame goes on with the mask in use
    (one frame older) instead of waiting for it, and waits only once that mask has served
    ``mask_frames`` frames."""
    import threading

    from mirror.render import memory as memory_module

    _, _, astronaut = faces[1]
    blond = pipeline.styles.get("blond")
    plan = pipeline.editor.edit(astronaut, blond, 1.0)
    gate = threading.Event()
    worker = memory_module.mask_worker()
    video = HairRenderer(video=True, effects={"color": Recolor(MOVING)})
    video.render(astronaut, plan)                       # made on the frame
    for _ in range(Recolor().params.mask_start):
        video.render(astronaut, plan)                   # carried; at last the next one asked for
    worker.submit(gate.wait)                            # ... the worker is then busy elsewhere
    made = video.memory.next_mask
    release = threading.Timer(3.0, gate.set)            # (a frame that waited would wait this long)
    release.start()
    try:
        video.memory.next_mask = pending = worker.submit(made.result)
        video.render(astronaut, plan)                   # does not wait: the mask in use serves again
        assert not pending.done() and video.memory.next_mask is pending
        assert video.memory.mask_uses == Recolor().params.mask_frames
    finally:
        gate.set()
        release.cancel()
    video.render(astronaut, plan)                       # that mask has served enough: this one waits
    assert video.memory.next_mask is None and video.memory.mask_uses == 1


@pytest.mark.engines
def test_in_video_the_hairs_colour_is_measured_every_other_frame_and_tabled_as_it_drifts(pipeline, faces,
                                                                                          monkeypatch):
    """The hair's colour follows slowly over a video's frames: it is measured on every
    ``measure_every``-th frame only, and its colour table made again only once the colours have
    drifted ``table_drift`` from those it was made for (on one still frame, they do not). A photo
    measures its own and makes its table every time."""
    import mirror.render.recolor as recolor

    _, _, aligned = faces[1]
    plan = pipeline.editor.edit(aligned, pipeline.styles.get("blond"), 1.0)
    calls = {"measured": 0, "tabled": 0}
    measure, table = recolor.pixels_color, recolor.color_table

    def counted(name, fn):
        def call(*args, **kwargs):
            calls[name] += 1
            return fn(*args, **kwargs)
        return call

    monkeypatch.setattr(recolor, "pixels_color", counted("measured", measure))
    monkeypatch.setattr(recolor, "color_table", counted("tabled", table))
    every = recolor.ColorParams().measure_every
    assert every > 1
    video = HairRenderer(video=True)
    for _ in range(3 * every):
        video.render(aligned, plan)
    assert calls == {"measured": 3, "tabled": 1}
    calls.update(measured=0, tabled=0)
    drift = dataclasses.replace(RecolorParams(), color=dataclasses.replace(ColorParams(), table_drift=0.0))
    video = HairRenderer(video=True, effects={"color": Recolor(drift)})
    for _ in range(3 * every):
        video.render(aligned, plan)
    assert calls == {"measured": 3, "tabled": 3}
    calls.update(measured=0, tabled=0)
    still = HairRenderer()
    for _ in range(2):
        still.render(aligned, plan)
    assert calls == {"measured": 2, "tabled": 2}
