"""Refinement levers measured on cached model outputs, each paired against a reference, with
bootstrap intervals: which change holds beyond noise on which set.

Reads the outputs that ``benchmarks/prediction_cache.py`` saved (no forward pass here), so many
candidates cost only their refinement. A candidate is ``NAME=COMBO|CURVE|PIPELINE``:

- COMBO: which model outputs are averaged: ``plain`` (the model's own resize), ``flip2`` (plain and
  its mirror), ``tta2`` (Lanczos pre-resize and its mirror: ``--tta 2``), ``all4`` (``--tta 4``);
  or ``own``: the pipeline keeps its own ``tta`` and the cache answers each input it asks for
  (the image, its mirror, the pixel-art upscale), so ``own|id|auto`` is exactly ``alphacut eval --pipeline auto``;
- CURVE: ``id``, ``minmax`` (rembg's rescale of the output), or ``logit:A:B`` (p -> sigmoid(A logit(p) + B));
- PIPELINE: ``border-fill[=tolerance:T]`` or ``folder=DIR`` (model-free: the COMBO and CURVE are
  ignored), or an ``alphacut eval`` preset pipeline run by the real ``Remover`` (``raw``, ``photo``,
  ``portrait=band:0.004``, ...) whose model output is the combined, curved probability (its own
  ``tta`` is set to 1: the averaging is the COMBO's). The ``pixel-art`` preset (and ``auto`` on
  sprites) reads the cache's ``pixel_art`` variant instead, whatever the COMBO.

Usage:
  .venv/bin/python benchmarks/quality_levers.py --cache /tmp/qcache/isnet --data ../shared/data/ecssd_200 \
      --reference raw=plain|id|raw --candidate tta2=tta2|id|raw --candidate photo=plain|id|photo [--json out.json] \
      [--rows rows.jsonl] [--names only_these.txt]
"""
from __future__ import annotations

import argparse
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

COMBOS = {
    "plain": ("plain",),
    "flip2": ("plain", "plain_flip"),
    "tta2": ("lanczos", "lanczos_flip"),
    "all4": ("plain", "plain_flip", "lanczos", "lanczos_flip"),
    "own": ("plain",),
    # multi-scale: the model at 768 px (the any-side graph, prediction_cache.py's s768 variants)
    "ms2": ("plain", "s768_flip"),
    "ms2same": ("plain", "s768"),
    "ms3": ("plain", "plain_flip", "s768"),
    "ms4": ("plain", "plain_flip", "s768", "s768_flip"),
    "s768": ("s768",),
    "s768flip2": ("s768", "s768_flip"),
}


@dataclass(frozen=True)
class Candidate:
    label: str
    combo: str
    curve: str
    pipeline: str


def parse_candidate(text: str) -> Candidate:
    label, _, spec = text.partition("=")
    parts = spec.split("|")
    if len(parts) != 3 or parts[0] not in COMBOS:
        raise SystemExit(f"candidate {text!r}: use NAME=COMBO|CURVE|PIPELINE with COMBO one of {', '.join(COMBOS)}")
    return Candidate(label, *parts)


def apply_curve(probability: np.ndarray, curve: str) -> np.ndarray:
    if curve == "id":
        return probability
    if curve == "minmax":
        low, high = float(probability.min()), float(probability.max())
        return (probability - low) / (high - low) if high > low else np.zeros_like(probability)
    if curve.startswith("logit:"):
        _, a, b = curve.split(":")
        p = np.clip(probability, 1e-6, 1 - 1e-6)
        z = float(a) * np.log(p / (1 - p)) + float(b)
        return (1.0 / (1.0 + np.exp(-z))).astype(np.float32)
    raise SystemExit(f"unknown curve {curve!r}")


