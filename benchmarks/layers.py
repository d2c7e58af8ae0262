"""Objects as layers, measured: how well the object finder separates subjects, how well one click
picks a whole object, and whether plate + layers give the photo back.

The dev sets have one (merged) mask per photo, so the multi-object set is built: for each case, two
or three subjects of the salient-object set (each cut out with its ground-truth mask, scaled to
40-65 % of the canvas height) are pasted side by side, in random order and with some overlap,
on another photo of the set blurred (Gaussian, sigma 6) so that it holds no sharp subject of its own.
Every object's ground truth is its pasted mask less what the objects pasted over it hide.

Figures per case:

* **per-object IoU**: the ground-truth objects matched one-to-one to the found ones (greedy by
  IoU); an object with no match scores 0. ``found`` is how many objects the finder returned.
* **click IoU**: ``CLICKS`` random pixels inside each object (its mask eroded by 3 px), each picked
  with the object finder (``alphacut erase --point``'s pick now) and with the model's connected
  component + GrabCut (the pick before it, ``select.component_at_point``); a click that finds
  nothing scores 0.
* **recomposition**: mean and largest absolute error (8-bit levels) of the plate and the layers
  composited, against the photo, and whether every pixel outside the filled holes is exact.
* **seconds**: finding the objects and building the layers (model passes included), per image.
* **single subjects** (``--singles N``): the first N photos of the set as they are, one subject
  (or one group) each; the share the finder returns as more than one object (over-splitting),
  against the share whose ground truth has more than one connected part of at least 0.1 % of the
  photo (separate pieces the finder may rightly return apart). Whole-image pass only (no zoom-in).

Usage: nice -n 10 .venv/bin/python benchmarks/layers.py --data ../shared/data/ecssd_200 --cases 20 \
    [--fill exemplar] [--out bench-out/layers.json]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageFilter

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import machine, write_json  # noqa: E402

from alphacut.pipeline.object_matte import object_matte, zoom_helps  # noqa: E402
from alphacut.edit import select  # noqa: E402
from alphacut.edit.fillers import get_filler  # noqa: E402
from alphacut.edit.layers import build_layers  # noqa: E402
from alphacut.edit.objects import find_objects  # noqa: E402
from alphacut.errors import InputError  # noqa: E402
from alphacut.io.layered import flatten  # noqa: E402
from alphacut.models import load_model  # noqa: E402
from alphacut.pipeline import RemoveOptions, Remover  # noqa: E402

CANVAS = (640, 480)
CLICKS = 5
SEED = 19


def load_sample(data: Path, name: str) -> tuple[np.ndarray, np.ndarray]:
    rgb = np.asarray(Image.open(data / "images" / name).convert("RGB"))
    gt = np.asarray(Image.open((data / "gt" / name).with_suffix(".png")).convert("L"), np.float32) / 255.0
    return rgb, gt


def build_case(data: Path, names: list[str], rng: np.random.Generator) -> tuple[np.ndarray, list[np.ndarray]]:
    """A photo with 2-3 pasted subjects and each subject's visible mask (float, 0..1)."""
    width, height = CANVAS
    background_rgb, _ = load_sample(data, names[0])
    plate = Image.fromarray(background_rgb).resize(CANVAS, Image.BICUBIC).filter(ImageFilter.GaussianBlur(6))
    canvas = np.asarray(plate, np.float32).copy()
    count = len(names) - 1
    slots = np.linspace(0, width, count + 1)
    visible: list[np.ndarray] = []
    for index, name in enumerate(rng.permutation(names[1:])):
        rgb, gt = load_sample(data, name)
        rows, cols = np.flatnonzero((gt > 0.5).any(axis=1)), np.flatnonzero((gt > 0.5).any(axis=0))
        rgb, gt = rgb[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1], gt[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]
        scale = min(rng.uniform(0.4, 0.65) * height / gt.shape[0], 1.1 * (width / count) / gt.shape[1])
        size = (max(8, round(gt.shape[1] * scale)), max(8, round(gt.shape[0] * scale)))
        rgb = cv2.resize(rgb, size, interpolation=cv2.INTER_AREA).astype(np.float32)
        gt = cv2.resize(gt, size, interpolation=cv2.INTER_AREA)
        centre = (slots[index] + slots[index + 1]) / 2 + rng.uniform(-0.1, 0.1) * width / count
        left = int(np.clip(centre - size[0] / 2, 0, width - size[0]))
        top = int(np.clip(rng.uniform(0.25, 0.95) * height - size[1], 0, height - size[1]))
        mask = np.zeros((height, width), np.float32)
        mask[top:top + size[1], left:left + size[0]] = gt
        window = canvas[top:top + size[1], left:left + size[0]]
        canvas[top:top + size[1], left:left + size[0]] = gt[..., None] * rgb + (1 - gt[..., None]) * window
        visible = [v * (1 - mask) for v in visible] + [mask]
    return np.clip(np.rint(canvas), 0, 255).astype(np.uint8), visible


