"""What lies behind the head: a background plate learnt from video frames, and hole filling.

A kiosk's camera does not move, so every pixel of the wall that the person's silhouette has left
free once is known from then on. Where hair is removed, the renderer shows the plate; where the
plate has never seen the wall, it fills the hole from the wall around it (``fill_holes``).

    plate = BackgroundPlate()
    plate.update(frame_bgr, to_crop, person)      # person: crop-space probability
    image, known = plate.crop(to_crop, size)      # the plate in a crop, and where it is known
"""
from __future__ import annotations

import threading

import cv2
import numpy as np

from mirror.face.align import invert
from mirror.render.imaging import per_channel

# The plate is kept at this fraction of the frame's resolution: a wall has no fine detail, and a
# quarter of the pixels costs a quarter of the time.
PLATE_SCALE = 0.5
# A pixel counts as wall where the person probability, grown by GROW of the crop, is below this.
WALL = 0.2
GROW = 0.03
# How fast the plate follows the wall (light changes): the weight of each frame it learns from,
# one in LEARN_EVERY (a wall changes slowly; learning costs a few ms).
RATE = 0.3
LEARN_EVERY = 3
KNOWN_MIN = 1e-3  # a crop of the plate is divided by how much of it is known, if above this
# A filled hole carries the fine texture of the wall beside it (a smooth fill glows against a
# structured wall): finer than TEXTURE_SIGMA (share of the image), as strong as its usual grain
# and at most TEXTURE_LIMIT,
# mirrored along the row from either side, folded every TEXTURE_FOLD (share of the image) and
# gone over the second fold from the wall.
TEXTURE_SIGMA = 0.02
TEXTURE_LIMIT = 0.08
TEXTURE_FOLD = 0.1


