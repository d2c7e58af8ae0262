"""Real remove.bg client libraries, unmodified, against a live ``alphacut serve`` app.

How each one is pointed at the local server (none of them has a base-URL option):
- npm ``remove.bg`` (1.3.0) hard-codes ``https://api.remove.bg/v1.0/removebg`` and sends through the
  ``request`` library, which honours ``HTTPS_PROXY``. The test runs it with ``HTTPS_PROXY`` set to a
  loopback CONNECT relay that forwards ``api.remove.bg:443`` to the app served over TLS with a
  certificate for ``api.remove.bg`` from a test CA, trusted through Node's ``NODE_EXTRA_CA_CERTS``;
  the app answers that name because it is on its Host allow-list (``--allowed-host api.remove.bg``).
  Its ``removeBackgroundFromImageFile`` posts with Node's core ``https`` instead, which ignores
  proxies, so that one function cannot be pointed anywhere without patching the package; the
  multipart ``image_file`` path is driven by the Python clients below.
- PyPI ``removebg`` (0.4) and ``remove-bg-api`` (0.2.1) read their endpoint from a module constant
  (``removebg.removebg.API_ENDPOINT``, ``remove_bg_api.API_URL``), set here to the local server.
"""
from __future__ import annotations

import base64
import json
import os
import socket
import subprocess
import sys
import threading
from pathlib import Path
from typing import Iterator

import httpx
import numpy as np
import pytest

from alphacut.server.settings import LOOPBACK_HOSTS

from .live import LiveServer
from .compat_images import PNG, opened
from .image_host import ImageHost

trustme = pytest.importorskip("trustme", reason="the test extra is not installed (pip install -e '.[test]')")

CLIENTS = Path(__file__).parent / "clients"
NODE_MODULES = Path(sys.prefix) / "clients" / "node_modules"  # installed by scripts/bootstrap.sh
REMOVE_BG_HOST = "api.remove.bg"
API_KEY = "test-key"
class ConnectRelay:
    """An HTTP CONNECT proxy on loopback that tunnels ``api.remove.bg:443`` to one local port and
    refuses every other destination (so nothing leaves the machine)."""

    def __init__(self, upstream_port: int):
        self.upstream_port = upstream_port
        self.tunnels: list[str] = []
        self.refused: list[str] = []
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.2)
        self.port = self.listener.getsockname()[1]
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._accept, daemon=True)

    def __enter__(self) -> "ConnectRelay":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stopping.set()
        self.thread.join(timeout=5)
        self.listener.close()

    def _accept(self) -> None:
        while not self.stopping.is_set():
            try:
                conn, _ = self.listener.accept()
            except TimeoutError:
                continue
            threading.Thread(target=self._tunnel, args=(conn,), daemon=True).start()

    def _tunnel(self, conn: socket.socket) -> None:
        conn.settimeout(30)
        head = b""
        while b"\r\n\r\n" not in head and len(head) < 16384:
            chunk = conn.recv(4096)
            if not chunk:
                conn.close()
                return
            head += chunk
        method, target, _ = head.split(b"\r\n", 1)[0].decode("latin-1").split(" ", 2)
        if method != "CONNECT" or target != f"{REMOVE_BG_HOST}:443":
            self.refused.append(f"{method} {target}")
            conn.sendall(b"HTTP/1.1 403 Forbidden\r\ncontent-length: 0\r\n\r\n")
            conn.close()
            return
        self.tunnels.append(target)
        upstream = socket.create_connection(("127.0.0.1", self.upstream_port), timeout=30)
        conn.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
        back = threading.Thread(target=_pipe, args=(upstream, conn), daemon=True)
        back.start()
        _pipe(conn, upstream)
        back.join(timeout=30)
        conn.close()
        upstream.close()


def _pipe(source: socket.socket, sink: socket.socket) -> None:
    try:
        while data := source.recv(65536):
            sink.sendall(data)
    except OSError:
        pass
    finally:
        try:
            sink.shutdown(socket.SHUT_WR)
        except OSError:
            pass


@pytest.fixture()
def no_proxy_for_loopback(monkeypatch):
    """The Python clients use requests, which reads proxy settings from the environment."""
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")


# -- npm remove.bg -------------------------------------------------------------------------------


