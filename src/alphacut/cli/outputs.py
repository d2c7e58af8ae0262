"""Where the one-image commands (``compose``, ``erase``, ``replace-bg``) write, and how.

Imported by those commands at start-up, so the image libraries are imported inside the functions.
"""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Optional

if TYPE_CHECKING:
    from PIL import Image


def output_target(source: Path, output: Optional[Path], suffix: str, overwrite: bool) -> Path:
    """The output path (default NAME<suffix>.png beside ``source``), refused if it is the input
    or exists without ``--overwrite``."""
    from alphacut.errors import OutputError
    from alphacut.io.encode import format_for_path

    target = output or source.with_name(source.stem + suffix + ".png")
    format_for_path(target)
    if target.exists() and source.exists() and target.resolve() == source.resolve():
        raise OutputError(f"{target}: refusing to overwrite the input")
    if target.exists() and not overwrite:
        raise OutputError(f"{target}: exists; add --overwrite to replace it")
    return target


def write_image(image: "Image.Image", target: Path) -> None:
    """Encode ``image`` in the format ``target``'s suffix names (JPEG drops alpha) and write it atomically."""
    from alphacut.io.encode import encode_frames, format_for_path
    from alphacut.io.files import write_atomic

    fmt = format_for_path(target)
    if fmt == "JPEG" and image.mode == "RGBA":
        image = image.convert("RGB")
    write_atomic(target, encode_frames([image], fmt))
