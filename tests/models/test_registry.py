"""Model names, user registry, the store's view of what is installed, and load_model."""
from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import onnx
import pytest
from onnx import TensorProto, helper

import alphacut
from alphacut.errors import ModelError, ModelNotInstalledError
from alphacut.models import load_model, looks_like_path, spec_for_file
from alphacut.models.registry import (
    BUILTIN_MODELS,
    DEFAULT_MODEL,
    all_models,
    forget_user_model,
    get_spec,
    registry_path,
    save_user_model,
    user_models,
)
from alphacut.models.spec import ModelSpec
from alphacut.models.store import MANIFEST_FILE, MODEL_FILE, installed_file, is_installed, manifest_of, model_dir


def test_builtins_are_listed_and_default_is_isnet():
    assert DEFAULT_MODEL == "isnet"
    models = all_models()
    assert {"isnet", "isnet-quint8"} <= set(models)
    isnet = get_spec("isnet")
    assert isnet.input_size == (1024, 1024)
    assert isnet.npm is not None and isnet.npm.resource == "/models/medium"
    assert isnet.stored_form == "fp32"
    assert len(isnet.sha256 or "") == 64


def test_unknown_name_lists_the_known_ones():
    with pytest.raises(ModelError) as caught:
        get_spec("nope")
    message = str(caught.value)
    assert "'nope'" in message and "isnet" in message and "isnet-quint8" in message


def test_spec_json_round_trip():
    spec = BUILTIN_MODELS["isnet"]
    record = json.loads(json.dumps(spec.to_json()))
    assert ModelSpec.from_json(record) == spec
    assert hash(ModelSpec.from_json(record)) == hash(spec)


def test_refine_defaults_survive_the_registry_and_old_records_read_without_them(tiny_model):
    spec = replace(spec_for_file(tiny_model), name="sprites", refine_defaults=(("flat_background", False),))
    record = json.loads(json.dumps(spec.to_json()))
    assert ModelSpec.from_json(record) == spec and hash(ModelSpec.from_json(record)) == hash(spec)
    del record["refine_defaults"]  # a registry.json written before the field existed
    assert ModelSpec.from_json(record).refine_defaults == ()


def test_user_models_are_saved_listed_and_forgotten(tiny_model):
    spec = replace(spec_for_file(tiny_model), name="mine", activation="sigmoid")
    save_user_model(spec)
    assert user_models() == {"mine": spec}
    assert get_spec("mine") == spec
    assert set(all_models()) >= {"isnet", "mine"}
    assert forget_user_model("mine") == spec
    assert user_models() == {}
    with pytest.raises(ModelError):
        get_spec("mine")


def test_forgetting_an_unknown_user_model_is_an_error():
    with pytest.raises(ModelError, match="not a user-added"):
        forget_user_model("isnet")


def test_builtin_names_cannot_be_taken(tiny_model):
    with pytest.raises(ModelError, match="built-in"):
        save_user_model(replace(spec_for_file(tiny_model), name="isnet"))
    assert not registry_path().exists()


def test_unreadable_registry_is_a_clear_error(alphacut_home):
    registry_path().write_text("{ not json")
    with pytest.raises(ModelError, match="registry"):
        user_models()
    registry_path().write_text(json.dumps({"x": {"name": "x"}}))
    with pytest.raises(ModelError, match="fix or delete"):
        get_spec("isnet")


def test_alphacut_home_and_xdg(monkeypatch, tmp_path):
    from alphacut.config import alphacut_home

    monkeypatch.setenv("ALPHACUT_HOME", str(tmp_path / "home"))
    assert model_dir("x") == tmp_path / "home" / "models" / "x"
    monkeypatch.delenv("ALPHACUT_HOME")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    assert alphacut_home() == tmp_path / "cache" / "alphacut"


# --- the store ---------------------------------------------------------------------------------

def fake_install(name: str, payload: bytes, manifest: dict | None = None) -> Path:
    folder = model_dir(name)
    folder.mkdir(parents=True)
    (folder / MODEL_FILE).write_bytes(payload)
    (folder / MANIFEST_FILE).write_text(json.dumps(manifest if manifest is not None else {"size": len(payload)}))
    return folder / MODEL_FILE


