"""alphacut vs rembg (same ISNet weights through rembg's dis_custom session), side by side.

Measures, in one run with the two tools alternating so machine noise hits both:
  1. warm per-image time of ``alphacut.remove`` vs the bare forward of the same model;
  2. folder throughput of ``alphacut remove DIR -o OUT`` vs ``rembg p`` (+ peak RSS);
  3. cold single-image CLI time of ``alphacut remove`` vs ``rembg i`` (+ peak RSS);
  4. mask quality (IoU, MAE against GT) of every output, and of the raw fp32 model.

Usage:
  .venv/bin/python benchmarks/vs_rembg.py --data ../shared/data/ecssd_200 --count 60 \
      --rembg /opt/rembg-venv/bin/rembg
rembg is installed on its own (python -m venv /opt/rembg-venv && /opt/rembg-venv/bin/pip install "rembg[cli]");
the original npm ISNet (fp16, as published) is assembled into ~/.rembg/ for it.
"""
from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import alpha_of, gt_of, iou, machine, mae, published_isnet, run_measured, write_json  # noqa: E402

ALPHACUT = str(Path(sys.executable).parent / "alphacut")


def quality(folder: Path, gt_dir: Path, names: list[str]) -> dict:
    ious, maes = [], []
    for name in names:
        gt = gt_of(gt_dir / f"{name}.png")
        pred = alpha_of(folder / f"{name}.png")
        ious.append(iou(pred, gt))
        maes.append(mae(pred, gt))
    return {"iou": float(np.mean(ious)), "mae": float(np.mean(maes))}


def warm_overhead(files: list[Path], runtime: str, preset: str) -> dict:
    """Median per-image time of alphacut.remove (decode, predict, refine with ``preset``, compose)
    vs the bare forward of the same session; ``raw`` isolates the wrapper's own overhead."""
    import alphacut

    session = alphacut.load_model("isnet", runtime=runtime)
    batch = session.preprocess(Image.open(files[0]).convert("RGB"))
    session.runtime.run(batch)  # warm up
    full, bare = [], []
    for path in files:
        start = time.perf_counter()
        session.runtime.run(batch)
        bare.append(time.perf_counter() - start)
        start = time.perf_counter()
        alphacut.remove(path, model=session, preset=preset)
        full.append(time.perf_counter() - start)
    return {
        "runtime": session.runtime.name,
        "preset": preset,
        "remove_median_s": statistics.median(full),
        "forward_median_s": statistics.median(bare),
        "overhead": statistics.median(full) / statistics.median(bare) - 1,
    }


