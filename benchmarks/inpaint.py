"""Hole filling quality and time: Telea, Navier-Stokes and the exemplar (PatchMatch) filler.

The object masks of the set have no ground-truth fill, so quality is measured on holes cut from
the real photos, where the truth is the photo itself: each photo's object mask is rescaled to a
small, medium and large area (HOLE_AREAS of the image) and moved to the place where it overlaps
the photo's own object least. Some photos of the set are already masked (edge-connect's have
their holes painted white), so the object region, grown as ``alphacut erase`` grows it, is filled
too, and is never a source of patches; only the cut hole's pixels outside it are scored (whole-
image metrics see the truth in the object region), against the photo:

* PSNR and SSIM (Wang, Bovik, Sheikh and Simoncelli, IEEE TIP 2004: 11x11 Gaussian window,
  sigma 1.5, K1 0.01, K2 0.03, mean over RGB) of the whole image;
* inside the hole: SSIM (the SSIM map averaged over hole pixels), PSNR and mean absolute error.

Every filler runs on every case in turn (the machine may be shared: medians, side by side). The
real object removals (the set's own masks, grown as ``alphacut erase`` does) go to a static
gallery page with the cut-hole results: bench-out/inpaint/index.html.

Usage: .venv/bin/python benchmarks/inpaint.py --data ../shared/data/inpaint_object_removal [--workers 2]
"""
from __future__ import annotations

import argparse
import html
import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import CpuShare, machine, write_json  # noqa: E402

from alphacut.edit.fillers import fill_hole, get_filler  # noqa: E402
from alphacut.edit.select import auto_dilation, grow  # noqa: E402

HOLE_AREAS = {"small": 0.005, "medium": 0.02, "large": 0.08}
FILLERS = ["telea", "ns", "exemplar"]


