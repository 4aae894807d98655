"""What surrounds the backends, down to the TensorRT code paths that cannot run here.

TensorRT cannot be installed on the project's machines (no GPU, NVIDIA's own package index), so
the TensorRT backend itself is UNTESTED: these tests drive its logic with stand-in ``tensorrt``
objects shaped like the TensorRT 10 and 11 Python APIs (which builder calls are made on each,
the cache key, the engines' input checks, batch splitting), and check that ``auto`` moves past
any failure while a backend starts.
"""
from __future__ import annotations

import os
import types

import numpy as np
import pytest

from conftest import ROOT
from mirror import backends
from mirror.backends import BACKENDS, create_backend, load_model_files
from mirror.backends.tensorrt import PROFILE, TensorRTBackend, _Engine, build_plan, cache_path
from mirror.errors import BrokenModel, MirrorError

ENGINES = os.environ.get("HAIR_MIRROR_ENGINES", os.path.join(ROOT, "engines"))


@pytest.fixture(scope="module")
def model():
    return load_model_files(ENGINES)


# --- auto: any failure while a backend starts is a reason to try the next one ----------------

@pytest.mark.parametrize("error", [AttributeError("type object 'BuilderFlag' has no attribute 'FP16'"),
                                   RuntimeError("CUDA error: no kernel image is available"),
                                   OSError("libnvinfer.so.11: cannot open shared object file")])
def test_auto_falls_back_past_any_failure_and_logs_why(model, monkeypatch, caplog, error):
    def broken(model, run):
        raise error

    monkeypatch.setitem(BACKENDS, "tensorrt", broken)
    with caplog.at_level("WARNING", logger="mirror.backends"):
        backend, reason = create_backend("auto", model)
    assert backend.name != "tensorrt"
    assert f"tensorrt: failed ({type(error).__name__}: {error})" in reason
    assert any("tensorrt failed to start" in r.getMessage() and type(error).__name__ in r.getMessage()
               for r in caplog.records)
    # Asked for by name, the same failure is one clear MirrorError, not a traceback.
    with pytest.raises(MirrorError, match=f"the tensorrt backend failed to start: {type(error).__name__}"):
        create_backend("tensorrt", model)


def test_auto_tries_the_backends_in_order_and_says_why_each_was_skipped(model, monkeypatch):
    """The rule, not this machine's answer: the first backend in BACKENDS order that starts is
    picked, and the reason names every one skipped before it, with its error."""
    calls = []
    names = list(BACKENDS)

    def failing(name):
        def make(model, run):
            calls.append(name)
            raise MirrorError(f"{name} is not here")
        return make

    for name in names[:-1]:
        monkeypatch.setitem(BACKENDS, name, failing(name))
    backend, reason = create_backend("auto", model)
    assert calls == names[:-1] and backend.name == names[-1]
    assert reason == f"{names[-1]} (auto: first available; skipped " + \
        "; ".join(f"{name}: {name} is not here" for name in names[:-1]) + ")"
    monkeypatch.setitem(BACKENDS, names[-1], failing(names[-1]))
    with pytest.raises(MirrorError, match="no backend could run the model: tensorrt: tensorrt is not here"):
        create_backend("auto", model)


def test_auto_stops_at_a_broken_model_file(model, monkeypatch):
    def broken(model, run):
        raise BrokenModel("corrupt or unreadable model decoder.onnx")

    monkeypatch.setitem(BACKENDS, "tensorrt", broken)
    with pytest.raises(BrokenModel, match="decoder.onnx"):
        create_backend("auto", model)


def test_open_backend_takes_engines_and_run_folders_and_says_what_else(tmp_path, model):
    backend = backends.open_backend(ENGINES)
    assert (backend.name, backend.size, backend.latent_dim) == ("onnxruntime", model.size, model.latent_dim)
    with pytest.raises(MirrorError, match="neither encoder.onnx"):
        backends.open_backend(str(tmp_path))


