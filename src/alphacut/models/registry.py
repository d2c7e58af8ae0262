"""Models by name, timm-style: built-in records plus the user's own, kept in ``registry.json``."""
from __future__ import annotations

import json
import re
from pathlib import Path

from alphacut.config import DEFAULT_MODEL  # noqa: F401  (re-exported: the model used when none is named)
from alphacut.config import alphacut_home
from alphacut.errors import ModelError
from alphacut.io.files import write_atomic
from alphacut.models.spec import ModelSpec, NpmResource

_IMGLY = ("@imgly/background-removal-data", "1.4.5")
_ISNET_LICENCE = "MIT (weights); AGPL-3.0 (npm package)"
_ISNET_SOURCE = "ISNet general-use (DIS), npm @imgly/background-removal-data@1.4.5"

BUILTIN_MODELS: dict[str, ModelSpec] = {
    spec.name: spec
    for spec in (
        ModelSpec(
            name="isnet",
            description="ISNet (DIS) general use; fp16 weights stored as fp32",
            input_size=(1024, 1024),
            licence=_ISNET_LICENCE,
            source=_ISNET_SOURCE + " /models/medium (fp16)",
            sha256="b6e8497ba978a6f5fbb647e419d2696cd80df5a23cb6a8ea532021911bd76acb",
            npm=NpmResource(*_IMGLY, resource="/models/medium"),
            stored_form="fp32",
        ),
        ModelSpec(
            name="isnet-quint8",
            description="ISNet (DIS) general use; dynamic uint8 quantised",
            input_size=(1024, 1024),
            licence=_ISNET_LICENCE,
            source=_ISNET_SOURCE + " /models/small (uint8)",
            sha256="7001d60734fdc112dd9c062635fb59cd401fb82a9d4213134bce4dbd655c803a",
            npm=NpmResource(*_IMGLY, resource="/models/small"),
        ),
    )
}


def registry_path() -> Path:
    return alphacut_home() / "registry.json"


def user_models() -> dict[str, ModelSpec]:
    path = registry_path()
    if not path.exists():
        return {}
    try:
        records = json.loads(path.read_text())
        return {name: ModelSpec.from_json(record) for name, record in records.items()}
    except (ValueError, TypeError, KeyError) as exc:
        raise ModelError(f"{path}: unreadable model registry ({exc}); fix or delete the file") from None


def all_models() -> dict[str, ModelSpec]:
    return {**BUILTIN_MODELS, **user_models()}


def get_spec(name: str) -> ModelSpec:
    models = all_models()
    if name in models:
        return models[name]
    known = ", ".join(sorted(models))
    raise ModelError(f"unknown model {name!r}; known models: {known} (or pass a path to an .onnx file)")


_USER_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")


def check_user_model_name(name: str) -> None:
    """A user model's name becomes a folder in the store and a ``--model`` value: no built-in
    names, nothing a path could be mistaken for."""
    if name in BUILTIN_MODELS:
        raise ModelError(f"{name!r} is a built-in model name; choose another name")
    if not _USER_NAME.fullmatch(name) or name.endswith(".onnx"):
        raise ModelError(
            f"bad model name {name!r}: use letters, digits, '.', '_' and '-', not starting with '.' "
            "and not ending in .onnx"
        )


def save_user_model(spec: ModelSpec) -> None:
    check_user_model_name(spec.name)
    records = {name: s.to_json() for name, s in user_models().items()}
    records[spec.name] = spec.to_json()
    write_atomic(registry_path(), json.dumps(records, indent=2).encode())


def forget_user_model(name: str) -> ModelSpec:
    models = user_models()
    if name not in models:
        raise ModelError(f"{name!r} is not a user-added model")
    spec = models.pop(name)
    write_atomic(registry_path(), json.dumps({n: s.to_json() for n, s in models.items()}, indent=2).encode())
    return spec
