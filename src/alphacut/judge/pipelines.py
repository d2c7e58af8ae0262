"""What ``alphacut eval --pipeline NAME[=OPTIONS]`` can run, each turning an image into alpha.

- ``raw``, ``auto``, ``photo``, ``portrait``, ``product``, ``graphic``, ``pixel-art``: the model
  plus that refinement preset, run by the same :class:`alphacut.pipeline.Remover` and
  :class:`~alphacut.pipeline.RemoveOptions` as ``alphacut remove`` (``auto=matting:cf`` scores what
  ``alphacut remove --matting cf`` writes); options ``model:NAME``, ``keep_soft`` and any refinement
  setting, e.g. ``photo=model:isnet-quint8,matting:cf,band:0.01``.
- ``model=NAME``: the ``auto`` preset on a registered model (or an .onnx path).
- ``border-fill[=tolerance:30]``: classical colour distance to the border + flood fill, no model.
- ``grabcut[=model:NAME]``: GrabCut seeded by the model's mask.
- ``folder=DIR``: precomputed outputs (RGBA cutouts or grey masks) named like the images, so any
  other tool (rembg, remove.bg) is judged by the same code; ``{set}`` in DIR stands for the name
  of the set being scored (``folder=runs/{set}/rembg``).
Predictions are cached per model and image, so ten presets on one model cost one forward pass.
"""
from __future__ import annotations

import hashlib
import math
import time
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Callable

import numpy as np
from PIL import Image

from alphacut.errors import InputError, OptionError
from alphacut.io.files import read_alpha
from alphacut.judge.dataset import Sample
from alphacut.models.registry import DEFAULT_MODEL
from alphacut.models.session import SalientSession
from alphacut.pipeline import RemoveOptions, Remover
from alphacut.pipeline.options import split_pairs
from alphacut.refine.presets import PRESET_NAMES, RefineSettings

MODEL_FREE = ("border-fill", "folder")


@dataclass
class Outcome:
    alpha: np.ndarray
    timings: dict[str, float]


class PredictionCache:
    """Remembers the model outputs of the current image (keyed by model and pixels) and their time."""

    def __init__(self, device: str = "cpu", runtime: str = "auto"):
        self.device, self.runtime = device, runtime
        self._entries: dict[tuple, tuple[np.ndarray, float]] = {}
        self._image_key: object = None

    def start_image(self, key: object) -> None:
        if key != self._image_key:
            self._entries.clear()
            self._image_key = key

    def session(self, model: str) -> SalientSession:
        from alphacut.models import load_model

        return load_model(model, device=self.device, runtime=self.runtime)

    def predictor(self, model: str) -> tuple[Callable[..., np.ndarray], Callable[[], float]]:
        """A predict function for ``model`` and a function returning the seconds its calls cost
        since this predictor was made (each call counts its original forward's time, also when the
        answer came from the cache, so a pipeline that needs two forwards reports both)."""
        session = self.session(model)
        spent = [0.0]

        def predict(image: Image.Image, side: int | None = None) -> np.ndarray:
            key = (model, image.size, side, hashlib.md5(image.tobytes()).hexdigest())
            if key not in self._entries:
                start = time.perf_counter()
                output = session.predict(image) if side is None else session.predict(image, side=side)
                self._entries[key] = (output, time.perf_counter() - start)
            probability, seconds = self._entries[key]
            spent[0] += seconds
            return probability

        return predict, lambda: spent[0]


