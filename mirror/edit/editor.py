"""The hair editor: the model's answer for one face, as a plan for the renderer.

    editor = HairEditor(backend, model, segmenter)
    plan = editor.edit(aligned, style, strength=1.0, timestamp_ms=frame.timestamp_ms)   # EditPlan

Colour styles need no model run: their target colour is the style's own (the hair of the
training faces that have it, ``styles.json``), and the renderer recolours the person's hair.
Named shape styles take where hair grows or goes from the face's geometry (``mirror.edit.shapes``)
and the shading of new scalp from the model's edited decode. Texture styles lay the decodes'
change onto the hair. Transplant styles (the donor bank's looks, named styles drawn from real
photos) choose a real head of hair (``mirror.edit.choice``) near the person's latent moved along
the style; a reference photo's is its own, with the bank's head nearest it and its colour to
fall back on.
"""
from __future__ import annotations

import dataclasses

import numpy as np

from mirror.edit import shapes
from mirror.backends.base import Backend, ModelFiles
from mirror.edit.choice import DonorChooser
from mirror.face.filters import OneEuroFilter
from mirror.face.segment import HAIR, HairSegmenter
from mirror.edit.styles import Style, StyleLibrary
from mirror.types import AlignedFace, EditPlan


# A colour style at strength 1 goes this far past the person's own colour towards the style's
# target (the average hair of training faces that have the colour, which includes their shadows):
# on 100 test faces the classifier saw blond on 26 % at 1.0 and on 50 % at 1.4.
COLOR_REACH = 1.4
# A transplant is not drawn over a hat: the classifier's Wearing_Hat above this (its test accuracy: 0.98).
HAT = 0.5
# Where a reference photo's whole head of hair cannot be drawn (hair over the person's cheeks, or
# too long to take away), the part of it that can, by what the photo shows (``look_of``): its
# fringe over the person's own hair, or the person's fringe taken off the forehead for a photo
# without one.
PART_OF_LOOK = {"bangs": "fringe", "hair": "forehead"}
# ... and where the photo's own part cannot be drawn either, the one the named style that draws
# that part (``styles.PARTS``) would draw on the person, and the HUD's line; only where the person
# differs from the photo in it (the classifier's Bangs: a fringe on a person without one, and the
# forehead bared of one). (The bank's nearest to the photo were chosen for its face, and fitted
# the person's less often; a forehead bared where no fringe was left a pale smudge at a temple.)
PART_STYLE = {"fringe": ("bangs", "a fringe from the bank, and its colour", False),
              "forehead": ("no_bangs", "no fringe, and its colour", True)}


def to_tensor(crop: np.ndarray) -> np.ndarray:
    """(S, S, 3) uint8 BGR -> (1, 3, S, S) float32 in [0, 1]."""
    return (crop.astype(np.float32) / 255.0).transpose(2, 0, 1)[None]


def from_tensor(images: np.ndarray) -> np.ndarray:
    """(B, 3, S, S) float in [0, 1] -> (B, S, S, 3) float32."""
    return np.clip(images, 0.0, 1.0).transpose(0, 2, 3, 1).astype(np.float32)


