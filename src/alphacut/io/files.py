"""Image files on disk: which files are images (one listing rule for every command), the alpha of
a mask or cutout file, and writes that a killed run never leaves half done (and whose leftover
temporary files the next run removes).

The listing rule, used by batch removal, datasets, evaluation sets, backgrounds and reviews alike:
a folder is searched recursively, only files with an image extension (any case) count, and every
hidden name is skipped, a hidden file (``.e.jpg``, macOS's ``._a.jpg``) and everything under a
hidden folder (``.git/``, ``.thumbnails/``) alike. Before this rule some commands read hidden
folders or hidden files and others did not; now none does.
"""
from __future__ import annotations

import errno
import fcntl
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path, PurePath, PurePosixPath

import numpy as np

from alphacut.errors import DiskFullError, OutputError
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


#: Every temporary file that :func:`write_atomic` makes is named ``.{target name}.{8 random
#: characters}.part`` in the target's folder.
TEMPORARY_SUFFIX = ".part"
_RANDOM_PART = 8  # the length of tempfile.mkstemp's random part
_NO_LOCKS = frozenset({errno.ENOLCK, errno.EOPNOTSUPP, errno.ENOTSUP, errno.EINVAL})  # flock unsupported there


def write_atomic(path: str | Path, data: bytes) -> None:
    """Write ``data`` to a temporary file beside ``path`` and rename it into place.

    A run killed at any moment leaves either the old file, the new file, or nothing under the
    final name: never a truncated image. The temporary name starts with a dot so folder watchers
    (and :func:`list_images`) skip it; it is locked (``flock``) while it is written, so that
    :func:`remove_stale_temporaries` can tell what a killed writer left (the kernel drops a dead
    process's locks) from a write in progress. A failed write (a full disk, a quota) removes the
    temporary file and raises :class:`OutputError` naming the target (:class:`DiskFullError` when
    the disk or quota is full).
    """
    target = Path(path)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = _locked_temporary(target)
    except OSError as exc:
        raise _write_error(target, exc) from exc
    try:
        _write_all(handle, data)
        os.fchmod(handle, 0o666 & ~_UMASK)  # mkstemp makes 0600; outputs get normal permissions
        os.replace(temporary, target)
    except BaseException as exc:
        _unlink_if_present(temporary)
        if isinstance(exc, OSError):
            raise _write_error(target, exc) from exc
        raise
    finally:
        os.close(handle)  # after the rename: the lock is held until the temporary name is gone


def remove_stale_temporaries(targets: Iterable[str | Path]) -> list[Path]:
    """Remove the temporary files that killed runs of :func:`write_atomic` left beside
    ``targets``; returns the files removed. A temporary file that a live writer holds locked
    (another run writing into the same folder) is left alone. Each folder is listed once."""
    names_by_folder: dict[Path, set[str]] = {}
    for target in targets:
        path = Path(target)
        names_by_folder.setdefault(path.parent, set()).add(path.name)
    removed = []
    for folder, names in names_by_folder.items():
        try:
            entries = os.listdir(folder)
        except (FileNotFoundError, NotADirectoryError):
            continue  # no output written there yet
        for entry in entries:
            if _temporary_owner(entry) in names and _remove_if_unlocked(folder / entry):
                removed.append(folder / entry)
    return removed


def _locked_temporary(target: Path) -> tuple[int, Path]:
    """A new temporary file beside ``target``: its descriptor, locked, and its path."""
    while True:
        handle, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=TEMPORARY_SUFFIX, dir=target.parent)
        try:
            fcntl.flock(handle, fcntl.LOCK_EX)
        except OSError as exc:
            if exc.errno not in _NO_LOCKS:
                os.close(handle)
                _unlink_if_present(name)
                raise
            # a filesystem without locks: the write is as atomic, and no cleanup removes this file
            # (remove_stale_temporaries cannot lock it either, so it leaves it)
            return handle, Path(name)
        try:
            if os.stat(name).st_ino == os.fstat(handle).st_ino:
                return handle, Path(name)
        except FileNotFoundError:
            pass
        # a cleanup removed it between its creation and the lock: make another
        os.close(handle)


def _write_error(target: Path, exc: OSError) -> OutputError:
    kind = DiskFullError if exc.errno in (errno.ENOSPC, errno.EDQUOT) else OutputError
    return kind(f"cannot write {target}: {exc.strerror or exc}")


def _write_all(handle: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(handle, view):]


def _temporary_owner(entry: str) -> str | None:
    """The target name a :func:`write_atomic` temporary file belongs to; ``None`` for other names."""
    if not (entry.startswith(".") and entry.endswith(TEMPORARY_SUFFIX)):
        return None
    owner, dot, random_part = entry[1:-len(TEMPORARY_SUFFIX)].rpartition(".")
    return owner if dot and owner and len(random_part) == _RANDOM_PART else None


def _remove_if_unlocked(path: Path) -> bool:
    try:
        handle = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError:
        return False  # gone (its writer finished), or a link or a file we may not open
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return False  # a live writer holds it, or this filesystem has no locks to tell
        return _unlink_if_present(path)
    finally:
        os.close(handle)


def _unlink_if_present(path: str | Path) -> bool:
    try:
        os.unlink(path)
    except FileNotFoundError:
        return False
    return True


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


#: Read once at import: reading it means setting it, and a umask of 0 for even a moment would
#: race with the batch's writer threads (folders they create would be world-writable).
_UMASK = _umask()