@dataclass
class Pipeline:
    label: str
    kind: str
    options: dict = field(default_factory=dict)
    _remove_options: RemoveOptions | None = field(default=None, init=False, repr=False, compare=False)

    def run(self, image: Image.Image, sample: Sample, cache: PredictionCache) -> Outcome:
        if self.kind == "folder":
            folder = Path(self.options["dir"].replace("{set}", sample.set_name))
            return Outcome(_precomputed(folder, sample, image.size), {})
        if self.kind == "border-fill":
            from alphacut.refine.border_fill import border_fill_mask

            rgb = np.asarray(image.convert("RGB"))
            start = time.perf_counter()
            alpha = border_fill_mask(rgb, _number("tolerance", self.options.get("tolerance", "30")))
            return Outcome(alpha, {"border-fill": time.perf_counter() - start})
        model = self.options.get("model", DEFAULT_MODEL)
        predict, forward_seconds = cache.predictor(model)
        if self.kind == "grabcut":
            from alphacut.refine.grabcut import grabcut_refine

            probability = predict(image)
            start = time.perf_counter()
            alpha = grabcut_refine(np.asarray(image.convert("RGB")), probability)
            return Outcome(alpha, {"predict": forward_seconds(), "grabcut": time.perf_counter() - start})
        remover = Remover(cache.session(model), self.remove_options())
        matte = remover.matte(image, predict=predict)
        timings = dict(matte.timings)
        timings["predict"] = forward_seconds()  # every forward's uncached time, even on cache hits
        return Outcome(matte.alpha.astype(np.float32) / 255.0, timings)

    def remove_options(self) -> RemoveOptions:
        """The :class:`RemoveOptions` of a preset pipeline: what ``alphacut remove --preset KIND``
        with the same options writes is what this pipeline scores."""
        if self._remove_options is None:  # built once: the same for every image
            self._remove_options = RemoveOptions.from_pairs(self.kind, {k: v for k, v in self.options.items() if k != "model"})
        return self._remove_options


def parse_pipeline(text: str) -> Pipeline:
    name, _, argument = text.partition("=")
    name = name.strip()
    if name == "model":
        if not argument:
            raise InputError("--pipeline model=NAME needs a model name")
        return Pipeline(text, "auto", {"model": argument})
    if name == "folder":
        if not argument or ("{set}" not in argument and not Path(argument).is_dir()):
            raise InputError(f"--pipeline folder=DIR: {argument or '(missing)'} is not a folder")
        return Pipeline(text, "folder", {"dir": argument})
    if name not in (*PRESET_NAMES, "border-fill", "grabcut"):
        known = ", ".join((*PRESET_NAMES, "border-fill", "grabcut", "model=NAME", "folder=DIR"))
        raise InputError(f"unknown pipeline {name!r}; use one of {known}")
    options = split_pairs(argument)
    known = _option_names(name)
    unknown = set(options) - known
    if unknown:
        raise InputError(f"unknown option(s) {', '.join(sorted(unknown))} for pipeline {name!r}; "
                         f"known: {', '.join(sorted(known))}")
    pipeline = Pipeline(text, name, options)
    if name in PRESET_NAMES:
        pipeline.remove_options()  # values typed and checked now, not on the first image
    elif name == "border-fill" and "tolerance" in options:
        _number("tolerance", options["tolerance"])
    return pipeline


def _option_names(kind: str) -> set[str]:
    """The options a pipeline kind reads: caught here rather than ignored or failing mid-run."""
    if kind == "border-fill":
        return {"tolerance"}
    if kind == "grabcut":
        return {"model"}
    return {"model", "keep_soft", *(f.name for f in fields(RefineSettings))}


def _number(key: str, text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not math.isfinite(value):
        raise OptionError(f"pipeline option {key}:{text} must be a number")
    return value


def _precomputed(folder: Path, sample: Sample, size: tuple[int, int]) -> np.ndarray:
    stem = Path(sample.name)
    for candidate in (folder / stem.with_suffix(".png"), folder / stem.with_suffix(".webp"), folder / (stem.name + ".png")):
        if candidate.exists():
            alpha = Image.fromarray(read_alpha(candidate))
            if alpha.size != size:
                alpha = alpha.resize(size, Image.Resampling.BILINEAR)
            return np.asarray(alpha, np.float32) / 255.0
    raise InputError(f"{folder}: no output for {sample.name}")
