"""TensorRT backend, for machines with an NVIDIA GPU: written for both the TensorRT 10 and the
TensorRT 11 Python API.

UNTESTED on the project's machines: TensorRT cannot be installed there (no GPU, and its wheels
download from NVIDIA's own index). What surrounds it is tested with a stand-in ``tensorrt``
module (tests/test_backends.py): which API path is taken on 10 and on 11, the cache key, the
input checks, and that ``auto`` falls back when any of it fails.

Engines are built from the shipped ONNX files on first use (``build_serialized_network``) and
cached under ``engines/trt/`` (git-ignored), keyed by ONNX hash + TensorRT version + GPU name +
precision + optimisation profile, so a new model, TensorRT, GPU or batch limit rebuilds them.
They run with ``set_tensor_address`` and ``execute_async_v3`` on torch CUDA tensors.

Where the two APIs differ:
    - precision: TensorRT 10 builds a weakly typed network and ``BuilderFlag.FP16`` lets it pick
      FP16 kernels. TensorRT 11 removed that flag (and every precision flag): networks are always
      strongly typed, each tensor keeps the ONNX file's type. The shipped ONNX files are FP32, so
      on TensorRT 11 the engine is FP32 (an FP16 engine would need an FP16 ONNX file, made with
      NVIDIA ModelOpt's AutoCast), and its cache key says ``fp32``.
    - network flags: ``EXPLICIT_BATCH`` is the default since 10 and gone in 11: no flag is passed.
"""
from __future__ import annotations

import hashlib
import logging
import os
import re

import numpy as np

from mirror.backends.base import Backend, ModelFiles
from mirror.errors import MirrorError

log = logging.getLogger(__name__)

# The optimisation profile: (smallest, most frequent, largest) batch the engines take. The mirror
# encodes one crop and decodes two latents (plain and edited) a frame; larger batches are split.
PROFILE = (1, 2, 4)
WORKSPACE_BYTES = 1 << 30
PRECISIONS = ("fp32", "fp16")


def available() -> tuple[bool, str]:
    """(usable, reason): TensorRT importable and a CUDA GPU visible to torch."""
    try:
        import tensorrt
    except ImportError:
        return False, "TensorRT is not installed"
    import torch

    if not torch.cuda.is_available():
        return False, "no CUDA GPU"
    return True, f"TensorRT {tensorrt.__version__} on {torch.cuda.get_device_name(0)}"


