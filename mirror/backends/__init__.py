"""Model backends behind one interface, and the factories that make one.

    backend, reason = create_backend("auto", load_model_files("engines"))   # the mirror
    backend = open_backend("runs/vae128")       # training tools: a run folder (PyTorch) or ONNX files
    mu, logvar = encode_crops(backend, crops)   # (N, S, S, 3) uint8 BGR -> (N, Z) each
"""
from __future__ import annotations

import logging
import os
from typing import Callable

from mirror.backends.base import Backend, ModelFiles, decode_crops, encode_crops, load_model_files
from mirror.errors import BrokenModel, MirrorError

__all__ = ["BACKENDS", "CHOICES", "Backend", "ModelFiles", "create_backend", "decode_crops", "encode_crops",
           "load_model_files", "open_backend"]

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

    ``auto`` moves on past a backend that fails in any way while it is built (a library missing,
    an API that changed between versions, a CUDA error), logging why; only a broken model file
    stops it, since every backend would fail on that.

    Returns:
        (backend, reason): the reason says why this one was picked (and why others were not).

    Raises:
        MirrorError: for an unknown name, or when the named backend (or every one) fails.
    """
    if name != "auto":
        if name not in BACKENDS:
            raise MirrorError(f"unknown backend {name!r}: choose from {', '.join(CHOICES)}")
        try:
            return BACKENDS[name](model, run), f"{name} (asked for)"
        except MirrorError:
            raise
        except Exception as error:  # noqa: BLE001 - any library failure is one clear line
            raise MirrorError(f"the {name} backend failed to start: {_describe(error)}") from error
    skipped = []
    for candidate, make in BACKENDS.items():
        try:
            backend = make(model, run)
        except BrokenModel:
            raise  # a broken model file is the user's problem to fix, not a reason to fall back
        except MirrorError as error:
            skipped.append(f"{candidate}: {error}")
            continue
        except Exception as error:  # noqa: BLE001 - e.g. AttributeError from a changed API, a CUDA error
            log.warning("backend %s failed to start, trying the next one: %s", candidate, _describe(error))
            skipped.append(f"{candidate}: failed ({_describe(error)})")
            continue
        reason = f"{candidate} (auto: first available" + (f"; skipped {'; '.join(skipped)})" if skipped else ")")
        log.info("backend: %s", reason)
        return backend, reason
    raise MirrorError("no backend could run the model: " + "; ".join(skipped))


def _describe(error: BaseException) -> str:
    text = str(error).strip().splitlines()[0][:200] if str(error).strip() else ""
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def open_backend(path: str, name: str = "onnxruntime", threads: int | None = None) -> Backend:
    """A backend for the training tools: ONNX files (``encoder.onnx`` + ``decoder.onnx``, no style
    library needed) on ``name`` (``onnxruntime``, ``onnxruntime-int8``, ``torch``...), or a
    training run folder (``model.pt`` + ``specs.json``) on PyTorch.

    Raises:
        MirrorError: the folder holds neither, or the backend cannot run it.
    """
    if os.path.isfile(os.path.join(path, "encoder.onnx")):
        model = load_model_files(path, styles=False)
        if threads is not None and name.startswith("onnxruntime") and name != "onnxruntime-cuda":
            from mirror.backends.onnxruntime import OnnxRuntimeBackend

            return OnnxRuntimeBackend(model, threads=threads, int8=name == "onnxruntime-int8")
        return create_backend(name, model)[0]
    if os.path.isfile(os.path.join(path, "model.pt")):
        from mirror.backends.torch import TorchBackend

        return TorchBackend(None, run=path, threads=threads)
    raise MirrorError(f"{path} holds neither encoder.onnx + decoder.onnx nor a run (model.pt)")
