"""``alphacut compose``: put a subject (an RGBA cutout, or a photo cut out on the fly) on a new scene."""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import typer

from alphacut.cli.options import Fit, max_pixels_option, model_option, overwrite_option, quiet_option
from alphacut.cli.outputs import output_target, write_image


def compose(
    source: Path = typer.Argument(..., metavar="INPUT", help="An RGBA cutout, or a photo (cut out with --model)."),
    on: Optional[str] = typer.Option(None, "--on", metavar="BG", help="Background: a colour (white, #rrggbb, r,g,b), an image file, or 'blur'."),
    output: Optional[Path] = typer.Option(None, "-o", "--output", help="Output file (default: NAME.composed.png beside the input)."),
    fit: Fit = typer.Option(Fit.fill, "--fit", help="How a background image covers the canvas."),
    blur: float = typer.Option(15.0, "--blur", min=0.5, help="Blur (sigma, px) of --on blur."),
    position: Optional[str] = typer.Option(None, "--position", metavar="X,Y", help="Bottom centre of the subject, as fractions of the canvas (0.5,0.9)."),
    scale: Optional[float] = typer.Option(None, "--scale", min=0.01, max=4.0, help="Subject height as a fraction of the canvas height."),
    shadow: Optional[str] = typer.Option(None, "--shadow", help="drop or contact."),
    shadow_opacity: Optional[float] = typer.Option(None, "--shadow-opacity", min=0.0, max=1.0, help="Shadow darkness (default 0.45 drop, 0.5 contact)."),
    harmonize: float = typer.Option(0.0, "--harmonize", min=0.0, max=1.0, help="Match the subject's colours to the background near its edge (0-1)."),
    layout: Optional[str] = typer.Option(None, "--layout", help="ecommerce (square, centred, white) or id-photo (head and shoulders)."),
    size: Optional[str] = typer.Option(None, "--size", metavar="W[xH]", help="Canvas size in px (ecommerce: 2000, id-photo: 413x531)."),
    margin: float = typer.Option(0.08, "--margin", min=0.0, max=0.45, help="Air around the subject with --layout ecommerce (fraction of the side)."),
    model: str = model_option("Model used when INPUT is a photo, not a cutout."),
    overwrite: bool = overwrite_option(),
    max_pixels: Optional[int] = max_pixels_option(),
    quiet: bool = quiet_option(),
) -> None:
    """Put the subject on a colour, an image or its blurred photo, with shadow, harmonisation and layouts."""
    import numpy as np

    from alphacut.compose.background import parse_color
    from alphacut.compose.scene import Scene, compose_scene
    from alphacut.errors import InputError, OutputError
    from alphacut.io.decode import decode_first_frame
    from alphacut.io.limits import decode_limits

    target = output_target(source, output, ".composed", overwrite)
    canvas = _size(size, decode_limits(max_pixels).max_pixels)  # before any decoding
    background: dict = {}
    if on is not None:
        if on.strip().lower() == "blur":
            background["blur"] = blur
        elif Path(on).is_file():
            background["image"] = decode_first_frame(on, max_pixels=max_pixels)
            background["fit"] = fit.value
        else:
            try:
                background["color"] = parse_color(on)
            except InputError:
                raise InputError(f"--on {on!r}: not an image file, a colour (white, #rrggbb, r,g,b) or 'blur'") from None
    scene = Scene(
        **background, layout=layout, size=canvas, margin=margin, shadow=shadow, shadow_opacity=shadow_opacity,
        harmonize=harmonize, position=_fractions(position), height=scale,
    )
    picture = decode_first_frame(source, max_pixels=max_pixels)
    if picture.mode == "RGBA" and np.asarray(picture.getchannel("A")).min() < 255:
        alpha = np.asarray(picture.getchannel("A"))
        foreground = picture.convert("RGB")  # alphacut cutouts carry decontaminated colours
    else:
        from alphacut.models import load_model
        from alphacut.pipeline import Remover

        matte = Remover(load_model(model)).matte(picture)
        alpha, foreground = matte.alpha, matte.colours
        foreground = foreground.convert("RGB")
    result = compose_scene(foreground, alpha, scene, original=foreground)
    if result.mode == "RGBA" and target.suffix.lower() in (".jpg", ".jpeg"):
        raise OutputError("JPEG has no transparency: add --on COLOR or write png/webp")
    write_image(result, target)
    if not quiet:
        print(f"composed {result.width}x{result.height} -> {target}", file=sys.stderr)
    if (alpha < 8).all():
        raise InputError(f"{source}: no subject found (the alpha is empty); the output shows only the background")


def _size(text: Optional[str], max_pixels: int) -> Optional[tuple[int, int]]:
    """``W`` or ``WxH`` in pixels; a canvas over ``max_pixels`` is refused as an image would be."""
    from alphacut.errors import ImageTooLargeError, InputError

    if text is None:
        return None
    parts = text.lower().replace(",", "x").split("x")
    try:
        values = [int(part) for part in parts]
    except ValueError:
        values = []
    if len(values) not in (1, 2) or min(values) < 1 or max(values) > 30000:
        raise InputError(f"bad --size {text!r}; use W or WxH in pixels")
    width, height = values[0], values[-1]
    if width * height > max_pixels:
        raise ImageTooLargeError(f"--size {text}: a {width}x{height} canvas is {width * height:,} pixels, over the "
                                 f"limit of {max_pixels:,}; raise it with --max-pixels")
    return width, height


def _fractions(text: Optional[str]) -> Optional[tuple[float, float]]:
    from alphacut.errors import InputError

    if text is None:
        return None
    try:
        x, y = (float(part) for part in text.split(","))
    except ValueError:
        raise InputError(f"bad --position {text!r}; use X,Y as fractions of the canvas (0.5,0.9)") from None
    return x, y
