"""Export a PyTorch module to ONNX, checked against PyTorch with onnxruntime, and written atomically.

Every network adapt trains (the segmentation nets of :mod:`alphacut.adapt.export` and the hole
filler of :mod:`alphacut.adapt.filler_train`) leaves through :func:`export_checked`: the graph is
built in memory, run by onnxruntime on the example inputs, compared with the module's own output,
and only then written. A file on disk is therefore always a complete graph that computes what
the trained module computes.
"""
from __future__ import annotations

import io
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import torch

from alphacut.errors import ModelError
from alphacut.io.files import write_atomic

OPSET = 17
#: Largest accepted |onnxruntime - PyTorch| on the example inputs.
DEFAULT_TOLERANCE = 1e-3


def export_checked(
    module: torch.nn.Module,
    example: tuple[torch.Tensor, ...],
    path: Path,
    *,
    input_names: Sequence[str],
    output_names: Sequence[str],
    dynamic_axes: Mapping[str, Mapping[int, str]] | None = None,
    metadata: Mapping[str, str] | None = None,
    tolerance: float = DEFAULT_TOLERANCE,
) -> float:
    """Write ``module`` as an ONNX graph at ``path`` and return the largest difference between
    onnxruntime's first output and PyTorch's on ``example``. ``module`` is put in eval mode (batch
    norm and dropout as deployed) and left there.

    ``metadata`` goes into the graph's ``metadata_props`` (read back with onnxruntime's
    ``custom_metadata_map``). Raises :class:`ModelError`, and writes nothing, when the difference
    exceeds ``tolerance``.
    """
    import onnx
    import onnxruntime as ort

    module.eval()
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the TorchScript exporter's deprecation notice
        torch.onnx.export(module, example, buffer, input_names=list(input_names), output_names=list(output_names),
                          dynamic_axes={k: dict(v) for k, v in (dynamic_axes or {}).items()} or None,
                          opset_version=OPSET, dynamo=False)
    data = buffer.getvalue()
    if metadata:
        graph = onnx.load_from_string(data)
        for key, value in metadata.items():
            entry = graph.metadata_props.add()
            entry.key, entry.value = key, value
        data = graph.SerializeToString()
    session = ort.InferenceSession(data, providers=["CPUExecutionProvider"])
    feed = {name: tensor.detach().cpu().numpy() for name, tensor in zip(input_names, example)}
    exported = session.run(None, feed)[0]
    with torch.no_grad():
        expected = module(*example)
    expected = (expected[0] if isinstance(expected, (tuple, list)) else expected).detach().cpu().numpy()
    difference = float(np.abs(exported - expected).max())
    if difference > tolerance:
        raise ModelError(f"exported graph differs from PyTorch by {difference:.2e} (> {tolerance:g}); not written")
    write_atomic(path, data)
    return difference
