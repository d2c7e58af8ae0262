"""Fetch weights published as chunks in an npm package, verifying every byte.

``@imgly/background-removal-data`` ships each model as 4 MiB chunks named by their sha256 and
listed, with byte offsets, in ``dist/resources.json``. We take the tarball with ``npm pack``
(no install, no scripts run), check each chunk's hash against its name and its length against its
offsets, and concatenate them.
"""
from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import tarfile
from pathlib import Path
from typing import Iterable

from alphacut.errors import InstallError
from alphacut.models.spec import NpmResource


def npm_pack(package: str, version: str, destination: Path) -> Path:
    """Run ``npm pack PACKAGE@VERSION`` in ``destination`` and return the tarball's path."""
    npm = shutil.which("npm")
    if npm is None:
        raise InstallError(
            "npm is not on PATH; install Node.js and npm (e.g. apt-get install nodejs npm), "
            "or fetch the tarball elsewhere with 'npm pack' and pass it with --from-tarball"
        )
    spec = f"{package}@{version}"
    result = subprocess.run(
        [npm, "pack", spec, "--silent", "--ignore-scripts"],
        cwd=destination,
        capture_output=True,
        text=True,
    )
    tarballs = sorted(destination.glob("*.tgz"))
    if result.returncode != 0 or not tarballs:
        reason = (result.stderr or result.stdout).strip().splitlines()
        raise InstallError(f"'npm pack {spec}' failed: {reason[-1] if reason else 'no tarball written'}")
    return tarballs[0]


def read_resources(tarball: Path) -> dict:
    try:
        with tarfile.open(tarball, "r:gz") as archive:
            member = archive.extractfile("package/dist/resources.json")
            if member is None:
                raise KeyError("package/dist/resources.json")
            return json.load(member)
    except (tarfile.TarError, KeyError, OSError, ValueError) as exc:
        raise InstallError(f"{tarball}: not a usable background-removal-data tarball ({exc})") from None


def assemble(tarball: Path, resource: NpmResource, output: Path) -> str:
    """Write the verified resource to ``output``; return the sha256 of the whole file."""
    resources = read_resources(tarball)
    if resource.resource not in resources:
        raise InstallError(f"{tarball}: has no resource {resource.resource!r}")
    entry = resources[resource.resource]
    chunks: list[dict] = entry["chunks"]
    whole = hashlib.sha256()
    written = 0
    with tarfile.open(tarball, "r:gz") as archive, open(output, "wb") as sink:
        members = {m.name: m for m in archive.getmembers()}
        for chunk in chunks:
            data = _read_member(archive, members, f"package/dist/{chunk['hash']}")
            start, end = chunk["offsets"]
            if hashlib.sha256(data).hexdigest() != chunk["hash"]:
                raise InstallError(f"chunk {chunk['hash'][:12]}… of {resource.resource}: sha256 mismatch")
            if len(data) != end - start or start != written:
                raise InstallError(f"chunk {chunk['hash'][:12]}… of {resource.resource}: wrong length or offset")
            sink.write(data)
            whole.update(data)
            written += len(data)
    if written != entry["size"]:
        raise InstallError(f"{resource.resource}: assembled {written} bytes, expected {entry['size']}")
    return whole.hexdigest()


def _read_member(archive: tarfile.TarFile, members: dict, name: str) -> bytes:
    member = members.get(name)
    stream = archive.extractfile(member) if member is not None else None
    if stream is None:
        raise InstallError(f"tarball lacks {name}")
    return stream.read()


def resource_names(tarball: Path) -> Iterable[str]:
    return read_resources(tarball).keys()
