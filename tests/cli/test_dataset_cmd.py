"""``alphacut dataset build`` end to end on tiny RGBA files, and its one-line errors.

The successful build runs through typer's ``CliRunner``; the errors go through ``main()`` in this
process, which maps an ``AlphacutError`` to ``alphacut: error: ...`` and the error's exit code.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

from alphacut.cli.app import app

ALPHA = np.array([
    [0, 0, 0, 0, 0, 0],
    [0, 255, 255, 128, 0, 0],
    [0, 255, 255, 255, 40, 0],
    [0, 200, 255, 255, 0, 0],
    [0, 0, 0, 0, 0, 0],
], np.uint8)


def digests(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture()
def cutouts(tmp_path) -> Path:
    folder = tmp_path / "cutouts"
    folder.mkdir()
    for index, name in enumerate(("apple", "pear", "plum")):
        rgb = np.random.default_rng(index).integers(0, 256, ALPHA.shape + (3,), dtype=np.uint8)
        Image.fromarray(np.dstack([rgb, ALPHA]), "RGBA").save(folder / f"{name}.png")
    return folder


def test_build_from_rgba_end_to_end(cutouts, tmp_path, monkeypatch):
    monkeypatch.setenv("COLUMNS", "300")  # keep rich from wrapping the long temporary paths
    before = digests(cutouts)
    out = tmp_path / "data"
    result = CliRunner().invoke(app, ["dataset", "build", "--rgba", str(cutouts), "-o", str(out), "--seed", "2"])

    assert result.exit_code == 0, (result.output, result.exception)
    assert result.stdout == ""  # the summary goes to stderr
    assert f"{out}: 9 samples (6 train, 3 val)" in result.stderr
    names = [f"{fruit}_{index}.png" for fruit in ("apple", "pear", "plum") for index in range(3)]
    assert sorted(p.name for p in (out / "images").iterdir()) == sorted(names)
    assert sorted(p.name for p in (out / "masks").iterdir()) == sorted(names)
    for name in names:
        assert np.array_equal(np.asarray(Image.open(out / "masks" / name)), ALPHA)  # --soft by default
        assert np.asarray(Image.open(out / "images" / name)).shape == (5, 6, 3)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["counts"] == {"train": 6, "val": 3}
    assert manifest["settings"]["backgrounds"] == ["solid", "pattern", "noise"]  # the default for --rgba
    kinds = [s["background"] for s in manifest["samples"]]
    assert [sorted(kinds[i : i + 3]) for i in (0, 3, 6)] == [["noise", "pattern", "solid"]] * 3  # every kind per subject
    assert manifest["sources"] == [str(cutouts)] and manifest["skipped"] == []
    assert digests(cutouts) == before


def test_build_options_reach_the_dataset(cutouts, tmp_path):
    out = tmp_path / "data"
    result = CliRunner().invoke(app, ["dataset", "build", "--rgba", str(cutouts), "-o", str(out), "--hard",
                                      "-b", "solid", "--backgrounds", "noise,pattern", "--per-subject", "2",
                                      "--scale", "2", "--val", "0", "-q"])
    assert result.exit_code == 0, (result.output, result.exception)
    assert result.stderr == ""  # -q
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["settings"]["backgrounds"] == ["solid", "noise", "pattern"]
    assert manifest["counts"] == {"train": 6}
    # two per subject, each subject starting one kind further
    assert [s["background"] for s in manifest["samples"]] == ["solid", "noise", "noise", "pattern", "pattern", "solid"]
    mask = np.asarray(Image.open(out / "masks" / "pear_1.png"))
    assert np.array_equal(mask, np.kron(np.where(ALPHA >= 128, 255, 0), np.ones((2, 2))).astype(np.uint8))


@pytest.mark.parametrize("arguments, message", [
    ([], "give exactly one source: --rgba DIR, --with-bg DIR --without-bg DIR, or --images DIR --masks DIR"),
    (["--rgba", "{cutouts}", "--images", "{cutouts}", "--masks", "{cutouts}"], "give exactly one source"),
    (["--with-bg", "{cutouts}"], "--with-bg and --without-bg go together"),
    (["--masks", "{cutouts}"], "--images and --masks go together"),
    (["--rgba", "{missing}"], "{missing}: no such folder"),
    (["--rgba", "{cutouts}", "-b", "gradient"], "'gradient' is neither one of solid, pattern, noise nor a folder"),
])
def test_source_errors_are_one_line(alphacut_run, cutouts, tmp_path, arguments, message):
    missing = tmp_path / "nowhere"
    fill = lambda text: text.format(cutouts=cutouts, missing=missing)  # noqa: E731
    out = tmp_path / "data"
    code, stdout, stderr = alphacut_run("dataset", "build", "-o", str(out), *map(fill, arguments))
    assert code == 2  # InputError
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("alphacut: error: ") and fill(message) in lines[0], stderr
    assert stdout == ""
    assert not (out / "manifest.json").exists()


def test_output_inside_the_source_is_refused(alphacut_run, cutouts):
    before = digests(cutouts)
    code, _, stderr = alphacut_run("dataset", "build", "--rgba", str(cutouts), "-o", str(cutouts / "data"), "-q")
    assert code == 3  # OutputError
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "must be outside the source folder" in lines[0]
    assert digests(cutouts) == before and not (cutouts / "data").exists()


def test_a_folder_without_usable_cutouts_is_an_error(alphacut_run, tmp_path):
    folder = tmp_path / "photos"
    folder.mkdir()
    Image.new("RGB", (6, 5), (9, 9, 9)).save(folder / "flat.png")
    code, _, stderr = alphacut_run("dataset", "build", "--rgba", str(folder), "-o", str(tmp_path / "data"))
    assert code == 2
    assert "flat.png: no alpha channel" in stderr
    assert stderr.strip().splitlines()[-1] == "alphacut: error: no samples written; see the reasons above"
    manifest = json.loads((tmp_path / "data" / "manifest.json").read_text())  # the record of what was skipped
    assert manifest["samples"] == [] and len(manifest["skipped"]) == 1


def test_backgrounds_from_learns_the_collection_style(cutouts, tmp_path, monkeypatch):
    monkeypatch.setenv("COLUMNS", "300")
    with_bg = tmp_path / "with-bg"
    with_bg.mkdir()
    stripes = np.where((np.arange(24) // 2 % 2)[:, None, None] == 0, [10, 20, 30], [200, 210, 220]).astype(np.uint8)
    Image.fromarray(np.ascontiguousarray(np.broadcast_to(stripes, (24, 24, 3)))).save(with_bg / "scene.png")
    before = digests(with_bg)
    out = tmp_path / "data"
    result = CliRunner().invoke(app, ["dataset", "build", "--rgba", str(cutouts), "-o", str(out), "--per-subject", "2",
                                      "--backgrounds-from", str(with_bg)])
    assert result.exit_code == 0, (result.output, result.exception)
    assert f"background style learned from {with_bg}: 1 images: 0 flat, 1 textured" in result.stderr
    manifest = json.loads((out / "manifest.json").read_text())
    assert [s["background"] for s in manifest["samples"]].count("own") == 6  # 2 more per subject
    assert manifest["sources"] == [str(cutouts), str(with_bg)] and digests(with_bg) == before


def test_backgrounds_from_needs_rgba_cutouts(tmp_path, alphacut_run):
    (tmp_path / "a").mkdir(), (tmp_path / "b").mkdir()
    code, _, err = alphacut_run("dataset", "build", "--images", str(tmp_path / "a"), "--masks", str(tmp_path / "b"),
                                "-o", str(tmp_path / "out"), "--backgrounds-from", str(tmp_path / "a"))
    assert code == 2 and "--backgrounds-from adds composites of --rgba cutouts" in err
    assert not (tmp_path / "out").exists()
