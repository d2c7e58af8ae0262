"""Review fixtures: folders of images and candidates, and a real PostgreSQL server in a temp dir."""
from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import pytest
from PIL import Image

from alphacut.review import ReviewStore

TABLES = "review_votes, review_candidates, review_items, reviews"


def _postgres_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]) if p.split("/")[4].isdigit() else 0)
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """A throw-away PostgreSQL server (unix socket only, no TCP), started with initdb + pg_ctl.

    As root the server runs as the ``postgres`` user (PostgreSQL refuses to run as root)."""
    pytest.importorskip("psycopg", reason="psycopg is not installed (pip install -e '.[serve]')")
    binaries = _postgres_bin()
    if binaries is None:
        pytest.skip("PostgreSQL server binaries (initdb, pg_ctl) not found; scripts/bootstrap.sh installs the postgresql package")
    prefix: list[str] = []
    root = Path(tempfile.mkdtemp(prefix="alphacut-pg-"))
    if os.geteuid() == 0:
        try:
            account = pwd.getpwnam("postgres")
        except KeyError:
            pytest.skip("running as root and no 'postgres' user to run the PostgreSQL server")
        os.chown(root, account.pw_uid, account.pw_gid)
        prefix = ["runuser", "-u", "postgres", "--"]
    data, sockets, port = root / "data", root, _free_port()
    run = lambda *args: subprocess.run([*prefix, *args], check=True, capture_output=True, timeout=120)  # noqa: E731
    run(str(binaries / "initdb"), "-D", str(data), "-A", "trust", "-U", "alphacut", "-E", "UTF8", "--no-sync")
    options = f"-k {sockets} -p {port} -c listen_addresses='' -c fsync=off -c full_page_writes=off"
    run(str(binaries / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(root / "server.log"), "-w", "start")
    try:
        yield f"postgresql://alphacut@/postgres?host={sockets}&port={port}"
    finally:
        subprocess.run([*prefix, str(binaries / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"], capture_output=True, timeout=60)
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request, tmp_path) -> str:
    """Each store test runs on SQLite and on a real PostgreSQL server (emptied first)."""
    if request.param == "sqlite":
        return str(tmp_path / "reviews.sqlite3")
    url = request.getfixturevalue("postgres_url")
    import psycopg

    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute(f"DROP TABLE IF EXISTS {TABLES} CASCADE")
    return url


@pytest.fixture()
def store(database) -> ReviewStore:
    return ReviewStore(database)


def _image(path: Path, colour, size=(24, 16), mode="RGB") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new(mode, size, colour).save(path)


@pytest.fixture()
def folders(tmp_path) -> dict[str, Path]:
    """images/{a.jpg, b.png, sub/c.png, d.png}; model_x has a, b, sub/c; model_y has a (as webp), b; d has none."""
    images, x, y = tmp_path / "images", tmp_path / "model_x", tmp_path / "model_y"
    _image(images / "a.jpg", (10, 20, 30))
    _image(images / "b.png", (40, 50, 60))
    _image(images / "sub" / "c.png", (70, 80, 90))
    _image(images / "d.png", (1, 2, 3))
    _image(x / "a.png", (255, 0, 0, 255), mode="RGBA")
    _image(x / "b.png", (255, 0, 0, 128), mode="RGBA")
    _image(x / "sub" / "c.png", (255, 0, 0, 0), mode="RGBA")
    _image(y / "a.webp", (0, 0, 255, 200), mode="RGBA")
    _image(y / "b.png", 77, mode="L")  # a candidate may be a grey mask
    (y / "notes.txt").write_text("not an image")
    return {"images": images, "x": x, "y": y}
