"""Where a 1024 px forward spends its time, per layer type, and latency vs throughput mode (issue 17).

1. OpenVINO's per-layer profile (``PERF_COUNT``) of each form given (the installed graph in bf16
   and the int8 form, by default), averaged over ``--runs`` warm forwards on real photos: time per
   layer type and per execution precision (the kernel OpenVINO chose: ``exec_type`` such as
   ``brgconv_avx512_amx_I8`` or ``ref_any``), the ten slowest layers, and the achieved GFLOP/s
   (convolution multiply-adds counted from the graph's shapes, x2) against this CPU's peak
   (``--peak-tflops``, the AMX figure of the CPU's data sheet for the cores used).
2. Folder-run throughput of the fastest form: one infer request with every thread (latency mode,
   what ``alphacut`` uses) against ``--requests`` requests of ``threads / requests`` threads each
   fed in parallel (OpenVINO's throughput mode), images per second over the same photos.

Usage (an idle machine):
  .venv/bin/python benchmarks/profile_forward.py --data ../shared/data/ecssd_200 --runs 20
  .venv/bin/python benchmarks/profile_forward.py --model-file tiny.onnx --data DIR --runs 2   # check the script
"""
from __future__ import annotations

import argparse
import statistics
import time
from collections import defaultdict
from pathlib import Path

import numpy as np


def convolution_flops(model) -> float:
    """Multiply-adds x 2 of every (group) convolution, from the output shapes and weight shapes."""
    total = 0.0
    for op in model.get_ordered_ops():
        if op.get_type_name() not in ("Convolution", "GroupConvolution"):
            continue
        out = op.get_output_partial_shape(0)
        weights = op.input_value(1).get_partial_shape()
        if not (out.is_static and weights.is_static):
            continue
        out_elems = int(np.prod([d.get_length() for d in out]))
        dims = [d.get_length() for d in weights]
        per_output = int(np.prod(dims[2:])) * dims[1] if op.get_type_name() == "Convolution" else int(np.prod(dims[3:])) * dims[2]
        total += 2.0 * out_elems * per_output
    return total


def batches_from(folder: Path, spec, count: int) -> list[np.ndarray]:
    from alphacut.models.session import SalientSession
    from alphacut.workflows.optimize import image_files, read_rgb

    prepare = SalientSession(spec, None, None)  # type: ignore[arg-type]
    return [prepare.preprocess(read_rgb(path)) for path in image_files(folder)[:count]]


def profile(path: Path, precision: str, batches: list[np.ndarray], threads: int | None, peak_tflops: float) -> float:
    import openvino as ov

    from alphacut.config import default_threads

    core = ov.Core()
    model = core.read_model(str(path))
    flops = convolution_flops(model)
    compiled = core.compile_model(model, "CPU", {
        "INFERENCE_PRECISION_HINT": precision, "INFERENCE_NUM_THREADS": threads or default_threads(),
        "PERFORMANCE_HINT": "LATENCY", "PERF_COUNT": True,
    })
    request = compiled.create_infer_request()
    request.infer({0: batches[0]})  # warm
    by_type: dict[str, float] = defaultdict(float)
    by_kernel: dict[str, float] = defaultdict(float)
    by_layer: dict[tuple[str, str, str], float] = defaultdict(float)
    walls = []
    for batch in batches:
        start = time.perf_counter()
        request.infer({0: batch})
        walls.append(time.perf_counter() - start)
        for info in request.get_profiling_info():
            seconds = info.real_time.total_seconds()
            by_type[info.node_type] += seconds
            by_kernel[info.exec_type] += seconds
            by_layer[(info.node_name, info.node_type, info.exec_type)] += seconds
    runs = len(batches)
    median = statistics.median(walls)
    print(f"\n## {path.name} ({precision} float layers): median forward {median:.3f} s over {runs} photos; "
          f"{flops / 1e9:.0f} GFLOP of convolutions -> {flops / median / 1e9:.0f} GFLOP/s "
          f"({flops / median / 1e12 / peak_tflops:.1%} of {peak_tflops} TFLOP/s peak)")
    total = sum(by_type.values()) / runs
    print("\n| layer type | ms per forward | share |\n|---|---|---|")
    for name, seconds in sorted(by_type.items(), key=lambda item: -item[1])[:15]:
        print(f"| {name} | {1000 * seconds / runs:.1f} | {seconds / runs / total:.1%} |")
    print("\n| kernel (exec_type) | ms per forward | share |\n|---|---|---|")
    for name, seconds in sorted(by_kernel.items(), key=lambda item: -item[1])[:12]:
        print(f"| {name} | {1000 * seconds / runs:.1f} | {seconds / runs / total:.1%} |")
    print("\n| slowest layers | type | kernel | ms |\n|---|---|---|---|")
    for (name, kind, kernel), seconds in sorted(by_layer.items(), key=lambda item: -item[1])[:10]:
        print(f"| {name[:60]} | {kind} | {kernel} | {1000 * seconds / runs:.1f} |")
    return median


def throughput(path: Path, precision: str, batches: list[np.ndarray], threads: int, requests: int) -> None:
    """Images per second: one request with every thread vs ``requests`` requests sharing them."""
    import openvino as ov

    for count in (1, requests):
        core = ov.Core()
        compiled = core.compile_model(str(path), "CPU", {
            "INFERENCE_PRECISION_HINT": precision, "INFERENCE_NUM_THREADS": threads,
            "NUM_STREAMS": count, "PERFORMANCE_HINT": "LATENCY" if count == 1 else "THROUGHPUT",
        })
        queue = ov.AsyncInferQueue(compiled, count)
        queue.start_async({0: batches[0]})
        queue.wait_all()
        start = time.perf_counter()
        for batch in batches:
            queue.start_async({0: batch})
        queue.wait_all()
        rate = len(batches) / (time.perf_counter() - start)
        mode = "latency (1 request)" if count == 1 else f"throughput ({count} requests, {count} streams)"
        print(f"| {path.name} | {mode} | {rate:.2f} img/s |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, required=True, help="photos to feed (a set's images/ or a folder)")
    parser.add_argument("--runs", type=int, default=20, help="photos profiled per form")
    parser.add_argument("--model", default="isnet")
    parser.add_argument("--model-file", type=Path, default=None, help="profile this graph instead (checks the script)")
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--requests", type=int, default=2)
    parser.add_argument("--peak-tflops", type=float, default=4.0,
                        help="the CPU's peak for the cores used (default: a rough 2-core AMX bf16 figure)")
    args = parser.parse_args()

    from alphacut.config import default_threads
    from alphacut.models import get_spec, spec_for_file
    from alphacut.models.runtimes import cpu_has_native_bf16
    from alphacut.models.store import installed_file, model_dir

    if args.model_file:
        spec, forms = spec_for_file(args.model_file), [(args.model_file, "f32")]
    else:
        spec = get_spec(args.model)
        float_precision = "bf16" if cpu_has_native_bf16() else "f32"
        forms = [(installed_file(spec), float_precision)]
        int8 = model_dir(spec.name) / "model.int8.xml"
        if int8.is_file():
            forms.append((int8, float_precision))
    batches = batches_from(args.data, spec, args.runs)
    medians = {path: profile(path, precision, batches, args.threads, args.peak_tflops) for path, precision in forms}
    fastest, precision = min(forms, key=lambda form: medians[form[0]])
    print("\n| form | mode | folder throughput |\n|---|---|---|")
    throughput(fastest, precision, batches, args.threads or default_threads(), args.requests)


if __name__ == "__main__":
    main()
