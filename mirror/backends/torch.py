"""PyTorch eager backend, from a training run's folder (specs.json + weights)."""
from __future__ import annotations

import os

import numpy as np

from mirror.backends.base import Backend, ModelFiles
from mirror.errors import MirrorError


class TorchBackend(Backend):
    """The training code's own model, run eagerly on the CPU (or CUDA where present).

    Args:
        model: the shipped model's files; its ``torch/`` folder is used unless ``run`` is given.
        run: a training-run folder written by ``python -m train``.
        threads: torch intra-op threads (default: the machine's cores).
    """

    name = "torch"

    def __init__(self, model: ModelFiles, run: str | None = None, threads: int | None = None):
        import torch

        from train.models import load_model

        run = run or model.torch_run
        if not os.path.isdir(run):
            raise MirrorError(f"no PyTorch run folder at {run}")
        torch.set_num_threads(threads or os.cpu_count() or 1)
        self._torch = torch
        self._device = "cuda" if torch.cuda.is_available() else "cpu"
        self._model = load_model(run).to(self._device).eval()

    def encode(self, crops: np.ndarray) -> np.ndarray:
        with self._torch.inference_mode():
            x = self._torch.from_numpy(np.ascontiguousarray(crops, np.float32)).to(self._device)
            mu = self._model.encoder(x)[0]
        return mu.cpu().numpy()

    def decode(self, latents: np.ndarray) -> np.ndarray:
        with self._torch.inference_mode():
            z = self._torch.from_numpy(np.ascontiguousarray(latents, np.float32)).to(self._device)
            return self._model.decoder(z).cpu().numpy()
