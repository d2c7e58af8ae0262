"""``alphacut models``: list, install, add and remove models."""
from __future__ import annotations

import shutil
from pathlib import Path
from typing import List, Optional

import typer

from alphacut.cli.options import threads_option
from alphacut.cli.tables import print_table
from alphacut.config import DEFAULT_MODEL

models_app = typer.Typer(help="List, install and register models.", no_args_is_help=True)


@models_app.command("list")
def list_models() -> None:
    """Show installed and installable models."""
    from alphacut.models import all_models, is_installed
    from alphacut.models.store import manifest_of

    rows = []
    for name, spec in all_models().items():
        installed = is_installed(spec)
        manifest = manifest_of(name) or {}
        size = f"{manifest['size'] / 1e6:.0f} MB" if manifest.get("size") else ""
        status = "installed" if installed else "not installed"
        label = f"{name} (default)" if name == DEFAULT_MODEL else name
        rows.append((label, status, "x".join(map(str, spec.input_size)), size, spec.licence, spec.description))
    print_table(None, ("name", "status", "input", "size", "licence", "description"), rows)


@models_app.command("install")
def install(
    names: Optional[List[str]] = typer.Argument(None, metavar="[NAME...]", help=f"Models to install (default: {DEFAULT_MODEL})."),
    all_models: bool = typer.Option(False, "--all", help="Install every installable model."),
    from_tarball: Optional[Path] = typer.Option(
        None, "--from-tarball", help="Use a tarball made earlier with 'npm pack' (offline installs)."
    ),
    force: bool = typer.Option(False, "--force", help="Reinstall even if present (and rebuild the int8 form)."),
    optimize: bool = typer.Option(
        True, "--optimize/--no-optimize",
        help="Build the int8 form where this CPU gains from it (about a minute; the default), kept only if its masks "
             "agree with fp32; --no-optimize keeps the float form only.",
    ),
    threads: Optional[int] = threads_option("CPU threads for building the int8 form (default: all cores)."),
) -> None:
    """Fetch the weights with npm, verify every chunk's sha256, convert and store them; then build
    the faster int8 form where this CPU gains from it, calibrated and checked on generated scenes
    (no photos needed; --no-optimize skips it)."""
    from alphacut.cli.progress import StageProgress
    from alphacut.models import get_spec
    from alphacut.models.fast_form import settle_fast_form
    from alphacut.models.install import install_models
    from alphacut.models.registry import BUILTIN_MODELS

    specs = list(BUILTIN_MODELS.values()) if all_models else [get_spec(n) for n in (names or [DEFAULT_MODEL])]
    if from_tarball is not None and not from_tarball.is_file():
        from alphacut.errors import InstallError

        raise InstallError(f"{from_tarball}: no such tarball")
    results = install_models(specs, tarball=from_tarball, force=force, report=lambda m: typer.echo(m, err=True))
    for result in results:
        with StageProgress(result.spec.name) as progress:
            line = settle_fast_form(result.spec, optimize=optimize, force=force, threads=threads, progress=progress.update)
        typer.echo(line, err=True)


