"""``alphacut models``: list, add, use and remove models from the command line."""
from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
from PIL import Image


def stderr_lines(result) -> list[str]:
    return [line for line in result.stderr.decode().splitlines() if line.strip()]


def test_list_shows_the_builtin_models(alphacut_cli):
    result = alphacut_cli("models", "list")
    assert result.returncode == 0, result.stderr
    text = result.stdout.decode()
    assert "isnet (default)" in text and "isnet-quint8" in text
    assert "not installed" in text


def test_add_use_and_remove_a_user_model(alphacut_cli, tiny_model, tmp_path, alphacut_home):
    added = alphacut_cli("models", "add", "tiny-cli", str(tiny_model))
    assert added.returncode == 0, added.stderr
    stored = alphacut_home / "models" / "tiny-cli" / "model.onnx"
    assert stored.read_bytes() == tiny_model.read_bytes()

    listed = alphacut_cli("models", "list").stdout.decode()
    row = next(line for line in listed.splitlines() if "tiny-cli" in line)
    assert "installed" in row and "not installed" not in row and "32x32" in row

    image = tmp_path / "in.png"
    picture = Image.new("RGB", (40, 40))
    picture.paste((255, 255, 255), (10, 10, 30, 30))
    picture.save(image)
    used = alphacut_cli("remove", str(image), "-o", str(tmp_path / "out.png"), "--model", "tiny-cli", "-q")
    assert used.returncode == 0, used.stderr
    alpha = np.asarray(Image.open(tmp_path / "out.png").getchannel("A"))
    assert alpha[20, 20] >= 250 and alpha[2, 2] <= 10

    removed = alphacut_cli("models", "remove", "tiny-cli")
    assert removed.returncode == 0, removed.stderr
    assert not stored.parent.exists()
    assert "tiny-cli" not in alphacut_cli("models", "list").stdout.decode()
    gone = alphacut_cli("remove", str(image), "-o", str(tmp_path / "again.png"), "--model", "tiny-cli")
    assert gone.returncode == 4 and "unknown model 'tiny-cli'" in gone.stderr.decode()


def test_add_with_options_and_bad_options(alphacut_cli, tiny_model, alphacut_home):
    import json

    ok = alphacut_cli("models", "add", "tuned", str(tiny_model), "--input-size", "64", "--mean", "0.485,0.456,0.406",
                      "--std", "0.229,0.224,0.225", "--activation", "sigmoid", "--resize-filter", "bicubic")
    assert ok.returncode == 0, ok.stderr
    record = json.loads((alphacut_home / "registry.json").read_text())["tuned"]
    assert record["input_size"] == [64, 64] and record["activation"] == "sigmoid"
    assert record["mean"] == [0.485, 0.456, 0.406] and record["resize_filter"] == "bicubic"
    assert record["sha256"] == hashlib.sha256(tiny_model.read_bytes()).hexdigest()

    bad = alphacut_cli("models", "add", "bad", str(tiny_model), "--mean", "1,2")
    assert bad.returncode == 4 and "--mean" in bad.stderr.decode()
    builtin = alphacut_cli("models", "add", "isnet", str(tiny_model))
    assert builtin.returncode == 4 and "built-in" in builtin.stderr.decode()
    assert not (alphacut_home / "models" / "isnet").exists()


def test_remove_an_unknown_model(alphacut_cli):
    result = alphacut_cli("models", "remove", "nothing-here")
    assert result.returncode == 4
    assert len(stderr_lines(result)) == 1 and "unknown model" in result.stderr.decode()


def test_install_from_a_tarball_with_other_weights_is_refused(alphacut_cli, make_npm_tarball, tiny_fp16_model, alphacut_home):
    tarball = make_npm_tarball({"/models/medium": tiny_fp16_model.read_bytes()})
    result = alphacut_cli("models", "install", "isnet", "--from-tarball", str(tarball))
    assert result.returncode == 4
    errors = [line for line in stderr_lines(result) if line.startswith("alphacut: error:")]
    assert len(errors) == 1 and "refusing to install" in errors[0]
    assert not (alphacut_home / "models" / "isnet").exists()


def test_install_from_a_missing_tarball(alphacut_cli, tmp_path):
    result = alphacut_cli("models", "install", "--from-tarball", str(tmp_path / "nope.tgz"))
    assert result.returncode == 4 and "no such tarball" in result.stderr.decode()


def test_list_piped_is_a_markdown_table_with_full_values(tiny_model, tmp_path):
    """Off a terminal Rich would cut every cell to a few characters at 80 columns; the listing
    is markdown instead, every value whole (typer's CliRunner is not a terminal)."""
    from typer.testing import CliRunner

    from alphacut.cli.app import app

    long_name = tmp_path / ("a-file-name-far-longer-than-any-column-of-an-80-character-table-" + "x" * 40 + ".onnx")
    long_name.write_bytes(tiny_model.read_bytes())
    runner = CliRunner()
    assert runner.invoke(app, ["models", "add", "tiny-long", str(long_name)]).exit_code == 0
    listed = runner.invoke(app, ["models", "list"], env={"COLUMNS": "80"})
    assert listed.exit_code == 0, listed.output
    lines = listed.stdout.splitlines()
    assert lines[0] == "| name | status | input | size | licence | description |"
    row = next(line for line in lines if line.startswith("| tiny-long |"))
    assert f"| user model from {long_name.name} |" in row
    assert any(line.startswith("| isnet (default) | not installed |") for line in lines)