def fill_holes(image: np.ndarray, known: np.ndarray, band: int = 2, factor: int = 4,
               sharp: tuple[np.ndarray, np.ndarray] | None = None) -> np.ndarray:
    """Fills where ``known`` is 0 with the wall beside it: along each row, between the wall seen
    to the left and to the right (weighted by nearness), from one side where only one is seen;
    rows with no wall at all take a smooth fill from above and below (``smooth_fill``). A wall runs
    on behind a head, so this keeps its light from one side to the other without averaging in
    whatever lies farther away (a body, a dark corner). On that light lies the wall's own fine
    texture, mirrored in from either side along the row (``_row_texture``).

    Args:
        image: (H, W, 3) float32.
        known: (H, W) float32 in [0, 1], how much each pixel is to be trusted (> 0.5: wall).
        band: the wall beside a hole is averaged over this many pixels either way along its row
            (at full resolution; a shrunk pixel already averages ``factor``).
        factor: the fill is made at 1/factor of the resolution (a wall has no fine detail).
        sharp: (picture, where) the (H, W, 3) picture with the wall's full detail, and the
            (H, W) float32 in [0, 1] where it shows the wall; everywhere else, known or not, takes
            its texture (a background plate, kept at a lower resolution, is known but smooth).
            Default: ``image`` where it is known.

    Returns:
        (H, W, 3) float32: ``image`` where known is 1, filled where it is 0, blended between.
    """
    trust = per_channel(known.astype(np.float32))
    picture, where = (image, known) if sharp is None else sharp
    small, small_known = _shrink(image, known, factor)
    filled = _fill_rows(small, small_known, band // factor)
    filled = cv2.resize(filled, image.shape[1::-1], interpolation=cv2.INTER_LINEAR)
    texture = _row_texture(picture, where > 0.95) * (1.0 - per_channel(where))
    return np.clip(image * trust + filled * (1.0 - trust) + texture, 0.0, 1.0)


def _row_texture(image: np.ndarray, sure: np.ndarray) -> np.ndarray:
    """(H, W, 3) float32: the fine texture (detail finer than TEXTURE_SIGMA, clipped to its usual
    strength and TEXTURE_LIMIT) of the ``sure`` wall, continued into each row's holes: a pixel takes the wall
    as far beyond the hole's edge as it lies inside it (folded every TEXTURE_FOLD), from the left
    and the right edge, weighted by nearness, fading out over the second fold; zero where a row has no
    wall."""
    height, width = sure.shape
    # A pixel off the wall's edge (the hair's fringe) is not wall texture.
    sure = cv2.erode(sure.astype(np.uint8), np.ones((1, 3), np.uint8)) > 0
    detail = np.zeros_like(image)
    if not sure.any() or sure.all():
        return detail
    cols = np.arange(width, dtype=np.float32)
    left = np.maximum.accumulate(np.where(sure, cols, -1.0), axis=1)
    right = np.minimum.accumulate(np.where(sure, cols, float(width))[:, ::-1], axis=1)[:, ::-1]
    fold_every = max(1.0, TEXTURE_FOLD * width)
    rows = np.broadcast_to(np.arange(height, dtype=np.float32)[:, None], sure.shape)

    def mirrored(edge: np.ndarray, way: float) -> np.ndarray:
        gap = np.abs(cols - edge)
        back = fold_every - np.abs(np.mod(gap, 2 * fold_every) - fold_every)
        source = np.clip(edge + way * back, 0, width - 1)
        on_wall = cv2.remap(sure.astype(np.uint8), source, rows, cv2.INTER_NEAREST) > 0
        source = np.where(on_wall, source, np.clip(edge, 0, width - 1))
        return cv2.remap(image, source, rows, cv2.INTER_NEAREST)

    has_left, has_right = left >= 0, right < width
    gap_left, gap_right = cols - left, right - cols
    share = np.where(has_left & has_right, gap_right / np.maximum(gap_left + gap_right, 1.0), has_left * 1.0)
    share = per_channel(share.astype(np.float32))
    wall = mirrored(left, -1.0) * share + mirrored(right, 1.0) * (1.0 - share)
    # Box blurred twice (about a Gaussian of TEXTURE_SIGMA; far cheaper at this width).
    box = 2 * max(1, int(round(TEXTURE_SIGMA * width * 1.2))) + 1
    detail = wall - cv2.blur(cv2.blur(wall, (box, box)), (box, box))
    # ... fading out over the second fold from the wall (repeated, a mirror image shows as a pattern).
    near = np.minimum(np.where(has_left, gap_left, np.inf), np.where(has_right, gap_right, np.inf))
    detail *= per_channel(np.clip(2.0 - near / fold_every, 0.0, 1.0))
    detail[sure] = 0.0
    # As strong as the wall's usual grain (an edge mirrored in, a door's frame, stays faint).
    own = (image - cv2.blur(cv2.blur(image, (box, box)), (box, box)))[sure][::7]
    limit = min(2.5 * 1.4826 * float(np.median(np.abs(own))), TEXTURE_LIMIT)
    return np.clip(detail, -limit, limit)


def _shrink(image: np.ndarray, known: np.ndarray, factor: int) -> tuple[np.ndarray, np.ndarray]:
    """``image`` and ``known`` at 1/factor of their size, each small pixel the mean of the known
    pixels under it (unknown ones are not mixed in)."""
    if factor <= 1:
        return image, known.astype(np.float32)
    size = (max(1, image.shape[1] // factor), max(1, image.shape[0] // factor))
    weight = cv2.resize(known.astype(np.float32), size, interpolation=cv2.INTER_AREA)
    small = cv2.resize(image * per_channel(known), size, interpolation=cv2.INTER_AREA)
    return small / per_channel(np.maximum(weight, 1e-6)), weight


def _fill_rows(image: np.ndarray, known: np.ndarray, band: int) -> np.ndarray:
    """(H, W, 3) float32: ``fill_holes``'s fill, everywhere, at the image's own resolution."""
    height, width = known.shape
    sure = known > 0.5
    if not sure.any():
        return smooth_fill(image, known, factor=1)
    weight = sure.astype(np.float32)
    side = (2 * band + 1, 1)
    wall = cv2.blur(image * per_channel(weight), side) / per_channel(np.maximum(cv2.blur(weight, side), 1e-6))
    cols = np.arange(width)
    left = np.maximum.accumulate(np.where(sure, cols, -1), axis=1)
    right = np.minimum.accumulate(np.where(sure, cols, width)[:, ::-1], axis=1)[:, ::-1]
    has_left, has_right = left >= 0, right < width
    rows = np.arange(height)[:, None]
    from_left = wall[rows, np.clip(left, 0, width - 1)]
    from_right = wall[rows, np.clip(right, 0, width - 1)]
    gap_left, gap_right = (cols - left).astype(np.float32), (right - cols).astype(np.float32)
    share = np.where(has_left & has_right, gap_right / np.maximum(gap_left + gap_right, 1.0), has_left * 1.0)
    share = per_channel(share)
    across = from_left * share + from_right * (1.0 - share)
    neither = ~(has_left | has_right)
    if neither.any():
        across[neither] = smooth_fill(image, known, factor=1)[neither]
    # Rows are filled apart: smooth down the columns so they do not streak.
    return cv2.GaussianBlur(across, (1, 0), sigmaX=0.1, sigmaY=max(1.0, float(band)))


def smooth_fill(image: np.ndarray, known: np.ndarray, levels: int = 6, factor: int = 4) -> np.ndarray:
    """(H, W, 3) float32: a smooth fill of ``image`` from its ``known`` pixels everywhere
    (pull-push pyramid, made at 1/factor of the resolution)."""
    if factor > 1:
        small, weight = _shrink(image, known, factor)
        filled = smooth_fill(small, weight, levels, factor=1)
        return cv2.resize(filled, image.shape[1::-1], interpolation=cv2.INTER_LINEAR)
    weight = known.astype(np.float32)
    values = [image * per_channel(weight)]
    weights = [weight]
    for _ in range(levels):
        if min(values[-1].shape[:2]) < 4:
            break
        values.append(cv2.pyrDown(values[-1]))
        weights.append(cv2.pyrDown(weights[-1]))
    filled = values[-1] / per_channel(np.maximum(weights[-1], 1e-6))
    for value, w in zip(reversed(values[:-1]), reversed(weights[:-1])):
        up = cv2.pyrUp(filled, dstsize=(value.shape[1], value.shape[0]))
        own = value / per_channel(np.maximum(w, 1e-6))
        trust = per_channel(np.clip(w * 4.0, 0.0, 1.0))
        filled = own * trust + up * (1.0 - trust)
    return filled


class BackgroundPlate:
    """The wall behind a person in a fixed camera's video, in frame coordinates.

    Only the part of the frame under the face's crop is ever updated or read, so its cost follows
    the face, not the frame. One thread may learn while another reads (the pipelined loop learns
    on its edit thread while the render thread draws).
    """

    def __init__(self):
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        """Forgets the wall (a new stream, or the camera moved)."""
        with self._lock:
            self._image: np.ndarray | None = None
            self._known: np.ndarray | None = None
            self._frames = 0

    def _matrix(self, to_crop: np.ndarray) -> np.ndarray:
        """Plate pixels -> crop pixels."""
        matrix = np.asarray(to_crop, np.float64).copy()
        matrix[:, :2] /= PLATE_SCALE
        return matrix

    def update(self, frame: np.ndarray, to_crop: np.ndarray, person: np.ndarray) -> None:
        """Learns the wall from one frame (from the first of every LEARN_EVERY; the others are skipped).

        Args:
            frame: (H, W, 3) uint8 BGR.
            to_crop: (2, 3) frame -> crop matrix of the person's crop.
            person: (S, S) float32 person probability in that crop.
        """
        self._frames += 1
        if (self._frames - 1) % LEARN_EVERY:
            return
        height, width = frame.shape[:2]
        shape = (max(1, int(round(height * PLATE_SCALE))), max(1, int(round(width * PLATE_SCALE))))
        size = person.shape[0]
        matrix = self._matrix(to_crop)
        corners = cv2.transform(np.float32([[[0, 0], [size, 0], [0, size], [size, size]]]), invert(matrix))[0]
        x0, y0 = np.maximum(np.floor(corners.min(0)).astype(int), 0)
        x1, y1 = np.minimum(np.ceil(corners.max(0)).astype(int) + 1, (shape[1], shape[0]))
        if x1 <= x0 or y1 <= y0:
            return
        grow = max(3, int(size * GROW) * 2 + 1)
        body = cv2.dilate(person.astype(np.float32), cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (grow, grow)))
        to_roi = invert(matrix)
        to_roi[:, 2] -= (x0, y0)
        # Outside the crop the person is unknown: count it as person (never learnt from).
        body = cv2.warpAffine(body, to_roi, (x1 - x0, y1 - y0), flags=cv2.INTER_LINEAR,
                              borderMode=cv2.BORDER_CONSTANT, borderValue=1.0)
        wall = (body < WALL).astype(np.float32)
        small = cv2.resize(frame[int(y0 / PLATE_SCALE):int(np.ceil(y1 / PLATE_SCALE)),
                                 int(x0 / PLATE_SCALE):int(np.ceil(x1 / PLATE_SCALE))],
                           (x1 - x0, y1 - y0), interpolation=cv2.INTER_AREA).astype(np.float32) / 255.0
        with self._lock:
            if self._image is None or self._image.shape[:2] != shape:
                self._image = np.zeros(shape + (3,), np.float32)
                self._known = np.zeros(shape, np.float32)
            known = self._known[y0:y1, x0:x1]
            rate = np.where(known > 0, RATE, 1.0).astype(np.float32) * wall
            self._image[y0:y1, x0:x1] += per_channel(rate) * (small - self._image[y0:y1, x0:x1])
            self._known[y0:y1, x0:x1] = np.maximum(known, wall)

    def crop(self, to_crop: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
        """The plate seen through a crop: ((S, S, 3) float32 BGR in [0, 1], (S, S) float32 known)."""
        matrix = self._matrix(to_crop)
        with self._lock:
            if self._image is None:
                return np.zeros((size, size, 3), np.float32), np.zeros((size, size), np.float32)
            image = cv2.warpAffine(self._image, matrix, (size, size), flags=cv2.INTER_LINEAR,
                                   borderMode=cv2.BORDER_CONSTANT, borderValue=0.0)
            known = cv2.warpAffine(self._known, matrix, (size, size), flags=cv2.INTER_LINEAR,
                                   borderMode=cv2.BORDER_CONSTANT, borderValue=0.0)
        # The plate is black where it has never seen the wall: interpolated next to such a pixel,
        # it mixed black in (drawn where hair was removed, a dark line along its old outline).
        # Divided by how much is known there, it is the wall's colour alone.
        known3 = per_channel(known)
        np.divide(image, known3, out=image, where=known3 > KNOWN_MIN)
        return np.minimum(image, 1.0, out=image), known
