"""``models optimize``: the accuracy gate, the record in the manifest, and what ``auto`` then loads.

The model is a tiny convolutional net (two 3x3 convolutions and a 1x1 head, ``tests/models/conv_model.py``),
the gate set and the calibration folder are synthetic images with known masks.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import pytest
from PIL import Image

from alphacut.errors import InputError
from alphacut.models import forms as forms_module
from alphacut.models import load_model
from alphacut.models.forms import recorded_forms
from alphacut.models.runtimes import openvino_available
from alphacut.models.spec import ModelSpec
from alphacut.models.quantize import int8_float_layers, sensitive_layers
from alphacut.workflows.optimize import calibration_files, candidates, optimize, passes_gate

from ..models.conv_model import build_conv_model


def make_set(root: Path, count: int, seed: int, *, with_gt: bool = True) -> Path:
    rng = np.random.default_rng(seed)
    (root / "images").mkdir(parents=True)
    if with_gt:
        (root / "gt").mkdir()
    for index in range(count):
        w, h = int(rng.integers(40, 80)), int(rng.integers(40, 80))
        left, top = int(rng.integers(0, w // 2)), int(rng.integers(0, h // 2))
        box = (left, top, left + int(rng.integers(8, w // 2)), top + int(rng.integers(8, h // 2)))
        noise = rng.integers(0, 60, (h, w, 3), dtype=np.uint8)
        image = Image.fromarray(noise)
        image.paste((230, 230, 230), box)
        image.save(root / "images" / f"{index:03d}.png")
        if with_gt:
            gt = Image.new("L", (w, h), 0)
            gt.paste(255, box)
            gt.save(root / "gt" / f"{index:03d}.png")
    return root


@pytest.fixture()
def tiny_conv(tmp_path) -> ModelSpec:
    from alphacut.models import spec_for_file
    from alphacut.models.install import add_user_model

    path = tmp_path / "conv.onnx"
    onnx.save(build_conv_model(), str(path))
    spec = spec_for_file(path)
    from dataclasses import replace

    return add_user_model(replace(spec, name="tinyconv"), path)


@pytest.mark.parametrize(
    "d_iou, d_mae, expected",
    [(0.0, 0.0, True), (-0.005, 0.002, True), (0.0051, 0.0, False), (-0.006, 0.0, False), (0.0, -0.0021, False)],
)
def test_gate_is_symmetric_and_inclusive(d_iou, d_mae, expected):
    assert passes_gate(d_iou, d_mae) is expected


def test_calibration_must_not_overlap_the_gate(tmp_path):
    gate = make_set(tmp_path / "gate", 3, seed=1)
    copy = tmp_path / "calib"
    copy.mkdir()
    (copy / "renamed.png").write_bytes((gate / "images" / "001.png").read_bytes())
    with pytest.raises(InputError, match="must not be gate images"):
        calibration_files([copy], 8, sorted((gate / "images").iterdir()))
    other = make_set(tmp_path / "other", 10, seed=2, with_gt=False)
    assert len(calibration_files([other], 4, sorted((gate / "images").iterdir()))) == 4


@pytest.mark.skipif(not openvino_available(), reason="OpenVINO not installed")
def test_sensitive_layers_are_the_first_conv_and_the_head(tmp_path):
    import openvino as ov

    onnx.save(build_conv_model(), str(tmp_path / "conv.onnx"))
    model = ov.Core().read_model(str(tmp_path / "conv.onnx"))
    names = sensitive_layers(model, depth=0)
    assert len(names) == 2 and any("conv1" in n for n in names) and any("head" in n for n in names)
    assert len(sensitive_layers(model, depth=2)) == 3


@pytest.mark.skipif(not openvino_available(), reason="OpenVINO not installed")
def test_an_int8_form_is_built_per_distinct_set_of_float_layers_that_leaves_some_int8(tmp_path):
    onnx.save(build_conv_model(), str(tmp_path / "conv.onnx"))
    # depth 1 and 2 keep all three convolutions in float: nothing would be int8
    assert list(int8_float_layers(tmp_path / "conv.onnx", (0, 1, 2))) == [0]
    forms = candidates("model.onnx", bf16=True, openvino=True, int8_depths=[0, 1])
    assert [(f.name, f.file) for f in forms] == [
        ("fp32", "model.onnx"), ("bf16", "model.onnx"),
        ("int8-bf16", "model.int8.xml"), ("int8-bf16-d1", "model.int8-d1.xml"),
    ]
    assert [f.name for f in candidates("model.onnx", bf16=False, openvino=True, int8_depths=[0])] == ["fp32", "int8"]


@pytest.mark.skipif(not openvino_available(), reason="OpenVINO not installed")
def test_optimize_gates_records_and_auto_uses_the_verified_form(tiny_conv, tmp_path):
    pytest.importorskip("nncf")
    gate = make_set(tmp_path / "gate", 12, seed=5)
    calib = make_set(tmp_path / "calib", 16, seed=6, with_gt=False)

    # no tolerance at all: every form other than the reference changes the masks a little
    strict, cached = optimize(tiny_conv, gate, [calib], calibration_count=16, max_d_iou=0.0, max_d_mae=0.0, threads=1)
    assert not cached
    by_name = {f.name: f for f in strict}
    int8 = next(name for name in by_name if name.startswith("int8"))
    reference = by_name["fp32"]
    assert reference.accepted and reference.d_iou == 0 and reference.d_mae == 0
    assert not by_name[int8].accepted and by_name[int8].d_mae != 0
    assert all(f.accepted == passes_gate(f.d_iou, f.d_mae, 0.0, 0.0) for f in strict)
    assert (tiny_conv_dir(tiny_conv) / "model.int8.xml").is_file()
    session = load_model("tinyconv", threads=1)
    assert "int8" not in session.runtime.name  # a refused form is never chosen

    # the usual tolerances: int8 passes and, being measured, may be chosen by auto if fastest
    forms, cached = optimize(tiny_conv, gate, [calib], calibration_count=16, threads=1)
    assert not cached
    gate_record, recorded = recorded_forms(tiny_conv)
    assert recorded == forms and gate_record["images"] == 12 and gate_record["max_d_iou"] == 0.005
    assert all(f.accepted == passes_gate(f.d_iou, f.d_mae) for f in forms)
    accepted = [f for f in forms if f.accepted]
    fastest = min(accepted, key=lambda f: f.median_s)
    from alphacut.models import _sessions

    _sessions.clear()
    session = load_model("tinyconv", threads=1)
    expected = {"fp32": "onnxruntime-cpu", "bf16": "openvino-bf16", "int8": "openvino-int8-f32",
                "int8-bf16": "openvino-int8-bf16"}[fastest.name]
    assert session.runtime.name == expected

    # idempotent: the same request is answered from the manifest, nothing rebuilt
    mtime = (tiny_conv_dir(tiny_conv) / "model.int8.xml").stat().st_mtime_ns
    again, cached = optimize(tiny_conv, gate, [calib], calibration_count=16, threads=1)
    assert cached and again == forms
    assert (tiny_conv_dir(tiny_conv) / "model.int8.xml").stat().st_mtime_ns == mtime


@pytest.mark.skipif(not openvino_available(), reason="OpenVINO not installed")
def test_forms_verified_on_another_cpu_are_not_used(tiny_conv, tmp_path, monkeypatch):
    pytest.importorskip("nncf")
    gate = make_set(tmp_path / "gate", 6, seed=5)
    calib = make_set(tmp_path / "calib", 8, seed=6, with_gt=False)
    optimize(tiny_conv, gate, [calib], calibration_count=8, max_d_iou=1.0, max_d_mae=1.0, threads=1)
    monkeypatch.setattr(forms_module, "cpu_isa", lambda: ("avx2",))
    from alphacut.models import _sessions

    _sessions.clear()
    assert forms_module.best_form(tiny_conv, tiny_conv_dir(tiny_conv) / "model.onnx") is None


def tiny_conv_dir(spec: ModelSpec) -> Path:
    return Path(spec.file).parent


@pytest.mark.skipif(not openvino_available(), reason="OpenVINO not installed")
def test_cli_optimize_prints_the_table(tiny_conv, tmp_path, alphacut_cli):
    pytest.importorskip("nncf")
    gate = make_set(tmp_path / "gate", 4, seed=5)
    calib = make_set(tmp_path / "calib", 6, seed=6, with_gt=False)
    result = alphacut_cli("models", "optimize", "tinyconv", "--gate", str(gate), "--calib", str(calib),
                          "--calib-count", "6", "--threads", "1")
    assert result.returncode == 0, result.stderr.decode()
    text = result.stdout.decode()
    for column in ("form", "median s/img", "IoU", "MAE", "dIoU", "dMAE", "accepted"):
        assert column in text
    assert "fp32" in text and "int8" in text
    again = alphacut_cli("models", "optimize", "tinyconv", "--gate", str(gate), "--calib", str(calib),
                         "--calib-count", "6", "--threads", "1")
    assert again.returncode == 0 and "recorded earlier" in again.stdout.decode()
