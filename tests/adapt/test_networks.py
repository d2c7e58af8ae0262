"""The PyTorch architectures and loading ONNX weights into them by node name."""
from __future__ import annotations

import io
import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")
import onnxruntime as ort  # noqa: E402

from alphacut.adapt.networks import ARCHITECTURES, u2netp  # noqa: E402
from alphacut.adapt.networks.onnx_weights import load_onnx_weights, module_path  # noqa: E402
from alphacut.adapt.networks.rsu import RSU, RSU4F  # noqa: E402
from alphacut.errors import ModelError  # noqa: E402


def _export(module: torch.nn.Module, x: torch.Tensor) -> bytes:
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(module.eval(), (x,), buffer, input_names=["input"], opset_version=17, dynamo=False)
    return buffer.getvalue()


@pytest.mark.parametrize("name,channels", [("isnet", (64, 64, 128, 256, 512, 512)), ("u2net", (64, 64, 128, 256, 512, 512)),
                                           ("u2netp", (64,) * 6)])
def test_side_outputs_have_input_resolution(name, channels):
    network = ARCHITECTURES[name]()
    assert [getattr(network, f"side{i}").in_channels for i in range(1, 7)] == list(channels)
    if name == "u2netp":  # the small one is cheap enough to run here
        with torch.no_grad():
            sides = network.eval()(torch.zeros(1, 3, 40, 56))
        assert len(sides) == 7 and all(s.shape == (1, 1, 40, 56) for s in sides)


def test_parameter_counts_match_the_published_networks():
    # U2-Net 44.0 M and U2-Net-P 1.13 M parameters (Qin et al. 2020, table 3)
    count = lambda m: sum(p.numel() for p in m.parameters()) / 1e6  # noqa: E731
    assert count(ARCHITECTURES["u2net"]()) == pytest.approx(44.0, abs=0.1)
    assert count(ARCHITECTURES["u2netp"]()) == pytest.approx(1.13, abs=0.01)


@pytest.mark.parametrize("block", [RSU(4, 3, 4, 8), RSU(6, 3, 4, 8), RSU4F(3, 4, 8)])
def test_rsu_blocks_export_to_the_same_function(block):
    x = torch.rand(1, 3, 19, 23)  # odd sizes exercise ceil-mode pooling and resizing back
    session = ort.InferenceSession(_export(block, x), providers=["CPUExecutionProvider"])
    exported = session.run(None, {"input": x.numpy()})[0]
    with torch.no_grad():
        assert np.abs(exported - block(x).numpy()).max() < 1e-5


def test_module_path_from_node_name():
    assert module_path("/stage1/rebnconvin/conv_s1/Conv") == "stage1.rebnconvin.conv_s1"
    assert module_path("/side1/Conv") == "side1"


def test_weights_exported_with_batch_norm_load_into_the_folded_network(tmp_path):
    """Export U2-Net-P with batch norms (folded into the convolutions by the exporter), load the
    graph's weights into the norm-free network by node name: both compute the same function."""
    torch.manual_seed(0)
    source = u2netp(norm=True)
    for module in source.modules():  # non-trivial statistics, so folding really changes the weights
        if isinstance(module, torch.nn.BatchNorm2d):
            module.running_mean.uniform_(-0.2, 0.2)
            module.running_var.uniform_(0.5, 2.0)
            module.weight.data.uniform_(0.5, 1.5)
    source.eval()
    x = torch.rand(1, 3, 32, 32) - 0.5
    path = tmp_path / "u2netp.onnx"
    path.write_bytes(_export(_First(source), x))
    folded = u2netp(norm=False)
    report = load_onnx_weights(folded, path, strict=True)
    assert len(report.loaded) == sum(isinstance(m, torch.nn.Conv2d) for m in folded.modules())
    with torch.no_grad():
        difference = (folded.eval()(x)[0] - source(x)[0]).abs().max().item()
    assert difference < 1e-4


def test_loading_weights_of_another_network_is_refused(tmp_path, tiny_model):
    with pytest.raises(ModelError, match="match"):
        load_onnx_weights(u2netp(norm=False), tiny_model)


def test_a_shape_mismatch_is_refused(tmp_path):
    torch.manual_seed(0)
    x = torch.rand(1, 3, 32, 32)
    path = tmp_path / "u2netp.onnx"
    path.write_bytes(_export(_First(u2netp(norm=False)), x))
    with pytest.raises(ModelError, match="shape"):
        load_onnx_weights(ARCHITECTURES["u2net"](norm=False), path)


class _First(torch.nn.Module):
    def __init__(self, network):
        super().__init__()
        self.network = network

    def forward(self, x):
        return self.network(x)[0]