def matched_ious(truths: list[np.ndarray], found: list[np.ndarray]) -> list[float]:
    pairs = sorted(((iou(t, f), i, j) for i, t in enumerate(truths) for j, f in enumerate(found)), reverse=True)
    best = [0.0] * len(truths)
    used_t, used_f = set(), set()
    for value, i, j in pairs:
        if i not in used_t and j not in used_f:
            best[i] = value
            used_t.add(i)
            used_f.add(j)
    return best


def iou(a: np.ndarray, b: np.ndarray) -> float:
    a, b = a > 0.5, b > 0.5
    union = (a | b).sum()
    return float((a & b).sum() / union) if union else 1.0


def clicks_inside(mask: np.ndarray, rng: np.random.Generator) -> list[tuple[int, int]]:
    inner = cv2.erode((mask > 0.5).astype(np.uint8), np.ones((7, 7), np.uint8)) > 0
    ys, xs = np.nonzero(inner if inner.any() else mask > 0.5)
    picks = rng.choice(len(xs), size=min(CLICKS, len(xs)), replace=False)
    return [(int(xs[k]), int(ys[k])) for k in picks]


def remembered(predict):
    """``predict`` that runs the model once per distinct image (the baseline pick asks again per click)."""
    seen: dict[bytes, np.ndarray] = {}

    def cached(image: Image.Image) -> np.ndarray:
        key = image.tobytes()
        if key not in seen:
            seen.clear()
            seen[key] = predict(image)
        return seen[key]

    return cached


def run_case(rgb: np.ndarray, truths: list[np.ndarray], remover: Remover, fill: str, rng: np.random.Generator) -> dict:
    matte = object_matte(remover, rgb)
    predict = remembered(remover.session.predict)
    start = time.perf_counter()
    objects = find_objects(rgb, matte, zoom=zoom_helps(remover, rgb))
    stack = build_layers(rgb, objects, get_filler(fill))
    seconds = time.perf_counter() - start
    flat = flatten(CANVAS, stack)[..., :3]
    error = np.abs(flat - rgb.astype(np.float32))
    plate = np.asarray(stack[0].image, np.int16)
    outside = (plate == rgb).all(axis=-1)
    exact_outside = bool((np.rint(flat[outside]) == rgb[outside]).all())
    found = [o.mask(rgb.shape) for o in objects]
    new_clicks, old_clicks = [], []
    for truth in truths:
        for point in clicks_inside(truth, rng):
            new_clicks.append(_click_iou(lambda: select.pick_objects(rgb, matte, points=[point], objects=objects).alpha > 0.5, truth))
            old_clicks.append(_click_iou(lambda: select.component_at_point(rgb, point, predict), truth))
    return {"objects": len(truths), "found": len(objects), "object_iou": matched_ious(truths, found),
            "click_iou_finder": new_clicks, "click_iou_component": old_clicks, "recompose_mae": float(error.mean()),
            "recompose_max": float(error.max()), "exact_outside_holes": exact_outside, "seconds": seconds}


