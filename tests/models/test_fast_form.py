"""The int8 form ``models install`` builds: generated scenes, the agreement gate, what auto loads.

The model is the tiny convolutional net of ``conv_model.py`` stored as if ``models install`` had
put it there (a spec with an npm source, ``model.onnx`` and a manifest with its sha256)."""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import onnx
import pytest

from alphacut.models import _sessions, fast_form, load_model
from alphacut.models.fast_form import (
    fast_form_state, judge_agreement, mask_agreement, settle_fast_form,
)
from alphacut.models.forms import best_form, recorded_forms
from alphacut.models.quantize import nncf_available
from alphacut.models.runtimes import openvino_available
from alphacut.models.scenes import scene
from alphacut.models.spec import ModelSpec, NpmResource

from .conv_model import SIZE, build_conv_model

needs_nncf = pytest.mark.skipif(not (openvino_available() and nncf_available()), reason="OpenVINO and NNCF needed")


def store_model(home: Path, name: str = "tinystore") -> ModelSpec:
    folder = home / "models" / name
    folder.mkdir(parents=True)
    path = folder / "model.onnx"
    onnx.save(build_conv_model(), str(path))
    manifest = {"name": name, "sha256": hashlib.sha256(path.read_bytes()).hexdigest(), "size": path.stat().st_size}
    (folder / "manifest.json").write_text(json.dumps(manifest))
    return ModelSpec(name=name, description="tiny", input_size=(SIZE, SIZE), npm=NpmResource("pkg", "1.0", "/m"))


@pytest.fixture(autouse=True)
def fresh_sessions():
    _sessions.clear()
    yield
    _sessions.clear()


@pytest.fixture()
def small_gate(monkeypatch):
    monkeypatch.setattr(fast_form, "CALIBRATION_SCENES", 4)
    monkeypatch.setattr(fast_form, "GATE_SCENES", 3)
    monkeypatch.setattr(fast_form, "SCENE_SIZE", (96, 72))


def test_scenes_are_deterministic_varied_and_rgb():
    first, again, other = scene(3, (192, 144)), scene(3, (192, 144)), scene(4, (192, 144))
    assert first.mode == "RGB" and first.size in ((192, 144), (144, 192))
    assert np.array_equal(np.asarray(first), np.asarray(again))
    assert not np.array_equal(np.asarray(first), np.asarray(other))
    assert np.asarray(first).std() > 5  # not a flat picture


def test_mask_agreement_is_iou_at_one_half_and_mean_difference():
    reference = np.zeros((4, 4), np.float32)
    reference[:2] = 0.9
    candidate = reference.copy()
    candidate[0] = 0.4  # row 0 drops below 0.5
    iou, mae = mask_agreement(candidate, reference)
    assert iou == pytest.approx(0.5) and mae == pytest.approx(0.5 * 4 / 16)
    assert mask_agreement(np.zeros((2, 2)), np.zeros((2, 2)))[0] == 1.0


@pytest.mark.parametrize("ious, accepted", [
    ([1.0] * 20, True),
    ([1.0] * 10 + [0.93] * 10, True),  # half the scenes agree and the mean is 0.965
    ([1.0] * 10 + [0.91] * 10, False),  # half agree, but the mean is 0.955
    ([0.999] * 9 + [0.98] * 11, False),  # 45% at >= 0.99, mean 0.989
    ([0.999] * 12 + [0.9] * 4 + [0.95] * 4, True),  # the measured shape: most agree, a few scenes flip
])
def test_the_gate_needs_both_the_share_and_the_mean(ious, accepted):
    verdict = judge_agreement(ious)
    assert verdict.accepted is accepted
    assert "\n" not in verdict.reason and ("agrees" in verdict.reason) is accepted


@needs_nncf
def test_install_builds_the_int8_form_and_auto_loads_it(alphacut_home, small_gate):
    spec = store_model(alphacut_home)
    stages: list[str] = []
    line = settle_fast_form(spec, threads=1, progress=lambda stage, done, total: stages.append(stage))
    assert {"scenes", "calibrating", "checking"} <= set(stages)
    gate, forms = recorded_forms(spec)
    int8 = next(f for f in forms if f.name.startswith("int8"))
    assert gate["images"] == 3 and gate["reference"] == "fp32 masks"
    assert (int8.accepted, "built" in line) == (True, True), line
    assert fast_form_state(spec)["state"] == "built"
    assert (alphacut_home / "models" / "tinystore" / "model.int8.xml").is_file()
    assert [f.name for f in forms] == [int8.name]  # the fp32 reference is timed, never a form auto could load
    chosen = best_form(spec, alphacut_home / "models" / "tinystore" / "model.onnx")
    assert chosen is not None and chosen[0] == int8
    assert "int8" in load_model(spec, threads=1).runtime.name
    # asked again, nothing is rebuilt
    assert "built earlier" in settle_fast_form(spec, threads=1)


