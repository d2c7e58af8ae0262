"""Reading and writing images by local path or object-store URI (``s3://``, ``gs://``, ``file://``...).

URIs go through ``pyarrow.fs`` (installed with Ray Data), which resolves credentials the usual way
for each store (environment, instance profile, config files). Writes go to a hidden temporary name
beside the target and are then moved into place, as :func:`alphacut.io.files.write_atomic` does
for local files: a killed job leaves no truncated image (on object stores, a PUT is atomic anyway).
"""
from __future__ import annotations

import posixpath
import uuid
from pathlib import Path

from alphacut.errors import InputError, OutputError
from alphacut.io.files import is_hidden, write_atomic


def is_uri(location: str) -> bool:
    return "://" in location


def _filesystem(uri: str):
    try:
        from pyarrow import fs
    except ModuleNotFoundError:
        raise InputError(f"{uri}: object-store locations need pyarrow: pip install 'alphacut[ray]'") from None

    try:
        return fs.FileSystem.from_uri(uri)
    except Exception as exc:  # pyarrow raises ArrowInvalid / OSError with the reason
        raise InputError(f"{uri}: cannot open this location ({str(exc).splitlines()[0]})") from None


def read_bytes(location: str) -> bytes:
    """All bytes of a local file or an object; ``OSError``/``InputError`` name the location."""
    if not is_uri(location):
        return Path(location).read_bytes()
    filesystem, path = _filesystem(location)
    with filesystem.open_input_stream(path) as stream:
        return stream.read()


def exists(location: str) -> bool:
    if not is_uri(location):
        return Path(location).exists()
    filesystem, path = _filesystem(location)
    from pyarrow import fs  # present: _filesystem checked

    return filesystem.get_file_info(path).type != fs.FileType.NotFound


def write_bytes_atomic(location: str, data: bytes) -> None:
    if not is_uri(location):
        write_atomic(location, data)
        return
    filesystem, path = _filesystem(location)
    parent, name = posixpath.split(path)
    temporary = posixpath.join(parent, f".{name}.{uuid.uuid4().hex[:8]}.part")
    try:
        filesystem.create_dir(parent, recursive=True)
        with filesystem.open_output_stream(temporary) as stream:
            stream.write(data)
        filesystem.move(temporary, path)
    except OSError as exc:
        try:
            filesystem.delete_file(temporary)
        except OSError:
            pass
        raise OutputError(f"{location}: cannot write ({exc})") from None


def list_files(uri: str) -> list[tuple[str, str]]:
    """``(uri, path relative to uri)`` of every non-hidden file under a URI prefix, sorted; a URI
    naming one object gives that object with its base name."""
    filesystem, root = _filesystem(uri)
    from pyarrow import fs  # present: _filesystem checked

    info = filesystem.get_file_info(root)
    if info.type == fs.FileType.File:
        return [(uri, posixpath.basename(root))]
    if info.type == fs.FileType.NotFound:
        return []
    selector = fs.FileSelector(root, recursive=True)
    found = []
    for entry in filesystem.get_file_info(selector):
        if entry.type != fs.FileType.File:
            continue
        relative = posixpath.relpath(entry.path, root)
        if is_hidden(relative):  # the listing rule of local folders (alphacut.io.files)
            continue
        found.append((uri.rstrip("/") + "/" + relative, relative))
    return sorted(found, key=lambda item: item[1])


def join(location: str, relative: str) -> str:
    if is_uri(location):
        return location.rstrip("/") + "/" + relative
    return str(Path(location) / relative)
