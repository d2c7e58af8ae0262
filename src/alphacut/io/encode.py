"""Encode frames to PNG/WebP/JPEG/GIF/TIFF bytes (files are written by :func:`alphacut.io.files.write_atomic`)."""
from __future__ import annotations

import io
from pathlib import Path
from typing import Sequence

from PIL import Image

from alphacut.config import PNG_LEVEL
from alphacut.errors import OutputError

#: Formats we write, by file extension. JPEG has no alpha: it is only for masks or a solid background.
FORMATS_BY_EXTENSION = {
    ".png": "PNG",
    ".webp": "WEBP",
    ".jpg": "JPEG",
    ".jpeg": "JPEG",
    ".gif": "GIF",
    ".tif": "TIFF",
    ".tiff": "TIFF",
}
EXTENSION_BY_FORMAT = {"PNG": ".png", "WEBP": ".webp", "JPEG": ".jpg", "GIF": ".gif", "TIFF": ".tiff"}


def format_for_path(path: str | Path) -> str:
    suffix = Path(path).suffix.lower()
    try:
        return FORMATS_BY_EXTENSION[suffix]
    except KeyError:
        known = ", ".join(sorted(FORMATS_BY_EXTENSION))
        raise OutputError(f"{path}: unknown output extension {suffix or '(none)'}; use one of {known}") from None


def normalise_format(name: str) -> str:
    fmt = name.upper().lstrip(".")
    fmt = {"JPG": "JPEG", "TIF": "TIFF"}.get(fmt, fmt)
    if fmt not in EXTENSION_BY_FORMAT:
        raise OutputError(f"unknown output format {name!r}; use png, webp, jpg, gif or tiff")
    return fmt


def encode_frames(
    frames: Sequence[Image.Image],
    fmt: str,
    *,
    durations: Sequence[int | None] | None = None,
    loop: int | None = None,
    png_level: int = PNG_LEVEL,
) -> bytes:
    """Encode one image, or an animation when given several frames (APNG, animated WebP or GIF).

    PNG and WebP keep 8-bit alpha; WebP is written lossless so cutouts keep exact edges; GIF keeps
    only on/off transparency (alpha >= 128 is opaque). ``png_level``: zlib level of PNG output,
    0 (none) to 9 (smallest, slowest); the pixels are the same at every level.
    """
    if not 0 <= png_level <= 9:
        raise OutputError(f"PNG compression level must be 0 to 9, not {png_level}")
    fmt = normalise_format(fmt)
    prepared = [_for_format(frame, fmt) for frame in frames]
    buffer = io.BytesIO()
    options: dict = {}
    if fmt == "PNG":
        options["compress_level"] = png_level
    elif fmt == "WEBP":
        options.update(lossless=True, quality=80, method=3)
    elif fmt == "JPEG":
        options.update(quality=95)
    if len(prepared) > 1:
        if fmt not in ("PNG", "WEBP", "GIF"):
            raise OutputError(f"{fmt} cannot hold an animation; write png, webp or gif")
        options.update(save_all=True, append_images=prepared[1:])
        known = [d for d in (durations or []) if d]
        if known:
            options["duration"] = [d or known[0] for d in durations]  # type: ignore[union-attr]
        options["loop"] = 0 if loop is None else loop
        if fmt == "GIF":
            options["disposal"] = 2
    prepared[0].save(buffer, format=fmt, **options)
    return buffer.getvalue()


def _for_format(image: Image.Image, fmt: str) -> Image.Image:
    if fmt == "JPEG":
        if image.mode in ("RGBA", "LA"):
            raise OutputError("JPEG has no transparency: use --bg COLOR, --mask, or a png/webp output")
        return image if image.mode in ("RGB", "L") else image.convert("RGB")
    if fmt == "GIF" and image.mode == "RGBA":
        return _gif_frame(image)
    return image


def _gif_frame(image: Image.Image) -> Image.Image:
    alpha = image.getchannel("A")
    paletted = image.convert("RGB").quantize(colors=255)
    transparent = alpha.point(lambda a: 255 if a < 128 else 0)
    paletted.paste(255, mask=transparent)
    paletted.info["transparency"] = 255
    return paletted
