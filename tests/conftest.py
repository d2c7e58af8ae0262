"""Shared fixtures: an isolated model store, tiny ONNX models and fake npm tarballs.

Nothing here needs the real ISNet weights or the network: every model is built with
``onnx.helper`` in a temporary folder.
"""
from __future__ import annotations

import hashlib
import io
import json
import os
import tarfile
from pathlib import Path
from typing import Callable

import numpy as np
import onnx
import pytest
from hypothesis import HealthCheck, settings
from onnx import TensorProto, helper, numpy_helper
from PIL import Image

settings.register_profile(
    "alphacut",
    derandomize=True,  # the same examples on every run and machine
    database=None,
    deadline=None,
    max_examples=60,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "alphacut"))

TINY_SIZE = 32
WHITE_SQUARE = (16, 12, 48, 36)  # left, top, right, bottom of the subject in `white_square`


@pytest.fixture(autouse=True)
def alphacut_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own empty model store; nothing touches the user's cache."""
    home = tmp_path_factory.mktemp("alphacut-home")
    monkeypatch.setenv("ALPHACUT_HOME", str(home))
    monkeypatch.delenv("ALPHACUT_MAX_PIXELS", raising=False)
    monkeypatch.delenv("ALPHACUT_MAX_FRAMES", raising=False)
    return home


def _save(model: onnx.ModelProto, path: Path) -> Path:
    onnx.save(model, str(path))
    return path


def build_tiny_model() -> onnx.ModelProto:
    """input [1,3,32,32] -> mean over channels -> x20 -> sigmoid -> output [1,1,32,32].

    With the default preprocessing (x/255 - 0.5) white gives sigmoid(10) ~ 1 (subject) and
    black sigmoid(-10) ~ 0 (background).
    """
    size = TINY_SIZE
    graph = helper.make_graph(
        [
            helper.make_node("ReduceMean", ["input"], ["mean"], axes=[1], keepdims=1),
            helper.make_node("Mul", ["mean", "gain"], ["scaled"]),
            helper.make_node("Sigmoid", ["scaled"], ["output"]),
        ],
        "tiny_salient",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 3, size, size])],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, [1, 1, size, size])],
        [numpy_helper.from_array(np.array(20.0, np.float32), "gain")],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], producer_name="alphacut-tests")
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


def build_tiny_fp16_model() -> onnx.ModelProto:
    """Shaped like the npm ISNet: fp32 in, fp16 inside, two fp32 outputs, nodes not sorted.

    input -> Cast(fp16) -> Conv(w, b) -> Relu -> Mul(Constant fp16) -> Sigmoid -> Cast(fp32) -> output
                                             \\-> Mul(side_gain) -> Tanh -> Cast(fp32) -> side
    """
    rng = np.random.default_rng(7)
    weight = (rng.standard_normal((2, 3, 3, 3)) * 0.5).astype(np.float16)
    bias = np.array([0.1, -0.2], np.float16)
    side_gain = np.array(0.75, np.float16)
    nodes = [  # deliberately out of topological order, as in the real graph
        helper.make_node("Cast", ["side_tanh"], ["side"], to=TensorProto.FLOAT, name="side_cast"),
        helper.make_node("Sigmoid", ["main_scaled"], ["main_sigmoid"], name="main_sigmoid"),
        helper.make_node("Relu", ["features"], ["relu"], name="relu"),
        helper.make_node("Cast", ["main_sigmoid"], ["output"], to=TensorProto.FLOAT, name="main_cast"),
        helper.make_node("Tanh", ["side_scaled"], ["side_tanh"], name="side_tanh"),
        helper.make_node(
            "Constant", [], ["main_gain"], name="main_gain",
            value=numpy_helper.from_array(np.array(1.5, np.float16), "main_gain_value"),
        ),
        helper.make_node("Mul", ["relu", "main_gain"], ["main_scaled"], name="main_mul"),
        helper.make_node("Conv", ["input_fp16", "conv_w", "conv_b"], ["features"], pads=[1, 1, 1, 1], name="conv"),
        helper.make_node("Mul", ["relu", "side_gain"], ["side_scaled"], name="side_mul"),
        helper.make_node("Cast", ["input"], ["input_fp16"], to=TensorProto.FLOAT16, name="input_cast"),
    ]
    graph = helper.make_graph(
        nodes,
        "tiny_fp16",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 3, 8, 8])],
        [
            helper.make_tensor_value_info("output", TensorProto.FLOAT, [1, 2, 8, 8]),
            helper.make_tensor_value_info("side", TensorProto.FLOAT, [1, 2, 8, 8]),
        ],
        [
            numpy_helper.from_array(weight, "conv_w"),
            numpy_helper.from_array(bias, "conv_b"),
            numpy_helper.from_array(side_gain, "side_gain"),
        ],
        value_info=[
            helper.make_tensor_value_info("relu", TensorProto.FLOAT16, [1, 2, 8, 8]),
            helper.make_tensor_value_info("side_tanh", TensorProto.FLOAT16, [1, 2, 8, 8]),
        ],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], producer_name="alphacut-tests")
    model.ir_version = 8
    return model


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _save(build_tiny_model(), tmp_path_factory.mktemp("models") / "tiny.onnx")


