"""Admission before the body is read, over real sockets: a refused upload is answered from its
head alone (503 when every slot is taken, 413 when its declared size is over the limit), a
chunked body is cut off at the limit, and slots are counted from the head, so however many
clients start uploads at once, at most ``concurrency + queue`` bodies are ever being held."""
from __future__ import annotations

import io
import socket
import threading
import time
import warnings

import httpx
import numpy as np
import pytest
from fastapi import APIRouter, Request
from PIL import Image

from alphacut.errors import InputError
from alphacut.io.decode import decode_image
from alphacut.server.gate import admission_of

from .raw_http import closed_by_server, connect, head, read_response
from .test_api import encoded, white_square

HUGE = 20 * 1024 * 1024 * 1024  # 20 GiB declared; never sent
UNDER_THE_LIMIT = 20 * 1024 * 1024  # 20 MiB declared (the upload limit is 25 MiB); never sent


def upload_head(port: int, length: int | str, path: str = "/v1/remove", **extra: str) -> bytes:
    headers = {"Host": f"127.0.0.1:{port}", "Content-Type": "application/octet-stream", **extra}
    headers["Transfer-Encoding" if length == "chunked" else "Content-Length"] = str(length)
    return head("POST", path, headers)


def wait_until(condition, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.01)


@pytest.fixture()
def busy_server(live_server, gated):
    """One worker held in the model by the gate, no queue: every further upload is refused."""
    with live_server(concurrency=1, queue_size=0, sessions={"tiny": gated}) as server:
        holder = threading.Thread(target=httpx.post, args=(server.url + "/v1/remove",),
                                  kwargs={"content": encoded(white_square()), "timeout": 60}, daemon=True)
        holder.start()
        try:
            assert gated.entered.acquire(timeout=20)
            yield server
        finally:
            gated.gate.set()
            holder.join(timeout=20)


@pytest.mark.parametrize("path", ["/v1/remove", "/v1/mask", "/v1.0/removebg", "/api/remove"])
def test_a_full_server_answers_503_from_the_head_alone(busy_server, path):
    with connect(busy_server.port) as sock:
        sock.sendall(upload_head(busy_server.port, UNDER_THE_LIMIT, path))  # no body follows
        answer = read_response(sock, timeout=5)
        assert answer.status == (429 if path.startswith("/v1.0/") else 503)  # remove.bg's own status for busy
        assert int(answer.headers["retry-after"]) >= 1 and answer.headers["connection"] == "close"
        assert closed_by_server(sock, within=5) is not None


def test_a_fetching_route_is_admitted_too(busy_server):
    answer = httpx.get(f"{busy_server.url}/api/remove", params={"url": "http://127.0.0.1:9/x.png"}, timeout=10)
    assert answer.status_code == 503 and "busy" in answer.text


def test_a_declared_body_over_the_limit_is_413_before_it_is_sent(live_server):
    with live_server(max_upload_bytes=100_000) as server:
        for path, declared in (("/v1/remove", HUGE), ("/v1/remove", 100_001), ("/v1/reviews/r/items/1/vote", 70_000)):
            with connect(server.port) as sock:
                sock.sendall(upload_head(server.port, declared, path))
                answer = read_response(sock, timeout=5)
                assert answer.status == 413 and b"payload_too_large" in answer.body, (path, answer)
        assert httpx.get(server.url + "/healthz").json()["queue"]["admitted"] == 0


def test_a_chunked_body_is_cut_off_at_the_limit(live_server):
    limit = 200_000
    chunk = b"x" * 65536
    with live_server(max_upload_bytes=limit) as server, connect(server.port) as sock:
        sock.sendall(upload_head(server.port, "chunked"))
        sent, answer = 0, b""
        while sent < 50 * limit and not answer:  # far more than the limit, unless the server answers first
            try:
                sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            except (BrokenPipeError, ConnectionResetError):
                break
            sent += len(chunk)
            answer = _available(sock)
        answer += _rest(sock)
        assert answer.startswith(b"HTTP/1.1 413") and b"payload_too_large" in answer, answer[:100]
        assert sent < 4 * limit  # answered soon after the limit, not after the whole body


