"""Bare scalp: the skin drawn where hair goes on the head (bald, receding), shaded as
a dome, in the person's own skin tone, with the skin's grain.

    inside = scalp_outline(landmarks, person, size)      # (R, R) where a bare scalp shows
    scalp = draw_scalp(detail, landmarks, hair, plan, inside, loss, forehead, memory)

The dome is lit as a head is (a sheen on its front, darker at its edge and towards a top that
turns away from the camera), lifted to the bare forehead's lightness where the whole crown is
bare, and blended into the skin it meets without a colour step.
"""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from mirror.face.regions import BROWS, CHIN, MOUTH, NOSE_TIP, brow_line, edge_margin, face_oval, neck_span, skull, skull_axes
from mirror.render.imaging import column_span, falloff, kernel_width, noise_pattern, per_channel, wide_blur
from mirror.render.lab import from_lab, to_lab
from mirror.render.memory import Memory, follow
from mirror.render.plate import smooth_fill
from mirror.types import EditPlan


@dataclass(frozen=True)
class ScalpParams:
    """The bare scalp's outline, tone and shading (lengths as shares of the crop, L* units)."""

    detail_sigma: float = 0.012      # the skin's grain: its detail finer than this (Gaussian sigma) ...
    pores: float = 0.006             # ... up to this much (spread, of the intensity range)
    hair_depth: float = 0.04         # the scalp lies this far inside the person's outline
    skull_growth: float = 1.15       # ... and at most this much bigger than the skull from the landmarks
    # ... its edge against the wall as soft as this (a head's outline is sharp: at 0.008 a blurred
    # cap)
    skull_edge: float = 0.002
    # the bare forehead whose grain it takes lies this far from the brows and the hair,
    forehead_inset: float = 0.01
    forehead_min: float = 0.03       # ... if that is at least this tall and wide
    rounding: float = 0.04           # the outline smoothed over this
    dome: float = 18.0               # a bare scalp is this much darker at the skull's edge than on top,
    dome_width: float = 0.12         # ... darkening over this either side of its edge
    # ... and under the jaw, a drawn neck this much darker than the cheeks (median L*: in the jaw's
    # shadow)
    neck_shade: float = 8.0
    neck_shade_edge: float = 0.01    # ... from the jaw's line down over this (Gaussian sigma)
    # ... measured (there and on real faces) this far under the chin
    neck_band: tuple[float, float] = (0.01, 0.07)
    # ... lightened by at most this, to the forehead's lightness, where the crown is bare:
    scalp_lift: float = 15.0
    # ... (where a fringe hides the forehead, to this much below the one the cheeks foretell)
    hidden_gap: float = 7.8
    # ... this much of it (not / wholly; ``bare_crown``: bald 0.89-1, receding 0-0.56)
    bald_crown: tuple[float, float] = (0.5, 0.8)
    sheen: float = 10.0              # ... and this much lighter where light from above catches its front,
    sheen_at: float = 0.55           # ... centred this share of the way from its top down to the brows
    # ... and up to this much darker towards its top, which turns away from a camera in front
    # (``_turned_away``, as a sphere's surface). Real bald heads (the test split's 37), up the
    # middle from the brows, against the forehead: +2.8 a third of the way up, -4.0 at 0.7, -11.1
    # near the top; across the dome halfway up, 0.9 of the way out either side, -22.7 and -17.4.
    # Drawn so: +1.3, +0.8, -5.4 and -6.5 up the middle, -19.0 and -18.7 across (a flat cap with a
    # pale spot high on it without the turn; a stronger turn or a lower sheen made the front darker
    # than real heads').
    crown_shade: float = 16.0
    shade_gain: float = 0.3          # how much of the edited decode's lightness relief shades the scalp
    # ... at most this much darker / lighter (a dark blot is hair left in the decode)
    shade_limit: tuple[float, float] = (-2.0, 10.0)
    shade_blur: float = 3.0          # ... its relief, not its detail: blurred by this (decode pixels)
    skin_ring: float = 0.01          # the scalp takes the colour of the skin this close to its edge
    skin_fall: float = 0.16          # ... and less so the farther from there (e-fold distance)
    # ... (below the brows' arc, only where this close to the skin's colour, CIELAB,
    skin_near: float = 12.0
    brow_fall: float = 0.04          # ... and less so over this e-fold distance)
    skin_min: float = 0.002          # share of the crop a skin sample needs before it is trusted
    # ... a forehead's this much (less is the skin between a fringe's strands, in their shadow: a
    # scalp drawn in its tone was a grey patch)
    skin_shaded: float = 0.01
    # ... else the cheeks', moved to where the forehead would be: L* to this slope and offset, a*,
    # b* by cheeks_to_forehead_ab (the bare forehead's median against the bare cheeks' on the 1,197
    # of 3,000 training faces that show both: 14 L* lighter in the median, 17.6 on cheeks under
    # L* 55 and 9.0 over 72; a*, b* -2, 0): drawn in the cheeks' own tone, a forehead bared of its
    # fringe and the scalp above it were a darker, tan patch on a pale face.
    cheeks_to_forehead: tuple[float, float] = (0.643, 35.7)
    cheeks_to_forehead_ab: tuple[float, float] = (-2.0, 0.0)
    dome_rate: float = 0.4           # video: a bare scalp's colour follows each render at this rate


