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
        size: crop side S the model works on.
        latent_dim: Z.
        styles: the parsed ``styles.json``.
    """

    folder: str
    size: int
    latent_dim: int
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


def onnx_paths(folder: str, int8: bool = False) -> tuple[str, str]:
    """(encoder, decoder) ONNX files in an engines folder: ``encoder.onnx`` / ``decoder.onnx``, or
    with ``int8`` their optional CPU copies ``encoder.int8.onnx`` / ``decoder.int8.onnx``
    (``python -m train.quantize``)."""
    suffix = ".int8.onnx" if int8 else ".onnx"
    return os.path.join(folder, "encoder" + suffix), os.path.join(folder, "decoder" + suffix)


def load_model_files(folder: str) -> ModelFiles:
    """Reads and checks ``styles.json`` and the presence of both ONNX files in ``folder``.

    Raises:
        MirrorError: naming the missing or broken file.
    """
    if not os.path.isdir(folder):
        raise MirrorError(f"engines folder not found: {folder}")
    path = os.path.join(folder, "styles.json")
    if not os.path.isfile(path):
        raise MirrorError(f"style library not found: {path}")
    try:
        with open(path) as f:
            styles = json.load(f)
        size, latent_dim = int(styles["size"]), int(styles["latent_dim"])
        for name, style in styles["styles"].items():
            if len(style["direction"]) != latent_dim:
                raise ValueError(name)
    except (ValueError, KeyError, TypeError, json.JSONDecodeError):
        raise MirrorError(f"broken style library: {path}") from None
    files = ModelFiles(folder, size, latent_dim, styles)
    for onnx_path in (files.encoder, files.decoder):
        if not os.path.isfile(onnx_path):
            raise MirrorError(f"model file not found: {onnx_path}")
    return files


class Backend:
    """Runs the VAE. Every backend takes and returns float32 NumPy arrays of the same shapes.

    Crops are (B, 3, S, S) float32, BGR, in [0, 1]; latents are (B, Z) float32.
    """

    name = "backend"

    def encode(self, crops: np.ndarray) -> np.ndarray:
        """(B, 3, S, S) crops -> (B, Z) posterior means."""
        raise NotImplementedError

    def decode(self, latents: np.ndarray) -> np.ndarray:
        """(B, Z) latents -> (B, 3, S, S) images in [0, 1]."""
        raise NotImplementedError

    def close(self) -> None:
        pass

    def __enter__(self) -> "Backend":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
