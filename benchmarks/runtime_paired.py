"""The default pipeline on two runtimes, paired image by image (issue 17: a faster default form
must not change quality).

Runs ``--pipeline`` (default ``auto``) through :func:`alphacut.judge.evaluate.evaluate` once with
``--runtime auto`` (the int8 form where install built it: graphics and unsure photos on the float
form) and once with ``--runtime openvino`` (the float file, bf16 on CPUs with native bf16: the
default before the int8 form was), then prints each metric's paired difference (auto - openvino)
with its 95% bootstrap interval over images (:mod:`alphacut.judge.paired`) per set.

Usage:
  .venv/bin/python benchmarks/runtime_paired.py ../shared/data/ecssd_check_400 ../shared/data/alphamatting_20
"""
from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path

from alphacut.judge.dataset import load_set
from alphacut.judge.evaluate import evaluate
from alphacut.judge.paired import compare_rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("sets", nargs="+", type=Path)
    parser.add_argument("--pipeline", default="auto")
    parser.add_argument("--runtimes", default="auto,openvino", help="candidate,reference")
    args = parser.parse_args()
    from alphacut.judge.pipelines import parse_pipeline

    candidate, reference = args.runtimes.split(",")
    sets = [load_set(folder) for folder in args.sets]
    rows = []
    for runtime in (candidate, reference):
        run = evaluate(sets, [parse_pipeline(args.pipeline)], runtime=runtime)
        rows += [replace(row, pipeline=runtime) for row in run.results]
        print(f"{args.pipeline} on --runtime {runtime}: {run.seconds:.0f} s", flush=True)
    for eval_set in sets:
        mine = [row for row in rows if row.set == eval_set.name]
        metrics = list(mine[0].metrics)
        print(f"\n{eval_set.name} ({len(eval_set.samples)} images): {args.pipeline}, {candidate} - {reference}\n")
        print("| metric | " + candidate + " | " + reference + " | paired difference [95%] |")
        print("|---|---|---|---|")
        for metric, difference in compare_rows(mine, candidate, reference, metrics).items():
            means = [sum(r.metrics[metric] for r in mine if r.pipeline == p) / len(eval_set.samples) for p in (candidate, reference)]
            print(f"| {metric} | {means[0]:.4f} | {means[1]:.4f} | {difference.mean:+.4f} "
                  f"[{difference.low:+.4f}, {difference.high:+.4f}] {difference.verdict} |", flush=True)


if __name__ == "__main__":
    main()
