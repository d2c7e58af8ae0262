"""``alphacut eval``: score pipelines on sets with ground truth; JSON + static HTML report."""
from __future__ import annotations

import sys
from pathlib import Path
from typing import List, Optional

import typer

from alphacut.cli.options import Device, RuntimeChoice, device_option, quiet_option, runtime_option


def evaluate(
    data: List[Path] = typer.Option(..., "--data", help="Set folder with images/ and gt/ (repeatable)."),
    pipeline: List[str] = typer.Option(["raw", "auto"], "--pipeline", "-p", help="NAME[=OPTIONS] (repeatable); see docs."),
    out: Path = typer.Option(Path("eval-report"), "--out", "-o", help="Report folder (index.html, results.json)."),
    baseline: Optional[Path] = typer.Option(None, "--baseline", help="An earlier results.json to flag regressions against."),
    compare: Optional[str] = typer.Option(None, "--compare", metavar="A,B", help="Gallery of A's largest gains/losses vs B."),
    baseline_pipeline: Optional[str] = typer.Option(None, "--baseline-pipeline", metavar="LABEL", help="Report every other pipeline's paired difference against this one, per set and category, with 95% bootstrap intervals over images."),
    limit: Optional[int] = typer.Option(None, "--limit", min=1, help="At most this many images per set."),
    runtime: RuntimeChoice = runtime_option("Inference engine of model pipelines."),
    device: Device = device_option("Device of model pipelines: cpu, or cuda (fails if CUDA is not really used)."),
    quiet: bool = quiet_option("No progress bar or summary (a regression still exits 1)."),
) -> None:
    """Evaluate pipelines on data with ground truth: IoU, MAE, F-measures, S/E-measure, boundary F,
    and SAD/MSE/Grad/Conn on matting sets, per category; gallery sorted worst first."""
    from alphacut.cli.progress import BatchProgress
    from alphacut.errors import InputError
    from alphacut.judge.dataset import load_set
    from alphacut.judge.evaluate import evaluate as run_eval
    from alphacut.judge.evaluate import load_baseline, regressions, summarise
    from alphacut.judge.pipelines import parse_pipeline
    from alphacut.judge.report import ThumbnailWriter, write_report

    sets = [load_set(folder, limit) for folder in data]
    pipelines = [parse_pipeline(text) for text in pipeline]
    labels = [p.label for p in pipelines]
    if len(set(labels)) != len(labels):
        raise InputError("each --pipeline must differ")
    pair = None
    if compare:
        pair = tuple(part.strip() for part in compare.split(","))
        if len(pair) != 2 or not set(pair) <= set(labels):
            raise InputError("--compare A,B takes two of the --pipeline labels")
    earlier = load_baseline(baseline) if baseline is not None else None  # checked before any image is scored
    if baseline_pipeline is not None and baseline_pipeline not in labels:
        raise InputError(f"--baseline-pipeline {baseline_pipeline!r} is not one of the --pipeline labels: {', '.join(labels)}")
    total = sum(len(s.samples) for s in sets)
    with BatchProgress(total, enabled=not quiet, label="evaluating") as progress:
        run = run_eval(sets, pipelines, device=device.value, runtime=runtime.value,
                       on_image=lambda s, n: progress.advance(None, None), on_result=ThumbnailWriter(out))
    summary = summarise(run, reference=baseline_pipeline)
    found = regressions(summary, earlier) if earlier is not None else []
    index = write_report(out, summary, run.results, regressions=found, compare=pair)  # type: ignore[arg-type]
    if not quiet:
        _print_summary(summary, found, index, out / "results.json")
    if found:  # with or without -q: a regression fails the run
        sys.exit(1)


def _print_summary(summary: dict, found: list[str], index: Path, results: Path) -> None:
    """Overall table per set, the regressions and where the report is, on stderr."""
    from rich.console import Console

    from alphacut.cli.tables import print_table

    console = Console(stderr=True)
    for set_name, entry in summary["sets"].items():
        metrics = [m for m in next(iter(entry["overall"].values())) if m != "count"]
        rows = [(label, *(f"{values[m]:.4f}" for m in metrics)) for label, values in entry["overall"].items()]
        print_table(f"{set_name} ({entry['images']} images)", ("pipeline", *metrics), rows,
                    right_aligned=metrics, stream=sys.stderr)
    for set_name, entry in summary.get("paired", {}).items():
        for pipeline, values in entry["overall"].items():
            for metric, d in values.items():
                console.print(f"paired {set_name} {pipeline} - {summary['reference']} {metric}: {d['mean']:+.4f} "
                              f"[{d['low']:+.4f}, {d['high']:+.4f}] {d['verdict']}", highlight=False)
    for line in found:
        console.print(f"[red]regression[/red] {line}", highlight=False)
    console.print(f"report: {index}  data: {results}", highlight=False)
