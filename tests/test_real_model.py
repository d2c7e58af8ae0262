"""End to end on the real ISNet weights: install (done by scripts/test.sh) -> CLI -> cutout.

This is the one test that needs the model store; it fails (it does not skip) when the model is
missing, because a green suite must mean the product works. Set ALPHACUT_SKIP_REAL_MODEL=1 to
run the unit tests alone on a machine that cannot fetch the weights.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

SAMPLES = Path(__file__).resolve().parent.parent / "samples"
USER_HOME = os.environ.get("ALPHACUT_HOME")  # read at collection, before fixtures redirect it
pytestmark = [
    pytest.mark.real_model,
    pytest.mark.skipif(os.environ.get("ALPHACUT_SKIP_REAL_MODEL") == "1", reason="ALPHACUT_SKIP_REAL_MODEL=1"),
]


@pytest.fixture()
def real_home(monkeypatch):
    # The autouse fixture points ALPHACUT_HOME at an empty folder; this test needs the real store.
    if USER_HOME:
        monkeypatch.setenv("ALPHACUT_HOME", USER_HOME)
    else:
        monkeypatch.delenv("ALPHACUT_HOME", raising=False)


def iou(a: np.ndarray, b: np.ndarray) -> float:
    return float((a & b).sum() / max((a | b).sum(), 1))


def test_cli_cuts_out_the_sample_with_the_real_isnet(real_home, tmp_path):
    out = tmp_path / "product.png"
    alphacut = Path(sys.executable).parent / "alphacut"
    result = subprocess.run([str(alphacut), "remove", str(SAMPLES / "product.jpg"), "-o", str(out), "-q"],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    cutout = Image.open(out)
    reference = np.asarray(Image.open(SAMPLES / "product.mask.png")) > 127
    assert cutout.mode == "RGBA" and cutout.size == (640, 480)
    alpha = np.asarray(cutout.getchannel("A"))
    assert iou(alpha > 127, reference) >= 0.9
    # the subject keeps its colours exactly (straight alpha), the backdrop is transparent
    original = np.asarray(Image.open(SAMPLES / "product.jpg").convert("RGB"))
    opaque = alpha == 255
    assert np.array_equal(np.asarray(cutout.convert("RGB"))[opaque], original[opaque])
    assert alpha[:40, :].max() < 16  # the top of the backdrop is background


def test_python_api_reuses_one_session(real_home):
    import alphacut

    session = alphacut.load_model("isnet")
    assert alphacut.load_model("isnet") is session
    mask = alphacut.remove(Image.open(SAMPLES / "product.jpg"), model=session, mask=True)
    reference = np.asarray(Image.open(SAMPLES / "product.mask.png")) > 127
    assert iou(np.asarray(mask) > 127, reference) >= 0.9


def test_pytorch_port_of_isnet_equals_onnxruntime(real_home):
    """The fine-tuning network loaded from the installed ONNX computes the same function."""
    torch = pytest.importorskip("torch")
    import onnxruntime as ort

    from alphacut.adapt.networks import isnet
    from alphacut.adapt.networks.onnx_weights import load_onnx_weights
    from alphacut.models.registry import get_spec
    from alphacut.models.store import installed_file

    path = installed_file(get_spec("isnet"))
    network = isnet()
    report = load_onnx_weights(network, path)
    assert len(report.loaded) == 114 and report.unused == []  # every convolution of the graph
    x = np.random.default_rng(0).uniform(-0.5, 0.5, (1, 3, 1024, 1024)).astype(np.float32)
    expected = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"]).run(None, {"input": x})[0]
    with torch.no_grad():
        ported = torch.sigmoid(network.eval()(torch.from_numpy(x))[0]).numpy()
    assert np.abs(ported - expected).max() < 1e-3
