"""remove.bg's API on this server: ``POST /v1.0/removebg`` and ``GET /v1.0/account``, so a
remove.bg client works with only its base URL changed.

The request is read as remove.bg takes it (multipart, form-urlencoded or JSON; ``X-Api-Key``),
mapped by :mod:`alphacut.compat.removebg_fields` and rendered by :mod:`alphacut.compat.removebg`
through the same admission queue, pixel limit, body limit and API keys as ``/v1/remove``. The
answer carries remove.bg's headers, or with ``Accept: application/json`` its ``{"data": ...}``
body; :class:`RemoveBgErrorShape` gives every error under ``/v1.0/`` remove.bg's
``{"errors": [{"title", "code"}]}`` shape and status codes (400 bad input, 403 bad key, 429 busy).
"""
from __future__ import annotations

import base64
import json
from typing import Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse
from starlette.datastructures import UploadFile

from alphacut.compat.removebg import RemoveBgResult, options_for, render
from alphacut.compat.removebg_fields import FILE_FIELDS, KNOWN_FIELDS, FieldError, RemoveBgFields, parse_request
from alphacut.compat.url_fetch import UrlFetchError
from alphacut.models.session import SalientSession
from alphacut.server.auth import require_api_key
from alphacut.server.compat_fetch import fetch_image
from alphacut.server.errors import ApiError
from alphacut.server.gate import admission_of, upload_route

PREFIX = "/v1.0"
#: The local account's credits: JSON has no infinity, and clients compare and subtract numbers.
UNLIMITED_CREDITS = 1_000_000_000
#: Native status -> remove.bg's: bad input is 400, a bad key 403, a full queue 429.
REMOVEBG_STATUS = {401: 403, 422: 400, 503: 429}
REMOVEBG_CODE = {"unauthorized": "auth_failed", "busy": "rate_limit_exceeded"}

router = APIRouter(prefix=PREFIX, tags=["remove.bg compatible"], dependencies=[Depends(require_api_key)])

_BODY = {
    "content": {
        "multipart/form-data": {"schema": {"type": "object", "properties": {
            "image_file": {"type": "string", "format": "binary"},
            "bg_image_file": {"type": "string", "format": "binary"},
            **{name: {"type": "string"} for name in KNOWN_FIELDS if name not in FILE_FIELDS},
        }}},
        "application/x-www-form-urlencoded": {"schema": {"type": "object"}},
        "application/json": {"schema": {"type": "object"}},
    },
    "required": True,
}


@router.post("/removebg", summary="remove.bg-compatible background removal", response_class=Response,
             openapi_extra={"requestBody": _BODY})
@upload_route
async def removebg(request: Request) -> Response:
    """remove.bg's ``POST /v1.0/removebg``: the fields its API reference lists, the same answers."""
    values, files = await _read_request(request)
    state = request.app.state
    settings = state.settings
    try:
        parsed = parse_request(values, files)
        options_for(parsed.fields, None, settings.max_pixels)  # a bad combination: 400 before any work or fetch
        image = parsed.image if parsed.image is not None else await fetch_image(settings, parsed.image_url)
        bg_image = parsed.bg_image
        if bg_image is None and parsed.bg_image_url:
            bg_image = await fetch_image(settings, parsed.bg_image_url)
        session: SalientSession = next(iter(state.sessions.values()))
        result = await admission_of(request).run(_render, session, parsed.fields, image, bg_image, settings.max_pixels)
    except (FieldError, UrlFetchError) as exc:
        raise ApiError(400, exc.code, str(exc)) from None
    return _answer(request, result, session)


@router.get("/account", summary="The local account: unlimited, nothing charged")
async def account() -> dict[str, Any]:
    """remove.bg's ``GET /v1.0/account`` for a local server: every credit count is unlimited."""
    return {"data": {"attributes": {
        "credits": {"total": UNLIMITED_CREDITS, "subscription": 0, "payg": UNLIMITED_CREDITS, "enterprise": 0},
        "api": {"free_calls": UNLIMITED_CREDITS, "sizes": "all"},
    }}}


def _render(session: SalientSession, fields: RemoveBgFields, image: bytes, bg_image: bytes | None,
            max_pixels: int) -> RemoveBgResult:
    return render(session, fields, image, bg_image=bg_image, max_pixels=max_pixels)