@pytest.fixture()
def node_client(make_app, tmp_path) -> Iterator:
    """Runs npm's remove.bg against the app, as remove.bg's own host over TLS."""
    assert (NODE_MODULES / "remove.bg" / "package.json").is_file(), \
        f"npm's remove.bg client is missing from {NODE_MODULES}: run scripts/bootstrap.sh"
    ca = trustme.CA()
    cert = ca.issue_cert(REMOVE_BG_HOST)
    key_file, cert_file, ca_file = tmp_path / "key.pem", tmp_path / "cert.pem", tmp_path / "ca.pem"
    cert.private_key_pem.write_to_path(str(key_file))
    cert.cert_chain_pems[0].write_to_path(str(cert_file))
    ca.cert_pem.write_to_path(str(ca_file))
    app = make_app(api_keys=frozenset({API_KEY}), allow_url_fetch=True, url_allow_private=True,
                   allowed_hosts=LOOPBACK_HOSTS | {REMOVE_BG_HOST})
    with LiveServer(app, ssl_keyfile=str(key_file), ssl_certfile=str(cert_file)) as server, ConnectRelay(server.port) as relay:
        env = {key: value for key, value in os.environ.items() if "proxy" not in key.lower()}
        env.update(HTTPS_PROXY=f"http://127.0.0.1:{relay.port}", NODE_EXTRA_CA_CERTS=str(ca_file),
                   NODE_PATH=str(NODE_MODULES))

        def call(function: str, options: dict) -> dict:
            done = subprocess.run(["node", str(CLIENTS / "removebg_client.js"), function, json.dumps(options)],
                                  env=env, capture_output=True, text=True, timeout=60)
            assert done.returncode == 0, done.stderr
            return json.loads(done.stdout)

        call.relay = relay  # type: ignore[attr-defined]
        yield call
        assert relay.refused == []


def test_npm_client_base64_with_every_option_it_sends(node_client, tmp_path):
    out = tmp_path / "out.png"
    answer = node_client("removeBackgroundFromImageBase64", {
        "base64img": base64.b64encode(PNG).decode(), "apiKey": API_KEY, "size": "regular", "type": "person",
        "scale": "50%", "position": "center", "crop": True, "crop_margin": "2px", "roi": "0% 0% 100% 100%",
        "bg_color": "81d4fa", "channels": "rgba", "add_shadow": False, "outputFile": str(out),
    })
    assert answer["ok"], answer
    result = answer["result"]
    image = opened(base64.b64decode(result["base64img"]))
    assert out.read_bytes() == base64.b64decode(result["base64img"])  # the client wrote result_b64 to the file
    assert result["detectedType"] == "person" and result["creditsCharged"] == "0"
    assert (result["resultWidth"], result["resultHeight"]) == (str(image.width), str(image.height))
    assert image.mode == "RGB"  # opaque on the colour, so format auto gave a JPG
    assert np.abs(np.subtract(image.getpixel((0, 0)), (0x81, 0xD4, 0xFA))).max() <= 6
    # scale 50 %: the 32 x 24 subject already spans half the 64 x 48 canvas; cropped with 2 px on each side
    assert 30 <= image.width <= 40 and image.height == image.width - 6
    assert node_client.relay.tunnels  # it went to "api.remove.bg", i.e. through the relay to us


def test_npm_client_alpha_channel_and_defaults(node_client):
    answer = node_client("removeBackgroundFromImageBase64", {"base64img": base64.b64encode(PNG).decode(), "apiKey": API_KEY,
                                                            "channels": "alpha"})
    assert answer["ok"], answer
    mask = opened(base64.b64decode(answer["result"]["base64img"]))
    assert mask.mode in ("L", "RGB") and mask.size == (64, 48)
    assert answer["result"]["detectedType"] == "other"


def test_npm_client_image_url(node_client):
    with ImageHost(PNG) as host:
        answer = node_client("removeBackgroundFromImageUrl", {"url": host.url, "apiKey": API_KEY, "size": "full"})
    assert answer["ok"], answer
    image = opened(base64.b64decode(answer["result"]["base64img"]))
    assert image.mode == "RGBA" and np.asarray(image.getchannel("A"))[20, 30] > 240


def test_npm_client_gets_remove_bg_errors(node_client):
    bad_size = node_client("removeBackgroundFromImageBase64", {"base64img": base64.b64encode(PNG).decode(),
                                                              "apiKey": API_KEY, "size": "gigantic"})
    assert not bad_size["ok"] and bad_size["errors"][0]["code"] == "invalid_parameter"
    assert "size" in bad_size["errors"][0]["title"]
    bad_key = node_client("removeBackgroundFromImageBase64", {"base64img": base64.b64encode(PNG).decode(), "apiKey": "wrong"})
    assert not bad_key["ok"] and bad_key["errors"] == [
        {"title": bad_key["errors"][0]["title"], "code": "auth_failed"}]


