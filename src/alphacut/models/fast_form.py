"""The fast form built by ``models install`` (by default; ``--no-optimize`` skips it) and, for a
store installed before that, by the first ``remove`` or ``serve``: int8 calibrated on generated
scenes, kept only if its masks agree with the fp32 model's.

On the dev sets' photos its masks agree with fp32 at mean IoU 0.98-0.997, but on graphics and
pixel art some masks flip (BENCHMARKS §8b), so where it is loaded the images refined as graphics
or pixel art run the model's float form (:meth:`alphacut.pipeline.Remover.matte`); what the
default pipeline then runs agrees with fp32 on every dev set (BENCHMARKS §8e).

Where the CPU has int8 dot-product instructions (VNNI or AMX) and OpenVINO and NNCF are installed,
install quantises the model selectively to int8 (:func:`alphacut.models.quantize.quantize_int8`,
the first convolution and the output head kept in float, float layers in bf16 where the CPU has
it) in about a minute, with no photos: the calibration images and the gate images are scenes
drawn by :mod:`alphacut.models.scenes` from disjoint seeds.

The gate is agreement with the fp32 graph (onnxruntime), not with ground truth, image by image:
the masks of both, cut at 0.5, must overlap with IoU >= ``MIN_IOU`` on at least ``MIN_SHARE``
of the gate scenes, and their mean IoU must be >= ``MIN_MEAN_IOU``. The thresholds and the
measured spread they were chosen from are below and in BENCHMARKS.md (issue 17); on the dev sets'
photos the form agrees with fp32 better than the ``models optimize`` form calibrated on photos. A form that passes is
recorded in the manifest like the forms of ``models optimize`` (:mod:`alphacut.models.forms`),
so ``--runtime auto`` loads it; one that fails is recorded as refused, with the reason, and the
default form stays (bf16 where the CPU has it). The fp32 reference is timed but not recorded as a
form: it must never become what ``auto`` loads. ``models optimize`` still gates forms on the user's own photos.
"""
from __future__ import annotations

import json
import statistics
import time
from dataclasses import dataclass
from typing import Callable

import numpy as np

from alphacut.config import default_threads
from alphacut.io.files import write_atomic
from alphacut.models.forms import FormRecord, base_fingerprint, cpu_isa, record_forms
from alphacut.models.quantize import int8_float_layers, nncf_available, quantize_int8
from alphacut.models.runtimes import OnnxRuntimeEngine, OpenVinoEngine, cpu_has_native_bf16, openvino_available
from alphacut.models.scenes import scene
from alphacut.models.session import SalientSession
from alphacut.models.spec import ModelSpec
from alphacut.models.store import MANIFEST_FILE, installed_file, manifest_of, model_dir

CALIBRATION_SCENES = 24
GATE_SCENES = 16
CALIBRATION_SEED = 0
GATE_SEED = 100_000  # far from the calibration seeds: the gate never sees a calibration scene
#: The gate, from the measured spread on the 16 gate scenes (BENCHMARKS, issue 17): the form this
#: module builds scored mean 0.975 with 62% of scenes >= 0.99; the ``models optimize`` recipe
#: calibrated on 24 dev photos 0.971 and 62%; a form calibrated on smooth-only scenes, which agreed
#: with fp32 on ECSSD photos at only 0.945-0.980 mean IoU, scored 0.935 and is refused. Generated
#: scenes are often ambiguous to a salient-object model (several objects, clutter), so a few
#: scenes flip whatever the form: the share asks for the typical scene, the mean catches the rest.
MIN_IOU = 0.99
MIN_SHARE = 0.5
MIN_MEAN_IOU = 0.96
INT8_FILE = "model.int8.xml"
INT8_INSTRUCTIONS = ("avx512_vnni", "avx_vnni", "amx_int8")
STATE_KEY = "fast_form"
#: The reason recorded when install skipped the form because it was opt-in (before it became the
#: default): such a store gets the form on its first run, as one installed before forms existed.
OLD_DEFAULT_SKIP = "not asked for"
#: Bumped when :mod:`alphacut.models.scenes` draws different pixels (a new recipe: forms are rebuilt).
SCENES_VERSION = 2
SCENE_SIZE = (768, 576)  # width, height: about a phone photo's shape at a model-sized scale

#: (stage, done, total): ``scenes``, ``calibrating``, ``checking``
Progress = Callable[[str, int, int], None]