def test_encode_and_decode_crops_batch_and_keep_shapes(model):
    backend, _ = create_backend("onnxruntime", model)
    crops = np.random.default_rng(0).integers(0, 256, (5, model.size, model.size, 3), dtype=np.uint8)
    mu, logvar = backends.encode_crops(backend, crops, batch=2)
    assert mu.shape == logvar.shape == (5, model.latent_dim)
    np.testing.assert_allclose(mu, backend.encode(crops.transpose(0, 3, 1, 2) / np.float32(255)), atol=1e-5)
    out = backends.decode_crops(backend, np.stack([mu[:3], mu[2:]]), batch=4)
    assert out.shape == (2, 3, model.size, model.size, 3) and out.dtype == np.uint8


# --- TensorRT, with stand-ins for the TensorRT 10 and 11 APIs -------------------------------

class FakeTensor:
    def __init__(self, name, shape):
        self.name, self.shape = name, shape


class FakeNetwork:
    def __init__(self, inputs):
        self._inputs = inputs
        self.num_inputs = len(inputs)

    def get_input(self, i):
        return self._inputs[i]


class FakeBuilder:
    """Records what the backend asks of the builder."""

    def __init__(self, log, inputs):
        self.log, self.inputs = log, inputs

    def create_network(self, flags=0):
        self.log.append(("create_network", flags))
        return FakeNetwork(self.inputs)

    def create_builder_config(self):
        log = self.log

        class Config:
            def set_memory_pool_limit(self, pool, size):
                log.append(("workspace", size))

            def set_flag(self, flag):
                log.append(("set_flag", flag))

            def add_optimization_profile(self, profile):
                log.append(("profile", dict(profile.shapes)))

        return Config()

    def create_optimization_profile(self):
        class Profile:
            shapes = {}

            def set_shape(self, name, low, opt, high):
                self.shapes[name] = (low, opt, high)

        return Profile()

    def build_serialized_network(self, network, config):
        self.log.append(("build",))
        return b"engine bytes"


def fake_tensorrt(major: int, log: list, inputs) -> types.SimpleNamespace:
    """A ``tensorrt`` module shaped like TensorRT ``major`` (10 or 11) as far as the backend uses it."""
    flags = types.SimpleNamespace(**({"FP16": "FP16"} if major == 10 else {}))  # 11 removed every precision flag

    class Parser:
        num_errors = 0

        def __init__(self, network, logger):
            pass

        def parse(self, data):
            return True

    return types.SimpleNamespace(
        __version__=f"{major}.0.1", BuilderFlag=flags, Builder=lambda logger: FakeBuilder(log, inputs),
        OnnxParser=Parser, MemoryPoolType=types.SimpleNamespace(WORKSPACE="workspace"),
        TensorIOMode=types.SimpleNamespace(INPUT="in", OUTPUT="out"))


def builder_calls(major: int, precision: str, model, profile=PROFILE) -> tuple[list, str]:
    log = []
    inputs = [FakeTensor("image", (-1, 3, model.size, model.size))]
    trt = fake_tensorrt(major, log, inputs)
    backend = TensorRTBackend.__new__(TensorRTBackend)  # no GPU here: the build logic alone
    backend._trt, backend._logger, backend._profile = trt, None, profile
    backend._flags, backend._fp16, backend.precision = build_plan(trt, precision)
    assert backend._build(model.encoder) == b"engine bytes"
    return log, backend.precision


def test_tensorrt_10_builds_weakly_typed_with_the_fp16_flag(model):
    log, precision = builder_calls(10, "fp16", model)
    assert precision == "fp16" and ("set_flag", "FP16") in log and ("create_network", 0) in log
    shape = (3, model.size, model.size)
    assert ("profile", {"image": ((1, *shape), (2, *shape), (4, *shape))}) in log and log[-1] == ("build",)
    log, precision = builder_calls(10, "fp32", model)
    assert precision == "fp32" and not [c for c in log if c[0] == "set_flag"]


def test_tensorrt_11_builds_strongly_typed_without_the_removed_flag(model):
    """TensorRT 11 has no BuilderFlag.FP16: touching it would raise AttributeError. The engine is
    then FP32 (the ONNX files' own types), and its cache key says so."""
    log, precision = builder_calls(11, "fp16", model, profile=(1, 1, 8))
    assert precision == "fp32" and not [c for c in log if c[0] == "set_flag"]
    shape = (3, model.size, model.size)
    assert ("profile", {"image": ((1, *shape), (1, *shape), (8, *shape))}) in log
    with pytest.raises(ValueError, match="precision"):
        build_plan(fake_tensorrt(11, [], []), "int8")


