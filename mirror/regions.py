"""Face and hair regions in crop space, from face-mesh landmarks and selfie segmentation.

Used by the compositor (where the edit may land) and by training (the hair-weighted loss).
"""
from __future__ import annotations

import cv2
import numpy as np

# MediaPipe's face-oval contour (FACEMESH_FACE_OVAL), in order around the face.
FACE_OVAL = [10, 338, 297, 332, 284, 251, 389, 356, 454, 323, 361, 288, 397, 365, 379, 378,
             400, 377, 152, 148, 176, 149, 150, 136, 172, 58, 132, 93, 234, 127, 162, 21, 54,
             103, 67, 109]
# Eyebrow tops, left and right: the face interior starts below them.
BROWS = [70, 63, 105, 66, 107, 336, 296, 334, 293, 300]
CHIN = 152
MOUTH = 14   # the lower lip's inner edge


def face_interior(landmarks: np.ndarray, size: int) -> np.ndarray:
    """(S, S) bool: inside the face oval and below the eyebrows, the part the edit must keep."""
    mask = np.zeros((size, size), np.uint8)
    cv2.fillPoly(mask, [np.round(landmarks[FACE_OVAL, :2]).astype(np.int32)], 1)
    brow = int(np.ceil(landmarks[BROWS, 1].max()))
    mask[: max(brow, 0)] = 0
    return mask.astype(bool)


def face_oval(landmarks: np.ndarray, size: int) -> np.ndarray:
    """(S, S) bool: the whole face-mesh oval, forehead included."""
    mask = np.zeros((size, size), np.uint8)
    cv2.fillPoly(mask, [np.round(landmarks[FACE_OVAL, :2]).astype(np.int32)], 1)
    return mask.astype(bool)


def hair_region(landmarks: np.ndarray, person: np.ndarray) -> np.ndarray:
    """(S, S) float32 in [0, 1]: where hair can be, the person's silhouette outside the face,
    above the chin.

    Args:
        landmarks: (478, 2) landmarks in crop pixels.
        person: (S, S) person probability from selfie segmentation, float in [0, 1] or uint8.
    """
    size = person.shape[0]
    person = person.astype(np.float32) / (255.0 if person.dtype == np.uint8 else 1.0)
    region = person * ~face_oval(landmarks, size)
    chin = int(np.clip(landmarks[CHIN, 1], 0, size))
    region[chin:] = 0
    return region


def edit_limit(landmarks: np.ndarray, size: int) -> np.ndarray:
    """(S, S) float32 in [0, 1]: how far an edit may reach in the crop.

    1 down to the mouth, fading to 0 at the chin: below it lie the neck and, in a close-up, the
    shoulders, which selfie segmentation cannot tell from hair. Also fading to 0 over the crop's
    outer 4 %, so no seam shows where the crop ends in the frame.
    """
    rows = np.arange(size, dtype=np.float32)
    mouth, chin = float(landmarks[MOUTH, 1]), float(landmarks[CHIN, 1])
    vertical = np.clip((chin - rows) / max(chin - mouth, 1.0), 0.0, 1.0)
    margin = max(2, size // 25)
    edge = np.clip((np.minimum(rows, size - 1 - rows) + 0.5) / margin, 0.0, 1.0)
    return (np.minimum(vertical, edge)[:, None] * edge[None, :]).astype(np.float32)
