"""``/v1/layers``: the uploaded photo as layers, one per object plus a clean background plate.

``format=json`` (the web page's layer list) returns every layer as a PNG data URL with its box,
kind, visibility and score; ``psd``, ``ora`` and ``zip`` (the folder layout of ``alphacut layers``
zipped) return the layered file. Objects are found by :mod:`alphacut.edit.objects` and the layers
built by :mod:`alphacut.edit.layers`, as ``alphacut layers`` does; the filler is one of the
built-in ones (``onnx:PATH`` would read a file of the server's).
"""
from __future__ import annotations

import base64
import json
from pathlib import PurePath
from typing import Annotated, Any, Literal, Optional

import numpy as np
from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from alphacut.edit.fillers import get_filler
from alphacut.edit.layers import build_layers
from alphacut.edit.objects import find_objects
from alphacut.io.decode import read_frames
from alphacut.io.layered import RasterLayer, ora_bytes, png_bytes, psd_bytes, zip_bytes
from alphacut.models.session import SalientSession
from alphacut.pipeline import RemoveOptions, Remover
from alphacut.pipeline.object_matte import object_matte, zoom_helps
from alphacut.refine.presets import PRESET_NAMES
from alphacut.server.auth import require_api_key
from alphacut.server.errors import ApiError
from alphacut.server.gate import admission_of, upload_route
from alphacut.server.routes import Upload, _merge, _read_upload, _safe_name, _session
from alphacut.server.settings import ServerSettings

FILE_TYPES = {"psd": "image/vnd.adobe.photoshop", "ora": "image/openraster", "zip": "application/zip"}

api = APIRouter(prefix="/v1", dependencies=[Depends(require_api_key)])


class LayersParams(BaseModel):
    """How to split the photo; unknown names are refused (422)."""

    model_config = ConfigDict(extra="forbid", protected_namespaces=())

    model: Optional[str] = Field(None, description="A served model (GET /v1/models); default: the first one.", max_length=200)
    preset: Literal[PRESET_NAMES] = Field("auto", description="Refinement preset of the objects' alpha.")  # type: ignore[valid-type]
    format: Literal["json", "psd", "ora", "zip"] = Field("json", description="Layer list (PNG data URLs) or a layered file.")
    max_objects: int = Field(8, ge=1, le=32, description="At most this many object layers (the largest).")
    min_area: Optional[int] = Field(None, ge=1, description="Objects smaller than this many pixels are specks (default: 0.1% of the image).")
    shadows: bool = Field(False, description="Also a shadow layer per object.")
    fill: Literal["exemplar", "telea", "ns"] = Field("exemplar", description="Filler of the plate's holes.")


@api.post("/layers", tags=["images"], summary="Split a photo into object layers and a background plate", response_class=Response)
@upload_route
async def layers(request: Request, params: Annotated[LayersParams, Query()]) -> Response:
    upload, form_fields = await _read_upload(request)
    if form_fields:
        params = _merge(params, form_fields)
    session = _session(request, params.model)
    size, stack = await admission_of(request).run(_split, session, params, upload, request.app.state.settings)
    stem = _safe_name(PurePath(upload.filename).stem or "image")
    if params.format == "json":
        return Response(json.dumps(_listing(size, stack)), media_type="application/json")
    data = {"psd": psd_bytes, "ora": ora_bytes, "zip": zip_bytes}[params.format](size, stack)
    return Response(data, media_type=FILE_TYPES[params.format],
                    headers={"Content-Disposition": f'attachment; filename="{stem}.layers.{params.format}"'})


def _split(session: SalientSession, params: LayersParams, upload: Upload, settings: ServerSettings):
    """Decode, find the objects and build the layers; runs on a worker thread."""
    decoded = read_frames(upload.data, name="upload", max_pixels=settings.max_pixels, max_frames=settings.max_frames)
    if decoded.frame_count != 1:
        raise ApiError(422, "invalid_input", "layers are made of a still image, not an animation")
    picture = next(iter(decoded.iter_frames())).image
    rgb = np.asarray(picture.convert("RGB"))
    remover = Remover(session, RemoveOptions.from_user(preset=params.preset))
    objects = find_objects(rgb, object_matte(remover, rgb), max_objects=params.max_objects, min_area=params.min_area,
                           zoom=zoom_helps(remover, rgb))
    if not objects:
        raise ApiError(422, "no_objects", "the model found no object to put on a layer")
    return picture.size, build_layers(rgb, objects, get_filler(params.fill), shadows=params.shadows)


def _listing(size: tuple[int, int], stack: list[RasterLayer]) -> dict[str, Any]:
    return {
        "width": size[0], "height": size[1], "order": "bottom to top",
        "layers": [
            {"name": layer.name, "box": list(layer.box), "visible": layer.visible, **layer.details,
             "png": "data:image/png;base64," + base64.b64encode(png_bytes(layer.image)).decode("ascii")}
            for layer in stack
        ],
    }
