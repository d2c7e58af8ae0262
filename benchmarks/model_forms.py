"""Which stored form of ISNet runs fastest here, and does any form change the masks?

Forms: the published fp16 graph with its twelve outputs; the same pruned to the alpha output;
fp16 weights widened to fp32 (what ``alphacut models install isnet`` stores); the uint8 dynamic
quantised graph; and the fp32 graph run by OpenVINO in bf16 (``--runtime auto`` on CPUs with
native bf16). Every image runs through every form in turn, so noise is shared; medians reported.

Usage: .venv/bin/python benchmarks/model_forms.py --data ../shared/data/ecssd_200 --count 30
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import onnx
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import gt_of, iou, machine, mae, published_isnet  # noqa: E402

from alphacut.models import get_spec  # noqa: E402
from alphacut.models.convert import keep_outputs, widen_fp16_to_fp32  # noqa: E402
from alphacut.models.runtimes import OnnxRuntimeEngine, OpenVinoEngine, cpu_has_native_bf16, openvino_available  # noqa: E402
from alphacut.models.session import SalientSession  # noqa: E402
from alphacut.models.store import installed_file  # noqa: E402


def build_forms(work: Path) -> dict[str, Path]:
    published = published_isnet()
    pruned = keep_outputs(onnx.load(str(published)), ["output"])
    onnx.save(pruned, str(work / "fp16-pruned.onnx"))
    onnx.save(widen_fp16_to_fp32(pruned), str(work / "fp32-pruned.onnx"))
    return {
        "fp16, 12 outputs (published)": published,
        "fp16, alpha output only": work / "fp16-pruned.onnx",
        "fp32, alpha output only (stored)": work / "fp32-pruned.onnx",
        "uint8 dynamic (isnet-quint8)": installed_file(get_spec("isnet-quint8")),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--count", type=int, default=30)
    args = parser.parse_args()
    spec = get_spec("isnet")
    files = sorted((args.data / "images").iterdir())[: args.count]
    with tempfile.TemporaryDirectory() as scratch:
        forms = build_forms(Path(scratch))
        engines = {}
        load = {}
        for label, path in forms.items():
            start = time.perf_counter()
            engines[label] = OnnxRuntimeEngine(path, output="output")
            load[label] = time.perf_counter() - start
        if openvino_available() and cpu_has_native_bf16():
            start = time.perf_counter()
            engines["fp32 graph, OpenVINO bf16"] = OpenVinoEngine(forms["fp32, alpha output only (stored)"], output="output")
            load["fp32 graph, OpenVINO bf16"] = time.perf_counter() - start
        sessions = {label: SalientSession(spec, None, engine) for label, engine in engines.items()}  # type: ignore[arg-type]
        times = {label: [] for label in sessions}
        first = {}
        scores = {label: ([], []) for label in sessions}
        for index, path in enumerate(files):
            image = Image.open(path).convert("RGB")
            gt = gt_of(args.data / "gt" / f"{path.stem}.png")
            batch = next(iter(sessions.values())).preprocess(image)
            for label, session in sessions.items():
                start = time.perf_counter()
                raw = session.runtime.run(batch)
                elapsed = time.perf_counter() - start
                (first.__setitem__(label, elapsed) if index == 0 else times[label].append(elapsed))
                pred = session.postprocess(raw, image.size)
                scores[label][0].append(iou(pred, gt))
                scores[label][1].append(mae(pred, gt))
    base = statistics.median(times["fp16, 12 outputs (published)"])
    print(f"## ISNet forms, {len(files)} images of {args.data.name}, {machine()}\n")
    print("| form | load s | first run s | warm median s | speed vs published | IoU | MAE |")
    print("|---|---|---|---|---|---|---|")
    for label in sessions:
        median = statistics.median(times[label])
        print(f"| {label} | {load[label]:.2f} | {first[label]:.2f} | {median:.3f} | {base / median:.2f}x "
              f"| {np.mean(scores[label][0]):.4f} | {np.mean(scores[label][1]):.4f} |")


if __name__ == "__main__":
    main()
