"""The connection limits ``alphacut serve`` gives uvicorn: a slow-loris client is dropped once its
head or body is late, an idle keep-alive connection is closed, and connections past the limit are
answered 503 by uvicorn; the server keeps serving everyone else."""
from __future__ import annotations

import time

import httpx

from alphacut.server.settings import ServerSettings
from alphacut.server.transport import MAX_HEAD_BYTES, uvicorn_config

from .raw_http import closed_by_server, connect, head, read_response
from .test_api import encoded, white_square

SHORT = {"header_timeout_s": 0.5, "body_timeout_s": 0.8, "keep_alive_s": 0.3}


def drip(sock, data: bytes, every: float, for_at_most: float, since: float | None = None) -> float | None:
    """Send ``data`` a byte at a time; seconds from ``since`` (default: now) until the server
    closed the connection, or None if it had not after ``for_at_most`` seconds."""
    start = time.monotonic() if since is None else since
    for byte in data:
        if time.monotonic() - start > for_at_most:
            return None
        try:
            sock.sendall(bytes([byte]))
        except (BrokenPipeError, ConnectionResetError):
            return time.monotonic() - start
        before = time.monotonic()
        if (closed := closed_by_server(sock, within=every)) is not None:
            return before + closed - start
    return None


def test_a_slow_head_is_dropped_after_the_header_timeout(live_server):
    with live_server(**SHORT) as server, connect(server.port) as sock:
        request = head("GET", "/healthz", {"Host": "127.0.0.1", "X-Padding": "p" * 200})
        closed = drip(sock, request, every=0.05, for_at_most=5)
        assert closed is not None and 0.4 < closed < 2.0, closed
        assert httpx.get(server.url + "/healthz", timeout=5).status_code == 200


def test_a_silent_connection_is_dropped_after_the_header_timeout(live_server):
    with live_server(header_timeout_s=0.5, keep_alive_s=30) as server, connect(server.port) as sock:
        closed = closed_by_server(sock, within=5)
        assert closed is not None and 0.4 < closed < 2.0


def test_a_slow_body_is_dropped_and_its_admission_released(live_server):
    with live_server(concurrency=1, queue_size=0, **SHORT) as server, connect(server.port) as sock:
        head_sent = time.monotonic()
        sock.sendall(head("POST", "/v1/remove", {"Host": "127.0.0.1", "Content-Length": "5000"}))
        assert _admitted(server) == 1  # admitted from its head
        closed = drip(sock, b"x" * 5000, every=0.05, for_at_most=5, since=head_sent)
        assert closed is not None and 0.7 < closed < 2.5, closed
        deadline = time.monotonic() + 5
        while _admitted(server) and time.monotonic() < deadline:
            time.sleep(0.01)
        assert _admitted(server) == 0
        answer = httpx.post(server.url + "/v1/remove", content=encoded(white_square()), timeout=30)
        assert answer.status_code == 200  # its slot is free again


def test_an_idle_keep_alive_connection_is_closed(live_server):
    with live_server(**SHORT) as server, connect(server.port) as sock:
        sock.sendall(head("GET", "/healthz", {"Host": "127.0.0.1"}))
        assert read_response(sock).status == 200
        closed = closed_by_server(sock, within=5)
        assert closed is not None and closed < 1.5


def test_a_head_over_the_size_limit_is_refused(live_server):
    """A head still incomplete past MAX_HEAD_BYTES is refused (h11 holds no more of it)."""
    with live_server() as server, connect(server.port) as sock:
        unfinished = head("GET", "/healthz", {"Host": "127.0.0.1", "X-Padding": "p" * (MAX_HEAD_BYTES + 10)})[:-4]
        sock.sendall(unfinished)
        assert read_response(sock).status == 400


def test_connections_past_the_limit_get_503_from_uvicorn(live_server):
    with live_server(concurrency=1, queue_size=0, max_connections=3, header_timeout_s=30, keep_alive_s=30) as server:
        idle = [connect(server.port) for _ in range(3)]
        try:
            time.sleep(0.2)
            with connect(server.port) as sock:
                sock.sendall(head("GET", "/healthz", {"Host": "127.0.0.1"}))
                assert read_response(sock).status == 503
        finally:
            for sock in idle:
                sock.close()
        time.sleep(0.2)
        assert httpx.get(server.url + "/healthz", timeout=5).status_code == 200


def test_the_settings_reach_uvicorn(tiny_model):
    settings = ServerSettings(models=(str(tiny_model),), concurrency=3, queue_size=4, keep_alive_s=7,
                              header_timeout_s=2, body_timeout_s=9)
    config = uvicorn_config(object(), settings, host="127.0.0.1", port=0)
    assert config.limit_concurrency == 3 + 4 + 32 and config.timeout_keep_alive == 7
    assert (config.http.header_timeout_s, config.http.body_timeout_s) == (2, 9)
    assert config.h11_max_incomplete_event_size == MAX_HEAD_BYTES


def _admitted(server) -> int:
    return httpx.get(server.url + "/healthz", timeout=5).json()["queue"]["admitted"]