class HairEditor:
    """Plans hair edits of aligned crops with the model, the segmenter and the style library.

    Args:
        backend: the model backend.
        model: the shipped model's files (for the style library and crop size).
        segmenter: segments the decodes (its ``predict``; no state of the live stream is touched).
        smooth: smooth the latent over time (video); off for photos.
        chooser: chooses donors for transplant styles (None: none; the library has no looks).
        transplanted: shape styles drawn from donors that have them (``StyleLibrary``: bangs and
            no_bangs, which have no shape, always are).
    """

    def __init__(self, backend: Backend, model: ModelFiles, segmenter: HairSegmenter, smooth: bool = True,
                 chooser: DonorChooser | None = None, transplanted: tuple[str, ...] = ()):
        self.backend = backend
        self.segmenter = segmenter
        self.size = model.size
        self.chooser = chooser
        bank = None if chooser is None else chooser.bank
        self.styles = StyleLibrary(model.styles, looks=() if bank is None else bank.look_names,
                                   transplanted=transplanted if bank is not None else ())
        self.smooth = smooth
        self._latent_filter = OneEuroFilter(min_cutoff=0.8, beta=0.02)
        self._long = shapes.LongHold() if smooth else None

    def reset(self) -> None:
        """Forgets the smoothing state and the long hair seen (the face was lost)."""
        self._latent_filter.reset()
        if self.chooser is not None:
            self.chooser.reset()
        if self._long is not None:
            self._long = shapes.LongHold()

    def latent(self, crop: np.ndarray, timestamp_ms: int = 0) -> np.ndarray:
        """(Z,) float32 latent of a BGR crop, smoothed over time when ``smooth``."""
        mu = self.backend.encode(to_tensor(crop))[0]
        return self._latent_filter(mu, timestamp_ms / 1000.0) if self.smooth else mu

    def edit(self, aligned: AlignedFace, style: Style, strength: float = 1.0,
             timestamp_ms: int = 0) -> EditPlan:
        """The plan for ``style`` at ``strength`` times its default on one aligned face."""
        if aligned.crop.shape[:2] != (self.size, self.size):
            raise ValueError(f"crop is {aligned.crop.shape[:2]}, the model takes {self.size}x{self.size}")
        if style.kind == "transplant":
            return self._transplant(aligned, style, strength, timestamp_ms)
        if style.kind == "color":
            if style.color is None:       # (a library without measured colours: python -m train.colors)
                return EditPlan("none", note="no measured colour for this style")
            return EditPlan("color" if strength > 0 else "none", float(strength) * COLOR_REACH, color=style.color,
                            skin=style.skin)
        if style.kind == "add" and style.mix is not None and strength > 0:
            # Hair added where the geometry says: drawn from the person's own hair, no decode needed.
            return EditPlan(style.kind, float(strength),
                            hair_change=shapes.hair_change(style.mix, aligned.landmarks, aligned.hair, strength))
        amount = strength * style.strength
        mu = self.latent(aligned.crop, timestamp_ms)
        # (a mix of shapes with no latent direction, a woman's thinning, is drawn from the geometry:
        # its decode, the person's own, shades the scalp that shows)
        if amount == 0.0 or not (style.direction.any() or style.mix):
            return EditPlan("none")
        recon, edited = from_tensor(self.backend.decode(np.stack([mu, mu + amount * style.direction])))
        reach = None
        if style.mix is not None:
            if self._long is not None:
                self._long.now_ms = timestamp_ms
            change, reach = shapes.shape_change(style.mix, aligned.landmarks, aligned.hair, strength, self._long)
        else:
            hair = self.segmenter.predict(np.stack([recon, edited]).transpose(0, 3, 1, 2))[:, HAIR]
            change = hair[1] - hair[0]
        thinning = shapes.thinning(style.mix, aligned.landmarks, self.size, strength, aligned.hair) if style.mix else None
        return EditPlan(style.kind, float(strength), hair_change=change, recon=recon, edited=edited, thinning=thinning,
                        reach=reach, curl=style.curl)

    def _transplant(self, aligned: AlignedFace, style: Style, strength: float, timestamp_ms: int) -> EditPlan:
        """The plan of a transplant style: its donor (a reference photo's own, or the one chosen)."""
        if strength <= 0:
            return EditPlan("none")
        donor, note = style.donor, ""
        if self.chooser is not None and not self.smooth:     # (each photo is a new person)
            self.chooser.reset()
        if self.chooser is not None and (self.chooser.attribute(aligned, "Wearing_Hat") or 0.0) > HAT:
            return EditPlan("none", note="a hat covers the hair")
        if donor is not None and self.chooser is not None:
            donor, note = self.chooser.orient(aligned, style)
        if donor is None:
            if self.chooser is None:
                return EditPlan("none", note="no donor bank")
            def moved() -> np.ndarray:   # (the person's latent, along the style's direction)
                mu = self.latent(aligned.crop, timestamp_ms)
                return mu + strength * style.strength * style.direction

            donor, note = self.chooser.choose(aligned, style, moved)
        if donor is None:
            return EditPlan("none", note=note)
        return EditPlan("transplant", float(strength), donor=donor, paint=style.paint, part=style.part,
                        note=note, fallback=self._fallback(aligned, style, strength))

    def _fallback(self, aligned: AlignedFace, style: Style, strength: float) -> EditPlan | None:
        """What is drawn where a reference photo's hair cannot be: the bank's head of hair nearest
        it (``DonorChooser.stand_in``) in its colour; where that cannot be either, the photo's
        fringe, or its bare forehead, on the person's own hair in its colour
        (``PART_OF_LOOK``), else the fringe or bare forehead the bank's bangs or no_bangs would
        draw (``PART_STYLE``); and where none, its colour alone."""
        color = None if style.color is None else EditPlan("color", float(strength) * COLOR_REACH,
                                                          color=style.color, skin=style.skin)
        if style.donor is None:
            return color
        under = color
        banked = self.chooser is not None and self.chooser.bank is not None
        if color is not None and style.want in PART_OF_LOOK:
            part = PART_OF_LOOK[style.want]
            if banked:
                under = self._banks_part(aligned, style, part, strength, color)
            under = EditPlan("transplant", float(strength), color=style.color, skin=style.skin, donor=style.donor,
                             paint="target", part=part, fallback=under)
        if not banked:
            return under
        stand_in = dataclasses.replace(style, paint="own" if style.color is None else "target")
        donor, note = self.chooser.stand_in(aligned, stand_in)
        if donor is None:
            return under
        return EditPlan("transplant", float(strength), color=style.color, skin=style.skin, donor=donor,
                        paint=stand_in.paint, note=note, fallback=under)

    def _banks_part(self, aligned: AlignedFace, style: Style, part: str, strength: float, color: EditPlan) -> EditPlan:
        """The bank's ``part`` (``PART_STYLE``) in a reference ``style``'s colour over ``color``,
        where the person differs from the photo in it; else ``color``."""
        want, note, fringed = PART_STYLE[part]
        bangs = self.chooser.attribute(aligned, "Bangs")
        if bangs is None or (bangs > 0.5) != fringed or want not in self.styles.names:
            return color
        named = self.styles.get(want)

        def moved() -> np.ndarray:   # (the person's latent, along that style's direction)
            return self.backend.encode(to_tensor(aligned.crop))[0] + strength * named.strength * named.direction

        like = dataclasses.replace(named, name=f"{style.name} ({part})", choice=style.choice)
        donor, _ = self.chooser.choose(aligned, like, moved)
        if donor is None:
            return color
        return EditPlan("transplant", float(strength), color=style.color, skin=style.skin, donor=donor,
                        paint=named.paint, part=part, note=note, fallback=color)

    def close(self) -> None:
        self.backend.close()

    def __enter__(self) -> "HairEditor":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
