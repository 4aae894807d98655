"""The style library: named hairstyles as directions in the model's latent space, and the
latent prior random faces are drawn from."""
from __future__ import annotations

from dataclasses import dataclass
from random import Random
from typing import Iterable

import numpy as np

from mirror.errors import MirrorError
from mirror.edit.reference import hair_color, in_light
from mirror.edit.shapes import ADD, REMOVE
from mirror.render.lab import to_lab
from mirror.render.texture import CURLS
from mirror.types import Donor

ORIGINAL = "original"
# Shape styles drawn from the donor bank's real photos of heads that have them, rather than by the
# face's geometry (``mirror.edit.shapes``): those the donors draw better, measured on the test split
# (``python -m train.evaluate --parts heads --transplanted ...``: less often told from real people
# with the style, and the eyes, nose and mouth never drawn on, where the shapes drew on them).
# Bald's shape stays for the hair-loss scale. Receding, regrowth and wavy stay drawn from the
# geometry: there the donors' heads were no harder to tell from real ones and looked worse
# (another person's haircut, seams below the jaw). Bangs and no_bangs have no shape: they are
# always drawn from donors (``StyleLibrary``).
TRANSPLANTED: tuple[str, ...] = ("bald",)
# Styles drawn from part of a donor's hair (``Style.part``): asked for bangs or none, a customer
# wants a fringe added to their own haircut or theirs taken off the forehead, not the donor's
# whole haircut (measured on the same test faces: as hard or harder to tell from real heads, the
# person's own haircut kept, and no wig, mop-top or pillar of wall below the jaw).
PARTS = {"bangs": "fringe", "no_bangs": "forehead"}
SHAPES = ADD + REMOVE
DIGITS = 5   # significant digits of the stored prior


@dataclass
class Style:
    """One hairstyle.

    Attributes:
        name: its key in ``styles.json`` (or ``original``, or a reference photo's name).
        direction: (Z,) float32 latent direction; the edit is ``mu + strength * direction``.
        strength: the default strength (the user's strength multiplies it).
        description: one line for the HUD and ``--list-styles``.
        kind: what the renderer draws (``EditPlan.kind``): add, remove, shape, color, texture
            (styles.json), or transplant (a real head of hair: a look of the donor bank's
            catalogue, a named style drawn from donors that have it, or a reference photo's).
        want: transplant styles: the donors that show it (``DonorQuery.want``; a reference
            photo's: those that stand in for it).
        choice: transplant styles: which of them, 0 the nearest (the user steps to another).
        donor: a reference photo's own head of hair (transplant styles), or None.
        paint: transplant styles: ``own`` (the person's hair colour) or ``donor`` (the donor's).
        part: transplant styles: ``all`` (the donor's whole head of hair), ``fringe`` (only its
            fringe, on the person's own hair) or ``forehead`` (the person's own fringe taken off
            the forehead); the last two where they have hair over the fringe's root.
    """

    name: str
    direction: np.ndarray
    strength: float
    description: str = ""
    kind: str = "add"                  # add, remove, shape, color, texture (styles.json) or transplant
    color: np.ndarray | None = None    # colour styles: (2, 3) CIELAB mean and spread of the hair
    skin: np.ndarray | None = None     # ... and (3,) the CIELAB skin of the faces it was measured on
    mix: dict | None = None            # shape styles: {named shape: weight} (mirror.edit.shapes)
    curl: float = 0.0                  # texture styles: how strongly the hair is drawn wavy (mirror.render.texture)
    want: str = ""
    choice: int = 0
    donor: Donor | None = None
    paint: str = "own"
    part: str = "all"


@dataclass
class LatentPrior:
    """A Gaussian N(mean, L L^T) fitted to the posterior means of real faces.

    The VAE's own prior N(0, I) decodes to colour blobs: real faces fill only part of it. Samples
    of this Gaussian decode to faces. Stored in styles.json as ``latent_prior``.

    Attributes:
        mean: (Z,) float64; cholesky: (Z, Z) lower-triangular factor of the covariance.
        images: how many faces it was fitted to.
    """

    mean: np.ndarray
    cholesky: np.ndarray
    images: int

    @classmethod
    def fit(cls, latents: np.ndarray) -> "LatentPrior":
        """The Gaussian of (N, Z) latents, rounded as stored (``to_json``)."""
        latents = np.asarray(latents, np.float64)
        prior = cls(latents.mean(0), np.linalg.cholesky(np.cov(latents, rowvar=False)), len(latents))
        return cls.from_json(prior.to_json(), latents.shape[1])

    @classmethod
    def from_json(cls, entry: dict, latent_dim: int) -> "LatentPrior":
        """From styles.json's ``latent_prior`` (rows of the factor's lower triangle).

        Raises:
            MirrorError: a missing key, a mean not (latent_dim,) or rows not a triangle of that size.
        """
        try:
            mean, rows = np.asarray(entry["mean"], np.float64), entry["cholesky"]
            if mean.shape != (latent_dim,) or len(rows) != latent_dim or \
                    any(len(row) != i + 1 for i, row in enumerate(rows)):
                raise ValueError
            factor = np.zeros((latent_dim, latent_dim))
            for i, row in enumerate(rows):
                factor[i, :i + 1] = row
            return cls(mean, factor, int(entry["images"]))
        except (KeyError, TypeError, ValueError):
            raise MirrorError(f"broken latent_prior in the style library: not a {latent_dim}-d Gaussian") from None

    def to_json(self) -> dict:
        """styles.json's ``latent_prior``."""
        return {"mean": _round(self.mean), "images": self.images,
                "cholesky": [_round(row[:i + 1]) for i, row in enumerate(self.cholesky)]}

    @property
    def covariance(self) -> np.ndarray:
        """(Z, Z) float64."""
        return self.cholesky @ self.cholesky.T

    def sample(self, rng: np.random.Generator, n: int, temperature: float = 1.0) -> np.ndarray:
        """(n, Z) float32 samples; ``temperature`` scales their spread around the mean."""
        noise = rng.standard_normal((n, len(self.mean)))
        return (self.mean + temperature * noise @ self.cholesky.T).astype(np.float32)