# -- PyPI removebg (0.4) --------------------------------------------------------------------------


@pytest.fixture()
def removebg_client(make_app, monkeypatch, tmp_path, no_proxy_for_loopback):
    import removebg.removebg as module

    app = make_app(api_keys=frozenset({API_KEY}), allow_url_fetch=True, url_allow_private=True,
                   allowed_hosts=LOOPBACK_HOSTS | {REMOVE_BG_HOST})
    with LiveServer(app) as server:
        monkeypatch.setattr(module, "API_ENDPOINT", f"{server.url}/v1.0/removebg")
        yield module.RemoveBg(API_KEY, str(tmp_path / "removebg-errors.log"))


def test_pypi_removebg_file_base64_and_url(removebg_client, tmp_path):
    photo = tmp_path / "photo.png"
    photo.write_bytes(PNG)
    removebg_client.remove_background_from_img_file(str(photo))  # multipart image_file
    image = opened((tmp_path / "photo.png_no_bg.png").read_bytes())
    assert image.mode == "RGBA" and image.size == (64, 48) and np.asarray(image.getchannel("A"))[20, 30] > 240
    removebg_client.remove_background_from_base64_img(base64.b64encode(PNG).decode(), new_file_name=str(tmp_path / "b64.png"),
                                                      bg_color="red")  # form-urlencoded
    on_red = opened((tmp_path / "b64.png").read_bytes())
    assert on_red.format == "JPEG" and np.abs(np.subtract(on_red.getpixel((2, 2)), (255, 0, 0))).max() <= 4  # auto: opaque -> JPG
    with ImageHost(PNG) as host:
        removebg_client.remove_background_from_img_url(host.url, new_file_name=str(tmp_path / "url.png"))
    assert opened((tmp_path / "url.png").read_bytes()).mode == "RGBA"


def test_pypi_removebg_bad_value_is_a_400(removebg_client, tmp_path):
    import requests

    with pytest.raises(requests.HTTPError) as caught:
        removebg_client.remove_background_from_base64_img(base64.b64encode(PNG).decode(), size="huge",
                                                          new_file_name=str(tmp_path / "x.png"))
    assert caught.value.response.status_code == 400
    assert caught.value.response.json()["errors"][0]["code"] == "invalid_parameter"


# -- PyPI remove-bg-api (0.2.1) ------------------------------------------------------------------


@pytest.fixture()
def remove_bg_api(monkeypatch, no_proxy_for_loopback):
    import remove_bg_api as module

    def point(server: LiveServer):
        monkeypatch.setattr(module, "API_URL", f"{server.url}/v1.0")
        return module

    return point


def test_remove_bg_api_account_bytes_and_status_codes(make_app, remove_bg_api):
    with LiveServer(make_app(api_keys=frozenset({API_KEY}))) as server:
        module = remove_bg_api(server)
        client = module.RemoveBg(API_KEY)  # reads GET /v1.0/account at once
        balance = client.account.balance()
        assert balance >= 1_000_000 and client.account.free_api_calls() >= 1_000_000
        result = client.remove_bg_bytes(PNG)  # multipart image_file with format/type/size fields
        assert opened(result).mode == "RGBA"
        assert client.account.balance() == balance  # X-Credits-Charged: 0
        with pytest.raises(module.Errors.ApiErrorCode400):
            client.remove_bg_bytes(PNG, data={"format": "gif"})
        with pytest.raises(module.Errors.ApiErrorCode403):
            module.RemoveBg("wrong key")


def test_remove_bg_api_sees_429_when_the_queue_is_full(make_app, gated, remove_bg_api):
    with LiveServer(make_app(api_keys=frozenset({API_KEY}), concurrency=1, queue_size=0, sessions={"tiny": gated})) as server:
        module = remove_bg_api(server)
        client = module.RemoveBg(API_KEY)
        first = threading.Thread(target=lambda: httpx.post(f"{server.url}/v1.0/removebg", headers={"X-Api-Key": API_KEY},
                                                           json={"image_file_b64": base64.b64encode(PNG).decode()}, timeout=60))
        first.start()
        assert gated.entered.acquire(timeout=20)  # the only worker is busy
        try:
            with pytest.raises(module.Errors.ApiErrorCode429):
                client.remove_bg_bytes(PNG)
        finally:
            gated.gate.set()
            first.join(timeout=30)
