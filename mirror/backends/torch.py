"""PyTorch eager backend: the VAE (``mirror/edit/vae.py``) from a training run's folder, or rebuilt from
the shipped ONNX files (their weights carry the PyTorch parameter names) and specs.json."""
from __future__ import annotations

import json
import os

import numpy as np

from mirror.backends.base import Backend, ModelFiles
from mirror.errors import BrokenModel, MirrorError


def model_from_engines(model: ModelFiles):
    """The VAE rebuilt from ``specs.json`` with its weights read out of the ONNX files."""
    import onnx
    import torch
    from onnx import numpy_helper

    from mirror.edit.vae import model_from_specs

    path = os.path.join(model.folder, "specs.json")
    try:
        with open(path) as f:
            specs = json.load(f)
        vae = model_from_specs(specs["model"])
    except (OSError, KeyError, TypeError, ValueError) as error:
        raise MirrorError(f"the torch backend needs the model's specs.json: {path} ({error})") from None
    for part, onnx_path in (("encoder", model.encoder), ("decoder", model.decoder)):
        try:
            graph = onnx.load(onnx_path).graph
        except Exception:  # protobuf raises several private types on a damaged file
            raise BrokenModel(f"corrupt or unreadable model {onnx_path}") from None
        weights = {t.name.removeprefix(part + "."): numpy_helper.to_array(t) for t in graph.initializer}
        module = getattr(vae, part)
        missing = [name for name in module.state_dict() if name not in weights]
        if missing:
            raise MirrorError(f"{onnx_path} lacks the PyTorch weight {part}.{missing[0]}: use --run RUN_DIR")
        module.load_state_dict({name: torch.from_numpy(weights[name].copy()) for name in module.state_dict()})
    return vae


class TorchBackend(Backend):
    """The VAE run eagerly in PyTorch on the CPU (or CUDA where present).

    Args:
        model: the shipped model's files (the model is rebuilt from them unless ``run`` is given;
            None with a ``run``).
        run: a training-run folder written by ``python -m train`` (specs.json + model.pt).
        threads: torch intra-op threads (default: the machine's cores).
        device: ``cpu`` or ``cuda`` (default: CUDA where present).
    """

    name = "torch"

    def __init__(self, model: ModelFiles | None, run: str | None = None, threads: int | None = None,
                 device: str | None = None):
        import torch

        from mirror.edit.vae import load_model

        if model is None and run is None:
            raise ValueError("TorchBackend needs the model's files or a run folder")
        torch.set_num_threads(threads or os.cpu_count() or 1)
        self._torch = torch
        self._device = device or ("cuda" if torch.cuda.is_available() else "cpu")
        vae = load_model(run) if run else model_from_engines(model)
        self.size, self.latent_dim = vae.size, vae.latent_dim
        self._model = vae.to(self._device).eval()

    def posterior(self, images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        with self._torch.inference_mode():
            x = self._torch.from_numpy(np.ascontiguousarray(images, np.float32)).to(self._device)
            mu, logvar = self._model.encoder(x)
        return mu.cpu().numpy(), logvar.cpu().numpy()

    def decode(self, latents: np.ndarray) -> np.ndarray:
        with self._torch.inference_mode():
            z = self._torch.from_numpy(np.ascontiguousarray(latents, np.float32)).to(self._device)
            return self._model.decoder(z).cpu().numpy()
