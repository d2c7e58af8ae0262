"""``alphacut models optimize NAME``: build faster forms of a model and keep only those that agree with it.

Forms tried (those this machine can run):

- ``fp32``: the installed graph on onnxruntime, the reference every other form is gated against;
- ``bf16``: the same graph on OpenVINO with bf16 inference (CPUs with AMX or AVX512-BF16);
- ``int8-bf16`` (``int8`` on CPUs without bf16): selective post-training int8 quantisation with
  NNCF [1] for OpenVINO, its remaining float layers in bf16 (or f32). Whole-graph int8 is known to
  wreck ISNet's masks (guide §5: IoU 0.38 with plain QDQ), so the layers nearest the pixels stay in
  float: the first convolution, which sees the raw image, and the convolutions of the output head.
  Activations are quantised asymmetrically (NNCF's ``MIXED`` preset) with ranges calibrated on
  real, varied photographs that must not overlap the gate set. Measured on ISNet (BENCHMARKS.md
  §8): calibration on 32 product/matting images lost 0.012 IoU on 30 ECSSD images whichever of
  2 to 20 layers were kept in float, mostly on two ambiguous images; 64 images including natural
  scenes with the MIXED preset lost 0.005 there; on all 200 gate images, +0.0006 (this form) and
  -0.0020 (``int8-bf16-d1``).
- ``int8-bf16-d1``: the same, keeping in float also every convolution one convolution away from an
  output (ISNet: the last decoder stage's input and output convolutions, which took 17% of that
  form's forward time in bf16, BENCHMARKS.md §8). Built only when that is a different set of
  layers that still leaves some int8; the fallback for models whose ``int8-bf16`` fails the gate.

The gate: each form runs on every gate image (with ground truth); its mean IoU and MAE against the
ground truth must stay within ``max_d_iou`` (0.005) and ``max_d_mae`` (0.002) of the fp32 graph's
on the same images. Timing is the warm forward pass, every form on the same prepared tensor in
turn per image (noise is shared), median reported. Results go to the model's manifest, where
``--runtime auto`` finds them (:mod:`alphacut.models.forms`, which holds the records so that
loading a model never needs this workflow).

[1] NNCF post-training quantisation: https://github.com/openvinotoolkit/nncf (``nncf.quantize``).
"""
from __future__ import annotations

import statistics
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable

import numpy as np
from PIL import Image

from alphacut.errors import InputError, ModelError
from alphacut.io.decode import decode_first_frame
from alphacut.io.files import list_images
from alphacut.models.fingerprint import file_sha256
from alphacut.models.forms import FormRecord, base_fingerprint, cpu_isa, record_forms, recorded_forms
from alphacut.models.quantize import int8_float_layers, nncf_available, quantize_int8
from alphacut.models.runtimes import OnnxRuntimeEngine, OpenVinoEngine, Runtime, cpu_has_native_bf16, openvino_available
from alphacut.models.session import SalientSession
from alphacut.models.spec import ModelSpec
from alphacut.models.store import installed_file, model_dir

MAX_D_IOU = 0.005
MAX_D_MAE = 0.002
#: How far from an output convolutions stay in float in each int8 form (see :func:`sensitive_layers`).
INT8_FLOAT_DEPTHS = (0, 1)
Report = Callable[[str], None]


@dataclass(frozen=True)
class Candidate:
    name: str
    runtime: str
    precision: str
    file: str  # relative to the model's folder


def int8_file(depth: int) -> str:
    return "model.int8.xml" if depth == 0 else f"model.int8-d{depth}.xml"


def candidates(base_file: str, *, bf16: bool, openvino: bool, int8_depths: Iterable[int] = ()) -> list[Candidate]:
    """The forms to measure; ``int8_depths``: the float depths of the int8 forms built."""
    forms = [Candidate("fp32", "onnxruntime", "fp32", base_file)]
    if openvino and bf16:
        forms.append(Candidate("bf16", "openvino", "bf16", base_file))
    for depth in int8_depths if openvino else ():  # float layers in bf16 where the CPU has it (faster), else f32
        name = ("int8-bf16" if bf16 else "int8") + (f"-d{depth}" if depth else "")
        forms.append(Candidate(name, "openvino", "bf16" if bf16 else "f32", int8_file(depth)))
    return forms


