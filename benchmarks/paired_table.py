"""Tables of paired differences from per-image rows saved by ``quality_levers.py --rows``.

Several runs (two source trees, say: the code before and after a change) write their rows; this
script puts them side by side per set, each pipeline's mean and its paired difference against a
reference with a bootstrap 95% interval (:mod:`alphacut.judge.paired`).

``--patch NEW=BASE+OVERRIDE`` builds pipeline NEW from BASE's rows with OVERRIDE's rows in their
place wherever OVERRIDE scored the image: a run of the old code on only the images where it
behaves differently (the old router's non-photo choices) stands for a full run, because on every
other image both trees run the same preset through the same code.

Usage:
  .venv/bin/python benchmarks/paired_table.py --rows new.jsonl --rows old.jsonl --reference raw \
      --pipeline border-fill --pipeline old_auto --pipeline auto --patch old_auto=auto+old_auto \
      --metrics iou,mae,boundary_f
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np


def read_rows(paths: list[Path]):
    from alphacut.judge.evaluate import ImageResult

    rows = {}
    for path in paths:
        for line in path.read_text().splitlines():
            r = json.loads(line)
            # a pipeline two runs both scored (the reference) counts once: the first file's rows
            rows.setdefault((r["set"], r["name"], r["pipeline"]),
                            ImageResult(r["set"], r["name"], r["category"], r["pipeline"], r["metrics"], {}))
    return list(rows.values())


def patched(rows, label: str, base: str, override: str):
    from alphacut.judge.evaluate import ImageResult

    overriding = {(r.set, r.name): r for r in rows if r.pipeline == override}
    return [ImageResult(r.set, r.name, r.category, label, overriding.get((r.set, r.name), r).metrics, {})
            for r in rows if r.pipeline == base]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=Path, action="append", required=True)
    parser.add_argument("--reference", required=True)
    parser.add_argument("--pipeline", action="append", default=[])
    parser.add_argument("--patch", action="append", default=[], metavar="NEW=BASE+OVERRIDE")
    parser.add_argument("--metrics", default="iou,mae,boundary_f")
    args = parser.parse_args()

    from alphacut.judge.paired import compare_rows

    rows = read_rows(args.rows)
    for spec in args.patch:
        label, _, sources = spec.partition("=")
        base, _, override = sources.partition("+")
        rows = [r for r in rows if r.pipeline != label] + patched(rows, label, base, override)
    metrics = args.metrics.split(",")
    for set_name in dict.fromkeys(r.set for r in rows):
        mine = [r for r in rows if r.set == set_name]
        reference = [r for r in mine if r.pipeline == args.reference]
        names = {r.name for r in reference}
        print(f"\n### {set_name} ({len(names)} images), paired against {args.reference}\n")
        print("| pipeline | " + " | ".join(metrics) + " |")
        print("|---" * (len(metrics) + 1) + "|")
        for label in [args.reference, *args.pipeline]:
            chosen = [r for r in mine if r.pipeline == label and r.name in names]
            if len(chosen) != len(names):
                raise SystemExit(f"{set_name}: {label} has {len(chosen)} of {len(names)} images")
            means = {m: float(np.mean([r.metrics[m] for r in chosen])) for m in metrics}
            if label == args.reference:
                cells = [f"{means[m]:.4f}" for m in metrics]
            else:
                diffs = compare_rows(mine, label, args.reference, metrics)
                cells = [f"{means[m]:.4f} ({d.mean:+.4f} [{d.low:+.4f}, {d.high:+.4f}] {d.verdict})"
                         for m, d in ((m, diffs[m]) for m in metrics)]
            print(f"| {label} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
