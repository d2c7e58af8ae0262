"""A model's ONNX graph made to run at any input side, without the training framework.

Networks exported by tracing (ISNet, U2-Net: ``F.interpolate(x, size=target.shape[2:])``) carry
their upsampling sizes as constants of the traced side: run at another side, the upsampled tensor
no longer matches the one it is concatenated with. :func:`any_side_graph` gives each such
``Resize`` the spatial shape of the tensor it is joined with (or of the graph's input, for the
side output brought back to the input's size), read at run time with ``Shape``, and makes the
input's height and width free. At the traced side the graph computes exactly what it computed
before (:func:`write_any_side` checks it); at other sides it is the network the weights came
from, run at that side (what a re-export from PyTorch at that side gives).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from alphacut.errors import ModelError
from alphacut.io.files import write_atomic
from alphacut.models.convert import topological_sort

#: Largest |any-side graph - original| accepted at the traced side, on a probability output.
TOLERANCE = 1e-4


def any_side_graph(model):
    """A copy of ``model`` (an ``onnx.ModelProto``) whose ``Resize`` sizes follow the graph.

    Raises :class:`ModelError` when a traced size cannot be tied to a tensor of the graph."""
    import onnx
    from onnx import helper, numpy_helper, shape_inference

    model = onnx.ModelProto.FromString(model.SerializeToString())
    graph = model.graph
    inferred = shape_inference.infer_shapes(model)
    shapes = {
        info.name: tuple(d.dim_value if d.HasField("dim_value") else None for d in info.type.tensor_type.shape.dim)
        for info in (*inferred.graph.value_info, *inferred.graph.input, *inferred.graph.output)
    }
    producer = {out: node for node in graph.node for out in node.output}
    consumers: dict[str, list] = {}
    for node in graph.node:
        for name in node.input:
            consumers.setdefault(name, []).append(node)
    source = graph.input[0].name
    input_hw = shapes.get(source, ())[2:4]

    def constant_of(name: str) -> np.ndarray | None:
        node = producer.get(name)
        if node is not None and node.op_type == "Constant":
            return numpy_helper.to_array(node.attribute[0].t)
        for init in graph.initializer:
            if init.name == name:
                return numpy_helper.to_array(init)
        return None

    def through_casts_forward(name: str) -> list:
        found = []
        for node in consumers.get(name, []):
            found += through_casts_forward(node.output[0]) if node.op_type == "Cast" else [node]
        return found

    def target_of(resize, hw: tuple[int, int]) -> str:
        for node in through_casts_forward(resize.output[0]):
            if node.op_type == "Concat":
                for name in node.input:
                    if shapes.get(name, ())[2:4] == hw and not _reaches(name, resize.output[0], producer):
                        return name
        if hw == input_hw:
            return source
        raise ModelError(f"{resize.name}: cannot tell which tensor its traced size {hw} follows")

    added: list = []
    for node in list(graph.node):
        if node.op_type != "Resize" or len(node.input) < 4 or not node.input[3]:
            continue
        sizes = producer.get(node.input[3])
        if sizes is None or sizes.op_type != "Concat":
            continue
        for position, part in enumerate(sizes.input):
            value = constant_of(part)
            if value is None or value.size != 2:
                continue
            target = target_of(node, (int(value[0]), int(value[1])))
            prefix = f"{node.name}/any_side"
            made = [
                helper.make_node("Shape", [target], [f"{prefix}/shape"], name=f"{prefix}/Shape"),
                helper.make_node("Constant", [], [f"{prefix}/starts"], name=f"{prefix}/starts",
                                 value=numpy_helper.from_array(np.array([2], np.int64))),
                helper.make_node("Constant", [], [f"{prefix}/ends"], name=f"{prefix}/ends",
                                 value=numpy_helper.from_array(np.array([4], np.int64))),
                helper.make_node("Slice", [f"{prefix}/shape", f"{prefix}/starts", f"{prefix}/ends"],
                                 [f"{prefix}/hw"], name=f"{prefix}/Slice"),
            ]
            sizes.input[position] = f"{prefix}/hw"
            added.extend(made)
            break
    if not added:
        raise ModelError("the graph has no traced upsampling sizes to free; it may run at one side only")
    nodes = [*graph.node, *added]
    read = {name for node in nodes for name in node.input} | {out.name for out in graph.output}
    del graph.node[:]
    graph.node.extend(node for node in nodes if node.op_type != "Constant" or node.output[0] in read)
    topological_sort(graph)  # the new Shape nodes were appended; ONNX wants producers first
    del graph.value_info[:]
    for tensor in (*graph.input[:1], *graph.output):
        dims = tensor.type.tensor_type.shape.dim
        for axis, label in ((2, "height"), (3, "width")):
            if len(dims) > axis:
                dims[axis].Clear()
                dims[axis].dim_param = label
    onnx.checker.check_model(model)
    return model


def _reaches(name: str, start: str, producer: dict) -> bool:
    """Whether tensor ``name`` is computed from ``start`` (the resize's own output joined back)."""
    stack, seen = [name], set()
    while stack:
        current = stack.pop()
        if current == start:
            return True
        if current in seen or current not in producer:
            continue
        seen.add(current)
        stack.extend(i for i in producer[current].input if i)
    return False


def write_any_side(source: Path, target: Path, *, tolerance: float = TOLERANCE, seed: int = 0) -> float:
    """Write the any-side graph of ``source`` to ``target`` after checking, with onnxruntime on a
    random input at the traced side, that it computes what ``source`` computes; returns the
    largest difference. Raises :class:`ModelError` (and writes nothing) past ``tolerance``."""
    import onnx
    import onnxruntime as ort

    original = onnx.load(str(source))
    freed = any_side_graph(original)
    dims = [d.dim_value for d in original.graph.input[0].type.tensor_type.shape.dim]
    if len(dims) != 4 or not all(dims[1:]):
        raise ModelError(f"{source}: the input has no fixed side to check the any-side graph at")
    check = np.random.default_rng(seed).uniform(-0.5, 0.5, (1, *dims[1:])).astype(np.float32)
    data = freed.SerializeToString()
    options = ort.SessionOptions()
    options.log_severity_level = 3
    outputs = []
    for graph_bytes in (original.SerializeToString(), data):
        session = ort.InferenceSession(graph_bytes, options, providers=["CPUExecutionProvider"])
        outputs.append(session.run(None, {session.get_inputs()[0].name: check})[0])
    difference = float(np.max(np.abs(outputs[0] - outputs[1])))
    if not difference <= tolerance:
        raise ModelError(f"{source}: the any-side graph differs from the original by {difference:.2g} at its own side")
    write_atomic(target, data)
    return difference
