"""Decode any image Pillow can read into 8-bit RGB or RGBA frames, ready for a model.

What peers get wrong and this module handles: EXIF orientation (phone photos), CMYK, palette
images with a transparent index, 16-bit greyscale, animated GIF/WebP/APNG (every frame, with its
duration and the loop count), and decompression bombs: a file is refused before any frame is
decoded when it asks for more than the limits of :mod:`alphacut.io.limits` (pixels, every frame
counted, and frames), which its header and, for a GIF, its block structure tell.

:func:`decode_image` decodes every frame at once. :func:`read_frames` decodes a still image the
same way but opens an animation as a :class:`FrameStream`, whose frames are decoded one at a time
as they are iterated, so that memory does not grow with the frame count.

Only GIF, WebP and PNG (APNG) are read as animations, the formats alphacut also writes as
animations. Any other multi-frame file is read as its first frame: a multi-page TIFF as its first
page (pages are separate images, often of other sizes: thumbnails, masks, scans; a warning says
that the others are not read), an MPO photo as its main image (the others are previews or stereo
views).
"""
from __future__ import annotations

import io
import logging
import warnings
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, Callable, Iterator, TypeVar, Union

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from alphacut.errors import ImageTooLargeError, InputError
from alphacut.io.gif_frames import gif_layout
from alphacut.io.limits import DecodeLimits, check_animation, check_decoded, check_frame_size, decode_limits

ORIENTATION_TAG = 0x0112
ANIMATION_FORMATS = frozenset({"GIF", "WEBP", "PNG"})
ImageSource = Union[str, Path, bytes, bytearray, BinaryIO, Image.Image]

log = logging.getLogger(__name__)


@dataclass
class Frame:
    """One frame: an RGB or RGBA image (orientation applied) and its display time in ms."""

    image: Image.Image
    duration: int | None = None


@dataclass
class DecodedImage:
    """An image decoded whole: a still image's one frame, or every frame of an animation."""

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

    @property
    def frame_count(self) -> int:
        return len(self.frames)

    def iter_frames(self) -> Iterator[Frame]:
        return iter(self.frames)


class FrameStream:
    """An animation opened under the limits, its frames decoded one at a time as
    :meth:`iter_frames` yields them; only the frame being yielded is held here.

    ``size`` and ``frame_count`` are known before any frame is decoded (the header, and Pillow's
    count). The limits are checked again on each frame as it is decoded, against the pixels
    decoded so far, so a file whose frames grow past the canvas its header gave is stopped at the
    frame that would exceed them.
    """

    animated = True

    def __init__(self, image: Image.Image, *, name: str, frame_count: int, limits: DecodeLimits):
        self.name = name
        self.format = image.format
        self.loop = image.info.get("loop")
        self.size = image.size
        self.frame_count = frame_count
        self._image: Image.Image | None = image
        self._limits = limits

    def iter_frames(self) -> Iterator[Frame]:
        """Every frame, in order, decoded as it is asked for; a stream is read once."""
        if self._image is None:
            raise RuntimeError(f"{self.name}: the frames of a stream are read once")
        image, self._image = self._image, None
        return self._decoded(image)

    def _decoded(self, image: Image.Image) -> Iterator[Frame]:
        pixels = 0
        index = 0
        while True:
            with _as_input_errors(self.name):
                try:
                    image.seek(index)  # reads the frame's header; its pixels load in copy() below
                except EOFError:
                    return
                pixels += image.size[0] * image.size[1]
                check_frame_size(self.name, image.size, self._limits)
                check_decoded(self.name, index + 1, pixels, self._limits)
                frame = Frame(normalise_mode(image.copy()), image.info.get("duration"))
            yield frame
            index += 1


Decoded = Union[DecodedImage, FrameStream]


def decode_image(
    source: ImageSource, *, name: str | None = None, max_pixels: int | None = None, max_frames: int | None = None
) -> DecodedImage:
    """Read ``source`` (path, bytes, binary file or PIL image) into normalised frames, every frame
    of an animation decoded now (:func:`read_frames` decodes them as they are used).

    Raises
    ------
    InputError
        The file is missing, empty, truncated, corrupt or not an image; the message names it.
    ImageTooLargeError
        The image asks for more than ``max_pixels`` pixels, all its frames counted, or more than
        ``max_frames`` frames (defaults: ``ALPHACUT_MAX_PIXELS`` or 200 MP, ``ALPHACUT_MAX_FRAMES``
        or 1000). Checked before any frame is decoded.
    OptionError
        A limit, given or from the environment, is not a whole number >= 1.
    """
    decoded = read_frames(source, name=name, max_pixels=max_pixels, max_frames=max_frames)
    if isinstance(decoded, DecodedImage):
        return decoded
    return DecodedImage(frames=list(decoded.iter_frames()), name=decoded.name, format=decoded.format,
                        loop=decoded.loop)


def read_frames(
    source: ImageSource, *, name: str | None = None, max_pixels: int | None = None, max_frames: int | None = None
) -> Decoded:
    """Like :func:`decode_image`, with the same checks and errors, but an animation comes back
    as a :class:`FrameStream`: its frames are decoded one at a time as they are iterated."""
    label = name or _describe(source)
    limits = decode_limits(max_pixels, max_frames)
    return _read_within_limit(source, label, limits, lambda image, stream: _frames_of(image, label, stream, limits))