def test_nothing_is_installed_in_a_fresh_store():
    for spec in BUILTIN_MODELS.values():
        assert not is_installed(spec)
        with pytest.raises(ModelNotInstalledError, match=f"alphacut models install {spec.name}"):
            installed_file(spec)


def test_installed_file_checks_the_manifest_size():
    path = fake_install("isnet", b"weights")
    assert installed_file(BUILTIN_MODELS["isnet"]) == path
    path.write_bytes(b"weights, but longer")
    with pytest.raises(ModelError, match="isnet --force"):
        installed_file(BUILTIN_MODELS["isnet"])


def test_model_file_without_manifest_is_not_installed():
    folder = model_dir("isnet")
    folder.mkdir(parents=True)
    (folder / MODEL_FILE).write_bytes(b"orphan")
    assert not is_installed(BUILTIN_MODELS["isnet"])
    (folder / MANIFEST_FILE).write_text("{ truncated")
    assert manifest_of("isnet") is None
    with pytest.raises(ModelNotInstalledError):
        installed_file(BUILTIN_MODELS["isnet"])


def test_user_model_whose_file_vanished(tmp_path, tiny_model):
    copy = tmp_path / "copy.onnx"
    copy.write_bytes(tiny_model.read_bytes())
    spec = spec_for_file(copy)
    copy.unlink()
    assert not is_installed(spec)
    with pytest.raises(ModelNotInstalledError, match="models add"):
        installed_file(spec)


# --- files used directly and load_model ---------------------------------------------------------

@pytest.mark.parametrize("text, expected", [("isnet", False), ("my-model", False), ("x.onnx", True), ("a/b", True), ("C:\\m", True)])
def test_looks_like_path(text, expected):
    assert looks_like_path(text) is expected


def test_spec_for_file_reads_the_input_size(tiny_model):
    spec = spec_for_file(tiny_model)
    assert spec.input_size == (32, 32)
    assert spec.name == "tiny"
    assert spec.file == str(tiny_model.resolve())
    assert spec_for_file(tiny_model, input_size=(64, 64), activation=None).input_size == (64, 64)


def test_spec_for_file_with_a_dynamic_input_uses_1024(tmp_path):
    graph = helper.make_graph(
        [helper.make_node("Identity", ["input"], ["output"])],
        "dynamic",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 3, "h", "w"])],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, [1, 3, "h", "w"])],
    )
    path = tmp_path / "dynamic.onnx"
    onnx.save(helper.make_model(graph), str(path))
    assert spec_for_file(path).input_size == (1024, 1024)


def test_spec_for_a_missing_or_broken_file(tmp_path):
    with pytest.raises(ModelError, match="no such"):
        spec_for_file(tmp_path / "missing.onnx")
    broken = tmp_path / "broken.onnx"
    broken.write_bytes(b"\xff\x00 definitely not protobuf" * 10)
    with pytest.raises(ModelError):
        spec_for_file(broken)


def test_load_model_caches_sessions(tiny_model):
    first = alphacut.load_model(tiny_model)
    assert alphacut.load_model(tiny_model) is first
    assert alphacut.load_model(str(tiny_model)) is first
    assert first.spec.input_size == (32, 32)
    assert first.name == "tiny"


def test_load_model_by_registered_name(tiny_model):
    save_user_model(replace(spec_for_file(tiny_model), name="tiny-user"))
    session = load_model("tiny-user")
    assert session.name == "tiny-user"
    assert load_model("tiny-user") is session


def test_load_model_of_an_uninstalled_builtin_says_how_to_install():
    with pytest.raises(ModelNotInstalledError, match="alphacut models install isnet"):
        load_model()


def test_load_model_of_a_missing_path():
    with pytest.raises(ModelError, match="no such ONNX file"):
        load_model("/nowhere/model.onnx")


def test_load_model_of_a_graph_onnxruntime_rejects(tmp_path):
    graph = helper.make_graph(
        [helper.make_node("NoSuchOp", ["input"], ["output"])],
        "bad",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 3, 8, 8])],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, [1, 1, 8, 8])],
    )
    path = tmp_path / "bad.onnx"
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.save(model, str(path))
    with pytest.raises(ModelError, match="cannot"):
        load_model(path, runtime="onnxruntime")
