"""Run pipelines over evaluation sets and score every image, then aggregate per category."""
from __future__ import annotations

import json
import statistics
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np
from scipy import ndimage

from alphacut.errors import InputError
from alphacut.io.decode import decode_first_frame
from alphacut.judge import metrics
from alphacut.judge.dataset import EvalSet, load_gt
from alphacut.judge.paired import LOWER_IS_BETTER, compare_rows
from alphacut.judge.pipelines import Pipeline, PredictionCache

BINARY_METRICS: dict[str, Callable] = {
    "iou": metrics.iou,
    "mae": metrics.mae,
    "max_f": metrics.max_f_measure,
    "mean_f": metrics.mean_f_measure,
    "weighted_f": metrics.weighted_f_measure,
    "s_measure": metrics.s_measure,
    "e_measure": metrics.e_measure,
    "boundary_f": metrics.boundary_f,
}
MATTING_METRICS: dict[str, Callable] = {
    "sad": metrics.sad,
    "mse": metrics.mse,
    "grad": metrics.gradient_error,
    "conn": metrics.connectivity_error,
}
#: Half-width in pixels of the band around the ground truth's soft pixels where matting errors count.
UNKNOWN_BAND = 10


def unknown_region(gt: np.ndarray, band: int = UNKNOWN_BAND) -> np.ndarray:
    """Where a matting benchmark's trimap would say 'unknown': GT pixels strictly between 0 and 1,
    and every pixel within ``band`` px of one (or of the GT's edge, for hard edges)."""
    soft = (gt > 0.01) & (gt < 0.99)
    hard = gt >= 0.5
    edge = hard ^ ndimage.binary_erosion(hard)
    return ndimage.binary_dilation(soft | edge, iterations=band)


def score(alpha: np.ndarray, gt: np.ndarray, soft: bool) -> dict[str, float]:
    values = {name: fn(alpha, gt) for name, fn in BINARY_METRICS.items()}
    if soft:
        region = unknown_region(gt)
        values.update({name: fn(alpha, gt, region) for name, fn in MATTING_METRICS.items()})
        values["sad_all"] = metrics.sad(alpha, gt)
    return values


@dataclass
class ImageResult:
    set: str
    name: str
    category: str
    pipeline: str
    metrics: dict[str, float]
    timings: dict[str, float]
    error: str | None = None


@dataclass
class EvalRun:
    sets: list[EvalSet]
    pipelines: list[Pipeline]
    results: list[ImageResult] = field(default_factory=list)
    seconds: float = 0.0


def evaluate(
    sets: list[EvalSet],
    pipelines: list[Pipeline],
    *,
    device: str = "cpu",
    runtime: str = "auto",
    on_image: Callable[[str, str], None] = lambda set_name, image_name: None,
    on_result: Callable[..., None] | None = None,
) -> EvalRun:
    """Score every pipeline on every image. ``on_result(set, name, pipeline, image, gt, alpha)``
    sees each output (the report writes its thumbnails there); ``on_image`` marks progress."""
    run = EvalRun(sets, pipelines)
    cache = PredictionCache(device=device, runtime=runtime)
    start = time.perf_counter()
    for eval_set in sets:
        for sample in eval_set.samples:
            image = decode_first_frame(sample.image)
            gt = load_gt(sample.gt)
            cache.start_image(sample.image)
            for pipeline in pipelines:
                outcome = pipeline.run(image, sample, cache)
                alpha = outcome.alpha
                if alpha.shape != gt.shape:
                    raise ValueError(f"{sample.image}: output {alpha.shape} differs from ground truth {gt.shape}")
                if on_result is not None:
                    on_result(eval_set.name, sample.name, pipeline.label, image, gt, alpha)
                run.results.append(
                    ImageResult(eval_set.name, sample.name, sample.category, pipeline.label,
                                score(alpha, gt, eval_set.soft), outcome.timings)
                )
            on_image(eval_set.name, sample.name)
    run.seconds = time.perf_counter() - start
    return run


def summarise(run: EvalRun, reference: str | None = None) -> dict:
    """Means per set, per category and per pipeline, plus median stage timings per pipeline.

    With ``reference`` (a pipeline label), ``summary["paired"]`` holds every other pipeline's paired
    difference against it per set and per category: mean, 95% bootstrap interval over images and a
    verdict (``better``, ``worse``, ``within noise``); see :mod:`alphacut.judge.paired`."""
    summary: dict = {"sets": {}, "pipelines": [p.label for p in run.pipelines], "seconds": run.seconds}
    if reference is not None and reference not in summary["pipelines"]:
        raise ValueError(f"reference pipeline {reference!r} is not one of {summary['pipelines']}")
    for eval_set in run.sets:
        rows = [r for r in run.results if r.set == eval_set.name]
        categories = sorted({r.category for r in rows})
        entry = {"soft": eval_set.soft, "images": len(eval_set.samples), "overall": {}, "categories": {}}
        for pipeline in summary["pipelines"]:
            mine = [r for r in rows if r.pipeline == pipeline]
            entry["overall"][pipeline] = _means(mine)
            for category in categories:
                entry["categories"].setdefault(category, {})[pipeline] = _means([r for r in mine if r.category == category])
        summary["sets"][eval_set.name] = entry
    summary["timings"] = {}
    for pipeline in summary["pipelines"]:
        stages: dict[str, list[float]] = {}
        for r in run.results:
            if r.pipeline == pipeline:
                for stage, seconds in r.timings.items():
                    stages.setdefault(stage, []).append(seconds)
        summary["timings"][pipeline] = {stage: statistics.median(v) for stage, v in stages.items()}
    if reference is not None:
        summary["reference"] = reference
        summary["paired"] = paired_summary(run, reference)
    return summary


