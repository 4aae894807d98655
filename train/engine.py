"""Encode / decode with either the shipped ONNX files or a run's PyTorch checkpoint, one interface.

    engine = open_engine("engines")          # encoder.onnx + decoder.onnx (+ specs.json)
    engine = open_engine("runs/vae128")      # specs.json + model.pt
    mu, logvar = engine.encode_crops(crops)  # crops (N, S, S, 3) uint8 BGR -> (N, Z) float32 each
    images = engine.decode(z)                # (N, Z) -> (N, 3, S, S) float32 BGR in [0, 1]
"""
from __future__ import annotations

import json
import os

import numpy as np

from mirror.errors import MirrorError

BATCH = 256


class Engine:
    size: int
    latent_dim: int
    specs: dict

    def _encode(self, images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        raise NotImplementedError

    def _decode(self, z: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def encode(self, images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(N, 3, S, S) float32 in [0, 1] -> (mu, logvar), each (N, Z) float32."""
        parts = [self._encode(np.ascontiguousarray(images[i:i + BATCH], np.float32))
                 for i in range(0, len(images), BATCH)]
        return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])

    def encode_crops(self, crops: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(N, S, S, 3) uint8 BGR -> (mu, logvar), each (N, Z) float32."""
        mus, logvars = [], []
        for i in range(0, len(crops), BATCH):
            images = np.transpose(crops[i:i + BATCH], (0, 3, 1, 2)).astype(np.float32) / 255
            mu, logvar = self._encode(np.ascontiguousarray(images))
            mus.append(mu)
            logvars.append(logvar)
        return np.concatenate(mus), np.concatenate(logvars)

    def decode(self, z: np.ndarray) -> np.ndarray:
        """(N, Z) -> (N, 3, S, S) float32 in [0, 1]."""
        z = np.asarray(z, np.float32)
        return np.concatenate([self._decode(np.ascontiguousarray(z[i:i + BATCH]))
                               for i in range(0, len(z), BATCH)])

    def specs_summary(self) -> dict:
        keys = ("size", "latent_dim", "width", "max_width", "blocks", "loss", "rec_dist", "beta",
                "hair_weight", "epochs", "batch_size", "lr")
        model = self.specs.get("model", {})
        return {k: self.specs.get(k, model.get(k)) for k in keys if k in self.specs or k in model}


class OnnxEngine(Engine):
    """encoder.onnx + decoder.onnx in a folder (or with ``int8`` their ``train.quantize``
    copies, encoder.int8.onnx + decoder.int8.onnx), on ONNX Runtime CPU."""

    def __init__(self, folder: str, threads: int = 2, int8: bool = False):
        from mirror.backends.base import onnx_paths
        from train.export import session

        encoder, decoder = onnx_paths(folder, int8)
        self.encoder = session(encoder, threads)
        self.decoder = session(decoder, threads)
        self.size = int(self.encoder.get_inputs()[0].shape[-1])
        self.latent_dim = int(self.decoder.get_inputs()[0].shape[-1])
        self.specs = {}
        path = os.path.join(folder, "specs.json")
        if os.path.isfile(path):
            with open(path) as f:
                self.specs = json.load(f)

    def _encode(self, images):
        mu, logvar = self.encoder.run(["mu", "logvar"], {"image": images})
        return mu, logvar

    def _decode(self, z):
        return self.decoder.run(["image"], {"z": z})[0]


class TorchEngine(Engine):
    """A run folder's checkpoint in PyTorch."""

    def __init__(self, run_dir: str):
        import torch

        from train.models import load_model, read_specs

        self.torch = torch
        self.model = load_model(run_dir)
        self.specs = read_specs(run_dir)
        self.size, self.latent_dim = self.model.size, self.model.latent_dim

    def _encode(self, images):
        with self.torch.no_grad():
            mu, logvar = self.model.encoder(self.torch.from_numpy(images))
        return mu.numpy(), logvar.numpy()

    def _decode(self, z):
        with self.torch.no_grad():
            return self.model.decoder(self.torch.from_numpy(z)).numpy()


def open_engine(path: str, int8: bool = False) -> Engine:
    """An OnnxEngine if ``path`` holds encoder.onnx (its INT8 copies with ``int8``), else a
    TorchEngine for a run folder."""
    if os.path.isfile(os.path.join(path, "encoder.onnx")):
        return OnnxEngine(path, int8=int8)
    if int8:
        raise MirrorError(f"{path} holds no ONNX files to take INT8 copies of")
    if os.path.isfile(os.path.join(path, "model.pt")):
        return TorchEngine(path)
    raise MirrorError(f"{path} holds neither encoder.onnx + decoder.onnx nor a run (model.pt)")