def forehead_box(landmarks: np.ndarray, hair: np.ndarray, params: ScalpParams = ScalpParams()) -> tuple[int, int, int, int] | None:
    """(x0, y0, x1, y1), end-exclusive: a box of bare forehead above the brows' middle (between
    their quartiles, forehead_inset clear of the brows and of the hair), whose fine grain a bald
    scalp takes (``SkinGrain``); None where too little forehead is bare (a fringe covers it).
    ``landmarks`` in pixels of ``hair`` (R, R)."""
    size = hair.shape[0]
    left, right = np.percentile(landmarks[BROWS, 0], (25, 75))
    x0, x1 = int(np.ceil(left)), int(np.floor(right)) + 1
    bottom = int(np.floor(brow_line(landmarks, size)[x0:x1].min() - params.forehead_inset * size))
    if x1 - x0 < params.forehead_min * size or bottom <= 0:
        return None
    bare = (face_oval(landmarks, size) & (hair < 0.2))[:bottom, x0:x1]
    # Rows from the brows up to the first that is not bare skin in every column.
    covered = np.flatnonzero(~bare.all(axis=1))
    top = int(covered[-1]) + 1 + int(round(params.forehead_inset * size)) if len(covered) else 0
    return (x0, top, x1, bottom) if bottom - top >= params.forehead_min * size else None


def skin_sample(lab: np.ndarray, landmarks: np.ndarray, hair: np.ndarray, params: ScalpParams = ScalpParams()) -> np.ndarray:
    """(H, W) bool: the person's bare skin to draw scalp from: the forehead under the hairline,
    or where bangs cover all but skin_shaded of it, the cheeks and nose between the nose tip and
    the mouth."""
    return _skin_sample(lab, landmarks, hair, params)[0]


def _skin_sample(lab: np.ndarray, landmarks: np.ndarray, hair: np.ndarray, params: ScalpParams = ScalpParams()) -> tuple[np.ndarray, bool]:
    """``skin_sample``, and whether it is the forehead (not the cheeks)."""
    size = lab.shape[0]
    forehead = face_oval(landmarks, size) & (hair < 0.2) & above_brows(landmarks, size, params)
    if forehead.sum() >= params.skin_shaded * size * size:
        return forehead, True
    return bare_cheeks(landmarks, hair), False


def forehead_tone(lab: np.ndarray, landmarks: np.ndarray, hair: np.ndarray, params: ScalpParams = ScalpParams()
                  ) -> tuple[np.ndarray, np.ndarray]:
    """((3,) float32 CIELAB, (H, W) bool ``skin_sample``): the bare forehead's median colour in
    ``lab`` (H, W, 3), or where a fringe hides it, the cheeks' moved by cheeks_to_forehead (on
    faces that show both, the forehead is lighter than the skin between nose and mouth)."""
    skin, forehead = _skin_sample(lab, landmarks, hair, params)
    if not skin.any():
        skin, forehead = face_oval(landmarks, lab.shape[0]), True
    tone = np.median(lab[skin], axis=0).astype(np.float32)
    if not forehead:
        tone[0] = params.cheeks_to_forehead[0] * tone[0] + params.cheeks_to_forehead[1]
        tone[1:] += np.float32(params.cheeks_to_forehead_ab)
    return tone, skin


