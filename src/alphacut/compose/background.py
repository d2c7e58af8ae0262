"""Putting the subject on a new background: a solid colour or an image (fit or fill)."""
from __future__ import annotations

import numpy as np
from PIL import Image, ImageColor, ImageOps

from alphacut.errors import OptionError

Color = tuple[int, int, int, int]


def parse_color(text: str) -> Color:
    """``white``, ``#ff8800``, ``#ff880080``, ``255,136,0`` or ``255,136,0,128`` to RGBA."""
    value = text.strip()
    try:
        if "," in value:
            parts = [int(part) for part in value.split(",")]
            if len(parts) not in (3, 4) or not all(0 <= part <= 255 for part in parts):
                raise ValueError
            return (parts[0], parts[1], parts[2], parts[3] if len(parts) == 4 else 255)
        rgba = ImageColor.getcolor(value, "RGBA")
        return tuple(rgba)  # type: ignore[return-value]
    except ValueError:
        raise OptionError(f"bad colour {text!r}; use a name (white), #rrggbb[aa] or r,g,b[,a]") from None


def over(foreground: Image.Image, background: Image.Image) -> Image.Image:
    """Straight-alpha 'over' of an RGBA cutout onto an RGB(A) background of the same size."""
    return Image.alpha_composite(background.convert("RGBA"), foreground)


def on_color(foreground: Image.Image, color: Color) -> Image.Image:
    composed = over(foreground, Image.new("RGBA", foreground.size, color))
    return composed.convert("RGB") if color[3] == 255 else composed


def fit_background(background: Image.Image, size: tuple[int, int], mode: str) -> Image.Image:
    """Scale ``background`` to ``size``: ``fill`` covers and crops the centre, ``fit`` letterboxes
    (the bars are transparent) and ``stretch`` ignores the aspect ratio."""
    source = background.convert("RGBA")
    if mode == "fill":
        return ImageOps.fit(source, size, Image.Resampling.LANCZOS)
    if mode == "stretch":
        return source.resize(size, Image.Resampling.LANCZOS)
    if mode == "fit":
        canvas = Image.new("RGBA", size, (0, 0, 0, 0))
        fitted = ImageOps.contain(source, size, Image.Resampling.LANCZOS)
        canvas.paste(fitted, ((size[0] - fitted.width) // 2, (size[1] - fitted.height) // 2))
        return canvas
    raise OptionError(f"unknown background fit {mode!r}; use fill, fit or stretch")


def on_image(foreground: Image.Image, background: Image.Image, mode: str = "fill") -> Image.Image:
    composed = over(foreground, fit_background(background, foreground.size, mode))
    alpha = np.asarray(composed.getchannel("A"))
    return composed.convert("RGB") if alpha.min() == 255 else composed
