"""The any-side graph: a traced network's upsampling sizes freed, checked against the network
itself run at other sides (the ground truth a re-export at that side would give)."""
from __future__ import annotations

import io
import warnings

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from PIL import Image

torch = pytest.importorskip("torch")
nn = torch.nn
F = torch.nn.functional

from alphacut.errors import ModelError  # noqa: E402
from alphacut.models.any_side import any_side_graph, write_any_side  # noqa: E402

TRACED = 32


class TinyUNet(nn.Module):
    """ISNet's pattern in small: upsample to a skip tensor's size, join, upsample to the input's."""

    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.down = nn.Conv2d(3, 4, 3, stride=2, padding=1)
        self.deep = nn.Conv2d(4, 4, 3, padding=1)
        self.head = nn.Conv2d(8, 1, 3, padding=1)
        self.pool = nn.MaxPool2d(2, 2, ceil_mode=True)

    def forward(self, x):
        skip = torch.relu(self.down(x))
        deep = torch.relu(self.deep(self.pool(skip)))
        joined = torch.cat((F.interpolate(deep, size=skip.shape[2:], mode="bilinear"), skip), 1)
        return torch.sigmoid(F.interpolate(self.head(joined), size=x.shape[2:], mode="bilinear"))


@pytest.fixture(scope="module")
def network() -> TinyUNet:
    return TinyUNet().eval()


@pytest.fixture(scope="module")
def traced(network, tmp_path_factory) -> tuple:
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(network, (torch.zeros(1, 3, TRACED, TRACED),), buffer, input_names=["input"],
                          output_names=["output"], opset_version=17, dynamo=False)
    path = tmp_path_factory.mktemp("any-side") / "traced.onnx"
    path.write_bytes(buffer.getvalue())
    return path, onnx.load_from_string(buffer.getvalue())


def run(graph: onnx.ModelProto, x: np.ndarray) -> np.ndarray:
    session = ort.InferenceSession(graph.SerializeToString(), providers=["CPUExecutionProvider"])
    return session.run(None, {"input": x})[0]


def reference(network, x: np.ndarray) -> np.ndarray:
    with torch.no_grad():
        return network(torch.from_numpy(x)).numpy()


def test_the_traced_graph_fails_at_another_side(traced):
    _, graph = traced
    x = np.random.default_rng(0).uniform(-0.5, 0.5, (1, 3, 48, 48)).astype(np.float32)
    with pytest.raises(Exception):
        run(graph, x)  # the traced sizes no longer match: what the rewrite is for


@pytest.mark.parametrize("side", [TRACED, 48, 40, 64])
def test_any_side_graph_computes_the_network_at_that_side(traced, network, side):
    _, graph = traced
    freed = any_side_graph(graph)
    x = np.random.default_rng(side).uniform(-0.5, 0.5, (1, 3, side, side)).astype(np.float32)
    np.testing.assert_allclose(run(freed, x), reference(network, x), atol=1e-5)


def test_non_square_inputs_run_too(traced, network):
    freed = any_side_graph(traced[1])
    x = np.random.default_rng(1).uniform(-0.5, 0.5, (1, 3, 40, 56)).astype(np.float32)
    np.testing.assert_allclose(run(freed, x), reference(network, x), atol=1e-5)


def test_write_any_side_checks_and_writes(traced, tmp_path):
    path, _ = traced
    target = tmp_path / "free.onnx"
    assert write_any_side(path, target) < 1e-5
    dims = onnx.load(str(target)).graph.input[0].type.tensor_type.shape.dim
    assert [d.dim_param for d in dims[2:]] == ["height", "width"]


def test_a_graph_without_traced_sizes_is_refused(tiny_model, tmp_path):
    with pytest.raises(ModelError, match="no traced upsampling sizes"):
        write_any_side(tiny_model, tmp_path / "free.onnx")
    assert not (tmp_path / "free.onnx").exists()


@pytest.mark.parametrize("runtime", ["onnxruntime", "openvino"])
def test_a_session_predicts_at_another_side(traced, network, runtime):
    pytest.importorskip(runtime)
    import alphacut

    path, _ = traced
    session = alphacut.load_model(path, runtime=runtime)
    image = Image.fromarray(np.random.default_rng(2).integers(0, 256, (30, 50, 3), np.uint8))
    at_48 = session.predict(image, side=48)
    assert at_48.shape == (30, 50)
    x = session.preprocess(image, (48, 48))
    expected = Image.fromarray(reference(network, x)[0, 0], "F").resize((50, 30), Image.Resampling.BILINEAR)
    tolerance = 1e-4 if runtime == "onnxruntime" else 2e-2  # OpenVINO runs bf16 where the CPU has it
    np.testing.assert_allclose(at_48, np.asarray(expected), atol=tolerance)
    # the model's own side is the plain forward
    np.testing.assert_array_equal(session.predict(image, side=TRACED), session.predict(image))
