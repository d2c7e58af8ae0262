"""The static HTML report: local files only, every thumbnail it shows exists."""
from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from alphacut.judge.dataset import load_set
from alphacut.judge.evaluate import evaluate, summarise
from alphacut.judge.pipelines import parse_pipeline
from alphacut.judge.report import ThumbnailWriter, checkerboard, error_map, slug, write_report


def write(path: Path, array: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(array).save(path)


@pytest.fixture()
def evaluated(tmp_path):
    """Two categories, border-fill and another tool's masks (one of them wrong), run with thumbnails."""
    root, other, out = tmp_path / "set one", tmp_path / "other", tmp_path / "report"
    mask = np.zeros((30, 40), np.uint8)
    mask[8:22, 10:30] = 255
    for name in ("logos/a", "logos/b", "icons/c"):
        write(root / "images" / f"{name}.png", np.repeat(mask[..., None], 3, axis=2))
        write(root / "gt" / f"{name}.png", mask)
        write(other / f"{name}.png", mask if name != "logos/b" else np.zeros_like(mask))
    pipelines = [parse_pipeline("border-fill"), parse_pipeline(f"folder={other}")]
    run = evaluate([load_set(root)], pipelines, on_result=ThumbnailWriter(out))
    return out, run, summarise(run), pipelines


def image_sources(html: str) -> list[str]:
    return re.findall(r"<img src='([^']+)'", html)


def test_report_is_self_contained(evaluated):
    out, run, summary, pipelines = evaluated
    lines = ["set one/logos border-fill iou: 1.0000 -> 0.5000 <b>"]
    index = write_report(out, summary, run.results, regressions=lines,
                         compare=(pipelines[0].label, pipelines[1].label))
    assert index == out / "index.html"
    html = index.read_text()
    assert not re.search(r"https?://", html)  # no CDN, no remote fonts or scripts
    assert "<script" not in html
    assert "Regressions against the baseline" in html
    assert "&lt;b&gt;" in html and "<b>" not in html  # escaped
    assert json.loads((out / "results.json").read_text()) == json.loads(json.dumps(summary))
    sources = image_sources(html)
    # galleries: 3 images x 2 pipelines x (input, truth, cutout, error); comparison rows show both pipelines
    assert len(sources) >= 24
    for source in sources:
        assert not source.startswith("/")
        assert (out / source).is_file(), source
    for source in set(sources):
        assert Image.open(out / source).size[0] <= 192


def test_report_tables_and_categories(evaluated):
    out, run, summary, _ = evaluated
    html = write_report(out, summary, run.results, regressions=[]).read_text()
    assert "Regressions" not in html
    assert "category logos" in html and "category icons" in html
    assert "3 images" in html
    assert "Median seconds per image and stage" in html


def test_thumbnails_per_image_and_pipeline(evaluated):
    out, _, _, pipelines = evaluated
    writer = ThumbnailWriter(out)
    for name in ("logos/a", "logos/b", "icons/c"):
        for kind in ("input", "gt", *(f"{p.label}.{part}" for p in pipelines for part in ("cut", "err"))):
            assert writer.path("set one", name, kind).is_file()
    # the wrong mask's error map is red where the subject was lost
    error = np.asarray(Image.open(writer.path("set one", "logos/b", f"{pipelines[1].label}.err")))
    assert tuple(error[error.shape[0] // 2, error.shape[1] // 2]) == (255, 0, 0)


def test_slug_checkerboard_and_error_map():
    assert slug("folder=/tmp/x y/{set}") == "folder_tmp_x_y_set"
    assert slug("///") == "x"
    board = np.asarray(checkerboard((16, 8), cell=4).convert("L"))
    assert board.shape == (8, 16) and board[0, 0] == 204 and board[0, 4] == 255 and board[4, 0] == 255
    gt = np.array([[1.0, 0.0, 1.0]])
    alpha = np.array([[0.0, 1.0, 1.0]])
    colours = np.asarray(error_map(alpha, gt))
    assert colours[0].tolist() == [[255, 0, 0], [0, 0, 255], [255, 255, 255]]  # lost, kept background, right
