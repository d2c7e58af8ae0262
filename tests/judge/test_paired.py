"""Paired bootstrap intervals: known answers, direction of metrics, pairing by image."""
from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from alphacut.judge.paired import bootstrap_interval, compare_rows, paired_difference, verdict


def test_a_constant_difference_has_a_zero_width_interval():
    mean, low, high = bootstrap_interval([0.02] * 50)
    assert mean == pytest.approx(0.02) and low == pytest.approx(0.02) and high == pytest.approx(0.02)


def test_the_interval_matches_the_normal_theory_for_many_images():
    """For n = 400 draws of N(0.01, 0.05^2) the mean's 95% interval is about 0.01 +- 1.96 * 0.05 / 20."""
    rng = np.random.default_rng(1)
    values = rng.normal(0.01, 0.05, 400)
    mean, low, high = bootstrap_interval(values)
    half = 1.96 * values.std(ddof=1) / np.sqrt(values.size)
    assert low == pytest.approx(mean - half, abs=0.0012) and high == pytest.approx(mean + half, abs=0.0012)
    assert low < mean < high


def test_the_same_values_give_the_same_interval():
    values = np.linspace(-0.1, 0.3, 37)
    assert bootstrap_interval(values) == bootstrap_interval(values.copy())


@pytest.mark.parametrize("metric, low, high, expected", [
    ("iou", 0.01, 0.02, "better"), ("iou", -0.02, -0.01, "worse"), ("iou", -0.01, 0.02, "within noise"),
    ("mae", -0.02, -0.01, "better"), ("mae", 0.01, 0.02, "worse"), ("sad", -1.0, 2.0, "within noise"),
])
def test_verdict_reads_the_metric_direction(metric, low, high, expected):
    assert verdict(metric, low, high) == expected


def test_pairing_removes_image_difficulty():
    """Hard and easy images differ by far more than the pipelines do; paired, the small
    consistent gain is clear, while the unpaired spread would hide it."""
    rng = np.random.default_rng(2)
    difficulty = rng.uniform(0.3, 0.95, 60)
    reference = difficulty
    better = difficulty + 0.004 + rng.normal(0, 0.001, 60)
    result = paired_difference("iou", better, reference)
    assert result.verdict == "better" and result.low > 0 and result.count == 60


def test_compare_rows_matches_images_by_set_and_name():
    def row(set_, name, pipeline, iou):
        return SimpleNamespace(set=set_, name=name, pipeline=pipeline, metrics={"iou": iou, "mae": 1 - iou})

    rows = [row("a", "1", "raw", 0.5), row("a", "1", "new", 0.6), row("b", "1", "raw", 0.9), row("b", "1", "new", 0.9),
            row("a", "2", "new", 0.1)]  # a/2 has no reference: left out
    result = compare_rows(rows, "new", "raw", ["iou", "mae"])
    assert result["iou"].count == 2 and result["iou"].mean == pytest.approx(0.05)
    assert result["mae"].mean == pytest.approx(-0.05)


def test_bad_input_is_refused():
    with pytest.raises(ValueError):
        bootstrap_interval([])
    with pytest.raises(ValueError):
        bootstrap_interval([0.1, float("nan")])
    with pytest.raises(ValueError):
        paired_difference("iou", [1.0, 2.0], [1.0])
