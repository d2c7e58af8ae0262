"""Warm 1024 px forward time of what ``--runtime auto`` loads vs OpenVINO bf16 on the fp32 graph,
alternating, median of N runs each (a quick check next to ``models optimize``'s table).

The input is random noise, or with ``--data`` the first N photos of a set, preprocessed as the
model sees them (only the forward pass is timed, as in ``models optimize``).

Usage: python benchmarks/forward_time.py --runs 10 [--data ../shared/data/ecssd_200] [--auto-only]
"""
from __future__ import annotations

import argparse
import statistics
import time

import sys
from pathlib import Path

import numpy as np

from alphacut.models import get_spec, load_model
from alphacut.models.forms import best_form
from alphacut.models.runtimes import OpenVinoEngine
from alphacut.models.store import installed_file

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import CpuShare, machine  # noqa: E402

parser = argparse.ArgumentParser()
parser.add_argument("--runs", type=int, default=10)
parser.add_argument("--data", type=Path, help="a set with images/: time on its first --runs photos")
parser.add_argument("--auto-only", action="store_true", help="time only what --runtime auto loads, as a run uses it")
args = parser.parse_args()
spec = get_spec("isnet")
base = installed_file(spec)
model = load_model("isnet")
auto = model.runtime
chosen = best_form(spec, base)
auto_label = f"{auto.name} (form {chosen[0].name})" if chosen else auto.name
bf16 = None if args.auto_only else OpenVinoEngine(base, output=None)
noise = np.random.default_rng(0).uniform(-0.5, 0.5, (1, 3, 1024, 1024)).astype(np.float32)
if args.data is None:
    photos: list[Path | None] = [None] * args.runs
else:
    photos = sorted(p for p in (args.data / "images").iterdir() if p.suffix.lower() in (".jpg", ".jpeg", ".png"))[:args.runs]


def model_input(photo: Path | None) -> np.ndarray:
    # one photo preprocessed at a time (outside the timed part): 100 inputs would hold 1.2 GB
    from PIL import Image

    return noise if photo is None else model.preprocess(Image.open(photo).convert("RGB"))


batch = model_input(photos[0])
engines = [(auto_label, auto)] + ([] if args.auto_only else [("openvino-bf16 (fp32 graph)", bf16)])
times: dict[str, list[float]] = {label: [] for label, _ in engines}
for _, engine in engines:
    engine.run(batch)
with CpuShare() as share:
    for photo in photos:
        batch = model_input(photo)
        for label, engine in engines:
            start = time.perf_counter()
            engine.run(batch)
            times[label].append(time.perf_counter() - start)
print(f"{machine()}; {share}; input: {args.data or 'random noise'}, {len(photos)} runs")
print("| engine | median s | min s |\n|---|---|---|")
for label, values in times.items():
    print(f"| {label} | {statistics.median(values):.3f} | {min(values):.3f} |")
