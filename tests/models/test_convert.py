"""Install-time graph rewrites: fp16 -> fp32 widening and pruning to the kept outputs."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper

from alphacut.models.convert import keep_outputs, topological_sort, widen_fp16_to_fp32


def run(model: onnx.ModelProto, batch: np.ndarray) -> dict[str, np.ndarray]:
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    names = [output.name for output in session.get_outputs()]
    return dict(zip(names, session.run(names, {"input": batch})))


@pytest.fixture()
def fp16_model(tiny_fp16_model: Path) -> onnx.ModelProto:
    return onnx.load(str(tiny_fp16_model))


@pytest.fixture()
def batch() -> np.ndarray:
    return np.random.default_rng(1).uniform(-0.5, 0.5, (1, 3, 8, 8)).astype(np.float32)


def is_sorted(graph: onnx.GraphProto) -> bool:
    available = {v.name for v in graph.input} | {i.name for i in graph.initializer} | {""}
    for node in graph.node:
        if not all(name in available for name in node.input):
            return False
        available.update(node.output)
    return True


def test_fixture_is_unsorted_like_the_npm_graph(fp16_model):
    assert not is_sorted(fp16_model.graph)
    assert len(fp16_model.graph.output) == 2


def test_topological_sort_orders_nodes_and_keeps_them_all(fp16_model):
    names = sorted(node.name for node in fp16_model.graph.node)
    topological_sort(fp16_model.graph)
    assert is_sorted(fp16_model.graph)
    assert sorted(node.name for node in fp16_model.graph.node) == names
    onnx.checker.check_model(fp16_model)


def test_topological_sort_rejects_a_dangling_input():
    graph = helper.make_graph(
        [helper.make_node("Relu", ["nowhere"], ["y"], name="orphan")],
        "broken",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1])],
    )
    with pytest.raises(ValueError, match="orphan"):
        topological_sort(graph)


def test_widen_and_keep_output_match_the_original(fp16_model, batch):
    original = onnx.ModelProto()
    original.CopyFrom(fp16_model)
    reference = run(original, batch)

    converted = widen_fp16_to_fp32(keep_outputs(fp16_model, ["output"]))
    onnx.checker.check_model(converted, full_check=True)
    result = run(converted, batch)

    assert set(result) == {"output"}
    assert result["output"].dtype == np.float32
    assert np.abs(result["output"] - reference["output"]).max() < 1e-3
    assert np.abs(reference["output"] - 0.5).max() > 0.05  # the graph computes something non-trivial


def test_widen_leaves_no_fp16_anywhere(fp16_model):
    graph = widen_fp16_to_fp32(fp16_model).graph
    assert all(init.data_type == TensorProto.FLOAT for init in graph.initializer)
    for node in graph.node:
        for attribute in node.attribute:
            if node.op_type == "Cast":
                assert attribute.i == TensorProto.FLOAT
            if node.op_type == "Constant":
                assert attribute.t.data_type == TensorProto.FLOAT
    for value in [*graph.value_info, *graph.input, *graph.output]:
        assert value.type.tensor_type.elem_type == TensorProto.FLOAT
    weights = {init.name: onnx.numpy_helper.to_array(init) for init in graph.initializer}
    assert weights["conv_w"].shape == (2, 3, 3, 3) and weights["conv_w"].dtype == np.float32


def test_widen_keeps_weight_values_exactly(tiny_fp16_model):
    source = {i.name: onnx.numpy_helper.to_array(i) for i in onnx.load(str(tiny_fp16_model)).graph.initializer}
    widened = {i.name: onnx.numpy_helper.to_array(i) for i in widen_fp16_to_fp32(onnx.load(str(tiny_fp16_model))).graph.initializer}
    for name, value in source.items():
        assert np.array_equal(widened[name], value.astype(np.float32))


def test_keep_outputs_drops_the_other_branch(fp16_model):
    graph = keep_outputs(fp16_model, ["output"]).graph
    names = {node.name for node in graph.node}
    assert names == {"input_cast", "conv", "relu", "main_gain", "main_mul", "main_sigmoid", "main_cast"}
    assert [output.name for output in graph.output] == ["output"]
    assert {init.name for init in graph.initializer} == {"conv_w", "conv_b"}  # side_gain is gone
    assert {value.name for value in graph.value_info} == {"relu"}  # side_tanh's shape is gone
    assert is_sorted(graph)


def test_keep_the_side_output_instead(fp16_model, batch):
    reference = run(fp16_model, batch)["side"]
    graph = keep_outputs(fp16_model, ["side"]).graph
    assert "main_gain" not in {node.name for node in graph.node}
    assert {init.name for init in graph.initializer} == {"conv_w", "conv_b", "side_gain"}
    assert np.array_equal(run(fp16_model, batch)["side"], reference)


def test_keep_outputs_rejects_unknown_names(fp16_model):
    with pytest.raises(ValueError, match="nope"):
        keep_outputs(fp16_model, ["output", "nope"])
