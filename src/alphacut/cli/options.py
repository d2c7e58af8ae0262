"""Option types and declarations that several ``alphacut`` commands share, defined once.

The Enums are the choices typer validates; the ``*_option`` factories return a fresh
``typer.Option`` per command (each command may word its help for what the option does there).
Only typer and ``alphacut.config`` are imported: every command module imports this one at
start-up, and ``alphacut --help`` must not pay for NumPy or ONNX.
"""
from __future__ import annotations

import os
from enum import Enum
from typing import Any, Optional

import typer

from alphacut.config import DEFAULT_MAX_FRAMES, DEFAULT_MAX_PIXELS, DEFAULT_MODEL


class Fit(str, Enum):
    """How a background image covers the frame."""

    fill = "fill"
    fit = "fit"
    stretch = "stretch"


class Device(str, Enum):
    cpu = "cpu"
    cuda = "cuda"


class EngineChoice(str, Enum):
    local = "local"
    ray = "ray"


class RuntimeChoice(str, Enum):
    auto = "auto"
    onnxruntime = "onnxruntime"
    openvino = "openvino"


def model_option(help: str = "Registered model name or path to an .onnx file.") -> Any:
    """``-m/--model NAME``, defaulting to the registry's default model."""
    return typer.Option(DEFAULT_MODEL, "-m", "--model", help=help)


def device_option(help: str = "cpu, or cuda (fails if CUDA is not really used).") -> Any:
    return typer.Option(Device.cpu, "--device", help=help)


def runtime_option(help: str = "Inference engine.") -> Any:
    return typer.Option(RuntimeChoice.auto, "--runtime", help=help)


def threads_option(help: str = "CPU threads for the model (default: all cores).") -> Any:
    return typer.Option(None, "--threads", min=1, callback=_at_most_the_cores, help=help)


def _at_most_the_cores(value: Optional[int]) -> Optional[int]:
    """More model threads than cores only wait on each other (onnxruntime's threads spin): a
    thousand of them on two cores run for minutes, and a count past a C int does not start."""
    cores = os.cpu_count() or 1
    if value is not None and value > cores:
        raise typer.BadParameter(f"{value} is more than the {cores} CPU cores of this machine")
    return value


def max_pixels_option(
    default: Optional[int] = None,
    help: str = f"Refuse images that decode to more pixels, all frames of an animation counted "
                f"(default {DEFAULT_MAX_PIXELS // 1_000_000} MP, or ALPHACUT_MAX_PIXELS).",
) -> Any:
    """``--max-pixels N``; ``None`` leaves the limit to ``alphacut.config`` (and ``ALPHACUT_MAX_PIXELS``)."""
    return typer.Option(default, "--max-pixels", min=1, help=help)


def max_frames_option(
    default: Optional[int] = None,
    help: str = f"Refuse animations with more frames (default {DEFAULT_MAX_FRAMES}, or ALPHACUT_MAX_FRAMES).",
) -> Any:
    """``--max-frames N``; ``None`` leaves the limit to ``alphacut.config`` (and ``ALPHACUT_MAX_FRAMES``)."""
    return typer.Option(default, "--max-frames", min=1, help=help)


def overwrite_option(help: str = "Replace existing outputs.") -> Any:
    return typer.Option(False, "--overwrite", help=help)


def quiet_option(help: str = "No summary line.") -> Any:
    return typer.Option(False, "-q", "--quiet", help=help)


def review_db_option(name: str = "--db") -> Any:
    """Where review votes are kept: ``--db`` in ``alphacut review``, ``--review-db`` in ``alphacut serve``."""
    return typer.Option(None, name, help="Review votes: a SQLite path or postgresql:// URL "
                                         "(default: ALPHACUT_REVIEW_DB or reviews.sqlite3 in the alphacut home).")
