"""``alphacut eval`` end to end on a tiny generated set: report files, baseline regressions and
exit codes, errors, and a model pipeline with the tiny ONNX model.

One run goes through the installed console script in a subprocess; the others call the same
``main()`` in this process (same error mapping and exit codes, without a second of start-up each).
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import alphacut.judge.evaluate  # noqa: F401  (imported by the command on first use: paid at collection instead)
import alphacut.judge.report  # noqa: F401

WIDTH, HEIGHT = 40, 30


def write(path: Path, array: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(array).save(path)


@pytest.fixture()
def tiny_set(tmp_path) -> tuple[Path, Path]:
    """White rectangles on black (the tiny model's subject) with truth, and another tool's masks."""
    root, other = tmp_path / "tiny", tmp_path / "other"
    for index, box in enumerate([(8, 6, 22, 30), (5, 5, 25, 25)]):
        mask = np.zeros((HEIGHT, WIDTH), np.uint8)
        top, left, bottom, right = box
        mask[top:bottom, left:right] = 255
        write(root / "images" / f"im{index}.png", np.repeat(mask[..., None], 3, axis=2))
        write(root / "gt" / f"im{index}.png", mask)
        shrunk = np.zeros_like(mask)
        shrunk[top + 2:bottom - 2, left + 2:right - 2] = 255
        write(other / f"im{index}.png", shrunk)
    return root, other


def lines(stream: bytes | str) -> list[str]:
    text = stream.decode() if isinstance(stream, bytes) else stream
    return [line for line in text.splitlines() if line.strip()]


@pytest.fixture()
def alphacut_eval(alphacut_run):
    """``alphacut eval ARGS`` in this process: (exit code, stdout, stderr)."""
    return lambda *args: alphacut_run("eval", *args)


def test_quiet_run_writes_the_report(alphacut_cli, tiny_set, tmp_path):
    root, other = tiny_set
    out = tmp_path / "out"
    result = alphacut_cli("eval", "--data", str(root), "--pipeline", "border-fill", "--pipeline", f"folder={other}",
                          "-o", str(out), "-q")
    assert result.returncode == 0, result.stderr.decode()
    assert result.stdout == b"" and result.stderr == b""
    assert (out / "index.html").is_file()
    summary = json.loads((out / "results.json").read_text())
    overall = summary["sets"]["tiny"]["overall"]
    assert set(overall) == {"border-fill", f"folder={other}"}
    assert overall["border-fill"]["iou"] == pytest.approx(1.0)
    assert overall["border-fill"]["count"] == 2
    assert 0.5 < overall[f"folder={other}"]["iou"] < 0.9


def test_baseline_with_better_numbers_fails_the_run(alphacut_eval, tiny_set, tmp_path):
    root, _ = tiny_set
    out = tmp_path / "out"
    code, _, _ = alphacut_eval("--data", str(root), "--pipeline", "border-fill", "-o", str(out / "first"), "-q")
    assert code == 0
    baseline = json.loads((out / "first" / "results.json").read_text())
    baseline["sets"]["tiny"]["categories"]["tiny"]["border-fill"]["iou"] = 1.5  # better than possible
    path = tmp_path / "baseline.json"
    path.write_text(json.dumps(baseline))

    code, stdout, stderr = alphacut_eval("--data", str(root), "--pipeline", "border-fill", "-o", str(out / "loud"),
                                         "--baseline", str(path))
    assert code == 1 and stdout == ""
    regressions = [line for line in lines(stderr) if line.startswith("regression")]
    assert regressions == ["regression tiny/tiny border-fill iou: 1.5000 -> 1.0000"]
    assert any(line.startswith("report: ") for line in lines(stderr))
    assert "Regressions against the baseline" in (out / "loud" / "index.html").read_text()

    code, stdout, stderr = alphacut_eval("--data", str(root), "--pipeline", "border-fill", "-o", str(out / "quiet"),
                                         "--baseline", str(path), "-q")
    assert code == 1  # -q silences the output, not the verdict
    assert stdout == "" and stderr == ""
    assert (out / "quiet" / "index.html").is_file()

    code, _, _ = alphacut_eval("--data", str(root), "--pipeline", "border-fill", "-o", str(out / "same"),
                               "--baseline", str(out / "first" / "results.json"), "-q")
    assert code == 0


def test_missing_data_folder_is_a_one_line_error(alphacut_eval, tmp_path):
    code, stdout, stderr = alphacut_eval("--data", str(tmp_path / "nowhere"), "--pipeline", "border-fill",
                                         "-o", str(tmp_path / "out"), "-q")
    assert code == 2 and stdout == ""
    assert lines(stderr) == [f"alphacut: error: {tmp_path / 'nowhere'}: an evaluation set needs images/ and gt/ folders"]
    assert not (tmp_path / "out").exists()


def test_missing_baseline_and_bad_pipeline_are_one_line_errors(alphacut_eval, tiny_set, tmp_path):
    root, _ = tiny_set
    code, _, stderr = alphacut_eval("--data", str(root), "--pipeline", "border-fill=tol:5", "-o", str(tmp_path / "out"))
    assert code == 2
    errors = lines(stderr)
    assert len(errors) == 1 and errors[0].startswith("alphacut: error: unknown option(s) tol")
    code, _, stderr = alphacut_eval("--data", str(root), "--pipeline", "border-fill",
                                    "--baseline", str(tmp_path / "none.json"), "-o", str(tmp_path / "out"))
    assert code == 2 and lines(stderr) == [f"alphacut: error: {tmp_path / 'none.json'}: no such baseline file"]
    code, _, stderr = alphacut_eval("--data", str(root), "--pipeline", "border-fill", "--pipeline", "border-fill",
                                    "-o", str(tmp_path / "out"))
    assert code == 2 and lines(stderr) == ["alphacut: error: each --pipeline must differ"]
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("content, message", [
    (b"{truncated", "the baseline is not JSON (Expecting property name enclosed in double quotes at line 1, column 2)"),
    (b'{"sets": {"tiny": {"categories": {"tiny": {"border-fill": {"iou": "0.9"}}}}}}',
     "the baseline is not an alphacut eval results.json (sets.tiny.categories.tiny.border-fill.iou must be a number)"),
])
def test_a_bad_baseline_fails_in_one_line_before_anything_is_scored(alphacut_eval, tiny_set, tmp_path, content, message):
    root, _ = tiny_set
    path = tmp_path / "baseline.json"
    path.write_bytes(content)
    code, stdout, stderr = alphacut_eval("--data", str(root), "--pipeline", "border-fill",
                                         "--baseline", str(path), "-o", str(tmp_path / "out"))
    assert (code, stdout) == (2, "")
    assert lines(stderr) == [f"alphacut: error: {path}: {message}"]
    assert not (tmp_path / "out").exists()  # checked before the evaluation started


def test_a_bad_pipeline_option_value_fails_before_anything_is_scored(alphacut_eval, tiny_set, tmp_path):
    root, _ = tiny_set
    code, _, stderr = alphacut_eval("--data", str(root), "--pipeline", "auto=tta:3", "-o", str(tmp_path / "out"))
    assert code == 2 and lines(stderr) == ["alphacut: error: tta must be 1, 2 or 4, not 3"]
    assert not (tmp_path / "out").exists()


def test_model_pipeline_with_the_tiny_model(alphacut_eval, tiny_set, tiny_model, tmp_path):
    root, _ = tiny_set
    out = tmp_path / "out"
    label = f"model={tiny_model}"
    code, _, stderr = alphacut_eval("--data", str(root), "--pipeline", label, "--pipeline", "border-fill",
                                    "--compare", f"{label},border-fill", "-o", str(out))
    assert code == 0, stderr
    summary = json.loads((out / "results.json").read_text())
    assert summary["sets"]["tiny"]["overall"][label]["iou"] > 0.95
    assert "predict" in summary["timings"][label]
    assert "gains most over border-fill" in (out / "index.html").read_text()


def test_baseline_pipeline_reports_paired_intervals(alphacut_eval, tiny_set, tmp_path):
    """border-fill is exact on the tiny set, the other tool's shrunk masks are worse on every image:
    the paired difference is negative with an interval below zero, and the report says so."""
    root, other = tiny_set
    out = tmp_path / "out"
    code, _, stderr = alphacut_eval("--data", str(root), "--pipeline", "border-fill", "--pipeline", f"folder={other}",
                                    "--baseline-pipeline", "border-fill", "-o", str(out))
    assert code == 0, stderr
    summary = json.loads((out / "results.json").read_text())
    iou = summary["paired"]["tiny"]["overall"][f"folder={other}"]["iou"]
    assert iou["count"] == 2 and iou["high"] < 0 and iou["verdict"] == "worse"
    assert summary["paired"]["tiny"]["overall"][f"folder={other}"]["mae"]["verdict"] == "worse"
    assert f"paired tiny folder={other} - border-fill iou:" in stderr and "worse" in stderr
    assert "paired difference against border-fill" in (out / "index.html").read_text()

    code, _, stderr = alphacut_eval("--data", str(root), "--pipeline", "border-fill", "--baseline-pipeline", "raw",
                                    "-o", str(tmp_path / "x"))
    assert code == 2 and "--baseline-pipeline 'raw' is not one of the --pipeline labels" in stderr


def test_summary_piped_is_a_markdown_table_with_full_labels(tiny_set, tmp_path):
    """The per-set table goes to stderr; off a terminal (typer's CliRunner) it is markdown with the
    whole pipeline label, which Rich would cut to a few characters at 80 columns."""
    from typer.testing import CliRunner

    from alphacut.cli.app import app

    root, other = tiny_set
    label = f"folder={other}"
    result = CliRunner().invoke(app, ["eval", "--data", str(root), "--pipeline", "border-fill", "--pipeline", label,
                                      "-o", str(tmp_path / "out")], env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    table = [line for line in lines(result.stderr) if line.startswith("|")]
    assert table[0].startswith("| pipeline | iou | ")
    assert table[1].startswith("| --- | ---: |")
    assert [row.split(" | ")[0] for row in table[2:]] == ["| border-fill", f"| {label}"]
    assert "tiny (2 images)" in lines(result.stderr)
