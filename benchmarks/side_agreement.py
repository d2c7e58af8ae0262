"""ISNet at other input sides (the any-side graph): forward time, agreement with the model's own
side, and quality against ground truth, on the same photos in one run (issue 17 item 3, issue 15 item 4).

Per side: the median warm forward (``session.predict(image, side=S)``, preprocessing included),
per-image IoU of the mask cut at 0.5 against the mask at the model's own side (the form gate of
issue 17: share of images at >= 0.99, mean, worst), and IoU / MAE against the ground truth.

Usage (an idle machine, for the times):
  .venv/bin/python benchmarks/side_agreement.py --data ../shared/data/ecssd_200 --count 40 --sides 640,768,1024,1280
"""
from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import numpy as np


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, required=True, help="a set folder (images/ and gt/)")
    parser.add_argument("--count", type=int, default=40)
    parser.add_argument("--sides", default="640,768,1024,1280")
    parser.add_argument("--model", default="isnet")
    args = parser.parse_args()

    from alphacut.io.decode import decode_image
    from alphacut.judge.dataset import load_gt, load_set
    from alphacut.models import load_model

    session = load_model(args.model)
    own = max(session.spec.input_size)
    sides = [int(s) for s in args.sides.split(",")]
    samples = load_set(args.data, args.count).samples
    images = [decode_image(s.image).frames[0].image for s in samples]
    truths = [load_gt(s.gt) >= 0.5 for s in samples]
    outputs: dict[int, list[np.ndarray]] = {}
    times: dict[int, list[float]] = {}
    for side in [own, *[s for s in sides if s != own]]:
        session.predict(images[0], side=side)  # warm: builds the any-side graph and compiles
        outputs[side], times[side] = [], []
        for image in images:
            start = time.perf_counter()
            outputs[side].append(session.predict(image, side=side))
            times[side].append(time.perf_counter() - start)

    def iou(a: np.ndarray, b: np.ndarray) -> float:
        union = np.logical_or(a, b).sum()
        return float(np.logical_and(a, b).sum() / union) if union else 1.0

    print(f"{args.data.name}, {len(images)} photos, {session.runtime.name}\n")
    print("| side | median forward s | vs own side | mean IoU vs own side | share >= 0.99 | worst | IoU vs GT | MAE vs GT |")
    print("|---|---|---|---|---|---|---|---|")
    base = statistics.median(times[own])
    for side in sorted(outputs):
        agree = [iou(o >= 0.5, r >= 0.5) for o, r in zip(outputs[side], outputs[own])]
        gt_iou = [iou(o >= 0.5, t) for o, t in zip(outputs[side], truths)]
        mae = [float(np.abs(o - t).mean()) for o, t in zip(outputs[side], truths)]
        median = statistics.median(times[side])
        print(f"| {side} | {median:.3f} | {median / base:.2f}x | {np.mean(agree):.4f} | {np.mean(np.array(agree) >= 0.99):.0%} "
              f"| {min(agree):.4f} | {np.mean(gt_iou):.4f} | {np.mean(mae):.4f} |")


if __name__ == "__main__":
    main()
