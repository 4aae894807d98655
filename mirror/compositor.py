"""Puts the edited hair back onto the full-resolution frame with the exact inverse alignment."""
from __future__ import annotations

import numpy as np

from mirror.align import frame_roi, warp_to_frame
from mirror.types import AlignedFace, EditedFace


class Compositor:
    """Blends an ``EditedFace`` into its frame.

    Where the editor changed little, the change is added onto the frame (the person's full
    resolution detail stays); where it replaced content (``replace``), the edited crop is used.
    """

    def compose(self, frame: np.ndarray, aligned: AlignedFace, edited: EditedFace) -> np.ndarray:
        """Returns a new (H, W, 3) uint8 BGR frame with the edit; ``frame`` is not modified."""
        out = frame.copy()
        if not edited.hair_mask.any():
            return out
        size = edited.crop.shape[0]
        roi = frame_roi(aligned.to_crop, size, frame.shape)
        x0, y0, x1, y1 = roi
        if x1 <= x0 or y1 <= y0:
            return out
        crop = edited.crop.astype(np.float32)
        delta = crop - aligned.crop.astype(np.float32)
        delta_w, _ = warp_to_frame(delta, aligned.to_crop, frame.shape, roi)
        target = np.dstack([crop, edited.replace * 255.0])
        target_w, _ = warp_to_frame(target, aligned.to_crop, frame.shape, roi)
        replace = target_w[..., 3:] / 255.0
        region = out[y0:y1, x0:x1].astype(np.float32)
        blended = (region + delta_w) * (1.0 - replace) + target_w[..., :3] * replace
        out[y0:y1, x0:x1] = np.clip(blended + 0.5, 0, 255).astype(np.uint8)
        return out
