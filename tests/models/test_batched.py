"""The batched (GPU) form: a dynamic batch gives exactly the single-image results; fp16 keeps
fp32 inputs and outputs; the batch size follows free GPU memory. Run on the CPU provider here."""
from __future__ import annotations

import numpy as np
import onnx
import pytest
from onnx import TensorProto

from alphacut.errors import DeviceError
from alphacut.models.batched import BatchedEngine, batch_size_for, build_batched_form, make_batch_dynamic, to_fp16
from alphacut.models.runtimes import OnnxRuntimeEngine

from .test_optimize import build_conv_model


def test_dynamic_batch_equals_single_runs(tmp_path):
    source = tmp_path / "conv.onnx"
    onnx.save(build_conv_model(), str(source))
    batched = build_batched_form(source, tmp_path / "conv.batch.onnx", fp16=False)
    assert onnx.load(str(batched)).graph.input[0].type.tensor_type.shape.dim[0].dim_param == "N"
    engine = BatchedEngine(batched, output=None, device="cpu", threads=1)
    single = OnnxRuntimeEngine(source, output=None, threads=1)
    batch = np.random.default_rng(0).uniform(-0.5, 0.5, (3, 3, 32, 32)).astype(np.float32)
    together = engine.run(batch)
    assert together.shape == (3, 1, 32, 32)
    for index in range(3):
        assert np.array_equal(together[index], single.run(batch[index:index + 1])[0])


def test_fp16_form_keeps_fp32_io_and_stays_close(tmp_path):
    model = to_fp16(make_batch_dynamic(build_conv_model()))
    assert model.graph.input[0].type.tensor_type.elem_type == TensorProto.FLOAT
    assert model.graph.output[0].type.tensor_type.elem_type == TensorProto.FLOAT
    assert {init.data_type for init in model.graph.initializer} == {TensorProto.FLOAT16}
    onnx.save(model, str(tmp_path / "fp16.onnx"))
    onnx.save(build_conv_model(), str(tmp_path / "fp32.onnx"))
    batch = np.random.default_rng(1).uniform(-0.5, 0.5, (2, 3, 32, 32)).astype(np.float32)
    half = BatchedEngine(tmp_path / "fp16.onnx", output=None, device="cpu", threads=1).run(batch)
    full = OnnxRuntimeEngine(tmp_path / "fp32.onnx", output=None, threads=1)
    assert np.abs(half[1] - full.run(batch[1:2])[0]).max() < 2e-3


@pytest.mark.parametrize(
    "free, expected", [(None, 8), (0, 1), (int(80e9), 32), (int(200e9), 64), (int(10e9), 4), (int(5e9), 2)]
)
def test_batch_size_follows_free_memory(free, expected):
    assert batch_size_for(free, (1024, 1024)) == expected


def test_cuda_without_cuda_is_a_device_error(tmp_path, monkeypatch):
    import onnxruntime as ort

    onnx.save(build_conv_model(), str(tmp_path / "conv.onnx"))
    monkeypatch.setattr(ort, "get_available_providers", lambda: ["CPUExecutionProvider"])
    with pytest.raises(DeviceError, match="no CUDA support"):
        BatchedEngine(tmp_path / "conv.onnx", output=None, device="cuda")
