"""The one interface every model backend implements, and the shipped model's files."""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field

import numpy as np

from mirror.errors import MirrorError


@dataclass
class ModelFiles:
    """The shipped model in an engines folder.

    Attributes:
        folder: the engines folder.
        size: crop side S the model works on (None: not known until a backend reads the files).
        latent_dim: Z (likewise).
        styles: the parsed ``styles.json``.
    """

    folder: str
    size: int | None
    latent_dim: int | None
    styles: dict = field(repr=False)

    @property
    def encoder(self) -> str:
        return onnx_paths(self.folder)[0]

    @property
    def decoder(self) -> str:
        return onnx_paths(self.folder)[1]

    @property
    def segmenter(self) -> str:
        """The student hair segmenter (``python -m train.segmenter``)."""
        return os.path.join(self.folder, "segmenter.onnx")

    @property
    def donors(self) -> str:
        """The donor bank (``python -m train.donors``; optional)."""
        return os.path.join(self.folder, "donors.npz")

    @property
    def classifier(self) -> str:
        """The attribute classifier (``python -m train.classifier``; optional)."""
        return os.path.join(self.folder, "classifier.onnx")

    @property
    def textures(self) -> str:
        """The hair texture bank (``python -m train.textures``; optional)."""
        return os.path.join(self.folder, "hair_textures.npz")


def onnx_paths(folder: str, int8: bool = False) -> tuple[str, str]:
    """(encoder, decoder) ONNX files in an engines folder: ``encoder.onnx`` / ``decoder.onnx``, or
    with ``int8`` their optional CPU copies ``encoder.int8.onnx`` / ``decoder.int8.onnx``
    (``python -m train.quantize``)."""
    suffix = ".int8.onnx" if int8 else ".onnx"
    return os.path.join(folder, "encoder" + suffix), os.path.join(folder, "decoder" + suffix)


def load_model_files(folder: str, styles: bool = True) -> ModelFiles:
    """Reads and checks ``styles.json`` and the presence of both ONNX files in ``folder``.

    Args:
        styles: the style library is required (the mirror). Without it (training tools working on
            a freshly exported model, before ``python -m train.styles`` writes its library), the
            crop size and latent size come from ``specs.json`` when ``styles.json`` is absent (or,
            without either, from the model files when a backend opens them: None until then).

    Raises:
        MirrorError: naming the missing or broken file.
    """
    if not os.path.isdir(folder):
        raise MirrorError(f"engines folder not found: {folder}")
    path = os.path.join(folder, "styles.json")
    if not os.path.isfile(path) and not styles:
        files = ModelFiles(folder, *_specs_sizes(folder), {"styles": {}})
    elif not os.path.isfile(path):
        raise MirrorError(f"style library not found: {path}")
    else:
        try:
            with open(path) as f:
                library = json.load(f)
            size, latent_dim = int(library["size"]), int(library["latent_dim"])
            for name, style in library["styles"].items():
                if len(style["direction"]) != latent_dim:
                    raise ValueError(name)
        except (ValueError, KeyError, TypeError, json.JSONDecodeError):
            raise MirrorError(f"broken style library: {path}") from None
        files = ModelFiles(folder, size, latent_dim, library)
    for onnx_path in (files.encoder, files.decoder):
        if not os.path.isfile(onnx_path):
            raise MirrorError(f"model file not found: {onnx_path}")
    return files


def _specs_sizes(folder: str) -> tuple[int | None, int | None]:
    """(size, latent_dim) from the ``model`` part of ``specs.json`` in ``folder``; (None, None)
    without one."""
    path = os.path.join(folder, "specs.json")
    try:
        with open(path) as f:
            model = json.load(f)["model"]
        return int(model["size"]), int(model["latent_dim"])
    except FileNotFoundError:
        return None, None  # the backend reads them off the model files
    except (OSError, ValueError, KeyError, TypeError):
        raise MirrorError(f"broken model specs: {path}") from None


class Backend:
    """Runs the VAE. Every backend takes and returns float32 NumPy arrays of the same shapes.

    Images are (B, 3, S, S) float32, BGR, in [0, 1]; latents are (B, Z) float32. Any batch size
    is taken (a backend with a batch limit splits it). For (N, S, S, 3) uint8 crops use
    ``encode_crops`` / ``decode_crops`` below.

    Attributes:
        name: the registry name (``mirror.backends.BACKENDS``).
        size: S, the crop side the model works on.
        latent_dim: Z.
    """

    name = "backend"
    size: int
    latent_dim: int

    def posterior(self, images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(B, 3, S, S) images -> (mu, logvar), each (B, Z): the encoder's whole answer."""
        raise NotImplementedError

    def encode(self, images: np.ndarray) -> np.ndarray:
        """(B, 3, S, S) images -> (B, Z) posterior means."""
        return self.posterior(images)[0]

    def decode(self, latents: np.ndarray) -> np.ndarray:
        """(B, Z) latents -> (B, 3, S, S) images in [0, 1]."""
        raise NotImplementedError

    def close(self) -> None:
        pass

    def __enter__(self) -> "Backend":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


BATCH = 64  # crops per call in encode_crops / decode_crops: bounded memory for whole data sets


def crops_to_images(crops: np.ndarray) -> np.ndarray:
    """(N, S, S, 3) uint8 BGR crops -> (N, 3, S, S) float32 in [0, 1], the backends' input."""
    return np.ascontiguousarray(np.asarray(crops, np.float32).transpose(0, 3, 1, 2) / np.float32(255.0))


def images_to_crops(images: np.ndarray) -> np.ndarray:
    """(N, 3, S, S) float in [0, 1] -> (N, S, S, 3) uint8 BGR crops (rounded)."""
    return np.clip(np.transpose(images, (0, 2, 3, 1)) * 255 + 0.5, 0, 255).astype(np.uint8)


def encode_crops(backend: Backend, crops, batch: int = BATCH) -> tuple[np.ndarray, np.ndarray]:
    """(N, S, S, 3) uint8 BGR crops (anything sliceable) -> (mu, logvar), each (N, Z) float32,
    ``batch`` crops at a time."""
    parts = [backend.posterior(crops_to_images(crops[start:start + batch])) for start in range(0, len(crops), batch)]
    if not parts:
        return np.zeros((0, backend.latent_dim), np.float32), np.zeros((0, backend.latent_dim), np.float32)
    return (np.concatenate([p[0] for p in parts]).astype(np.float32),
            np.concatenate([p[1] for p in parts]).astype(np.float32))


def decode_crops(backend: Backend, latents: np.ndarray, batch: int = BATCH) -> np.ndarray:
    """(..., Z) latents -> (..., S, S, 3) uint8 BGR crops, ``batch`` latents at a time."""
    latents = np.asarray(latents, np.float32)
    flat = latents.reshape(-1, latents.shape[-1])
    out = [images_to_crops(backend.decode(flat[start:start + batch])) for start in range(0, len(flat), batch)]
    crops = np.concatenate(out) if out else np.zeros((0, backend.size, backend.size, 3), np.uint8)
    return crops.reshape(*latents.shape[:-1], *crops.shape[1:])