def bare_cheeks(landmarks: np.ndarray, hair: np.ndarray) -> np.ndarray:
    """(S, S) bool: the face oval between the nose tip and the mouth where ``hair`` (S, S) is
    under 0.2: the cheeks and nose."""
    size = hair.shape[0]
    rows = np.arange(size, dtype=np.float32)[:, None]
    return (face_oval(landmarks, size) & (hair < 0.2) & (rows > landmarks[NOSE_TIP, 1])
            & (rows < landmarks[MOUTH, 1]))


def above_brows(landmarks: np.ndarray, size: int, params: ScalpParams = ScalpParams()) -> np.ndarray:
    """(S, S) bool: the rows more than forehead_inset of the crop above the brows' arc."""
    return np.arange(size, dtype=np.float32)[:, None] < brow_line(landmarks, size)[None, :] - params.forehead_inset * size


def _scalp_top(inside: np.ndarray) -> int | None:
    """The first row of the scalp ``inside`` (R, R), or None where there is none."""
    rows = np.flatnonzero((inside > 0.5).any(axis=1))
    return int(rows[0]) if len(rows) else None


def grown_skull(landmarks: np.ndarray, size: int, params: ScalpParams = ScalpParams()) -> np.ndarray:
    """(R, R) float32: the landmarks' skull skull_growth times as big, its edge as sharp as a
    head's (skull_edge), rounded off below a crop's fading top edge: the most a bare scalp fills."""
    return skull(landmarks, size, edge=params.skull_edge, scale=params.skull_growth, top=edge_margin(size))


def on_skull(reach: np.ndarray, landmarks: np.ndarray, params: ScalpParams = ScalpParams()) -> bool:
    """Whether a style whose ``reach`` (S, S) is where it takes hair takes it on the skull alone
    (within skull_growth of the landmarks' skull): a hairline that recedes, not hair that stands out
    from the head (bald)."""
    return float((reach * (1.0 - skull(landmarks, reach.shape[0], scale=params.skull_growth))).max()) < 0.5


def bare_crown(inside: np.ndarray, loss: np.ndarray) -> float:
    """How much the hair taken away, ``loss`` (R, R), bares the crown of the scalp ``inside``
    (R, R): 1 for a bald head, 0 for a receding hairline."""
    top = _scalp_top(inside)
    if top is None:
        return 0.0
    crown = (inside > 0.5) & (np.arange(inside.shape[0])[:, None] < top + 0.15 * inside.shape[0])
    return float(np.clip(2.0 * loss[crown].mean() - 1.0, 0.0, 1.0)) if crown.any() else 0.0


def _sheen(inside: np.ndarray, landmarks: np.ndarray, params: ScalpParams = ScalpParams()) -> np.ndarray:
    """(R, R) float32 in [0, 1]: where light falling from above catches a bare scalp ``inside``
    (R, R): a soft oval on its front, between its top and the brows."""
    size = inside.shape[0]
    top = _scalp_top(inside)
    if top is None:
        return np.zeros_like(inside)
    brows = float(np.median(brow_line(landmarks, size)))
    cx = float(landmarks[:, 0].mean())
    cy = top + params.sheen_at * (brows - top)
    width = 0.5 * float((inside[int(cy)] > 0.5).sum()) if 0 <= int(cy) < size else 0.25 * size
    ys, xs = np.ogrid[0:size, 0:size]
    spot = np.exp(-0.5 * (((xs - cx) / max(0.35 * width, 1.0)) ** 2 + ((ys - cy) / max(0.22 * (brows - top), 1.0)) ** 2))
    return (spot * inside).astype(np.float32)


