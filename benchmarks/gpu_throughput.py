"""Images/s at 1024 px on a GPU: alphacut's batched fp16 form (batch 1, 8, 32 and the size chosen
from free memory) against rembg with the same weights, one image per call, in the same run.

Decoding and preprocessing run ahead in a pool of CPU workers so the GPU is not kept waiting;
the forward pass uses onnxruntime's CUDA provider with I/O binding. Needs onnxruntime-gpu (and
rembg[gpu] for the comparison).

Usage: python benchmarks/gpu_throughput.py --data ../shared/data/ecssd_200 --count 200 [--rembg]
"""
from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
from PIL import Image

from alphacut.models import get_spec
from alphacut.models.batched import BatchedEngine, batch_size_for, build_batched_form, free_gpu_bytes
from alphacut.models.session import SalientSession
from alphacut.models.store import installed_file


def batches(files: list[Path], prepare: SalientSession, size: int, workers: int):
    """Preprocessed NCHW batches, decoded ``workers`` at a time ahead of the GPU."""
    def load(path: Path) -> np.ndarray:
        return prepare.preprocess(Image.open(path).convert("RGB"))[0]

    with ThreadPoolExecutor(workers) as pool:
        arrays = pool.map(load, files)
        chunk: list[np.ndarray] = []
        for array in arrays:
            chunk.append(array)
            if len(chunk) == size:
                yield np.stack(chunk)
                chunk = []
        if chunk:
            yield np.stack(chunk)


def alphacut_rate(engine: BatchedEngine, files, prepare, size: int, workers: int) -> float:
    engine.run(np.zeros((size, 3, 1024, 1024), np.float32))  # warm-up: cuDNN picks its kernels
    start = time.perf_counter()
    for batch in batches(files, prepare, size, workers):
        raw = engine.run(batch)
        for index in range(raw.shape[0]):
            prepare.postprocess(raw[index:index + 1], (1024, 1024))
    return len(files) / (time.perf_counter() - start)


def rembg_rate(files) -> float:
    from rembg import new_session, remove

    session = new_session("isnet-general-use", providers=["CUDAExecutionProvider"])
    remove(Image.open(files[0]), session=session)
    start = time.perf_counter()
    for path in files:
        remove(Image.open(path), session=session)
    return len(files) / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--rembg", action="store_true")
    args = parser.parse_args()
    spec = get_spec("isnet")
    files = sorted((args.data / "images").iterdir())[: args.count]
    prepare = SalientSession(spec, None, None)  # type: ignore[arg-type]
    with tempfile.TemporaryDirectory() as scratch:
        form = build_batched_form(installed_file(spec), Path(scratch) / "isnet.batch.fp16.onnx", fp16=True)
        engine = BatchedEngine(form, output=None, device="cuda")
        chosen = batch_size_for(free_gpu_bytes(), spec.input_size)
        print(f"| tool | batch | images/s |\n|---|---|---|")
        for size in sorted({1, 8, 32, chosen}):
            rates = [alphacut_rate(engine, files, prepare, size, args.workers) for _ in range(2)]
            label = f"{size} (from free memory)" if size == chosen else str(size)
            print(f"| alphacut fp16 | {label} | {statistics.median(rates):.1f} |")
        if args.rembg:
            print(f"| rembg | 1 | {rembg_rate(files):.1f} |")


if __name__ == "__main__":
    main()