def check_limits(
    source: ImageSource, *, name: str | None = None, max_pixels: int | None = None, max_frames: int | None = None
) -> None:
    """Refuse ``source`` as :func:`read_frames` would on its size and frames, from its header and
    (for a GIF) its block layout, without decoding a pixel: a cheap check to run before queueing
    the real work. Raises the same errors as :func:`decode_image`."""
    label = name or _describe(source)
    limits = decode_limits(max_pixels, max_frames)

    def counted(image: Image.Image, stream: io.BytesIO | None) -> None:
        if image.format in ANIMATION_FORMATS and getattr(image, "is_animated", False):
            _counted_frames(image, label, stream, limits)

    _read_within_limit(source, label, limits, counted)


def decode_first_frame(source: ImageSource, *, name: str | None = None, max_pixels: int | None = None) -> Image.Image:
    """The first frame of ``source``, normalised as :func:`decode_image` normalises it, without
    counting or decoding any other frame: for a background or a sample, where an animation's other
    frames are not used (so the frame limit does not apply)."""
    label = name or _describe(source)
    limits = decode_limits(max_pixels)
    return _read_within_limit(source, label, limits,
                              lambda image, stream: normalise_mode(_oriented(image, stream is not None)))


def open_image(source: ImageSource, *, name: str | None = None, max_pixels: int | None = None) -> Image.Image:
    """The first frame of ``source`` in its own mode (grey stays grey, a palette keeps its
    transparency), EXIF orientation applied, loaded, under the same pixel limit and with the same
    errors as :func:`decode_image`. For masks, trimaps and hint images, which normalising to
    RGB/RGBA would spoil; images to cut out go through :func:`decode_image`."""
    label = name or _describe(source)
    limits = decode_limits(max_pixels)
    return _read_within_limit(source, label, limits, lambda image, stream: _oriented(image, stream is not None))


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
    source: ImageSource, label: str, limits: DecodeLimits, read: Callable[[Image.Image, io.BytesIO | None], _T]
) -> _T:
    """Open ``source``, refuse it when its first frame has more than ``limits.max_pixels`` pixels
    (before decoding any), then ``read(image, stream)``; Pillow's errors become one-line
    :class:`InputError`s. ``stream`` holds the file's bytes when the image was opened here (``read``
    may then return the image rather than a copy); ``None`` for a caller's PIL image."""
    if isinstance(source, Image.Image):
        check_frame_size(label, source.size, limits)
        return read(source, None)
    stream = _open_stream(source, label)
    # Pillow's own bomb guard must not trip before ours; ours is the one users configure.
    if Image.MAX_IMAGE_PIXELS is not None and Image.MAX_IMAGE_PIXELS < limits.max_pixels:
        Image.MAX_IMAGE_PIXELS = limits.max_pixels
    with _as_input_errors(label):
        image = Image.open(stream)
        check_frame_size(label, image.size, limits)
        return read(image, stream)


@contextmanager
def _as_input_errors(label: str) -> Iterator[None]:
    """Pillow's errors as one-line :class:`InputError`s naming ``label``; its bomb warning silenced
    (our limit, checked first, is the one users configure)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            yield
    except (ImageTooLargeError, InputError):
        raise
    except Image.DecompressionBombError as exc:
        raise ImageTooLargeError(f"{label}: image too large ({exc}); raise --max-pixels to allow it") from None
    except UnidentifiedImageError:
        raise InputError(f"{label}: not an image file (or a format Pillow cannot read)") from None
    except (OSError, SyntaxError, ValueError, EOFError, IndexError) as exc:  # IndexError: a cut-short GIF block
        raise InputError(f"{label}: corrupt or truncated image ({exc})") from None


def _describe(source: ImageSource) -> str:
    if isinstance(source, (str, Path)):
        return str(source)
    if isinstance(source, Image.Image):
        return "<PIL image>"
    if isinstance(source, (bytes, bytearray)):
        return "<bytes>"
    return getattr(source, "name", "<stream>")


def _open_stream(source: ImageSource, label: str) -> io.BytesIO:
    """The bytes of ``source`` in memory: the GIF frame count walks them, and a caller's open
    file is read once, from where it stands."""
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
    try:
        return io.BytesIO(source.read())  # an already-open binary stream
    except OSError as exc:
        raise InputError(f"{label}: cannot read ({exc.strerror or exc})") from None


def _frames_of(image: Image.Image, label: str, stream: io.BytesIO | None, limits: DecodeLimits) -> Decoded:
    """A still image decoded, or an animation checked on its frames and opened as a stream."""
    if image.format in ANIMATION_FORMATS and getattr(image, "is_animated", False):
        frame_count = _counted_frames(image, label, stream, limits)
        if frame_count > 1:
            return FrameStream(image, name=label, frame_count=frame_count, limits=limits)
    elif image.format == "TIFF" and getattr(image, "is_animated", False):
        log.warning("%s: a multi-page TIFF; only its first page is read", label)
    frame = Frame(normalise_mode(_oriented(image, stream is not None)), image.info.get("duration"))
    return DecodedImage(frames=[frame], name=label, format=image.format, loop=image.info.get("loop"))


def _counted_frames(image: Image.Image, label: str, stream: io.BytesIO | None, limits: DecodeLimits) -> int:
    """The animation's frame count, refused past the limits before any frame is decoded. A GIF's
    blocks are walked first, stopping past the frame limit (Pillow's count walks the whole file),
    which also gives the canvas its frames grow to."""
    if image.format == "GIF" and stream is not None:
        # getvalue(), not getbuffer(): the bytes themselves, where a buffer would copy them
        layout = gif_layout(stream.getvalue(), stop_after=limits.max_frames)
        if layout is not None:
            check_animation(label, layout.frames, layout.size, limits, exact=layout.frames <= limits.max_frames)
    frame_count = image.n_frames  # WebP and APNG: from the header; GIF: a walk now known to be short
    check_animation(label, frame_count, image.size, limits)
    return frame_count


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
