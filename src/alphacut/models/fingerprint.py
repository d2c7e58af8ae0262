"""What a model file *is*: its content's sha256, the key of every form and cache built from it.

A model given as a path is that file, whatever it is called: two files named ``isnet.onnx`` in
different folders, or one file replaced in place, must never share an optimised form or a
compiled blob. So derived files (OpenVINO's compiled cache, the CUDA batched form) are stored
under the sha256 of the file they were built from, and recorded forms carry that sha256
(:mod:`alphacut.models.forms`). OpenVINO's own cache key for a model path is not enough: it is
built from the path and the file's modification time, so a file rewritten within the same
second compiles to the stale blob (checked with OpenVINO 2026.4).

Hashing 176 MB takes about 0.1-0.3 s, so digests are remembered per process, keyed by the file's
identity (path, inode, size, modification time in ns); store models use the sha256 their
manifest recorded at install (the store checks the size before use).
"""
from __future__ import annotations

import hashlib
import threading
from pathlib import Path

from alphacut.config import alphacut_home

_digests: dict[tuple, str] = {}
_digests_lock = threading.Lock()


def file_identity(path: Path) -> tuple:
    """What changes when the file at ``path`` is replaced or rewritten."""
    stat = path.stat()
    return (str(path.resolve()), stat.st_ino, stat.st_size, stat.st_mtime_ns)


def file_sha256(path: Path) -> str:
    """The sha256 of a file's bytes; an OpenVINO IR (``.xml``) also covers its ``.bin`` weights."""
    path = Path(path)
    parts = [path]
    if path.suffix == ".xml" and path.with_suffix(".bin").is_file():
        parts.append(path.with_suffix(".bin"))
    key = tuple(file_identity(part) for part in parts)
    with _digests_lock:
        known = _digests.get(key)
    if known is not None:
        return known
    digest = hashlib.sha256()
    for part in parts:
        with open(part, "rb") as stream:
            for block in iter(lambda: stream.read(1 << 20), b""):
                digest.update(block)
    value = digest.hexdigest()
    with _digests_lock:
        _digests[key] = value
    return value


def derived_dir(sha256: str) -> Path:
    """Where files built from the model with this sha256 live (created on first use)."""
    folder = alphacut_home() / "derived" / sha256
    folder.mkdir(parents=True, exist_ok=True)
    return folder
