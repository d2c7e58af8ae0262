"""What a request may cost, decided from its head before the app reads its body.

A pure ASGI middleware, so it runs before FastAPI parses a multipart body (a dependency would run
after). For a route marked :func:`upload_route`, a slot of the server's
:class:`~alphacut.server.limits.AdmissionQueue` is taken as soon as the head has arrived, or the
request is refused 503 + ``Retry-After`` with its body unread; the route gets the slot from
:func:`admission_of` and it is held until the answer is sent. Bodies are limited per route: the
upload limit for upload routes, :data:`~alphacut.server.settings.CONTROL_BODY_BYTES` for the rest
(a review vote); a declared ``Content-Length`` over it is refused 413 before anything is read, and a
chunked or understated body is cut off as soon as the running count passes it (nginx's
``client_max_body_size``). Time limits on reading are the protocol's (:mod:`alphacut.server.transport`).
"""
from __future__ import annotations

import logging
from typing import Any, Callable, Iterable, Sequence, TypeVar

from fastapi import APIRouter
from starlette.requests import Request
from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from alphacut.server.errors import send_error
from alphacut.server.limits import Admission, AdmissionQueue, QueueFullError
from alphacut.server.settings import CONTROL_BODY_BYTES

log = logging.getLogger("alphacut.server")

_UPLOAD_MARK = "__alphacut_upload_route__"
_ADMISSION_KEY = "alphacut.admission"
F = TypeVar("F", bound=Callable[..., Any])


def upload_route(endpoint: F) -> F:
    """Mark a route that reads an image and runs model work: the gate admits it (or refuses 503)
    before its body is read, and lets it carry a body up to the upload limit."""
    setattr(endpoint, _UPLOAD_MARK, True)
    return endpoint


def admission_of(request: Request) -> Admission:
    """The slot the gate took for this request; a route not marked :func:`upload_route` has none."""
    try:
        return request.scope[_ADMISSION_KEY]
    except KeyError:
        raise RuntimeError(f"{request.url.path} runs model work but its route is not marked @upload_route") from None


def upload_routes_of(routers: Iterable[APIRouter]) -> list[BaseRoute]:
    """The routes of ``routers`` marked :func:`upload_route` (each router included in the app
    without a further prefix, so a route's path is the one it is served at)."""
    return [route for router in routers for route in router.routes
            if getattr(getattr(route, "endpoint", None), _UPLOAD_MARK, False)]


def matches_any(routes: Sequence[BaseRoute], scope: Scope) -> bool:
    return any(route.matches(scope)[0] is Match.FULL for route in routes)


class BodyTooLargeError(Exception):
    """Raised into the app when a body passes its limit while it is being read."""


class RequestGate:
    """ASGI middleware: admission (503) and body size (413) before the body is read."""

    def __init__(self, app: ASGIApp, queue: AdmissionQueue, upload_routes: Sequence[BaseRoute], max_upload_bytes: int,
                 max_control_bytes: int = CONTROL_BODY_BYTES):
        self.app = app
        self.queue = queue
        self.upload_routes = tuple(upload_routes)
        self.max_upload_bytes = max_upload_bytes
        self.max_control_bytes = max_control_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        upload = matches_any(self.upload_routes, scope)
        limit = self.max_upload_bytes if upload else self.max_control_bytes
        declared = dict(scope.get("headers") or ()).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await self._too_large(send, limit)
            return
        if not upload:
            await self._read_within(limit, scope, receive, send)
            return
        try:
            admission = self.queue.admit()
        except QueueFullError as exc:
            await send_error(send, 503, "busy", str(exc), {"Retry-After": str(exc.retry_after)})
            return
        scope[_ADMISSION_KEY] = admission
        try:
            await self._read_within(limit, scope, receive, send)
        finally:
            admission.release()

    async def _read_within(self, limit: int, scope: Scope, receive: Receive, send: Send) -> None:
        state = {"received": 0, "exceeded": False, "started": False, "disconnected": False}

        async def limited_receive() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                state["received"] += len(message.get("body", b""))
                if state["received"] > limit:
                    state["exceeded"] = True
                    raise BodyTooLargeError
            elif message["type"] == "http.disconnect":
                state["disconnected"] = True
            return message

        async def guarded_send(message: Message) -> None:
            if state["exceeded"]:
                return  # the app's own reaction to the cut-off body is replaced by our 413
            if message["type"] == "http.response.start":
                state["started"] = True
            await send(message)

        try:
            await self.app(scope, limited_receive, guarded_send)
        except Exception as exc:
            if not (state["exceeded"] or state["disconnected"]):
                raise
            if state["disconnected"]:  # dropped by the client or by a read deadline: nobody to answer
                log.info("%s %s: client gone while its request was read (%s)", scope["method"], scope["path"], type(exc).__name__)
        if state["exceeded"] and not state["started"]:
            await self._too_large(send, limit)

    @staticmethod
    async def _too_large(send: Send, limit: int) -> None:
        limit_mib = limit / (1024 * 1024)
        await send_error(send, 413, "payload_too_large",
                         f"request body exceeds the server's limit for this route of {limit:,} bytes ({limit_mib:.2f} MiB)")
