"""One-time graph rewrites done at install: widen fp16 weights to fp32 and drop unused outputs.

The npm ISNet graph computes in fp16 and returns twelve tensors (six side outputs and six
feature maps, over 100 MB per call). On CPUs without fp16 arithmetic onnxruntime inserts casts
around every op; storing fp32 weights removes them, and keeping only the final alpha output lets
onnxruntime drop the side branches and free the feature maps early. Both rewrites are exact up
to fp16 -> fp32 widening (the outputs differ by < 1e-3).
"""
from __future__ import annotations

import numpy as np
import onnx
from onnx import TensorProto, numpy_helper


def widen_fp16_to_fp32(model: onnx.ModelProto) -> onnx.ModelProto:
    """Cast fp16 initializers and constants to fp32 and retarget fp16 ``Cast`` nodes to fp32."""
    graph = model.graph
    for index, initializer in enumerate(graph.initializer):
        if initializer.data_type == TensorProto.FLOAT16:
            widened = numpy_helper.to_array(initializer).astype(np.float32)
            graph.initializer[index].CopyFrom(numpy_helper.from_array(widened, initializer.name))
    for node in graph.node:
        for attribute in node.attribute:
            if node.op_type == "Cast" and attribute.name == "to" and attribute.i == TensorProto.FLOAT16:
                attribute.i = TensorProto.FLOAT
            elif node.op_type == "Constant" and attribute.name == "value" and attribute.t.data_type == TensorProto.FLOAT16:
                attribute.t.CopyFrom(numpy_helper.from_array(numpy_helper.to_array(attribute.t).astype(np.float32)))
    for value in [*graph.value_info, *graph.input, *graph.output]:
        if value.type.tensor_type.elem_type == TensorProto.FLOAT16:
            value.type.tensor_type.elem_type = TensorProto.FLOAT
    return model


def topological_sort(graph: onnx.GraphProto) -> None:
    """Reorder nodes so each comes after its inputs' producers (the npm graph is not sorted)."""
    available = {value.name for value in graph.input} | {init.name for init in graph.initializer} | {""}
    ordered: list[onnx.NodeProto] = []
    pending = list(graph.node)
    while pending:
        blocked = []
        for node in pending:
            if all(name in available for name in node.input):
                ordered.append(node)
                available.update(node.output)
            else:
                blocked.append(node)
        if len(blocked) == len(pending):
            raise ValueError(f"graph has a cycle or a dangling input near node {blocked[0].name!r}")
        pending = blocked
    del graph.node[:]
    graph.node.extend(ordered)


def keep_outputs(model: onnx.ModelProto, keep: list[str]) -> onnx.ModelProto:
    """Remove every graph output not in ``keep`` and every node, weight and shape only they needed."""
    graph = model.graph
    missing = set(keep) - {output.name for output in graph.output}
    if missing:
        raise ValueError(f"graph has no output(s) {sorted(missing)}")
    topological_sort(graph)
    needed = set(keep)
    kept_nodes = []
    for node in reversed(list(graph.node)):
        if any(name in needed for name in node.output):
            kept_nodes.append(node)
            needed.update(name for name in node.input if name)
    kept_nodes.reverse()
    _replace(graph.node, kept_nodes)
    _replace(graph.output, [o for o in graph.output if o.name in keep])
    _replace(graph.initializer, [i for i in graph.initializer if i.name in needed])
    _replace(graph.value_info, [v for v in graph.value_info if v.name in needed])
    return model


def _replace(container, items) -> None:  # protobuf repeated fields cannot be reassigned
    items = list(items)
    del container[:]
    container.extend(items)
