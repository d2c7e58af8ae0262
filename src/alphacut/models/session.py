"""A loaded model: prepares an image exactly as the model was trained and returns alpha."""
from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image

from alphacut.errors import ModelError
from alphacut.models.confidence import prediction_confidence
from alphacut.models.runtimes import Runtime, open_runtime
from alphacut.models.spec import ModelSpec

#: an int8 form's output less sure of itself than this is re-run in the float form: at 0.6 a fifth
#: to a quarter of photos are re-run and every int8 mask that flipped was caught (BENCHMARKS.md §8e)
FLOAT_RERUN_BELOW = 0.6

RESIZE_FILTERS = {
    "bilinear": Image.Resampling.BILINEAR,
    "bicubic": Image.Resampling.BICUBIC,
    "lanczos": Image.Resampling.LANCZOS,
    "nearest": Image.Resampling.NEAREST,
}


class SideRuntimes:
    """Engines for the same weights at other square input sides, opened on first use from the
    model's any-side graph (:mod:`alphacut.models.any_side`), which is built once per model
    content (keyed by the base file's sha256) beside its other derived files."""

    FILE = "model.any-side.onnx"

    def __init__(self, base: Path, fingerprint: str | None, open_engine: Callable[[Path, int | None], Runtime]):
        self.base_file = Path(base)
        self.fingerprint = fingerprint
        self._open_engine = open_engine
        self._engines: dict[int, Runtime] = {}
        self._base_engine: Runtime | None = None
        self._lock = threading.Lock()

    def graph(self) -> Path:
        from alphacut.models.any_side import write_any_side
        from alphacut.models.fingerprint import derived_dir, file_sha256

        target = derived_dir(self.fingerprint or file_sha256(self.base_file)) / self.FILE
        if not target.is_file():
            write_any_side(self.base_file, target)
        return target

    def base(self) -> Runtime:
        """The model's own file (not a quantised form) at its own side: for images a quantised
        form may get wrong (graphics, pixel art: BENCHMARKS.md §8b)."""
        with self._lock:
            if self._base_engine is None:
                self._base_engine = self._open_engine(self.base_file, None)
            return self._base_engine

    def at(self, side: int) -> Runtime:
        with self._lock:
            engine = self._engines.get(side)
            if engine is None:
                engine = self._engines[side] = self._open_engine(self.graph(), side)
            return engine


