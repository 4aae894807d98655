"""A reference photo as its own donor: the head of hair a customer brings, ready to transplant
(``mirror.render.transplant``) as the donor bank's heads are.

    donor = donor_of(aligned, "photo.jpg", latent, bald=False)   # aligned: segmented, with its detail crop

The photo goes through the mirror's own tracker, aligner and student segmenter; the segmenter's
hair and person masks, snapped to the strands at the detail crop's side, are the donor's matte
and silhouette (the bank's heads carry a finer face-parsing teacher's matte).
"""
from __future__ import annotations

import cv2
import numpy as np

from mirror.face.regions import crown, face_oval, hair_reach
from mirror.face.warp import crop_yaw
from mirror.edit.shapes import fringe
from mirror.render.color import ColorParams, cast_share, hue_held
from mirror.render.lab import color_stats, to_lab
from mirror.render.masks import refine
from mirror.types import AlignedFace, Donor, Face

HAIR_SURE = 0.5                  # its hair colour is measured where its matte is over this ...
HAIR_SHARE = 0.03                # ... if that covers this share of its crop (else it has none) ...
HAIR_NEAR = np.float32([30, 12, 12])  # ... within this of the hair's median over the fringe's root in L*, a*, b*
SKIN_NEAR = 15.0   # CIELAB distance from the face's median skin within which a bare pixel is skin
LIGHT_WEIGHT = np.float32([0.5, 1.0, 1.0])   # ... lightness weighed half (a lit crown is lighter)
BALD_CLOSE = 0.06  # a bald head's skin is closed over gaps this wide (a share of the crop's side)
DOME = 1.25        # past its photo's edge, its hair reaches this many times the skull's size
MIRRORED = 0.5     # a photo is mirrored out past its edges this share of its longer side
# A head the classifier is this sure is bald, with hair over less than this share of its crown
# (``mirror.face.regions.crown``), is bald (the classifier's Bald alone at 0.5 finds half the
# bald men of the training photos; with their crowns three in four, and 2 % of the other men).
BALD = (0.15, 0.5)


def mirrored_out(image: np.ndarray, face: Face) -> tuple[np.ndarray, np.ndarray, Face]:
    """(photo mask, the photo mirrored out past its edges by ``MIRRORED`` of its longer side,
    ``face`` moved with it): where a photo's frame cuts the hair, its hair goes on mirrored."""
    pad = int(round(MIRRORED * max(image.shape[:2])))
    out = cv2.copyMakeBorder(image, pad, pad, pad, pad, cv2.BORDER_REFLECT_101)
    photo = np.zeros(out.shape[:2], np.float32)
    photo[pad:pad + image.shape[0], pad:pad + image.shape[1]] = 1.0
    landmarks = face.landmarks.copy()
    landmarks[:, :2] += pad
    return photo, out, Face(landmarks)


def look_of(bald: float, bangs: float, hair: np.ndarray, landmarks: np.ndarray) -> str:
    """What a reference photo shows: ``bald``, ``bangs`` or ``hair``, from the classifier's Bald
    and Bangs and the segmenter's ``hair`` (S, S) over the head's crown (``BALD``)."""
    top = crown(landmarks, hair.shape[0])
    bare = top.any() and float((hair[top] > 0.5).mean()) < BALD[1]
    return "bald" if bald > 0.5 or (bald > BALD[0] and bare) else "bangs" if bangs > 0.5 else "hair"


