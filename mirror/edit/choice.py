"""Which real head of hair a transplant style draws on this person (``mirror.edit.donors``).

    chooser = DonorChooser(bank, classifier)
    donor, note = chooser.choose(aligned, style, lambda: latent)   # Donor or None, a line for the HUD

The choice is made once per person and style (and the user's "another" steps, ``Style.choice``):
a video's frames keep the donor chosen, so the hair does not change from frame to frame. It is
the ``choice``-th nearest donor that has the style (``DonorBank.ranked``) to the person's latent
moved along the style, their head's pose, face outline, skin tone and sex.
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from mirror.edit.attributes import Classifier
from mirror.edit.donors import DonorBank, DonorQuery
from mirror.edit.styles import Style
from mirror.render.lab import to_lab
from mirror.render.scalp import skin_sample
from mirror.types import AlignedFace, Donor


class DonorChooser:
    """Chooses donors from ``bank`` and remembers the choice for the person in front of the mirror.

    Args:
        bank: the donor bank (None: no donor fits any style).
        classifier: the attribute classifier, asked once per person how sure it is of a man
            (None: the sex plays no part).
    """

    def __init__(self, bank: DonorBank | None, classifier: Classifier | None = None):
        self.bank = bank
        self.classifier = classifier
        self._chosen: dict[tuple[str, int], tuple[int, str]] = {}
        self._attributes: np.ndarray | None = None

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
        if self.bank is None:
            return None, "no donor bank: python -m train.donors"
        key = (style.name, style.choice)
        if key not in self._chosen:
            lab = to_lab(aligned.crop)
            skin = skin_sample(lab, aligned.landmarks, aligned.hair)
            query = DonorQuery(latent=latent(), want=style.want, pose=aligned.pose, landmarks=aligned.landmarks,
                               side=aligned.crop.shape[0], skin_color=lab[skin].mean(0) if skin.any() else None,
                               male=self.attribute(aligned, "Male"))
            rows = self.bank.ranked(query)
            if not len(rows):
                return None, f"no donor shows {style.want}"
            place = style.choice % len(rows)
            self._chosen[key] = int(rows[place]), f"{style.want} {place + 1} of {len(rows)} (N: another)"
        row, note = self._chosen[key]
        return self.bank.donor(row), note