def paired_summary(run: EvalRun, reference: str) -> dict:
    """``{set: {"overall": {pipeline: {metric: difference}}, "categories": {category: {...}}}}``."""
    paired: dict = {}
    others = [p.label for p in run.pipelines if p.label != reference]
    for eval_set in run.sets:
        rows = [r for r in run.results if r.set == eval_set.name]
        if not rows:
            continue
        metric_names = [m for m in rows[0].metrics]
        entry: dict = {"overall": {}, "categories": {}}
        for pipeline in others:
            entry["overall"][pipeline] = {m: d.as_dict() for m, d in compare_rows(rows, pipeline, reference, metric_names).items()}
            for category in sorted({r.category for r in rows}):
                chosen = [r for r in rows if r.category == category]
                entry["categories"].setdefault(category, {})[pipeline] = {
                    m: d.as_dict() for m, d in compare_rows(chosen, pipeline, reference, metric_names).items()}
        paired[eval_set.name] = entry
    return paired


def _means(rows: list[ImageResult]) -> dict[str, float]:
    if not rows:
        return {}
    names = rows[0].metrics.keys()
    means = {name: float(np.mean([r.metrics[name] for r in rows])) for name in names}
    means["count"] = len(rows)
    return means


def load_baseline(path: Path) -> dict:
    """An earlier ``results.json`` to compare with, checked whole before any image is scored: the
    file must exist, be JSON, and hold ``sets.SET.categories.CATEGORY.PIPELINE.METRIC`` numbers
    (what :func:`regressions` reads; other keys are free). InputError naming what is wrong."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"{path}: no such baseline file") from None
    except UnicodeDecodeError:
        raise InputError(f"{path}: the baseline is not a results.json (not UTF-8 text)") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read the baseline ({exc.strerror or exc})") from None
    try:
        baseline = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}: the baseline is not JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})") from None
    _check_baseline(path, baseline)
    return baseline


def _check_baseline(path: Path, baseline: Any) -> None:
    def wrong(where: str, expected: str) -> InputError:
        return InputError(f"{path}: the baseline is not an alphacut eval results.json ({where} must be {expected})")

    if not isinstance(baseline, dict):
        raise wrong("the top level", "an object")
    sets = baseline.get("sets")
    if not isinstance(sets, dict):
        raise wrong("'sets'", "an object of sets")
    for set_name, entry in sets.items():
        if not isinstance(entry, dict) or not isinstance(entry.get("categories", {}), dict):
            raise wrong(f"sets.{set_name}", "an object with 'categories'")
        for category, per_pipeline in entry.get("categories", {}).items():
            if not isinstance(per_pipeline, dict):
                raise wrong(f"sets.{set_name}.categories.{category}", "an object of pipelines")
            for pipeline, values in per_pipeline.items():
                if not isinstance(values, dict):
                    raise wrong(f"sets.{set_name}.categories.{category}.{pipeline}", "an object of metrics")
                for metric, value in values.items():
                    if isinstance(value, bool) or not isinstance(value, (int, float)):
                        raise wrong(f"sets.{set_name}.categories.{category}.{pipeline}.{metric}", "a number")


def regressions(summary: dict, baseline: dict, tolerance: dict[str, float] | None = None) -> list[str]:
    """Per set, category, pipeline and metric: where the new mean is worse than the baseline's by
    more than the tolerance (absolute for scores in [0, 1], relative 5% for matting errors)."""
    tolerance = tolerance or {}
    found = []
    for set_name, entry in summary["sets"].items():
        old_set = baseline.get("sets", {}).get(set_name)
        if not old_set:
            continue
        for category, per_pipeline in entry["categories"].items():
            for pipeline, values in per_pipeline.items():
                old = old_set.get("categories", {}).get(category, {}).get(pipeline)
                if not old:
                    continue
                for metric, new_value in values.items():
                    if metric == "count" or metric not in old:
                        continue
                    old_value = old[metric]
                    if metric in ("sad", "mse", "grad", "conn", "sad_all"):
                        worse = new_value > old_value * (1 + tolerance.get(metric, 0.05)) + 1e-9
                    elif metric in LOWER_IS_BETTER:
                        worse = new_value > old_value + tolerance.get(metric, 0.002)
                    else:
                        worse = new_value < old_value - tolerance.get(metric, 0.005)
                    if worse:
                        found.append(f"{set_name}/{category} {pipeline} {metric}: {old_value:.4f} -> {new_value:.4f}")
    return found
