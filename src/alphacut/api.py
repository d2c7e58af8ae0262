"""The Python API: ``alphacut.remove(image)`` for paths, bytes, PIL images and NumPy arrays."""
from __future__ import annotations

from pathlib import Path
from typing import Union, overload

import numpy as np
from PIL import Image

from alphacut.compose.background import parse_color
from alphacut.errors import InputError
from alphacut.io.decode import decode_image
from alphacut.io.encode import encode_frames
from alphacut.models import DEFAULT_MODEL, load_model
from alphacut.models.session import SalientSession
from alphacut.pipeline import RemoveOptions, Remover

ImageInput = Union[str, Path, bytes, bytearray, Image.Image, np.ndarray]


@overload
def remove(image: bytes | bytearray, **kwargs) -> bytes: ...
@overload
def remove(image: np.ndarray, **kwargs) -> np.ndarray: ...
@overload
def remove(image: str | Path | Image.Image, **kwargs) -> Image.Image | list[Image.Image]: ...


def remove(
    image: ImageInput,
    *,
    model: str | Path | SalientSession = DEFAULT_MODEL,
    mask: bool = False,
    bg: str | tuple | None = None,
    bg_image: str | Path | Image.Image | None = None,
    bg_fit: str = "fill",
    crop: bool = False,
    margin: int = 0,
    preset: str = "auto",
    threshold: float | None = None,
    keep_soft: bool = False,
    main_subject: bool = False,
    decontaminate: bool | None = None,
    tta: int | None = None,
    format: str = "png",
    device: str = "cpu",
    runtime: str = "auto",
    max_pixels: int | None = None,
):
    """Remove the background of one image and return the result in the kind it was given.

    Parameters
    ----------
    image
        A path (returns a PIL image), encoded bytes (returns encoded bytes in ``format``), a PIL
        image (returns PIL) or an ``H x W x 3|4`` uint8 RGB(A) array (returns ``H x W x 4``, or
        ``H x W`` with ``mask=True``). Animated inputs give every frame: bytes stay an animation,
        paths and PIL images give a list of frames, each with ``info["duration"]``.
    model
        A registered model name, a path to an ONNX file, or a session from :func:`load_model`.
    mask, bg, bg_image, bg_fit, crop, margin
        The output: the grey mask alone; the subject on a colour (``"white"``, ``"#rrggbb"``,
        ``(r, g, b)``) or an image (``fill``, ``fit`` or ``stretch``); cropped to the subject.
    preset, threshold, keep_soft, main_subject, decontaminate
        Refinement: ``auto`` (default: ``pixel-art`` for sprites, ``graphic`` on flat synthetic
        backgrounds, else ``photo``), ``photo``, ``portrait``, ``product``, ``graphic``,
        ``pixel-art`` or ``raw`` (the model's mask only); binarise at ``threshold`` or force soft
        alpha with ``keep_soft``; keep only the dominant subject; edge colour decontamination.
    """
    session = model if isinstance(model, SalientSession) else load_model(model, device=device, runtime=runtime)
    options = build_options(
        bg=bg, bg_image=bg_image, max_pixels=max_pixels, mask=mask, bg_fit=bg_fit, crop=crop, margin=margin,
        preset=preset, threshold=threshold, keep_soft=keep_soft, main_subject=main_subject,
        decontaminate=decontaminate, tta=tta,
    )
    if isinstance(image, np.ndarray):
        source: object = _array_to_image(image)
    else:
        source = image
    decoded = decode_image(source, max_pixels=max_pixels)  # type: ignore[arg-type]
    frames = Remover(session, options).process(decoded)
    if isinstance(image, (bytes, bytearray)):
        durations = [frame.duration for frame in decoded.frames]
        return encode_frames(frames, format, durations=durations, loop=decoded.loop)
    if isinstance(image, np.ndarray):
        return np.asarray(frames[0])
    if len(frames) == 1:
        return frames[0]
    for frame, original in zip(frames, decoded.frames):
        frame.info["duration"] = original.duration
    return frames


def build_options(*, bg: str | tuple | None, bg_image, max_pixels: int | None, **settings) -> RemoveOptions:
    """:class:`RemoveOptions` from user-facing values: a colour name or tuple, a background image
    given as a path or PIL image; every other keyword is passed through unchanged."""
    return RemoveOptions(bg_color=_color(bg), bg_image=_background(bg_image, max_pixels), **settings)


def _color(bg: str | tuple | None):
    if bg is None:
        return None
    if isinstance(bg, str):
        return parse_color(bg)
    values = tuple(int(v) for v in bg)
    return values if len(values) == 4 else (*values, 255)


def _background(bg_image, max_pixels):
    if bg_image is None or isinstance(bg_image, Image.Image):
        return bg_image
    return decode_image(bg_image, max_pixels=max_pixels).frames[0].image


def _array_to_image(array: np.ndarray) -> Image.Image:
    if array.dtype != np.uint8:
        raise InputError(f"array input must be uint8 RGB(A), got dtype {array.dtype}")
    if array.ndim == 2:
        return Image.fromarray(array, "L")
    if array.ndim == 3 and array.shape[2] in (3, 4):
        return Image.fromarray(array, "RGB" if array.shape[2] == 3 else "RGBA")
    raise InputError(f"array input must be H x W, H x W x 3 or H x W x 4, got shape {array.shape}")
