"""evaluate + summarise on a tiny generated set with model-free pipelines, and regression checks."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from alphacut.errors import InputError
from alphacut.judge.dataset import load_set
from alphacut.judge.evaluate import (
    BINARY_METRICS,
    MATTING_METRICS,
    evaluate,
    load_baseline,
    regressions,
    score,
    summarise,
    unknown_region,
)
from alphacut.judge.pipelines import parse_pipeline

WIDTH, HEIGHT = 24, 16
BOX = (slice(4, 12), slice(6, 18))  # 8 x 12 = 96 of 384 px


def truth() -> np.ndarray:
    mask = np.zeros((HEIGHT, WIDTH), np.uint8)
    mask[BOX] = 255
    return mask


def write(path: Path, array: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(array).save(path)


@pytest.fixture()
def tiny_set(tmp_path) -> tuple[Path, Path]:
    """Three white rectangles on black in two categories, and a folder of another tool's masks:
    exact for p1, the left half for p2, nothing for t1."""
    root, other = tmp_path / "tiny", tmp_path / "other-tool"
    image = np.repeat(truth()[..., None], 3, axis=2)
    for name in ("people/p1", "people/p2", "things/t1"):
        write(root / "images" / f"{name}.png", image)
        write(root / "gt" / f"{name}.png", truth())
    half = truth()
    half[:, 12:] = 0  # keeps 48 of the 96 subject pixels
    write(other / "people" / "p1.png", truth())
    write(other / "people" / "p2.png", half)
    write(other / "things" / "t1.png", np.zeros((HEIGHT, WIDTH), np.uint8))
    return root, other


def test_evaluate_and_summarise_per_category(tiny_set):
    root, other = tiny_set
    eval_set = load_set(root)
    pipelines = [parse_pipeline("border-fill"), parse_pipeline(f"folder={other}")]
    seen, images = [], []
    run = evaluate([eval_set], pipelines,
                   on_image=lambda set_name, name: images.append((set_name, name)),
                   on_result=lambda set_name, name, label, image, gt, alpha: seen.append((name, label, alpha.shape)))
    folder = pipelines[1].label
    assert images == [("tiny", "people/p1"), ("tiny", "people/p2"), ("tiny", "things/t1")]
    assert len(seen) == len(run.results) == 6 and all(shape == (HEIGHT, WIDTH) for *_, shape in seen)
    assert run.seconds > 0
    by_key = {(r.name, r.pipeline): r for r in run.results}
    assert set(by_key[("people/p1", "border-fill")].metrics) == set(BINARY_METRICS)  # a hard set: no matting errors
    assert by_key[("people/p2", folder)].metrics["iou"] == pytest.approx(0.5)  # 48 / 96
    assert by_key[("people/p2", folder)].metrics["mae"] == pytest.approx(48 / 384)
    assert by_key[("things/t1", folder)].metrics["iou"] == 0.0

    summary = summarise(run)
    assert summary["pipelines"] == ["border-fill", folder]
    entry = summary["sets"]["tiny"]
    assert entry["images"] == 3 and entry["soft"] is False
    assert entry["overall"]["border-fill"]["iou"] == pytest.approx(1.0)
    assert entry["overall"]["border-fill"]["count"] == 3
    assert entry["overall"][folder]["iou"] == pytest.approx((1 + 0.5 + 0) / 3)
    people, things = entry["categories"]["people"], entry["categories"]["things"]
    assert people[folder]["iou"] == pytest.approx(0.75) and people[folder]["count"] == 2
    assert people[folder]["mae"] == pytest.approx((0 + 48 / 384) / 2)
    assert things[folder]["iou"] == 0.0 and things[folder]["count"] == 1
    assert things["border-fill"]["iou"] == pytest.approx(1.0)
    assert set(summary["timings"]["border-fill"]) == {"border-fill"}
    assert summary["timings"][folder] == {}  # precomputed: nothing timed


def test_soft_sets_add_matting_errors(tmp_path):
    root = tmp_path / "soft"
    image = np.repeat(truth()[..., None], 3, axis=2)
    soft_truth = truth()
    soft_truth[3, 6:18] = soft_truth[12, 6:18] = 128
    for name in ("a", "b"):
        write(root / "images" / f"{name}.png", image)
        write(root / "gt" / f"{name}.png", soft_truth)
    eval_set = load_set(root)
    assert eval_set.soft
    run = evaluate([eval_set], [parse_pipeline("border-fill")])
    metrics = run.results[0].metrics
    assert set(metrics) == set(BINARY_METRICS) | set(MATTING_METRICS) | {"sad_all"}
    # border fill gives the hard rectangle: 24 soft rows of 128/255 missed -> SAD = 24 * 128/255 / 1000
    assert metrics["sad_all"] == pytest.approx(24 * 128 / 255 / 1000, rel=1e-5)
    assert metrics["sad"] == pytest.approx(metrics["sad_all"], rel=1e-5)  # every error lies in the band


def test_score_and_unknown_region():
    gt = truth() / 255.0
    perfect = score(gt, gt, soft=True)
    assert perfect["iou"] == 1.0 and perfect["mae"] == 0.0 and perfect["sad"] == 0.0 and perfect["conn"] == 0.0
    region = unknown_region(gt, band=2)
    assert region[4, 6] and region[2, 10]  # the edge and 2 px around it
    assert not region[8, 12] and not region[0, 0]  # the middle and far away


def summary_with(values: dict, *, set_name: str = "s", category: str = "c", pipeline: str = "auto") -> dict:
    return {"sets": {set_name: {"categories": {category: {pipeline: values}}}}}


def test_regressions_flag_worse_scores_beyond_the_tolerance():
    baseline = summary_with({"iou": 0.90, "mae": 0.050, "sad": 10.0, "conn": 2.0, "count": 5})
    worse = summary_with({"iou": 0.80, "mae": 0.050, "sad": 11.0, "conn": 2.0, "count": 9})
    found = regressions(worse, baseline)
    assert found == ["s/c auto iou: 0.9000 -> 0.8000", "s/c auto sad: 10.0000 -> 11.0000"]
    tiny = summary_with({"iou": 0.898, "mae": 0.051, "sad": 10.3, "conn": 2.05, "count": 5})
    assert regressions(tiny, baseline) == []
    better = summary_with({"iou": 0.99, "mae": 0.01, "sad": 5.0, "conn": 1.0, "count": 5})
    assert regressions(better, baseline) == []
    assert regressions(summary_with({"mae": 0.06}), baseline) == ["s/c auto mae: 0.0500 -> 0.0600"]
    assert regressions(tiny, baseline, tolerance={"iou": 0.001}) == ["s/c auto iou: 0.9000 -> 0.8980"]


def test_regressions_ignore_what_the_baseline_lacks():
    baseline = summary_with({"iou": 0.9})
    assert regressions(summary_with({"iou": 0.1}, set_name="other"), baseline) == []
    assert regressions(summary_with({"iou": 0.1}, category="other"), baseline) == []
    assert regressions(summary_with({"iou": 0.1}, pipeline="other"), baseline) == []
    assert regressions(summary_with({"boundary_f": 0.1}), baseline) == []
    assert regressions(summary_with({"iou": 0.1}), {}) == []


def test_load_baseline_reads_a_results_json(tmp_path):
    path = tmp_path / "results.json"
    baseline = summary_with({"iou": 0.9, "count": 5})
    baseline["pipelines"] = ["auto"]  # keys regressions does not read are free
    path.write_text(json.dumps(baseline))
    assert load_baseline(path) == baseline


@pytest.mark.parametrize("content, message", [
    (None, "no such baseline file"),
    (b"\xff\xfe\x00binary", "not UTF-8"),
    (b"{not json", "not JSON .*line 1, column 2"),
    (b"", "not JSON"),
    (b"[1, 2]", "the top level must be an object"),
    (b'{"sets": 3}', "'sets' must be an object"),
    (b'{"pipelines": []}', "'sets' must be an object"),
    (b'{"sets": {"s": []}}', "sets.s must be an object"),
    (b'{"sets": {"s": {"categories": {"c": 1}}}}', "sets.s.categories.c must be an object of pipelines"),
    (b'{"sets": {"s": {"categories": {"c": {"auto": [0.9]}}}}}', "sets.s.categories.c.auto must be an object"),
    (b'{"sets": {"s": {"categories": {"c": {"auto": {"iou": "high"}}}}}}', "sets.s.categories.c.auto.iou must be a number"),
    (b'{"sets": {"s": {"categories": {"c": {"auto": {"iou": true}}}}}}', "iou must be a number"),
])
def test_a_bad_baseline_is_an_input_error_naming_what_is_wrong(tmp_path, content, message):
    path = tmp_path / "baseline.json"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(InputError, match=message) as raised:
        load_baseline(path)
    assert str(raised.value).startswith(str(path)) and "\n" not in str(raised.value)


def test_a_folder_given_as_baseline_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="cannot read the baseline"):
        load_baseline(tmp_path)
