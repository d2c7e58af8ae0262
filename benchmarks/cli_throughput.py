"""Seconds per 1024 px image for ``alphacut remove FOLDER`` as a user runs it: decode, model,
refinement, PNG encoding and writing, at two presets and two PNG compression levels.

The first N photos of a set are resized to 1024 px on the long side (JPEG, quality 92) into a
scratch folder; each configuration then cuts out the whole folder in a fresh process (start-up
and model load included, so s/img is slightly pessimistic), in alternating rounds so noise is
shared. Medians over the rounds are reported, with the size of the PNGs written.

Usage: .venv/bin/python benchmarks/cli_throughput.py --data ../shared/data/ecssd_200 --count 40 --rounds 2
"""
from __future__ import annotations

import argparse
import itertools
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import CpuShare, machine, run_measured  # noqa: E402

ALPHACUT = str(Path(sys.executable).with_name("alphacut"))


def prepare(data: Path, count: int, folder: Path) -> None:
    for path in sorted((data / "images").iterdir())[:count]:
        image = Image.open(path).convert("RGB")
        scale = 1024 / max(image.size)
        size = (round(image.width * scale), round(image.height * scale))
        image.resize(size, Image.Resampling.LANCZOS).save(folder / f"{path.stem}.jpg", quality=92)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--count", type=int, default=40)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--presets", default="raw,auto")
    parser.add_argument("--levels", default="1,6")
    args = parser.parse_args()
    configs = list(itertools.product(args.presets.split(","), [int(v) for v in args.levels.split(",")]))
    seconds: dict[tuple[str, int], list[float]] = {c: [] for c in configs}
    sizes: dict[tuple[str, int], int] = {}
    with tempfile.TemporaryDirectory() as scratch:
        photos, out = Path(scratch) / "photos", Path(scratch) / "out"
        photos.mkdir()
        prepare(args.data, args.count, photos)
        with CpuShare() as share:
            for round_index in range(args.rounds):
                for preset, level in configs if round_index % 2 == 0 else configs[::-1]:
                    shutil.rmtree(out, ignore_errors=True)
                    wall, _ = run_measured([ALPHACUT, "remove", str(photos), "-o", str(out), "-p", preset,
                                            "--png-level", str(level), "-q"])
                    seconds[(preset, level)].append(wall / args.count)
                    sizes[(preset, level)] = sum(p.stat().st_size for p in out.iterdir())
    print(f"{machine()}; {share}; {args.count} photos of {args.data.name} at 1024 px, {args.rounds} rounds\n")
    print("| preset | PNG level | s/img (median) | output MB |\n|---|---|---|---|")
    for preset, level in configs:
        print(f"| {preset} | {level} | {statistics.median(seconds[(preset, level)]):.3f} | {sizes[(preset, level)] / 1e6:.1f} |")


if __name__ == "__main__":
    main()
