"""Runs the refinement stages in order on one image: predict (test-time averaging) -> calibration ->
flat background -> gaps -> consensus -> trimap + matting -> main subject -> threshold -> decontaminate."""
from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from typing import Callable

import numpy as np
from PIL import Image

from alphacut.refine.calibration import calibrate
from alphacut.refine.consensus import colour_consensus
from alphacut.refine.flat_background import find_flat_background, flat_background_alpha, flat_background_evidence
from alphacut.refine.foreground import decontaminate
from alphacut.refine.gaps import background_colour_gaps, enclosed_regions
from alphacut.refine.hints import Hints, apply_hints
from alphacut.refine.main_subject import keep_main_subject
from alphacut.refine.matting import matte
from alphacut.refine.pixel_art import block_majority, looks_like_pixel_art, native_art, upscale_nearest
from alphacut.refine.presets import PRESETS, RefineSettings
from alphacut.refine.trimap import BACKGROUND, band_width, trimap_from_probability
from alphacut.refine.working_size import WORKING_PIXELS, refine_downscaled, working_size

#: ``predict(image)`` -> the model's probability at the image's size; refinements that run the model
#: at another square side (``mirror_side``) call ``predict(image, side=S)``.
Predict = Callable[..., np.ndarray]


@dataclass(frozen=True)
class KnownPrediction:
    """A predict function that already holds the model's output for one image (computed ahead, in
    a batch or a cache): that image's plain forward is answered from it, any other call goes to
    ``fallback``. A big photo refined at its working size reuses the output, downscaled, instead
    of running the model again on the downscaled copy."""

    image: Image.Image
    output: np.ndarray
    fallback: Predict

    def __call__(self, source: Image.Image, side: int | None = None) -> np.ndarray:
        if source is self.image and side is None:
            return self.output
        return self.fallback(source) if side is None else self.fallback(source, side=side)

    def for_copy(self, copy: Image.Image) -> "KnownPrediction":
        """The same answer for ``copy``, a resized copy of the image (the output resized to it)."""
        if self.output.shape == (copy.height, copy.width):
            return replace(self, image=copy)
        resized = Image.fromarray(np.ascontiguousarray(self.output, np.float32), "F").resize(copy.size, Image.Resampling.BOX)
        return KnownPrediction(copy, np.asarray(resized, np.float32), self.fallback)


@dataclass
class Refined:
    alpha: np.ndarray  # float32 in [0, 1]
    rgb: np.ndarray  # uint8 colours for the cutout (decontaminated where alpha is soft)
    probability: np.ndarray  # the model's output, for evaluation and debugging
    settings: RefineSettings
    timings: dict[str, float] = field(default_factory=dict)


def settings_for(rgb: np.ndarray, settings: RefineSettings | None) -> RefineSettings:
    if settings is not None:
        return settings
    if looks_like_pixel_art(rgb):
        return PRESETS["pixel-art"]
    return PRESETS["graphic"] if flat_background_evidence(rgb) is not None else PRESETS["photo"]


def predict_pixel_art(predict: Predict, rgb: np.ndarray, target: int) -> np.ndarray:
    """Probability per screen pixel, decided once per art pixel on a nearest-neighbour upscale."""
    native, block = native_art(rgb)
    upscaled, factor = upscale_nearest(Image.fromarray(native), target)
    probability = block_majority(predict(upscaled), factor)
    if block > 1:
        probability = np.repeat(np.repeat(probability, block, axis=0), block, axis=1)
    return probability.astype(np.float32)


def predict_averaged(predict: Predict, image: Image.Image, variants: int, model_side: int,
                     resize: str = "lanczos", mirror_side: int | None = None) -> np.ndarray:
    """Mean of the model's outputs over ``variants`` inputs: 1 is the image as the model resizes it
    (bilinear); 2 is the image and its mirror, pre-resized to the model's side with Lanczos (which
    keeps strands sharper when a photo is upscaled, BENCHMARKS.md §3) or, with ``resize="model"``,
    as the model resizes them; 4 is both pairs. ``mirror_side`` runs the mirror of the
    model-resized pair at that side (multi-scale test-time averaging, as in the multi-scale
    inference of segmentation networks: Chen et al. 2016, "Attention to Scale")."""
    if variants not in (1, 2, 4):
        raise ValueError(f"tta must be 1, 2 or 4, not {variants}")
    if resize not in ("lanczos", "model"):
        raise ValueError(f"resize must be lanczos or model, not {resize!r}")
    if variants == 1:
        return predict(image)
    outputs = []
    if variants == 4 or resize == "model":
        outputs.append(predict(image))
        mirror = image.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
        mirrored = predict(mirror, side=mirror_side) if mirror_side and mirror_side != model_side else predict(mirror)
        outputs.append(mirrored[:, ::-1])
    if variants == 2 and resize == "model":
        return np.mean(outputs, axis=0).astype(np.float32)
    square = image.resize((model_side, model_side), Image.Resampling.LANCZOS)
    for flip in (False, True):
        source = square.transpose(Image.Transpose.FLIP_LEFT_RIGHT) if flip else square
        out = predict(source)
        out = out[:, ::-1] if flip else out
        resized = Image.fromarray(np.ascontiguousarray(out, np.float32), "F").resize(image.size, Image.Resampling.BILINEAR)
        outputs.append(np.asarray(resized, np.float32))
    return np.mean(outputs, axis=0).astype(np.float32)


