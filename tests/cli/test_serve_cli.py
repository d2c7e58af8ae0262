"""``alphacut serve`` as a process: it binds loopback, serves the model it was given, and stops."""
from __future__ import annotations

from pathlib import Path

import pytest

from .serve_process import serve_process

httpx = pytest.importorskip("httpx")
pytest.importorskip("uvicorn", reason="the serve extra is not installed")


def test_serve_on_a_free_loopback_port(tiny_model, tmp_path):
    with serve_process("--model", str(tiny_model), "--review-db", str(tmp_path / "votes.sqlite3"),
                       "--concurrency", "1") as base:
        health = httpx.get(f"{base}/healthz", timeout=10).json()
        assert health["models"] == ["tiny"] and health["queue"]["concurrency"] == 1
        picture = (Path(tiny_model).parent / "p.png")
        from PIL import Image

        Image.new("RGB", (20, 10), (255, 255, 255)).save(picture)
        response = httpx.post(f"{base}/v1/mask", content=picture.read_bytes(), timeout=30)
        assert response.status_code == 200 and response.headers["content-type"] == "image/png"


def test_serve_without_the_model_fails_in_one_line(alphacut_cli, tmp_path):
    result = alphacut_cli("serve", "--model", str(tmp_path / "missing.onnx"))
    assert result.returncode == 4
    assert result.stderr.decode().strip().startswith("alphacut: error:") and "no such ONNX file" in result.stderr.decode()


def test_allowed_host_and_header_timeout_reach_the_server(tiny_model, tmp_path):
    import socket
    import time

    with serve_process("--model", str(tiny_model), "--review-db", str(tmp_path / "votes.sqlite3"),
                       "--allowed-host", "cutouts.example", "--header-timeout", "0.5") as base:
        assert httpx.get(f"{base}/healthz", headers={"Host": "cutouts.example"}, timeout=10).status_code == 200
        refused = httpx.get(f"{base}/healthz", headers={"Host": "evil.example"}, timeout=10)
        assert refused.status_code == 421 and "--allowed-host evil.example" in refused.json()["detail"]
        cross_site = httpx.post(f"{base}/v1/mask", content=b"x", headers={"Origin": "http://evil.example"}, timeout=10)
        assert cross_site.status_code == 403
        port = int(base.rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port), timeout=10) as silent:  # sends nothing
            start = time.monotonic()
            assert silent.recv(1) == b""  # closed by the server
            assert time.monotonic() - start < 5


def test_a_bad_allowed_host_is_one_line(alphacut_cli, tiny_model):
    result = alphacut_cli("serve", "--model", str(tiny_model), "--allowed-host", "http://cutouts.example/")
    assert result.returncode == 2
    assert result.stderr.decode().strip().startswith("alphacut: error: --allowed-host") and len(result.stderr.decode().strip().splitlines()) == 1
