"""User hints: brush strokes that mark pixels to keep or remove, forced into the alpha matte.

Hints arrive as an image the size of the photo (any size: resized nearest-neighbour):

* colour strokes (RGB or RGBA): red-dominant pixels mean *keep*, blue-dominant pixels *remove*;
  transparent or grey/black pixels carry no hint (the web page paints red and blue on a clear canvas);
* a greyscale trimap (mode ``L``): ``>= 192`` keep, ``<= 63`` remove, anything between (e.g. 128) no hint.

The refiner forces them before matting, so the trimap treats them as known foreground/background
and matting propagates them into the soft band, and again after matting, so no later stage can undo
them (the user-scribble constraint of interactive matting, Levin et al. 2008, as hard constraints).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image

from alphacut.errors import InputError

#: A colour channel must exceed this and beat the other two by ``_MARGIN`` to count as a stroke.
_STROKE_LEVEL = 128
_MARGIN = 64


@dataclass(frozen=True)
class Hints:
    """Boolean masks (H x W) of pixels the user marked; they never overlap (remove wins)."""

    keep: np.ndarray
    remove: np.ndarray

    @property
    def empty(self) -> bool:
        return not (self.keep.any() or self.remove.any())


def parse_hints(image: Image.Image, size: tuple[int, int]) -> Hints:
    """Read a hint image (see the module doc) and scale it to ``size`` (width, height)."""
    if image.size != size:
        image = image.resize(size, Image.Resampling.NEAREST)
    if image.mode in ("L", "I", "I;16", "F", "1"):
        grey = np.asarray(image.convert("L"))
        keep, remove = grey >= 192, grey <= 63
    elif image.mode in ("RGB", "RGBA", "P", "PA", "LA", "CMYK", "YCbCr"):
        rgba = np.asarray(image.convert("RGBA")).astype(np.int16)
        red, green, blue, opacity = (rgba[..., channel] for channel in range(4))
        painted = opacity >= _STROKE_LEVEL
        keep = painted & (red >= _STROKE_LEVEL) & (red - np.maximum(green, blue) >= _MARGIN)
        remove = painted & (blue >= _STROKE_LEVEL) & (blue - np.maximum(red, green) >= _MARGIN)
    else:
        raise InputError(f"hint image has unsupported mode {image.mode}; send RGBA strokes or a grey trimap")
    return Hints(keep=keep & ~remove, remove=remove)


def apply_hints(alpha: np.ndarray, hints: Hints | None) -> np.ndarray:
    """``alpha`` with kept pixels set to 1 and removed pixels set to 0 (a new array)."""
    if hints is None:
        return alpha
    if hints.keep.shape != alpha.shape:
        raise InputError(f"hints are {hints.keep.shape[::-1]} but the image is {alpha.shape[::-1]}")
    forced = np.array(alpha, dtype=np.float32, copy=True)
    forced[hints.keep] = 1.0
    forced[hints.remove] = 0.0
    return forced
