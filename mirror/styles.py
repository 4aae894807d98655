"""The style library: named hairstyles as directions in the model's latent space."""
from __future__ import annotations

from dataclasses import dataclass
from random import Random

import numpy as np

from mirror.errors import MirrorError
from mirror.shapes import ADD, REMOVE

ORIGINAL = "original"
SHAPES = ADD + REMOVE


@dataclass
class Style:
    """One hairstyle.

    Attributes:
        name: its key in ``styles.json`` (or ``original``, or a reference photo's name).
        direction: (Z,) float32 latent direction; the edit is ``mu + strength * direction``.
        strength: the default strength (the user's strength multiplies it).
        description: one line for the HUD and ``--list-styles``.
    """

    name: str
    direction: np.ndarray
    strength: float
    description: str = ""
    kind: str = "add"                  # add, remove, shape, color, texture (styles.json) or exemplar
    target: np.ndarray | None = None   # exemplar styles: the reference's latent
    basis: np.ndarray | None = None    # exemplar styles: (K, Z) orthonormal hair subspace
    color: np.ndarray | None = None    # colour styles: (2, 3) CIELAB mean and spread of the hair
    mix: dict | None = None            # shape styles: {named shape: weight} (mirror.shapes)

    def offset(self, latent: np.ndarray) -> np.ndarray:
        """The (Z,) latent change at strength 1 for a face whose latent is ``latent``.

        Named styles move every face the same way; an exemplar moves the face's hair part
        (its projection on the hair subspace) to the reference's.
        """
        if self.target is None:
            return self.direction
        return self.basis.T @ (self.basis @ (self.target - latent))


class StyleLibrary:
    """The styles of ``styles.json`` in a fixed order, ``original`` (no edit) first."""

    def __init__(self, library: dict):
        latent_dim = int(library["latent_dim"])
        self.styles = [Style(ORIGINAL, np.zeros(latent_dim, np.float32), 0.0, "your own hair")]
        for name, entry in library["styles"].items():
            self.styles.append(Style(name, np.asarray(entry["direction"], np.float32),
                                     float(entry.get("strength", 1.0)), entry.get("description", ""),
                                     entry.get("kind", "add"), color=_color(entry),
                                     mix={name: 1.0} if name in SHAPES else None))
        self.latent_dim = latent_dim
        basis = library.get("hair_basis")
        self._basis = np.asarray(basis, np.float32) if basis else None

    @property
    def names(self) -> list[str]:
        return [s.name for s in self.styles]

    def __len__(self) -> int:
        return len(self.styles)

    def get(self, name: str) -> Style:
        """The style called ``name``; MirrorError listing the choices otherwise."""
        for style in self.styles:
            if style.name == name:
                return style
        raise MirrorError(f"unknown style {name!r}: choose from {', '.join(self.names)}, random, hairloss, "
                          "or give a reference photo")

    def index(self, name: str) -> int:
        return self.names.index(name)

    def step(self, name: str, offset: int) -> Style:
        """The style ``offset`` places after ``name`` in the cycle (wrapping around)."""
        position = self.index(name) if name in self.names else 0
        return self.styles[(position + offset) % len(self.styles)]

    def random(self, rng: Random, exclude: str | None = None) -> Style:
        """A random style other than ``original`` and ``exclude``."""
        choices = [s for s in self.styles[1:] if s.name != exclude] or self.styles[1:]
        return rng.choice(choices)

    def hair_basis(self) -> np.ndarray:
        """(K, Z) orthonormal basis of the hair subspace: the library's own (``hair_basis`` in
        styles.json), else the span of its style directions."""
        if self._basis is not None:
            return self._basis
        directions = np.stack([s.direction for s in self.styles if s.target is None and s.direction.any()])
        q, r = np.linalg.qr(directions.T.astype(np.float64))
        keep = np.abs(np.diag(r)) > 1e-6 * np.abs(np.diag(r)).max()
        return q[:, keep].T.astype(np.float32)

    def exemplar(self, name: str, reference_latent: np.ndarray) -> Style:
        """A style that gives any face the hair of a reference face (its latent)."""
        return Style(name, np.zeros(self.latent_dim, np.float32), 1.0, f"the hair of {name}", "exemplar",
                     target=np.asarray(reference_latent, np.float32), basis=self.hair_basis())

    def add(self, style: Style) -> None:
        """Adds (or replaces) a style, e.g. one taken from a reference photo."""
        if style.direction.shape != (self.latent_dim,):
            raise ValueError(f"style direction must have shape ({self.latent_dim},)")
        self.styles = [s for s in self.styles if s.name != style.name] + [style]


def _color(entry: dict) -> np.ndarray | None:
    """A colour style's (2, 3) CIELAB target from its ``color`` entry ({"mean", "spread"})."""
    color = entry.get("color")
    if color is None:
        return None
    return np.float32([color["mean"], color["spread"]])