def _available(sock: socket.socket) -> bytes:
    sock.settimeout(0.001)
    try:
        return sock.recv(65536)
    except socket.timeout:
        return b""


def _rest(sock: socket.socket) -> bytes:
    sock.settimeout(5)
    data = b""
    try:
        while chunk := sock.recv(65536):
            data += chunk
    except OSError:
        pass
    return data


def test_slots_are_taken_at_the_head_so_bodies_in_memory_stay_bounded(live_server):
    """Ten clients start 1 MB uploads and send only a part: two are admitted (concurrency 1 +
    queue 1) while their bodies arrive; the other eight are refused at once, before sending more."""
    body = encoded(Image.new("RGB", (600, 600), (255, 255, 255)), "BMP")
    with live_server(concurrency=1, queue_size=1) as server:
        sockets = [connect(server.port) for _ in range(10)]
        try:
            for sock in sockets:
                sock.sendall(upload_head(server.port, len(body)) + body[:1000])
            wait_until(lambda: httpx.get(server.url + "/healthz").json()["queue"]["refused"] == 8)
            stats = httpx.get(server.url + "/healthz").json()["queue"]
            assert stats["admitted"] == 2 and stats["running"] == 0  # both admitted still reading their bodies
            statuses = {}
            for index, sock in enumerate(sockets):
                sock.settimeout(0.5)
                try:
                    statuses[index] = read_response(sock, timeout=0.5).status
                except OSError:
                    statuses[index] = None  # no answer yet: admitted, waiting for its body
            assert sorted(statuses.values(), key=str) == [503] * 8 + [None, None]
            for index, sock in enumerate(sockets):
                if statuses[index] is None:
                    sock.sendall(body[1000:])
                    assert read_response(sock, timeout=30).status == 200
        finally:
            for sock in sockets:
                sock.close()
        wait_until(lambda: httpx.get(server.url + "/healthz").json()["queue"]["admitted"] == 0)


def test_a_background_image_is_decoded_one_frame_only(client):
    """An animated background whose later frame is truncated: only the first frame is decoded,
    so the request succeeds (decoding every frame would refuse it as corrupt)."""
    noise = np.random.default_rng(0).integers(0, 255, (2, 48, 64, 3), dtype=np.uint8)
    frames = [Image.new("RGB", (64, 48), (0, 90, 0)), *map(Image.fromarray, noise)]
    buffer = io.BytesIO()
    frames[0].save(buffer, format="GIF", save_all=True, append_images=frames[1:], duration=50)
    truncated = buffer.getvalue()[:-1000]  # inside the last frame's data
    with pytest.raises(InputError, match="truncated"):
        decode_image(truncated, name="bg_image")  # decoding every frame refuses it
    files = {"file": ("a.png", encoded(white_square()), "image/png"), "bg_image": ("bg.gif", truncated, "image/gif")}
    answer = client.post("/v1/remove", files=files)
    assert answer.status_code == 200, answer.text
    composed = Image.open(io.BytesIO(answer.content)).convert("RGB")
    assert composed.getpixel((2, 2)) == (0, 90, 0)  # the first frame's colour where the background shows


def test_a_route_that_runs_model_work_unmarked_fails_loudly(make_app):
    """A route that calls admission_of without @upload_route has no slot: a 500, never unbounded work."""
    router = APIRouter()

    @router.post("/unmarked")
    async def unmarked(request: Request) -> int:
        return await admission_of(request).run(lambda: 1)

    app = make_app()
    app.include_router(router)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # starlette's notice about httpx versions
        from fastapi.testclient import TestClient
    with TestClient(app, base_url="http://localhost", raise_server_exceptions=False) as client:
        answer = client.post("/unmarked", content=b"x")
    assert answer.status_code == 500 and answer.json()["error"] == "internal_error"
    assert app.state.queue.stats()["completed"] == 0
