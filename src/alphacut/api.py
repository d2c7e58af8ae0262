"""The Python API: ``alphacut.remove(image)`` for paths, bytes, PIL images and NumPy arrays."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping, Union, overload

import numpy as np
from PIL import Image

from alphacut.errors import InputError, OptionError
from alphacut.io.decode import read_frames
from alphacut.io.encode import encode_stream, normalise_format
from alphacut.io.limits import decode_limits
from alphacut.models import DEFAULT_MODEL, load_model
from alphacut.models.runtimes import DEVICES, RUNTIMES
from alphacut.models.session import SalientSession
from alphacut.pipeline import RemoveOptions, Remover
from alphacut.refine.presets import DEFAULT_PRESET

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
    bg_image: str | Path | bytes | Image.Image | None = None,
    bg_fit: str = "fill",
    bg_blur: float | None = None,
    shadow: str | None = None,
    harmonize: float | None = None,
    ecommerce: int | None = None,
    crop: bool = False,
    margin: int = 0,
    preset: str = DEFAULT_PRESET,
    threshold: float | None = None,
    keep_soft: bool = False,
    main_subject: bool = False,
    decontaminate: bool | None = None,
    matting: str | None = None,
    tta: int | None = None,
    tuning: str | Mapping[str, Any] | None = None,
    format: str = "png",
    device: str = "cpu",
    runtime: str = "auto",
    max_pixels: int | None = None,
    max_frames: int | None = None,
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
    bg_blur, shadow, harmonize, ecommerce
        A scene: the photo itself painted out and blurred behind the subject; a ``drop`` or
        ``contact`` shadow; colours matched to the new background (0-1); a square canvas of that size.
    preset, threshold, keep_soft, main_subject, decontaminate, matting, tta, tuning
        Refinement: ``auto`` (default: ``pixel-art`` for sprites, ``graphic`` on flat synthetic
        backgrounds, else ``photo``), ``photo``, ``fast``, ``portrait``, ``product``, ``graphic``,
        ``pixel-art`` or ``raw`` (the model's mask only); binarise at ``threshold`` or force soft
        alpha with ``keep_soft``; keep only the dominant subject; edge colour decontamination; the
        edge solver (``guided``, ``cf``, ``none``); model averaging over 1, 2 or 4 inputs; any other
        refinement setting (``"band:0.01"``). These are :class:`alphacut.pipeline.RemoveOptions`,
        the same options as the CLI's and the HTTP API's.
    max_pixels, max_frames
        Refuse an image that decodes to more pixels, all frames of an animation counted, or to more
        frames (default: ``ALPHACUT_MAX_PIXELS`` or 200 MP, ``ALPHACUT_MAX_FRAMES`` or 1000),
        before any frame is decoded. An animation's frames are decoded, cut out and, for bytes,
        encoded one at a time.
    """
    limits = decode_limits(max_pixels, max_frames)  # a bad limit fails before the model loads
    options = RemoveOptions.from_user(
        bg=bg, bg_image=bg_image, bg_fit=bg_fit, bg_blur=bg_blur, shadow=shadow, harmonize=harmonize,
        ecommerce=ecommerce, tuning=tuning, max_pixels=limits.max_pixels, mask=mask, crop=crop, margin=margin,
        preset=preset, threshold=threshold, keep_soft=keep_soft, main_subject=main_subject,
        decontaminate=decontaminate, matting=matting, tta=tta,
    )
    _check_call(image, model, format, device, runtime)
    session = model if isinstance(model, SalientSession) else load_model(model, device=device, runtime=runtime)
    if isinstance(image, np.ndarray):
        source: object = _array_to_image(image)
    else:
        source = image
    decoded = read_frames(source, max_pixels=limits.max_pixels, max_frames=limits.max_frames)  # type: ignore[arg-type]
    results = Remover(session, options).results(decoded)
    if isinstance(image, (bytes, bytearray)):
        return encode_stream(results, format, loop=decoded.loop)
    frames = list(results)
    if isinstance(image, np.ndarray):
        return np.asarray(frames[0].image)
    if len(frames) == 1:
        return frames[0].image
    for frame in frames:
        frame.image.info["duration"] = frame.duration
    return [frame.image for frame in frames]


def _check_call(image: object, model: object, format: object, device: object, runtime: object) -> None:
    """The values of ``remove`` that are not :class:`RemoveOptions`, checked before any work:
    a bad one is an :class:`InputError` (:class:`OptionError` for an option), as the options' are."""
    if not isinstance(image, (str, Path, bytes, bytearray, Image.Image, np.ndarray)) and not hasattr(image, "read"):
        raise InputError(f"image must be a path, encoded bytes, a file object, a PIL image or a NumPy array, "
                         f"not {type(image).__name__}")
    if not isinstance(model, (str, Path, SalientSession)):
        raise OptionError(f"model must be a model name, an .onnx path or a loaded session, not {type(model).__name__}")
    if not isinstance(format, str):
        raise OptionError(f"format must be png, webp, jpg, gif or tiff, not {format!r}")
    normalise_format(format)
    if not isinstance(device, str) or device not in DEVICES:
        raise OptionError(f"device must be {' or '.join(DEVICES)}, not {device!r}")
    if not isinstance(runtime, str) or runtime not in RUNTIMES:
        raise OptionError(f"runtime must be one of {', '.join(RUNTIMES)}, not {runtime!r}")


def _array_to_image(array: np.ndarray) -> Image.Image:
    if array.dtype != np.uint8:
        raise InputError(f"array input must be uint8 RGB(A), got dtype {array.dtype}")
    if array.ndim == 2:
        return Image.fromarray(array, "L")
    if array.ndim == 3 and array.shape[2] in (3, 4):
        return Image.fromarray(array, "RGB" if array.shape[2] == 3 else "RGBA")
    raise InputError(f"array input must be H x W, H x W x 3 or H x W x 4, got shape {array.shape}")
