"""Which real head of hair a transplant style draws on this person (``mirror.edit.donors``).

    chooser = DonorChooser(bank, classifier)             # or DonorChooser.of_model(model, classifier)
    donor, note = chooser.choose(aligned, style, lambda: latent)   # Donor or None, a line for the HUD
    donor, note = chooser.stand_in(aligned, reference_style)       # the bank's head nearest a reference photo's

The choice is made once per person and style (and the user's "another" steps, ``Style.choice``):
a video's frames keep the donor chosen, so the hair does not change from frame to frame, nor
as the head turns: past the donor's own turn it fades (``FitParams.yaw``), where a donor chosen
anew for each turn was another hairstyle, switching as the customer turned to see its side. The
chooser keeps those donors, decoded and mirrored as drawn, until the person changes (``reset``):
the memory of the person's styles only, and no donor copied again on every frame. It is
the ``choice``-th nearest donor that has the style (``DonorBank.ranked``) to the person's latent
moved along the style, their head's pose, face outline, skin tone, sex and glasses (and their
hair's lightness, when the donor's hair is drawn in its colour), in the nearer
of its two orientations (its photo as it is, or mirrored). A reference photo's donor is mirrored
when the person's head is turned the other way (``orient``).
"""
from __future__ import annotations

import dataclasses
import os
from typing import Callable

import numpy as np

from mirror.edit.attributes import Classifier
from mirror.edit.donors import DonorBank, DonorQuery, mirror_donor, mirror_order
from mirror.face.warp import crop_yaw
from mirror.edit.styles import Style
from mirror.render.color import own_color
from mirror.render.lab import to_lab
from mirror.render.scalp import skin_sample
from mirror.types import AlignedFace, Donor


class DonorChooser:
    """Chooses donors from ``bank`` and remembers the choice for the person in front of the mirror.

    Args:
        bank: the donor bank (None: no donor fits any style).
        classifier: the attribute classifier, asked once per person how sure it is of a man
            (None: the sex plays no part).
        flip_margin: a reference photo is mirrored when that brings its head's turn this many
            degrees (``crop_yaw``) nearer the person's.
    """

    def __init__(self, bank: DonorBank | None, classifier: Classifier | None = None, flip_margin: float = 4.0):
        self.bank = bank
        self.flip_margin = flip_margin
        self.classifier = classifier
        # (style name, choice) -> (the donor drawn, a line for the HUD, the reference photo's donor)
        self._chosen: dict[tuple[str, int], tuple[Donor, str, Donor | None]] = {}
        self._attributes: np.ndarray | None = None

    @classmethod
    def of_model(cls, model, classifier: Classifier | None = None) -> "DonorChooser":
        """The chooser of a model folder's donor bank (``ModelFiles.donors``; none if it has none)."""
        return cls(DonorBank.load(model.donors) if os.path.isfile(model.donors) else None, classifier)

    def reset(self) -> None:
        """Forgets the person (a new face): the next choice is made anew."""
        self._chosen.clear()
        self._attributes = None

    def attribute(self, aligned: AlignedFace, name: str) -> float | None:
        """How sure the classifier is of attribute ``name`` (``Male``, ``Wearing_Hat``...) of the
        person, asked once per person; None without a classifier."""
        if self.classifier is None:
            return None
        if self._attributes is None:
            self._attributes = self.classifier.predict_crops(aligned.crop[None])[0]
        return float(self._attributes[self.classifier.column(name)])

    def choose(self, aligned: AlignedFace, style: Style, latent: Callable[[], np.ndarray]) -> tuple[Donor | None, str]:
        """The donor for ``style`` on the person of ``aligned`` (segmented), and a line for the HUD
        (which of how many, or why there is none).

        Args:
            latent: gives the (Z,) latent the donor should be near: the person's, moved along the
                style (asked only when a choice is made).
        """
        return self._chosen_for(style, lambda: self._query(aligned, style, latent()), style.want)

    def stand_in(self, aligned: AlignedFace, style: Style) -> tuple[Donor | None, str]:
        """The donor that stands in for a reference photo's (``style.donor``) where that cannot be
        drawn on the person of ``aligned``, and a line for the HUD: of the photo's look
        (``style.want``), nearest the photo's latent and sex, the person's pose, face and skin."""
        def query() -> DonorQuery:
            theirs = style.donor.attributes[self.bank.attribute_names.index("Male")]
            return dataclasses.replace(self._query(aligned, style, style.donor.latent),
                                       male=float(theirs > 0) if theirs else None)

        return self._chosen_for(style, query, "one like it from the bank,")

    def _chosen_for(self, style: Style, query: Callable[[], DonorQuery], label: str) -> tuple[Donor | None, str]:
        """The ``style.choice``-th donor nearest ``query`` (made only when a choice is made), kept
        for the person, and a line for the HUD that starts with ``label``."""
        if self.bank is None:
            return None, "no donor bank: python -m train.donors"
        key = (style.name, style.choice)
        if key not in self._chosen:
            asked = query()
            rows = self.bank.ranked(asked)
            if not len(rows):
                return None, f"no donor shows {style.want}"
            place = style.choice % len(rows)
            row = int(rows[place])
            self._chosen[key] = self.bank.donor(row, bool(self.bank.mirrored(asked)[row])), \
                f"{label} {place + 1} of {len(rows)} (N: another)", None
        donor, note, _ = self._chosen[key]
        return donor, note

    def _query(self, aligned: AlignedFace, style: Style, latent: np.ndarray) -> DonorQuery:
        """What ``style`` asks of the bank for the person of ``aligned``, near ``latent``."""
        lab = to_lab(aligned.crop)
        skin = skin_sample(lab, aligned.landmarks, aligned.hair)
        own = own_color(lab, aligned.hair) if style.paint == "own" else None
        return DonorQuery(latent=latent, want=style.want, pose=aligned.pose, landmarks=aligned.landmarks,
                          side=aligned.crop.shape[0], skin_color=lab[skin].mean(0) if skin.any() else None,
                          male=self.attribute(aligned, "Male"), glasses=self.attribute(aligned, "Eyeglasses"),
                          hair_light=None if own is None else float(own[0, 0]))

    def orient(self, aligned: AlignedFace, style: Style) -> tuple[Donor, str]:
        """A reference photo's donor (``style.donor``) for the person of ``aligned``: mirrored
        when the person's head is turned nearer to its mirror image's turn, decided once per
        person (the hair does not flip from frame to frame), and a line for the HUD."""
        key = (style.name, -1)
        if key not in self._chosen or self._chosen[key][2] is not style.donor:   # (or a new photo)
            turn, theirs = crop_yaw(aligned.landmarks), crop_yaw(style.donor.landmarks)
            flip = abs(turn + theirs) + self.flip_margin < abs(turn - theirs)
            donor, note = style.donor, ""
            if flip:
                order = self.bank.mirror_order if self.bank is not None else mirror_order(style.donor.landmarks)
                donor, note = mirror_donor(style.donor, order), "mirrored: the head turned the other way"
            self._chosen[key] = donor, note, style.donor
        donor, note, _ = self._chosen[key]
        return donor, note