def why_no_gain() -> str | None:
    """Why the int8 form is not built on this machine; ``None`` when it should be."""
    if not openvino_available():
        return "OpenVINO is not installed"
    if not nncf_available():
        return "NNCF is not installed (pip install nncf)"
    if not set(INT8_INSTRUCTIONS) & set(cpu_isa()):
        return "this CPU has no int8 dot-product instructions (VNNI or AMX), where int8 is not faster"
    return None


def mask_agreement(candidate: np.ndarray, reference: np.ndarray) -> tuple[float, float]:
    """(IoU of the two masks cut at 0.5, mean absolute difference of the probabilities)."""
    a, b = candidate >= 0.5, reference >= 0.5
    union = int(np.count_nonzero(a | b))
    iou = 1.0 if union == 0 else int(np.count_nonzero(a & b)) / union
    return iou, float(np.mean(np.abs(candidate - reference)))


@dataclass(frozen=True)
class Verdict:
    accepted: bool
    mean_iou: float
    share: float  # of gate images with IoU >= MIN_IOU
    reason: str  # one line, for the user


def judge_agreement(ious: list[float]) -> Verdict:
    mean = float(np.mean(ious))
    share = float(np.mean([value >= MIN_IOU for value in ious]))
    failures = []
    if share < MIN_SHARE:
        failures.append(f"IoU >= {MIN_IOU} on {share:.0%} of the gate scenes (needs {MIN_SHARE:.0%})")
    if mean < MIN_MEAN_IOU:
        failures.append(f"mean IoU {mean:.4f} (needs {MIN_MEAN_IOU})")
    if failures:
        return Verdict(False, mean, share, "int8 masks differ from fp32: " + "; ".join(failures))
    return Verdict(True, mean, share, f"int8 agrees with fp32: mean IoU {mean:.4f}, {share:.0%} of scenes >= {MIN_IOU}")


def recipe() -> dict:
    """What decides the form and its verdict: a state recorded under another recipe is stale."""
    return {"scenes": SCENES_VERSION, "calibration": CALIBRATION_SCENES, "gate": GATE_SCENES,
            "min_iou": MIN_IOU, "min_share": MIN_SHARE, "min_mean_iou": MIN_MEAN_IOU}


def fast_form_state(spec: ModelSpec) -> dict | None:
    """What install did about the fast form for the model file now installed, with this recipe;
    ``None``: nothing yet."""
    manifest = manifest_of(spec.name) or {}
    state = manifest.get(STATE_KEY)
    if not state or state.get("base_sha256") != manifest.get("sha256") or state.get("recipe") != recipe():
        return None
    return state


def record_state(spec: ModelSpec, state: str, reason: str) -> None:
    """``state``: ``built``, ``refused``, ``skipped`` (``--no-optimize``), for the installed file."""
    folder = model_dir(spec.name)
    manifest = manifest_of(spec.name) or {"name": spec.name}
    manifest[STATE_KEY] = {"state": state, "reason": reason, "base_sha256": manifest.get("sha256"), "recipe": recipe()}
    write_atomic(folder / MANIFEST_FILE, json.dumps(manifest, indent=2).encode())


@dataclass(frozen=True)
class FastFormResult:
    verdict: Verdict
    seconds: float
    forms: list[FormRecord]


