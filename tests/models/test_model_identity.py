"""A model given as a file path is that file: forms and compiled caches are keyed by its sha256,
never by its name (issue 16 item 4)."""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import numpy_helper

from alphacut.models import _sessions, forms, load_model
from alphacut.models.fingerprint import file_sha256
from alphacut.models.forms import FormRecord, cpu_isa, record_forms
from alphacut.models.registry import get_spec
from alphacut.models.runtimes import OnnxRuntimeEngine, openvino_available

from .conv_model import SIZE, build_conv_model

needs_openvino = pytest.mark.skipif(not openvino_available(), reason="OpenVINO not installed")
BATCH = np.random.default_rng(1).uniform(-0.5, 0.5, (1, 3, SIZE, SIZE)).astype(np.float32)


def conv_model_with_head(weight: float) -> onnx.ModelProto:
    """The tiny conv net with its 1x1 head's weights set to ``weight``: a different file per weight."""
    model = build_conv_model()
    for index, initializer in enumerate(model.graph.initializer):
        if initializer.name == "w3":
            model.graph.initializer[index].CopyFrom(
                numpy_helper.from_array(np.full((1, 4, 1, 1), weight, np.float32), "w3"))
    return model


def save(model: onnx.ModelProto, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(model, str(path))
    return path


def raw_output(session) -> np.ndarray:
    return session.runtime.run(BATCH)


def reference(path: Path) -> np.ndarray:
    return OnnxRuntimeEngine(path, output=None, threads=1).run(BATCH)


@pytest.fixture(autouse=True)
def fresh_sessions():
    _sessions.clear()
    yield
    _sessions.clear()


@needs_openvino
def test_two_files_of_the_same_name_in_different_folders_are_two_models(tmp_path):
    first = save(conv_model_with_head(2.0), tmp_path / "a" / "isnet.onnx")
    second = save(conv_model_with_head(-2.0), tmp_path / "b" / "isnet.onnx")
    one = raw_output(load_model(first, runtime="openvino", threads=1))
    two = raw_output(load_model(second, runtime="openvino", threads=1))
    assert np.abs(one - two).max() > 0.5  # the files really differ
    assert np.abs(one - reference(first)).max() < 0.05
    assert np.abs(two - reference(second)).max() < 0.05


@needs_openvino
def test_a_file_replaced_in_place_is_reloaded_not_served_from_a_stale_cache(tmp_path):
    path = save(conv_model_with_head(2.0), tmp_path / "isnet.onnx")
    before = raw_output(load_model(path, runtime="openvino", threads=1))
    stat = path.stat()
    # a new file under the same name, same size and modification time: OpenVINO's own cache key
    # (path and mtime) cannot tell it from the first
    replacement = save(conv_model_with_head(-2.0), tmp_path / "new.onnx")
    os.replace(replacement, path)
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    after = raw_output(load_model(path, runtime="openvino", threads=1))
    assert np.abs(after - reference(path)).max() < 0.05
    assert np.abs(after - before).max() > 0.5


def install_fake_store_model(home: Path, name: str, model: onnx.ModelProto) -> Path:
    """A store model as `models install` leaves it: model.onnx and a manifest with its sha256."""
    folder = home / "models" / name
    path = save(model, folder / "model.onnx")
    manifest = {"name": name, "sha256": hashlib.sha256(path.read_bytes()).hexdigest(), "size": path.stat().st_size}
    (folder / "manifest.json").write_text(json.dumps(manifest))
    return path


@needs_openvino
def test_a_path_named_like_a_store_model_never_runs_the_store_models_forms(tmp_path, alphacut_home):
    store_file = install_fake_store_model(alphacut_home, "isnet", conv_model_with_head(2.0))
    # the store's isnet has an accepted faster form; here a recognisable other graph
    save(conv_model_with_head(20.0), store_file.parent / "model.fast.onnx")
    spec = get_spec("isnet")
    record_forms(spec, {"set": "test"}, [FormRecord(
        name="bf16", runtime="openvino", precision="f32", file="model.fast.onnx", iou=1.0, mae=0.0, d_iou=0.0,
        d_mae=0.0, median_s=0.001, accepted=True, isa=cpu_isa(), base_sha256=file_sha256(store_file),
    )])
    form_output = reference(store_file.parent / "model.fast.onnx")
    assert np.abs(raw_output(load_model("isnet", threads=1)) - form_output).max() < 0.05  # the form is used

    elsewhere = save(conv_model_with_head(-20.0), tmp_path / "x" / "isnet.onnx")
    assert forms.best_form(get_spec("isnet"), elsewhere) is None
    used = raw_output(load_model(elsewhere, threads=1, runtime="auto"))
    assert np.abs(used - reference(elsewhere)).max() < 0.05
    assert np.abs(used - form_output).max() > 0.5

    # the same bytes under another path are the same model: its verified forms apply
    copy = tmp_path / "y" / "isnet.onnx"
    copy.parent.mkdir()
    copy.write_bytes(store_file.read_bytes())
    chosen = forms.best_form(get_spec("isnet"), copy)
    assert chosen is not None and chosen[1] == store_file.parent / "model.fast.onnx"


def test_the_digest_covers_an_ir_files_weights(tmp_path):
    xml, weights = tmp_path / "m.xml", tmp_path / "m.bin"
    xml.write_text("<net/>")
    weights.write_bytes(b"\x00" * 16)
    first = file_sha256(xml)
    weights.write_bytes(b"\x01" * 16)
    assert file_sha256(xml) != first
    assert first == hashlib.sha256(b"<net/>" + b"\x00" * 16).hexdigest()
