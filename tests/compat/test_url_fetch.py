"""URL fetching for the drop-ins: off by default, no private or loopback addresses, allow-listed
hosts, same-host redirects only, size and time limits. The image server here is on loopback, so the
fetch path is tested with ``allow_private`` (a test-only setting) and the refusal path without it."""
from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Iterator

import pytest

from alphacut.compat.url_fetch import FetchPolicy, UrlFetchError, address_allowed, check_url, fetch, host_allowed

BODY = b"\x89PNG" + b"x" * 1000


class ImageServer:
    def __init__(self):
        self.hits: list[str] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - http.server's name
                server.hits.append(self.path)
                if self.path == "/image.png":
                    self._send(200, BODY)
                elif self.path == "/same-host":
                    self._redirect("/image.png")
                elif self.path == "/other-host":
                    self._redirect(f"http://localhost:{self.server.server_address[1]}/image.png")
                elif self.path == "/loop":
                    self._redirect("/loop")
                elif self.path == "/big":
                    self._send(200, b"x" * 5000)
                elif self.path == "/big-undeclared":
                    self.send_response(200)
                    self.end_headers()
                    self.wfile.write(b"x" * 5000)
                elif self.path == "/slow":
                    time.sleep(3.0)
                    self._send(200, BODY)
                else:
                    self._send(404, b"no")

            def _send(self, status, body):
                self.send_response(status)
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _redirect(self, location):
                self.send_response(302)
                self.send_header("location", location)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}{path}"


@pytest.fixture()
def images() -> Iterator[ImageServer]:
    server = ImageServer()
    thread = threading.Thread(target=server.httpd.serve_forever, daemon=True)
    thread.start()
    yield server
    server.httpd.shutdown()
    server.httpd.server_close()


OPEN = FetchPolicy(enabled=True, allow_private=True, max_bytes=2000, timeout_s=1.0)


def code_of(url: str, policy: FetchPolicy) -> str:
    with pytest.raises(UrlFetchError) as caught:
        fetch(url, policy)
    return caught.value.code


def test_fetching_is_off_by_default(images):
    assert code_of(images.url("/image.png"), FetchPolicy()) == "url_fetch_disabled"
    assert images.hits == []


def test_loopback_and_private_addresses_are_refused_unless_the_test_setting_allows_them(images):
    public_only = FetchPolicy(enabled=True)
    for url in (images.url("/image.png"), "http://localhost:9/x", "http://10.0.0.1/x", "http://169.254.169.254/latest",
                "http://[::1]/x", "http://[::ffff:127.0.0.1]/x", "http://0.0.0.0/x", "http://224.0.0.1/x"):
        assert code_of(url, public_only) == "url_refused", url
    assert images.hits == []
    assert fetch(images.url("/image.png"), OPEN) == BODY


def test_address_rules():
    assert address_allowed("93.184.216.34") and address_allowed("2606:4700::1111")
    for address in ("127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.1.1", "100.64.0.1", "::1",
                    "fe80::1", "fc00::1", "::ffff:10.0.0.1", "224.0.0.1", "0.0.0.0", "240.0.0.1"):
        assert not address_allowed(address), address
    assert address_allowed("127.0.0.1", allow_private=True) and not address_allowed("224.0.0.1", allow_private=True)


def test_only_http_and_https_without_credentials():
    for url in ("file:///etc/passwd", "ftp://example.com/a.png", "gopher://x/", "http:///nohost", "http://user:pw@example.com/"):
        with pytest.raises(UrlFetchError) as caught:
            check_url(url, OPEN)
        assert caught.value.code == "url_refused", url


def test_host_allow_list(images):
    assert host_allowed("img.example.com", frozenset({"*.example.com"}))
    assert not host_allowed("example.com.evil.net", frozenset({"*.example.com", "example.com"}))
    assert host_allowed("example.com", frozenset({"Example.COM."}))
    listed = FetchPolicy(enabled=True, allow_private=True, hosts=frozenset({"images.example.com"}))
    assert code_of(images.url("/image.png"), listed) == "url_refused"
    assert fetch(images.url("/image.png"), FetchPolicy(enabled=True, allow_private=True, hosts=frozenset({"127.0.0.1"}))) == BODY
    assert images.hits == ["/image.png"]


def test_redirects_stay_on_the_same_host(images):
    assert fetch(images.url("/same-host"), OPEN) == BODY
    assert code_of(images.url("/other-host"), OPEN) == "url_refused"
    assert code_of(images.url("/loop"), OPEN) == "url_fetch_failed"
    assert code_of(images.url("/missing"), OPEN) == "url_fetch_failed"


def test_size_and_time_limits(images):
    assert code_of(images.url("/big"), OPEN) == "url_too_large"
    assert code_of(images.url("/big-undeclared"), OPEN) == "url_too_large"
    start = time.monotonic()
    assert code_of(images.url("/slow"), OPEN) == "url_fetch_failed"
    assert time.monotonic() - start < 2.5  # the 1 s limit, not the server's 3 s
