"""Quality of alphacut's refinement against the raw model and rembg, on every set with ground truth.

Runs ``alphacut eval`` (one forward per model and image, shared by all presets) and prints the
tables for BENCHMARKS.md. rembg's outputs are made beforehand with the same ISNet weights, plain
and with ``-a`` (alpha matting, CLI defaults 240/10/10), one folder per set: see --rembg-dir.

Usage:
  .venv/bin/python benchmarks/quality.py --rembg-dir /tmp/rembg_ref --out bench-out/quality \
      [--group photos] [--runtime openvino]
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
# Presets are run where they apply: photo presets on photographs, graphic presets on graphics
# (the raw model, auto, the classical baselines and rembg run everywhere).
GROUPS = {
    "photos": (["alphamatting_20", "ebay_products_composite_60", "ecssd_200"],
               ["raw", "auto", "photo", "portrait", "product", "border-fill", "grabcut"]),
    "graphics": (["kenney_generic_items", "office_products_rgba_100", "pixelart_rpg_icons"],
                 ["raw", "auto", "graphic", "pixel-art", "photo", "border-fill", "grabcut"]),
}
SHOWN = {"binary": ["iou", "mae", "max_f", "weighted_f", "s_measure", "e_measure", "boundary_f"],
         "soft": ["sad", "mse", "grad", "conn", "sad_all", "iou", "boundary_f"]}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--rembg-dir", type=Path, help="holds <set>/plain and <set>/alpha PNGs")
    parser.add_argument("--out", type=Path, default=Path("bench-out/quality"))
    parser.add_argument("--limit", type=int)
    parser.add_argument("--tables-only", action="store_true", help="print tables from an earlier run")
    parser.add_argument("--group", choices=list(GROUPS), action="append", help="only these groups (default: all)")
    parser.add_argument("--runtime", default="auto", help="alphacut eval --runtime (auto, onnxruntime, openvino)")
    args = parser.parse_args()
    for group, (sets, pipelines) in GROUPS.items():
        if args.group and group not in args.group:
            continue
        out = args.out / group
        if not args.tables_only:
            run_group(args, sets, list(pipelines), out)
        tables(json.loads((out / "results.json").read_text()))


def run_group(args: argparse.Namespace, sets: list[str], pipelines: list[str], out: Path) -> None:
    if args.rembg_dir:
        pipelines += [f"folder={args.rembg_dir}/{{set}}/plain", f"folder={args.rembg_dir}/{{set}}/alpha"]
    command = [str(Path(sys.executable).parent / "alphacut"), "eval", "-o", str(out), "-q", "--runtime", args.runtime]
    for name in sets:
        command += ["--data", str(args.data / name)]
    for pipeline in pipelines:
        command += ["--pipeline", pipeline]
    if args.rembg_dir:
        command += ["--compare", f"auto,folder={args.rembg_dir}/{{set}}/plain"]
    if args.limit:
        command += ["--limit", str(args.limit)]
    print("$", " ".join(command), flush=True)
    subprocess.run(command, check=True)


def label(pipeline: str) -> str:
    if pipeline.startswith("folder="):
        return "rembg -a" if pipeline.endswith("/alpha") else "rembg"
    return pipeline


def tables(summary: dict) -> None:
    for set_name, entry in summary["sets"].items():
        shown = SHOWN["soft" if entry["soft"] else "binary"]
        print(f"\n### {set_name} ({entry['images']} images{', soft GT: matting errors in the unknown band' if entry['soft'] else ''})\n")
        print("| pipeline | " + " | ".join(shown) + " |")
        print("|---|" + "---|" * len(shown))
        for pipeline, values in entry["overall"].items():
            print(f"| {label(pipeline)} | " + " | ".join(f"{values[m]:.4f}" for m in shown) + " |")
    print("\n### Median seconds per image and stage\n")
    stages = sorted({s for t in summary["timings"].values() for s in t})
    print("| pipeline | " + " | ".join(stages) + " |")
    print("|---|" + "---|" * len(stages))
    for pipeline, timings in summary["timings"].items():
        print(f"| {label(pipeline)} | " + " | ".join(f"{timings[s]:.3f}" if s in timings else "" for s in stages) + " |")


if __name__ == "__main__":
    main()
