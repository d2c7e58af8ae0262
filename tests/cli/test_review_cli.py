"""``alphacut review``: create, list, status, export and delete from the command line."""
from __future__ import annotations

from PIL import Image

from alphacut.review import ReviewStore


def make_folders(root):
    images, a, b = root / "images", root / "isnet", root / "u2net"
    for folder in (images, a, b):
        folder.mkdir()
    for name in ("cat", "dog", "eel"):
        Image.new("RGB", (8, 6), (1, 2, 3)).save(images / f"{name}.jpg")
    for name in ("cat", "dog"):
        Image.new("RGBA", (8, 6), (9, 9, 9, 255)).save(a / f"{name}.png")
        Image.new("RGBA", (8, 6), (9, 9, 9, 60)).save(b / f"{name}.png")
    return images, a, b


def test_create_vote_status_export_delete(alphacut_cli, tmp_path):
    images, a, b = make_folders(tmp_path)
    db = str(tmp_path / "votes.sqlite3")
    created = alphacut_cli("review", "create", "pets", "--images", str(images), "--candidates", str(a), str(b), "--db", db)
    assert created.returncode == 0, created.stderr
    assert "2 images (isnet: 2, u2net: 2)" in created.stdout.decode()
    assert "1 images have no candidate" in created.stderr.decode()

    store = ReviewStore(db)
    cat, dog = store.items("pets")
    store.vote("pets", cat.id, "ana", "u2net")
    store.vote("pets", dog.id, "ana", "none")

    listed = alphacut_cli("review", "list", "--db", db).stdout.decode()
    assert "pets: 2/2 images voted, 2 votes, 1 reviewers; candidates: isnet, u2net" in listed
    status = alphacut_cli("review", "status", "pets", "--db", db).stdout.decode().splitlines()
    assert status[0].split("\t")[:3] == ["cat", "u2net", "100%"]

    out = tmp_path / "out"
    exported = alphacut_cli("review", "export", "pets", "-o", str(out), "--db", db)
    assert exported.returncode == 0, exported.stderr
    assert "1 exported" in exported.stdout.decode() and "1 none is good" in exported.stdout.decode()
    assert (out / "final" / "cat.png").exists() and (out / "training" / "masks" / "cat.png").exists()
    again = alphacut_cli("review", "export", "pets", "-o", str(out), "--db", db)
    assert again.returncode == 3 and "--overwrite" in again.stderr.decode()

    assert alphacut_cli("review", "delete", "pets", "--db", db).returncode == 0
    assert alphacut_cli("review", "list", "--db", db).stdout.decode() == ""


def test_errors_are_one_line(alphacut_cli, tmp_path):
    images, a, _ = make_folders(tmp_path)
    db = str(tmp_path / "votes.sqlite3")
    missing = alphacut_cli("review", "create", "x", "--images", str(tmp_path / "nope"), "--candidates", str(a), "--db", db)
    assert missing.returncode == 2 and missing.stderr.decode().count("\n") == 1 and "not a folder" in missing.stderr.decode()
    unknown = alphacut_cli("review", "export", "ghost", "-o", str(tmp_path / "o"), "--db", db)
    assert unknown.returncode == 2 and "no review named 'ghost'" in unknown.stderr.decode()


def test_a_database_that_cannot_connect_is_one_line_and_exit_1(alphacut_cli, tmp_path):
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"postgresql://reviewer:hunter2@127.0.0.1:{port}/votes"
    for args in (["review", "list", "--db", url], ["review", "status", "x", "--db", url]):
        result = alphacut_cli(*args)
        stderr = result.stderr.decode()
        assert result.returncode == 1 and result.stdout == b""
        assert stderr.count("\n") == 1 and stderr.startswith("alphacut: error: review database postgresql://reviewer:***@")
        assert "hunter2" not in stderr and "Traceback" not in stderr


def test_serve_with_a_review_database_that_cannot_connect_stops_at_once(alphacut_cli):
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    result = alphacut_cli("serve", "--port", "0", "--review-db", f"postgresql://reviewer:hunter2@127.0.0.1:{port}/votes")
    stderr = result.stderr.decode()
    assert result.returncode == 1 and stderr.count("\n") == 1
    assert stderr.startswith("alphacut: error: review database postgresql://reviewer:***@") and "hunter2" not in stderr
