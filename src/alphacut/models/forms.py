"""Verified faster forms of a model, recorded in its manifest, and the choice ``--runtime auto`` makes.

``alphacut models optimize NAME`` (the workflow :mod:`alphacut.workflows.optimize`) builds forms such as
OpenVINO bf16 or int8, measures each against the fp32 model on a gate set and stores the results
under ``"forms"`` in ``manifest.json``. A form is used automatically only if it passed the gate,
its file is still there, it was built from the model file now installed, and it was verified on a
CPU with the same instruction-set extensions as this one (speed rankings differ between CPUs).
"Built from the model file" is decided by content (sha256), never by the model's name or file name.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from alphacut.io.files import write_atomic
from alphacut.models.spec import ModelSpec
from alphacut.models.fingerprint import file_sha256
from alphacut.models.store import MANIFEST_FILE, MODEL_FILE, manifest_of, model_dir

#: Extensions that change which form is fastest, or whether it runs at all.
ISA_FLAGS = ("avx2", "avx_vnni", "avx512f", "avx512_vnni", "avx512_bf16", "avx512_fp16", "amx_bf16", "amx_int8")


@dataclass(frozen=True)
class FormRecord:
    """One form as measured by ``models optimize`` or ``models install``: where it is, how it runs,
    how it scored. ``iou``/``mae`` are against the gate's reference: ground truth for ``optimize``,
    the fp32 model's masks for install's generated scenes (where fp32 itself scores 1 and 0)."""

    name: str  # e.g. "int8-bf16"
    runtime: str  # "onnxruntime" or "openvino"
    precision: str  # onnxruntime: "fp32"; OpenVINO inference precision hint for float parts: "f32" or "bf16"
    file: str  # relative to the model's folder
    iou: float
    mae: float
    d_iou: float  # against the fp32 reference on the same images
    d_mae: float
    median_s: float  # forward pass, warm, median over the gate images
    accepted: bool
    isa: tuple[str, ...] = field(default_factory=tuple)
    base_sha256: str = ""

    def to_json(self) -> dict:
        record = asdict(self)
        record["isa"] = list(self.isa)
        return record

    @classmethod
    def from_json(cls, record: dict) -> "FormRecord":
        return cls(**{**record, "isa": tuple(record.get("isa", ()))})


def cpu_isa() -> tuple[str, ...]:
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return ()
    flags: set[str] = set()
    for line in text.splitlines():
        if line.startswith("flags"):
            flags.update(line.split(":", 1)[1].split())
            break
    return tuple(flag for flag in ISA_FLAGS if flag in flags)


def base_fingerprint(spec: ModelSpec, path: Path) -> str:
    """The sha256 of the model file forms are built from and looked up by. A store model's manifest
    records it at install; any other file (a path, a user model) is hashed, never named: a file
    called ``isnet.onnx`` elsewhere matches the store's ``isnet`` forms only if it has the same bytes."""
    if not spec.file:
        manifest = manifest_of(spec.name) or {}
        if manifest.get("sha256") and Path(path).resolve() == (model_dir(spec.name) / MODEL_FILE).resolve():
            return manifest["sha256"]
    return file_sha256(Path(path))


def recorded_forms(spec: ModelSpec) -> tuple[dict, list[FormRecord]]:
    """(gate description, forms) stored by the last ``models optimize``; empty when none."""
    entry = (manifest_of(spec.name) or {}).get("forms") or {}
    return entry.get("gate", {}), [FormRecord.from_json(r) for r in entry.get("results", [])]


def record_forms(spec: ModelSpec, gate: dict, forms: list[FormRecord]) -> None:
    """Write the forms into the manifest (created for user models, which have none)."""
    folder = model_dir(spec.name)
    manifest = manifest_of(spec.name) or {"name": spec.name}
    manifest["forms"] = {"gate": gate, "results": [form.to_json() for form in forms]}
    write_atomic(folder / MANIFEST_FILE, json.dumps(manifest, indent=2).encode())


def best_form(spec: ModelSpec, path: Path) -> tuple[FormRecord, Path] | None:
    """The fastest accepted form usable here, with its file; ``None`` keeps the default choice."""
    _, forms = recorded_forms(spec)
    if not forms:
        return None
    isa, fingerprint = cpu_isa(), base_fingerprint(spec, path)
    usable = [
        form for form in forms
        if form.accepted and form.isa == isa and form.base_sha256 == fingerprint
        and (model_dir(spec.name) / form.file).is_file()
    ]
    if not usable:
        return None
    form = min(usable, key=lambda f: f.median_s)
    return form, model_dir(spec.name) / form.file