def file_hash(path: str) -> str:
    """First 16 hex digits of the SHA-256 of a file."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()[:16]


def cache_path(onnx_path: str, trt_version: str, gpu_name: str, precision: str,
               profile: tuple[int, int, int] = PROFILE, cache_dir: str | None = None) -> str:
    """Where the engine built from ``onnx_path`` for this TensorRT, GPU, precision and
    optimisation profile (min, opt, max batch) lives."""
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be fp32 or fp16, got {precision}")
    low, opt, high = profile
    if not 1 <= low <= opt <= high:
        raise ValueError(f"profile must be (min, opt, max) batch sizes with 1 <= min <= opt <= max, got {profile}")
    gpu = re.sub(r"[^A-Za-z0-9]+", "-", gpu_name).strip("-").lower()
    stem = os.path.splitext(os.path.basename(onnx_path))[0]
    key = f"{stem}-{file_hash(onnx_path)}-trt{trt_version}-{gpu}-{precision}-b{low}-{opt}-{high}.engine"
    return os.path.join(cache_dir or os.path.join(os.path.dirname(onnx_path), "trt"), key)


def build_plan(trt, precision: str) -> tuple[int, bool, str]:
    """How to build on this TensorRT: (network creation flags, set ``BuilderFlag.FP16``, the
    precision the engine will have).

    TensorRT 10 has ``BuilderFlag.FP16`` (weak typing); TensorRT 11 does not (strong typing
    always, the ONNX file's FP32 types).
    """
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be fp32 or fp16, got {precision}")
    fp16_flag = hasattr(getattr(trt, "BuilderFlag", None), "FP16")
    if precision == "fp16" and not fp16_flag:
        log.info("TensorRT %s builds strongly typed networks only: FP32 engines from the FP32 ONNX files",
                 getattr(trt, "__version__", "?"))
        return 0, False, "fp32"
    return 0, precision == "fp16", precision


class _Engine:
    """One deserialized engine with its execution context and I/O names. Holds the runtime that
    deserialized it: TensorRT requires the runtime to outlive its engines."""

    def __init__(self, trt, runtime, serialized: bytes, path: str, expected: tuple[int, ...]):
        self.runtime = runtime
        self.engine = runtime.deserialize_cuda_engine(serialized)
        if self.engine is None:
            raise MirrorError(f"TensorRT could not load {path}: delete it to rebuild")
        names = [self.engine.get_tensor_name(i) for i in range(self.engine.num_io_tensors)]
        inputs = [n for n in names if self.engine.get_tensor_mode(n) == trt.TensorIOMode.INPUT]
        self.outputs = [n for n in names if self.engine.get_tensor_mode(n) == trt.TensorIOMode.OUTPUT]
        if len(inputs) != 1 or not self.outputs:
            raise MirrorError(f"{path}: expected one input and some outputs, got {inputs} -> {self.outputs}")
        self.input = inputs[0]
        shape = tuple(self.engine.get_tensor_shape(self.input))
        if shape[1:] != expected:
            raise MirrorError(f"{path} takes {shape}, expected (B, {', '.join(map(str, expected))})")
        self.item_shape = expected
        self.max_batch = int(self.engine.get_tensor_profile_shape(self.input, 0)[2][0])
        self.context = self.engine.create_execution_context()


class TensorRTBackend(Backend):
    """Encoder and decoder as TensorRT engines, run on torch CUDA tensors.

    Args:
        model: the shipped model's files.
        precision: ``fp16`` (default; FP32 on TensorRT 11, see the module docstring) or ``fp32``.
        cache_dir: where built engines are cached (default: ``<engines>/trt``).
        profile: (min, opt, max) batch of the optimisation profile; larger batches are split.
    """

    name = "tensorrt"

    def __init__(self, model: ModelFiles, precision: str = "fp16", cache_dir: str | None = None,
                 profile: tuple[int, int, int] = PROFILE):
        usable, reason = available()
        if not usable:
            raise MirrorError(f"the TensorRT backend needs TensorRT and a CUDA GPU: {reason}")
        import tensorrt as trt
        import torch

        self._trt, self._torch = trt, torch
        self.size, self.latent_dim = model.size, model.latent_dim
        self._profile = profile
        self._flags, self._fp16, self.precision = build_plan(trt, precision)
        self._logger = trt.Logger(trt.Logger.WARNING)
        self._runtime = trt.Runtime(self._logger)  # outlives the engines (they are its children)
        self._stream = torch.cuda.Stream()
        gpu = torch.cuda.get_device_name(0)
        self._encoder, self._decoder = (
            self._load(path, cache_path(path, trt.__version__, gpu, self.precision, profile, cache_dir), expected)
            for path, expected in ((model.encoder, (3, model.size, model.size)), (model.decoder, (model.latent_dim,))))
        if "mu" not in self._encoder.outputs:
            raise MirrorError(f"{model.encoder}: no output named mu (outputs {self._encoder.outputs})")

    def _load(self, onnx_path: str, engine_path: str, expected: tuple[int, ...]) -> _Engine:
        if os.path.isfile(engine_path):
            with open(engine_path, "rb") as f:
                serialized = f.read()
        else:
            log.info("building TensorRT engine %s (once per model, GPU, TensorRT version and profile)", engine_path)
            serialized = self._build(onnx_path)
            os.makedirs(os.path.dirname(engine_path), exist_ok=True)
            with open(engine_path, "wb") as f:
                f.write(serialized)
        return _Engine(self._trt, self._runtime, serialized, engine_path, expected)

    def _build(self, onnx_path: str) -> bytes:
        trt = self._trt
        builder = trt.Builder(self._logger)
        network = builder.create_network(self._flags)
        parser = trt.OnnxParser(network, self._logger)
        with open(onnx_path, "rb") as f:
            if not parser.parse(f.read()):
                errors = "; ".join(str(parser.get_error(i)) for i in range(parser.num_errors))
                raise MirrorError(f"TensorRT cannot parse {onnx_path}: {errors}")
        config = builder.create_builder_config()
        config.set_memory_pool_limit(trt.MemoryPoolType.WORKSPACE, WORKSPACE_BYTES)
        if self._fp16:
            config.set_flag(trt.BuilderFlag.FP16)
        profile = builder.create_optimization_profile()
        for i in range(network.num_inputs):
            tensor = network.get_input(i)
            shape = tuple(tensor.shape)[1:]
            low, opt, high = self._profile
            profile.set_shape(tensor.name, (low, *shape), (opt, *shape), (high, *shape))
        config.add_optimization_profile(profile)
        serialized = builder.build_serialized_network(network, config)
        if serialized is None:
            raise MirrorError(f"TensorRT failed to build an engine from {onnx_path}")
        return bytes(serialized)

    def _run(self, engine: _Engine, array: np.ndarray) -> dict[str, np.ndarray]:
        """All outputs of ``engine`` for a (B, ...) array, in chunks of its largest batch."""
        array = np.ascontiguousarray(array, np.float32)
        if array.ndim != 1 + len(engine.item_shape) or array.shape[1:] != engine.item_shape:
            raise ValueError(f"the TensorRT {engine.input!r} input takes (B, "
                             f"{', '.join(map(str, engine.item_shape))}) float32, got {array.shape}")
        parts = [self._run_batch(engine, array[i:i + engine.max_batch])
                 for i in range(0, len(array), engine.max_batch)]
        return {name: np.concatenate([p[name] for p in parts]) for name in engine.outputs}

    def _run_batch(self, engine: _Engine, array: np.ndarray) -> dict[str, np.ndarray]:
        torch = self._torch
        context = engine.context
        x = torch.from_numpy(array).cuda()
        context.set_input_shape(engine.input, tuple(x.shape))
        context.set_tensor_address(engine.input, x.data_ptr())
        results = {}
        for name in engine.outputs:
            results[name] = torch.empty(tuple(context.get_tensor_shape(name)), dtype=torch.float32, device="cuda")
            context.set_tensor_address(name, results[name].data_ptr())
        if not context.execute_async_v3(self._stream.cuda_stream):
            raise MirrorError("TensorRT inference failed")
        self._stream.synchronize()
        return {name: tensor.cpu().numpy() for name, tensor in results.items()}

    def posterior(self, images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        outputs = self._run(self._encoder, images)
        if "logvar" not in outputs:
            raise MirrorError("this encoder has no logvar output (an old export): use encode()")
        return outputs["mu"], outputs["logvar"]

    def encode(self, images: np.ndarray) -> np.ndarray:
        return self._run(self._encoder, images)["mu"]

    def decode(self, latents: np.ndarray) -> np.ndarray:
        outputs = self._run(self._decoder, latents)
        return outputs["image"] if "image" in outputs else outputs[self._decoder.outputs[0]]
