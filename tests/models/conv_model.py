"""A tiny convolutional ONNX model (two 3x3 convolutions and a 1x1 head) shared by the tests of
batched CUDA sessions and of ``models optimize``."""
from __future__ import annotations

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

SIZE = 32


def build_conv_model(side: int = SIZE) -> onnx.ModelProto:
    """input -> Conv3x3(3->4) -> Relu -> Conv3x3(4->4) -> Relu -> Conv1x1(4->1) -> Sigmoid.

    Weights make the head roughly (brightness - 0.5) * 12: white squares on black come out ~1."""
    rng = np.random.default_rng(3)
    w1 = (np.abs(rng.standard_normal((4, 3, 3, 3))) * 0.1 + 0.05).astype(np.float32)
    w2 = (np.abs(rng.standard_normal((4, 4, 3, 3))) * 0.05 + 0.02).astype(np.float32)
    w3 = np.full((1, 4, 1, 1), 2.0, np.float32)
    nodes = [
        helper.make_node("Conv", ["input", "w1", "b1"], ["c1"], pads=[1, 1, 1, 1], name="conv1"),
        helper.make_node("Relu", ["c1"], ["r1"], name="relu1"),
        helper.make_node("Conv", ["r1", "w2", "b2"], ["c2"], pads=[1, 1, 1, 1], name="conv2"),
        helper.make_node("Relu", ["c2"], ["r2"], name="relu2"),
        helper.make_node("Conv", ["r2", "w3", "b3"], ["c3"], name="head"),
        helper.make_node("Sigmoid", ["c3"], ["output"], name="sigmoid"),
    ]
    graph = helper.make_graph(
        nodes, "tiny_conv",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 3, side, side])],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, [1, 1, side, side])],
        [
            numpy_helper.from_array(w1, "w1"), numpy_helper.from_array(np.full(4, 0.05, np.float32), "b1"),
            numpy_helper.from_array(w2, "w2"), numpy_helper.from_array(np.zeros(4, np.float32), "b2"),
            numpy_helper.from_array(w3, "w3"), numpy_helper.from_array(np.array([-1.0], np.float32), "b3"),
        ],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model