def ssim_map(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Per-pixel SSIM of two H x W x 3 uint8 images, averaged over channels (Wang et al. 2004)."""
    x, y = a.astype(np.float64), b.astype(np.float64)
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2

    def blur(v):
        return cv2.GaussianBlur(v, (11, 11), 1.5, borderType=cv2.BORDER_REFLECT)

    mx, my = blur(x), blur(y)
    vx, vy, cxy = blur(x * x) - mx * mx, blur(y * y) - my * my, blur(x * y) - mx * my
    s = ((2 * mx * my + c1) * (2 * cxy + c2)) / ((mx * mx + my * my + c1) * (vx + vy + c2))
    return s.mean(axis=-1)


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    return 99.0 if mse == 0 else 10 * np.log10(255.0 ** 2 / mse)


def cut_hole(object_mask: np.ndarray, area: float) -> np.ndarray:
    """The object's shape scaled to ``area`` of the image, placed where it overlaps the object least."""
    height, width = object_mask.shape
    ys, xs = np.nonzero(object_mask)
    shape = object_mask[ys.min():ys.max() + 1, xs.min():xs.max() + 1].astype(np.float32)
    factor = np.sqrt(area * height * width / max(1.0, shape.sum()))
    new_w = max(3, min(width - 2, round(shape.shape[1] * factor)))
    new_h = max(3, min(height - 2, round(shape.shape[0] * factor)))
    stamp = cv2.resize(shape, (new_w, new_h), interpolation=cv2.INTER_LINEAR) > 0.5
    best, best_overlap = None, None
    for top in np.linspace(1, height - new_h - 1, 7).astype(int):
        for left in np.linspace(1, width - new_w - 1, 7).astype(int):
            overlap = int((object_mask[top:top + new_h, left:left + new_w] & stamp).sum())
            if best_overlap is None or overlap < best_overlap:
                best, best_overlap = (top, left), overlap
    hole = np.zeros((height, width), bool)
    hole[best[0]:best[0] + new_h, best[1]:best[1] + new_w] = stamp
    return hole


def score(filled: np.ndarray, truth: np.ndarray, hole: np.ndarray) -> dict:
    smap = ssim_map(filled, truth)
    inside = filled[hole].astype(np.float64) - truth[hole]
    return {
        "psnr": psnr(filled, truth),
        "ssim": float(smap.mean()),
        "hole_ssim": float(smap[hole].mean()),
        "hole_psnr": 99.0 if not inside.any() else float(10 * np.log10(255.0 ** 2 / np.mean(inside ** 2))),
        "hole_mae": float(np.abs(inside).mean()),
    }


def thumb(image: np.ndarray, path: Path, side: int = 320) -> str:
    picture = Image.fromarray(image)
    picture.thumbnail((side, side))
    path.parent.mkdir(parents=True, exist_ok=True)
    picture.save(path, quality=88)
    return path.name


def overlay(rgb: np.ndarray, hole: np.ndarray) -> np.ndarray:
    shown = rgb.copy()
    shown[hole] = (0.4 * shown[hole] + 0.6 * np.array([255, 0, 255])).astype(np.uint8)
    return shown


_FILLERS: dict = {}


def evaluate_photo(path: Path, data: Path, gallery_dir: Path) -> tuple[list[dict], str]:
    """Every filler on the photo's three cut holes (scored) and on its object (gallery only)."""
    if not _FILLERS:
        _FILLERS.update({name: get_filler(name) for name in FILLERS})
        fill_hole(_FILLERS["exemplar"], np.zeros((40, 40, 3), np.uint8), np.eye(40, dtype=bool))  # compile once
    fillers = _FILLERS
    results: list[dict] = []
    truth = np.asarray(Image.open(path).convert("RGB"))
    object_mask = np.asarray(Image.open(data / "gt" / (path.stem + ".png")).convert("L")) > 127
    cells = [f"<td><img src='gallery/{thumb(truth, gallery_dir / (path.stem + '.jpg'))}'><br>{html.escape(path.stem)}</td>"]
    removal = grow(object_mask, auto_dilation(object_mask.shape))
    for size, area in HOLE_AREAS.items():
        hole = cut_hole(removal, area)
        scored = hole & ~removal
        for name, filler in fillers.items():
            start = time.perf_counter()
            filled = fill_hole(filler, truth, hole | removal)
            seconds = time.perf_counter() - start
            filled[removal] = truth[removal]
            results.append({"image": path.name, "size": size, "filler": name, "seconds": seconds,
                            "pixels": int(truth.shape[0] * truth.shape[1]), "hole": float(scored.mean()),
                            **score(filled, truth, scored)})
            if size == "large":
                cells.append(f"<td><img src='gallery/{thumb(filled, gallery_dir / f'{path.stem}.cut.{name}.jpg')}'>"
                             f"<br>cut hole, {name}</td>")
        if size == "large":
            cells.insert(1, f"<td><img src='gallery/{thumb(overlay(truth, hole | removal), gallery_dir / (path.stem + '.cut.jpg'))}'>"
                            f"<br>large cut hole</td>")
    cells.append(f"<td><img src='gallery/{thumb(overlay(truth, removal), gallery_dir / (path.stem + '.obj.jpg'))}'>"
                 f"<br>object mask (grown)</td>")
    for name, filler in fillers.items():
        removed = fill_hole(filler, truth, removal)
        cells.append(f"<td><img src='gallery/{thumb(removed, gallery_dir / f'{path.stem}.obj.{name}.jpg')}'>"
                     f"<br>object removed, {name}</td>")
    print(f"{path.name}: done", file=sys.stderr)
    return results, "<tr>" + "".join(cells) + "</tr>"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--count", type=int, default=0, help="Use the first N photos (0: all).")
    parser.add_argument("--out", type=Path, default=Path("bench-out/inpaint"))
    parser.add_argument("--megapixel", action="store_true", help="Only time real object removals at 1 MP.")
    parser.add_argument("--workers", type=int, default=1, help="Photos evaluated in parallel (each filler is single-threaded).")
    args = parser.parse_args()
    if args.megapixel:
        return time_megapixel(args.data)
    images = sorted((args.data / "images").iterdir())
    if args.count:
        images = images[: args.count]
    gallery_dir = args.out / "gallery"
    jobs = [(path, args.data, gallery_dir) for path in images]
    if args.workers > 1:
        with ProcessPoolExecutor(args.workers) as pool:
            done = list(pool.map(evaluate_photo, *zip(*jobs)))
    else:
        done = [evaluate_photo(*job) for job in jobs]
    results = [r for photo_results, _ in done for r in photo_results]
    rows = [row for _, row in done]

    write_json(args.out / "results.json", {"machine": machine(), "results": results})
    page = ("<!doctype html><meta charset='utf-8'><title>alphacut inpainting gallery</title>"
            "<style>body{font:13px sans-serif}td{vertical-align:top;text-align:center}img{max-width:240px}</style>"
            "<h1>Hole filling: cut holes (truth known) and real object removals</h1>"
            f"<p>{html.escape(machine())}. Magenta: the region filled.</p><table>" + "".join(rows) + "</table>")
    (args.out / "index.html").write_text(page)

    print(f"## Hole filling, {len(images)} photos x {len(HOLE_AREAS)} cut-hole sizes, {machine()}\n")
    print("| hole | filler | PSNR | SSIM | hole SSIM | hole PSNR | hole MAE | s / image | MP/s |")
    print("|---|---|---|---|---|---|---|---|---|")
    for size, area in HOLE_AREAS.items():
        for name in FILLERS:
            cases = [r for r in results if r["size"] == size and r["filler"] == name]
            med = {k: statistics.median(r[k] for r in cases) for k in ("psnr", "ssim", "hole_ssim", "hole_psnr", "hole_mae", "seconds")}
            rate = statistics.median(r["pixels"] / 1e6 / r["seconds"] for r in cases)
            print(f"| {size} ({100 * area:g}%) | {name} | {med['psnr']:.2f} | {med['ssim']:.4f} | {med['hole_ssim']:.4f} | "
                  f"{med['hole_psnr']:.2f} | {med['hole_mae']:.2f} | {med['seconds']:.3f} | {rate:.2f} |")
    for other in ("telea", "ns"):
        print(f"\nexemplar vs {other}, hole SSIM, per image (wins / cases) and median difference:")
        for size in HOLE_AREAS:
            pairs = [(r["hole_ssim"], t["hole_ssim"]) for r in results for t in results
                     if r["size"] == t["size"] == size and r["image"] == t["image"] and r["filler"] == "exemplar" and t["filler"] == other]
            wins = sum(e > t for e, t in pairs)
            print(f"- {size}: {wins}/{len(pairs)}, median {statistics.median(e - t for e, t in pairs):+.4f}")


def time_megapixel(data: Path, repeats: int = 2) -> None:
    """Seconds per real object removal on the set's largest-hole photos resized to 1 MP."""
    fillers = {name: get_filler(name) for name in FILLERS}
    fill_hole(fillers["exemplar"], np.zeros((40, 40, 3), np.uint8), np.eye(40, dtype=bool))  # compile once
    cases = []
    for path in sorted((data / "images").glob("inpaintanything_*")):
        image = Image.open(path).convert("RGB")
        scale = np.sqrt(1e6 / (image.width * image.height))
        size = (round(image.width * scale), round(image.height * scale))
        rgb = np.asarray(image.resize(size, Image.Resampling.LANCZOS))
        mask = np.asarray(Image.open(data / "gt" / (path.stem + ".png")).convert("L").resize(size)) > 127
        cases.append((path.stem, rgb, grow(mask, auto_dilation(mask.shape))))
    print(f"## Object removal at 1 MP ({len(cases)} photos, median of {repeats} runs), {machine()}\n")
    print("| photo | hole % | " + " | ".join(f"{n} s" for n in FILLERS) + " |")
    print("|---|---|" + "---|" * len(FILLERS))
    totals: dict[str, list[float]] = {n: [] for n in FILLERS}
    with CpuShare() as share:
        for name, rgb, hole in cases:
            row = []
            for filler_name, filler in fillers.items():
                runs = []
                for _ in range(repeats):
                    start = time.perf_counter()
                    fill_hole(filler, rgb, hole)
                    runs.append(time.perf_counter() - start)
                totals[filler_name].append(statistics.median(runs))
                row.append(f"{statistics.median(runs):.2f}")
            print(f"| {name} | {100 * hole.mean():.1f} | " + " | ".join(row) + " |")
    print("| **median** | | " + " | ".join(f"**{statistics.median(v):.2f}**" for v in totals.values()) + " |")
    print(f"\n{share}")


if __name__ == "__main__":
    main()