class StyleLibrary:
    """The styles of ``styles.json`` in a fixed order, ``original`` (no edit) first, then the donor
    bank's looks.

    Args:
        library: the parsed ``styles.json``.
        looks: the donor bank's catalogue of looks, each a transplant style (a name that is a
            style of ``styles.json`` already is left out).
        transplanted: shape styles drawn from donors that have them rather than by
            ``mirror.edit.shapes``; an add or remove style with no shape there (bangs, no_bangs)
            always is.
    """

    def __init__(self, library: dict, looks: Iterable[str] = (), transplanted: Iterable[str] = ()):
        latent_dim = int(library["latent_dim"])
        self.styles = [Style(ORIGINAL, np.zeros(latent_dim, np.float32), 0.0, "your own hair")]
        for name, entry in library["styles"].items():
            kind = entry.get("kind", "add")
            donors = name in set(transplanted) or (kind in ("add", "remove") and name not in SHAPES)
            self.styles.append(Style(name, np.asarray(entry["direction"], np.float32),
                                     float(entry.get("strength", 1.0)), entry.get("description", ""),
                                     "transplant" if donors else kind, color=_color(entry), skin=_skin(entry),
                                     mix={name: 1.0} if name in SHAPES and not donors else None,
                                     curl=CURLS.get(name, 0.0), want=name if donors else "",
                                     part=PARTS.get(name, "all") if donors else "all"))
        names = set(self.names)
        self.looks = [look for look in looks if look not in names]
        self.styles += [Style(look, np.zeros(latent_dim, np.float32), 1.0, f"a {look} from a real photo",
                              "transplant", want=look) for look in self.looks]
        self.latent_dim = latent_dim
        prior = library.get("latent_prior")
        self.prior = LatentPrior.from_json(prior, latent_dim) if prior else None

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

    @property
    def prior_label(self) -> str:
        """Where random faces come from, for the user."""
        if self.prior is None:
            return "N(0, I): this styles.json has no fitted prior (colour blobs; python -m train.styles --prior-only)"
        return f"a Gaussian fitted to {self.prior.images} train faces"

    def sample_prior(self, rng: np.random.Generator, n: int, temperature: float = 1.0) -> np.ndarray:
        """(n, Z) float32 random latents: the fitted prior (``LatentPrior``), else N(0, I) for a
        styles.json without one; ``temperature`` scales the spread."""
        if self.prior is None:
            return (temperature * rng.standard_normal((n, self.latent_dim))).astype(np.float32)
        return self.prior.sample(rng, n, temperature)

    def reference(self, name: str, donor: Donor, look: str = "") -> Style:
        """A style that gives any face the hair of the reference photo ``donor`` was made from, in
        its colour. ``look``: what the photo shows (``bald``, ``bangs`` or ``hair``: not a hair-loss
        look), the bank's heads that stand in for it where its own cannot be drawn. Where neither
        can, its colour on the person's own hair (none for a bald head, or one with too little hair
        to measure). The colour is taken out of the photo's light into the colour styles' (their
        faces' skin, ``Style.skin``), as theirs is measured."""
        color = None if look == "bald" else hair_color(to_lab(donor.crop), donor.matte, donor.landmarks)
        skins = [s.skin for s in self.styles if s.kind == "color" and s.skin is not None]
        skin = None if color is None else donor.skin_color
        if color is not None and skins and np.isfinite(skin).all():
            color, skin = in_light(color, skin, np.mean(skins, axis=0)), np.mean(skins, axis=0).astype(np.float32)
        return Style(name, np.zeros(self.latent_dim, np.float32), 1.0, f"the hair of {name}", "transplant",
                     color=color, skin=skin, want=look, donor=donor, paint="donor")

    def add(self, style: Style) -> None:
        """Adds (or replaces) a style, e.g. one taken from a reference photo."""
        if style.direction.shape != (self.latent_dim,):
            raise ValueError(f"style direction must have shape ({self.latent_dim},)")
        self.styles = [s for s in self.styles if s.name != style.name] + [style]


def _round(values: np.ndarray) -> list[float]:
    """Values to DIGITS significant digits, for JSON."""
    return [float(f"{v:.{DIGITS}g}") for v in values]


def _skin(entry: dict) -> np.ndarray | None:
    """A colour style's (3,) CIELAB reference skin from its ``color`` entry, or None (older libraries)."""
    skin = (entry.get("color") or {}).get("skin")
    return None if skin is None else np.float32(skin)


def _color(entry: dict) -> np.ndarray | None:
    """A colour style's (2, 3) CIELAB target from its ``color`` entry ({"mean", "spread"})."""
    color = entry.get("color")
    if color is None:
        return None
    return np.float32([color["mean"], color["spread"]])