def _shade_neck(base: np.ndarray, lab: np.ndarray, landmarks: np.ndarray, hair: np.ndarray,
                inside: np.ndarray, params: ScalpParams = ScalpParams()) -> None:
    """Takes the neck a bare scalp's ``base`` (R, R, 3) CIELAB draws under the jaw (where
    ``inside`` (R, R) reaches below the face oval, under the mouth) to neck_shade L* below the
    median of the bare cheeks (not ``hair``) in ``lab``, the crop, in place (its relief kept).
    On CelebA's val and test faces whose neck shows (469), its skin just under the chin is a
    median 8 L* darker than the cheeks (17 than the forehead); drawn in the scalp's tone, a neck
    was as light as the cheeks or lighter: a pale stalk under a bald head."""
    size = inside.shape[0]
    below = ~face_oval(landmarks, size)
    below[:int(np.clip(landmarks[MOUTH, 1], 0, size))] = False
    under = cv2.GaussianBlur(below.astype(np.float32), (0, 0), params.neck_shade_edge * size)
    # (measured as on the real faces: just under the chin, across the neck's width)
    span = neck_span(landmarks, size)
    chin = float(landmarks[CHIN, 1])
    neck = np.zeros((size, size), bool)
    if span is not None:
        neck[int(np.clip(chin + params.neck_band[0] * size, 0, size)):int(np.clip(chin + params.neck_band[1] * size, 0, size)),
             int(np.ceil(span[0])):int(span[1]) + 1] = True
    neck &= (under > 0.5) & (inside > 0.5)
    cheeks = bare_cheeks(landmarks, hair)
    # (the medians on every other row and column, as for the dome; on a few pixels of either, or
    # none, nothing is known: a median of none drew a bared forehead dark red)
    neck, cheeks = neck[::2, ::2], cheeks[::2, ::2]
    if min(neck.sum(), cheeks.sum()) < params.skin_min * size * size / 4:
        return
    offset = float(np.median(lab[::2, ::2, 0][cheeks])) - params.neck_shade - float(np.median(base[::2, ::2, 0][neck]))
    base[..., 0] += offset * under


def _turned_away(inside: np.ndarray, landmarks: np.ndarray) -> np.ndarray:
    """(R, R) float32 in [0, 1]: how far a bare scalp ``inside`` (R, R) turns away from a camera
    in front, as a sphere's surface does: 1 - cos(up) cos(across), up the angle up a circle from
    the ear line to its top, across the angle round each row's width of it."""
    size = inside.shape[0]
    top = _scalp_top(inside)
    centre = skull_axes(landmarks)[1]
    if top is None or centre - top < 1.0:
        return np.zeros((size, size), np.float32)
    up = np.clip((centre - np.arange(size, dtype=np.float32)) / (centre - top), 0.0, 1.0)
    left, right = column_span((inside > 0.5).T)     # (each row's)
    half = np.maximum(0.5 * (right - left + 1.0), 1.0)
    across = np.clip((np.arange(size, dtype=np.float32) - 0.5 * (left + right)[:, None]) / half[:, None], -1.0, 1.0)
    return (1.0 - np.sqrt(1.0 - up * up)[:, None] * np.sqrt(1.0 - across * across)).astype(np.float32)


