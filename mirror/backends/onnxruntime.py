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
        paths = onnx_paths(model.folder, int8)
        if int8 and not all(os.path.isfile(path) for path in paths):
            raise MirrorError(f"no INT8 model in {model.folder} (make one: python -m train.quantize)")
        self.name = "onnxruntime-cuda" if cuda else "onnxruntime-int8" if int8 else "onnxruntime"
        self._settings = (model, cuda, int8)
        self._encoder = open_session(paths[0], threads, cuda)
        self._decoder = open_session(paths[1], threads, cuda)
        if model.size is None:  # a bare export: the files say what they take
            model = ModelFiles(model.folder, int(self._encoder.get_inputs()[0].shape[-1]),
                               int(self._decoder.get_inputs()[0].shape[-1]), model.styles)
        _check_shapes(model, paths, self._encoder, self._decoder)
        self.size, self.latent_dim = model.size, model.latent_dim
        self._encoder_input = self._encoder.get_inputs()[0].name
        self._decoder_input = self._decoder.get_inputs()[0].name
        outputs = [o.name for o in self._encoder.get_outputs()]
        self._outputs = ["mu", "logvar"] if "logvar" in outputs else ["mu"]

    def with_threads(self, threads: int) -> "OnnxRuntimeBackend":
        """The same model and provider in new sessions with ``threads`` intra-op threads."""
        model, cuda, int8 = self._settings
        return OnnxRuntimeBackend(model, cuda=cuda, threads=threads, int8=int8)

    def posterior(self, images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if len(self._outputs) == 1:
            raise MirrorError("this encoder has no logvar output (an old export): use encode()")
        mu, logvar = _chunked(lambda x: self._encoder.run(self._outputs, {self._encoder_input: x}), images)
        return mu, logvar

    def encode(self, images: np.ndarray) -> np.ndarray:
        return _chunked(lambda x: self._encoder.run(["mu"], {self._encoder_input: x}), images)[0]

    def decode(self, latents: np.ndarray) -> np.ndarray:
        return _chunked(lambda z: self._decoder.run(None, {self._decoder_input: z}), latents)[0]


MAX_RUN_BATCH = 256  # larger inputs run in chunks: a whole data set at once would hold GBs of activations


def _chunked(run, array: np.ndarray) -> list[np.ndarray]:
    """``run``'s outputs for ``array`` as float32, ``MAX_RUN_BATCH`` rows at a time."""
    array = np.ascontiguousarray(array, np.float32)
    if len(array) <= MAX_RUN_BATCH:
        return run(array)
    parts = [run(array[i:i + MAX_RUN_BATCH]) for i in range(0, len(array), MAX_RUN_BATCH)]
    return [np.concatenate([p[k] for p in parts]) for k in range(len(parts[0]))]


def open_session(path: str, threads: int | None = None, cuda: bool = False):
    """An ONNX Runtime session as the mirror makes them; BrokenModel for a damaged file.

    Args:
        threads: intra-op threads (default: the machine's cores); spinning is off, so sessions
            run back to back (encoder, decoder) do not fight for the cores.
        cuda: the CUDA execution provider first (CPU otherwise).
    """
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads or os.cpu_count() or 1
    options.inter_op_num_threads = 1
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.log_severity_level = 3
    providers = ["CUDAExecutionProvider", "CPUExecutionProvider"] if cuda else ["CPUExecutionProvider"]
    if not os.path.isfile(path):
        raise MirrorError(f"model file not found: {path}")
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
