"""The cutout itself: the original colours with the alpha matte as a straight (unassociated) channel."""
from __future__ import annotations

import numpy as np
from PIL import Image


def cutout(image: Image.Image, alpha: np.ndarray) -> Image.Image:
    """RGBA with the input's RGB untouched and ``alpha`` (uint8, H x W) as the alpha channel.

    Straight alpha, not premultiplied: compositing premultiplied colours a second time is what
    gives peers' cutouts their dark halos.
    """
    if image.mode == "RGBA":
        rgba = image.copy()
    elif image.mode == "RGB":
        rgba = image.convert("RGBA")  # one copy: a 100 MP photo is 400 MB as RGBA
    else:
        rgba = image.convert("RGB").convert("RGBA")
    rgba.putalpha(Image.fromarray(alpha, "L"))
    return rgba


def mask_image(alpha: np.ndarray) -> Image.Image:
    return Image.fromarray(alpha, "L")