def _fake_installed_isnet(home: Path) -> Path:
    """The store's isnet as `models install` leaves it, with the tiny conv net (at ISNet's 1024 px
    input) as its weights."""
    import json

    import onnx

    from tests.models.conv_model import build_conv_model

    folder = home / "models" / "isnet"
    folder.mkdir(parents=True)
    onnx.save(build_conv_model(1024), str(folder / "model.onnx"))
    data = (folder / "model.onnx").read_bytes()
    manifest = {"name": "isnet", "sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}
    (folder / "manifest.json").write_text(json.dumps(manifest))
    return folder


def test_install_no_optimize_on_an_installed_model_records_the_choice(alphacut_cli, alphacut_home):
    import json

    folder = _fake_installed_isnet(alphacut_home)
    result = alphacut_cli("models", "install", "isnet", "--no-optimize")
    assert result.returncode == 0, result.stderr
    lines = stderr_lines(result)
    assert lines == ["isnet: already installed (use --force to reinstall)",
                     "isnet: int8 form not built (--no-optimize); the float form is used "
                     "('alphacut models install isnet' builds it in about a minute)"]
    state = json.loads((folder / "manifest.json").read_text())["fast_form"]
    assert state["state"] == "skipped" and not (folder / "model.int8.xml").exists()


def _small_fast_form_recipe(monkeypatch) -> None:
    import pytest

    from alphacut.models import fast_form

    if fast_form.why_no_gain() is not None:
        pytest.skip(fast_form.why_no_gain())
    monkeypatch.setattr(fast_form, "CALIBRATION_SCENES", 4)
    monkeypatch.setattr(fast_form, "GATE_SCENES", 3)
    monkeypatch.setattr(fast_form, "SCENE_SIZE", (96, 72))


def test_install_builds_the_int8_form_by_default_with_progress_and_says_what_it_decided(alphacut_run, alphacut_home, monkeypatch):
    _small_fast_form_recipe(monkeypatch)
    folder = _fake_installed_isnet(alphacut_home)
    code, out, err = alphacut_run("models", "install", "isnet", "--threads", "1")
    assert code == 0, err
    assert out == ""  # NNCF's own progress bars never reach stdout
    assert "isnet: calibrating" in err and "isnet: checking" in err
    last = err.strip().splitlines()[-1]
    assert last.startswith("isnet: int8 form built in") or last.startswith("isnet: keeping the default form ("), last
    assert (folder / "model.int8.xml").is_file()
    code, out, err = alphacut_run("models", "install", "isnet", "--optimize", "--threads", "1")
    assert code == 0 and "earlier" in err.strip().splitlines()[-1]


def _record_fast_form(folder: Path, state: str, reason: str) -> None:
    import json

    from alphacut.models.fast_form import STATE_KEY, recipe

    manifest = json.loads((folder / "manifest.json").read_text())
    manifest[STATE_KEY] = {"state": state, "reason": reason, "base_sha256": manifest["sha256"], "recipe": recipe()}
    (folder / "manifest.json").write_text(json.dumps(manifest))


def test_first_run_is_pending_only_for_a_builtin_store_model_never_settled(alphacut_home, monkeypatch):
    import pytest

    from alphacut.models import fast_form

    if fast_form.why_no_gain() is not None:
        pytest.skip(fast_form.why_no_gain())
    assert fast_form.first_run_pending("isnet", runtime="auto", device="cpu") is None  # not installed
    folder = _fake_installed_isnet(alphacut_home)
    assert fast_form.first_run_pending("isnet", runtime="auto", device="cpu").name == "isnet"
    assert fast_form.first_run_pending("isnet", runtime="openvino", device="cpu") is None
    assert fast_form.first_run_pending("isnet", runtime="auto", device="cuda") is None
    assert fast_form.first_run_pending(str(folder / "model.onnx"), runtime="auto", device="cpu") is None
    _record_fast_form(folder, "skipped", fast_form.OLD_DEFAULT_SKIP)  # opt-in days: not the user's choice
    assert fast_form.first_run_pending("isnet", runtime="auto", device="cpu") is not None
    for state, reason in (("skipped", "--no-optimize"), ("built", "agrees"), ("refused", "differs")):
        _record_fast_form(folder, state, reason)
        assert fast_form.first_run_pending("isnet", runtime="auto", device="cpu") is None, state


def test_the_first_remove_builds_the_form_of_an_older_store_once(alphacut_run, alphacut_home, monkeypatch, tmp_path):
    import json

    _small_fast_form_recipe(monkeypatch)
    folder = _fake_installed_isnet(alphacut_home)
    Image.new("RGB", (64, 48), (200, 40, 40)).save(tmp_path / "a.png")
    code, out, err = alphacut_run("remove", str(tmp_path / "a.png"), "-o", str(tmp_path / "a.cut.png"))
    assert code == 0, err
    assert "isnet: installed before install built the int8 form; building it now, once" in err
    assert "isnet: checking" in err and (tmp_path / "a.cut.png").is_file()
    state = json.loads((folder / "manifest.json").read_text())["fast_form"]["state"]
    assert state in ("built", "refused")
    code, out, err = alphacut_run("remove", str(tmp_path / "a.png"), "-o", str(tmp_path / "b.cut.png"))
    assert code == 0 and "building it now" not in err


def test_no_optimize_is_kept_on_the_next_remove(alphacut_run, alphacut_home, tmp_path):
    folder = _fake_installed_isnet(alphacut_home)
    assert alphacut_run("models", "install", "isnet", "--no-optimize")[0] == 0
    Image.new("RGB", (64, 48), (200, 40, 40)).save(tmp_path / "a.png")
    code, out, err = alphacut_run("remove", str(tmp_path / "a.png"), "-o", str(tmp_path / "a.cut.png"))
    assert code == 0 and "building it now" not in err and not (folder / "model.int8.xml").exists()
