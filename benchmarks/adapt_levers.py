"""Adapt to 0.99 (issue 20): today's fine-tune against each lever, on a collection split as a user has it.

A collection of RGBA cutouts (``pixelart_rpg_icons/rgba`` or ``kenney_generic_items/rgba``) is split
reproducibly into ``--known`` cutouts (what the owner has cut out) and held-out subjects. The held-out
subjects are shown on the collection's *own* background style (``own_background`` below: palette
terrain on the art grid with tile seams; the training recipe never sees this generator), which is the
folder a user points ``--backgrounds-from`` at. The test set is ``--test`` held-out subjects on four
kinds of background: solid, pattern, noise (the generic generators, drawn with a seed the training
set does not use) and own.

    python benchmarks/adapt_levers.py prepare --collection pixelart   # folders under bench-out/adapt/<collection>
    python benchmarks/adapt_levers.py train --collection pixelart --recipe today --minutes 15
    python benchmarks/adapt_levers.py train --collection pixelart --recipe levers --minutes 15
    python benchmarks/adapt_levers.py score --collection pixelart --label levers \
        --pipeline border-fill --pipeline pixel-art=model:pixelart-levers
    python benchmarks/adapt_levers.py unsure --collection pixelart --label levers \
        --model pixelart-levers --pipeline pixel-art=model:pixelart-levers

Every step runs the user's CLI (printed before it runs); ``score`` runs the judge in-process to get
per-image IoU (the share of images at IoU >= 0.99). Training prints wall and CPU (process) minutes.
"""
from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image

from common import machine

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
#: name -> (data folder, nearest-neighbour scale of the cutouts, pixel art)
COLLECTIONS = {"pixelart": ("pixelart_rpg_icons", 10, True), "kenney": ("kenney_generic_items", 1, False)}
ALPHACUT = [str(Path(sys.executable).parent / "alphacut")]
KINDS = ("solid", "pattern", "noise", "own")


