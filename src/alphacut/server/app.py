"""The FastAPI application: models loaded once and shared, limits, API, web page and review.

Every request passes, outermost first: remove.bg's error shape (under ``/v1.0/``), the Host and
Origin guard (:mod:`alphacut.server.hosts`), then the gate (:mod:`alphacut.server.gate`: admission
and body size before the body is read), then the routes."""
from __future__ import annotations

from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path

from fastapi import FastAPI
from fastapi_offline import FastAPIOffline
from fastapi.responses import FileResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles

from alphacut import __version__
from alphacut.models import load_model, looks_like_path
from alphacut.models.session import SalientSession
from alphacut.server.errors import install_error_handlers
from alphacut.server.gate import RequestGate, upload_routes_of
from alphacut.server.hosts import HostOriginGuard, HostPolicy
from alphacut.server.limits import AdmissionQueue
from alphacut.server.settings import ServerSettings


def static_dir() -> Path:
    return Path(str(resources.files("alphacut.server") / "static"))


def load_sessions(settings: ServerSettings) -> dict[str, SalientSession]:
    """Every served model, loaded once; a path's model is served under its file's stem."""
    sessions: dict[str, SalientSession] = {}
    for name in settings.models:
        session = load_model(name, threads=settings.threads, runtime=settings.runtime)
        served = session.spec.name if looks_like_path(str(name)) else str(name)
        sessions[served] = session
    return sessions


def create_app(settings: ServerSettings | None = None, *, sessions: dict[str, SalientSession] | None = None) -> FastAPI:
    """Build the app; models load here (before the first request), not per request."""
    from alphacut.server import compat_rembg, compat_removebg, layers_routes, review_routes, routes

    settings = settings or ServerSettings()
    queue = AdmissionQueue(settings.concurrency, settings.queue_size, settings.timeout_s)

    @asynccontextmanager
    async def lifespan(_: FastAPI):
        yield
        queue.shutdown()

    app = FastAPIOffline(  # Swagger UI and ReDoc served from the package, not a CDN
        title="alphacut",
        version=__version__,
        summary="Offline background removal with soft alpha.",
        description=(
            "POST an image to `/v1/remove` (multipart field `file`, or the raw body) and get the cutout back. "
            "Limits: request body size (413), image pixels (422), bounded queue (503 with Retry-After, "
            "decided before the body is read), per-request timeout (504). Only the server's own host names "
            "are answered (421), and POSTs from other sites' pages are refused (403). "
            "With API keys configured, send `Authorization: Bearer KEY`."
        ),
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.sessions = sessions if sessions is not None else load_sessions(settings)
    app.state.queue = queue
    install_error_handlers(app)
    # add_middleware puts each one outside the previous: the last added sees a request first
    routers = (routes.router, routes.api, review_routes.api, layers_routes.api, compat_removebg.router, compat_rembg.router)
    app.add_middleware(RequestGate, queue=queue, upload_routes=upload_routes_of(routers), max_upload_bytes=settings.max_upload_bytes)
    app.add_middleware(HostOriginGuard, policy=HostPolicy(settings.allowed_hosts, settings.allow_ip_hosts))
    app.add_middleware(compat_removebg.RemoveBgErrorShape)  # outermost: the gate's and guard's errors get remove.bg's shape too
    for router in routers:
        app.include_router(router)
    static = static_dir()
    app.mount("/static", StaticFiles(directory=static), name="static")

    @app.get("/", include_in_schema=False)
    async def index():
        return FileResponse(static / "index.html")

    @app.get("/review", include_in_schema=False)
    async def review_page():
        return FileResponse(static / "review.html")

    @app.get("/favicon.ico", include_in_schema=False)
    async def favicon():
        return RedirectResponse("/static/favicon.svg")

    return app