def test_tensorrt_cache_key_holds_model_version_gpu_precision_and_profile(model, tmp_path):
    a = cache_path(model.encoder, "10.3.0", "NVIDIA GeForce RTX 4090", "fp16")
    assert a.startswith(os.path.join(ENGINES, "trt")) and a.endswith(".engine")
    assert "10.3.0" in a and "nvidia-geforce-rtx-4090" in a and "fp16" in a and "b1-2-4" in a
    for other in (cache_path(model.encoder, "11.0.0", "NVIDIA GeForce RTX 4090", "fp16"),
                  cache_path(model.encoder, "10.3.0", "NVIDIA A100", "fp16"),
                  cache_path(model.encoder, "10.3.0", "NVIDIA GeForce RTX 4090", "fp32"),
                  cache_path(model.encoder, "10.3.0", "NVIDIA GeForce RTX 4090", "fp16", profile=(1, 2, 8))):
        assert other != a
    copy = tmp_path / "encoder.onnx"
    copy.write_bytes(open(model.encoder, "rb").read() + b"\0")
    assert os.path.basename(cache_path(str(copy), "10.3.0", "x", "fp16")) != os.path.basename(a)
    with pytest.raises(ValueError, match="precision"):
        cache_path(model.encoder, "10.3.0", "x", "int4")
    with pytest.raises(ValueError, match="profile"):
        cache_path(model.encoder, "10.3.0", "x", "fp16", profile=(4, 2, 1))


class FakeEngine:
    """Its first tensor is the input."""

    def __init__(self, shapes: dict, max_batch: int):
        self._shapes, self._max = shapes, max_batch
        self.num_io_tensors = len(shapes)

    def get_tensor_name(self, i):
        return list(self._shapes)[i]

    def get_tensor_mode(self, name):
        return "in" if name == list(self._shapes)[0] else "out"

    def get_tensor_shape(self, name):
        return self._shapes[name]

    def get_tensor_profile_shape(self, name, profile):
        shape = self._shapes[name]
        return [(1, *shape[1:]), (2, *shape[1:]), (self._max, *shape[1:])]

    def create_execution_context(self):
        return object()


class FakeRuntime:
    def __init__(self, engine):
        self._engine = engine

    def deserialize_cuda_engine(self, data):
        return self._engine


def test_tensorrt_engine_keeps_its_runtime_and_checks_its_input_shape():
    trt = fake_tensorrt(10, [], [])
    runtime = FakeRuntime(FakeEngine({"image": (-1, 3, 128, 128), "mu": (-1, 16), "logvar": (-1, 16)}, 4))
    engine = _Engine(trt, runtime, b"x", "encoder.engine", (3, 128, 128))
    assert engine.runtime is runtime  # TensorRT needs the runtime alive as long as its engine
    assert (engine.input, engine.outputs, engine.max_batch) == ("image", ["mu", "logvar"], 4)
    with pytest.raises(MirrorError, match=r"takes \(-1, 3, 128, 128\), expected \(B, 3, 64, 64\)"):
        _Engine(trt, runtime, b"x", "encoder.engine", (3, 64, 64))
    with pytest.raises(MirrorError, match="could not load"):
        _Engine(trt, FakeRuntime(None), b"x", "encoder.engine", (3, 128, 128))


def test_tensorrt_run_checks_shapes_and_splits_batches_at_the_profile_limit():
    trt = fake_tensorrt(10, [], [])
    engine = _Engine(trt, FakeRuntime(FakeEngine({"z": (-1, 16), "image": (-1, 3, 8, 8)}, 4)), b"x", "d", (16,))
    backend = TensorRTBackend.__new__(TensorRTBackend)
    batches = []

    def run_batch(engine, array):
        batches.append(len(array))
        return {"image": np.zeros((len(array), 3, 8, 8), np.float32)}

    backend._run_batch = run_batch
    backend._decoder = engine
    assert backend.decode(np.zeros((10, 16), np.float32)).shape == (10, 3, 8, 8)
    assert batches == [4, 4, 2]
    with pytest.raises(ValueError, match=r"takes \(B, 16\) float32, got \(2, 15\)"):
        backend.decode(np.zeros((2, 15), np.float32))
