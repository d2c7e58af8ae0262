"""Object removal and background repainting: a mask, a little growth, a filler."""
from __future__ import annotations

import numpy as np
from PIL import Image

from alphacut.edit.fillers import Filler, fill_hole
from alphacut.edit.select import grow


def erase(image: Image.Image, mask: np.ndarray, filler: Filler, dilate: int = 0) -> Image.Image:
    """``image`` with the pixels of ``mask`` (grown by ``dilate`` px) repainted by ``filler``.

    An RGBA input keeps its alpha channel; every pixel outside the grown mask is unchanged.
    """
    hole = grow(mask.astype(bool), dilate)
    rgb = np.asarray(image.convert("RGB"))
    filled = Image.fromarray(fill_hole(filler, rgb, hole))
    if image.mode == "RGBA":
        filled.putalpha(image.getchannel("A"))
    return filled


def replace_background(image: Image.Image, alpha: np.ndarray, filler: Filler, *, subject_alpha: int = 8) -> Image.Image:
    """Repaint everything but the subject with ``filler``; opaque subject pixels stay exact.

    The hole is the background: pixels with alpha at most ``subject_alpha`` (of 255). Soft edge
    pixels are recomposed as alpha x F + (1 - alpha) x new background, with F the decontaminated
    foreground colour (Forte and Pitie 2021), so no halo of the old background is left.
    """
    from scipy import ndimage

    from alphacut.refine.foreground import decontaminate

    rgb = np.asarray(image.convert("RGB"))
    hole = alpha <= subject_alpha
    painted = fill_hole(filler, rgb, hole)
    soft = (alpha > subject_alpha) & (alpha < 255)
    if soft.any():
        foreground = decontaminate(rgb, alpha).astype(np.float32)
        _, (iy, ix) = ndimage.distance_transform_edt(~hole, return_indices=True)
        under = painted[iy, ix].astype(np.float32)  # the new background under an edge pixel
        weight = (alpha.astype(np.float32) / 255.0)[..., None]
        blended = np.rint(weight * foreground + (1 - weight) * under).astype(np.uint8)
        painted = painted.copy()
        painted[soft] = blended[soft]
    return Image.fromarray(painted)
