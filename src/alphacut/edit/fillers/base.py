"""The filler protocol, the registry of names, and the guard that keeps known pixels exact."""
from __future__ import annotations

from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np

from alphacut.errors import InputError

#: Names accepted by :func:`get_filler`; ``onnx:PATH`` names a user's learned inpainter.
FILLER_NAMES = ("exemplar", "telea", "ns", "onnx:PATH")
DEFAULT_FILLER = "exemplar"


@runtime_checkable
class Filler(Protocol):
    """Repaints the pixels where ``hole`` is True; ``name`` is shown in reports."""

    name: str

    def fill(self, rgb: np.ndarray, hole: np.ndarray) -> np.ndarray:
        """H x W x 3 uint8 from H x W x 3 uint8 ``rgb`` and H x W bool ``hole``."""
        ...


def get_filler(name: str, **options) -> Filler:
    """A filler by name: ``exemplar``, ``telea``, ``ns`` or ``onnx:PATH`` (options go to its constructor)."""
    key = name.strip()
    if key == "exemplar":
        from alphacut.edit.fillers.exemplar import ExemplarFiller

        return ExemplarFiller(**options)
    if key in ("telea", "ns"):
        from alphacut.edit.fillers.diffusion import DiffusionFiller

        return DiffusionFiller(key, **options)
    if key.startswith("onnx:"):
        from alphacut.edit.fillers.onnx_filler import OnnxFiller

        return OnnxFiller(Path(key[len("onnx:"):]), **options)
    if key.endswith(".onnx"):
        from alphacut.edit.fillers.onnx_filler import OnnxFiller

        return OnnxFiller(Path(key), **options)
    raise InputError(f"unknown filler {name!r}; use {', '.join(FILLER_NAMES)}")


def check_inputs(rgb: np.ndarray, hole: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``rgb`` as contiguous uint8 H x W x 3 and ``hole`` as bool of the same size, or InputError."""
    rgb = np.asarray(rgb)
    hole = np.asarray(hole)
    if rgb.dtype != np.uint8 or rgb.ndim != 3 or rgb.shape[2] != 3:
        raise InputError(f"a filler needs H x W x 3 uint8 RGB, got {rgb.dtype} {rgb.shape}")
    if hole.shape != rgb.shape[:2]:
        raise InputError(f"hole mask is {hole.shape[1]}x{hole.shape[0]} but the image is {rgb.shape[1]}x{rgb.shape[0]}")
    return np.ascontiguousarray(rgb), hole.astype(bool)


def fill_hole(filler: Filler, rgb: np.ndarray, hole: np.ndarray) -> np.ndarray:
    """Run ``filler`` and paste only its hole pixels over ``rgb``: everything outside the hole
    stays pixel-exact whatever the filler does elsewhere."""
    rgb, hole = check_inputs(rgb, hole)
    if not hole.any():
        return rgb.copy()
    if hole.all():
        raise InputError("the hole covers the whole image: nothing is left to fill it from")
    filled = np.asarray(filler.fill(rgb, hole))
    out = rgb.copy()
    out[hole] = filled[hole]
    return out
