"""``alphacut serve``: the HTTP API, web page and review page on one port (loopback by default)."""
from __future__ import annotations

import sys
from typing import List, Optional

import typer

from alphacut.cli.options import RuntimeChoice, max_pixels_option, review_db_option, runtime_option, threads_option
from alphacut.config import DEFAULT_MODEL
from alphacut.server.settings import DEFAULT_MAX_PIXELS as SERVER_MAX_PIXELS


def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="Interface to listen on; 0.0.0.0 exposes the server to the network."),
    port: int = typer.Option(8000, "--port", min=0, max=65535, help="TCP port (0: any free port)."),
    models: Optional[List[str]] = typer.Option(None, "-m", "--model", help=f"Model to serve (repeat for several; first is the default). Default: {DEFAULT_MODEL}."),
    concurrency: int = typer.Option(2, "--concurrency", min=1, help="Images processed at once (worker threads)."),
    queue: int = typer.Option(8, "--queue", min=0, help="Requests allowed to wait; beyond that: 503 + Retry-After."),
    timeout: float = typer.Option(120.0, "--timeout", min=0.001, help="Seconds a request may wait for its result (504 after)."),
    max_upload_mb: float = typer.Option(25.0, "--max-upload-mb", min=0.001, help="Largest request body in MiB (413 above)."),
    max_pixels: int = max_pixels_option(SERVER_MAX_PIXELS, "Largest image in pixels (422 above)."),
    api_keys: Optional[List[str]] = typer.Option(None, "--api-key", help="Require this key (repeatable); or set ALPHACUT_API_KEYS=k1,k2."),
    review_db: Optional[str] = review_db_option("--review-db"),
    runtime: RuntimeChoice = runtime_option(),
    threads: Optional[int] = threads_option("CPU threads per model run (default: all cores)."),
    log_level: str = typer.Option("warning", "--log-level", help="uvicorn log level: critical, error, warning, info, debug."),
    allow_url_fetch: bool = typer.Option(False, "--allow-url-fetch", help="Let the remove.bg/rembg drop-ins fetch image_url / ?url= (public addresses only; off: refused)."),
    url_hosts: Optional[List[str]] = typer.Option(None, "--allow-url-host", help="With --allow-url-fetch: fetch only from this host (repeatable; *.example.com for subdomains)."),
) -> None:
    """Serve POST /v1/remove, /v1/mask, GET /v1/models, /healthz, /docs, the web page (/) and review (/review),
    and the drop-ins for remove.bg (POST /v1.0/removebg, GET /v1.0/account) and rembg (/api/remove)."""
    try:
        import uvicorn

        from alphacut.server.app import create_app
        from alphacut.server.settings import ServerSettings, keys_from_environment
    except ImportError as exc:
        from alphacut.errors import InputError

        raise InputError(f"the server needs its extra: pip install 'alphacut[serve]' ({exc.name} is missing)") from None

    if url_hosts and not allow_url_fetch:
        from alphacut.errors import OptionError

        raise OptionError("--allow-url-host needs --allow-url-fetch")
    keys = frozenset(api_keys or ()) | keys_from_environment()
    settings = ServerSettings(
        models=tuple(models or (DEFAULT_MODEL,)), runtime=runtime.value, threads=threads, concurrency=concurrency,
        queue_size=queue, timeout_s=timeout, max_upload_bytes=int(max_upload_mb * 1024 * 1024), max_pixels=max_pixels,
        api_keys=keys, review_db=review_db, allow_url_fetch=allow_url_fetch, url_hosts=frozenset(url_hosts or ()),
    )
    app = create_app(settings)
    if host not in ("127.0.0.1", "localhost", "::1") and not keys:
        print(f"alphacut serve: warning: listening on {host} without API keys; anyone who can reach it can use it", file=sys.stderr)
    config = uvicorn.Config(app, host=host, port=port, log_level=log_level, timeout_graceful_shutdown=5)
    server = uvicorn.Server(config)
    _announce(server, host, port)
    try:
        server.run()
    except KeyboardInterrupt:  # uvicorn re-raises Ctrl-C after its graceful shutdown: a normal stop
        print("alphacut serve: stopped", file=sys.stderr)


def _announce(server, host: str, port: int) -> None:
    """Print the address once the socket is bound (port 0 gets its real number)."""
    original = server.startup

    async def startup(sockets=None):
        await original(sockets=sockets)
        bound = port
        for listener in getattr(server, "servers", []):
            for sock in listener.sockets:
                bound = sock.getsockname()[1]
        shown = f"[{host}]" if ":" in host else host
        print(f"alphacut serve: listening on http://{shown}:{bound}/ (API docs: /docs)", file=sys.stderr, flush=True)

    server.startup = startup
