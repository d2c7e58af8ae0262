"""Model outputs of every image of some sets, saved once, so refinement experiments cost no forward.

For each image this stores the model's probability at the image's size (float16, ``.npz``) for
the input variants that test-time averaging combines:

- ``plain``: the image as the session resizes it (bilinear to the model's side);
- ``plain_flip``: its mirror image (output flipped back);
- ``lanczos`` / ``lanczos_flip``: the image pre-resized to the model's side with Lanczos, and its mirror.

``tta 2`` is the mean of the two ``lanczos`` variants, ``tta 4`` the mean of all four, exactly as
:func:`alphacut.refine.refiner.predict_averaged` computes them.

Usage:
  .venv/bin/python benchmarks/prediction_cache.py --data ../shared/data/ecssd_200 --out /tmp/qcache \
      [--variants plain,plain_flip,lanczos,lanczos_flip] [--limit N] [--model isnet] [--runtime auto]
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
from PIL import Image

VARIANTS = ("plain", "plain_flip", "lanczos", "lanczos_flip")


def variant_output(session, image: Image.Image, variant: str) -> np.ndarray:
    flip = variant.endswith("_flip")
    source = image
    if variant.startswith("lanczos"):
        side = max(session.spec.input_size)
        source = image.resize((side, side), Image.Resampling.LANCZOS)
    if flip:
        source = source.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    out = session.predict(source)
    if flip:
        out = out[:, ::-1]
    if out.shape != (image.height, image.width):
        resized = Image.fromarray(np.ascontiguousarray(out, np.float32), "F").resize(image.size, Image.Resampling.BILINEAR)
        out = np.asarray(resized, np.float32)
    return np.ascontiguousarray(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, action="append", required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--variants", default=",".join(VARIANTS))
    parser.add_argument("--limit", type=int)
    parser.add_argument("--model", default="isnet")
    parser.add_argument("--runtime", default="auto")
    args = parser.parse_args()

    from alphacut.io.decode import decode_image
    from alphacut.judge.dataset import load_set
    from alphacut.models import load_model

    variants = [v for v in args.variants.split(",") if v]
    unknown = set(variants) - set(VARIANTS)
    if unknown:
        raise SystemExit(f"unknown variants {sorted(unknown)}; use {', '.join(VARIANTS)}")
    session = load_model(args.model, runtime=args.runtime)
    for folder in args.data:
        eval_set = load_set(folder, args.limit)
        target = args.out / args.model / eval_set.name
        target.mkdir(parents=True, exist_ok=True)
        start, done = time.perf_counter(), 0
        for sample in eval_set.samples:
            path = target / (sample.name.replace("/", "__") + ".npz")
            have = dict(np.load(path)) if path.exists() else {}
            missing = [v for v in variants if v not in have]
            if not missing:
                continue
            image = decode_image(sample.image).frames[0].image
            for variant in missing:
                have[variant] = variant_output(session, image, variant).astype(np.float16)
            tmp = path.with_suffix(".tmp.npz")
            np.savez_compressed(tmp, **have)
            tmp.replace(path)
            done += 1
        print(f"{eval_set.name}: {done} images computed in {time.perf_counter() - start:.0f} s -> {target}", flush=True)


if __name__ == "__main__":
    main()
