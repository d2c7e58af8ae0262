"""Hole fillers behind one small interface, chosen by name.

A filler takes ``rgb`` (H x W x 3 uint8) and ``hole`` (H x W bool, True = repaint) and returns a
new H x W x 3 uint8 image whose pixels outside the hole equal the input exactly.

Names: ``telea`` and ``ns`` (OpenCV's diffusion fillers, for thin regions), ``exemplar``
(PatchMatch-based patch synthesis, the offline default for large holes) and ``onnx:PATH`` (a
learned inpainter supplied by the user, see :mod:`alphacut.edit.fillers.onnx_filler`).
"""
from __future__ import annotations

from alphacut.edit.fillers.base import FILLER_NAMES, Filler, fill_hole, get_filler

__all__ = ["FILLER_NAMES", "Filler", "fill_hole", "get_filler"]