@models_app.command("add")
def add(
    name: str = typer.Argument(..., help="Name to use with --model."),
    file: Path = typer.Argument(..., help="The ONNX file (copied into the model store)."),
    input_size: Optional[int] = typer.Option(None, "--input-size", help="Square input size (default: read from the graph)."),
    mean: str = typer.Option("0.5,0.5,0.5", "--mean", help="Per-channel mean after scaling."),
    std: str = typer.Option("1,1,1", "--std", help="Per-channel std after scaling."),
    scale: float = typer.Option(1 / 255, "--scale", help="Multiplier applied to 0-255 pixels first."),
    resize_filter: str = typer.Option("bilinear", "--resize-filter", help="bilinear, bicubic, lanczos or nearest."),
    activation: str = typer.Option("none", "--activation", help="none, sigmoid or minmax."),
    output_name: Optional[str] = typer.Option(None, "--output-name", help="Output tensor to use (default: first)."),
    licence: str = typer.Option("unknown", "--licence"),
) -> None:
    """Register your own ONNX model under a name."""
    from alphacut.errors import ModelError
    from alphacut.models import spec_for_file
    from alphacut.models.install import add_user_model
    from alphacut.models.session import RESIZE_FILTERS

    if resize_filter not in RESIZE_FILTERS:
        raise ModelError(f"--resize-filter must be one of {', '.join(RESIZE_FILTERS)}")
    if activation not in ("none", "sigmoid", "minmax"):
        raise ModelError("--activation must be none, sigmoid or minmax")
    spec = spec_for_file(
        file,
        input_size=(input_size, input_size) if input_size else None,
        mean=_triple(mean, "--mean"),
        std=_triple(std, "--std"),
        scale=scale,
        resize_filter=resize_filter,
        activation=activation,
        output=output_name,
        licence=licence,
        source=f"user file {file.name}",
    )
    from dataclasses import replace

    record = add_user_model(replace(spec, name=name, description=f"user model from {file.name}"), file)
    typer.echo(f"added {name}: {record.file}", err=True)


@models_app.command("remove")
def remove_model(name: str = typer.Argument(..., help="Installed or user-added model to delete.")) -> None:
    """Delete a model's files (and forget it, if you added it)."""
    from alphacut.models.registry import get_spec, user_models, forget_user_model
    from alphacut.models.store import model_dir

    get_spec(name)
    if name in user_models():
        forget_user_model(name)
    shutil.rmtree(model_dir(name), ignore_errors=True)
    typer.echo(f"removed {name}", err=True)


@models_app.command("optimize")
def optimize(
    name: str = typer.Argument(..., help="Installed model to optimise (e.g. isnet)."),
    gate: Path = typer.Option(..., "--gate", help="Evaluation set (images/ and gt/) every form must agree on."),
    calibration: List[Path] = typer.Option(
        ..., "--calib", help="Folder of real images for int8 calibration, disjoint from --gate (repeatable)."
    ),
    calibration_count: int = typer.Option(64, "--calib-count", min=1, help="Calibration images used."),
    limit: Optional[int] = typer.Option(None, "--limit", min=1, help="Only the first N gate images (quick look)."),
    max_d_iou: float = typer.Option(0.005, "--max-d-iou", min=0.0, help="Largest IoU change accepted."),
    max_d_mae: float = typer.Option(0.002, "--max-d-mae", min=0.0, help="Largest MAE change accepted."),
    threads: Optional[int] = threads_option("CPU threads (default: all cores)."),
    force: bool = typer.Option(False, "--force", help="Rebuild and re-measure even if an identical run is recorded."),
) -> None:
    """Build faster forms (OpenVINO bf16, selective int8), keep those whose masks stay within the
    tolerances of the fp32 model on --gate, and let --runtime auto use the fastest kept one."""
    from alphacut.models import get_spec
    from alphacut.workflows.optimize import TABLE_HEADER, optimize as run_optimize, table as rows_of

    spec = get_spec(name)
    forms, cached = run_optimize(
        spec, gate, list(calibration), calibration_count=calibration_count, limit=limit, max_d_iou=max_d_iou,
        max_d_mae=max_d_mae, threads=threads, force=force, report=lambda m: typer.echo(m, err=True),
    )
    title = f"{name}: forms on {gate.name}" + (" (recorded earlier; --force to redo)" if cached else "")
    numbers = [column for column in TABLE_HEADER if column not in ("form", "runtime")]
    print_table(title, TABLE_HEADER, rows_of(forms), right_aligned=numbers)


def _triple(text: str, option: str) -> tuple[float, float, float]:
    from alphacut.errors import ModelError

    try:
        values = [float(v) for v in text.split(",")]
    except ValueError:
        raise ModelError(f"{option}: expected three numbers like 0.5,0.5,0.5") from None
    if len(values) == 1:
        values *= 3
    if len(values) != 3:
        raise ModelError(f"{option}: expected three numbers like 0.5,0.5,0.5")
    return (values[0], values[1], values[2])