def build_fast_form(
    spec: ModelSpec,
    *,
    threads: int | None = None,
    calibration_scenes: int | None = None,
    gate_scenes: int | None = None,
    progress: Progress = lambda stage, done, total: None,
) -> FastFormResult:
    """Quantise the installed model to int8 on generated scenes, gate it on others, record the result."""
    start = time.perf_counter()
    calibration_scenes = calibration_scenes or CALIBRATION_SCENES
    gate_scenes = gate_scenes or GATE_SCENES
    threads = threads or default_threads()
    base = installed_file(spec)
    folder = model_dir(spec.name)
    prepare = SalientSession(spec, base, None)  # type: ignore[arg-type]  # preprocessing only
    total = calibration_scenes + gate_scenes
    batches = []
    for index in range(total):
        seed = CALIBRATION_SEED + index if index < calibration_scenes else GATE_SEED + index - calibration_scenes
        batches.append(prepare.preprocess(scene(seed, SCENE_SIZE)))
        progress("scenes", index + 1, total)
    calibration, gate = batches[:calibration_scenes], batches[calibration_scenes:]

    keep = int8_float_layers(base, (0,))[0]
    done = [0]

    def calibrated() -> None:
        done[0] += 1
        progress("calibrating", min(done[0], calibration_scenes), calibration_scenes)

    quantize_int8(base, folder / INT8_FILE, calibration, keep, lambda message: None, on_batch=calibrated)

    bf16 = cpu_has_native_bf16()
    reference = OnnxRuntimeEngine(base, output=spec.output, threads=threads)
    int8 = OpenVinoEngine(folder / INT8_FILE, output=None, threads=threads, precision="bf16" if bf16 else "f32")
    int8.run(gate[0])  # the first run after loading is slow; keep it out of the timing
    ious, maes, fp32_seconds, int8_seconds = [], [], [], []
    for index, batch in enumerate(gate):
        tick = time.perf_counter()
        expected = prepare.postprocess(reference.run(batch), spec.input_size)
        fp32_seconds.append(time.perf_counter() - tick)
        tick = time.perf_counter()
        got = prepare.postprocess(int8.run(batch), spec.input_size)
        int8_seconds.append(time.perf_counter() - tick)
        iou, mae = mask_agreement(got, expected)
        ious.append(iou)
        maes.append(mae)
        progress("checking", index + 1, len(gate))
    verdict = judge_agreement(ious)

    isa, fingerprint = cpu_isa(), base_fingerprint(spec, base)
    records = [
        FormRecord(name="int8-bf16" if bf16 else "int8", runtime="openvino", precision="bf16" if bf16 else "f32",
                   file=INT8_FILE, iou=verdict.mean_iou, mae=float(np.mean(maes)), d_iou=verdict.mean_iou - 1.0,
                   d_mae=float(np.mean(maes)), median_s=statistics.median(int8_seconds), accepted=verdict.accepted,
                   isa=isa, base_sha256=fingerprint),
    ]
    gate_record = {
        "set": "generated scenes (install)", "images": len(gate), "reference": "fp32 masks",
        "calibration": f"generated scenes, seeds {CALIBRATION_SEED}-{CALIBRATION_SEED + calibration_scenes - 1}",
        "calibration_count": calibration_scenes, "min_iou": MIN_IOU, "min_share": MIN_SHARE,
        "min_mean_iou": MIN_MEAN_IOU, "share": verdict.share, "fp32_median_s": statistics.median(fp32_seconds),
        "ious": [round(value, 5) for value in ious],
        "isa": list(isa), "base_sha256": fingerprint,
    }
    record_forms(spec, gate_record, records)
    record_state(spec, "built" if verdict.accepted else "refused", verdict.reason)
    return FastFormResult(verdict, time.perf_counter() - start, records)


def first_run_pending(model: str, *, runtime: str, device: str) -> ModelSpec | None:
    """The spec of ``model`` when it is a built-in model installed before install built int8
    forms by default (nothing recorded for the installed file and this recipe, or skipped under
    the old opt-in default: ``OLD_DEFAULT_SKIP``), on a run that would load the form
    (``--runtime auto`` on the CPU) on a CPU that gains from it; else ``None``."""
    from alphacut.models.registry import BUILTIN_MODELS
    from alphacut.models.store import is_installed

    spec = BUILTIN_MODELS.get(model)
    if spec is None or spec.npm is None or runtime != "auto" or device != "cpu" or not is_installed(spec):
        return None
    state = fast_form_state(spec)
    if state is not None and not (state["state"] == "skipped" and state["reason"] == OLD_DEFAULT_SKIP):
        return None
    return spec if why_no_gain() is None else None


def settle_fast_form(
    spec: ModelSpec, *, optimize: bool = True, force: bool = False, threads: int | None = None,
    progress: Progress = lambda stage, done, total: None,
) -> str:
    """What ``models install`` does about the fast form of an installed model; returns one line for
    the user. Builds it unless ``optimize`` is false, this machine gains nothing from int8, or it was
    already built or refused for this model file (``force`` rebuilds)."""
    if spec.file or spec.npm is None:
        return f"{spec.name}: a user model; 'alphacut models optimize' builds its faster forms"
    if not optimize:
        record_state(spec, "skipped", "--no-optimize")
        return (f"{spec.name}: int8 form not built (--no-optimize); the float form is used "
                f"('alphacut models install {spec.name}' builds it in about a minute)")
    reason = why_no_gain()
    if reason is not None:
        return f"{spec.name}: no int8 form: {reason}"
    state = fast_form_state(spec)
    if state is not None and state["state"] in ("built", "refused") and not force:
        return f"{spec.name}: int8 form {state['state']} earlier: {state['reason']}"
    result = build_fast_form(spec, threads=threads, progress=progress)
    if result.verdict.accepted:
        return f"{spec.name}: int8 form built in {result.seconds:.0f} s; {result.verdict.reason}; --runtime auto uses it"
    default = "OpenVINO bf16" if cpu_has_native_bf16() else "onnxruntime fp32"
    return f"{spec.name}: keeping the default form ({default}), {result.verdict.reason}"
