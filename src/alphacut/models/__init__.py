"""Models: a registry of specs, a store of verified files, and sessions that run them."""
from __future__ import annotations

import threading
from pathlib import Path

from alphacut.errors import ModelError
from alphacut.models.fingerprint import file_identity
from alphacut.models.forms import base_fingerprint, best_form
from alphacut.models.runtimes import choose_runtime, open_runtime
from alphacut.models.registry import DEFAULT_MODEL, all_models, get_spec
from alphacut.models.session import SalientSession, SideRuntimes, create_session
from alphacut.models.spec import ModelSpec
from alphacut.models.store import installed_file, is_installed, model_dir

__all__ = [
    "DEFAULT_MODEL",
    "ModelSpec",
    "SalientSession",
    "all_models",
    "get_spec",
    "is_installed",
    "load_model",
    "spec_for_file",
]

_sessions: dict[tuple, SalientSession] = {}
_sessions_lock = threading.Lock()


def looks_like_path(name: str) -> bool:
    return name.endswith(".onnx") or "/" in name or "\\" in name


def spec_for_file(path: Path, **overrides) -> ModelSpec:
    """A spec for an ONNX file used directly; the input size is read from the graph when static."""
    if not path.is_file():
        raise ModelError(f"{path}: no such ONNX file")
    overrides = {key: value for key, value in overrides.items() if value is not None}
    if "input_size" not in overrides:
        overrides["input_size"] = _static_input_size(path) or (1024, 1024)
    return ModelSpec(name=path.stem, description=f"ONNX file {path}", file=str(path.resolve()), **overrides)


def _static_input_size(path: Path) -> tuple[int, int] | None:
    import onnx

    try:
        graph = onnx.load(str(path), load_external_data=False).graph
    except Exception as exc:
        raise ModelError(f"{path}: not a readable ONNX file ({exc})") from None
    dims = [dim.dim_value for dim in graph.input[0].type.tensor_type.shape.dim]
    if len(dims) == 4 and dims[2] > 0 and dims[3] > 0:
        return dims[3], dims[2]
    return None


def load_model(
    name: str | Path | ModelSpec = DEFAULT_MODEL,
    *,
    device: str = "cpu",
    threads: int | None = None,
    runtime: str = "auto",
) -> SalientSession:
    """Return a ready session for a registered model name, a spec, or a path to an ONNX file.

    Sessions are cached: loading the same model twice returns the same object, so calling
    :func:`alphacut.remove` in a loop never reloads weights. With ``runtime="auto"`` on the CPU, the
    fastest form verified on this kind of CPU (by ``models install`` or ``models optimize``) is used,
    if any (a store model installed before install built one gets it on the first ``alphacut
    remove`` or ``serve``: :func:`alphacut.cli.progress.settle_on_first_run`).
    """
    if isinstance(name, ModelSpec):
        spec = name
    elif isinstance(name, Path) or looks_like_path(str(name)):
        spec = spec_for_file(Path(name))
    else:
        spec = get_spec(str(name))
    # the store folder is part of the key: the same name in another store (ALPHACUT_HOME) is another
    # model; a file given by path is keyed by what it is now (replaced in place, it is reloaded).
    # The manifest is read only on a miss, so cached calls of store models do no file I/O.
    if spec.file:
        file = Path(spec.file)
        location: object = (file, file_identity(file)) if file.is_file() else file  # missing: installed_file says so
    else:
        location = model_dir(spec.name)
    key = (spec, location, device, threads, runtime)
    with _sessions_lock:
        session = _sessions.get(key)
        if session is None:
            path, precision = installed_file(spec), None
            # forms and caches are keyed by content: the manifest's sha256 for store models, else
            # hashed where needed (memoised, so best_form and the engine hash a file once)
            fingerprint = None if spec.file else base_fingerprint(spec, path)
            # other input sides come from the base file (never from an int8 form) as asked for
            other_sides = SideRuntimes(
                path, fingerprint,
                lambda graph, side, runtime=runtime: open_runtime(
                    graph, output=spec.output, device=device, threads=threads, runtime=runtime, side=side),
            )
            if runtime == "auto" and device == "cpu":
                chosen = best_form(spec, path)  # verified by `models install` or `models optimize` on this kind of CPU
                if chosen is not None:
                    form, path = chosen
                    runtime, precision, fingerprint = form.runtime, form.precision, None
            if device == "cuda" and runtime in ("auto", "onnxruntime"):
                from alphacut.models.batched import open_cuda_session

                choose_runtime(runtime, device)
                session = open_cuda_session(spec, path, threads=threads, fingerprint=fingerprint)
            else:
                session = create_session(
                    spec, path, device=device, threads=threads, runtime=runtime, precision=precision,
                    fingerprint=fingerprint,
                )
            session.other_sides = other_sides
            _sessions[key] = session
        return session
