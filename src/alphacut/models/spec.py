"""A model is data: where its weights come from and how its input must be prepared."""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class NpmResource:
    """Weights shipped as sha256-named chunks inside an npm package (``dist/resources.json``)."""

    package: str
    version: str
    resource: str  # key in resources.json, e.g. "/models/medium"


@dataclass(frozen=True)
class ModelSpec:
    """Everything needed to obtain, verify and run a segmentation model.

    ``mean``/``std`` apply after scaling by ``scale`` (``x * scale - mean) / std``), per RGB channel.
    ``activation`` is what turns the raw output into alpha in [0, 1]: ``none`` (already a
    probability, clipped), ``sigmoid`` or ``minmax`` (rescale each prediction to its own range).
    ``sha256`` pins the weights as published; the installed file may be a converted form whose own
    hash is written in the store's manifest. ``refine_defaults`` are refinement settings the model
    is used with unless the user sets them (name, value pairs of :class:`RefineSettings`): a model
    fine-tuned on pixel art decides its own backdrops, so its export turns the certain fill off.
    """

    name: str
    description: str
    input_size: tuple[int, int]  # width, height
    mean: tuple[float, float, float] = (0.5, 0.5, 0.5)
    std: tuple[float, float, float] = (1.0, 1.0, 1.0)
    scale: float = 1.0 / 255.0
    resize_filter: str = "bilinear"
    activation: str = "none"
    output: str | None = None  # output tensor name; None = the first output
    family: str = "salient"
    licence: str = "unknown"
    source: str = "user file"
    sha256: str | None = None
    npm: NpmResource | None = None
    stored_form: str = "original"  # "original" or "fp32" (fp16 weights widened once at install)
    file: str | None = None  # user models: absolute path of the ONNX file in the store
    refine_defaults: tuple[tuple[str, Any], ...] = ()

    def to_json(self) -> dict[str, Any]:
        record = asdict(self)
        record["input_size"] = list(self.input_size)
        record["mean"] = list(self.mean)
        record["std"] = list(self.std)
        record["refine_defaults"] = [list(pair) for pair in self.refine_defaults]
        return record

    @classmethod
    def from_json(cls, record: dict[str, Any]) -> "ModelSpec":
        data = dict(record)
        data["input_size"] = tuple(data["input_size"])
        data["mean"] = tuple(data["mean"])
        data["std"] = tuple(data["std"])
        data["refine_defaults"] = tuple(tuple(pair) for pair in data.get("refine_defaults", ()))
        if data.get("npm"):
            data["npm"] = NpmResource(**data["npm"])
        return cls(**data)