def run(cache: Path, data: list[Path], candidates: list[Candidate], limit: int | None, names: set[str] | None = None):
    from alphacut.io.decode import decode_image
    from alphacut.judge.dataset import load_gt, load_set
    from alphacut.judge.evaluate import ImageResult, score
    from alphacut.judge.pipelines import MODEL_FREE, parse_pipeline
    from alphacut.models.spec import ModelSpec
    from alphacut.pipeline import Remover

    class CachedSession:
        """Stands in for a session: the refinement asks it for the model's output of the image."""

        spec = ModelSpec(name="cached", description="cached outputs", input_size=(1024, 1024))

        def __init__(self):
            self.output: np.ndarray | None = None
            self.by_input: dict[bytes, np.ndarray] = {}  # for ``own``: outputs keyed by the input's pixels
            self.pixel_art: np.ndarray | None = None  # per art pixel, for the pixel-art preset's upscaled input

        def predict(self, image: Image.Image) -> np.ndarray:
            assert self.output is not None
            if self.by_input:
                key = hashlib.md5(image.tobytes()).digest()
                if key in self.by_input:
                    return self.by_input[key]
                if self.output.shape == (image.height, image.width):
                    raise SystemExit("COMBO own: the pipeline asked for an input the cache does not hold")
            if self.output.shape == (image.height, image.width):
                return self.output
            if self.pixel_art is None:
                raise SystemExit("the pixel-art preset needs the cache's pixel_art variant "
                                 "(benchmarks/prediction_cache.py --variants ...,pixel_art)")
            factor = image.height // self.pixel_art.shape[0]
            assert self.pixel_art.shape[1] * factor == image.width and self.pixel_art.shape[0] * factor == image.height
            # the refiner's block vote over this repeat gives back the cached per-art-pixel output
            return np.repeat(np.repeat(self.pixel_art, factor, axis=0), factor, axis=1)

    session = CachedSession()
    removers = {}
    model_free = {}
    for c in candidates:
        pipeline = parse_pipeline(c.pipeline)
        if pipeline.kind in MODEL_FREE:  # border-fill, folder: no model output to feed
            model_free[c.label] = pipeline
            continue
        options = pipeline.remove_options()
        own_tta = {} if c.combo == "own" else {"tta": "1"}
        options = type(options).from_pairs(pipeline.kind, {**pipeline.options, **own_tta})
        removers[c.label] = Remover(session, options)  # type: ignore[arg-type]
    rows = []
    sets = []
    for folder in data:
        eval_set = load_set(folder, limit)
        if names is not None:
            eval_set.samples = [s for s in eval_set.samples if s.name in names]
        sets.append(eval_set)
        for sample in eval_set.samples:
            stored = np.load(cache / eval_set.name / (sample.name.replace("/", "__") + ".npz"))
            image = decode_image(sample.image).frames[0].image
            gt = load_gt(sample.gt)
            session.pixel_art = stored["pixel_art"].astype(np.float32) if "pixel_art" in stored.files else None
            session.by_input = {}
            if any(c.combo == "own" for c in candidates):
                session.by_input = {hashlib.md5(image.tobytes()).digest(): stored["plain"].astype(np.float32)}
                if "plain_flip" in stored.files:  # what the model said of the mirror image, before flipping back
                    mirror = image.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
                    session.by_input[hashlib.md5(mirror.tobytes()).digest()] = stored["plain_flip"].astype(np.float32)[:, ::-1]
            for c in candidates:
                outputs = [stored[v].astype(np.float32) for v in COMBOS[c.combo]]
                session.output = np.clip(apply_curve(np.mean(outputs, axis=0).astype(np.float32), c.curve), 0, 1).astype(np.float32)
                if c.label in model_free:
                    alpha = model_free[c.label].run(image, sample, None).alpha
                else:
                    alpha = removers[c.label].matte(image).alpha.astype(np.float32) / 255.0
                rows.append(ImageResult(eval_set.name, sample.name, sample.category, c.label, score(alpha, gt, eval_set.soft), {}))
    return sets, rows


