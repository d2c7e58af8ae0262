"""Engines that run an ONNX graph: onnxruntime (default, CPU or CUDA) and OpenVINO (optional).

``auto`` picks OpenVINO where it is installed (a default dependency on x86-64) and the CPU has
native bf16 arithmetic (AMX or AVX512-BF16): there its bf16 convolutions run about 2.5x faster
than onnxruntime's fp32 while the masks stay within 0.001 IoU (BENCHMARKS.md). Elsewhere
OpenVINO's fp32 path is slower than onnxruntime's, so ``auto`` keeps onnxruntime.
"""
from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Protocol

import numpy as np

from alphacut.config import alphacut_home, default_threads
from alphacut.errors import DeviceError, ModelError
from alphacut.models.fingerprint import file_sha256

RUNTIMES = ("auto", "onnxruntime", "openvino")
DEVICES = ("cpu", "cuda")


class Runtime(Protocol):
    name: str

    def run(self, batch: np.ndarray) -> np.ndarray:
        """Run the graph on an NCHW float32 batch and return the chosen output."""


class OnnxRuntimeEngine:
    def __init__(self, path: Path, *, output: str | None, device: str = "cpu", threads: int | None = None):
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads or default_threads()
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        providers = ["CPUExecutionProvider"]
        if device == "cuda":
            if "CUDAExecutionProvider" not in ort.get_available_providers():
                raise DeviceError(
                    "--device cuda: this onnxruntime has no CUDA support; pip install onnxruntime-gpu "
                    "(and uninstall onnxruntime), or run on the CPU"
                )
            providers = ["CUDAExecutionProvider", "CPUExecutionProvider"]
        try:
            self.session = ort.InferenceSession(str(path), options, providers=providers)
        except Exception as exc:  # onnxruntime raises its own untyped errors for bad graphs
            raise ModelError(f"{path}: onnxruntime cannot load this model ({str(exc).splitlines()[0]})") from None
        if device == "cuda" and self.session.get_providers()[0] != "CUDAExecutionProvider":
            raise DeviceError(
                "--device cuda: onnxruntime fell back to the CPU (CUDA/cuDNN libraries missing or of the "
                "wrong version); fix the CUDA install or use --device cpu"
            )
        self.input_name = self.session.get_inputs()[0].name
        self.output_name = output or self.session.get_outputs()[0].name
        self.name = f"onnxruntime-{device}"

    def run(self, batch: np.ndarray) -> np.ndarray:
        return self.session.run([self.output_name], {self.input_name: batch})[0]


class OpenVinoEngine:
    def __init__(
        self, path: Path, *, output: str | None, threads: int | None = None, precision: str = "bf16",
        fingerprint: str | None = None, side: int | None = None,
    ):
        """``fingerprint``: the sha256 of the file at ``path`` when the caller knows it (else hashed);
        ``side``: compile a graph of free input size for square inputs of this side (OpenVINO runs
        fixed shapes fastest)."""
        import openvino as ov

        core = ov.Core()
        # Compiled blobs are cached per machine (the next cold start skips the ~1 s compile), in a
        # folder per model content: OpenVINO keys its cache by path and mtime, which a file
        # replaced within a second, or another file at the same path, does not change.
        cache = alphacut_home() / "openvino-cache" / (fingerprint or file_sha256(Path(path)))
        cache.mkdir(parents=True, exist_ok=True)
        core.set_property({"CACHE_DIR": str(cache)})
        config = {
            "INFERENCE_PRECISION_HINT": precision,
            "INFERENCE_NUM_THREADS": threads or default_threads(),
            "PERFORMANCE_HINT": "LATENCY",
        }
        try:
            model: object = str(path)
            if side is not None:
                model = core.read_model(str(path))
                model.reshape([1, 3, side, side])
            self.compiled = core.compile_model(model, "CPU", config)
        except Exception as exc:
            raise ModelError(f"{path}: OpenVINO cannot compile this model ({str(exc).splitlines()[0]})") from None
        self.request = self.compiled.create_infer_request()
        self.output = self.compiled.output(output) if output else self.compiled.output(0)
        # int8 forms are OpenVINO IR made by NNCF: the .xml (no weights) lists its FakeQuantize ops
        quantised = Path(path).suffix == ".xml" and 'type="FakeQuantize"' in Path(path).read_text(errors="replace")
        self.name = f"openvino-int8-{precision}" if quantised else f"openvino-{precision}"

    def run(self, batch: np.ndarray) -> np.ndarray:
        results = self.request.infer({0: batch})
        return np.array(results[self.output], copy=True)


def cpu_has_native_bf16() -> bool:
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return " amx_bf16" in flags or " avx512_bf16" in flags


def openvino_available() -> bool:
    return importlib.util.find_spec("openvino") is not None


def choose_runtime(requested: str, device: str) -> str:
    if requested not in RUNTIMES:
        raise ModelError(f"unknown runtime {requested!r}; use one of {', '.join(RUNTIMES)}")
    if device not in DEVICES:
        raise DeviceError(f"unknown device {device!r}; use cpu or cuda")
    if requested == "openvino":
        if device != "cpu":
            raise DeviceError("--runtime openvino runs on the CPU; use --runtime onnxruntime with --device cuda")
        if not openvino_available():
            raise ModelError("--runtime openvino: OpenVINO is not installed; pip install openvino")
        return "openvino"
    if requested == "auto" and device == "cpu" and openvino_available() and cpu_has_native_bf16():
        return "openvino"
    return "onnxruntime"


def open_runtime(
    path: Path, *, output: str | None, device: str, threads: int | None, runtime: str, precision: str | None = None,
    fingerprint: str | None = None, side: int | None = None,
) -> Runtime:
    """``precision``: OpenVINO's inference precision for float layers (``bf16`` by default, ``f32``);
    ``fingerprint``: the file's sha256 where known (keys OpenVINO's compiled cache); ``side``: the
    square input side to fix a free-size graph at (OpenVINO; onnxruntime takes any size as it comes)."""
    chosen = choose_runtime(runtime, device)
    if chosen == "openvino":
        return OpenVinoEngine(path, output=output, threads=threads, precision=precision or "bf16", fingerprint=fingerprint,
                              side=side)
    return OnnxRuntimeEngine(path, output=output, device=device, threads=threads)
