"""The hair segmenter run beside the face mesh, so a video frame does not wait for the two in turn.

The face mesh gives this frame's crop only once it is done; the segmenter needs the crop. The
crop follows the face and barely moves from one frame to the next, so the segmenter starts at
once on this frame cut where the last frame's crop lay (on its own thread: both release the
GIL), and its masks are then moved into the crop the mesh gives. A head that moved too far for
that (the masks would miss what came into the crop) is segmented again in the new crop.

    ahead = SegmentAhead(segmenter, size)
    job = ahead.start(image)                     # before the face mesh
    face = tracker.process(image)
    hair, person = ahead.finish(job, aligned, timestamp_ms)
"""
from __future__ import annotations

import concurrent.futures

import cv2
import numpy as np

from mirror.face.align import IDENTITY, crop_move, cut
from mirror.face.segment import HairSegmenter
from mirror.types import AlignedFace

# Masks made in the last frame's crop serve this frame's while its middle moved less than this
# share of the crop (a head moving faster is segmented again where it is now).
MAX_MOVE = 0.02


class SegmentAhead:
    """Starts a video's hair segmenter before the face mesh is done (see the module).

    Args:
        segmenter: the video's ``HairSegmenter``.
        size: the model's crop side.
    """

    def __init__(self, segmenter: HairSegmenter, size: int):
        self.segmenter = segmenter
        self.size = size
        self._last: np.ndarray | None = None   # the last aligned frame's frame -> crop matrix
        self._pool = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="mirror-segment")

    def start(self, image: np.ndarray) -> concurrent.futures.Future | None:
        """Segments ``image`` (H, W, 3) uint8 BGR where the last frame's crop lay, on the
        segmenter's thread, if this frame's masks are due; None otherwise."""
        if self._last is None or not self.segmenter.due(self.size):
            return None
        return self._pool.submit(self._segment, image, self._last)

    def _segment(self, image: np.ndarray, to_crop: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(the matrix it cut with, (2, S, S) the segmenter's output there)."""
        crop = cut(image, to_crop, self.size, None)[0]
        return to_crop, self.segmenter.predict_crop(crop)

    def finish(self, job: concurrent.futures.Future | None, aligned: AlignedFace, timestamp_ms: int
               ) -> tuple[np.ndarray, np.ndarray]:
        """((S, S) hair, (S, S) person) of ``aligned``: the masks ``job`` made, moved into its
        crop, or made in it now."""
        self._last = aligned.to_crop
        made = None
        if job is not None:
            made_from, masks = job.result()
            off, moved = crop_move(made_from, aligned.to_crop, self.size)
            if moved < MAX_MOVE * self.size:
                made = cv2.warpAffine(np.ascontiguousarray(masks.transpose(1, 2, 0)), IDENTITY + off,
                                      (self.size, self.size), flags=cv2.INTER_LINEAR,
                                      borderMode=cv2.BORDER_REPLICATE)
                made = np.ascontiguousarray(made.transpose(2, 0, 1))
        return self.segmenter(aligned.crop, timestamp_ms, made=made)

    def reset(self) -> None:
        """Forgets the last crop (the face was lost)."""
        self._last = None

    def close(self) -> None:
        self._pool.shutdown(wait=True)