def passes_gate(d_iou: float, d_mae: float, max_d_iou: float = MAX_D_IOU, max_d_mae: float = MAX_D_MAE) -> bool:
    """Within the tolerances either way: a form that scores better than fp32 by more than the
    tolerance also predicts different masks, and is refused like one that scores worse."""
    return abs(d_iou) <= max_d_iou + 1e-12 and abs(d_mae) <= max_d_mae + 1e-12


# --- data -----------------------------------------------------------------------------------------

def image_files(folder: Path) -> list[Path]:
    """Images of a folder (its ``images/`` sub-folder when it is an evaluation set), sorted."""
    root = folder / "images" if (folder / "images").is_dir() else folder
    if not root.is_dir():
        raise InputError(f"{folder}: no such folder")
    return list_images(root)


def read_rgb(path: Path) -> Image.Image:
    """The image at ``path`` as PIL RGB, decoded as everywhere else (orientation, pixel limit)."""
    return decode_first_frame(path).convert("RGB")


def calibration_files(folders: list[Path], count: int, gate_files: Iterable[Path]) -> list[Path]:
    """Up to ``count`` images spread evenly over ``folders``; none may be a gate image (by content),
    or the gate would measure a model fitted to it."""
    gate = {file_sha256(p) for p in gate_files}
    pool = [p for folder in folders for p in image_files(folder)]
    overlap = [p for p in pool if file_sha256(p) in gate]
    if overlap:
        raise InputError(
            f"calibration images must not be gate images: {overlap[0]} (and {len(overlap) - 1} more) "
            "are in the gate set; calibrate on other images"
        )
    if not pool:
        raise InputError("no calibration images found in " + ", ".join(map(str, folders)))
    step = max(1, len(pool) // count)
    return pool[::step][:count]


# --- building -------------------------------------------------------------------------------------

def open_candidate(candidate: Candidate, folder: Path, spec: ModelSpec, threads: int | None) -> Runtime:
    path = folder / candidate.file
    if candidate.runtime == "onnxruntime":
        return OnnxRuntimeEngine(path, output=spec.output, threads=threads)
    output = spec.output if path.suffix == ".onnx" else None  # IR from NNCF keeps one output
    return OpenVinoEngine(path, output=output, threads=threads, precision=candidate.precision)


# --- measuring ------------------------------------------------------------------------------------

@dataclass
class Scores:
    iou: list[float]
    mae: list[float]
    seconds: list[float]


def measure(
    engines: dict[str, Runtime],
    spec: ModelSpec,
    samples: list[tuple[Path, Path]],
    *,
    on_image: Callable[[int, int], None] = lambda done, total: None,
) -> dict[str, Scores]:
    """Each form on each (image, gt) in turn: IoU and MAE of its alpha, and its forward time."""
    from alphacut.judge.dataset import load_gt
    from alphacut.judge.metrics import iou, mae

    prepare = SalientSession(spec, None, None)  # type: ignore[arg-type]
    scores = {name: Scores([], [], []) for name in engines}
    for index, (image_path, gt_path) in enumerate(samples):
        image = read_rgb(image_path)
        gt = load_gt(gt_path)
        batch = prepare.preprocess(image)
        for name, engine in engines.items():
            start = time.perf_counter()
            raw = engine.run(batch)
            elapsed = time.perf_counter() - start
            alpha = prepare.postprocess(raw, image.size)
            scores[name].iou.append(iou(alpha, gt))
            scores[name].mae.append(mae(alpha, gt))
            scores[name].seconds.append(elapsed)
        on_image(index + 1, len(samples))
    return scores


# --- the command ----------------------------------------------------------------------------------

def optimize(
    spec: ModelSpec,
    gate_dir: Path,
    calibration_dirs: list[Path],
    *,
    calibration_count: int = 64,
    limit: int | None = None,
    max_d_iou: float = MAX_D_IOU,
    max_d_mae: float = MAX_D_MAE,
    threads: int | None = None,
    force: bool = False,
    report: Report = lambda message: None,
) -> tuple[list[FormRecord], bool]:
    """Build, measure and record the forms; returns them and whether they came from an earlier
    identical run (same model file, gate, calibration and tolerances on this kind of CPU)."""
    from alphacut.judge.dataset import load_set

    base = installed_file(spec)
    folder = model_dir(spec.name)
    if base.parent.resolve() != folder.resolve():
        raise ModelError(f"{spec.name}: only models in the store can be optimised; add it with 'alphacut models add'")
    gate_set = load_set(gate_dir, limit)
    samples = [(s.image, s.gt) for s in gate_set.samples]
    isa = cpu_isa()
    gate = {
        "set": gate_set.name, "images": len(samples), "max_d_iou": max_d_iou, "max_d_mae": max_d_mae,
        "calibration": sorted(str(d.resolve()) for d in calibration_dirs), "calibration_count": calibration_count,
        "int8_float_depths": list(INT8_FLOAT_DEPTHS),
        "isa": list(isa), "base_sha256": base_fingerprint(spec, base),
    }
    earlier_gate, earlier = recorded_forms(spec)
    if not force and earlier and earlier_gate == gate and all((folder / f.file).is_file() for f in earlier):
        return earlier, True

    openvino = openvino_available()
    int8_layers: dict[int, list[str]] = {}
    if openvino and not nncf_available():
        report("int8 forms skipped: NNCF is not installed (pip install nncf)")
    elif openvino:
        calibration = calibration_files(calibration_dirs, calibration_count, [s[0] for s in samples])
        prepare = SalientSession(spec, None, None)  # type: ignore[arg-type]
        batches = [prepare.preprocess(read_rgb(p)) for p in calibration]
        int8_layers = int8_float_layers(base, INT8_FLOAT_DEPTHS)
        for depth, keep in int8_layers.items():
            quantize_int8(base, folder / int8_file(depth), batches, keep, report)
    forms = candidates(base.name, bf16=openvino and cpu_has_native_bf16(), openvino=openvino, int8_depths=int8_layers)
    engines = {form.name: open_candidate(form, folder, spec, threads) for form in forms}
    for engine in engines.values():  # the first run after loading is slow everywhere; keep it out
        engine.run(np.zeros((1, 3, spec.input_size[1], spec.input_size[0]), np.float32))
    report(f"measuring {len(forms)} forms on {len(samples)} images of {gate_set.name}")
    step = max(1, len(samples) // 10)
    scores = measure(engines, spec, samples,
                     on_image=lambda done, total: report(f"  {done}/{total}") if done % step == 0 else None)
    reference = scores["fp32"]
    ref_iou, ref_mae = float(np.mean(reference.iou)), float(np.mean(reference.mae))
    records = []
    for form in forms:
        s = scores[form.name]
        mean_iou, mean_mae = float(np.mean(s.iou)), float(np.mean(s.mae))
        d_iou, d_mae = mean_iou - ref_iou, mean_mae - ref_mae
        records.append(FormRecord(
            name=form.name, runtime=form.runtime, precision=form.precision, file=form.file,
            iou=mean_iou, mae=mean_mae, d_iou=d_iou, d_mae=d_mae, median_s=statistics.median(s.seconds),
            accepted=passes_gate(d_iou, d_mae, max_d_iou, max_d_mae), isa=isa, base_sha256=gate["base_sha256"],
        ))
    record_forms(spec, gate, records)
    return records, False


def table(forms: list[FormRecord]) -> list[list[str]]:
    """Rows for printing: form, runtime, median s, speed-up, IoU, MAE, dIoU, dMAE, accepted, chosen."""
    reference = next((f for f in forms if f.name == "fp32"), forms[0])
    accepted = [f for f in forms if f.accepted]
    chosen = min(accepted, key=lambda f: f.median_s).name if accepted else None
    return [
        [
            f.name, f"{f.runtime} ({_precision_label(f)})", f"{f.median_s:.3f}", f"{reference.median_s / f.median_s:.2f}x",
            f"{f.iou:.4f}", f"{f.mae:.4f}", f"{f.d_iou:+.4f}", f"{f.d_mae:+.4f}",
            "yes" if f.accepted else "no", "auto" if f.name == chosen else "",
        ]
        for f in forms
    ]


def _precision_label(form: FormRecord) -> str:
    # an int8 form's recorded precision is that of the layers kept in float
    return f"int8, float layers {form.precision}" if form.name.startswith("int8") else form.precision


TABLE_HEADER = ["form", "runtime", "median s/img", "speed", "IoU", "MAE", "dIoU", "dMAE", "accepted", "chosen"]
