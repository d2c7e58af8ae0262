"""Encode frames to PNG/WebP/JPEG/GIF/TIFF bytes (files are written by :func:`alphacut.io.files.write_atomic`)."""
from __future__ import annotations

import io
from pathlib import Path
from itertools import chain
from typing import Iterable, Iterator, Sequence

import numpy as np
from PIL import Image

from alphacut.config import PNG_LEVEL
from alphacut.errors import OptionError, OutputError
from alphacut.io.decode import Frame

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
        raise OptionError(f"unknown output format {name!r}; use png, webp, jpg, gif or tiff")
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
    only on/off transparency (alpha >= 128 is opaque). ``durations``: each frame's display time in
    ms (one per frame); a frame without one shows as long as the first frame that has one.
    ``png_level``: zlib level of PNG output, 0 (none) to 9 (smallest, slowest); the pixels are the
    same at every level.
    """
    if durations is not None and len(durations) != len(frames):
        raise ValueError(f"{len(durations)} durations for {len(frames)} frames")
    timed = [Frame(image, durations[index] if durations else None) for index, image in enumerate(frames)]
    return encode_stream(timed, fmt, loop=loop, png_level=png_level)


def encode_stream(frames: Iterable[Frame], fmt: str, *, loop: int | None = None, png_level: int = PNG_LEVEL) -> bytes:
    """:func:`encode_frames` for frames that come one at a time, each with its display time: the
    same bytes.

    Only a GIF is written as the frames come: each frame is reduced to its palette and handed to
    Pillow's writer, which keeps that (1 byte a pixel) to merge repeated frames at the end. Pillow's
    APNG writer reads its frames twice (their modes and sizes, then the data) and its WebP writer
    lists them before encoding any, so their frames are gathered here first, in the output mode.
    Frames before the first one with a display time wait until it comes (they show as long).
    """
    if not 0 <= png_level <= 9:
        raise OutputError(f"PNG compression level must be 0 to 9, not {png_level}")
    fmt = normalise_format(fmt)
    options: dict = {}
    if fmt == "PNG":
        options["compress_level"] = png_level
    elif fmt == "WEBP":
        options.update(lossless=True, quality=80, method=3)
    elif fmt == "JPEG":
        options.update(quality=95)
    remaining = iter(frames)
    first, second = next(remaining, None), next(remaining, None)
    if first is None:
        raise ValueError("no frames to encode")
    buffer = io.BytesIO()
    if second is None:
        if fmt == "PNG" and _plain_png(first.image):
            return png_bytes(first.image, png_level)
        _for_format(first.image, fmt).save(buffer, format=fmt, **options)
        return buffer.getvalue()
    if fmt not in ("PNG", "WEBP", "GIF"):
        raise OutputError(f"{fmt} cannot hold an animation; write png, webp or gif")
    options["loop"] = 0 if loop is None else loop
    if fmt == "GIF":
        options["disposal"] = 2
    prepared = (Frame(_for_format(frame.image, fmt), frame.duration) for frame in chain([first, second], remaining))
    timed = _with_known_durations(prepared)
    if fmt != "GIF":  # see above: Pillow's APNG and WebP writers need every frame at once
        gathered = list(timed)
        if any(frame.duration for frame in gathered):
            options["duration"] = [frame.duration for frame in gathered]
        rest = [frame.image for frame in gathered[1:]]
        gathered[0].image.save(buffer, format=fmt, save_all=True, append_images=rest, **options)
        return buffer.getvalue()
    # with no list of display times, Pillow's GIF writer reads each frame's own from its info
    images = (_showing_for(frame) for frame in timed)
    next(images).save(buffer, format=fmt, save_all=True, append_images=images, **options)
    return buffer.getvalue()


def _plain_png(image: Image.Image) -> bool:
    """Whether :func:`png_bytes` writes all of ``image``: 8-bit grey, RGB or RGBA with nothing in
    ``info`` that Pillow's writer would keep (an ICC profile, text, transparency, a resolution)."""
    return image.mode in ("L", "RGB", "RGBA") and not (
        set(image.info) & {"icc_profile", "transparency", "dpi", "exif", "pnginfo", "chromaticity", "gamma", "srgb"})


def png_bytes(image: Image.Image, level: int = PNG_LEVEL) -> bytes:
    """An 8-bit L/RGB/RGBA image as PNG with libpng through OpenCV, every row filtered with PNG's
    "Up" filter. Pillow's writer tries all five filters on every row ("adaptive"), which is most of
    its time: a 12 MP RGBA cutout takes 0.67 s with it at zlib level 1 and 0.32 s here, for a file of
    about the same size (BENCHMARKS.md §8f); the pixels are the same."""
    import cv2

    pixels = np.asarray(image)
    if image.mode == "RGB":
        pixels = cv2.cvtColor(pixels, cv2.COLOR_RGB2BGR)
    elif image.mode == "RGBA":
        pixels = cv2.cvtColor(pixels, cv2.COLOR_RGBA2BGRA)
    ok, encoded = cv2.imencode(".png", pixels, [cv2.IMWRITE_PNG_COMPRESSION, level,
                                                cv2.IMWRITE_PNG_FILTER, cv2.IMWRITE_PNG_FILTER_UP])
    if not ok:
        raise OutputError(f"PNG encoding of a {image.width}x{image.height} {image.mode} image failed")
    return encoded.tobytes()


def _with_known_durations(frames: Iterable[Frame]) -> Iterator[Frame]:
    """``frames``, each without a display time (``None`` or 0) given the first one that has one;
    the frames before it are held until it comes. When none has one, all come at the end without
    one (``None``: the writer's default, as when no display times are given)."""
    waiting: list[Frame] = []
    first_known: int | None = None
    for frame in frames:
        if first_known is None:
            if not frame.duration:
                waiting.append(frame)
                continue
            first_known = frame.duration
            yield from (Frame(held.image, first_known) for held in waiting)
            waiting.clear()
        yield frame if frame.duration else Frame(frame.image, first_known)
    yield from (Frame(held.image, None) for held in waiting)


def _showing_for(frame: Frame) -> Image.Image:
    """The frame's image with its display time in ``info``, where Pillow's GIF writer reads it; a
    caller's image is copied rather than changed."""
    if frame.duration is None:
        return frame.image
    image = frame.image.copy()
    image.info["duration"] = frame.duration
    return image


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
