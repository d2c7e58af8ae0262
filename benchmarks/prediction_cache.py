"""Model outputs of every image of some sets, saved once, so refinement experiments cost no forward.

For each image this stores the model's probability at the image's size (float16, ``.npz``) for
the input variants that test-time averaging combines:

- ``plain``: the image as the session resizes it (bilinear to the model's side);
- ``plain_flip``: its mirror image (output flipped back);
- ``lanczos`` / ``lanczos_flip``: the image pre-resized to the model's side with Lanczos, and its mirror;
- ``s768`` / ``s768_flip``: the image and its mirror with the model run at 768 px (the session's
  any-side graph, :mod:`alphacut.models.any_side`: multi-scale candidates of ``quality_levers.py``);
- ``pixel_art``: what the ``pixel-art`` preset asks of the model: the native art upscaled
  nearest-neighbour towards the model's side, the output averaged per art pixel
  (:func:`alphacut.refine.pixel_art.block_majority`), stored at the native art's size. A cached
  session answers the upscaled input by repeating it, which the refiner's block vote turns back
  into exactly this array.

``tta 2`` is the mean of the two ``lanczos`` variants, ``tta 4`` the mean of all four, exactly as
:func:`alphacut.refine.refiner.predict_averaged` computes them.

Usage:
  .venv/bin/python benchmarks/prediction_cache.py --data ../shared/data/ecssd_200 --out /tmp/qcache \
      [--variants plain,plain_flip,lanczos,lanczos_flip,pixel_art] [--limit N] [--model isnet] [--runtime auto]
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
from PIL import Image

VARIANTS = ("plain", "plain_flip", "lanczos", "lanczos_flip", "pixel_art", "s768", "s768_flip")
DEFAULT_VARIANTS = VARIANTS[:4]  # pixel_art only where asked: graphics sets


def pixel_art_output(session, image: Image.Image) -> np.ndarray:
    from alphacut.refine.pixel_art import block_majority, native_art, upscale_nearest

    native, _ = native_art(np.asarray(image.convert("RGB")))
    upscaled, factor = upscale_nearest(Image.fromarray(native), max(session.spec.input_size))
    return np.ascontiguousarray(block_majority(session.predict(upscaled), factor), np.float32)


def variant_output(session, image: Image.Image, variant: str) -> np.ndarray:
    if variant == "pixel_art":
        return pixel_art_output(session, image)
    flip = variant.endswith("_flip")
    side = 768 if variant.startswith("s768") else None
    source = image
    if variant.startswith("lanczos"):
        side = max(session.spec.input_size)
        source = image.resize((side, side), Image.Resampling.LANCZOS)
    if flip:
        source = source.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    out = session.predict(source) if side is None else session.predict(source, side=side)
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
    parser.add_argument("--variants", default=",".join(DEFAULT_VARIANTS))
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
