"""Writing a stack of RGBA layers as one layered file: Photoshop (``.psd``), OpenRaster (``.ora``)
or a folder of PNGs with ``layers.json``.

- **PSD** through psd-tools: one pixel layer per entry, named, at its offset, with its visible
  flag; psd-tools also writes the merged image that viewers without layer support show.
- **OpenRaster** (the format GIMP, Krita and MyPaint share, https://www.openraster.org): a zip
  whose first entry is the uncompressed ``mimetype`` (``image/openraster``), then ``stack.xml``
  (layers top-first, with ``x``/``y`` offsets and ``visibility``), ``data/*.png``,
  ``mergedimage.png`` and ``Thumbnails/thumbnail.png`` (at most 256 px).
- **Folder**: ``NN-name.png`` per layer (full-size, so they stack in any viewer) and
  ``layers.json`` (size, then each layer's file, box, visibility and the caller's details); the
  same files zipped are the web page's ZIP download (:func:`zip_bytes`).

Every file is built in memory and written atomically: a failed run leaves no half-written output.
"""
from __future__ import annotations

import io
import json
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import numpy as np
from PIL import Image

from alphacut.errors import OutputError
from alphacut.io.files import write_atomic

THUMBNAIL_SIDE = 256


@dataclass
class RasterLayer:
    """One layer: an RGBA image placed at (``left``, ``top``) on the canvas. ``details`` (JSON
    values: kind, area, score...) go to ``layers.json``."""

    name: str
    image: Image.Image
    left: int = 0
    top: int = 0
    visible: bool = True
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def box(self) -> tuple[int, int, int, int]:
        return self.left, self.top, self.left + self.image.width, self.top + self.image.height


def layered_format(target: Path) -> str:
    """``psd``, ``ora`` or ``folder`` (a path without a suffix, or an existing folder)."""
    suffix = target.suffix.lower()
    if suffix in (".psd", ".ora"):
        return suffix[1:]
    if suffix == "" or target.is_dir():
        return "folder"
    raise OutputError(f"{target}: write layers to a .psd or .ora file, or to a folder")


def flatten(size: tuple[int, int], layers: list[RasterLayer]) -> np.ndarray:
    """The layers composited bottom to top with the "over" operator (Porter and Duff 1984), only
    the visible ones: H x W x 4 float32 in [0, 255], straight (not premultiplied) colours."""
    width, height = size
    colour = np.zeros((height, width, 3), np.float32)
    cover = np.zeros((height, width, 1), np.float32)
    for layer in layers:
        if not layer.visible:
            continue
        x0, y0, x1, y1 = layer.box
        pixels = np.asarray(layer.image.convert("RGBA"), np.float32)
        alpha = pixels[..., 3:] / 255.0
        window = (slice(y0, y1), slice(x0, x1))
        below = cover[window]
        new_cover = alpha + below * (1.0 - alpha)
        mixed = pixels[..., :3] * alpha + colour[window] * below * (1.0 - alpha)
        colour[window] = np.where(new_cover > 0, mixed / np.maximum(new_cover, 1e-12), 0.0)
        cover[window] = new_cover
    return np.concatenate([colour, cover * 255.0], axis=-1)


def write_layered(target: Path, size: tuple[int, int], layers: list[RasterLayer], *, overwrite: bool = False) -> str:
    """Write ``layers`` (bottom first) to ``target`` in the format its name says; returns the format."""
    fmt = layered_format(target)
    if not layers:
        raise OutputError(f"{target}: no layers to write")
    if fmt == "folder":
        _write_folder(target, size, layers, overwrite)
        return fmt
    if target.exists() and not overwrite:
        raise OutputError(f"{target}: exists; add --overwrite to replace it")
    write_atomic(target, psd_bytes(size, layers) if fmt == "psd" else ora_bytes(size, layers))
    return fmt


def psd_bytes(size: tuple[int, int], layers: list[RasterLayer]) -> bytes:
    from psd_tools import PSDImage
    from psd_tools.api.layers import PixelLayer

    document = PSDImage.new("RGB", size)
    for layer in layers:
        pixel = PixelLayer.frompil(layer.image.convert("RGBA"), document, layer.name, layer.top, layer.left)
        pixel.visible = layer.visible
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def ora_bytes(size: tuple[int, int], layers: list[RasterLayer]) -> bytes:
    width, height = size
    merged = Image.fromarray(np.rint(flatten(size, layers)).astype(np.uint8), "RGBA")
    root = ElementTree.Element("image", version="0.0.5", w=str(width), h=str(height))
    stack = ElementTree.SubElement(root, "stack")
    files = []
    for index, layer in enumerate(layers):
        source = f"data/{index:02d}-{_slug(layer.name)}.png"
        files.append((source, png_bytes(layer.image.convert("RGBA"))))
    for layer, (source, _) in reversed(list(zip(layers, files))):  # stack.xml lists the top layer first
        ElementTree.SubElement(stack, "layer", name=layer.name, src=source, x=str(layer.left), y=str(layer.top),
                               opacity="1.0", visibility="visible" if layer.visible else "hidden")
    thumbnail = merged.copy()
    thumbnail.thumbnail((THUMBNAIL_SIDE, THUMBNAIL_SIDE))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), "image/openraster", compress_type=zipfile.ZIP_STORED)
        archive.writestr("stack.xml", ElementTree.tostring(root, encoding="utf-8", xml_declaration=True),
                         compress_type=zipfile.ZIP_DEFLATED)
        for source, data in files:
            archive.writestr(source, data, compress_type=zipfile.ZIP_STORED)  # PNG is compressed already
        archive.writestr("mergedimage.png", png_bytes(merged), compress_type=zipfile.ZIP_STORED)
        archive.writestr("Thumbnails/thumbnail.png", png_bytes(thumbnail), compress_type=zipfile.ZIP_STORED)
    return buffer.getvalue()


def _write_folder(target: Path, size: tuple[int, int], layers: list[RasterLayer], overwrite: bool) -> None:
    files = folder_files(size, layers)
    existing = [target / name for name in files if (target / name).exists()]
    if existing and not overwrite:
        raise OutputError(f"{existing[0]}: exists; add --overwrite to replace it")
    for name, data in files.items():
        write_atomic(target / name, data)


def zip_bytes(size: tuple[int, int], layers: list[RasterLayer]) -> bytes:
    """The folder layout (:func:`folder_files`) as one zip, for a download."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in folder_files(size, layers).items():
            archive.writestr(name, data, compress_type=zipfile.ZIP_DEFLATED if name.endswith(".json") else zipfile.ZIP_STORED)
    return buffer.getvalue()


def folder_files(size: tuple[int, int], layers: list[RasterLayer]) -> dict[str, bytes]:
    """File name -> bytes: a full-size PNG per layer, then ``layers.json``."""
    width, height = size
    files: dict[str, bytes] = {}
    entries = []
    for index, layer in enumerate(layers):
        name = f"{index:02d}-{_slug(layer.name)}.png"
        canvas = Image.new("RGBA", size, (0, 0, 0, 0))
        canvas.paste(layer.image.convert("RGBA"), (layer.left, layer.top))
        files[name] = png_bytes(canvas)
        entries.append({"name": layer.name, "file": name, "box": list(layer.box), "visible": layer.visible, **layer.details})
    index = {"width": width, "height": height, "order": "bottom to top", "layers": entries}
    files["layers.json"] = (json.dumps(index, indent=2) + "\n").encode()
    return files


def png_bytes(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=1)
    return buffer.getvalue()


def _slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-") or "layer"
