"""The model store on disk: ``$ALPHACUT_HOME/models/<name>/model.onnx`` with a ``manifest.json``."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from alphacut.config import alphacut_home
from alphacut.errors import ModelError, ModelNotInstalledError
from alphacut.models.spec import ModelSpec

MODEL_FILE = "model.onnx"
MANIFEST_FILE = "manifest.json"


def model_dir(name: str) -> Path:
    return alphacut_home() / "models" / name


def manifest_of(name: str) -> dict[str, Any] | None:
    path = model_dir(name) / MANIFEST_FILE
    if not path.exists():
        return None
    try:
        return json.loads(path.read_text())
    except ValueError:
        return None


def is_installed(spec: ModelSpec) -> bool:
    if spec.file:
        return Path(spec.file).is_file()
    manifest = manifest_of(spec.name)
    return manifest is not None and (model_dir(spec.name) / MODEL_FILE).is_file()


def installed_file(spec: ModelSpec) -> Path:
    """The ONNX file of an installed model, or a one-line error saying how to install it."""
    if spec.file:
        path = Path(spec.file)
        if not path.is_file():
            raise ModelNotInstalledError(
                f"model {spec.name!r}: file {path} is missing; add it again with 'alphacut models add'"
            )
        return path
    manifest = manifest_of(spec.name)
    path = model_dir(spec.name) / MODEL_FILE
    if manifest is None or not path.is_file():
        raise ModelNotInstalledError(
            f"model {spec.name!r} is not installed; run: alphacut models install {spec.name}"
        )
    if path.stat().st_size != manifest.get("size"):
        raise ModelError(
            f"model {spec.name!r}: {path} does not match its manifest (size differs); "
            f"reinstall with: alphacut models install {spec.name} --force"
        )
    return path
