"""Export a trained segmentation network to ONNX (checked against PyTorch) and describe it for the registry."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from alphacut.adapt.data import MEAN, STD
from alphacut.adapt.networks import NestedUNet
from alphacut.adapt.onnx_export import export_checked
from alphacut.adapt.train import TrainConfig
from alphacut.models.spec import ModelSpec


class Prediction(torch.nn.Module):
    """The deployed graph: side output 0 through a sigmoid, so the output is alpha in [0, 1]."""

    def __init__(self, network: NestedUNet):
        super().__init__()
        self.network = network

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self.network(x)[0])


@dataclass
class ExportResult:
    path: Path
    max_difference: float  # largest |onnxruntime - PyTorch| on the check input
    spec: ModelSpec | None = None


def export_onnx(network: NestedUNet, size: int, path: Path, tolerance: float = 1e-3, seed: int = 0) -> ExportResult:
    """Write ``network`` as ONNX (input ``input`` 1x3xSxS float32, output ``output`` 1x1xSxS alpha)
    and verify onnxruntime's output against PyTorch's on a random input."""
    check = torch.from_numpy(np.random.default_rng(seed).uniform(-0.5, 0.5, (1, 3, size, size)).astype(np.float32))
    difference = export_checked(Prediction(network.float()), (check,), path, input_names=["input"],
                                output_names=["output"], tolerance=tolerance)
    return ExportResult(path, difference)


def spec_for_training(name: str, config: TrainConfig, file: Path) -> ModelSpec:
    """The registry record of an exported model: its training resolution, normalisation and resampling."""
    init = f"fine-tuned from {config.init}" if config.init else "trained from scratch"
    return ModelSpec(
        name=name,
        description=f"{config.arch} {init} on {Path(config.data).name} at {config.size} px",
        input_size=(config.size, config.size),
        mean=MEAN,
        std=STD,
        resize_filter="nearest" if config.pixel_art else "bilinear",
        activation="none",
        licence="as the training data and initial weights",
        source=f"alphacut train ({config.data})",
        file=str(file),
        # fine-tuned on the collection, the model is right where the flat fill would keep a
        # backdrop's second colour (stripes): BENCHMARKS.md §11
        refine_defaults=(("flat_background", False),) if config.pixel_art else (),
    )