def run(*args: str) -> tuple[float, float]:
    """Run ``alphacut ARGS``; wall and CPU (children's user + system) seconds."""
    print("$ alphacut " + " ".join(args), flush=True)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run([*ALPHACUT, *args], check=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return time.perf_counter() - start, cpu


def own_background(size: tuple[int, int], rng: np.random.Generator, cell: int, smooth: bool) -> np.ndarray:
    """The held-out collection's own style: smooth value noise quantised to a 4-shade palette of one hue
    (ordered dithering on the art grid), with tile seams every 6-12 cells; ``smooth`` (non-pixel art)
    upsamples the noise bilinearly instead of on the grid."""
    width, height = size
    cells = (-(-height // cell), -(-width // cell))
    coarse = rng.uniform(0, 1, (cells[0] // 6 + 2, cells[1] // 6 + 2)).astype(np.float32)
    field = np.asarray(Image.fromarray(coarse, "F").resize((cells[1], cells[0]), Image.Resampling.BICUBIC))
    bayer = np.array([[0, 2], [3, 1]], np.float32) / 4 - 0.375
    ys, xs = np.mgrid[0 : cells[0], 0 : cells[1]]
    levels = np.clip(((field - field.min()) / max(float(np.ptp(field)), 1e-6) + bayer[ys % 2, xs % 2] * 0.5) * 4, 0, 3.999)
    hue = rng.uniform(0, 1)
    base = np.array(Image.new("HSV", (1, 1), (int(hue * 255), int(rng.uniform(60, 200)), 255)).convert("RGB").getpixel((0, 0)), np.float32)
    palette = np.stack([base * f for f in (0.35, 0.55, 0.75, 0.95)])
    small = palette[levels.astype(int)]
    period = int(rng.integers(6, 13))
    seam = (ys % period == 0) | (xs % period == 0)
    small[seam] = palette[0] * 0.8
    small = small.astype(np.uint8)
    if smooth:
        return np.asarray(Image.fromarray(small).resize((width, height), Image.Resampling.BILINEAR))
    return np.repeat(np.repeat(small, cell, 0), cell, 1)[:height, :width]


def _upscale(array: np.ndarray, scale: int) -> np.ndarray:
    return np.repeat(np.repeat(array, scale, 0), scale, 1) if scale > 1 else array


def _composite(rgba: np.ndarray, background: np.ndarray) -> np.ndarray:
    alpha = rgba[..., 3:4].astype(np.float32) / 255
    return np.clip(np.rint(rgba[..., :3] * alpha + background * (1 - alpha)), 0, 255).astype(np.uint8)


def prepare(collection: str, out: Path, known: int, test: int, seed: int) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    from alphacut.adapt import backgrounds as generic

    name, scale, _ = COLLECTIONS[collection]
    files = sorted((DATA / name / "rgba").glob("*.png"))
    order = np.random.default_rng(seed).permutation(len(files))
    known_files = [files[i] for i in order[:known]]
    held_out = [files[i] for i in order[known:]]
    shutil.rmtree(out, ignore_errors=True)
    (out / "known").mkdir(parents=True)
    for path in known_files:
        shutil.copyfile(path, out / "known" / path.name)
    rng = np.random.default_rng(seed + 1)  # not the dataset builder's seed: other draws of the generic kinds
    for index, path in enumerate(held_out):
        rgba = _upscale(np.asarray(Image.open(path).convert("RGBA")), scale)
        size = (rgba.shape[1], rgba.shape[0])
        own = _composite(rgba, own_background(size, rng, scale, smooth=scale == 1))
        (out / "with-bg").mkdir(exist_ok=True)
        Image.fromarray(own).save(out / "with-bg" / path.name)
        if index >= test:
            continue
        near = rgba[..., :3][rgba[..., 3] > 127].mean(axis=0)
        drawn = {"solid": generic.solid(size, rng, near), "pattern": generic.pattern(size, rng, scale, near),
                 "noise": generic.noise(size, rng, scale), "own": None}
        for kind in KINDS:
            image = own if kind == "own" else _composite(rgba, drawn[kind])
            for folder, content in (("images", image), ("gt", rgba[..., 3])):
                target = out / "test-set" / folder / kind
                target.mkdir(parents=True, exist_ok=True)
                Image.fromarray(content).save(target / path.name)
    print(f"{collection}: {len(known_files)} known cutouts, {len(held_out)} held out with the own background, "
          f"{min(test, len(held_out))} test subjects x {len(KINDS)} kinds", flush=True)


RECIPES = {
    # today's recipe (BENCHMARKS.md section 5): generic backgrounds, 224 px
    "today": {"build": [], "train": ["--size", "224"]},
    "own-bg": {"build": ["--backgrounds-from", "{with_bg}"], "train": ["--size", "224"]},
    "grid": {"build": [], "train": ["--size", "grid"]},
    "levers": {"build": ["--backgrounds-from", "{with_bg}"], "train": ["--size", "grid"]},
}


def train(collection: str, out: Path, recipe: str, minutes: float, threads: int, tag: str = "") -> None:
    _, scale, pixel_art = COLLECTIONS[collection]
    if "grid" in RECIPES[recipe]["train"] and not pixel_art:
        raise SystemExit(f"{recipe}: --size grid is for pixel art; {collection} is not (use today or own-bg)")
    dataset, run_dir = out / f"dataset-{recipe}{tag}", out / f"run-{recipe}{tag}"
    shutil.rmtree(dataset, ignore_errors=True)
    shutil.rmtree(run_dir, ignore_errors=True)
    build = [part.format(with_bg=out / "with-bg") for part in RECIPES[recipe]["build"]]
    run("dataset", "build", "--rgba", str(out / "known"), "-o", str(dataset), "--scale", str(scale),
        "--backgrounds", "solid,pattern,noise", "--per-subject", "3", "--val", "0.1", "--seed", "0", *build)
    wall, cpu = run("train", str(dataset), "-o", str(run_dir), "--init", "isnet", *RECIPES[recipe]["train"],
                    "--batch", "4", "--epochs", "100", "--patience", "4", *(["--pixel-art"] if pixel_art else []),
                    "--steps-per-epoch", "40", "--time-limit", str(minutes), "--clock", "cpu", "--threads", str(threads), "-q")
    print(f"training {recipe}: {wall / 60:.1f} min wall, {cpu / 60:.1f} CPU min", flush=True)
    (run_dir / "timing.json").write_text(json.dumps({"wall_s": wall, "cpu_s": cpu}))
    run("export", str(run_dir), "--name", f"{collection}-{recipe}{tag}", "--overwrite")


def score(collection: str, out: Path, pipelines: list[str], label: str) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    from alphacut.judge.dataset import load_set
    from alphacut.judge.evaluate import evaluate
    from alphacut.judge.pipelines import parse_pipeline

    eval_set = load_set(out / "test-set", None)
    started = time.perf_counter()
    result = evaluate([eval_set], [parse_pipeline(p) for p in pipelines], runtime="auto")
    record: dict[str, dict[str, dict[str, float]]] = {}  # pipeline -> kind -> image name -> IoU
    for entry in result.results:
        if entry.error:
            raise RuntimeError(f"{entry.pipeline} {entry.name}: {entry.error}")
        record.setdefault(entry.pipeline, {}).setdefault(entry.category, {})[entry.name] = entry.metrics["iou"]
    (out / f"scores-{label}.json").write_text(json.dumps(record))
    print(f"\n{collection}: {len(eval_set.samples)} test images, {time.perf_counter() - started:.0f} s\n")
    print_table(record)


def unsure(collection: str, out: Path, model: str, pipeline: str, label: str) -> None:
    """Does the model's own confidence find its failures? For thresholds, the share of test images a
    review of the unsure ones shows people, how many of the images below IoU 0.99 it catches, and the
    share at >= 0.99 once the reviewed ones are fixed by the vote."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    from alphacut.models import load_model
    from alphacut.review.confidence import image_confidences

    scores = json.loads((out / f"scores-{label}.json").read_text())[pipeline]
    # the judge names an image by its path under images/ without the extension ("own/A_Armour01")
    paths = {out / "test-set" / "images" / f"{name}.png": (kind, name) for kind, names in scores.items() for name in names}
    found, failed = image_confidences(list(paths), load_model(model))
    if failed:
        raise RuntimeError(f"{len(failed)} unreadable, first: {next(iter(failed.items()))}")
    confidence = np.array([found[p] for p in paths])
    iou = np.array([scores[kind][name] for kind, name in paths.values()])
    bad = iou < 0.99
    print(f"\n{model}: {bad.sum()} of {len(iou)} test images below IoU 0.99 ({pipeline})\n")
    print("| review below confidence | images reviewed | failures caught | >= 0.99 after the review |")
    print("|---|---|---|---|")
    for threshold in (0.9, 0.95, 0.98, 0.99, 0.995):
        reviewed = confidence < threshold
        caught = (reviewed & bad).sum()
        print(f"| {threshold:g} | {reviewed.mean():.0%} | {caught} of {bad.sum()} | {np.mean(~bad | reviewed):.0%} |")


def print_table(record: dict[str, dict[str, dict[str, float]]]) -> None:
    """IoU and the share of images at IoU >= 0.99, overall and per background kind (markdown)."""
    kinds = [k for k in KINDS if any(k in v for v in record.values())]
    print("| pipeline | IoU | >= 0.99 | " + " | ".join(f"IoU {k} (>= 0.99)" for k in kinds) + " |")
    print("|---|---|---|" + "---|" * len(kinds))
    for pipeline, by_kind in record.items():
        values = {k: np.array(list(by_kind[k].values())) for k in kinds}
        every = np.concatenate(list(values.values()))
        cells = " | ".join(f"{values[k].mean():.4f} ({np.mean(values[k] >= 0.99):.0%})" for k in kinds)
        print(f"| {pipeline} | {every.mean():.4f} | {np.mean(every >= 0.99):.0%} | {cells} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("stage", choices=("prepare", "train", "score", "table", "unsure"))
    parser.add_argument("--collection", choices=tuple(COLLECTIONS), default="pixelart")
    parser.add_argument("--out", type=Path, default=Path("bench-out/adapt"))
    parser.add_argument("--known", type=int, default=100, help="cutouts the owner has")
    parser.add_argument("--test", type=int, default=40, help="held-out subjects in the test set (x 4 kinds)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--recipe", choices=tuple(RECIPES), default="levers")
    parser.add_argument("--minutes", type=float, default=15.0, help="training budget in CPU minutes (train --clock cpu)")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--tag", default="", help="suffix of the run, dataset and model names (several budgets of one recipe)")
    parser.add_argument("--pipeline", action="append", default=[], help="judge pipelines to score (repeatable)")
    parser.add_argument("--label", default="run", help="name of the scores file")
    parser.add_argument("--model", help="unsure: the fine-tuned model whose confidence is tested")
    args = parser.parse_args()
    out = args.out / args.collection
    print(f"machine: {machine()}", flush=True)
    if args.stage == "prepare":
        prepare(args.collection, out, args.known, args.test, args.seed)
    elif args.stage == "train":
        train(args.collection, out, args.recipe, args.minutes, args.threads, args.tag)
    elif args.stage == "score":
        score(args.collection, out, args.pipeline, args.label)
    elif args.stage == "unsure":
        unsure(args.collection, out, args.model, args.pipeline[0], args.label)
    else:
        print_table(json.loads((out / f"scores-{args.label}.json").read_text()))


if __name__ == "__main__":
    main()
