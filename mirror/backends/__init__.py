"""Model backends behind one interface, and the factory that picks one.

    backend, reason = create_backend("auto", load_model_files("engines"))
"""
from __future__ import annotations

import logging
from typing import Callable

from mirror.backends.base import Backend, ModelFiles, load_model_files
from mirror.errors import BrokenModel, MirrorError

log = logging.getLogger(__name__)


def _tensorrt(model: ModelFiles, run: str | None) -> Backend:
    from mirror.backends.tensorrt import TensorRTBackend

    return TensorRTBackend(model)


def _onnxruntime_cuda(model: ModelFiles, run: str | None) -> Backend:
    from mirror.backends.onnxruntime import OnnxRuntimeBackend, cuda_available

    if not cuda_available():
        raise MirrorError("ONNX Runtime has no CUDA provider here (install onnxruntime-gpu on a GPU machine)")
    return OnnxRuntimeBackend(model, cuda=True)


def _onnxruntime_int8(model: ModelFiles, run: str | None) -> Backend:
    from mirror.backends.onnxruntime import OnnxRuntimeBackend

    return OnnxRuntimeBackend(model, int8=True)


def _onnxruntime(model: ModelFiles, run: str | None) -> Backend:
    from mirror.backends.onnxruntime import OnnxRuntimeBackend

    return OnnxRuntimeBackend(model)


def _torch(model: ModelFiles, run: str | None) -> Backend:
    from mirror.backends.torch import TorchBackend

    return TorchBackend(model, run)


# In the order ``auto`` tries them: fastest first.
BACKENDS: dict[str, Callable[[ModelFiles, str | None], Backend]] = {
    "tensorrt": _tensorrt,
    "onnxruntime-cuda": _onnxruntime_cuda,
    "onnxruntime-int8": _onnxruntime_int8,
    "onnxruntime": _onnxruntime,
    "torch": _torch,
}
CHOICES = ("auto", *BACKENDS)


def create_backend(name: str, model: ModelFiles, run: str | None = None) -> tuple[Backend, str]:
    """Builds a backend by name; ``auto`` takes the first that works, in ``BACKENDS`` order.

    Returns:
        (backend, reason): the reason says why this one was picked (and why others were not).

    Raises:
        MirrorError: for an unknown name, or when the named backend (or every one) fails.
    """
    if name != "auto":
        if name not in BACKENDS:
            raise MirrorError(f"unknown backend {name!r}: choose from {', '.join(CHOICES)}")
        return BACKENDS[name](model, run), f"{name} (asked for)"
    skipped = []
    for candidate, make in BACKENDS.items():
        try:
            backend = make(model, run)
        except BrokenModel:
            raise  # a broken model file is the user's problem to fix, not a reason to fall back
        except MirrorError as error:
            skipped.append(f"{candidate}: {error}")
            continue
        reason = f"{candidate} (auto: first available" + (f"; skipped {'; '.join(skipped)})" if skipped else ")")
        log.info("backend: %s", reason)
        return backend, reason
    raise MirrorError("no backend could run the model: " + "; ".join(skipped))


__all__ = ["BACKENDS", "CHOICES", "Backend", "ModelFiles", "create_backend", "load_model_files"]
