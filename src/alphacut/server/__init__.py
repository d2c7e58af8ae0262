"""``alphacut serve``: the HTTP API, the web page and the review page (FastAPI + uvicorn)."""
from __future__ import annotations

from alphacut.server.settings import ServerSettings

__all__ = ["ServerSettings", "create_app"]


def create_app(*args, **kwargs):
    """See :func:`alphacut.server.app.create_app` (imported lazily: FastAPI is an optional extra)."""
    from alphacut.server.app import create_app as build

    return build(*args, **kwargs)
