"""ONNX Runtime backend: CPU, or the CUDA provider where present."""
from __future__ import annotations

import logging
import os

import numpy as np

from mirror.backends.base import Backend, ModelFiles, onnx_paths
from mirror.errors import BrokenModel, MirrorError

log = logging.getLogger(__name__)


def cuda_available() -> bool:
    import onnxruntime

    return "CUDAExecutionProvider" in onnxruntime.get_available_providers()


class OnnxRuntimeBackend(Backend):
    """Encoder and decoder as two ONNX Runtime sessions.

    Args:
        model: the shipped model's files.
        cuda: use the CUDA execution provider (CPU otherwise).
        threads: intra-op threads per session (default: the machine's cores). Thread spinning is
            off: two sessions run back to back would otherwise fight for the cores.
        int8: run the INT8 copies (``encoder.int8.onnx``, ``decoder.int8.onnx``) on the CPU.
    """

    def __init__(self, model: ModelFiles, cuda: bool = False, threads: int | None = None, int8: bool = False):
        import onnxruntime

        paths = onnx_paths(model.folder, int8)
        if int8 and not all(os.path.isfile(path) for path in paths):
            raise MirrorError(f"no INT8 model in {model.folder} (make one: python -m train.quantize)")
        self.name = "onnxruntime-cuda" if cuda else "onnxruntime-int8" if int8 else "onnxruntime"
        self._settings = (model, cuda, int8)
        self._encoder = open_session(paths[0], threads, cuda)
        self._decoder = open_session(paths[1], threads, cuda)
        _check_shapes(model, paths, self._encoder, self._decoder)
        self._encoder_input = self._encoder.get_inputs()[0].name
        self._decoder_input = self._decoder.get_inputs()[0].name
        self._mu = [o.name for o in self._encoder.get_outputs()].index("mu")

    def with_threads(self, threads: int) -> "OnnxRuntimeBackend":
        """The same model and provider in new sessions with ``threads`` intra-op threads."""
        model, cuda, int8 = self._settings
        return OnnxRuntimeBackend(model, cuda=cuda, threads=threads, int8=int8)

    def encode(self, crops: np.ndarray) -> np.ndarray:
        outputs = self._encoder.run(None, {self._encoder_input: np.ascontiguousarray(crops, np.float32)})
        return outputs[self._mu]

    def decode(self, latents: np.ndarray) -> np.ndarray:
        return self._decoder.run(None, {self._decoder_input: np.ascontiguousarray(latents, np.float32)})[0]


def open_session(path: str, threads: int | None = None, cuda: bool = False):
    """An ONNX Runtime session of the model at ``path``: ``threads`` intra-op threads (default: the
    machine's cores) without spinning (sessions run back to back would otherwise fight for the
    cores), on the CUDA provider with ``cuda``.

    Raises:
        BrokenModel: if the file cannot be loaded.
    """
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads or os.cpu_count() or 1
    options.inter_op_num_threads = 1
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.log_severity_level = 3
    providers = ["CUDAExecutionProvider", "CPUExecutionProvider"] if cuda else ["CPUExecutionProvider"]
    try:
        return onnxruntime.InferenceSession(path, options, providers=providers)
    except Exception as error:  # ONNX Runtime raises several private exception types.
        first = str(error).strip().splitlines()[0][:160] if str(error).strip() else type(error).__name__
        raise BrokenModel(f"corrupt or unreadable model {path}: {first}") from None


def _check_shapes(model: ModelFiles, paths: tuple[str, str], encoder, decoder) -> None:
    """Raises BrokenModel when the ONNX files do not match styles.json's size and latent size."""
    image = encoder.get_inputs()[0].shape
    outputs = {o.name: o.shape for o in encoder.get_outputs()}
    latent = decoder.get_inputs()[0].shape
    if len(image) != 4 or image[1:] != [3, model.size, model.size] or "mu" not in outputs:
        raise BrokenModel(f"{paths[0]} takes {image}, expected (B, 3, {model.size}, {model.size})"
                          " with an output named mu")
    mu_dim = outputs["mu"][1] if len(outputs["mu"]) == 2 else None
    if len(latent) != 2 or latent[1] != model.latent_dim or (isinstance(mu_dim, int) and mu_dim != model.latent_dim):
        raise BrokenModel(f"{paths[1]} takes latents {latent}, expected (B, {model.latent_dim})")
