"""What every filler shares: the :class:`Filler` protocol, the input check, and the guard that keeps
known pixels exact. Names are looked up in :mod:`alphacut.edit.fillers.registry`."""
from __future__ import annotations

from typing import Protocol, runtime_checkable

import numpy as np

from alphacut.errors import InputError


@runtime_checkable
class Filler(Protocol):
    """Repaints the pixels where ``hole`` is True; ``name`` is shown in reports."""

    name: str

    def fill(self, rgb: np.ndarray, hole: np.ndarray) -> np.ndarray:
        """H x W x 3 uint8 from H x W x 3 uint8 ``rgb`` and H x W bool ``hole``."""
        ...


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
