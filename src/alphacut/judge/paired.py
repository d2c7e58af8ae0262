"""Paired comparisons of pipelines over the same images, with bootstrap confidence intervals.

A dev-set gain is a hypothesis until it holds beyond noise on images nobody tuned on. For each
image the metric difference ``pipeline - reference`` is taken (the pairing removes how hard an
image is from the comparison); the mean difference gets a percentile bootstrap interval over
images (Efron & Tibshirani 1993, ch. 13): resample the images with replacement ``resamples``
times, take the mean each time, and report the 2.5 and 97.5 percentiles. An interval that holds
zero is "within noise".
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Sequence

import numpy as np

#: Metrics where lower is better (errors); every other metric is higher-is-better.
LOWER_IS_BETTER = frozenset({"mae", "sad", "mse", "grad", "conn", "sad_all"})
RESAMPLES = 2000
SEED = 20261201  # fixed: the same results give the same interval on every run


@dataclass(frozen=True)
class PairedDifference:
    """Mean of ``pipeline - reference`` over ``count`` images and its 95% bootstrap interval.
    ``verdict`` reads the interval with the metric's direction: ``better``, ``worse`` or
    ``within noise``."""

    metric: str
    count: int
    mean: float
    low: float
    high: float
    verdict: str

    def as_dict(self) -> dict:
        return {"count": self.count, "mean": self.mean, "low": self.low, "high": self.high, "verdict": self.verdict}


def bootstrap_interval(differences: Sequence[float], *, resamples: int = RESAMPLES, seed: int = SEED,
                       confidence: float = 0.95) -> tuple[float, float, float]:
    """(mean, low, high): the mean of ``differences`` and its percentile bootstrap interval."""
    values = np.asarray(differences, np.float64)
    if values.ndim != 1 or values.size == 0:
        raise ValueError("bootstrap_interval needs a non-empty 1-D sequence of differences")
    if not np.all(np.isfinite(values)):
        raise ValueError("bootstrap_interval: differences must be finite")
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be between 0 and 1, not {confidence}")
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, values.size, size=(resamples, values.size))
    means = values[picks].mean(axis=1)
    tail = (1.0 - confidence) / 2.0 * 100.0
    low, high = np.percentile(means, [tail, 100.0 - tail])
    return float(values.mean()), float(low), float(high)


def verdict(metric: str, low: float, high: float) -> str:
    if low <= 0.0 <= high:
        return "within noise"
    improved = high < 0.0 if metric in LOWER_IS_BETTER else low > 0.0
    return "better" if improved else "worse"


def paired_difference(metric: str, values: Sequence[float], reference: Sequence[float], **bootstrap) -> PairedDifference:
    """``values[i]`` and ``reference[i]`` are the same image's metric under two pipelines."""
    if len(values) != len(reference):
        raise ValueError(f"paired values differ in length: {len(values)} vs {len(reference)}")
    differences = np.asarray(values, np.float64) - np.asarray(reference, np.float64)
    mean, low, high = bootstrap_interval(differences, **bootstrap)
    return PairedDifference(metric, len(differences), mean, low, high, verdict(metric, low, high))


def compare_rows(rows: Iterable, pipeline: str, reference: str, metrics: Iterable[str]) -> dict[str, PairedDifference]:
    """Paired differences of ``pipeline`` against ``reference`` over result rows (objects with
    ``set``, ``name``, ``pipeline`` and ``metrics``), matched by (set, image name); images that only
    one of the two scored are left out."""
    mine: dict[tuple[str, str], dict] = {}
    theirs: dict[tuple[str, str], dict] = {}
    for row in rows:
        if row.pipeline == pipeline:
            mine[(row.set, row.name)] = row.metrics
        elif row.pipeline == reference:
            theirs[(row.set, row.name)] = row.metrics
    keys = sorted(mine.keys() & theirs.keys())
    if not keys:
        return {}
    return {
        metric: paired_difference(metric, [mine[k][metric] for k in keys], [theirs[k][metric] for k in keys])
        for metric in metrics
        if all(metric in mine[k] and metric in theirs[k] for k in keys)
    }
