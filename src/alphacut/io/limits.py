"""The limits an input is decoded under, and the checks that apply them before any pixel is decoded.

Two numbers bound what a file may ask for, in the manner of libvips' and Pillow's decompression
limits and ImageMagick's ``policy.xml`` (``area``, ``list-length``): ``max_pixels``, the pixels it
decodes to with every frame of an animation counted (frames x width x height), which bounds memory
and the refinement's time; and ``max_frames``, which bounds how many times the model runs. Each
comes from the caller, else the environment (``ALPHACUT_MAX_PIXELS``, ``ALPHACUT_MAX_FRAMES``),
else :mod:`alphacut.config`'s defaults.
"""
from __future__ import annotations

from dataclasses import dataclass

from alphacut import config
from alphacut.errors import ImageTooLargeError, InputError, OptionError


@dataclass(frozen=True)
class DecodeLimits:
    """At most ``max_pixels`` pixels (all frames together) and ``max_frames`` frames per input."""

    max_pixels: int
    max_frames: int


def decode_limits(max_pixels: int | None = None, max_frames: int | None = None) -> DecodeLimits:
    """The limits to apply: the values given, else the environment's, else the defaults.

    Raises :class:`OptionError` (one line) for a value that is not a whole number >= 1, given or
    read from ``ALPHACUT_MAX_PIXELS`` / ``ALPHACUT_MAX_FRAMES``."""
    try:
        pixels = config.max_pixels() if max_pixels is None else _checked("max_pixels", max_pixels)
        frames = config.max_frames() if max_frames is None else _checked("max_frames", max_frames)
    except ValueError as exc:  # the environment's value: config words the message
        raise OptionError(str(exc)) from None
    return DecodeLimits(pixels, frames)


def _checked(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise OptionError(f"{name} must be a whole number >= 1, not {value!r}")
    return value


def check_frame_size(label: str, size: tuple[int, int], limits: DecodeLimits) -> None:
    """One frame of ``size`` is within the pixel limit and has pixels."""
    width, height = size
    if width * height > limits.max_pixels:
        raise ImageTooLargeError(
            f"{label}: {width}x{height} = {width * height:,} pixels exceeds the limit of {limits.max_pixels:,}; "
            "raise it with --max-pixels or ALPHACUT_MAX_PIXELS if the image is trusted"
        )
    if width == 0 or height == 0:
        raise InputError(f"{label}: image has no pixels ({width}x{height})")


def check_animation(
    label: str, frames: int, size: tuple[int, int], limits: DecodeLimits, *, exact: bool = True
) -> None:
    """``frames`` frames of ``size`` are within both limits; ``exact=False``: ``frames`` is a count
    that stopped past ``max_frames`` (a counter need not walk the rest of the file)."""
    width, height = size
    if frames > limits.max_frames:
        count = f"{frames:,}" if exact else f"more than {limits.max_frames:,}"
        raise ImageTooLargeError(
            f"{label}: {count} frames of {width}x{height} exceed the limit of {limits.max_frames:,} frames; "
            "raise it with --max-frames or ALPHACUT_MAX_FRAMES if the image is trusted"
        )
    total = frames * width * height
    if total > limits.max_pixels:
        raise ImageTooLargeError(
            f"{label}: {frames:,} frames of {width}x{height} = {total:,} pixels exceeds the limit of "
            f"{limits.max_pixels:,}; raise it with --max-pixels or ALPHACUT_MAX_PIXELS if the image is trusted"
        )


def check_decoded(label: str, frames: int, pixels: int, limits: DecodeLimits) -> None:
    """The first ``frames`` frames, ``pixels`` pixels in all, are within the limits: checked as
    a stream decodes each frame, for a file whose frames are larger than its header said."""
    if frames > limits.max_frames:
        raise ImageTooLargeError(
            f"{label}: more than {limits.max_frames:,} frames; the limit is {limits.max_frames:,} frames: "
            "raise it with --max-frames or ALPHACUT_MAX_FRAMES if the image is trusted"
        )
    if pixels > limits.max_pixels:
        raise ImageTooLargeError(
            f"{label}: its first {frames:,} frames decode to {pixels:,} pixels, more than the limit of "
            f"{limits.max_pixels:,}; raise it with --max-pixels or ALPHACUT_MAX_PIXELS if the image is trusted"
        )
