"""The hair editor: encode the aligned crop, move its latent along a style, decode, and keep
only the hair change.

    editor = HairEditor(backend, model)
    aligned.person = segmenter(aligned.crop, frame.timestamp_ms)     # mirror.segment
    edited = editor.edit(aligned, style, strength=1.0, timestamp_ms=frame.timestamp_ms)
"""
from __future__ import annotations

import cv2
import numpy as np

from mirror.backends.base import Backend, ModelFiles
from mirror.filters import OneEuroFilter
from mirror.regions import edit_limit, face_interior, face_oval, hair_region
from mirror.styles import Style, StyleLibrary
from mirror.types import AlignedFace, EditedFace

CHANGE_FULL = 0.10   # a decoded change this large (in [0, 1] units) takes the decode fully


def to_tensor(crop: np.ndarray) -> np.ndarray:
    """(S, S, 3) uint8 BGR -> (1, 3, S, S) float32 in [0, 1]."""
    return (crop.astype(np.float32) / 255.0).transpose(2, 0, 1)[None]


def from_tensor(images: np.ndarray) -> np.ndarray:
    """(B, 3, S, S) float in [0, 1] -> (B, S, S, 3) float32."""
    return np.clip(images, 0.0, 1.0).transpose(0, 2, 3, 1).astype(np.float32)


def compose_crop(crop: np.ndarray, recon: np.ndarray, edited: np.ndarray, landmarks: np.ndarray,
                 person: np.ndarray, recolor: bool = False) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Keeps the person and takes the hair from the decode, in crop space.

    Where the decode barely changes, the change is added to the person's own crop (a residual
    edit: their detail stays). Where it changes a lot (hair drawn anew, hair removed, a new
    colour), the decode's low frequencies are taken, colour-matched to the frame; the person's
    fine texture is kept only for colour changes. The face interior is never touched, nor is
    anything below the chin (``edit_limit``).

    Args:
        crop: (S, S, 3) float32 BGR in [0, 1], the person's aligned crop.
        recon: (S, S, 3) float32, decode of the person's latent.
        edited: (S, S, 3) float32, decode of the edited latent.
        landmarks: (478, 2) face-mesh points in crop pixels.
        person: (S, S) selfie-segmentation probability (float in [0, 1] or uint8).
        recolor: a colour-only style (keep texture and silhouette).

    Returns:
        (out, mask, replace): out (S, S, 3) float32 in [0, 1]; mask and replace (S, S) float32.
    """
    size = crop.shape[0]
    interior = face_interior(landmarks, size)
    # Colour consistency: the decode's global colour cast, measured where it should match (skin).
    offset = (crop - recon)[interior].mean(axis=0) if interior.sum() > 16 else np.zeros(3, np.float32)
    change = np.abs(cv2.GaussianBlur(edited - recon, (0, 0), size / 48.0)).max(axis=2)
    change = np.clip(change / CHANGE_FULL, 0.0, 1.0)
    # Where hair is or may be: selfie segmentation misses wisps and volume, so grow it a little,
    # and add the forehead (above the eyebrows), where bangs fall and hairlines recede.
    grow = max(3, size // 14) | 1
    hair = cv2.dilate(hair_region(landmarks, person), cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (grow, grow)))
    hair = np.maximum(hair, (face_oval(landmarks, size) & ~interior).astype(np.float32))
    detail = crop - recon - offset
    low = cv2.GaussianBlur(detail, (0, 0), size / 24.0)
    high = detail - low
    keep_low = ((1.0 - change) * (1.0 - hair))[..., None]   # hair takes the decode's colours
    keep_high = np.ones_like(keep_low) if recolor else (1.0 - change)[..., None]
    out = edited + offset + keep_low * low + keep_high * high
    # Where the edit may land: the hair, and (except for a recolouring) changed areas near the head.
    radius = max(3, size // 10) | 1
    head = cv2.dilate((face_oval(landmarks, size) | (hair > 0.5)).astype(np.uint8),
                      cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (radius, radius)))
    region = hair if recolor else np.maximum(hair, change * head)
    mask = cv2.GaussianBlur(region, (0, 0), size / 64.0) * ~interior * edit_limit(landmarks, size)
    mask = np.clip(mask, 0.0, 1.0).astype(np.float32)
    replace = (mask * change * (0.0 if recolor else 1.0)).astype(np.float32)
    out = crop + mask[..., None] * (out - crop)
    return np.clip(out, 0.0, 1.0).astype(np.float32), mask, replace


class HairEditor:
    """Edits the hair of aligned crops with the model and the style library.

    Args:
        backend: the model backend.
        model: the shipped model's files (for the style library and crop size).
        smooth: smooth the latent over time (video); off for photos.
    """

    def __init__(self, backend: Backend, model: ModelFiles, smooth: bool = True):
        self.backend = backend
        self.size = model.size
        self.styles = StyleLibrary(model.styles)
        self.smooth = smooth
        self._latent_filter = OneEuroFilter(min_cutoff=0.8, beta=0.02)

    def reset(self) -> None:
        """Forgets the smoothing state (the face was lost)."""
        self._latent_filter.reset()

    def latent(self, crop: np.ndarray, timestamp_ms: int = 0) -> np.ndarray:
        """(Z,) float32 latent of a BGR crop, smoothed over time when ``smooth``."""
        mu = self.backend.encode(to_tensor(crop))[0]
        return self._latent_filter(mu, timestamp_ms / 1000.0) if self.smooth else mu

    def edit(self, aligned: AlignedFace, style: Style, strength: float = 1.0,
             timestamp_ms: int = 0) -> EditedFace:
        """Applies ``style`` at ``strength`` times its default strength to one aligned, segmented face."""
        if aligned.crop.shape[:2] != (self.size, self.size):
            raise ValueError(f"crop is {aligned.crop.shape[:2]}, the model takes {self.size}x{self.size}")
        if aligned.person is None:
            raise ValueError("the crop is not segmented: set aligned.person (mirror.segment.PersonSegmenter)")
        mu = self.latent(aligned.crop, timestamp_ms)
        amount = strength * style.strength
        offset = style.offset(mu)
        if amount == 0.0 or not offset.any():
            zero = np.zeros((self.size, self.size), np.float32)
            return EditedFace(aligned.crop, zero, zero)
        recon, edited = from_tensor(self.backend.decode(np.stack([mu, mu + amount * offset])))
        crop = aligned.crop.astype(np.float32) / 255.0
        out, mask, replace = compose_crop(crop, recon, edited, aligned.landmarks,
                                          aligned.person,
                                          recolor=style.kind == "color")
        return EditedFace(np.clip(out * 255.0 + 0.5, 0, 255).astype(np.uint8), mask, replace)

    def close(self) -> None:
        self.backend.close()

    def __enter__(self) -> "HairEditor":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
