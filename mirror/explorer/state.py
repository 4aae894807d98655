"""The explorer's state and every action on it, without a window (``LatentExplorer``).
"""
from __future__ import annotations

import shlex
from dataclasses import dataclass

import numpy as np

from mirror.edit import hairloss
from mirror.backends.base import Backend, crops_to_images, decode_crops, encode_crops
from mirror.errors import MirrorError
from mirror.explorer.data import AlignedData, dataset_latents, principal_directions
from mirror.edit.donors import DonorBank, DonorQuery
from mirror.edit.styles import ORIGINAL, StyleLibrary
from mirror.types import Donor

PRIOR_SAMPLES = 256   # random faces re-encoded for the PCA sliders when there is no data set


# --- state -----------------------------------------------------------------------------------

@dataclass
class Control:
    """One slider: the latent moves by ``value * direction``.

    Attributes:
        key: unique id, e.g. ``style:bangs`` or ``pc:1``.
        label: what the window shows.
        group: ``style`` or ``pca``.
        direction: (Z,) float32, the latent change for value 1 (a style at its default strength,
            or one standard deviation along a principal direction).
        value: current value, within [low, high].
        note: shown beside the label (e.g. the explained variance).
    """

    key: str
    label: str
    group: str
    direction: np.ndarray
    value: float = 0.0
    low: float = -3.0
    high: float = 3.0
    step: float = 0.25
    note: str = ""


