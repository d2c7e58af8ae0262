"""Selective post-training int8 quantisation of a model for OpenVINO, with NNCF [1].

Whole-graph int8 is known to wreck ISNet's masks (guide §5: IoU 0.38 with plain QDQ), so the
layers nearest the pixels stay in float: the first convolution, which sees the raw image, and the
convolutions at most ``depth`` convolutions away from an output (:func:`sensitive_layers`).
Activations are quantised asymmetrically (NNCF's ``MIXED`` preset). Used by ``models install``
(:mod:`alphacut.models.fast_form`, calibrated on generated scenes) and ``models optimize``
(:mod:`alphacut.workflows.optimize`, calibrated on the user's photos).

[1] NNCF post-training quantisation: https://github.com/openvinotoolkit/nncf (``nncf.quantize``).
"""
from __future__ import annotations

import contextlib
import importlib.util
import io
import os
from pathlib import Path
from typing import Callable, Iterable

import numpy as np

CONVOLUTIONS = {"Convolution", "GroupConvolution"}
Report = Callable[[str], None]


def nncf_available() -> bool:
    return importlib.util.find_spec("nncf") is not None


def sensitive_layers(model, depth: int) -> list[str]:
    """Friendly names of the convolutions kept in float: the first one (it sees the raw image) and
    every one at most ``depth`` convolutions away from a graph output. In U-shaped nets such as
    ISNet these are the output head and the residual paths of each stage that feed it most
    directly, where int8 rounding reaches the mask with the least averaging."""
    import heapq

    first = next((op.get_friendly_name() for op in model.get_ordered_ops() if op.get_type_name() in CONVOLUTIONS), None)
    hops: dict[str, int] = {}
    frontier = [(0, index, result.input_value(0).get_node()) for index, result in enumerate(model.get_results())]
    counter = len(frontier)
    while frontier:  # Dijkstra over the graph, backwards from the outputs; a convolution costs 1
        distance, _, node = heapq.heappop(frontier)
        name = node.get_friendly_name()
        if name in hops and hops[name] <= distance:
            continue
        hops[name] = distance
        after = distance + (node.get_type_name() in CONVOLUTIONS)
        for index in range(node.get_input_size()):
            counter += 1
            heapq.heappush(frontier, (after, counter, node.input_value(index).get_node()))
    names = {op.get_friendly_name() for op in model.get_ordered_ops()
             if op.get_type_name() in CONVOLUTIONS and hops.get(op.get_friendly_name(), depth + 1) <= depth}
    if first:
        names.add(first)
    return sorted(names)


def int8_float_layers(source: Path, depths: Iterable[int]) -> dict[int, list[str]]:
    """The layers each int8 form keeps in float, by depth. A depth is left out when it keeps the
    same layers as a smaller one (the same form twice) or every convolution (no int8 left)."""
    import openvino as ov

    model = ov.Core().read_model(str(source))
    convolutions = sum(op.get_type_name() in CONVOLUTIONS for op in model.get_ordered_ops())
    kept: dict[int, list[str]] = {}
    for depth in sorted(depths):
        layers = sensitive_layers(model, depth)
        if layers not in kept.values() and len(layers) < convolutions:
            kept[depth] = layers
    return kept


class _CountedBatches:
    """The calibration batches as NNCF iterates them, calling ``on_batch`` as each is handed out
    (NNCF stops after the last one it needs, so a call after it would never come)."""

    def __init__(self, batches: list[np.ndarray], on_batch: Callable[[], None]):
        self.batches, self.on_batch = batches, on_batch

    def __len__(self) -> int:
        return len(self.batches)

    def __iter__(self):
        for batch in self.batches:
            self.on_batch()
            yield batch


def quantize_int8(
    source: Path, target: Path, calibration: list[np.ndarray], keep: list[str], report: Report,
    *, on_batch: Callable[[], None] = lambda: None,
) -> None:
    """NNCF post-training quantisation of ``source`` into the OpenVINO IR ``target`` (.xml + .bin),
    the layers named in ``keep`` left in float; ``on_batch`` is called as calibration proceeds."""
    import logging

    import nncf
    import openvino as ov

    logging.getLogger("nncf").setLevel(logging.ERROR)
    model = ov.Core().read_model(str(source))
    report(f"{target.name}: calibrating on {len(calibration)} images, {len(keep)} layers kept in float")
    # NNCF draws its own progress bars on stdout, which may be the output image (``-o -``):
    # they are swallowed, and ``on_batch`` reports progress instead
    with contextlib.redirect_stdout(io.StringIO()):
        quantised = nncf.quantize(
            model,
            nncf.Dataset(_CountedBatches(calibration, on_batch)),
            subset_size=len(calibration),
            ignored_scope=nncf.IgnoredScope(names=keep, validate=False),
            fast_bias_correction=True,
            preset=nncf.QuantizationPreset.MIXED,  # asymmetric activations: the input and upsampled maps are signed
        )
    staging = target.with_name(f".{target.stem}.part.xml")
    ov.save_model(quantised, str(staging), compress_to_fp16=False)
    os.replace(staging.with_suffix(".bin"), target.with_suffix(".bin"))
    os.replace(staging, target)
