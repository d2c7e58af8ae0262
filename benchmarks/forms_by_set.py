"""Do the verified CPU forms of a model keep its masks on other kinds of images than the gate's?

``models optimize`` gates every form on one set (ECSSD photos). This runs the forms recorded in
the model's manifest on other sets too (products, portraits with hair, graphics) and prints, per
set, each form's mean IoU and MAE against the ground truth and the change from the fp32 graph,
so a form that keeps photos but hurts products is caught. Sets used to calibrate the int8 forms
are marked: their numbers are not held out.

Usage: .venv/bin/python benchmarks/forms_by_set.py ../shared/data/office_products_rgba_100 \
           ../shared/data/kenney_generic_items [--model isnet] [--limit N]
"""
from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import CpuShare, machine  # noqa: E402

from alphacut.judge.dataset import load_set  # noqa: E402
from alphacut.models import get_spec  # noqa: E402
from alphacut.models.forms import recorded_forms  # noqa: E402
from alphacut.models.store import model_dir  # noqa: E402
from alphacut.workflows.optimize import Candidate, measure, open_candidate  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("sets", type=Path, nargs="+", help="evaluation sets with images/ and gt/")
    parser.add_argument("--model", default="isnet")
    parser.add_argument("--limit", type=int, help="only the first N images of each set")
    args = parser.parse_args()
    spec = get_spec(args.model)
    gate, forms = recorded_forms(spec)
    if not forms:
        sys.exit(f"{args.model}: no forms recorded; run 'alphacut models optimize {args.model}' first")
    calibration = {Path(folder).resolve() for folder in gate.get("calibration", [])}
    folder = model_dir(spec.name)
    engines = {f.name: open_candidate(Candidate(f.name, f.runtime, f.precision, f.file), folder, spec, None) for f in forms}
    print(f"{machine()}; forms of {args.model} gated on {gate.get('set')}")
    for data in args.sets:
        evaluation = load_set(data, args.limit)
        with CpuShare() as share:
            scores = measure(engines, spec, [(s.image, s.gt) for s in evaluation.samples])
        note = " (calibration set: not held out)" if data.resolve() in calibration else ""
        print(f"\n{evaluation.name}, {len(evaluation.samples)} images{note}; {share}\n")
        print("| form | IoU | MAE | dIoU | dMAE | median forward s |\n|---|---|---|---|---|---|")
        reference = scores["fp32"]
        ref_iou, ref_mae = float(np.mean(reference.iou)), float(np.mean(reference.mae))
        for name, s in scores.items():
            mean_iou, mean_mae = float(np.mean(s.iou)), float(np.mean(s.mae))
            print(f"| {name} | {mean_iou:.4f} | {mean_mae:.4f} | {mean_iou - ref_iou:+.4f} | {mean_mae - ref_mae:+.4f} "
                  f"| {statistics.median(s.seconds):.3f} |")


if __name__ == "__main__":
    main()