class LatentExplorer:
    """What the explorer shows and every action on it, without a window.

    The shown latent is ``base + sum(control.value * control.direction) + hair-loss direction``.
    Actions that pick a face (reset, randomize, a dataset item, a photo, an interpolation) set
    ``base`` and zero the sliders; Invert negates the whole latent (base and sliders).

    Args:
        backend: the model (encode/decode).
        styles: the style library of the shipped model.
        size: crop side S.
        data: the aligned set for the indexer, PCA and nearest faces (or None).
        photos: [(name, (S, S, 3) uint8 BGR aligned crop)] to reconstruct.
        components: how many principal directions get a slider.
        data_latents: optional (indices, latents) of dataset faces (else encoded here, ``encode`` of them).
        encode: how many dataset faces to encode for PCA and nearest faces.
        seed: random seed (Randomize, random faces for the PCA).
        random_range: Randomize's temperature: it draws from the library's prior
            (``StyleLibrary.sample_prior``) with the spread scaled by it (1: as real faces vary).
        donors: the donor bank, whose donors nearest the shown latent are shown (or None).
    """

    def __init__(self, backend: Backend, styles: StyleLibrary, size: int,
                 data: AlignedData | None = None, photos: list[tuple[str, np.ndarray]] | None = None,
                 components: int = 8, data_latents: tuple[np.ndarray, np.ndarray] | None = None,
                 encode: int = 2000, seed: int = 0, random_range: float = 1.0,
                 encoder_path: str | None = None, donors: DonorBank | None = None):
        if components < 0:
            raise ValueError(f"components must be >= 0, got {components}")
        self.backend = backend
        self.styles = styles
        self.size = size
        self.latent_dim = styles.latent_dim
        self.data = data
        self.photos = list(photos or [])
        self.rng = np.random.default_rng(seed)
        self.random_range = float(random_range)
        self.message = ""
        self.model_label = ""          # what the window's title bar says about the model
        self.camera: int | None = None  # camera index for grabbing frames (None: no camera)
        self.donors = donors
        self.donor_start = 0            # the shown donors are the nearest from this one on
        self._donor_latent = b""        # the latent they were chosen for
        self._decoded: tuple[bytes, np.ndarray] | None = None

        self.photo_latents = (encode_crops(self.backend, np.stack([c for _, c in self.photos]))[0]
                              if self.photos else np.zeros((0, self.latent_dim), np.float32))
        if data is not None:
            self.data_indices, self.data_latents = data_latents or dataset_latents(
                backend, data, encode, encoder_path)
            pca_source = self.data_latents
            self.pca_label = f"PCA of {len(self.data_latents)} data set latents (--data)"
        else:
            self.data_indices = np.zeros(0, np.int64)
            self.data_latents = np.zeros((0, self.latent_dim), np.float32)
            prior = styles.sample_prior(self.rng, PRIOR_SAMPLES)
            reencoded = self.backend.encode(self.backend.decode(prior))
            pca_source = np.concatenate([reencoded, self.photo_latents])
            self.pca_label = (f"PCA of {PRIOR_SAMPLES} re-encoded random faces"
                              f" + {len(self.photos)} photos (no --data)")

        self.controls: list[Control] = []
        for style in styles.styles:
            if style.name == ORIGINAL or not style.direction.any():
                continue
            self.controls.append(Control(f"style:{style.name}", style.name, "style",
                                         (style.strength * style.direction).astype(np.float32),
                                         low=-2.0, high=2.0, step=0.1, note=style.description))
        vectors, stds, explained = principal_directions(pca_source, components) if components else ([], [], [])
        for i, (vector, std, share) in enumerate(zip(vectors, stds, explained), 1):
            self.controls.append(Control(f"pc:{i}", f"PC {i}", "pca", (vector * std).astype(np.float32),
                                         note=f"{100 * share:.0f}% var"))
        self.hairloss = all(name in styles.names for name in ("regrowth", "receding", "bald"))
        self.stage = 0
        self.selected = 0
        self.base = np.zeros(self.latent_dim, np.float32)
        # What the left pane shows: an original crop (dataset item or photo) and its label.
        self.original: np.ndarray | None = None
        self.original_label = "average face (all zeros)"
        self.index: int | None = None
        self.photo: int | None = None
        # Interpolation: ends A and B, position t in [0, 1].
        self.end_a: np.ndarray | None = None
        self.end_b: np.ndarray | None = None
        self.end_labels = ["", ""]
        self.t = 0.0
        self.interpolating = False   # the shown base is (1 - t) A + t B
        self.inverted = False        # the shown latent is the negation of what was picked
        style_names = [c.label for c in self.controls if c.group == "style"]
        self.style_ends = [style_names[0] if style_names else "",
                           style_names[min(1, len(style_names) - 1)] if style_names else ""]

    # --- the latent and its picture ---

    @property
    def latent(self) -> np.ndarray:
        """(Z,) float32: the latent shown."""
        latent = self.base.copy()
        for control in self.controls:
            if control.value:
                latent += control.value * control.direction
        if self.stage:
            latent += hairloss.scale_direction(self.styles, self.stage)[0]
        return latent.astype(np.float32)

    def decode(self, latents: np.ndarray) -> np.ndarray:
        """(B, Z) latents -> (B, S, S, 3) uint8 BGR."""
        return decode_crops(self.backend, np.asarray(latents, np.float32).reshape(-1, self.latent_dim))

    def image(self) -> np.ndarray:
        """(S, S, 3) uint8 BGR decode of the shown latent (cached while the latent is unchanged)."""
        latent = self.latent
        key = latent.tobytes()
        if self._decoded is None or self._decoded[0] != key:
            self._decoded = (key, self.decode(latent[None])[0])
        return self._decoded[1]

    @property
    def title(self) -> str:
        """What the decoded picture is, for the window."""
        if self.interpolating:
            title = f"A -> B at t = {self.t:.2f}"
        elif self.original is not None:
            title = "reconstruction"
        else:
            title = "decoded latent"
        if self.inverted:
            title = "inverse of the " + title
        edited = any(c.value for c in self.controls) or self.stage
        return title + (" (edited)" if edited else "")

    def end_images(self) -> list[np.ndarray | None]:
        """Decodes of the interpolation ends A and B (None where unset)."""
        ends = [e for e in (self.end_a, self.end_b) if e is not None]
        decoded = iter(self.decode(np.stack(ends))) if ends else iter(())
        return [next(decoded) if e is not None else None for e in (self.end_a, self.end_b)]

    # --- actions ---

    def _set_base(self, latent: np.ndarray, clear_original: bool = True) -> None:
        self.base = np.asarray(latent, np.float32).copy()
        self.interpolating = self.inverted = False
        for control in self.controls:
            control.value = 0.0
        self.stage = 0
        if clear_original:
            self.original, self.index, self.photo = None, None, None

    def reset(self) -> None:
        """All zeros: the average face."""
        self._set_base(np.zeros(self.latent_dim, np.float32))
        self.original_label = "average face (all zeros)"
        self.message = "reset: the average face"

    def randomize(self) -> None:
        """A random face: a sample of the library's prior, its spread scaled by the range."""
        r = self.random_range
        self._set_base(self.styles.sample_prior(self.rng, 1, r)[0])
        self.original_label = f"random face, spread x {r:g}"
        self.message = "randomized" + (" (large spreads distort)" if r > 1.5 else "")

    def set_range(self, value: float) -> None:
        self.random_range = float(np.clip(value, 0.1, 5.0))

    def invert(self) -> None:
        """Negates the shown latent (base, sliders and hair-loss stage alike)."""
        self.base = -self.base
        for control in self.controls:
            control.value = -control.value
        if self.hairloss and self.stage:
            # The scale is not symmetric: fold the stage's direction into the base instead.
            self.base -= 2 * hairloss.scale_direction(self.styles, self.stage)[0]
        self.inverted = not self.inverted
        self.message = "inverted: the opposite in every feature"

    def control(self, key: str) -> Control:
        for control in self.controls:
            if control.key == key or control.label == key:
                return control
        raise MirrorError(f"unknown slider {key!r}: choose from {', '.join(c.label for c in self.controls)}")

    def set_value(self, key: str, value: float) -> None:
        """Sets a slider (clipped to its range)."""
        control = self.control(key)
        control.value = float(np.clip(value, control.low, control.high))

    def select(self, offset: int) -> None:
        """Moves the keyboard focus ``offset`` sliders down (wrapping)."""
        if self.controls:
            self.selected = (self.selected + offset) % len(self.controls)

    def nudge(self, steps: int, key: str | None = None) -> None:
        """Moves a slider (the selected one by default) by ``steps`` of its step."""
        if not self.controls:
            return
        control = self.control(key) if key else self.controls[self.selected]
        self.set_value(control.key, round((control.value + steps * control.step) / control.step) * control.step)

    def set_stage(self, stage: int) -> None:
        """Hair-loss stage in [hairloss.FIRST, hairloss.LAST] (0: today)."""
        if not self.hairloss:
            self.message = "this model has no regrowth/receding/bald styles"
            return
        self.stage = int(np.clip(stage, hairloss.FIRST, hairloss.LAST))
        self.message = f"hair loss: {self.stage_label}"

    @property
    def stage_label(self) -> str:
        return hairloss.scale_direction(self.styles, self.stage)[1] if self.hairloss else "n/a"

    # dataset

    def show_item(self, index: int) -> None:
        """Shows dataset item ``index``: the original next to its reconstruction."""
        if self.data is None:
            self.message = "no data set: start with --data DIR"
            return
        if not 0 <= index < len(self.data):
            self.message = f"index {index} out of range 0..{len(self.data) - 1}"
            return
        crop = self.data.crop(index)
        self._set_base(self.backend.encode(crops_to_images(crop[None]))[0])
        self.original, self.index = crop, index
        self.original_label = self.data.label(index)
        self.message = f"data set item {index}"

    def step_item(self, offset: int) -> None:
        if self.data is not None:
            start = -1 if self.index is None and offset > 0 else (self.index or 0)
            self.show_item((start + offset) % len(self.data))
        else:
            self.show_item(0)

    # photos

    def show_photo(self, which: int) -> None:
        """Shows photo ``which`` (wrapping): its aligned crop next to its reconstruction."""
        if not self.photos:
            self.message = "no photos"
            return
        which %= len(self.photos)
        name, crop = self.photos[which]
        self._set_base(self.photo_latents[which])
        self.original, self.photo = crop, which
        self.original_label = f"photo: {name}"
        self.message = f"photo {name}"

    def next_photo(self) -> None:
        self.show_photo(0 if self.photo is None else self.photo + 1)

    def add_photo(self, name: str, crop: np.ndarray) -> None:
        """Adds an aligned crop (e.g. a camera frame) and shows it."""
        self.photos.append((name, crop))
        self.photo_latents = np.concatenate([self.photo_latents, self.backend.encode(crops_to_images(crop[None]))])
        self.show_photo(len(self.photos) - 1)

    def nearest(self, count: int = 6) -> list[tuple[int, float]]:
        """The ``count`` dataset faces nearest the shown latent: [(dataset index, L2 distance)].
        The shown dataset item itself is left out."""
        if not len(self.data_latents):
            return []
        distances = np.linalg.norm(self.data_latents - self.latent, axis=1)
        order = np.argsort(distances)
        rows = [r for r in order[:count + 1] if self.data_indices[r] != self.index][:count]
        return [(int(self.data_indices[r]), float(distances[r])) for r in rows]

    def nearest_donors(self, count: int = 6) -> list[Donor]:
        """The donor bank's donors nearest the shown latent, from the ``donor_start``-th on (the
        latent chooses the donor, as in the mirror); back to the nearest when the latent moves."""
        if self.donors is None:
            return []
        latent = self._donor_query()
        return self.donors.nearest(DonorQuery(latent=latent), count, self.donor_start)

    def _donor_query(self) -> np.ndarray:
        """The shown latent; a new one starts the donors from the nearest again."""
        latent = self.latent
        if latent.tobytes() != self._donor_latent:
            self._donor_latent, self.donor_start = latent.tobytes(), 0
        return latent

    def next_donors(self, count: int = 6) -> None:
        """Steps to the next ``count`` donors (after the last, back to the nearest)."""
        if self.donors is None:
            self.message = "no donor bank (engines/donors.npz)"
            return
        self._donor_query()
        self.donor_start = self.donor_start + count if self.donor_start + count < len(self.donors) else 0
        self.message = f"donors {self.donor_start + 1}-{self.donor_start + count} nearest the shown face"

    # interpolation

    def set_end(self, which: str) -> None:
        """Captures the shown latent as interpolation end ``a`` or ``b``."""
        if which not in ("a", "b"):
            raise ValueError(f"interpolation end must be 'a' or 'b', got {which!r}")
        label = self.original_label if not any(c.value for c in self.controls) and not self.stage \
            else self.original_label + " (edited)"
        if which == "a":
            self.end_a, self.end_labels[0] = self.latent, label
        else:
            self.end_b, self.end_labels[1] = self.latent, label
        self.message = f"interpolation end {which.upper()} set"

    def cycle_style_end(self, which: int, offset: int) -> None:
        names = [c.label for c in self.controls if c.group == "style"]
        if names:
            current = names.index(self.style_ends[which]) if self.style_ends[which] in names else 0
            self.style_ends[which] = names[(current + offset) % len(names)]

    def set_style_ends(self, name_a: str | None = None, name_b: str | None = None) -> None:
        """Ends A and B: the shown face with style ``name_a`` and with ``name_b`` (default
        strengths), so the t slider blends one style into the other."""
        self.style_ends = [name_a or self.style_ends[0], name_b or self.style_ends[1]]
        face = self.latent
        ends = [face + self.control(f"style:{n}").direction for n in self.style_ends]
        self.end_a, self.end_b = ends
        self.end_labels = [f"{self.style_ends[0]} style", f"{self.style_ends[1]} style"]
        self.interpolate(0.0)
        self.message = f"interpolating {self.style_ends[0]} -> {self.style_ends[1]}"

    def interpolate(self, t: float) -> None:
        """Shows (1 - t) A + t B (needs both ends)."""
        if self.end_a is None or self.end_b is None:
            self.message = "set both ends first (A and B)"
            return
        self.t = float(np.clip(t, 0.0, 1.0))
        original, label, index, photo = self.original, self.original_label, self.index, self.photo
        self._set_base((1.0 - self.t) * self.end_a + self.t * self.end_b, clear_original=False)
        self.original, self.index, self.photo = original, index, photo
        self.original_label = label
        self.interpolating = True
        self.message = f"A -> B at t = {self.t:.2f}"

    # scripted commands (--do, tests)

    def run(self, commands: str) -> None:
        """Runs ``;``-separated commands: reset, randomize, invert, index N, next, prev, photo N,
        slider NAME VALUE, stage N, range R, a, b, t T, styles NAME NAME, select N, donors.

        Raises:
            MirrorError: for an unknown command or a bad argument.
        """
        for command in filter(None, (c.strip() for c in commands.split(";"))):
            words = shlex.split(command)
            name, args = words[0].lower(), words[1:]
            try:
                if name in ("reset", "randomize", "invert") and not args:
                    {"reset": self.reset, "randomize": self.randomize, "invert": self.invert}[name]()
                elif name == "index" and len(args) == 1:
                    self.show_item(int(args[0]))
                elif name in ("next", "prev") and not args:
                    self.step_item(1 if name == "next" else -1)
                elif name == "photo" and len(args) == 1:
                    self.show_photo(int(args[0]))
                elif name == "slider" and len(args) == 2:
                    self.set_value(args[0], float(args[1]))
                elif name == "stage" and len(args) == 1:
                    self.set_stage(int(args[0]))
                elif name == "range" and len(args) == 1:
                    self.set_range(float(args[0]))
                elif name in ("a", "b") and not args:
                    self.set_end(name)
                elif name == "t" and len(args) == 1:
                    self.interpolate(float(args[0]))
                elif name == "styles" and len(args) == 2:
                    self.set_style_ends(*args)
                elif name == "select" and len(args) == 1:
                    self.selected = int(args[0]) % max(len(self.controls), 1)
                elif name == "donors" and not args:
                    self.next_donors()
                else:
                    raise MirrorError(f"unknown command {command!r}: use reset, randomize, invert, "
                                      "index N, next, prev, photo N, slider NAME VALUE, stage N, "
                                      "range R, a, b, t T, styles NAME NAME, select N, donors")
            except ValueError:
                raise MirrorError(f"bad argument in command {command!r}") from None