@needs_nncf
def test_graphics_run_the_float_model_when_the_int8_form_is_loaded(alphacut_home, small_gate):
    from PIL import Image

    from alphacut.pipeline import Remover
    from alphacut.pipeline.options import RemoveOptions

    spec = store_model(alphacut_home)
    settle_fast_form(spec, threads=1)
    session = load_model(spec, threads=1)
    assert session.quantised and session.other_sides is not None
    photo = Image.fromarray(np.random.default_rng(0).integers(0, 256, (SIZE, SIZE, 3), np.uint8))
    float_output = session.predict(photo, float_form=True)
    assert "int8" not in session.other_sides.base().name  # the model's own file, not the int8 form
    reference = load_model(spec, threads=1, runtime="openvino")  # runtime named: the form is not chosen
    assert "int8" not in reference.runtime.name
    np.testing.assert_allclose(float_output, reference.predict(photo), atol=1e-6)

    calls: list[bool] = []
    original = session.predict

    def spy(image, side=None, *, float_form=False):
        calls.append(float_form)
        return original(image, side, float_form=float_form)

    session.predict = spy  # type: ignore[method-assign]
    graphic = Image.new("RGB", (SIZE, SIZE), (255, 255, 255))
    graphic.paste((200, 30, 30), (8, 8, 24, 24))
    Remover(session, RemoveOptions.from_user(preset="graphic")).matte(graphic)
    Remover(session, RemoveOptions.from_user(preset="fast")).matte(photo)
    assert calls == [True, False]  # the graphic on the float model, the photo on the int8 form


@needs_nncf
def test_an_unsure_int8_output_is_replaced_by_the_float_forms(alphacut_home, small_gate, monkeypatch):
    from PIL import Image

    from alphacut.models import session as session_module
    from alphacut.models.confidence import prediction_confidence

    spec = store_model(alphacut_home)
    settle_fast_form(spec, threads=1)
    session = load_model(spec, threads=1)
    photo = Image.fromarray(np.random.default_rng(1).integers(0, 256, (SIZE, SIZE, 3), np.uint8))
    float_output = session.predict(photo, float_form=True)
    monkeypatch.setattr(session_module, "FLOAT_RERUN_BELOW", 0.0)  # nothing is unsure enough
    int8_output = session.predict(photo)
    assert session.float_reruns == 0 and not np.allclose(int8_output, float_output, atol=1e-6)
    confidence = prediction_confidence(session.probability(session.runtime.run(session.preprocess(photo))))
    monkeypatch.setattr(session_module, "FLOAT_RERUN_BELOW", confidence + 1e-6)  # just above this output's
    np.testing.assert_allclose(session.predict(photo), float_output, atol=1e-6)
    assert session.float_reruns == 1
    monkeypatch.setattr(session_module, "FLOAT_RERUN_BELOW", confidence - 1e-6)  # just below it
    np.testing.assert_allclose(session.predict(photo), int8_output, atol=1e-6)
    assert session.float_reruns == 1


@needs_nncf
def test_a_form_that_fails_the_gate_is_refused_and_auto_keeps_the_default(alphacut_home, small_gate, monkeypatch):
    spec = store_model(alphacut_home)
    monkeypatch.setattr(fast_form, "MIN_MEAN_IOU", 1.01)  # no form can agree this well
    line = settle_fast_form(spec, threads=1)
    assert line.startswith("tinystore: keeping the default form (") and "int8 masks differ from fp32: mean IoU" in line
    assert fast_form_state(spec)["state"] == "refused"
    assert best_form(spec, alphacut_home / "models" / "tinystore" / "model.onnx") is None
    assert "int8" not in load_model(spec, threads=1).runtime.name


def test_without_optimize_nothing_is_built_and_auto_keeps_the_default(alphacut_home, monkeypatch):
    monkeypatch.setattr(fast_form, "build_fast_form", lambda *a, **k: pytest.fail("built without --optimize"))
    spec = store_model(alphacut_home)
    line = settle_fast_form(spec, optimize=False)
    assert "--no-optimize" in line and fast_form_state(spec)["state"] == "skipped"
    assert "int8" not in load_model(spec, threads=1).runtime.name


def test_a_state_recorded_under_another_recipe_is_stale(alphacut_home, monkeypatch):
    spec = store_model(alphacut_home)
    settle_fast_form(spec, optimize=False)
    assert fast_form_state(spec) is not None
    monkeypatch.setattr(fast_form, "SCENES_VERSION", fast_form.SCENES_VERSION + 1)
    assert fast_form_state(spec) is None


def test_user_models_and_files_never_get_an_install_form(tmp_path, alphacut_home):
    from alphacut.models import spec_for_file

    path = tmp_path / "isnet.onnx"
    onnx.save(build_conv_model(), str(path))
    line = settle_fast_form(spec_for_file(path), optimize=True)
    assert "a user model; 'alphacut models optimize' builds its faster forms" in line
    assert not (tmp_path / "model.int8.xml").exists()
