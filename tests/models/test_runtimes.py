"""Choosing and opening an inference engine, and refusing devices that cannot be used."""
from __future__ import annotations

import numpy as np
import onnxruntime as ort
import pytest

from alphacut.errors import DeviceError, ModelError
from alphacut.models import runtimes
from alphacut.models.runtimes import OnnxRuntimeEngine, choose_runtime, open_runtime

HAS_CUDA = "CUDAExecutionProvider" in ort.get_available_providers()


def test_openvino_with_cuda_is_a_device_error():
    with pytest.raises(DeviceError, match="openvino"):
        choose_runtime("openvino", "cuda")


def test_unknown_runtime_is_a_model_error():
    with pytest.raises(ModelError, match="unknown runtime 'tensorrt'"):
        choose_runtime("tensorrt", "cpu")


def test_unknown_device_is_a_device_error():
    with pytest.raises(DeviceError, match="unknown device 'tpu'"):
        choose_runtime("auto", "tpu")


def test_auto_with_cuda_uses_onnxruntime():
    assert choose_runtime("auto", "cuda") == "onnxruntime"
    assert choose_runtime("onnxruntime", "cpu") == "onnxruntime"


@pytest.mark.parametrize(
    "available, bf16, expected",
    [(False, True, "onnxruntime"), (True, False, "onnxruntime"), (True, True, "openvino"), (False, False, "onnxruntime")],
)
def test_auto_picks_openvino_only_with_native_bf16(monkeypatch, available, bf16, expected):
    monkeypatch.setattr(runtimes, "openvino_available", lambda: available)
    monkeypatch.setattr(runtimes, "cpu_has_native_bf16", lambda: bf16)
    assert choose_runtime("auto", "cpu") == expected


def test_openvino_requested_but_missing(monkeypatch):
    monkeypatch.setattr(runtimes, "openvino_available", lambda: False)
    with pytest.raises(ModelError, match="OpenVINO is not installed"):
        choose_runtime("openvino", "cpu")


@pytest.mark.skipif(HAS_CUDA, reason="this onnxruntime has CUDA")
def test_cuda_with_cpu_only_onnxruntime_is_a_clear_device_error(tiny_model):
    with pytest.raises(DeviceError) as caught:
        open_runtime(tiny_model, output=None, device="cuda", threads=1, runtime="auto")
    assert "onnxruntime-gpu" in str(caught.value)
    assert "\n" not in str(caught.value)


def test_cuda_without_the_provider_is_a_device_error(tiny_model, monkeypatch):
    monkeypatch.setattr(ort, "get_available_providers", lambda: ["CPUExecutionProvider"])
    with pytest.raises(DeviceError, match="no CUDA support"):
        OnnxRuntimeEngine(tiny_model, output=None, device="cuda")


def test_cuda_silently_falling_back_to_cpu_is_a_device_error(tiny_model, monkeypatch):
    class CpuOnlySession:
        def __init__(self, *args, **kwargs):
            pass

        def get_providers(self):
            return ["CPUExecutionProvider"]

    monkeypatch.setattr(ort, "get_available_providers", lambda: ["CUDAExecutionProvider", "CPUExecutionProvider"])
    monkeypatch.setattr(ort, "InferenceSession", CpuOnlySession)
    with pytest.raises(DeviceError, match="fell back to the CPU"):
        OnnxRuntimeEngine(tiny_model, output=None, device="cuda")


def test_load_model_on_cuda_without_cuda(tiny_model, monkeypatch):
    import alphacut

    monkeypatch.setattr(ort, "get_available_providers", lambda: ["CPUExecutionProvider"])
    with pytest.raises(DeviceError):
        alphacut.load_model(tiny_model, device="cuda")


def test_onnxruntime_engine_runs_the_graph(tiny_model):
    engine = open_runtime(tiny_model, output=None, device="cpu", threads=1, runtime="onnxruntime")
    assert engine.name == "onnxruntime-cpu"
    batch = np.full((1, 3, 32, 32), 0.5, np.float32)
    out = engine.run(batch)
    assert out.shape == (1, 1, 32, 32)
    assert np.allclose(out, 1 / (1 + np.exp(-10.0)), atol=1e-6)


def test_named_output_is_used(tiny_fp16_model):
    engine = OnnxRuntimeEngine(tiny_fp16_model, output="side", threads=1)
    assert engine.output_name == "side"
    out = engine.run(np.zeros((1, 3, 8, 8), np.float32))
    assert out.shape == (1, 2, 8, 8) and np.all(np.abs(out) < 1)  # tanh branch


def test_broken_model_file_is_a_model_error(tmp_path):
    path = tmp_path / "broken.onnx"
    path.write_bytes(b"not a model")
    with pytest.raises(ModelError, match="onnxruntime cannot load"):
        OnnxRuntimeEngine(path, output=None)


@pytest.mark.skipif(not runtimes.openvino_available(), reason="OpenVINO not installed")
def test_openvino_engine_agrees_with_onnxruntime(tiny_model):
    batch = np.random.default_rng(0).uniform(-0.5, 0.5, (1, 3, 32, 32)).astype(np.float32)
    reference = OnnxRuntimeEngine(tiny_model, output=None, threads=1).run(batch)
    engine = runtimes.OpenVinoEngine(tiny_model, output=None, threads=1)
    assert engine.name == "openvino-bf16"
    assert np.abs(engine.run(batch) - reference).max() < 0.05