def _answer(request: Request, result: RemoveBgResult, session: SalientSession) -> Response:
    headers = {
        "X-Type": result.type,
        "X-Width": str(result.width),
        "X-Height": str(result.height),
        "X-Foreground-Top": str(result.foreground_top),
        "X-Foreground-Left": str(result.foreground_left),
        "X-Foreground-Width": str(result.foreground_width),
        "X-Foreground-Height": str(result.foreground_height),
        "X-Credits-Charged": "0",
        "X-Alphacut-Model": session.spec.name,
    }
    if "application/json" in request.headers.get("accept", "").lower():
        return JSONResponse({"data": {
            "result_b64": base64.b64encode(result.data).decode("ascii"),
            "foreground_top": result.foreground_top,
            "foreground_left": result.foreground_left,
            "foreground_width": result.foreground_width,
            "foreground_height": result.foreground_height,
        }}, headers=headers)
    headers["Content-Disposition"] = f'inline; filename="no-bg.{result.format}"'
    return Response(result.data, media_type=result.media_type, headers=headers)


async def _read_request(request: Request) -> tuple[dict[str, Any], dict[str, bytes]]:
    """Field values and uploaded files, from multipart, form-urlencoded or JSON."""
    content_type = request.headers.get("content-type", "").lower()
    if content_type.startswith(("multipart/form-data", "application/x-www-form-urlencoded")):
        form = await request.form(max_files=len(FILE_FIELDS), max_fields=len(KNOWN_FIELDS) + 8)
        values: dict[str, Any] = {}
        files: dict[str, bytes] = {}
        for key, value in form.multi_items():
            if key in values or key in files:
                raise ApiError(400, "invalid_parameter", f"{key} is given more than once")
            if isinstance(value, UploadFile):
                files[key] = await value.read()
                await value.close()
            else:
                values[key] = value
        return values, files
    if content_type.startswith("application/json"):
        try:
            payload = json.loads(await request.body() or b"null")
        except ValueError:
            raise ApiError(400, "invalid_parameter", "the JSON body is not valid JSON") from None
        if not isinstance(payload, dict):
            raise ApiError(400, "invalid_parameter", "the JSON body must be an object of remove.bg parameters")
        return payload, {}
    raise ApiError(400, "invalid_parameter",
                   "send the request as multipart/form-data, application/x-www-form-urlencoded or application/json")


class RemoveBgErrorShape:
    """ASGI middleware: an error answered under ``/v1.0/`` (by a route, the request gate, the Host
    and Origin guard, routing or the API-key check, all of which speak ``{"error": code, "detail":
    message}``) is re-cast as remove.bg's ``{"errors": [{"title": message, "code": code}]}`` with
    remove.bg's status. It must wrap the gate and the guard, so add it after them."""

    def __init__(self, app, prefix: str = PREFIX + "/"):
        self.app = app
        self.prefix = prefix

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(self.prefix):
            await self.app(scope, receive, send)
            return
        held: dict[str, Any] = {}
        chunks: list[bytes] = []

        async def reshaping_send(message) -> None:
            if message["type"] == "http.response.start":
                headers = dict(message.get("headers") or ())
                if message["status"] >= 400 and headers.get(b"content-type", b"").startswith(b"application/json"):
                    held["start"] = message
                    return
            elif message["type"] == "http.response.body" and "start" in held:
                chunks.append(message.get("body", b""))
                if not message.get("more_body", False):
                    await _send_reshaped(send, held["start"], b"".join(chunks))
                return
            await send(message)

        await self.app(scope, receive, reshaping_send)


def removebg_error(status: int, body: bytes) -> tuple[int, bytes]:
    """A native error body (``{"error", "detail"}``) as remove.bg's status and body."""
    try:
        payload = json.loads(body)
    except ValueError:
        payload = {"error": f"http_{status}", "detail": body.decode("utf-8", "replace")}
    if isinstance(payload, dict) and "errors" in payload:
        return status, body
    code = str(payload.get("error", f"http_{status}")) if isinstance(payload, dict) else f"http_{status}"
    detail = payload.get("detail", "") if isinstance(payload, dict) else ""
    if not isinstance(detail, str):
        detail = json.dumps(detail)
    shaped = {"errors": [{"title": detail or code.replace("_", " "), "code": REMOVEBG_CODE.get(code, code)}]}
    return REMOVEBG_STATUS.get(status, status), json.dumps(shaped).encode()


async def _send_reshaped(send, start: dict[str, Any], body: bytes) -> None:
    status, shaped = removebg_error(start["status"], body)
    dropped = {b"content-length", b"www-authenticate"}
    headers = [(name, value) for name, value in start.get("headers") or () if name.lower() not in dropped]
    headers.append((b"content-length", str(len(shaped)).encode()))
    await send({**start, "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": shaped})
