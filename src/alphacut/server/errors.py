"""Every error as JSON ``{"error": code, "detail": message}`` with the status a client can act on.

=============================  ======  =========================
cause                          status  code
=============================  ======  =========================
body over the upload limit     413     payload_too_large
Host not served here           421     host_not_allowed
POST from another site's page  403     origin_not_allowed
image over the pixel limit     422     image_too_large
not an image / corrupt         422     invalid_input
bad option value               422     invalid_option
missing or wrong API key       401     unauthorized
all workers and queue busy     503     busy (with Retry-After)
result not ready in time       504     timeout
anything else                  500     internal_error
=============================  ======  =========================
"""
from __future__ import annotations

import json
import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import Send

from alphacut.errors import AlphacutError, ImageTooLargeError, InputError, OptionError, OutputError
from alphacut.server.limits import QueueFullError, RequestTimeoutError

log = logging.getLogger("alphacut.server")


class ApiError(Exception):
    """An error raised by a route with its status and code."""

    def __init__(self, status: int, code: str, detail: str, headers: dict[str, str] | None = None):
        super().__init__(detail)
        self.status, self.code, self.detail, self.headers = status, code, detail, headers


def error_response(status: int, code: str, detail: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": code, "detail": detail}, status_code=status, headers=headers)


async def send_error(send: Send, status: int, code: str, detail: str, headers: dict[str, str] | None = None) -> None:
    """The same JSON error sent straight through ASGI, by middleware answering before the app runs;
    the connection is closed after it, since the request's body (if any) is left unread."""
    body = json.dumps({"error": code, "detail": detail}).encode()
    raw = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()), (b"connection", b"close")]
    raw += [(name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})


def _status_of(exc: AlphacutError) -> tuple[int, str]:
    if isinstance(exc, ImageTooLargeError):
        return 422, "image_too_large"
    if isinstance(exc, OptionError):
        return 422, "invalid_option"
    if isinstance(exc, InputError):
        return 422, "invalid_input"
    if isinstance(exc, OutputError):
        return 422, "invalid_option"
    return 500, "internal_error"


def _validation_message(exc: RequestValidationError) -> str:
    parts = []
    for error in exc.errors():
        where = ".".join(str(p) for p in error.get("loc", ()) if p not in ("query", "body"))
        parts.append(f"{where}: {error.get('msg', 'invalid')}" if where else str(error.get("msg", "invalid")))
    return "; ".join(parts) or "invalid request"


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api(_: Request, exc: ApiError):
        return error_response(exc.status, exc.code, exc.detail, exc.headers)

    @app.exception_handler(AlphacutError)
    async def _alphacut(_: Request, exc: AlphacutError):
        status, code = _status_of(exc)
        if status >= 500:
            log.error("request failed: %s", exc)
        return error_response(status, code, str(exc))

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError):
        return error_response(422, "invalid_option", _validation_message(exc))

    @app.exception_handler(QueueFullError)
    async def _busy(_: Request, exc: QueueFullError):
        return error_response(503, "busy", str(exc), {"Retry-After": str(exc.retry_after)})

    @app.exception_handler(RequestTimeoutError)
    async def _timeout(_: Request, exc: RequestTimeoutError):
        return error_response(504, "timeout", str(exc))

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException):
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, f"http_{exc.status_code}")
        return error_response(exc.status_code, code, str(exc.detail), getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def _internal(_: Request, exc: Exception):
        log.exception("unhandled error")
        return error_response(500, "internal_error", f"internal error: {type(exc).__name__}")
