"""Big photos end to end (issue 17 item 4): 12 MP and 24 MP JPEGs through ``alphacut remove`` vs ``rembg i``.

Phone and camera photos are 12-48 MP. The dev sets hold no photo that large, so this makes them:
the first ``--count`` photos of ``--data`` upsampled (Lanczos) to 12 MP (4000 x 3000) and 24 MP
(6000 x 4000), saved as JPEG quality 92, in a scratch folder. Then, per size:

- ``alphacut remove FOLDER -o OUT`` (one process for the folder, default preset and runtime): seconds
  per photo, wall time over photos, including start-up and model load;
- ``rembg i`` once per photo (rembg has no faster single-photo path), same ISNet weights through its
  ``dis_custom`` session (``common.published_isnet``): seconds per photo;
- where the time goes inside alphacut for one photo of that size, in this process: JPEG decode
  (full, and via ``Image.draft`` at the model's size), the forward pass, each refinement stage
  (``Refined.timings``), compose and PNG encode;
- with ``--agreement``: per photo, the alpha of the working-size refinement (``refine/working_size.py``)
  against full-size refinement's (IoU at 0.5, mean absolute difference) and both refine times.

The CPU steal share (``/proc/stat``) and the load average are printed with each figure: on a
shared machine the absolute times are not this CPU's.

Usage (an idle machine; rembg in its own venv):
  .venv/bin/python benchmarks/big_photos.py --data ../shared/data/ecssd_200 --count 6 \\
      --rembg /tmp/rembg-venv/bin/rembg
  .venv/bin/python benchmarks/big_photos.py --data ../shared/data/ecssd_200 --count 2 --stages-only   # quick look
  .venv/bin/python benchmarks/big_photos.py --data ../shared/data/ecssd_200 --count 3 --sizes 12MP --stages-only \\
      --agreement --working-pixels 4000000,1000000   # the working-size path against full-size refinement
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

from alphacut.refine.working_size import WORKING_PIXELS

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import published_isnet, run_measured  # noqa: E402

ALPHACUT = str(Path(sys.executable).parent / "alphacut")
SIZES = {"12MP": (4000, 3000), "24MP": (6000, 4000)}


def cpu_times() -> list[int]:
    return [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]


def steal_since(before: list[int]) -> str:
    delta = [b - a for a, b in zip(before, cpu_times())]
    share = delta[7] / max(1, sum(delta)) if len(delta) > 7 else float("nan")
    return f"steal {share:.0%}, load {os.getloadavg()[0]:.1f}"


def make_photos(sources: list[Path], size: tuple[int, int], folder: Path) -> list[Path]:
    """``sources`` upsampled to ``size`` (landscape or portrait like the source), JPEG quality 92."""
    folder.mkdir(parents=True, exist_ok=True)
    made = []
    for source in sources:
        image = Image.open(source).convert("RGB")
        target = size if image.width >= image.height else (size[1], size[0])
        path = folder / f"{source.stem}.jpg"
        image.resize(target, Image.Resampling.LANCZOS).save(path, quality=92)
        made.append(path)
    return made


def stages(photo: Path) -> dict[str, float]:
    """Seconds per step for one photo in this process (model loaded and warmed first)."""
    from alphacut.io.decode import decode_image
    from alphacut.io.encode import encode_frames
    from alphacut.models import load_model
    from alphacut.pipeline.remover import Remover

    session = load_model("isnet")
    remover = Remover(session)
    session.predict(Image.new("RGB", session.spec.input_size))  # warm
    times: dict[str, float] = {}
    tick = time.perf_counter()
    decoded = decode_image(photo)
    image = decoded.frames[0].image
    image.load()
    times["decode (full)"] = time.perf_counter() - tick
    tick = time.perf_counter()
    with Image.open(photo) as draft:
        draft.draft("RGB", session.spec.input_size)
        draft.load()
    times["decode (draft at model size)"] = time.perf_counter() - tick
    tick = time.perf_counter()
    probability = session.predict(image)
    times["forward + resize to photo"] = time.perf_counter() - tick
    tick = time.perf_counter()
    matte = remover.matte(image, predict=lambda source: probability if source is image else session.predict(source))
    total = time.perf_counter() - tick
    for stage, seconds in matte.timings.items():
        times[f"refine: {stage}"] = seconds
    times["refine: total (cached forward)"] = total
    tick = time.perf_counter()
    result = remover.compose(image, np.asarray(matte.alpha))
    times["compose"] = time.perf_counter() - tick
    tick = time.perf_counter()
    encode_frames([result], "png")
    times["encode PNG (as the CLI writes it)"] = time.perf_counter() - tick
    return times


def agreement(photos: list[Path], working: list[int]) -> list[dict]:
    """Per photo: the working-size path's alpha (at each of ``working`` pixel budgets) against
    full-resolution refinement's (default preset, same forwards): IoU at 0.5 and mean absolute
    difference, and each path's refine time."""
    from alphacut.io.decode import decode_image
    from alphacut.models import load_model
    from alphacut.refine.refiner import refine

    session = load_model("isnet")
    side = max(session.spec.input_size)
    rows = []
    for photo in photos:
        image = decode_image(photo).frames[0].image
        tick = time.perf_counter()
        full = refine(image, session.predict, model_side=side, working_pixels=10**12)
        full_s = time.perf_counter() - tick
        for pixels in working:
            tick = time.perf_counter()
            bounded = refine(image, session.predict, model_side=side, working_pixels=pixels)
            bounded_s = time.perf_counter() - tick
            a, b = full.alpha >= 0.5, bounded.alpha >= 0.5
            union = int((a | b).sum())
            colour = float(np.abs(full.rgb.astype(np.float32) - bounded.rgb.astype(np.float32)).mean(axis=-1)[
                (full.alpha > 0.002) & (full.alpha < 0.998)].mean()) if full.rgb is not None else float("nan")
            rows.append({"photo": photo.name, "working_pixels": pixels,
                         "iou": (int((a & b).sum()) / union) if union else 1.0,
                         "mae": float(abs(full.alpha - bounded.alpha).mean()), "soft_colour_mad": colour,
                         "full_s": full_s, "bounded_s": bounded_s})
            print(f"  {photo.name} at {pixels / 1e6:.1f} MP: IoU {rows[-1]['iou']:.4f}, MAE {rows[-1]['mae']:.5f}, "
                  f"colour diff at soft pixels {colour:.2f}/255, refine {full_s:.2f} s full-size vs "
                  f"{bounded_s:.2f} s working-size", flush=True)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--count", type=int, default=6)
    parser.add_argument("--rembg", default="rembg")
    parser.add_argument("--sizes", default="12MP,24MP")
    parser.add_argument("--stages-only", action="store_true", help="only the per-step breakdown (no rembg)")
    parser.add_argument("--agreement", action="store_true",
                        help="also compare the working-size refinement's alpha with full-size refinement's")
    parser.add_argument("--working-pixels", default=str(WORKING_PIXELS),
                        help="with --agreement: comma-separated working-size budgets to compare (pixels)")
    parser.add_argument("--json", type=Path, default=Path("bench-out/big_photos.json"))
    args = parser.parse_args()

    images = args.data / "images" if (args.data / "images").is_dir() else args.data
    sources = sorted(images.iterdir())[: args.count]
    work = Path(tempfile.mkdtemp(prefix="alphacut-big-"))
    results: dict = {}
    try:
        for label in args.sizes.split(","):
            photos = make_photos(sources, SIZES[label], work / label)
            before = cpu_times()
            breakdown = stages(photos[0])
            results[label] = {"stages": breakdown, "stages_conditions": steal_since(before)}
            print(f"## {label} ({SIZES[label][0]}x{SIZES[label][1]}), one photo, {results[label]['stages_conditions']}")
            for step, seconds in breakdown.items():
                print(f"  {step:34s} {seconds:7.3f} s")
            if args.agreement:
                print(f"  agreement with full-size refinement ({steal_since(cpu_times())}):")
                results[label]["agreement"] = agreement(photos, [int(v) for v in args.working_pixels.split(",")])
            if args.stages_only:
                continue
            before = cpu_times()
            wall, rss = run_measured([ALPHACUT, "remove", str(work / label), "-o", str(work / f"out-{label}"),
                                      "--overwrite", "-q"])
            results[label]["alphacut"] = {"s_per_photo": wall / len(photos), "peak_rss_mib": rss,
                                          "conditions": steal_since(before)}
            extras = json.dumps({"model_path": str(published_isnet())})
            before = cpu_times()
            runs = [run_measured([args.rembg, "i", "-m", "dis_custom", "-x", extras, str(p), str(work / "r.png")])
                    for p in photos]
            results[label]["rembg"] = {"s_per_photo": statistics.median(t for t, _ in runs),
                                       "peak_rss_mib": max(m for _, m in runs), "conditions": steal_since(before)}
            a, r = results[label]["alphacut"], results[label]["rembg"]
            print(f"  alphacut remove FOLDER: {a['s_per_photo']:.2f} s/photo (peak {a['peak_rss_mib']} MiB; {a['conditions']})")
            print(f"  rembg i, per photo:     {r['s_per_photo']:.2f} s/photo (peak {r['peak_rss_mib']} MiB; {r['conditions']})")
            print(f"  speed-up: {r['s_per_photo'] / a['s_per_photo']:.2f}x")
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=2))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
