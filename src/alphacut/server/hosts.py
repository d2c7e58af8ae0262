"""Who may call a local server: a ``Host`` allow-list against DNS rebinding and an ``Origin`` check
against cross-site requests.

A web page elsewhere can make the user's browser talk to a server on loopback in two ways. By DNS
rebinding, the page's own name is re-pointed at 127.0.0.1, so the browser treats the server as
same-origin and lets the page read its answers; the request still carries the page's name in
``Host``, so answering only the names this server is reached by closes it (421). By a plain
cross-site form or ``fetch`` POST, which browsers send without asking (no CORS preflight for
multipart); such a request carries the page's ``Origin``, so a state-changing request whose
``Origin`` is neither this server's own nor an allowed host is refused (403). A request without
``Origin`` comes from a non-browser client (curl, SDKs) and passes. This is the check of Django's
``ALLOWED_HOSTS`` and of the Host/Origin guards in Jupyter and Vite's dev server.
"""
from __future__ import annotations

import ipaddress
import re
import socket
from dataclasses import dataclass
from typing import Iterable
from urllib.parse import urlsplit

from starlette.types import ASGIApp, Receive, Scope, Send

from alphacut.compat.url_fetch import host_allowed
from alphacut.errors import OptionError
from alphacut.server.errors import send_error
from alphacut.server.settings import LOOPBACK_HOSTS

STATE_CHANGING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
DEFAULT_PORTS = {"http": 80, "https": 443}
WILDCARD_BINDS = frozenset({"", "0.0.0.0", "::"})
_HOST_PATTERN = re.compile(r"^(\*|(\*\.)?[a-z0-9_]([a-z0-9_.-]*[a-z0-9_])?|[0-9a-f:.]+)$")


def served_hosts(bind: str, extra: Iterable[str]) -> tuple[frozenset[str], bool]:
    """The Host allow-list of a server bound to ``bind``: loopback names, the bound address, and
    ``extra`` (``--allowed-host``). A wildcard bind also answers this machine's name and any IP
    address (the second value), since clients reach it by addresses it cannot list."""
    names = set(LOOPBACK_HOSTS) | {normalised_host(name) for name in extra}
    wildcard = bind.strip("[]") in WILDCARD_BINDS
    if wildcard:
        names.add(socket.gethostname().lower())
    else:
        names.add(normalised_host(bind))
    return frozenset(names), wildcard


def normalised_host(value: str) -> str:
    """An ``--allowed-host`` value as matched: lower case, no brackets or trailing dot."""
    name = value.strip().lower().rstrip(".")
    if name.startswith("[") and name.endswith("]"):
        name = name[1:-1]
    if not _HOST_PATTERN.match(name):
        raise OptionError(f"--allowed-host {value!r}: give a host name (images.example.com), "
                          "*.example.com for its subdomains, an IP address, or * for any host")
    return name


@dataclass(frozen=True)
class HostPolicy:
    """``allowed``: names and addresses (``*.example.com`` for subdomains, ``*`` for any);
    ``allow_ip``: any IP address too (an address cannot be rebound, only a name can)."""

    allowed: frozenset[str]
    allow_ip: bool = False

    def allows_host(self, host: str) -> bool:
        return "*" in self.allowed or (self.allow_ip and _is_address(host)) or host_allowed(host, self.allowed)

    def allows_origin(self, origin: str, host_header: str | None, scheme: str) -> bool:
        """Same origin as the request, or a page on an allowed host given by name: an address
        admitted only by ``allow_ip`` is not enough, since any site can be visited by address."""
        parts = urlsplit(origin)
        if parts.scheme not in DEFAULT_PORTS or not parts.hostname:
            return False  # "null" (sandboxed frames, file: pages) and non-web schemes
        try:
            origin_port = parts.port or DEFAULT_PORTS[parts.scheme]
        except ValueError:
            return False
        if host_header is not None:
            served = split_host(host_header)
            if served is not None:
                name, port = served
                if name == parts.hostname.lower() and (port or DEFAULT_PORTS.get(scheme)) == origin_port:
                    return True
        return "*" in self.allowed or host_allowed(parts.hostname.lower().rstrip("."), self.allowed)


def split_host(value: str) -> tuple[str, int | None] | None:
    """``Host`` as (lower-case name without a trailing dot, port); ``None`` when malformed."""
    value = value.strip()
    if value.startswith("["):
        name, bracket, rest = value[1:].partition("]")
        if not bracket or (rest and not rest.startswith(":")):
            return None
        port_text = rest[1:]
    else:
        name, _, port_text = value.partition(":")
    if not name or (port_text and not port_text.isdigit()):
        return None
    return name.lower().rstrip("."), int(port_text) if port_text else None


def _is_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


class HostOriginGuard:
    """ASGI middleware: 421 for a ``Host`` not served here, 403 for a state-changing request from
    another site's page. Runs before anything else reads the request."""

    def __init__(self, app: ASGIApp, policy: HostPolicy):
        self.app = app
        self.policy = policy

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or ())
        raw_host = headers.get(b"host")
        host_header = raw_host.decode("latin-1") if raw_host is not None else None
        if host_header is not None:  # HTTP/1.0 without Host: not a browser
            served = split_host(host_header)
            if served is None or not self.policy.allows_host(served[0]):
                shown = served[0] if served else host_header[:100]
                await send_error(send, 421, "host_not_allowed",
                                 f"this server does not answer for host {shown!r}; "
                                 f"start it with --allowed-host {shown} if that name should reach it")
                return
        raw_origin = headers.get(b"origin")
        if scope["method"] in STATE_CHANGING and raw_origin is not None:
            origin = raw_origin.decode("latin-1")
            if not self.policy.allows_origin(origin, host_header, scope.get("scheme", "http")):
                await send_error(send, 403, "origin_not_allowed",
                                 f"requests from pages on {origin[:100]!r} are refused; "
                                 "start the server with --allowed-host NAME to let that site's pages call it")
                return
        await self.app(scope, receive, send)
