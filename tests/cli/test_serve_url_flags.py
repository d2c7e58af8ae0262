"""``alphacut serve --allow-url-fetch --allow-url-host``: the flags reach the drop-ins' URL fetching."""
from __future__ import annotations

import pytest

from .serve_process import serve_process

httpx = pytest.importorskip("httpx")
pytest.importorskip("uvicorn", reason="the serve extra is not installed")


def test_allow_url_host_needs_allow_url_fetch(alphacut_cli, tiny_model):
    result = alphacut_cli("serve", "--model", str(tiny_model), "--allow-url-host", "images.example.com")
    assert result.returncode == 2
    assert "--allow-url-host needs --allow-url-fetch" in result.stderr.decode()


def test_url_fetch_flags_reach_the_server(tiny_model, tmp_path):
    with serve_process("--model", str(tiny_model), "--review-db", str(tmp_path / "votes.sqlite3"),
                       "--allow-url-fetch", "--allow-url-host", "images.example.com") as base:
        # fetching is on (not url_fetch_disabled), and a host off the allow-list is refused before any lookup
        answer = httpx.post(f"{base}/v1.0/removebg", json={"image_url": "http://127.0.0.1:9/x.png"}, timeout=30)
        assert answer.status_code == 400
        error = answer.json()["errors"][0]
        assert error["code"] == "url_refused" and "allow-list" in error["title"]