def raw_fp32_quality(files: list[Path], gt_dir: Path) -> dict:
    """The raw model (fp32, onnxruntime, no refinement): the number later refinement must improve."""
    import alphacut

    session = alphacut.load_model("isnet", runtime="onnxruntime")
    ious, maes = [], []
    for path in files:
        image = Image.open(path).convert("RGB")
        pred = session.predict(image)
        gt = gt_of(gt_dir / f"{path.stem}.png")
        ious.append(iou(pred, gt))
        maes.append(mae(pred, gt))
    return {"iou": float(np.mean(ious)), "mae": float(np.mean(maes))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, required=True, help="folder with images/ and gt/")
    parser.add_argument("--count", type=int, default=60)
    parser.add_argument("--repeats", type=int, default=2, help="folder runs per tool")
    parser.add_argument("--cold-runs", type=int, default=5)
    parser.add_argument("--rembg", default="rembg")
    parser.add_argument("--json", type=Path, default=Path("bench-out/vs_rembg.json"))
    parser.add_argument("--folder-only", action="store_true",
                        help="only the folder runs (default preset, --preset fast, rembg p), not the cold and warm parts")
    args = parser.parse_args()

    files = sorted((args.data / "images").iterdir())[: args.count]
    names = [f.stem for f in files]
    model = published_isnet()
    extras = json.dumps({"model_path": str(model)})
    results: dict = {"machine": machine(), "images": len(files), "data": str(args.data)}
    work = Path(tempfile.mkdtemp(prefix="alphacut-bench-"))
    subset = work / "in"
    subset.mkdir()
    for f in files:
        shutil.copy(f, subset / f.name)

    print(f"# {results['machine']}; {len(files)} images from {args.data}", flush=True)

    # 3. cold single image (alternating)
    sample = files[0]
    cold: dict[str, list] = {"alphacut": [], "rembg": []}
    for _ in range(0 if args.folder_only else args.cold_runs):
        cold["alphacut"].append(run_measured([ALPHACUT, "remove", str(sample), "-o", str(work / "a.png"), "--overwrite", "-q"]))
        cold["rembg"].append(run_measured([args.rembg, "i", "-m", "dis_custom", "-x", extras, str(sample), str(work / "r.png")]))
    results["cold"] = {
        tool: {"median_s": statistics.median(t for t, _ in runs), "peak_rss_mib": max(m for _, m in runs)}
        for tool, runs in cold.items() if runs
    }
    print("cold", json.dumps(results["cold"]), flush=True)

    # 2. folder throughput (alternating), alphacut default runtime and onnxruntime forced
    tools = {
        "alphacut": lambda out: [ALPHACUT, "remove", str(subset), "-o", str(out), "--overwrite", "-q"],
        "alphacut-fast": lambda out: [ALPHACUT, "remove", str(subset), "-o", str(out), "--overwrite", "-q",
                                      "--preset", "fast"],
        "alphacut-onnxruntime": lambda out: [ALPHACUT, "remove", str(subset), "-o", str(out), "--overwrite", "-q",
                                             "--runtime", "onnxruntime"],
        "rembg": lambda out: [args.rembg, "p", "-m", "dis_custom", "-x", extras, str(subset), str(out)],
    }
    if args.folder_only:
        del tools["alphacut-onnxruntime"]
    folder: dict[str, list] = {tool: [] for tool in tools}
    for _ in range(args.repeats):
        for tool, command in tools.items():
            out = work / f"out-{tool}"
            shutil.rmtree(out, ignore_errors=True)
            out.mkdir()
            folder[tool].append(run_measured(command(out)))
            print(tool, folder[tool][-1], flush=True)
    results["folder"] = {}
    for tool, runs in folder.items():
        seconds = statistics.median(t for t, _ in runs)
        results["folder"][tool] = {
            "median_s": seconds,
            "images_per_s": len(files) / seconds,
            "peak_rss_mib": max(m for _, m in runs),
            **quality(work / f"out-{tool}", args.data / "gt", names),
        }
    print("folder", json.dumps(results["folder"]), flush=True)

    # 1. warm overhead of the Python API over the bare forward
    results["warm"] = [] if args.folder_only else [
        warm_overhead(files[:20], runtime, preset) for runtime in ("onnxruntime", "auto") for preset in ("raw", "auto")]
    print("warm", json.dumps(results["warm"]), flush=True)

    # 4. the raw fp32 model's quality on the same images
    results["raw_fp32"] = None if args.folder_only else raw_fp32_quality(files, args.data / "gt")
    print("raw", json.dumps(results["raw_fp32"]), flush=True)

    write_json(args.json, results)
    report(results)
    shutil.rmtree(work, ignore_errors=True)


def report(r: dict) -> None:
    f, c = r["folder"], r["cold"]
    print(f"\n## {r['images']} images, {r['machine']}\n")
    print("| tool | folder s | images/s | vs rembg | IoU | MAE | peak RSS MiB |")
    print("|---|---|---|---|---|---|---|")
    for tool, v in f.items():
        ratio = v["images_per_s"] / f["rembg"]["images_per_s"]
        print(f"| {tool} | {v['median_s']:.1f} | {v['images_per_s']:.3f} | {ratio:.2f}x | {v['iou']:.4f} | {v['mae']:.4f} | {v['peak_rss_mib']} |")
    if r["raw_fp32"]:
        print(f"| raw model (fp32, onnxruntime, in-process) | | | | {r['raw_fp32']['iou']:.4f} | {r['raw_fp32']['mae']:.4f} | |")
    if not c:
        return
    print("\n| cold single image | median s | peak RSS MiB |")
    print("|---|---|---|")
    for tool, v in c.items():
        print(f"| {tool} | {v['median_s']:.2f} | {v['peak_rss_mib']} |")
    print(f"\ncold speed-up: {c['rembg']['median_s'] / c['alphacut']['median_s']:.2f}x")
    print("\n| warm, runtime | preset | alphacut.remove s | bare forward s | overhead |")
    print("|---|---|---|---|---|")
    for w in r["warm"]:
        print(f"| {w['runtime']} | {w['preset']} | {w['remove_median_s']:.3f} | {w['forward_median_s']:.3f} | {w['overhead']:+.1%} |")


if __name__ == "__main__":
    main()
