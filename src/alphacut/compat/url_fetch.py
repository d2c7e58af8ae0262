"""Fetching an image URL for the drop-in endpoints (remove.bg's ``image_url``, rembg's ``?url=``),
only where the server was started with ``--allow-url-fetch``.

A URL-fetching server is a classic SSRF hole: a client makes the server read its own network.
So, before any byte is sent: only ``http``/``https``; the host must be on the allow-list (when
one is given); the host is resolved once and every address it resolves to must be a public one
(no private, loopback, link-local, multicast, reserved or unspecified address); the connection
goes to that checked address (no second lookup a DNS rebinding could answer differently), with
TLS still verified against the host name. Redirects are followed only within the same host and
scheme, each hop checked again; the body is bounded by the upload limit and the whole fetch by
a time limit.
"""
from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
import time
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

from alphacut.errors import InputError

REDIRECTS = (301, 302, 303, 307, 308)
_CHUNK = 64 * 1024


class UrlFetchError(InputError):
    """A URL was not fetched: fetching is off, the URL is refused, or the fetch failed.
    ``code`` says which: ``url_fetch_disabled``, ``url_refused``, ``url_fetch_failed``, ``url_too_large``."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class FetchPolicy:
    """What a server may fetch. ``hosts`` empty: any public host; an entry ``*.example.com``
    allows its subdomains. ``allow_private`` admits loopback and private addresses: for tests,
    which serve their images on 127.0.0.1; ``alphacut serve`` never sets it."""

    enabled: bool = False
    hosts: frozenset[str] = frozenset()
    max_bytes: int = 25 * 1024 * 1024
    timeout_s: float = 10.0
    max_redirects: int = 3
    allow_private: bool = False


@dataclass(frozen=True)
class _Target:
    scheme: str
    host: str
    port: int
    path: str
    address: str


def fetch(url: str, policy: FetchPolicy) -> bytes:
    """The body of ``url`` under ``policy``; raises :class:`UrlFetchError` (never fetches when
    the policy is off)."""
    if not policy.enabled:
        raise UrlFetchError("url_fetch_disabled",
                            "this server does not fetch URLs (alphacut serve --allow-url-fetch turns it on); "
                            "upload the image instead")
    deadline = time.monotonic() + policy.timeout_s
    current = url
    first = None
    for _ in range(policy.max_redirects + 1):
        target = check_url(current, policy)
        if first is not None and (target.host, target.scheme) != (first.host, first.scheme):
            raise UrlFetchError("url_refused", f"{url}: redirected to another host or scheme ({target.scheme}://{target.host})")
        first = first or target
        status, location, body = _get(target, policy, deadline)
        if status in REDIRECTS and location:
            current = urljoin(current, location)
            continue
        if status != 200:
            raise UrlFetchError("url_fetch_failed", f"{url}: the image server answered HTTP {status}")
        return body
    raise UrlFetchError("url_fetch_failed", f"{url}: more than {policy.max_redirects} redirects")


def check_url(url: str, policy: FetchPolicy) -> _Target:
    """The URL's parts and the one checked address to connect to, or :class:`UrlFetchError`."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise UrlFetchError("url_refused", f"{url!r} is not a valid URL ({exc})") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise UrlFetchError("url_refused", f"{url!r}: only http and https URLs are fetched")
    host = (parts.hostname or "").rstrip(".").lower()
    if not host:
        raise UrlFetchError("url_refused", f"{url!r} has no host")
    if parts.username is not None or parts.password is not None:
        raise UrlFetchError("url_refused", f"{url!r}: URLs with credentials are not fetched")
    if policy.hosts and not host_allowed(host, policy.hosts):
        raise UrlFetchError("url_refused", f"{host} is not on this server's URL host allow-list")
    port = port or (443 if scheme == "https" else 80)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise UrlFetchError("url_fetch_failed", f"{host}: cannot resolve the host ({exc})") from None
    addresses = list(dict.fromkeys(info[4][0] for info in infos))
    refused = [address for address in addresses if not address_allowed(address, allow_private=policy.allow_private)]
    if refused or not addresses:
        raise UrlFetchError("url_refused", f"{host} resolves to a non-public address ({', '.join(refused)}); not fetched")
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return _Target(scheme, host, port, path, addresses[0])


def host_allowed(host: str, allowed: frozenset[str]) -> bool:
    for entry in allowed:
        entry = entry.strip().rstrip(".").lower()
        if entry.startswith("*."):
            if host.endswith(entry[1:]):
                return True
        elif host == entry:
            return True
    return False


def address_allowed(address: str, *, allow_private: bool = False) -> bool:
    """A public unicast address (IPv4-mapped IPv6 judged as its IPv4); with ``allow_private``
    also loopback, private and link-local ones, never multicast or unspecified."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip.is_multicast or ip.is_unspecified:
        return False
    if allow_private and (ip.is_loopback or ip.is_private or ip.is_link_local):
        return True
    return ip.is_global and not (ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_reserved)


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to the checked address while the request names the host."""

    def __init__(self, host: str, port: int, address: str, timeout: float):
        super().__init__(host, port, timeout=timeout)
        self.address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self.address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, host: str, port: int, address: str, timeout: float):
        super().__init__(host, port, timeout=timeout)
        self.address = address
        self.tls = ssl.create_default_context()

    def connect(self) -> None:
        raw = socket.create_connection((self.address, self.port), self.timeout)
        self.sock = self.tls.wrap_socket(raw, server_hostname=self.host)


def _get(target: _Target, policy: FetchPolicy, deadline: float) -> tuple[int, str | None, bytes]:
    kind = _PinnedHTTPSConnection if target.scheme == "https" else _PinnedHTTPConnection
    connection = kind(target.host, target.port, target.address, timeout=_remaining(deadline, target))
    try:
        connection.request("GET", target.path, headers={"User-Agent": "alphacut", "Accept": "image/*"})
        sock = connection.sock  # the response reads through it even after the connection lets go of it
        sock.settimeout(_remaining(deadline, target))
        response = connection.getresponse()
        if response.status in REDIRECTS:
            return response.status, response.getheader("location"), b""
        declared = response.getheader("content-length")
        if declared and declared.isdigit() and int(declared) > policy.max_bytes:
            raise UrlFetchError("url_too_large", f"{target.host}: the image is over the upload limit of {policy.max_bytes:,} bytes")
        chunks, total = [], 0
        while not response.isclosed():  # it closes itself once the declared length is read
            sock.settimeout(_remaining(deadline, target))
            chunk = response.read(_CHUNK)
            if not chunk:
                break
            total += len(chunk)
            if total > policy.max_bytes:
                raise UrlFetchError("url_too_large", f"{target.host}: the image is over the upload limit of {policy.max_bytes:,} bytes")
            chunks.append(chunk)
        return response.status, None, b"".join(chunks)
    except TimeoutError:
        raise UrlFetchError("url_fetch_failed", f"{target.host}: no answer within {policy.timeout_s:g} s") from None
    except (OSError, http.client.HTTPException) as exc:
        raise UrlFetchError("url_fetch_failed", f"{target.host}: fetch failed ({exc})") from None
    finally:
        connection.close()


def _remaining(deadline: float, target: _Target) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise UrlFetchError("url_fetch_failed", f"{target.host}: no answer within the time limit")
    return left