@pytest.fixture(scope="session")
def tiny_fp16_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _save(build_tiny_fp16_model(), tmp_path_factory.mktemp("models") / "tiny_fp16.onnx")


@pytest.fixture()
def tiny_session(tiny_model: Path):
    import alphacut

    return alphacut.load_model(tiny_model)


def white_square(size: tuple[int, int] = (64, 48), box: tuple[int, int, int, int] = WHITE_SQUARE) -> Image.Image:
    """A white rectangle on black: the tiny model's subject and background."""
    image = Image.new("RGB", size, (0, 0, 0))
    image.paste((255, 255, 255), box)
    return image


@pytest.fixture()
def square_image() -> Image.Image:
    return white_square()


@pytest.fixture()
def make_square() -> Callable[..., Image.Image]:
    return white_square


@pytest.fixture()
def encode_image() -> Callable[[Image.Image], bytes]:
    def encode(image: Image.Image, fmt: str = "PNG", **options) -> bytes:
        buffer = io.BytesIO()
        image.save(buffer, format=fmt, **options)
        return buffer.getvalue()

    return encode


def build_npm_tarball(
    path: Path,
    resources: dict[str, bytes],
    *,
    chunks: int = 3,
    tamper: str | None = None,
    size_delta: int = 0,
) -> Path:
    """A tarball laid out like @imgly/background-removal-data: ``package/dist/resources.json``
    plus chunks named by their sha256. ``tamper`` (a resource key) flips a byte in one chunk
    after hashing; ``size_delta`` misstates every resource's size."""
    index: dict[str, dict] = {}
    members: dict[str, bytes] = {"package/package.json": b'{"name": "@imgly/background-removal-data"}'}
    for key, data in resources.items():
        step = max(1, -(-len(data) // chunks))
        entries = []
        for start in range(0, len(data), step):
            piece = data[start:start + step]
            digest = hashlib.sha256(piece).hexdigest()
            entries.append({"hash": digest, "offsets": [start, start + len(piece)]})
            if tamper == key and start == step:  # corrupt the second chunk, keep its name
                piece = piece[:-1] + bytes([piece[-1] ^ 0xFF])
            members[f"package/dist/{digest}"] = piece
        index[key] = {"chunks": entries, "size": len(data) + size_delta, "mime": "application/octet-stream"}
    members["package/dist/resources.json"] = json.dumps(index).encode()
    with tarfile.open(path, "w:gz") as archive:
        for name, payload in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(payload)
            archive.addfile(info, io.BytesIO(payload))
    return path


@pytest.fixture()
def make_npm_tarball(tmp_path: Path) -> Callable[..., Path]:
    counter = iter(range(1_000_000))

    def make(resources: dict[str, bytes], **options) -> Path:
        return build_npm_tarball(tmp_path / f"data-{next(counter)}.tgz", resources, **options)

    return make


@pytest.fixture()
def alphacut_cli() -> Callable[..., "subprocess.CompletedProcess[bytes]"]:
    """Run the installed ``alphacut`` console script (so ``main()`` maps errors to exit codes)."""
    import subprocess
    import sys

    script = Path(sys.executable).parent / "alphacut"
    command = [str(script)] if script.is_file() else [sys.executable, "-c", "from alphacut.cli.app import main; main()"]

    def run(*args: str, input: bytes | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run(
            [*command, *args], input=input, capture_output=True, cwd=cwd, timeout=120,
            env={**os.environ, "COLUMNS": "200", "NO_COLOR": "1"},
        )

    return run


@pytest.fixture()
def alphacut_run(monkeypatch, capsys):
    """``alphacut ARGS`` through ``main()`` in this process: (exit code, stdout, stderr)."""
    import sys

    from alphacut.cli.app import main

    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.setenv("NO_COLOR", "1")

    def run(*args: str) -> tuple[int, str, str]:
        monkeypatch.setattr(sys, "argv", ["alphacut", *args])
        with pytest.raises(SystemExit) as exited:
            main()
        captured = capsys.readouterr()
        code = exited.value.code
        return (0 if code is None else int(code)), captured.out, captured.err

    return run


def pytest_configure(config: pytest.Config) -> None:
    """ALPHACUT_REQUIRE_ALL=1 (.ci/run sets it): tests skipped for something missing fail the run
    (the plugin in tests/require_all.py, loaded by path: this folder is not a package)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("alphacut_require_all", Path(__file__).with_name("require_all.py"))
    plugin = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(plugin)
    config.pluginmanager.register(plugin, "alphacut-require-all")
