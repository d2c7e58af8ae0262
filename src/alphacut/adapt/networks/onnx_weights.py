"""Load convolution weights from an ONNX graph into a PyTorch module, matched by node name.

Exporters name nodes after the module path (``/stage1/rebnconvin/conv_s1/Conv`` is module
``stage1.rebnconvin.conv_s1``), and with batch norm folded into the convolutions every parameter
of the published IS-Net is a convolution's weight or bias. This lets the shipped ONNX weights be
fine-tuned without the original checkpoint.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import onnx
import torch
from onnx import numpy_helper
from torch import nn

from alphacut.errors import ModelError


@dataclass
class LoadReport:
    loaded: list[str] = field(default_factory=list)  # module paths filled from the graph
    missing: list[str] = field(default_factory=list)  # convolutions of the module absent from the graph
    unused: list[str] = field(default_factory=list)  # graph convolutions with no matching module


def _constant_tensors(graph: onnx.GraphProto) -> dict[str, np.ndarray]:
    tensors = {init.name: numpy_helper.to_array(init) for init in graph.initializer}
    for node in graph.node:
        if node.op_type == "Constant":
            for attribute in node.attribute:
                if attribute.name == "value":
                    tensors[node.output[0]] = numpy_helper.to_array(attribute.t)
    # fp16 graphs may feed weights through Cast nodes; follow them
    for node in graph.node:
        if node.op_type == "Cast" and node.input[0] in tensors:
            tensors[node.output[0]] = tensors[node.input[0]]
    return tensors


def module_path(node_name: str) -> str:
    """``/stage1/rebnconvin/conv_s1/Conv`` -> ``stage1.rebnconvin.conv_s1``."""
    parts = [part for part in node_name.split("/") if part]
    return ".".join(parts[:-1])


def onnx_conv_weights(path: Path) -> dict[str, tuple[np.ndarray, np.ndarray | None]]:
    """Module path -> (weight, bias) for every ``Conv`` node of the graph, as float32."""
    try:
        graph = onnx.load(str(path)).graph
    except Exception as exc:
        raise ModelError(f"{path}: not a readable ONNX file ({exc})") from None
    tensors = _constant_tensors(graph)
    weights: dict[str, tuple[np.ndarray, np.ndarray | None]] = {}
    for node in graph.node:
        if node.op_type != "Conv" or node.input[1] not in tensors:
            continue
        weight = tensors[node.input[1]].astype(np.float32)
        bias = tensors[node.input[2]].astype(np.float32) if len(node.input) > 2 and node.input[2] else None
        weights[module_path(node.name)] = (weight, bias)
    return weights


def _strip_wrapper_prefix(weights: dict, model: nn.Module) -> dict:
    """Graphs exported through a wrapper module name nodes ``/wrapper/stage1/...``: drop leading
    path components until names match the model's."""
    names = {name for name, _ in model.named_modules()}
    renamed = {}
    for path, value in weights.items():
        parts = path.split(".")
        while len(parts) > 1 and ".".join(parts) not in names:
            parts = parts[1:]
        renamed[".".join(parts)] = value
    return renamed


def load_onnx_weights(model: nn.Module, path: Path, strict: bool = False) -> LoadReport:
    """Copy every ONNX ``Conv`` into the ``nn.Conv2d`` of the same module path.

    Raises :class:`ModelError` when no convolution matches (not this architecture), when a shape
    differs, or with ``strict`` when any convolution of ``model`` is left unfilled.
    """
    weights = _strip_wrapper_prefix(onnx_conv_weights(path), model)
    convolutions = {name: module for name, module in model.named_modules() if isinstance(module, nn.Conv2d)}
    report = LoadReport()
    with torch.no_grad():
        for name, conv in convolutions.items():
            if name not in weights:
                report.missing.append(name)
                continue
            weight, bias = weights[name]
            if tuple(conv.weight.shape) != weight.shape:
                raise ModelError(
                    f"{path}: {name} has weight shape {weight.shape}, the architecture expects {tuple(conv.weight.shape)}"
                )
            conv.weight.copy_(torch.from_numpy(weight))
            if conv.bias is not None:
                conv.bias.copy_(torch.from_numpy(bias) if bias is not None else torch.zeros_like(conv.bias))
            report.loaded.append(name)
    report.unused = sorted(set(weights) - set(convolutions))
    if not report.loaded:
        raise ModelError(f"{path}: none of its convolutions match this architecture (different network?)")
    if strict and report.missing:
        raise ModelError(f"{path}: lacks weights for {', '.join(report.missing[:5])}")
    return report
