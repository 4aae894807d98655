"""Helpers the renderer's tests share (the ``pipeline`` and ``faces`` fixtures are in conftest)."""
from __future__ import annotations

import os

import cv2
import numpy as np

from conftest import CELEBA, clip_frame, need
from mirror.face.align import transform_points
from mirror.face.regions import EYES
from mirror.io.source import read_image
from mirror.render.compositor import warp_back
from mirror.render.donor_layers import hull
from mirror.render.lab import to_lab
from mirror.render.masks import hair_mask
from mirror.types import AlignedFace, Frame


def frame_mask(mask, aligned, shape, grow=2, beyond=None):
    """A detail-crop mask warped onto the whole frame, with the edit's reach past the crop
    (``beyond``, in the outer square) if given, grown by ``grow`` frame pixels."""
    roi = (0, 0, shape[1], shape[0])
    warped = warp_back(mask.astype(np.float32), aligned.detail_to_crop, roi) > 1e-3
    if beyond is not None:
        warped |= warp_back(beyond.mask, aligned.to_outer, roi) > 1e-3
    return cv2.dilate(warped.astype(np.uint8), np.ones((2 * grow + 1,) * 2, np.uint8)).astype(bool)


def hull_in_frame(aligned: AlignedFace, shape) -> np.ndarray:
    """(H, W) bool: the person's eyes-nose-mouth hull in the photo's pixels."""
    frame_points = transform_points(aligned.landmarks, cv2.invertAffineTransform(aligned.to_crop))
    return hull(frame_points, shape) > 0.5


def sure_hair_lab(aligned: AlignedFace, crop: np.ndarray) -> np.ndarray:
    """(N, 3) CIELAB of the (R, R, 3) uint8 ``crop`` where the renderer's hair mask of ``aligned`` is sure."""
    return to_lab(crop)[hair_mask(aligned, aligned.detail.astype(np.float32) / 255.0) > 0.9]


def d3_bald(pipeline, at: int):
    """d3.mp4's frame ``at`` in bald through ``pipeline``: (frame, aligned, the output, and each
    frame pixel's crop column and row)."""
    frame, aligned = pipeline.track(Frame(0, 0, clip_frame("d3.mp4", at=at)))
    out = pipeline.compose(frame, aligned, pipeline.edit(frame, aligned, pipeline.styles.get("bald")))
    height, width = frame.image.shape[:2]
    ys, xs = np.mgrid[0:height, 0:width]
    cols = aligned.to_crop[0, 0] * xs + aligned.to_crop[0, 1] * ys + aligned.to_crop[0, 2]
    rows = aligned.to_crop[1, 0] * xs + aligned.to_crop[1, 1] * ys + aligned.to_crop[1, 2]
    return frame, aligned, out, cols, rows


def photo_named(photos, name):
    """The astronaut, or a CelebA photo by its number."""
    return dict(photos)["astronaut"] if name == "astronaut" else read_image(
        os.path.join(need(CELEBA), "img", f"{name}.jpg"))


def round_eyes(landmarks: np.ndarray, size: int) -> np.ndarray:
    """(S, S) bool: the eyes and 4 px round them."""
    eyes = np.zeros((size, size), np.uint8)
    for eye in EYES:
        cv2.fillPoly(eyes, [cv2.convexHull(landmarks[eye].astype(np.int32))], 1)
    return cv2.dilate(eyes, np.ones((9, 9), np.uint8)) > 0