def refine(
    image: Image.Image,
    predict: Predict,
    settings: RefineSettings | None = None,
    *,
    model_side: int = 1024,
    hints: Hints | None = None,
    working_pixels: int = WORKING_PIXELS,
    rgb: np.ndarray | None = None,
) -> Refined:
    """Alpha and cutout colours for ``image`` (RGB or RGBA) with ``settings`` (``None`` = auto).

    ``hints`` (user keep/remove strokes) are forced before matting, so matting treats them as known,
    and again after the last stage that changes alpha, so nothing undoes them. ``rgb``: the image's
    RGB pixels where the caller has them already (a copy of a 12 MP photo takes 0.05 s)."""
    timings: dict[str, float] = {}
    clock = time.perf_counter()

    def lap(stage: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        timings[stage] = timings.get(stage, 0.0) + now - clock
        clock = now

    if rgb is None:
        rgb = np.asarray(image if image.mode == "RGB" else image.convert("RGB"))  # no extra copy of a huge image
    chosen = settings_for(rgb, settings)
    work = None if chosen.pixel_art else working_size(image.size, working_pixels)
    if work is not None:  # a big photo: every stage at a bounded size, then upsampled (working_size.py)
        return _refine_big(image, rgb, predict, chosen, model_side, hints, work)
    if chosen.pixel_art:
        probability = predict_pixel_art(predict, rgb, model_side)
    else:
        probability = predict_averaged(predict, image, int(chosen.tta), model_side, chosen.tta_resize,
                                       chosen.mirror_side)
    lap("predict")
    alpha = calibrate(probability, chosen.logit_gain, chosen.logit_bias)
    background = find_flat_background(rgb, probability) if chosen.flat_background else None
    if background is not None:
        if chosen.flat_tolerance is not None:
            background = replace(background, tolerance=chosen.flat_tolerance)
        filled = flat_background_alpha(rgb, background, soft_edges=chosen.flat_soft_edges)
        alpha = filled if chosen.flat_rule == "fill" else np.maximum(alpha, filled)
        lap("flat_background")
    if chosen.gaps:
        alpha[enclosed_regions(alpha >= 0.5) | background_colour_gaps(rgb, alpha)] = 0.0
        lap("gaps")
    alpha = apply_hints(alpha, hints)
    if chosen.consensus and chosen.threshold is None:
        # GrabCut runs at <= 1024 px: upsampled back, it can move sure pixels next to a hint's edge
        alpha = apply_hints(colour_consensus(rgb, alpha), hints)
        lap("consensus")
    if chosen.matting != "none" and chosen.threshold is None:
        trimap = trimap_from_probability(alpha, width=band_width(alpha.shape, chosen.band), low=chosen.low, high=chosen.high)
        alpha = matte(rgb, alpha, trimap, method=chosen.matting, eps=chosen.guided_eps)
        lap("matting")
    if chosen.main_subject:
        alpha = keep_main_subject(rgb, alpha)
        lap("main_subject")
    alpha = apply_hints(alpha, hints)
    if chosen.threshold is not None:
        alpha = (alpha >= chosen.threshold).astype(np.float32)
    colours = rgb
    if chosen.decontaminate and chosen.threshold is None:
        colours = decontaminate(rgb, alpha)
        lap("decontaminate")
    return Refined(alpha=alpha, rgb=colours, probability=probability, settings=chosen, timings=timings)


def _refine_big(image: Image.Image, rgb: np.ndarray, predict: Predict, chosen: RefineSettings, model_side: int,
                hints: Hints | None, work: tuple[int, int]) -> Refined:
    """``refine`` of a photo over the working size: at ``work``, then guided back to full size."""
    timings: dict[str, float] = {}
    decontaminates = chosen.decontaminate and chosen.threshold is None

    known = predict if isinstance(predict, KnownPrediction) and predict.image is image else None

    def run(small: Image.Image, small_hints: Hints | None):
        small_predict = known.for_copy(small) if known is not None else predict
        refined = refine(small, small_predict, chosen, model_side=model_side, hints=small_hints)
        timings.update(refined.timings)
        return refined.alpha, (refined.rgb if decontaminates else None), refined.probability

    start = time.perf_counter()
    alpha, colours, probability = refine_downscaled(image, rgb, hints, work, run)
    if chosen.threshold is not None:  # the guided upsampling softens a binary alpha's edges
        alpha = (alpha >= chosen.threshold).astype(np.float32)
    timings["upsample"] = time.perf_counter() - start - sum(timings.values())
    return Refined(alpha=alpha, rgb=colours, probability=probability, settings=chosen, timings=timings)


__all__ = ["BACKGROUND", "KnownPrediction", "Refined", "refine", "settings_for"]
