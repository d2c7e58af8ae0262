"""Fine-tuning demonstration: pixel-art icons on solid, patterned and noisy backgrounds.

Builds a dataset from ``pixelart_rpg_icons/rgba`` (nearest-neighbour x10, three backgrounds per
icon, split by icon into train / val / test), fine-tunes IS-Net from the installed weights under a
time limit, exports and registers the result, then scores on the test icons with ``alphacut eval``:
the pretrained model (raw and with the pixel-art preset), the colour-distance baseline
(border-fill) and the fine-tuned model (soft output, hard output, pixel-art preset).
Every step is the user's CLI command, printed before it runs.

    python benchmarks/finetune_pixelart.py --minutes 30 [--size 256] [--out bench-out/finetune]
"""
from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

from common import machine

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "pixelart_rpg_icons"
ALPHACUT = [str(Path(sys.executable).parent / "alphacut")]


def run(*args: str) -> float:
    print("$ alphacut " + " ".join(args), flush=True)
    start = time.perf_counter()
    subprocess.run([*ALPHACUT, *args], check=True)
    return time.perf_counter() - start


def test_set(dataset: Path, target: Path) -> int:
    """The test split as an eval set, one category per background kind."""
    manifest = json.loads((dataset / "manifest.json").read_text())
    count = 0
    for sample in manifest["samples"]:
        if sample["split"] != "test":
            continue
        for kind, source in (("images", sample["image"]), ("gt", sample["mask"])):
            folder = target / kind / sample["background"]
            folder.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(dataset / source, folder / Path(source).name)
        count += 1
    return count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--out", type=Path, default=Path("bench-out/finetune"))
    parser.add_argument("--minutes", type=float, default=30.0)
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--batch", type=int, default=4)
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0: all cores)")
    parser.add_argument("--steps-per-epoch", type=int, default=60, help="validate after this many steps")
    parser.add_argument("--name", default="pixelart-ft")
    parser.add_argument("--skip-build", action="store_true")
    parser.add_argument("--skip-train", action="store_true")
    parser.add_argument("--fine-tuned-only", action="store_true",
                        help="score only the fine-tuned model (the baselines do not change between runs)")
    args = parser.parse_args()
    dataset, run_dir, test_dir = args.out / "dataset", args.out / "run", args.out / "test-set"
    print(f"machine: {machine()}", flush=True)
    if not args.skip_build:
        shutil.rmtree(args.out, ignore_errors=True)
        run("dataset", "build", "--rgba", str(args.data / "rgba"), "-o", str(dataset), "--scale", "10",
            "--backgrounds", "solid,pattern,noise", "--per-subject", "3", "--val", "0.1", "--test", "0.2", "--seed", "0")
        print(f"test samples: {test_set(dataset, test_dir)}", flush=True)
    if not args.skip_train:
        shutil.rmtree(run_dir, ignore_errors=True)
        command = ["train", str(dataset), "-o", str(run_dir), "--init", "isnet", "--size", str(args.size),
                   "--batch", str(args.batch), "--epochs", "100", "--patience", "4", "--pixel-art",
                   "--steps-per-epoch", str(args.steps_per_epoch),
                   "--time-limit", str(args.minutes)]
        if args.threads:
            command += ["--threads", str(args.threads)]
        wall = run(*command)
        print(f"training wall time {wall / 60:.1f} min", flush=True)
        run("export", str(run_dir), "--name", args.name, "--overwrite")
    report = args.out / "report"
    shutil.rmtree(report, ignore_errors=True)
    ft = f"model:{args.name}"
    baselines = [] if args.fine_tuned_only else ["--pipeline", "raw", "--pipeline", "pixel-art", "--pipeline", "border-fill"]
    run("eval", "--data", str(test_dir), "-o", str(report), "-q", *baselines,
        "--pipeline", f"raw={ft}", "--pipeline", f"raw={ft},threshold:0.5", "--pipeline", f"pixel-art={ft}")
    results = json.loads((report / "results.json").read_text())
    print_table(results)
    history = _history(run_dir)
    if history:
        print("\nepoch | train min | steps | loss | val IoU")
        for h in history:
            print(f"{h['epoch']} | {h['seconds'] / 60:.1f} | {h['steps']} | {h['loss']:.4f} | {h['val_iou']:.4f}")


def _history(run_dir: Path) -> list[dict]:
    try:
        import torch

        return torch.load(run_dir / "last.pt", map_location="cpu", weights_only=False)["history"]
    except (OSError, ImportError, KeyError):
        return []


def print_table(results: dict) -> None:
    """Test IoU / MAE per pipeline, overall and per background kind (markdown)."""
    for name, scored in results["sets"].items():
        kinds = sorted(scored["categories"])
        print(f"\n{name}: {scored['images']} test images\n")
        print("| pipeline | IoU | MAE | " + " | ".join(f"IoU {k}" for k in kinds) + " |")
        print("|---|---|---|" + "---|" * len(kinds))
        for pipeline, metrics in scored["overall"].items():
            per_kind = " | ".join(f"{scored['categories'][k][pipeline]['iou']:.4f}" for k in kinds)
            print(f"| {pipeline} | {metrics['iou']:.4f} | {metrics['mae']:.4f} | {per_kind} |")


if __name__ == "__main__":
    main()
