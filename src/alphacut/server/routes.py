"""``/v1/remove``, ``/v1/mask``, ``/v1/models`` and ``/healthz``.

An image comes as the ``file`` part of a multipart form (with optional ``bg_image`` and ``hints``
parts, and options as form fields or query parameters) or as the raw request body (options in the
query string). The server only reads what the client uploads: it never fetches a URL.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import PurePath
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, Query, Request, Response
from starlette.concurrency import run_in_threadpool
from PIL import Image
from pydantic import BaseModel, ValidationError
from starlette.datastructures import UploadFile

from alphacut.io.decode import check_limits, open_image, read_frames
from alphacut.io.encode import encode_stream
from alphacut.models.session import SalientSession
from alphacut.pipeline import RemoveOptions, Remover
from alphacut.server.auth import require_api_key
from alphacut.server.errors import ApiError
from alphacut.server.gate import admission_of, upload_route
from alphacut.server.params import RemoveParams
from alphacut.server.settings import ServerSettings

MEDIA_TYPES = {"png": "image/png", "webp": "image/webp"}
FILE_PARTS = ("file", "bg_image", "hints")

_IMAGE_BODY = {
    "content": {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "required": ["file"],
                "properties": {
                    "file": {"type": "string", "format": "binary", "description": "The image."},
                    "bg_image": {"type": "string", "format": "binary", "description": "Optional background image."},
                    "hints": {
                        "type": "string", "format": "binary",
                        "description": "Optional brush strokes: red = keep, blue = remove (or a grey trimap: 255 keep, 0 remove, 128 none).",
                    },
                },
            }
        },
        "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
        "image/*": {"schema": {"type": "string", "format": "binary"}},
    },
    "required": True,
}
_IMAGE_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"content": {"image/png": {}, "image/webp": {}}, "description": "The result image."},
    401: {"description": "Missing or invalid API key."},
    413: {"description": "Request body over the upload limit."},
    422: {"description": "Not an image, over the pixel limit, or a bad option."},
    503: {"description": "Busy: retry after the Retry-After header's seconds."},
    504: {"description": "The result was not ready within the server's timeout."},
}

router = APIRouter()
api = APIRouter(prefix="/v1", dependencies=[Depends(require_api_key)])


@dataclass
class Upload:
    data: bytes
    filename: str
    bg_image: bytes | None = None
    hints: bytes | None = None


@router.get("/healthz", tags=["service"], summary="Liveness and queue state")
async def healthz(request: Request) -> dict[str, Any]:
    state = request.app.state
    return {"status": "ok", "models": list(state.sessions), "queue": state.queue.stats()}


@api.get("/models", tags=["service"], summary="Models this server has loaded")
async def models(request: Request) -> dict[str, Any]:
    sessions: dict[str, SalientSession] = request.app.state.sessions
    return {
        "default": next(iter(sessions)),
        "models": [
            {
                "name": name,
                "description": _public_description(session.spec.description),
                "input_size": list(session.spec.input_size),
                "runtime": session.runtime.name,
                "licence": session.spec.licence,
            }
            for name, session in sessions.items()
        ],
    }


@api.post("/remove", tags=["images"], summary="Remove the background", response_class=Response,
          openapi_extra={"requestBody": _IMAGE_BODY}, responses=_IMAGE_RESPONSES)
@upload_route
async def remove(request: Request, params: Annotated[RemoveParams, Query()]) -> Response:
    """The cutout (RGBA), or with ``mask=true`` the grey mask, or with ``bg``/``bg_image`` the
    subject on a new background."""
    return await _process(request, params, force_mask=False)


@api.post("/mask", tags=["images"], summary="The alpha mask only", response_class=Response,
          openapi_extra={"requestBody": _IMAGE_BODY}, responses=_IMAGE_RESPONSES)
@upload_route
async def mask(request: Request, params: Annotated[RemoveParams, Query()]) -> Response:
    """The grey alpha mask (255 = subject) of the uploaded image."""
    return await _process(request, params, force_mask=True)


async def _process(request: Request, params: RemoveParams, *, force_mask: bool) -> Response:
    upload, form_fields = await _read_upload(request)
    if form_fields:
        params = _merge(params, form_fields)
    if force_mask:
        params = params.model_copy(update={"mask": True})
    RemoveOptions.from_user(**params.remove_values())  # a bad or contradictory option: 422 before any work
    session = _session(request, params.model)
    settings = request.app.state.settings
    # a pixel or frame bomb is refused from its header now, not after waiting for a worker
    await run_in_threadpool(check_limits, upload.data, name="upload", max_pixels=settings.max_pixels,
                            max_frames=settings.max_frames)
    start = time.perf_counter()
    result = await admission_of(request).run(_render, session, params, upload, settings)
    elapsed_ms = (time.perf_counter() - start) * 1000
    stem = PurePath(upload.filename).stem or "image"
    suffix = "mask" if params.mask else "cutout"
    return Response(
        result,
        media_type=MEDIA_TYPES[params.format],
        headers={
            "Content-Disposition": f'inline; filename="{_safe_name(stem)}.{suffix}.{params.format}"',
            "X-Alphacut-Model": session.spec.name,
            "Server-Timing": f"total;dur={elapsed_ms:.1f}",
        },
    )


Params = TypeVar("Params", bound=BaseModel)


def _merge(params: Params, form_fields: dict[str, str]) -> Params:
    """Query parameters with the multipart form's fields on top, checked again (422 on a bad one)."""
    try:
        return type(params).model_validate({**params.model_dump(exclude_unset=True), **form_fields})
    except ValidationError as exc:
        messages = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise ApiError(422, "invalid_option", messages) from None


