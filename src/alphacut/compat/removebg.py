"""remove.bg's result for one request: the matte from :class:`alphacut.pipeline.Remover`, then the
steps remove.bg adds around it, in this order: output size (``size``), region of interest
(``roi``), placement (``scale``, ``position``), crop with per-side margins, the background and
shadow (:meth:`Remover.compose`), and the output format (PNG, JPG, or a ZIP of ``color.jpg`` and
``alpha.png``). Runs on a worker thread; no HTTP here.
"""
from __future__ import annotations

import io
import math
import zipfile
from dataclasses import dataclass

import numpy as np
from PIL import Image

from alphacut.compat.removebg_fields import MAX_MARGIN_PX, FieldError, Length, RemoveBgFields, roi_box
from alphacut.compose.background import on_color
from alphacut.compose.crop import crop_box
from alphacut.compose.layouts import Placement, apply
from alphacut.io.decode import decode_first_frame
from alphacut.io.encode import encode_frames
from alphacut.models.session import SalientSession
from alphacut.pipeline import RemoveOptions, Remover
from alphacut.refine.alpha import alpha_to_uint8

WHITE = (255, 255, 255, 255)
MEDIA_TYPES = {"png": "image/png", "jpg": "image/jpeg", "zip": "application/zip"}


@dataclass(frozen=True)
class RemoveBgResult:
    """The encoded result and what remove.bg reports about it (``X-Width``, ``X-Foreground-*``...)."""

    data: bytes
    format: str
    width: int
    height: int
    foreground_top: int
    foreground_left: int
    foreground_width: int
    foreground_height: int
    type: str

    @property
    def media_type(self) -> str:
        return MEDIA_TYPES[self.format]


def options_for(fields: RemoveBgFields, bg_image: bytes | None, max_pixels: int) -> RemoveOptions:
    """The pipeline options of a request; raises :class:`alphacut.errors.OptionError` on a bad
    combination, so a request can be refused before it queues."""
    return RemoveOptions.from_user(**fields.remove_values(), bg_image=bg_image, max_pixels=max_pixels)


def render(session: SalientSession, fields: RemoveBgFields, image: bytes, *, bg_image: bytes | None = None,
           max_pixels: int) -> RemoveBgResult:
    """remove.bg's answer to one image (the first frame of an animation, as remove.bg takes)."""
    remover = Remover(session, options_for(fields, bg_image, max_pixels))
    frame = decode_first_frame(image, name="image_file", max_pixels=max_pixels)
    frame = limit_pixels(frame, fields.max_output_pixels)
    matte = remover.matte(frame)
    alpha, colours = matte.alpha, matte.colours
    if fields.roi is not None:
        alpha = outside_zeroed(alpha, roi_box(fields.roi, frame.size))
    if crop_box(alpha) is None:
        raise FieldError("unknown_foreground", "could not identify foreground in image")
    if fields.moves_subject:
        colours, alpha = place(colours, alpha, fields.scale, fields.position)
    box = margin_box(alpha, fields.crop_margin) if fields.crop else None
    result = remover.compose(colours, alpha, box)
    shown = alpha if box is None else alpha[box[1]:box[3], box[0]:box[2]]
    left, top, right, bottom = crop_box(shown) or (0, 0, 0, 0)
    data, fmt = encode(result, fields.format, colours=colours.crop(box) if box else colours)
    return RemoveBgResult(
        data=data, format=fmt, width=result.width, height=result.height,
        foreground_top=top, foreground_left=left, foreground_width=right - left, foreground_height=bottom - top,
        type=fields.reported_type,
    )


def limit_pixels(image: Image.Image, max_pixels: int | None) -> Image.Image:
    """``image`` shrunk (aspect kept) to at most ``max_pixels`` pixels; never enlarged."""
    width, height = image.size
    if max_pixels is None or width * height <= max_pixels:
        return image
    factor = math.sqrt(max_pixels / (width * height))
    size = (max(1, math.floor(width * factor)), max(1, math.floor(height * factor)))
    return image.resize(size, Image.Resampling.LANCZOS)


