"""What the renderer remembers between a video's frames, and how the crop moved since.

    memory = Memory()
    seen = memory.next_frame(plan.kind)       # what the last frame drew, to follow (then forgotten)
    own = follow(memory.own_color, own, rate) # a measure smoothed over the frames

The crop follows the face's landmarks, so a measure or a drawing kept from an earlier frame is
carried to this frame's crop by the crop's move since (``mirror.face.align.crop_move``).
"""
from __future__ import annotations

import concurrent.futures
import functools
import threading
from dataclasses import dataclass

import cv2
import numpy as np

from mirror.run.timing import run_in_background

@dataclass
class Seen:
    """What one frame drew that the next frame follows (forgotten after a frame without it).

    Attributes:
        bay: (R, R) float32, new hair's bay of bare skin (``grow``).
        strands: (R, R, 3) float32, new hair's colours (``grow``).
        lent_at: ((2, 3) from the donor's crop to this frame's crop, (2, 3) the frame-to-crop
            matrix it was made for): where lent strands lie (``recolor``).
        lent: (R, R) float32, the lent strands' detail (``recolor``).
    """

    bay: np.ndarray | None = None
    strands: np.ndarray | None = None
    lent_at: tuple[np.ndarray, np.ndarray] | None = None
    lent: np.ndarray | None = None


class Memory:
    """The renderer's memory of one person in one video (a photo uses it for one frame only)."""

    def __init__(self):
        self.reset()

    def reset(self) -> None:
        """Forgets the person (the face was lost)."""
        self.own_color: np.ndarray | None = None    # the hair's measured colour (2, 3), followed
        self.skin: np.ndarray | None = None         # ... and the face's skin (3,)
        self.color_age = 0                          # ... frames since they were measured
        self.table: tuple | None = None             # (its inputs, (table, shift, target)): the last colour table
        # The recolouring mask: (mask, box, mixed, mix) in use, how many frames it has served, whether
        # it was made for hair made darker, and the next one, in the making on the worker thread ...
        self.color_mask: tuple | None = None
        self.mask_uses = 0
        self.mask_asked = 0                         # ... how many it had served when the next was asked for
        self.mask_darker = False
        self.next_mask: concurrent.futures.Future | None = None
        # ... and the frame-to-crop matrices (2, 3) of the crops the two were made from.
        self.mask_from: np.ndarray | None = None
        self.next_from: np.ndarray | None = None
        # ... held on the worker until the frame that asked for it is composed: (that frame's
        # AlignedFace, the event set then; ``HairRenderer.composed``)
        self.held: tuple[object, threading.Event] | None = None
        self.last_crop: np.ndarray | None = None    # the last frame's frame-to-crop matrix (the head's speed)
        self.donor: int | None = None               # the texture bank's donor lending strands
        self.capped: bool | None = None             # whether the head was under a cap (``grow``)
        self.dome: np.ndarray | None = None         # a bare scalp's median colour, BGR (``scalp``)
        self.shown: dict[tuple[str, str], bool] = {}  # each donor photo and part: drawn last time (``transplant``)
        self.seen = Seen()                          # what this frame draws, for the next

    def next_frame(self, kind: str) -> Seen:
        """Starts a frame of an edit of ``kind``: returns what the last frame drew (``Seen``), and
        forgets it (nothing of it is carried across a frame drawn without it); a recolouring mask
        is never carried across another kind of edit."""
        if kind != "color":
            self.color_mask = self.next_mask = self.held = None
        last, self.seen = self.seen, Seen()
        return last


def follow(before: np.ndarray | None, now: np.ndarray | None, rate: float) -> np.ndarray | None:
    """What was measured or drawn on this frame, smoothed over the video's frames at ``rate``; as
    it is on the first frame, or where the crop's size changed."""
    if before is None or now is None or before.shape != now.shape:
        return now
    out = np.subtract(now, before)          # (before + rate * (now - before), in one array)
    out *= rate
    out += before
    return out


def warped(part: np.ndarray, matrix: np.ndarray, box: tuple[slice, slice]) -> np.ndarray:
    """``part``, the ``box`` of an (R, R) crop, moved by ``matrix`` (2, 3, in the crop's pixels);
    what moves in from past the box's edge takes the edge's values."""
    matrix = matrix.copy()
    matrix[:, 2] += matrix[:, 0] * box[1].start + matrix[:, 1] * box[0].start - (box[1].start, box[0].start)
    return cv2.warpAffine(part, matrix, part.shape[1::-1], flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


def held_until(composed: threading.Event, hold: float, job, *args):
    """``job(*args)`` once ``composed`` is set or ``hold`` seconds have passed (on the worker
    thread): work a frame asks for, started beside that frame's own drawing and compositing,
    slows that frame by a third (the mask's Python steps and the frame's take turns)."""
    composed.wait(hold)
    return job(*args)


@functools.cache
def mask_worker() -> concurrent.futures.ThreadPoolExecutor:
    """The thread that makes video's recolouring masks (``recolor``), off the frame's path."""
    return concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="mirror-mask", initializer=run_in_background)
