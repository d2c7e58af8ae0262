"""Weights from npm chunks: every chunk's hash, length and offset is checked before use."""
from __future__ import annotations

import hashlib
import io
import json
import os
import stat
import tarfile
from pathlib import Path

import pytest

from alphacut.errors import InstallError
from alphacut.models import npm
from alphacut.models.spec import NpmResource

RESOURCE = NpmResource("@imgly/background-removal-data", "1.4.5", "/models/medium")
PAYLOAD = bytes(range(256)) * 37 + b"tail"  # 9476 bytes, not a multiple of the chunk count


def test_assemble_concatenates_verified_chunks(make_npm_tarball, tmp_path):
    tarball = make_npm_tarball({"/models/medium": PAYLOAD, "/models/small": b"other"}, chunks=4)
    output = tmp_path / "model.onnx"
    digest = npm.assemble(tarball, RESOURCE, output)
    assert output.read_bytes() == PAYLOAD
    assert digest == hashlib.sha256(PAYLOAD).hexdigest()
    assert sorted(npm.resource_names(tarball)) == ["/models/medium", "/models/small"]


def test_single_chunk_resource(make_npm_tarball, tmp_path):
    tarball = make_npm_tarball({"/models/medium": b"just one chunk"}, chunks=1)
    assert npm.assemble(tarball, RESOURCE, tmp_path / "m") == hashlib.sha256(b"just one chunk").hexdigest()


def test_tampered_chunk_is_refused(make_npm_tarball, tmp_path):
    tarball = make_npm_tarball({"/models/medium": PAYLOAD}, tamper="/models/medium")
    with pytest.raises(InstallError, match="sha256 mismatch"):
        npm.assemble(tarball, RESOURCE, tmp_path / "model.onnx")


@pytest.mark.parametrize("delta", [-1, 1, 1000])
def test_wrong_total_size_is_refused(make_npm_tarball, tmp_path, delta):
    tarball = make_npm_tarball({"/models/medium": PAYLOAD}, size_delta=delta)
    with pytest.raises(InstallError, match="expected"):
        npm.assemble(tarball, RESOURCE, tmp_path / "model.onnx")


def rewrite_index(tarball: Path, change) -> Path:
    """Copy ``tarball`` with resources.json passed through ``change``."""
    with tarfile.open(tarball, "r:gz") as archive:
        members = {m.name: archive.extractfile(m).read() for m in archive.getmembers()}  # type: ignore[union-attr]
    index = json.loads(members["package/dist/resources.json"])
    change(index)
    members["package/dist/resources.json"] = json.dumps(index).encode()
    out = tarball.with_name("rewritten.tgz")
    with tarfile.open(out, "w:gz") as archive:
        for name, payload in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(payload)
            archive.addfile(info, io.BytesIO(payload))
    return out


def test_chunks_out_of_order_are_refused(make_npm_tarball, tmp_path):
    tarball = rewrite_index(
        make_npm_tarball({"/models/medium": PAYLOAD}, chunks=3),
        lambda index: index["/models/medium"]["chunks"].reverse(),
    )
    with pytest.raises(InstallError, match="offset"):
        npm.assemble(tarball, RESOURCE, tmp_path / "model.onnx")


def test_wrong_chunk_length_is_refused(make_npm_tarball, tmp_path):
    def stretch(index):
        index["/models/medium"]["chunks"][0]["offsets"][1] += 1

    tarball = rewrite_index(make_npm_tarball({"/models/medium": PAYLOAD}), stretch)
    with pytest.raises(InstallError, match="length"):
        npm.assemble(tarball, RESOURCE, tmp_path / "model.onnx")


def test_missing_chunk_is_refused(make_npm_tarball, tmp_path):
    def invent(index):
        index["/models/medium"]["chunks"][1]["hash"] = "0" * 64

    tarball = rewrite_index(make_npm_tarball({"/models/medium": PAYLOAD}), invent)
    with pytest.raises(InstallError, match="lacks"):
        npm.assemble(tarball, RESOURCE, tmp_path / "model.onnx")


def test_unknown_resource_is_refused(make_npm_tarball, tmp_path):
    tarball = make_npm_tarball({"/models/small": PAYLOAD})
    with pytest.raises(InstallError, match="/models/medium"):
        npm.assemble(tarball, RESOURCE, tmp_path / "model.onnx")


def test_not_a_tarball_is_refused(tmp_path):
    bogus = tmp_path / "bogus.tgz"
    bogus.write_bytes(b"not gzip at all")
    with pytest.raises(InstallError, match="not a usable"):
        npm.read_resources(bogus)


def test_tarball_without_resources_json_is_refused(tmp_path):
    path = tmp_path / "other.tgz"
    with tarfile.open(path, "w:gz") as archive:
        info = tarfile.TarInfo("package/package.json")
        info.size = 2
        archive.addfile(info, io.BytesIO(b"{}"))
    with pytest.raises(InstallError, match="resources.json"):
        npm.read_resources(path)


# --- npm pack --------------------------------------------------------------------------------

def fake_npm(folder: Path, script: str) -> None:
    folder.mkdir(exist_ok=True)
    path = folder / "npm"
    path.write_text("#!/bin/sh\n" + script)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)


def test_npm_pack_without_npm_explains_what_to_do(monkeypatch, tmp_path):
    monkeypatch.setattr(npm.shutil, "which", lambda name: None)
    with pytest.raises(InstallError, match="--from-tarball"):
        npm.npm_pack("@imgly/background-removal-data", "1.4.5", tmp_path)


def test_npm_pack_returns_the_tarball(monkeypatch, tmp_path):
    bin_dir = tmp_path / "bin"
    fake_npm(bin_dir, 'echo "$@" > args.txt\ntouch imgly-background-removal-data-1.4.5.tgz\n')
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    work = tmp_path / "work"
    work.mkdir()
    tarball = npm.npm_pack("@imgly/background-removal-data", "1.4.5", work)
    assert tarball == work / "imgly-background-removal-data-1.4.5.tgz"
    args = (work / "args.txt").read_text().split()
    assert args[:2] == ["pack", "@imgly/background-removal-data@1.4.5"]
    assert "--ignore-scripts" in args  # never run package scripts


def test_npm_pack_failure_reports_npm_s_last_line(monkeypatch, tmp_path):
    bin_dir = tmp_path / "bin"
    fake_npm(bin_dir, 'echo "npm notice something" >&2\necho "npm error 404 Not Found" >&2\nexit 1\n')
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    with pytest.raises(InstallError, match="404 Not Found"):
        npm.npm_pack("@imgly/background-removal-data", "9.9.9", tmp_path)