def _session(request: Request, name: str | None) -> SalientSession:
    sessions: dict[str, SalientSession] = request.app.state.sessions
    if name is None:
        return next(iter(sessions.values()))
    try:
        return sessions[name]
    except KeyError:
        raise ApiError(422, "invalid_option", f"model {name!r} is not served here; served: {', '.join(sessions)}") from None


async def _read_upload(request: Request) -> tuple[Upload, dict[str, str]]:
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("multipart/form-data"):
        return await _read_form(request)
    if content_type.startswith("application/x-www-form-urlencoded"):
        raise ApiError(422, "invalid_input", "send the image as multipart/form-data (field 'file') or as the raw body")
    data = await request.body()
    if not data:
        raise ApiError(422, "invalid_input", "empty request: send an image as the body or as the multipart field 'file'")
    return Upload(data=data, filename="image"), {}


async def _read_form(request: Request) -> tuple[Upload, dict[str, str]]:
    form = await request.form(max_files=len(FILE_PARTS), max_fields=32)
    files: dict[str, UploadFile] = {}
    fields: dict[str, str] = {}
    for key, value in form.multi_items():
        if isinstance(value, UploadFile):
            if key not in FILE_PARTS:
                raise ApiError(422, "invalid_input", f"unexpected file part {key!r}; file parts are {', '.join(FILE_PARTS)}")
            files[key] = value
        elif key in FILE_PARTS:
            raise ApiError(
                422, "invalid_input",
                f"{key!r} must be an uploaded file, not text: the server never fetches URLs or reads its own files",
            )
        else:
            fields[key] = value
    if "file" not in files:
        raise ApiError(422, "invalid_input", "multipart request without a 'file' part")
    parts = {key: await upload.read() for key, upload in files.items()}
    for upload in files.values():
        await upload.close()
    if not parts["file"]:
        raise ApiError(422, "invalid_input", "the 'file' part is empty")
    upload = Upload(
        data=parts["file"], filename=files["file"].filename or "image",
        bg_image=parts.get("bg_image") or None, hints=parts.get("hints") or None,
    )
    return upload, fields


def _render(session: SalientSession, params: RemoveParams, upload: Upload, settings: ServerSettings) -> bytes:
    """Decode, cut out and encode one upload, an animation a frame at a time; runs on a worker thread."""
    max_pixels = settings.max_pixels
    decoded = read_frames(upload.data, name="upload", max_pixels=max_pixels, max_frames=settings.max_frames)
    hints = _open_hints(upload.hints, max_pixels) if upload.hints else None
    # the background's first frame only: RemoveOptions decodes it (an animation is not decoded whole)
    options = RemoveOptions.from_user(**params.remove_values(), bg_image=upload.bg_image, max_pixels=max_pixels)
    return encode_stream(Remover(session, options).results(decoded, hints=hints), params.format, loop=decoded.loop)


def _open_hints(data: bytes, max_pixels: int) -> Image.Image:
    """The hint image in its own mode (a grey trimap must stay grey, so no RGB normalising)."""
    return open_image(data, name="hints", max_pixels=max_pixels)


def _public_description(text: str) -> str:
    """A model loaded from a file is described by its path: show the file name, not the server's folders."""
    prefix = "ONNX file "
    return prefix + PurePath(text[len(prefix):]).name if text.startswith(prefix) else text


def _safe_name(stem: str) -> str:
    cleaned = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in stem)[:100]
    return cleaned or "image"
