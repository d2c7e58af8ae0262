"""Decode any image Pillow can read into 8-bit RGB or RGBA frames, ready for a model.

What peers get wrong and this module handles: EXIF orientation (phone photos), CMYK, palette
images with a transparent index, 16-bit greyscale, animated GIF/WebP/APNG (every frame, with its
duration and the loop count), and decompression bombs (refused before any pixel is decoded).
"""
from __future__ import annotations

import io
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, Callable, TypeVar, Union

import numpy as np
from PIL import Image, ImageOps, ImageSequence, UnidentifiedImageError

from alphacut.config import max_pixels as configured_max_pixels
from alphacut.errors import ImageTooLargeError, InputError

ORIENTATION_TAG = 0x0112
ImageSource = Union[str, Path, bytes, bytearray, BinaryIO, Image.Image]


@dataclass
class Frame:
    """One frame: an RGB or RGBA image (orientation applied) and its display time in ms."""

    image: Image.Image
    duration: int | None = None


@dataclass
class DecodedImage:
    frames: list[Frame]
    name: str
    format: str | None = None
    loop: int | None = None
    info: dict = field(default_factory=dict)

    @property
    def animated(self) -> bool:
        return len(self.frames) > 1

    @property
    def size(self) -> tuple[int, int]:
        return self.frames[0].image.size


def decode_image(source: ImageSource, *, name: str | None = None, max_pixels: int | None = None) -> DecodedImage:
    """Read ``source`` (path, bytes, binary file or PIL image) into normalised frames.

    Raises
    ------
    InputError
        The file is missing, empty, truncated, corrupt or not an image; the message names it.
    ImageTooLargeError
        The image has more than ``max_pixels`` pixels (default ``ALPHACUT_MAX_PIXELS`` or 200 MP).
    """
    label = name or _describe(source)
    return _read_within_limit(source, label, max_pixels, lambda image, owned: _frames_of(image, label, owned=owned))


def open_image(source: ImageSource, *, name: str | None = None, max_pixels: int | None = None) -> Image.Image:
    """The first frame of ``source`` in its own mode (grey stays grey, a palette keeps its
    transparency), EXIF orientation applied, loaded, under the same pixel limit and with the same
    errors as :func:`decode_image`. For masks, trimaps and hint images, which normalising to
    RGB/RGBA would spoil; images to cut out go through :func:`decode_image`."""
    label = name or _describe(source)
    return _read_within_limit(source, label, max_pixels, _oriented)


