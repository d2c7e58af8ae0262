"""Batched inference for GPUs: a dynamic-batch (and fp16) form of the graph, run with I/O binding.

The npm ISNet graph declares a fixed ``1x3x1024x1024`` input, but its Resize nodes take their
target sizes from ``Concat(Shape(x)[:2], constant HW)``: the batch dimension flows through. So
marking dimension 0 of the input and output symbolic (and dropping the stale inferred shapes) is
enough; a batch of N gives exactly the N single-image results (checked in the tests, and on the
real graph: max |diff| 0). Only the spatial size is baked in (guide §5).

:class:`BatchedCudaEngine` runs such a graph on onnxruntime's CUDA provider in fp16 (weights
converted once with onnxruntime's own ``float16`` tool, fp32 inputs and outputs kept) and binds
inputs and outputs to GPU memory with ``IOBinding`` so each batch is one host-to-device and one
device-to-host copy. The batch size is chosen from free GPU memory.
"""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np

from alphacut.errors import DeviceError, ModelError

#: GPU memory one 1024x1024 ISNet image needs in fp16 inference (activations, workspace), measured
#: upper bound with margin; the batch size is free memory divided by this, capped.
BYTES_PER_MEGAPIXEL_FP16 = 1.2e9
MAX_BATCH = 64


def make_batch_dynamic(model):
    """Mark dimension 0 of every graph input and output as the symbolic ``N``, in place."""
    graph = model.graph
    for value in [*graph.input, *graph.output]:
        dims = value.type.tensor_type.shape.dim
        if len(dims) == 0:
            raise ModelError(f"graph {'input' if value in graph.input else 'output'} {value.name!r} has no shape")
        dims[0].Clear()
        dims[0].dim_param = "N"
    del graph.value_info[:]  # inferred shapes still say batch 1
    return model


def to_fp16(model):
    """fp16 weights and arithmetic, fp32 inputs and outputs (onnxruntime's converter)."""
    from onnxruntime.transformers.float16 import convert_float_to_float16

    return convert_float_to_float16(model, keep_io_types=True, disable_shape_infer=True)


def build_batched_form(source: Path, target: Path, *, fp16: bool) -> Path:
    """Write the dynamic-batch (optionally fp16) form of ``source`` to ``target`` once."""
    import onnx

    if target.is_file() and target.stat().st_mtime >= source.stat().st_mtime:
        return target
    model = make_batch_dynamic(onnx.load(str(source)))
    if fp16:
        model = to_fp16(model)
    staging = target.with_name(f".{target.name}.part")
    onnx.save(model, str(staging))
    staging.replace(target)
    return target


def free_gpu_bytes(device_id: int = 0) -> int | None:
    """Free memory of a GPU from ``nvidia-smi``; ``None`` when it cannot be asked."""
    smi = shutil.which("nvidia-smi")
    if smi is None:
        return None
    try:
        result = subprocess.run(
            [smi, "--query-gpu=memory.free", "--format=csv,noheader,nounits", f"--id={device_id}"],
            capture_output=True, text=True, timeout=10, check=True,
        )
        return int(result.stdout.strip().splitlines()[0]) * 1024 * 1024
    except (OSError, subprocess.SubprocessError, ValueError, IndexError):
        return None


def batch_size_for(free_bytes: int | None, input_size: tuple[int, int], *, fp16: bool = True, default: int = 8) -> int:
    """Largest power of two whose working memory fits in 80% of ``free_bytes`` (1 to 64)."""
    if free_bytes is None:
        return default
    megapixels = input_size[0] * input_size[1] / 1e6
    per_image = BYTES_PER_MEGAPIXEL_FP16 * megapixels * (1 if fp16 else 2)
    fits = int(free_bytes * 0.8 // per_image)
    size = 1
    while size * 2 <= min(fits, MAX_BATCH):
        size *= 2
    return size


class BatchedEngine:
    """A dynamic-batch graph on onnxruntime; on CUDA with I/O binding, on the CPU for tests."""

    def __init__(self, path: Path, *, output: str | None, device: str = "cuda", threads: int | None = None):
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.log_severity_level = 3
        if threads:
            options.intra_op_num_threads = threads
        if device == "cuda":
            if "CUDAExecutionProvider" not in ort.get_available_providers():
                raise DeviceError("--device cuda: this onnxruntime has no CUDA support; pip install onnxruntime-gpu")
            providers: list = [("CUDAExecutionProvider", {"cudnn_conv_algo_search": "HEURISTIC"}), "CPUExecutionProvider"]
        else:
            providers = ["CPUExecutionProvider"]
        try:
            self.session = ort.InferenceSession(str(path), options, providers=providers)
        except Exception as exc:
            raise ModelError(f"{path}: onnxruntime cannot load this model ({str(exc).splitlines()[0]})") from None
        if device == "cuda" and self.session.get_providers()[0] != "CUDAExecutionProvider":
            raise DeviceError("--device cuda: onnxruntime fell back to the CPU; fix the CUDA install or use --device cpu")
        self.device = device
        self.input_name = self.session.get_inputs()[0].name
        self.output_name = output or self.session.get_outputs()[0].name
        self.name = f"onnxruntime-{device}-batched"

    def run(self, batch: np.ndarray) -> np.ndarray:
        """NCHW float32 batch of any N in, the chosen output for all N out."""
        if self.device != "cuda":
            return self.session.run([self.output_name], {self.input_name: batch})[0]
        import onnxruntime as ort

        binding = self.session.io_binding()
        binding.bind_ortvalue_input(self.input_name, ort.OrtValue.ortvalue_from_numpy(np.ascontiguousarray(batch), "cuda", 0))
        binding.bind_output(self.output_name, "cuda", 0)
        self.session.run_with_iobinding(binding)
        return binding.copy_outputs_to_cpu()[0]


BATCHED_FP16_FILE = "model.batch.fp16.onnx"


def open_cuda_session(spec, path: Path, *, threads: int | None = None, fingerprint: str | None = None):
    """A session on CUDA with the batched fp16 form (built once per model content, in the folder
    keyed by ``fingerprint``, the sha256 of ``path``) and a batch size chosen from the GPU's free
    memory (``session.batch_size``)."""
    import onnxruntime as ort

    from alphacut.models.fingerprint import derived_dir, file_sha256
    from alphacut.models.session import SESSION_FAMILIES

    if "CUDAExecutionProvider" not in ort.get_available_providers():  # before a costly conversion
        raise DeviceError(
            "--device cuda: this onnxruntime has no CUDA support; pip install onnxruntime-gpu "
            "(and uninstall onnxruntime), or run on the CPU"
        )
    folder = derived_dir(fingerprint or file_sha256(path))
    form = build_batched_form(path, folder / BATCHED_FP16_FILE, fp16=True)
    engine = BatchedEngine(form, output=spec.output, device="cuda", threads=threads)
    session = SESSION_FAMILIES[spec.family](spec, form, engine)
    session.batch_size = batch_size_for(free_gpu_bytes(), spec.input_size)
    return session
