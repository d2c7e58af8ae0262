"""install_models and add_user_model: verified, converted, atomic, and nothing half-installed."""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest

from alphacut.errors import InstallError, ModelError, ModelNotInstalledError
from alphacut.models import get_spec, install as install_module
from alphacut.models.install import add_user_model, install_models
from alphacut.models.registry import BUILTIN_MODELS, user_models
from alphacut.models.spec import ModelSpec, NpmResource
from alphacut.models.store import MANIFEST_FILE, MODEL_FILE, installed_file, is_installed, manifest_of, model_dir

RESOURCE = NpmResource("@imgly/background-removal-data", "1.4.5", "/models/medium")


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture()
def source_bytes(tiny_fp16_model: Path) -> bytes:
    return tiny_fp16_model.read_bytes()


@pytest.fixture()
def tarball(make_npm_tarball, source_bytes) -> Path:
    return make_npm_tarball({"/models/medium": source_bytes, "/models/small": b"unused"}, chunks=3)


@pytest.fixture()
def spec(source_bytes) -> ModelSpec:
    return ModelSpec(
        name="tiny-npm",
        description="tiny fp16 model from a fake npm package",
        input_size=(8, 8),
        sha256=sha256(source_bytes),
        npm=RESOURCE,
        stored_form="fp32",
        licence="MIT",
    )


def outputs(path_or_bytes, batch: np.ndarray) -> dict[str, np.ndarray]:
    source = str(path_or_bytes) if isinstance(path_or_bytes, Path) else path_or_bytes
    session = ort.InferenceSession(source, providers=["CPUExecutionProvider"])
    names = [o.name for o in session.get_outputs()]
    return dict(zip(names, session.run(names, {"input": batch})))


def test_install_from_tarball(spec, tarball, alphacut_home, source_bytes):
    messages: list[str] = []
    [result] = install_models([spec], tarball=tarball, report=messages.append)

    target = alphacut_home / "models" / "tiny-npm" / MODEL_FILE
    assert result.path == target and not result.skipped
    assert target.is_file()
    assert installed_file(spec) == target
    assert is_installed(spec)
    manifest = json.loads((target.parent / MANIFEST_FILE).read_text())
    assert manifest["source_sha256"] == sha256(source_bytes)
    assert manifest["sha256"] == result.sha256 == sha256(target.read_bytes())
    assert manifest["size"] == target.stat().st_size
    assert manifest["form"] == "fp32"
    assert manifest["package"] == "@imgly/background-removal-data@1.4.5"
    assert manifest["resource"] == "/models/medium"
    assert sorted(p.name for p in target.parent.iterdir()) == [MANIFEST_FILE, MODEL_FILE]  # no .part left
    assert any("installed" in m for m in messages)


def test_installed_model_is_fp32_single_output_and_equivalent(spec, tarball, source_bytes):
    install_models([spec], tarball=tarball)
    stored = onnx.load(str(installed_file(spec)))
    assert [o.name for o in stored.graph.output] == ["output"]
    assert all(init.data_type == onnx.TensorProto.FLOAT for init in stored.graph.initializer)
    batch = np.random.default_rng(5).uniform(-0.5, 0.5, (1, 3, 8, 8)).astype(np.float32)
    before = outputs(source_bytes, batch)["output"]
    after = outputs(installed_file(spec), batch)
    assert list(after) == ["output"]
    assert np.abs(after["output"] - before).max() < 1e-3


def test_original_form_keeps_fp16_weights_but_drops_side_outputs(spec, tarball):
    from dataclasses import replace

    original = replace(spec, name="tiny-original", stored_form="original")
    install_models([original], tarball=tarball)
    stored = onnx.load(str(installed_file(original)))
    assert [o.name for o in stored.graph.output] == ["output"]
    assert any(init.data_type == onnx.TensorProto.FLOAT16 for init in stored.graph.initializer)
    assert manifest_of("tiny-original")["form"] == "original"


def test_wrong_pinned_sha256_refuses_and_installs_nothing(spec, tarball):
    from dataclasses import replace

    pinned = replace(spec, sha256="0" * 64)
    with pytest.raises(InstallError, match="refusing to install"):
        install_models([pinned], tarball=tarball)
    assert not is_installed(pinned)
    assert not model_dir(pinned.name).exists()
    with pytest.raises(ModelNotInstalledError):
        installed_file(pinned)


def test_tampered_tarball_installs_nothing(spec, make_npm_tarball, source_bytes):
    tampered = make_npm_tarball({"/models/medium": source_bytes}, tamper="/models/medium")
    with pytest.raises(InstallError, match="sha256"):
        install_models([spec], tarball=tampered)
    assert not model_dir(spec.name).exists()