def header_size(path: str | Path) -> tuple[int, int] | None:
    """Width and height from the file's header, without decoding any pixel; ``None`` when the file
    cannot be read or is not an image (decoding it reports why, with its own message)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # the decoder applies the limit
            with Image.open(path) as image:
                return image.size
    except (OSError, ValueError, SyntaxError, EOFError, Image.DecompressionBombError):
        # OSError covers missing files and UnidentifiedImageError; the others are Pillow's header errors
        return None


_T = TypeVar("_T")


def _read_within_limit(
    source: ImageSource, label: str, max_pixels: int | None, read: Callable[[Image.Image, bool], _T]
) -> _T:
    """Open ``source``, refuse it when it has more than ``max_pixels`` pixels (before decoding
    any), then ``read(image, owned)``; Pillow's errors become one-line :class:`InputError`s.
    ``owned``: the image was opened here, so ``read`` may return it rather than a copy."""
    limit = configured_max_pixels() if max_pixels is None else max_pixels
    if isinstance(source, Image.Image):
        _check_pixels(source.size, limit, label)
        return read(source, False)
    stream = _open_stream(source, label)
    # Pillow's own bomb guard must not trip before ours; ours is the one users configure.
    if Image.MAX_IMAGE_PIXELS is not None and Image.MAX_IMAGE_PIXELS < limit:
        Image.MAX_IMAGE_PIXELS = limit
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(stream)
            _check_pixels(image.size, limit, label)
            return read(image, True)
    except (ImageTooLargeError, InputError):
        raise
    except Image.DecompressionBombError as exc:
        raise ImageTooLargeError(f"{label}: image too large ({exc}); raise --max-pixels to allow it") from None
    except UnidentifiedImageError:
        raise InputError(f"{label}: not an image file (or a format Pillow cannot read)") from None
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise InputError(f"{label}: corrupt or truncated image ({exc})") from None


def _describe(source: ImageSource) -> str:
    if isinstance(source, (str, Path)):
        return str(source)
    if isinstance(source, Image.Image):
        return "<PIL image>"
    if isinstance(source, (bytes, bytearray)):
        return "<bytes>"
    return getattr(source, "name", "<stream>")


def _open_stream(source: ImageSource, label: str) -> BinaryIO:
    if isinstance(source, (bytes, bytearray)):
        if not source:
            raise InputError(f"{label}: empty input")
        return io.BytesIO(source)
    if isinstance(source, (str, Path)):
        path = Path(source)
        if not path.exists():
            raise InputError(f"{label}: no such file")
        if path.is_dir():
            raise InputError(f"{label}: is a folder, not an image")
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise InputError(f"{label}: cannot read ({exc.strerror or exc})") from None
        if not data:
            raise InputError(f"{label}: empty file")
        return io.BytesIO(data)
    return source  # an already-open binary stream


def _check_pixels(size: tuple[int, int], limit: int, label: str) -> None:
    width, height = size
    if width * height > limit:
        raise ImageTooLargeError(
            f"{label}: {width}x{height} = {width * height:,} pixels exceeds the limit of {limit:,}; "
            "raise it with --max-pixels or ALPHACUT_MAX_PIXELS if the image is trusted"
        )
    if width == 0 or height == 0:
        raise InputError(f"{label}: image has no pixels ({width}x{height})")


def _frames_of(image: Image.Image, label: str, *, owned: bool = True) -> DecodedImage:
    loop = image.info.get("loop")
    fmt = image.format
    if getattr(image, "is_animated", False) and getattr(image, "n_frames", 1) > 1:
        frames = [
            Frame(normalise_mode(frame.copy()), frame.info.get("duration", image.info.get("duration")))
            for frame in ImageSequence.Iterator(image)
        ]
    else:
        frames = [Frame(normalise_mode(_oriented(image, owned)), image.info.get("duration"))]
    return DecodedImage(frames=frames, name=label, format=fmt, loop=loop)


def _oriented(image: Image.Image, owned: bool) -> Image.Image:
    """``image`` turned upright by its EXIF orientation, loaded; an image ``owned`` (opened here)
    is returned as it is when there is nothing to turn, since exif_transpose would copy it (a
    100 MP photo held twice); another's image is always copied, so the caller's stays untouched."""
    needs_turn = image.getexif().get(ORIENTATION_TAG, 1) not in (1, None)
    oriented = ImageOps.exif_transpose(image) if needs_turn or not owned else image
    oriented.load()
    return oriented


def normalise_mode(image: Image.Image) -> Image.Image:
    """Return an 8-bit ``RGB`` image, or ``RGBA`` when the source carries transparency."""
    image.load()
    mode = image.mode
    if mode in ("RGB", "RGBA"):
        return image
    if mode == "La":  # Pillow has no La -> RGBA conversion; un-premultiply through LA first
        return image.convert("LA").convert("RGBA")
    if mode in ("LA", "PA", "RGBa"):
        return image.convert("RGBA")
    if mode == "P":
        return image.convert("RGBA" if "transparency" in image.info else "RGB")
    if mode in ("L", "1") and "transparency" in image.info:
        return image.convert("RGBA")
    if mode.startswith("I") or mode == "F":
        return _wide_grey_to_rgb(image)
    return image.convert("RGB")  # CMYK, YCbCr, LAB, HSV, L, 1


def _wide_grey_to_rgb(image: Image.Image) -> Image.Image:
    return wide_grey_to_l(image).convert("RGB")


def wide_grey_to_l(image: Image.Image) -> Image.Image:
    """16/32-bit or float greyscale to 8-bit ``L``: scale by the type's range, not the image maximum."""
    values = np.asarray(image).astype(np.float64)
    if image.mode == "F":
        grey = values * 255.0 if values.max(initial=0) <= 1.0 else values
    elif image.mode.startswith("I;16") or values.max(initial=0) > 255:
        grey = values / 257.0  # 16-bit samples: 65535 -> 255
    else:
        grey = values
    grey = np.clip(grey, 0, 255)
    return Image.fromarray(np.rint(grey).astype(np.uint8), "L")