def leave_one_out(rows, set_name: str, labels: list[str], metric: str) -> str:
    """Each image is scored by the candidate that is best on all the other images (the choice never
    sees the image it is judged on); returns the LOO mean and how often each candidate was chosen."""
    from alphacut.judge.paired import LOWER_IS_BETTER

    by_label = {label: {r.name: r.metrics[metric] for r in rows if r.set == set_name and r.pipeline == label}
                for label in labels}
    names = sorted(by_label[labels[0]])
    lower = metric in LOWER_IS_BETTER
    chosen_scores, chosen = [], []
    for held in names:
        def rest_mean(label: str) -> float:
            return float(np.mean([v for n, v in by_label[label].items() if n != held]))
        best = (min if lower else max)(labels, key=rest_mean)
        chosen.append(best)
        chosen_scores.append(by_label[best][held])
    counts = {label: chosen.count(label) for label in labels if label in chosen}
    return (f"leave-one-out {set_name} {metric}: {np.mean(chosen_scores):.4f} over {len(names)} images "
            f"(chosen: {counts})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cache", type=Path, required=True)
    parser.add_argument("--data", type=Path, action="append", required=True)
    parser.add_argument("--reference", required=True)
    parser.add_argument("--candidate", action="append", default=[])
    parser.add_argument("--metrics", default="iou,mae,boundary_f,weighted_f")
    parser.add_argument("--soft-metrics", default="sad,grad,mse,conn")
    parser.add_argument("--limit", type=int)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--rows", type=Path, help="also write every image's metrics, one JSON object a line")
    parser.add_argument("--names", type=Path, help="score only the images named in this file (one a line)")
    parser.add_argument("--loo", metavar="METRIC", help="leave-one-out over images: per held-out image, the candidate "
                        "(reference included) with the best mean METRIC on the other images is scored on it")
    args = parser.parse_args()

    from alphacut.judge.paired import compare_rows

    reference = parse_candidate(args.reference)
    candidates = [reference, *map(parse_candidate, args.candidate)]
    names = set(args.names.read_text().split()) if args.names else None
    sets, rows = run(args.cache, args.data, candidates, args.limit, names)
    if args.rows:
        args.rows.write_text("".join(json.dumps({"set": r.set, "name": r.name, "category": r.category,
                                                  "pipeline": r.pipeline, "metrics": r.metrics}) + "\n" for r in rows))
    report: dict = {}
    for eval_set in sets:
        mine = [r for r in rows if r.set == eval_set.name]
        metric_names = (args.soft_metrics if eval_set.soft else args.metrics).split(",")
        print(f"\n## {eval_set.name} ({len(eval_set.samples)} images), reference {reference.label}")
        means = {c.label: {m: float(np.mean([r.metrics[m] for r in mine if r.pipeline == c.label])) for m in metric_names}
                 for c in candidates}
        print("| candidate | " + " | ".join(metric_names) + " |")
        print("|---" * (len(metric_names) + 1) + "|")
        report[eval_set.name] = {}
        for c in candidates:
            cells = [f"{means[c.label][m]:.4f}" for m in metric_names]
            if c.label != reference.label:
                diffs = compare_rows(mine, c.label, reference.label, metric_names)
                report[eval_set.name][c.label] = {m: d.as_dict() for m, d in diffs.items()}
                cells = [f"{means[c.label][m]:.4f} ({d.mean:+.4f} [{d.low:+.4f}, {d.high:+.4f}] {d.verdict})"
                         for m, d in ((m, diffs[m]) for m in metric_names)]
            print(f"| {c.label} | " + " | ".join(cells) + " |")
    if args.loo:
        for eval_set in sets:
            print(leave_one_out(rows, eval_set.name, [c.label for c in candidates], args.loo))
    if args.json:
        args.json.write_text(json.dumps({"means": None, "paired": report}, indent=1))


if __name__ == "__main__":
    main()
