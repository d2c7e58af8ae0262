"""Image files on disk: which files are images (one listing rule for every command), the alpha of
a mask or cutout file, and writes that a killed run never leaves half done.

The listing rule, used by batch removal, datasets, evaluation sets, backgrounds and reviews alike:
a folder is searched recursively, only files with an image extension (any case) count, and every
hidden name is skipped, a hidden file (``.e.jpg``, macOS's ``._a.jpg``) and everything under a
hidden folder (``.git/``, ``.thumbnails/``) alike. Before this rule some commands read hidden
folders or hidden files and others did not; now none does.
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path, PurePath, PurePosixPath

import numpy as np

from alphacut.io.decode import ImageSource, open_image, wide_grey_to_l

IMAGE_EXTENSIONS = frozenset({
    ".jpg", ".jpeg", ".jfif", ".png", ".webp", ".gif", ".bmp", ".tif", ".tiff",
    ".heic", ".heif", ".avif", ".ppm", ".pgm", ".pbm", ".tga", ".ico", ".jp2",
})

#: Modes whose last band is an alpha channel (``La``/``RGBa``: premultiplied, the alpha is the same).
ALPHA_MODES = frozenset({"RGBA", "RGBa", "LA", "La", "PA"})


def is_image_path(path: str | PurePath) -> bool:
    """Whether the name (a path, a relative name or an object-store URI) has an image extension."""
    return PurePosixPath(str(path)).suffix.lower() in IMAGE_EXTENSIONS


def is_hidden(relative: str | PurePath) -> bool:
    """Whether any part of a relative path starts with a dot (a hidden file, or one in a hidden folder)."""
    return any(part.startswith(".") for part in PurePath(relative).parts)


def list_images(folder: Path, *, exclude: Path | None = None) -> list[Path]:
    """Every image file under ``folder``, recursively, sorted; hidden files and everything in
    hidden folders are skipped (see the module docstring). Files inside ``exclude`` are skipped
    too: the output folder of an earlier run placed inside the input folder holds results, not inputs.

    Symbolic links to files are listed; links to folders are not followed (as ``Path.rglob``).
    """
    excluded = exclude.resolve() if exclude is not None else None
    found = []
    for directory, subfolders, files in os.walk(folder):
        here = Path(directory)
        # pruning in place keeps os.walk out of hidden folders (a .git with thousands of objects)
        subfolders[:] = [name for name in subfolders if not name.startswith(".")]
        for name in files:
            path = here / name
            if name.startswith(".") or not is_image_path(name) or not path.is_file():
                continue
            if excluded is not None and path.resolve().is_relative_to(excluded):
                continue
            found.append(path)
    return sorted(found)


def read_alpha(
    source: ImageSource, *, name: str | None = None, max_pixels: int | None = None, grey_if_opaque: bool = False
) -> np.ndarray:
    """The mask in a file as uint8 H x W (255 = subject): the alpha channel of an image that has one
    (RGBA, LA, a palette or grey image with a transparent colour), else the grey value (8- or
    16-bit grey, RGB). ``grey_if_opaque``: an image whose alpha is 255 everywhere is read by its
    grey values instead (a mask painted in an editor that saved it as RGBA).

    Read under :func:`alphacut.io.decode.open_image`'s pixel limit and errors (``InputError``,
    ``ImageTooLargeError``), with the EXIF orientation applied as for the image it belongs to.
    """
    image = open_image(source, name=name, max_pixels=max_pixels)
    if image.mode in ("P", "L", "1", "RGB") and "transparency" in image.info:
        image = image.convert("RGBA")  # a transparent palette index or grey/RGB colour becomes alpha
    if image.mode in ALPHA_MODES:
        alpha = np.array(image.getchannel("A"))
        if not (grey_if_opaque and alpha.min() == 255):
            return alpha
    if image.mode.startswith("I") or image.mode == "F":
        return np.array(wide_grey_to_l(image))
    return np.array(image.convert("L"))


def write_atomic(path: str | Path, data: bytes) -> None:
    """Write ``data`` to a temporary file beside ``path`` and rename it into place.

    A run killed at any moment leaves either the old file, the new file, or nothing: never a
    truncated image. The temporary name starts with a dot so folder watchers (and
    :func:`list_images`) skip it.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.chmod(temporary, 0o666 & ~_UMASK)  # mkstemp makes 0600; outputs get normal permissions
        os.replace(temporary, target)
    except BaseException:
        try:
            os.unlink(temporary)
        except FileNotFoundError:
            pass
        raise


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


#: Read once at import: reading it means setting it, and a umask of 0 for even a moment would
#: race with the batch's writer threads (folders they create would be world-writable).
_UMASK = _umask()