def scalp_outline(landmarks: np.ndarray, person: np.ndarray, size: int, grown: np.ndarray | None = None,
                  params: ScalpParams = ScalpParams()) -> np.ndarray:
    """(R, R) float32: where a bare scalp shows: the skull from the landmarks, grown out to
    the person's own outline less a layer of hair (hair_depth), as far as it reaches on both
    sides of the skull's middle, by at most skull_growth (``grown``, ``grown_skull``: made here
    if not given); a bald head fills the outline a short cut had, not a smaller egg inside it."""
    outline = cv2.resize(person, (size, size), interpolation=cv2.INTER_LINEAR) > 0.5
    depth = kernel_width(params.hair_depth, size)
    under = cv2.erode(outline.astype(np.uint8), cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (depth, depth)))
    # Convex above the ears, as a skull is: a notch between tufts of hair is filled, not drawn
    # as a dent in the head.
    centre, ears = skull_axes(landmarks)[:2]
    ears = int(ears)
    # The same either side of the skull's middle, as a skull is: what stands out on one side
    # only (a shadow on the wall the segmenter took for the person, a lopsided tuft) is not the
    # head.
    mirrored = cv2.warpAffine(under, np.float32([[-1, 0, 2.0 * centre], [0, 1, 0]]), (size, size))
    under = np.minimum(under, mirrored)
    contours, _ = cv2.findContours(np.ascontiguousarray(under[:ears]), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    if contours:
        cv2.fillPoly(under, [cv2.convexHull(max(contours, key=cv2.contourArea))], 1)
    # Rounded, as a skull is: the outline's corners and tufts smoothed away.
    under = wide_blur(under.astype(np.float32), params.rounding * size)
    under = cv2.GaussianBlur(np.clip((under - 0.5) * 8.0 + 0.5, 0.0, 1.0), (0, 0), params.skull_edge * size)
    # A head the crop cuts at its top is rounded off below its fading edge (the hair above
    # goes: removed_beyond).
    crown = edge_margin(size)
    grown = grown_skull(landmarks, size, params) if grown is None else grown
    inside = np.maximum(skull(landmarks, size, edge=params.skull_edge, top=crown), np.minimum(grown, under))
    # Below the ear line, the head's side (where long hair hung: ``shapes.hangs_long``) narrows
    # from the skull's width there to the face's by the mouth, not a step in at the ear line.
    centre, ears = skull_axes(landmarks)[:2]
    line = inside[int(np.clip(ears, 0, size - 1))] > 0.5
    if line.any():
        left, right = float(np.argmax(line)), float(size - np.argmax(line[::-1]))
        drop = max(float(landmarks[MOUTH, 1]) - ears, 1.0)
        # (only its rows: from the ear line down by ``drop``)
        rows = slice(int(np.clip(np.floor(ears) + 1, 0, size)), int(np.clip(np.ceil(ears + drop) + 1, 0, size)))
        ys = np.arange(rows.start, rows.stop, dtype=np.float32)[:, None]
        xs = np.arange(size, dtype=np.float32)[None, :]
        half = np.where(xs < centre, centre - left, right - centre)
        radius = np.sqrt(((xs - centre) / np.maximum(half, 1.0)) ** 2 + ((ys - ears) / drop) ** 2)
        side = np.clip((1.0 - radius) * drop / max(params.skull_edge * size, 1.0) + 0.5, 0.0, 1.0)
        inside[rows] = np.maximum(inside[rows], side)
    # ... and below the mouth, the neck (``neck_span``: long hair taken from beside it left a
    # stalk of a neck under a floating head).
    span = neck_span(landmarks, size)
    if span is not None:
        left, right = span
        mouth = int(np.clip(landmarks[MOUTH, 1], 0, size - 1))
        cols = np.arange(size, dtype=np.float32)
        edge = max(params.skull_edge * size, 1.0)
        neck = np.clip(np.minimum(cols - left, right - cols) / edge + 0.5, 0.0, 1.0)
        inside[mouth:] = np.maximum(inside[mouth:], neck[None, :])
    return inside


def draw_scalp(image: np.ndarray, landmarks: np.ndarray, hair: np.ndarray, plan: EditPlan, inside: np.ndarray,
               loss: np.ndarray, forehead: tuple[int, int, int, int] | None, memory: Memory | None = None,
               params: ScalpParams = ScalpParams()) -> np.ndarray:
    """(R, R, 3) float32: bare scalp on the (R, R, 3) uint8 detail crop: the person's skin
    colour, shaded as the edited decode is and darker towards the edge of ``inside`` (R, R),
    the scalp's outline, with the skin's grain, and on a bare crown as light as the bare
    ``forehead`` (``forehead_box``; where none shows, hidden_gap below the one the cheeks
    foretell); where it meets bare skin (the edge of ``loss``
    (R, R), the hair taken away) it takes that skin's colour, and the difference spreads
    smoothly over the rest (a gradient-domain blend: no colour step). ``memory``: a video's, whose
    dome's colour it follows (None: a photo)."""
    size = image.shape[0]
    lab = to_lab(image)
    detail = image.astype(np.float32) / 255.0
    tone, skin = forehead_tone(lab, landmarks, hair, params)
    decoded = to_lab(plan.edited)[..., 0]
    decoded = cv2.GaussianBlur(decoded, (0, 0), params.shade_blur)
    small_skin = cv2.resize(skin.astype(np.uint8), decoded.shape[::-1], interpolation=cv2.INTER_NEAREST) > 0
    reference = np.median(decoded[small_skin]) if small_skin.any() else float(decoded.mean())
    shade = np.clip((decoded - reference) * params.shade_gain, *params.shade_limit)
    shade = cv2.resize(shade, (size, size), interpolation=cv2.INTER_LINEAR)
    base = np.empty_like(lab)
    base[...] = tone
    # (at a fixed a*, b*: on the test split's real bald heads the shaded dome is as colourful as
    # its lit top, and a dome greyed in proportion to its shade was seen as bald less often)
    crown = bare_crown(inside, loss)
    base[..., 0] += (shade - params.dome * (1.0 - wide_blur(inside, params.dome_width * size))
                     + (crown * (params.sheen * _sheen(inside, landmarks, params) - params.crown_shade * _turned_away(inside, landmarks))
                        if crown > 0 else 0.0))
    # A bald head's scalp is lifted to its forehead's lightness, all it takes away included
    # (on CelebA's bald test faces, the median L* of each 0.0 apart in the mean; the skull
    # alone, its sides and turned top, lies lower: crown_shade), not left in the skin's median
    # tone (the shaded temples took it 3 to 12 L* darker); a receding hairline's bared temples
    # are left as they are (lifted, they were seen as receding less often). Where a fringe
    # hides the forehead, it is lifted to hidden_gap below the forehead the cheeks foretell
    # (``forehead_tone``): the real bald heads' mean gap, where a dome lifted to a forehead
    # that shows ends after its blend with the skin round it (left in the tone, such domes lay
    # 11.5 L* below it; one was a maroon cap).
    # (the medians on every other row and column: as good, and a millisecond less)
    dome = (inside[::2, ::2] > 0.5) & (loss[::2, ::2] > 0.5)
    if crown > params.bald_crown[0] and dome.any():
        if forehead is not None:
            x0, y0, x1, y1 = forehead
            light = float(np.median(lab[y0:y1:2, x0:x1:2, 0]))
        else:
            light = float(tone[0]) - params.hidden_gap
        gap = light - float(np.median(base[::2, ::2, 0][dome]))
        bald = float(np.clip((crown - params.bald_crown[0]) / (params.bald_crown[1] - params.bald_crown[0]), 0.0, 1.0))
        base[..., 0] += bald * float(np.clip(gap, 0.0, params.scalp_lift))
    _shade_neck(base, lab, landmarks, hair, inside, params)
    # The skin's grain (as strong as the bare skin's fine detail, at most pores), not its
    # wrinkles, brows or a stray curl: a fixed fine noise, not the skin's pixels moved.
    fine = detail - cv2.GaussianBlur(detail, (0, 0), params.detail_sigma * size)
    grain = min(0.5 * 1.4826 * float(np.median(np.abs(fine[skin]))), params.pores)
    scalp = from_lab(base)
    drawn = (loss > 0.5).astype(np.uint8)
    ring = kernel_width(params.skin_ring, size)
    # (bare skin: not hair, inside the skull; the face mesh's oval can stop short of a high
    # forehead; above the brows, which a fringe taken away ends on: their colour, spread up
    # over the forehead, made it a grey patch; below that, only skin of the sample's colour,
    # between and just above the brows: a forehead drawn lighter than the cheeks met the
    # skin left in a fringe's shadow there in a step)
    meets = (cv2.dilate(drawn, np.ones((ring, ring), np.uint8)) > drawn) & (inside > 0.5) & (hair < 0.2)
    low = meets & ~above_brows(landmarks, size, params)
    meets &= ~low
    low[low] = np.linalg.norm(lab[low] - np.median(lab[skin], axis=0), axis=-1) < params.skin_near
    # (each trusted only if there is enough of it)
    meets, low = (part if part.sum() >= params.skin_min * size * size else np.zeros_like(part) for part in (meets, low))
    if meets.any() or low.any():
        known = (meets | low).astype(np.float32)
        # ... fading out away from it (the skin at a hairline lies in the hair's shadow:
        # spread over the whole dome, it darkened it all), soon from the brows (their strip
        # of shadow is the fringe's, not the forehead's light: spread farther, it flattened
        # the dome's front)
        fall = np.maximum(falloff(meets, params.skin_fall * size), falloff(low, params.brow_fall * size))
        scalp = scalp + smooth_fill((detail - scalp) * per_channel(known), known, factor=2) * per_channel(fall)
    scalp = np.clip(scalp + grain * per_channel(noise_pattern(size, 0.7, 0.7)), 0.0, 1.0)
    if memory is not None:
        # In video, its overall colour is followed over the renders: the skin it is drawn from, the
        # cheeks or a forehead glimpsed between a fringe's strands, changes from one to the next,
        # and the dome's tone jumped by up to 15 L*. (The median on every other row and column.)
        dome = (loss[::2, ::2] > 0.5) & (inside[::2, ::2] > 0.5)
        if dome.any():
            level = np.median(scalp[::2, ::2][dome], axis=0)
            memory.dome = followed = follow(memory.dome, level, params.dome_rate)
            scalp = np.clip(scalp + (followed - level), 0.0, 1.0)
    return scalp
