"""How uvicorn runs this app: its h11 protocol with read deadlines, and its limits from ServerSettings.

uvicorn closes an idle keep-alive connection (``timeout_keep_alive``) and answers 503 past
``limit_concurrency`` connections, but sets no deadline on a request that is still arriving: a
slow-loris client that sends its head or body a byte at a time holds a connection for ever. The
protocol here adds the two deadlines of nginx's ``client_header_timeout`` and
``client_body_timeout``: a request's head must arrive within ``header_timeout_s`` of the
connection being ready for it, its body within ``body_timeout_s`` of the head; past either the
connection is closed (the route reading the body sees the client gone). Heads are capped at
:data:`MAX_HEAD_BYTES` (h11's incomplete-event limit; uvicorn answers 400 above).
"""
from __future__ import annotations

import asyncio
from typing import Any

import h11
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from alphacut.server.settings import ServerSettings

MAX_HEAD_BYTES = 16 * 1024


class DeadlineH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with a deadline on each request's head and on its body.

    The deadline follows h11's state of the client: waiting for a head (``IDLE``), reading a body
    (``SEND_BODY``), or none once the request is in (the app's own time is the admission queue's
    timeout). A deadline is armed when a phase starts, not renewed by each byte that arrives."""

    header_timeout_s: float = 10.0
    body_timeout_s: float = 60.0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._deadline: asyncio.TimerHandle | None = None
        self._phase: str | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._follow_request()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        self._follow_request()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._follow_request()

    def connection_lost(self, exc: Exception | None) -> None:
        self._enter(None)
        super().connection_lost(exc)

    def _follow_request(self) -> None:
        if self.transport.is_closing():
            self._enter(None)
            return
        state = self.conn.their_state
        self._enter("head" if state is h11.IDLE else "body" if state is h11.SEND_BODY else None)

    def _enter(self, phase: str | None) -> None:
        if phase == self._phase:
            return
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None
        self._phase = phase
        if phase is not None:
            seconds = self.header_timeout_s if phase == "head" else self.body_timeout_s
            self._deadline = self.loop.call_later(seconds, self._expired, phase, seconds)

    def _expired(self, phase: str, seconds: float) -> None:
        self._deadline = None
        if not self.transport.is_closing():
            self.logger.info("closing a connection: its request %s did not arrive within %g s", phase, seconds)
            self.transport.close()


def deadline_protocol(header_timeout_s: float, body_timeout_s: float) -> type[DeadlineH11Protocol]:
    """The protocol class with these deadlines (uvicorn builds one protocol per connection)."""
    return type("DeadlineH11Protocol", (DeadlineH11Protocol,),
                {"header_timeout_s": header_timeout_s, "body_timeout_s": body_timeout_s})


def uvicorn_config(app, settings: ServerSettings, *, host: str, port: int, log_level: str = "warning",
                   **options: Any) -> uvicorn.Config:
    """uvicorn's configuration for ``app`` under ``settings``' connection limits and deadlines;
    ``options`` are passed on (e.g. TLS files)."""
    return uvicorn.Config(
        app, host=host, port=port, log_level=log_level,
        http=deadline_protocol(settings.header_timeout_s, settings.body_timeout_s),
        limit_concurrency=settings.connection_limit,
        timeout_keep_alive=settings.keep_alive_s,  # type: ignore[arg-type]  # uvicorn types it int; call_later takes a float
        h11_max_incomplete_event_size=MAX_HEAD_BYTES,
        timeout_graceful_shutdown=5,
        **options,
    )