def donor_of(aligned: AlignedFace, source: str, latent: np.ndarray, bald: bool = False, index: int = -1,
             attributes: np.ndarray | None = None, photo: np.ndarray | None = None) -> Donor:
    """A ``Donor`` of an aligned, segmented face at its detail crop's side.

    Args:
        source: the photo's name.
        latent: (Z,) its latent.
        bald: the head is bald: its skin-coloured crown is skin, as a face-parsing teacher labels
            it, not the hair the student segmenter takes its shine for.
        index: its row (-1: in no bank).
        attributes: (40,) int8 its CelebA attributes as the classifier judges them, +1 / -1
            (None: unknown, all 0).
        photo: (H, W) float32 of the frame ``aligned`` was cut from, 1 on the photo and 0 where
            the frame is the photo mirrored out (``mirrored_out``); None: the frame is the photo.
    """
    crop = aligned.detail
    side = crop.shape[0]
    scale = side / aligned.crop.shape[0]
    person = cv2.resize(aligned.person, (side, side), interpolation=cv2.INTER_LINEAR)
    # (snapped to the strands by a guided filter, as the renderer snaps the person's own)
    matte = refine(aligned.hair * np.clip(aligned.person * 2.0 - 0.5, 0.0, 1.0), crop.astype(np.float32) / 255.0)
    landmarks = aligned.landmarks * scale   # (the detail crop's matrix is the crop's times scale)
    # Past the photo's edge: its hair mirrored out there (``mirrored_out``), as far as a head of
    # hair reaches (``DOME``); without ``photo``, none (the crop's repeated edge rows are no hair).
    if aligned.frame_shape is not None:
        shown = np.ones(aligned.frame_shape, np.float32) if photo is None else photo
        inside = cv2.warpAffine(shown, aligned.detail_to_crop, (side, side), flags=cv2.INTER_LINEAR)
        if photo is not None:
            inside = inside + (1.0 - inside) * hair_reach(landmarks, side, DOME, 0.05)
        matte, person = matte * inside, person * inside
    lab = to_lab(crop)
    oval = face_oval(landmarks, side)
    bare = oval & (matte < 0.2)
    tone = np.median(lab[bare], axis=0) if bare.any() else np.median(lab[oval], axis=0)
    near = (np.linalg.norm((lab - tone) * LIGHT_WEIGHT, axis=-1) < SKIN_NEAR).astype(np.float32)
    skin = (person * (near if bald else (1.0 - matte) * near)).astype(np.float32)
    skin_color = lab[skin > 0.5].mean(axis=0)
    if bald:
        # (the crown's shaded rim and shine, short of the skin's colour, closed over with it: left
        # in the matte they would be drawn as a ragged band of hair round the dome)
        reach = max(3, int(round(BALD_CLOSE * side)) | 1)
        skin = cv2.morphologyEx(skin, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (reach, reach)))
        matte = matte * (1.0 - skin)
    hair = hair_color(lab, matte, landmarks)
    hair = tone if hair is None else hair[0]
    pose = aligned.pose if aligned.pose is not None else np.float32([crop_yaw(landmarks), 0.0, 0.0])
    return Donor(index, source, crop, matte.astype(np.float32), skin, person.astype(np.float32),
                 landmarks.astype(np.float32), np.asarray(latent, np.float32), np.asarray(pose, np.float32),
                 skin_color.astype(np.float32), hair.astype(np.float32),
                 np.zeros(40, np.int8) if attributes is None else np.asarray(attributes, np.int8))


def hair_color(lab: np.ndarray, matte: np.ndarray, landmarks: np.ndarray) -> np.ndarray | None:
    """(2, 3) CIELAB mean and spread of a reference photo's hair (a colour style's target), from
    its crop's CIELAB, its matte and landmarks; None for a head with too little hair. Measured on
    the matte where the colour is near the hair's above the forehead: a wall the segmenter took
    for hair is not counted."""
    hair = matte > HAIR_SURE
    if hair.mean() < HAIR_SHARE:
        return None
    root = fringe(landmarks, lab.shape[0]).root & hair
    if root.any():
        hair &= np.all(np.abs(lab - np.median(lab[root], axis=0)) < HAIR_NEAR, axis=-1)
    return color_stats(lab, hair)


def in_light(color: np.ndarray, skin: np.ndarray, other: np.ndarray, params: ColorParams = ColorParams()) -> np.ndarray:
    """(2, 3) CIELAB hair ``color`` seen beside ``skin`` (3,), as it would look in the light that
    shows that skin as ``other`` (3,): its lightness scaled as ``scene_target`` scales it, its
    a*, b* moved by the skins' difference as much as the hair is light beside the skin (a colour
    cast tints a dark colour little: a black-haired photo lit orange is not blue-black in white
    light) and by the share of it a cast takes on the colour the hair would have without it all
    (``cast_share``: a skin's own warmth is not all light; taken wholly, a golden blonde beside
    flushed skin came out ash, while warm-lit white hair, near neutral, takes most of it; a dark
    colour only ``scene``'s, ``ColorParams.neutral_light``), its hue held as a cast's is
    (``hue_held``: a flushed face's platinum is not mint)."""
    out = np.array(color, np.float32)
    out[:, 0] *= float(np.clip(other[0] / max(float(skin[0]), 1.0), 0.25, 4.0)) ** params.scene[0]
    lit = float(np.clip(color[0, 0] / max(float(skin[0]), 1.0), 0.0, 1.0))
    cast = lit * (np.asarray(other[1:], np.float32) - np.asarray(skin[1:], np.float32))
    whole = out.copy()
    whole[0, 1:] += cast
    low, high = params.neutral_light
    light = float(np.clip((out[0, 0] - low) / (high - low), 0.0, 1.0))
    chromatic = np.float32(params.scene[1:])
    out[0, 1:] += (chromatic + light * (cast_share(whole, params) - chromatic)) * cast
    return hue_held(out, color, params)
