"""Hole fillers behind one small interface, chosen by name.

A filler takes ``rgb`` (H x W x 3 uint8) and ``hole`` (H x W bool, True = repaint) and returns a
new H x W x 3 uint8 image whose pixels outside the hole equal the input exactly.

Names: ``telea`` and ``ns`` (OpenCV's diffusion fillers, for thin regions), ``exemplar``
(PatchMatch-based patch synthesis, the offline default for large holes) and ``onnx:PATH`` (a
learned inpainter supplied by the user, see :mod:`alphacut.edit.fillers.onnx_filler`).

Each filler module registers its names with :func:`register_filler` when imported; this is the
one place that imports them all. A new filler is a module here with a decorated factory, and a
line below.
"""
from __future__ import annotations

from alphacut.edit.fillers import diffusion, exemplar, onnx_filler  # noqa: F401  (they register their names)
from alphacut.edit.fillers.base import Filler, fill_hole
from alphacut.edit.fillers.registry import DEFAULT_FILLER, filler_names, get_filler, register_filler

#: Names accepted by :func:`get_filler`; ``onnx:PATH`` names a user's learned inpainter.
FILLER_NAMES = filler_names()

__all__ = ["DEFAULT_FILLER", "FILLER_NAMES", "Filler", "fill_hole", "filler_names", "get_filler", "register_filler"]
