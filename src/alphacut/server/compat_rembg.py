"""rembg's server API on this server: ``GET /api/remove?url=...`` and ``POST /api/remove`` (multipart
``file``), with rembg's parameters (``model``, ``a``, ``af``, ``ab``, ``ae``, ``om``, ``ppm``,
``bgc``, ``extras``; as form fields or in the query string) and its answer, ``image/png``.

A bad parameter is answered the way rembg's FastAPI server answers one: 422 with
``{"detail": [{"type", "loc", "msg", "input"}]}``. The limits, queue and API keys are those of
``/v1/remove``; ``?url=`` is fetched only when the server allows URL fetching.
"""
from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse
from starlette.datastructures import UploadFile

from alphacut.compat.rembg import cut_out
from alphacut.compat.rembg_fields import HTTP_PARAMETERS, RembgOptions, RembgParamError, our_model_name, parse_http, rembg_name_of
from alphacut.compat.url_fetch import UrlFetchError
from alphacut.io.encode import encode_frames
from alphacut.models.session import SalientSession
from alphacut.server.auth import require_api_key
from alphacut.server.compat_fetch import fetch_image
from alphacut.server.gate import admission_of, upload_route

router = APIRouter(tags=["rembg compatible"], dependencies=[Depends(require_api_key)])


class RembgRequestError(Exception):
    """A parameter rembg's server would refuse with 422; ``where`` is ``query`` or ``body``."""

    def __init__(self, where: str, name: str, message: str, kind: str = "value_error", given: Any = None):
        super().__init__(message)
        self.where, self.name, self.message, self.kind, self.given = where, name, message, kind, given

    def response(self) -> JSONResponse:
        return JSONResponse({"detail": [{"type": self.kind, "loc": [self.where, self.name], "msg": self.message,
                                         "input": self.given}]}, status_code=422)


@router.get("/api/remove", summary="rembg-compatible: remove the background of an image URL", response_class=Response)
@upload_route
async def remove_from_url(request: Request) -> Response:
    values = dict(request.query_params)
    url = values.pop("url", None)
    try:
        if not url:
            raise RembgRequestError("query", "url", "Field required", "missing")
        parsed, session = _parse(request, values, frozenset())  # bad parameters: 422 before any fetch
        try:
            image = await fetch_image(request.app.state.settings, url)
        except UrlFetchError as exc:
            raise RembgRequestError("query", "url", str(exc), exc.code, url) from None
        return await _answer(request, parsed, session, image)
    except RembgRequestError as exc:
        return exc.response()


@router.post("/api/remove", summary="rembg-compatible: remove the background of an uploaded image", response_class=Response)
@upload_route
async def remove_upload(request: Request) -> Response:
    try:
        values, form_keys, image = await _read_upload(request)
        parsed, session = _parse(request, values, form_keys)
        return await _answer(request, parsed, session, image)
    except RembgRequestError as exc:
        return exc.response()


def _parse(request: Request, values: dict[str, str], form_keys: frozenset[str]):
    """rembg's parameters checked and the served session chosen; ``form_keys``: the parameters that
    came as form fields (``body``), the rest came in the query."""
    try:
        parsed = parse_http(values)
    except RembgParamError as exc:
        where = "body" if exc.name in form_keys else "query"
        raise RembgRequestError(where, exc.name, exc.reason, given=values.get(exc.name)) from None
    return parsed, _session(request, parsed.model, "body" if "model" in form_keys else "query")


async def _answer(request: Request, parsed, session: SalientSession, image: bytes) -> Response:
    png = await admission_of(request).run(_render, session, parsed.options, image, request.app.state.settings.max_pixels)
    return Response(png, media_type="image/png", headers={"X-Alphacut-Model": session.spec.name})


def _render(session: SalientSession, options: RembgOptions, image: bytes, max_pixels: int) -> bytes:
    return encode_frames([cut_out(session, options, image, max_pixels)], "png")


def _session(request: Request, name: str | None, where: str) -> SalientSession:
    sessions: dict[str, SalientSession] = request.app.state.sessions
    if name is None:
        return next(iter(sessions.values()))
    session = sessions.get(our_model_name(name))
    if session is None:
        served = ", ".join(f"{rembg_name_of(n)} ({n})" if rembg_name_of(n) else n for n in sessions)
        raise RembgRequestError(where, "model", f"model {name!r} is not served here; served: {served}", given=name)
    return session


async def _read_upload(request: Request) -> tuple[dict[str, str], frozenset[str], bytes]:
    """rembg's POST: the multipart ``file``, the parameters from the form or the query string
    (the form wins where both give one), and which of them came from the form."""
    values = dict(request.query_params)
    if not request.headers.get("content-type", "").lower().startswith("multipart/form-data"):
        raise RembgRequestError("body", "file", "Field required: send the image as the multipart field 'file'", "missing")
    form = await request.form(max_files=1, max_fields=len(HTTP_PARAMETERS) + 8)
    image: bytes | None = None
    form_keys = set()
    for key, value in form.multi_items():
        if isinstance(value, UploadFile):
            if key != "file":
                raise RembgRequestError("body", key, "unexpected file; the image goes in the field 'file'")
            image = await value.read()
            await value.close()
        elif key == "file":
            raise RembgRequestError("body", "file", "Expected UploadFile, received: <class 'str'>", "value_error", value)
        else:
            values[key] = value
            form_keys.add(key)
    if not image:
        raise RembgRequestError("body", "file", "Field required", "missing")
    return values, frozenset(form_keys), image