class SalientSession:
    """Salient-object segmentation (ISNet, U2Net and alike): one image in, one alpha map out.

    Preprocessing is data from the :class:`ModelSpec`: resize to ``input_size`` with
    ``resize_filter``, ``(x * scale - mean) / std`` per channel, NCHW. The output is turned into
    alpha by ``activation`` and resized bilinearly back to the image size.
    """

    def __init__(self, spec: ModelSpec, path: Path, runtime: Runtime):
        self.spec = spec
        self.path = path
        self.runtime = runtime
        # (x * scale - mean) / std folded into one multiply-subtract per channel
        std = np.asarray(spec.std, np.float32)
        self._gain = (np.float32(spec.scale) / std).reshape(3, 1, 1)
        self._offset = (np.asarray(spec.mean, np.float32) / std).reshape(3, 1, 1)
        self._lock = threading.Lock()  # OpenVINO infer requests are not re-entrant
        self.batch_size = 1  # images per model call that the engine takes well (CUDA: more)
        self.other_sides: SideRuntimes | None = None  # set by load_model: the model at other sides
        self.float_reruns = 0  # int8 outputs replaced by the float form's (see predict)

    @property
    def name(self) -> str:
        return self.spec.name

    def preprocess(self, image: Image.Image, size: tuple[int, int] | None = None) -> np.ndarray:
        rgb = image if image.mode == "RGB" else image.convert("RGB")
        resized = rgb.resize(size or self.spec.input_size, RESIZE_FILTERS[self.spec.resize_filter])
        planes = np.asarray(resized).transpose(2, 0, 1)
        batch = np.empty((1, *planes.shape), np.float32)
        np.multiply(planes, self._gain, out=batch[0])
        batch[0] -= self._offset
        return batch

    def probability(self, raw: np.ndarray) -> np.ndarray:
        """The model's output as a probability map at the model's own size (float32, 0-1)."""
        logits = np.asarray(raw, dtype=np.float32).reshape(raw.shape[-2:])
        if self.spec.activation == "sigmoid":
            with np.errstate(over="ignore"):  # exp(-logit) overflows to inf for logit < -88: alpha 0
                logits = 1.0 / (1.0 + np.exp(-logits))
        elif self.spec.activation == "minmax":
            low, high = float(logits.min()), float(logits.max())
            logits = (logits - low) / (high - low) if high > low else np.zeros_like(logits)
        return np.clip(logits, 0.0, 1.0)

    @staticmethod
    def to_image_size(probability: np.ndarray, size: tuple[int, int]) -> np.ndarray:
        resized = Image.fromarray(probability, "F")
        if resized.size != size:
            resized = resized.resize(size, Image.Resampling.BILINEAR)
        alpha = np.array(resized, dtype=np.float32)  # one full-size copy, clipped in place
        del resized
        return np.clip(alpha, 0.0, 1.0, out=alpha)

    def postprocess(self, raw: np.ndarray, size: tuple[int, int]) -> np.ndarray:
        return self.to_image_size(self.probability(raw), size)

    def predict_many(self, images: list[Image.Image]) -> list[np.ndarray]:
        """Alpha for several images in one model call (engines that take a batch, e.g. CUDA)."""
        batch = np.concatenate([self.preprocess(image) for image in images])
        with self._lock:
            raw = self.runtime.run(batch)
        return [self.postprocess(raw[index:index + 1], image.size) for index, image in enumerate(images)]

    @property
    def quantised(self) -> bool:
        """Whether the engine runs an int8 form (built by ``models install --optimize``)."""
        return "int8" in self.runtime.name

    def predict(self, image: Image.Image, side: int | None = None, *, float_form: bool = False) -> np.ndarray:
        """Alpha in [0, 1] (float32, H x W) for an RGB or RGBA PIL image; ``side`` runs the model
        on a square input of that side instead of its own ``input_size``; ``float_form`` runs the
        model's own float file where the session's engine is a quantised form (see
        :meth:`model_probability`)."""
        if side is not None and (side, side) != tuple(self.spec.input_size):
            if self.other_sides is None:
                raise ModelError(f"{self.name}: this session runs at {self.spec.input_size[0]} px only")
            probability = self._run(self.other_sides.at(side), self.preprocess(image, (side, side)))
        else:
            probability = self.model_probability(self.preprocess(image), float_form=float_form)
        return self.to_image_size(probability, image.size)

    def model_probability(self, batch: np.ndarray, *, float_form: bool = False) -> np.ndarray:
        """The probability at the model's own size for one preprocessed image.

        Where the session's engine is an int8 form, ``float_form`` runs the model's own float file
        instead, and an int8 output that is unsure of itself (:func:`prediction_confidence` below
        ``FLOAT_RERUN_BELOW``) is replaced by the float form's: where int8 and float disagree, the
        int8 output is unsure (BENCHMARKS.md §8e); ``float_reruns`` counts these."""
        has_float_form = self.quantised and self.other_sides is not None
        if float_form and has_float_form:
            return self._run(self.other_sides.base(), batch)
        probability = self._run(self.runtime, batch)
        if has_float_form and prediction_confidence(probability) < FLOAT_RERUN_BELOW:
            probability = self._run(self.other_sides.base(), batch)
            with self._lock:
                self.float_reruns += 1
        return probability

    def _run(self, engine: Runtime, batch: np.ndarray) -> np.ndarray:
        with self._lock:
            raw = engine.run(batch)
        return self.probability(raw)


SESSION_FAMILIES: dict[str, type[SalientSession]] = {"salient": SalientSession}


def create_session(
    spec: ModelSpec, path: Path, *, device: str, threads: int | None, runtime: str, precision: str | None = None,
    fingerprint: str | None = None,
) -> SalientSession:
    engine = open_runtime(
        path, output=spec.output, device=device, threads=threads, runtime=runtime, precision=precision,
        fingerprint=fingerprint,
    )
    return SESSION_FAMILIES[spec.family](spec, path, engine)
