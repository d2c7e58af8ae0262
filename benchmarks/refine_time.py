"""How much refinement adds to the per-image time at 1024 px, per preset and runtime.

Images from the given sets are resized so the long side is 1024 px; each is predicted once per
runtime and every preset's refinement stages are timed on that prediction (medians reported).

Usage: .venv/bin/python benchmarks/refine_time.py --data ../shared/data/ecssd_200 --data ../shared/data/alphamatting_20 --count 20
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import CpuShare, machine  # noqa: E402

from alphacut.models import load_model  # noqa: E402
from alphacut.refine.presets import PRESETS  # noqa: E402
from alphacut.refine.refiner import refine  # noqa: E402

PRESET_NAMES = ["photo", "product", "portrait", "graphic"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path, action="append", required=True)
    parser.add_argument("--count", type=int, default=20)
    parser.add_argument("--runtimes", default="onnxruntime,auto")
    args = parser.parse_args()
    files = [f for folder in args.data for f in sorted((folder / "images").iterdir())[: args.count]]
    print(f"## Refinement time at 1024 px, {len(files)} images, {machine()}\n")
    print("| runtime | model forward s | preset | refinement s | added |")
    print("|---|---|---|---|---|")
    with CpuShare() as share:
        for runtime in args.runtimes.split(","):
            session = load_model("isnet", runtime=runtime)
            forward: list[float] = []
            refined: dict[str, list[float]] = {name: [] for name in PRESET_NAMES}
            for path in files:
                image = Image.open(path).convert("RGB")
                scale = 1024 / max(image.size)
                image = image.resize((round(image.width * scale), round(image.height * scale)), Image.Resampling.BILINEAR)
                start = time.perf_counter()
                probability = session.predict(image)
                forward.append(time.perf_counter() - start)
                for name in PRESET_NAMES:
                    # tta re-runs the model; that cost is reported apart, as model time
                    settings = PRESETS[name].with_options(tta=1)
                    result = refine(image, lambda _: probability, settings)
                    refined[name].append(sum(v for k, v in result.timings.items() if k != "predict"))
            base = statistics.median(forward)
            for name in PRESET_NAMES:
                extra = statistics.median(refined[name])
                print(f"| {session.runtime.name} | {base:.3f} | {name} | {extra:.3f} | {extra / base:+.0%} |")
    print(f"\n({share}. `portrait` also runs the model twice, --tta 2: +100% model time on top.)")


if __name__ == "__main__":
    main()
