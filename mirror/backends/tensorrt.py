"""TensorRT backend (TensorRT 10+ API), for machines with an NVIDIA GPU.

UNTESTED on the project's machines: TensorRT cannot be installed there (no GPU, and its wheels
download from NVIDIA's own index). Everything around it is tested: the cache key and path, and
the fallback when TensorRT is absent. Engines are built from the shipped ONNX files on first use
and cached under ``engines/trt/`` (git-ignored), keyed by ONNX hash + TensorRT version + GPU name
+ precision, so a new model, TensorRT or GPU rebuilds them.
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

MAX_BATCH = 4
WORKSPACE_BYTES = 1 << 30


def available() -> tuple[bool, str]:
    """(usable, reason): TensorRT importable and a CUDA GPU visible to torch."""
    try:
        import tensorrt  # noqa: F401
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
               cache_dir: str | None = None) -> str:
    """Where the engine built from ``onnx_path`` for this TensorRT, GPU and precision lives."""
    if precision not in ("fp32", "fp16"):
        raise ValueError(f"precision must be fp32 or fp16, got {precision}")
    gpu = re.sub(r"[^A-Za-z0-9]+", "-", gpu_name).strip("-").lower()
    stem = os.path.splitext(os.path.basename(onnx_path))[0]
    key = f"{stem}-{file_hash(onnx_path)}-trt{trt_version}-{gpu}-{precision}.engine"
    return os.path.join(cache_dir or os.path.join(os.path.dirname(onnx_path), "trt"), key)


class TensorRTBackend(Backend):
    """Encoder and decoder as TensorRT engines, run on torch CUDA tensors.

    Args:
        model: the shipped model's files.
        precision: ``fp16`` (default) or ``fp32``.
        cache_dir: where built engines are cached (default: ``<engines>/trt``).
    """

    name = "tensorrt"

    def __init__(self, model: ModelFiles, precision: str = "fp16", cache_dir: str | None = None):
        usable, reason = available()
        if not usable:
            raise MirrorError(f"the TensorRT backend needs TensorRT and a CUDA GPU: {reason}")
        import tensorrt as trt
        import torch

        self._trt, self._torch = trt, torch
        self._logger = trt.Logger(trt.Logger.WARNING)
        self._stream = torch.cuda.Stream()
        gpu = torch.cuda.get_device_name(0)
        self._encoder = self._load(model.encoder, cache_path(model.encoder, trt.__version__, gpu,
                                                             precision, cache_dir), precision)
        self._decoder = self._load(model.decoder, cache_path(model.decoder, trt.__version__, gpu,
                                                             precision, cache_dir), precision)

    def _load(self, onnx_path: str, engine_path: str, precision: str):
        trt = self._trt
        if os.path.isfile(engine_path):
            with open(engine_path, "rb") as f:
                serialized = f.read()
        else:
            log.info("building TensorRT engine %s (once per model, GPU and TensorRT version)", engine_path)
            serialized = self._build(onnx_path, precision)
            os.makedirs(os.path.dirname(engine_path), exist_ok=True)
            with open(engine_path, "wb") as f:
                f.write(serialized)
        engine = trt.Runtime(self._logger).deserialize_cuda_engine(serialized)
        if engine is None:
            raise MirrorError(f"TensorRT could not load {engine_path}: delete it to rebuild")
        names = [engine.get_tensor_name(i) for i in range(engine.num_io_tensors)]
        inputs = [n for n in names if engine.get_tensor_mode(n) == trt.TensorIOMode.INPUT]
        outputs = [n for n in names if engine.get_tensor_mode(n) == trt.TensorIOMode.OUTPUT]
        return engine, engine.create_execution_context(), inputs[0], outputs

    def _build(self, onnx_path: str, precision: str) -> bytes:
        trt = self._trt
        builder = trt.Builder(self._logger)
        network = builder.create_network(0)
        parser = trt.OnnxParser(network, self._logger)
        with open(onnx_path, "rb") as f:
            if not parser.parse(f.read()):
                errors = "; ".join(str(parser.get_error(i)) for i in range(parser.num_errors))
                raise MirrorError(f"TensorRT cannot parse {onnx_path}: {errors}")
        config = builder.create_builder_config()
        config.set_memory_pool_limit(trt.MemoryPoolType.WORKSPACE, WORKSPACE_BYTES)
        if precision == "fp16":
            config.set_flag(trt.BuilderFlag.FP16)
        profile = builder.create_optimization_profile()
        for i in range(network.num_inputs):
            tensor = network.get_input(i)
            shape = tuple(tensor.shape)[1:]
            profile.set_shape(tensor.name, (1, *shape), (2, *shape), (MAX_BATCH, *shape))
        config.add_optimization_profile(profile)
        serialized = builder.build_serialized_network(network, config)
        if serialized is None:
            raise MirrorError(f"TensorRT failed to build an engine from {onnx_path}")
        return bytes(serialized)

    def _run(self, bundle, array: np.ndarray) -> np.ndarray:
        torch = self._torch
        engine, context, input_name, outputs = bundle
        x = torch.from_numpy(np.ascontiguousarray(array, np.float32)).cuda()
        context.set_input_shape(input_name, tuple(x.shape))
        context.set_tensor_address(input_name, x.data_ptr())
        results = {}
        for name in outputs:
            results[name] = torch.empty(tuple(context.get_tensor_shape(name)), dtype=torch.float32,
                                        device="cuda")
            context.set_tensor_address(name, results[name].data_ptr())
        if not context.execute_async_v3(self._stream.cuda_stream):
            raise MirrorError("TensorRT inference failed")
        self._stream.synchronize()
        first = "mu" if "mu" in results else outputs[0]
        return results[first].cpu().numpy()

    def encode(self, crops: np.ndarray) -> np.ndarray:
        return self._run(self._encoder, crops)

    def decode(self, latents: np.ndarray) -> np.ndarray:
        return self._run(self._decoder, latents)
