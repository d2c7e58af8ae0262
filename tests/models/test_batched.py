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

from .conv_model import build_conv_model


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


def test_local_engine_in_batches_writes_what_one_at_a_time_writes(tmp_path):
    """The CUDA path's batching (first frames of several images in one model call), on the CPU."""
    from PIL import Image

    from alphacut.engines import EngineConfig, plan_jobs, run_local
    from alphacut.models import spec_for_file
    from alphacut.models.session import SalientSession
    from alphacut.pipeline import RemoveOptions, Remover

    source = tmp_path / "conv.onnx"
    onnx.save(build_conv_model(), str(source))
    batched = build_batched_form(source, tmp_path / "conv.batch.onnx", fp16=False)
    session = SalientSession(spec_for_file(source), batched, BatchedEngine(batched, output=None, device="cpu", threads=1))
    photos = tmp_path / "photos"
    photos.mkdir()
    rng = np.random.default_rng(4)
    for index in range(7):
        Image.fromarray(rng.integers(0, 255, (30 + index * 5, 40, 3), dtype=np.uint8)).save(photos / f"{index}.png")
    frames = [Image.fromarray(rng.integers(0, 255, (20, 24, 3), dtype=np.uint8)) for _ in range(3)]
    frames[0].save(photos / "anim.gif", save_all=True, append_images=frames[1:], duration=50, loop=0)
    (photos / "broken.png").write_bytes(b"not a png")
    calls: dict[int, list[int]] = {1: [], 4: []}  # batch size -> images per model call
    original = session.runtime.run
    outputs = {}
    for size in (1, 4):
        session.runtime.run = lambda batch, size=size: calls[size].append(len(batch)) or original(batch)
        plan = plan_jobs([str(photos)], str(tmp_path / f"out{size}"), None)
        report = run_local(plan.jobs, EngineConfig(model=str(source), batch_size=size), remover=Remover(session, RemoveOptions()))
        assert report.written == 8 and [f.name for f in report.failures] == ["broken.png"]
        outputs[size] = {p.name: p.read_bytes() for p in (tmp_path / f"out{size}").iterdir()}
    assert outputs[1] == outputs[4]
    # the 7 still images went through the model in two batched calls (4, then 3); the GIF is
    # streamed frame by frame, so its frames, and what a preset feeds the model besides (a mirrored
    # copy for test-time augmentation, an upscaled small frame), run alone
    assert [count for count in calls[4] if count > 1] == [4, 3] and set(calls[1]) == {1}
    assert len(calls[4]) < len(calls[1])