def test_reinstall_without_force_is_skipped(spec, tarball):
    install_models([spec], tarball=tarball)
    target = installed_file(spec)
    before = (target.read_bytes(), target.stat().st_mtime_ns, manifest_of(spec.name))
    messages: list[str] = []
    [result] = install_models([spec], tarball=tarball, report=messages.append)
    assert result.skipped
    assert (target.read_bytes(), target.stat().st_mtime_ns, manifest_of(spec.name)) == before
    assert any("already installed" in m for m in messages)


def test_reinstall_with_force_replaces(spec, tarball):
    install_models([spec], tarball=tarball)
    (model_dir(spec.name) / MODEL_FILE).write_bytes(b"damaged")
    with pytest.raises(ModelError, match="--force"):
        installed_file(spec)  # size no longer matches the manifest
    [result] = install_models([spec], tarball=tarball, force=True)
    assert not result.skipped
    assert installed_file(spec).read_bytes() != b"damaged"


def test_one_npm_pack_serves_every_model_of_a_package(spec, tarball, monkeypatch):
    from dataclasses import replace

    calls = []

    def fake_pack(package, version, destination):
        calls.append((package, version))
        return tarball

    monkeypatch.setattr(install_module.npm, "npm_pack", fake_pack)
    results = install_models([spec, replace(spec, name="tiny-two")])
    assert calls == [("@imgly/background-removal-data", "1.4.5")]
    assert all(is_installed(r.spec) for r in results)


def test_local_model_cannot_be_installed(tiny_model):
    local = ModelSpec(name="local", description="", input_size=(32, 32), file=str(tiny_model))
    with pytest.raises(ModelError, match="local file"):
        install_models([local])


def test_builtin_model_not_installed_says_how_to_install():
    with pytest.raises(ModelNotInstalledError) as caught:
        installed_file(BUILTIN_MODELS["isnet"])
    assert "alphacut models install isnet" in str(caught.value)
    assert "\n" not in str(caught.value)


# --- user models -------------------------------------------------------------------------------

def user_spec(name: str, tiny_model: Path) -> ModelSpec:
    from alphacut.models import spec_for_file
    from dataclasses import replace

    return replace(spec_for_file(tiny_model), name=name, description="mine")


def test_add_user_model_copies_and_registers(tiny_model, alphacut_home):
    record = add_user_model(user_spec("mine", tiny_model), tiny_model)
    stored = alphacut_home / "models" / "mine" / MODEL_FILE
    assert record.file == str(stored)
    assert stored.read_bytes() == tiny_model.read_bytes()
    assert record.sha256 == sha256(tiny_model.read_bytes())
    assert get_spec("mine") == record
    assert user_models()["mine"].input_size == (32, 32)
    assert installed_file(record) == stored


def test_add_user_model_missing_file(tmp_path, tiny_model):
    with pytest.raises(ModelError, match="no such"):
        add_user_model(user_spec("mine", tiny_model), tmp_path / "missing.onnx")
    assert "mine" not in user_models()


def test_add_user_model_under_a_builtin_name_changes_nothing(tiny_model, tmp_path):
    # an installed isnet (simulated) must survive an attempt to register another file as "isnet"
    folder = model_dir("isnet")
    folder.mkdir(parents=True)
    (folder / MODEL_FILE).write_bytes(b"the real weights")
    (folder / MANIFEST_FILE).write_text(json.dumps({"size": len(b"the real weights")}))
    with pytest.raises(ModelError, match="built-in"):
        add_user_model(user_spec("isnet", tiny_model), tiny_model)
    assert (folder / MODEL_FILE).read_bytes() == b"the real weights"
    assert installed_file(BUILTIN_MODELS["isnet"]) == folder / MODEL_FILE
    assert "isnet" not in user_models()


@pytest.mark.parametrize("name", ["../escape", "a/b", "mine.onnx", "", ".hidden", "sp ace"])
def test_add_user_model_refuses_names_that_are_not_plain(tiny_model, alphacut_home, name):
    from dataclasses import replace

    with pytest.raises(ModelError, match="model name"):
        add_user_model(replace(user_spec("x", tiny_model), name=name), tiny_model)
    assert not (alphacut_home / "escape").exists()
    assert not (alphacut_home / "models").exists()
    assert user_models() == {}


@pytest.mark.parametrize("name", ["rembg-u2net", "my_model.v2", "A1"])
def test_plain_names_are_accepted(tiny_model, name):
    assert add_user_model(user_spec(name, tiny_model), tiny_model).name == name
