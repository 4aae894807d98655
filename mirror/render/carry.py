"""An edit carried over to a later frame: what the render thread's last finished edit shows on
the frames it has not drawn yet (``mirror.run.lagged``).

    edited = carry(edited, then, now)    # an edit of ``then``'s crop on ``now``'s

The crop is aligned to the face, so the edit follows the head; what it drew anew stays as drawn,
what it changed (a recolouring) is added onto the new crop, and hair taken away is taken from the
new frame's hair too (``mirror.render.remove.retake``).
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import cv2
import numpy as np

from mirror.face.align import invert
from mirror.face.regions import edge_strips
from mirror.render.imaging import nonzero_box
from mirror.render.lend import relend
from mirror.render.remove import retake
from mirror.types import AlignedFace, Beyond, EditedFace


@dataclass(frozen=True)
class CarryParams:
    """When a carried edit redraws its lent detail."""

    # A carried edit redraws its lent grid where that shows the crop's change this stale (the
    # grid's weight times the change, summed over B, G and R).
    lent_stale: float = 6.0


def carry(edited: EditedFace, then: AlignedFace, now: AlignedFace, params: CarryParams = CarryParams()) -> EditedFace:
    """An edit of an earlier frame's crop (``then``) carried over to ``now``'s crop: what it
    drew anew (``replace``) as drawn, what it changed (a recolouring) as that change added onto
    the new crop; the rest (new hair's copy, the detail lent, the wall drawn past the crop where
    hair was taken away) goes with it, as it does with the head (without the last, the live
    mirror showed the hair above a bald head on every frame but the first). Hair taken away
    is taken from ``now``'s hair too (``retake``): it moves in the crop as a head turns."""
    # crop + (1 - replace) * (now - then), in OpenCV (NumPy's float arithmetic cost 3 ms a frame).
    keep = cv2.merge([cv2.subtract(1.0, edited.replace)] * 3)
    change = cv2.multiply(cv2.subtract(now.detail, then.detail, dtype=cv2.CV_32F), keep)
    beyond = edited.beyond
    if beyond is not None and beyond.drawn is not None:
        beyond = _held_above(beyond, then, now)
    edited = dataclasses.replace(edited, crop=cv2.add(edited.crop, change, dtype=cv2.CV_8U), beyond=beyond)
    drawn = edited.replace
    if edited.removal is not None and now.hair is not None and now.person is not None:
        edited = retake(edited, now.hair, now.person)
    if edited.lent is not None:
        # (the compositor draws the lent grid, not the crop: drawn anew, and not on it, the
        # crop showed only through the change it added; redrawn only round what changed, piece
        # by piece: the grid is large)
        boxes = []
        if edited.replace is not drawn:
            stats = cv2.connectedComponentsWithStats(cv2.compare(edited.replace, drawn, cv2.CMP_NE))[2]
            boxes = [((y, y + h), (x, x + w)) for x, y, w, h, _ in stats[1:]]
        # ... and where the grid half draws the crop at its fading edge, over a frame that has
        # changed there since (a nodding head: the wall the edit drew at the crop's top edge
        # showed through as a lighter band with square ends over the hair of the frame carried
        # to); one piece a side
        for rows, cols in edge_strips(drawn.shape[0]):
            box = nonzero_box(np.abs(change[rows, cols]).sum(axis=2) * drawn[rows, cols] > params.lent_stale)
            if box is not None:
                (y0, y1), (x0, x1) = box
                boxes.append(((rows.start + y0, rows.start + y1), (cols.start + x0, cols.start + x1)))
        if boxes:
            edited = dataclasses.replace(edited, lent=relend(edited.lent, edited, boxes))
    return edited


def _held_above(beyond: Beyond, then: AlignedFace, now: AlignedFace) -> Beyond:
    """The wall drawn where hair was taken away above the crop of ``now``, by an edit made on
    ``then`` (in its crop, or past it: ``beyond.drawn``), as carried with the head and also as it
    lay in the frame. The crop is aligned to the face, and a face that nods moves in it while the
    top of the hair stays put (the crop's top 15 frame pixels lower five frames on, the hair's
    where it was): carried with the face only, the top of the old hair showed as an arc
    over the bald head."""
    size, half = beyond.mask.shape[0], beyond.mask.shape[0] // 4
    move = np.vstack([now.to_outer, [0, 0, 1]]) @ np.vstack([invert(then.to_outer), [0, 0, 1]])
    stayed = cv2.warpAffine(beyond.drawn, move[:2], (size, size), flags=cv2.INTER_LINEAR)
    # (above the crop only, ``Compositor``'s top band: carried so beside it too, the wall cost
    # the composite 1.6 ms a frame for little; below it lie the neck and shoulders)
    stayed[half + beyond.inset:] = 0
    weight = cv2.extractChannel(stayed, 3).astype(np.float32) * (1.0 / 255)
    ahead = (weight > beyond.mask).view(np.uint8)
    if not ahead.any():
        return beyond
    fill = beyond.fill.copy()
    cv2.copyTo(cv2.cvtColor(stayed, cv2.COLOR_BGRA2BGR), ahead, fill)
    return Beyond(np.maximum(beyond.mask, weight), fill=fill, inset=beyond.inset)