def _click_iou(pick, truth: np.ndarray) -> float:
    try:
        return iou(pick(), truth)
    except InputError:
        return 0.0


def count_singles(data: Path, names: list[str], remover: Remover) -> dict:
    from scipy import ndimage

    split, parted = 0, 0
    for name in names:
        rgb, gt = load_sample(data, name)
        labels, count = ndimage.label(gt > 0.5, structure=np.ones((3, 3), bool))
        big = (np.bincount(labels.ravel())[1:] >= 0.001 * gt.size).sum() if count else 0
        found = find_objects(rgb, object_matte(remover, rgb), zoom=False)
        split += len(found) > 1
        parted += big > 1
        print(f"single {name}: {len(found)} object(s), ground truth in {big} part(s)", flush=True)
    return {"singles": len(names), "singles_found_as_several": split / len(names),
            "singles_gt_in_several_parts": parted / len(names)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--cases", type=int, default=20)
    parser.add_argument("--fill", default="exemplar")
    parser.add_argument("--model", default="isnet")
    parser.add_argument("--out", type=Path, default=Path("bench-out/layers.json"))
    parser.add_argument("--save", type=Path, help="Also write each case's photo here.")
    parser.add_argument("--singles", type=int, default=0, help="Also count objects found on the first N photos as they are.")
    args = parser.parse_args()
    rng = np.random.default_rng(SEED)
    names = sorted(p.name for p in (args.data / "images").iterdir())
    remover = Remover(load_model(args.model), RemoveOptions())
    results = []
    for case in range(args.cases):
        picked = list(rng.choice(names, size=1 + int(rng.integers(2, 4)), replace=False))
        rgb, truths = build_case(args.data, picked, rng)
        if args.save:
            args.save.mkdir(parents=True, exist_ok=True)
            Image.fromarray(rgb).save(args.save / f"case{case:02d}.png")
        result = run_case(rgb, truths, remover, args.fill, rng)
        results.append({"case": case, "sources": picked, **result})
        print(f"case {case}: {result['objects']} objects, {result['found']} found, "
              f"IoU {statistics.mean(result['object_iou']):.3f}, clicks {statistics.mean(result['click_iou_finder']):.3f} "
              f"vs {statistics.mean(result['click_iou_component']):.3f}, recompose MAE {result['recompose_mae']:.3f} "
              f"max {result['recompose_max']:.2f}, {result['seconds']:.1f} s", flush=True)
    flat = lambda key: [v for r in results for v in r[key]]  # noqa: E731
    summary = {
        "machine": machine(), "cases": len(results), "fill": args.fill,
        "objects": sum(r["objects"] for r in results), "found": sum(r["found"] for r in results),
        "object_iou_mean": statistics.mean(flat("object_iou")),
        "objects_matched_iou_over_0.5": sum(v > 0.5 for v in flat("object_iou")) / len(flat("object_iou")),
        "click_iou_finder_mean": statistics.mean(flat("click_iou_finder")),
        "click_iou_component_mean": statistics.mean(flat("click_iou_component")),
        "click_iou_finder_median": statistics.median(flat("click_iou_finder")),
        "click_iou_component_median": statistics.median(flat("click_iou_component")),
        "recompose_mae_mean": statistics.mean(r["recompose_mae"] for r in results),
        "recompose_max": max(r["recompose_max"] for r in results),
        "exact_outside_holes": all(r["exact_outside_holes"] for r in results),
        "seconds_median": statistics.median(r["seconds"] for r in results),
    }
    if args.singles:
        summary.update(count_singles(args.data, names[:args.singles], remover))
    write_json(args.out, {"summary": summary, "cases": results})
    print(summary)


if __name__ == "__main__":
    main()
