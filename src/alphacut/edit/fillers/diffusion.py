"""Diffusion fillers from OpenCV: Telea's fast marching method (Telea, "An Image Inpainting
Technique Based on the Fast Marching Method", J. Graphics Tools 2004) and the Navier-Stokes
method (Bertalmio, Bertozzi and Sapiro, CVPR 2001).

Both propagate boundary colours inwards along isophotes: excellent for thin regions (scratches,
wires, text, the seam left by a dilated mask), blurry smears for holes wider than a few pixels.
"""
from __future__ import annotations

import cv2
import numpy as np

from alphacut.edit.fillers.base import check_inputs
from alphacut.edit.fillers.registry import register_filler
from alphacut.errors import OptionError

_FLAGS = {"telea": cv2.INPAINT_TELEA, "ns": cv2.INPAINT_NS}


class DiffusionFiller:
    """``cv2.inpaint`` with ``method`` ``telea`` or ``ns`` and a neighbourhood of ``radius`` px."""

    def __init__(self, method: str = "telea", radius: int = 5):
        if method not in _FLAGS:
            raise OptionError(f"method must be telea or ns, not {method!r}")
        if isinstance(radius, bool) or not isinstance(radius, int) or radius < 1:
            raise OptionError(f"a diffusion radius must be a whole number of pixels >= 1, not {radius!r}")
        self.name = method
        self.radius = radius

    def fill(self, rgb: np.ndarray, hole: np.ndarray) -> np.ndarray:
        rgb, hole = check_inputs(rgb, hole)
        mask = hole.astype(np.uint8) * 255
        bgr = cv2.inpaint(np.ascontiguousarray(rgb[..., ::-1]), mask, self.radius, _FLAGS[self.name])
        return np.ascontiguousarray(bgr[..., ::-1])


@register_filler("telea")
def telea(**options) -> DiffusionFiller:
    """Telea's fast marching fill."""
    return DiffusionFiller("telea", **options)


@register_filler("ns")
def navier_stokes(**options) -> DiffusionFiller:
    """The Navier-Stokes fill."""
    return DiffusionFiller("ns", **options)
