"""Head pose (yaw, pitch, roll in degrees) from face-mesh landmarks, the one estimator of the
project: the donor bank (``train.donors``) measures its donors with it and the mirror measures the
person with it, so their poses compare.

    from mirror.face.pose import head_pose
    yaw, pitch, roll = head_pose(face.landmarks)     # (478, 3) frame pixels, z in x's scale

The head's axes come from the mesh's own left/right pairs, so the estimate needs no 3D face
model: across the face is the mean vector from each pair's point on the image's left to its
partner on the right; up the face is from the mouth corners to the eyes, made square to it; out
of the face is their cross product. A face and its mirror image give opposite yaws and rolls.

Signs, as the viewer sees the photo: yaw > 0 when the face turns to the image's right (its nose
points right), pitch > 0 when it looks up, roll > 0 when the eye line falls to the image's right.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# Mirror pairs of the mesh (image's left point, image's right point) that move with the skull,
# not with the expression: eye corners, cheekbones, temples, the face oval at the ears.
PAIRS = ((33, 263), (133, 362), (234, 454), (127, 356), (93, 323), (21, 251), (162, 389), (116, 345))
EYE_CORNERS = (33, 133, 362, 263)
MOUTH_CORNERS = (61, 291)


@dataclass(frozen=True)
class PoseOptions:
    """How the axes are read from the landmarks."""

    # Degrees added to the pitch so that a face looking straight into the camera reads 0: the
    # axes' out-of-face direction points this much below the camera on the median CelebA face
    # (portraits, taken square on on average).
    pitch_zero: float = 3.0


def head_axes(landmarks: np.ndarray) -> np.ndarray:
    """(3, 3) float64 rotation whose rows are the head's right, up and out-of-face axes in the
    frame's (x right, y down, z away from the camera) coordinates.

    Args:
        landmarks: (478, 3) face-mesh points (x, y in pixels, z in the same scale as x).

    Raises:
        ValueError: not (478, 3), or points too degenerate to give axes.
    """
    points = np.asarray(landmarks, np.float64)
    if points.ndim != 2 or points.shape[0] < 478 or points.shape[1] < 3:
        raise ValueError(f"head pose needs (478, 3) landmarks with depth, got {points.shape}")
    pairs = np.array(PAIRS)
    across = (points[pairs[:, 1], :3] - points[pairs[:, 0], :3]).mean(0)
    up = points[list(EYE_CORNERS), :3].mean(0) - points[list(MOUTH_CORNERS), :3].mean(0)
    norm = np.linalg.norm(across)
    if norm < 1e-6:
        raise ValueError("landmarks too degenerate for a head pose")
    right = across / norm
    up = up - right * (up @ right)
    norm = np.linalg.norm(up)
    if norm < 1e-6:
        raise ValueError("landmarks too degenerate for a head pose")
    up /= norm
    # For a face square on, right is +x and up is -y, so right x up is -z: out of the face,
    # towards the camera.
    out = np.cross(right, up)
    return np.stack([right, up, out])


def head_pose(landmarks: np.ndarray, options: PoseOptions = PoseOptions()) -> np.ndarray:
    """(3,) float32 yaw, pitch and roll in degrees (signs in the module docstring).

    Args:
        landmarks: (478, 3) face-mesh points in frame pixels, z in x's scale (``Face.landmarks``).
            Pass the frame's landmarks: an aligned crop has had its roll taken out.
    """
    right, up, out = head_axes(landmarks)
    # out is (sin yaw cos pitch, -sin pitch, -cos yaw cos pitch) for a head turned by yaw then
    # tilted by pitch; roll turns the right axis in the image plane.
    yaw = np.degrees(np.arctan2(out[0], -out[2]))
    pitch = np.degrees(np.arctan2(-out[1], np.hypot(out[0], out[2]))) + options.pitch_zero
    roll = np.degrees(np.arctan2(right[1], right[0]))
    return np.float32([yaw, pitch, roll])
