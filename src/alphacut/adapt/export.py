"""Export a trained network to ONNX, check it against PyTorch, and register it by name."""
from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from alphacut.adapt.data import MEAN, STD
from alphacut.adapt.train import TrainConfig
from alphacut.errors import ModelError
from alphacut.io.encode import write_atomic
from alphacut.models.architectures import NestedUNet
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
    import onnxruntime as ort

    # eval() on the wrapper itself: the exporter restores the wrapper's mode (and its children's) afterwards
    wrapped = Prediction(network.float()).eval()
    check = torch.from_numpy(np.random.default_rng(seed).uniform(-0.5, 0.5, (1, 3, size, size)).astype(np.float32))
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the TorchScript exporter's deprecation notice
        torch.onnx.export(wrapped, (check,), buffer, input_names=["input"], output_names=["output"],
                          opset_version=17, dynamo=False)
    data = buffer.getvalue()
    session = ort.InferenceSession(data, providers=["CPUExecutionProvider"])
    exported = session.run(None, {"input": check.numpy()})[0]
    with torch.no_grad():
        expected = wrapped(check).numpy()
    difference = float(np.abs(exported - expected).max())
    if difference > tolerance:
        raise ModelError(f"exported graph differs from PyTorch by {difference:.2e} (> {tolerance:g}); not written")
    write_atomic(path, data)
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
    )