def outside_zeroed(alpha: np.ndarray, box: tuple[int, int, int, int]) -> np.ndarray:
    """Alpha with everything outside ``box`` (left, top, right, bottom) made background."""
    left, top, right, bottom = box
    kept = np.zeros_like(alpha)
    kept[top:bottom, left:right] = alpha[top:bottom, left:right]
    return kept


def place(colours: Image.Image, alpha: np.ndarray, scale: float | None,
          position: tuple[float, float] | None) -> tuple[Image.Image, np.ndarray]:
    """The subject moved on its own canvas: its box scaled to ``scale`` x the canvas (fitting both
    sides; ``None`` keeps its size) and put at ``position``, fractions of the room left around it
    ((0.5, 0.5) centres it; ``None`` keeps its centre where it was)."""
    height, width = alpha.shape
    left, top, right, bottom = crop_box(alpha)  # type: ignore[misc]  # the caller checked for a subject
    box_w, box_h = right - left, bottom - top
    factor = scale * min(width / box_w, height / box_h) if scale is not None else 1.0
    new_w, new_h = factor * box_w, factor * box_h
    if position is None:
        new_left = (left + right) / 2 - new_w / 2
        new_top = (top + bottom) / 2 - new_h / 2
    else:
        new_left = position[0] * (width - new_w)
        new_top = position[1] * (height - new_h)
    placement = Placement(factor, (new_left - factor * left, new_top - factor * top))
    rgb = np.asarray(colours.convert("RGB"))
    moved_rgb, moved_alpha = apply(placement, rgb, alpha, (width, height))
    return (Image.fromarray(np.clip(np.rint(moved_rgb), 0, 255).astype(np.uint8), "RGB"),
            alpha_to_uint8(moved_alpha))


def margin_box(alpha: np.ndarray, margins: tuple[Length, Length, Length, Length]) -> tuple[int, int, int, int]:
    """The subject's box grown by (top, right, bottom, left) margins, each in px or % of the
    subject's height (top, bottom) or width (left, right), at most 500 px; clamped to the image."""
    height, width = alpha.shape
    left, top, right, bottom = crop_box(alpha)  # type: ignore[misc]
    box_w, box_h = right - left, bottom - top
    top_m, right_m, bottom_m, left_m = (
        min(MAX_MARGIN_PX, round(margin.resolve(box_h if index % 2 == 0 else box_w)))
        for index, margin in enumerate(margins)
    )
    return max(0, left - left_m), max(0, top - top_m), min(width, right + right_m), min(height, bottom + bottom_m)


def encode(result: Image.Image, fmt: str, *, colours: Image.Image) -> tuple[bytes, str]:
    """``result`` as remove.bg's ``format``: ``auto`` is PNG when anything is transparent, else
    JPG; ``jpg`` of a transparent result is flattened on white; ``zip`` holds ``color.jpg`` and
    ``alpha.png`` (for an alpha-only result, the colour image is the subject's ``colours``)."""
    if fmt == "auto":
        transparent = result.mode in ("RGBA", "LA") and np.asarray(result.getchannel("A")).min() < 255
        fmt = "png" if transparent else "jpg"
    if fmt == "png":
        return encode_frames([result], "png"), fmt
    if fmt == "jpg":
        return encode_frames([_opaque(result)], "jpeg"), fmt
    source = colours if result.mode == "L" else result
    alpha = result if result.mode == "L" else (result.getchannel("A") if result.mode == "RGBA"
                                              else Image.new("L", result.size, 255))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("color.jpg", encode_frames([source.convert("RGB")], "jpeg"))
        archive.writestr("alpha.png", encode_frames([alpha], "png"))
    return buffer.getvalue(), fmt


def _opaque(image: Image.Image) -> Image.Image:
    if image.mode == "RGBA":
        return on_color(image, WHITE)
    return image if image.mode in ("RGB", "L") else image.convert("RGB")
