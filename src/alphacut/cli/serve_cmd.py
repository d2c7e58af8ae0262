"""``alphacut serve``: the HTTP API, web page and review page on one port (loopback by default)."""
from __future__ import annotations

import sys
from typing import List, Optional

import typer

from alphacut.cli.options import (
    RuntimeChoice, max_frames_option, max_pixels_option, review_db_option, runtime_option, threads_option,
)
from alphacut.config import DEFAULT_MODEL
from alphacut.server.settings import DEFAULT_MAX_FRAMES as SERVER_MAX_FRAMES
from alphacut.server.settings import DEFAULT_MAX_PIXELS as SERVER_MAX_PIXELS


def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="Interface to listen on; 0.0.0.0 exposes the server to the network."),
    port: int = typer.Option(8000, "--port", min=0, max=65535, help="TCP port (0: any free port)."),
    models: Optional[List[str]] = typer.Option(None, "-m", "--model", help=f"Model to serve (repeat for several; first is the default). Default: {DEFAULT_MODEL}."),
    concurrency: int = typer.Option(2, "--concurrency", min=1, help="Images processed at once (worker threads)."),
    queue: int = typer.Option(8, "--queue", min=0, help="Requests allowed to wait; beyond that: 503 + Retry-After."),
    timeout: float = typer.Option(120.0, "--timeout", min=0.001, help="Seconds a request may wait for its result (504 after)."),
    max_upload_mb: float = typer.Option(25.0, "--max-upload-mb", min=0.001, max=1_048_576.0, help="Largest request body in MiB (413 above)."),
    max_pixels: int = max_pixels_option(SERVER_MAX_PIXELS, "Largest image in pixels, all frames of an animation counted (422 above)."),
    max_frames: int = max_frames_option(SERVER_MAX_FRAMES, "Most frames in an animation (422 above)."),
    api_keys: Optional[List[str]] = typer.Option(None, "--api-key", help="Require this key (repeatable); or set ALPHACUT_API_KEYS=k1,k2."),
    review_db: Optional[str] = review_db_option("--review-db"),
    runtime: RuntimeChoice = runtime_option(),
    threads: Optional[int] = threads_option("CPU threads per model run (default: all cores)."),
    log_level: str = typer.Option("warning", "--log-level", help="uvicorn log level: critical, error, warning, info, debug."),
    allow_url_fetch: bool = typer.Option(False, "--allow-url-fetch", help="Let the remove.bg/rembg drop-ins fetch image_url / ?url= (public addresses only; off: refused)."),
    url_hosts: Optional[List[str]] = typer.Option(None, "--allow-url-host", help="With --allow-url-fetch: fetch only from this host (repeatable; *.example.com for subdomains)."),
    allowed_hosts: Optional[List[str]] = typer.Option(None, "--allowed-host", help="Also answer requests for this Host name, and let pages on it POST (repeatable; *.example.com, or * for any). Always: localhost, 127.0.0.1, ::1 and the --host address; others get 421."),
    max_connections: Optional[int] = typer.Option(None, "--max-connections", min=2, help="Open connections at most (uvicorn answers 503 above). Default: concurrency + queue + 32."),
    keep_alive: float = typer.Option(5.0, "--keep-alive", min=0.001, help="Seconds an idle keep-alive connection stays open."),
    header_timeout: float = typer.Option(10.0, "--header-timeout", min=0.001, help="Seconds a request's head may take to arrive (the connection is closed after)."),
    body_timeout: float = typer.Option(60.0, "--body-timeout", min=0.001, help="Seconds a request's body may take to arrive, in all (the connection is closed after)."),
) -> None:
    """Serve POST /v1/remove, /v1/mask, GET /v1/models, /healthz, /docs, the web page (/) and review (/review),
    and the drop-ins for remove.bg (POST /v1.0/removebg, GET /v1.0/account) and rembg (/api/remove)."""
    try:
        import uvicorn

        from alphacut.server.app import create_app
        from alphacut.server.hosts import served_hosts
        from alphacut.server.settings import ServerSettings, keys_from_environment
        from alphacut.server.transport import uvicorn_config
    except ImportError as exc:
        from alphacut.errors import InputError

        raise InputError(f"the server needs its extra: pip install 'alphacut[serve]' ({exc.name} is missing)") from None

    if url_hosts and not allow_url_fetch:
        from alphacut.errors import OptionError

        raise OptionError("--allow-url-host needs --allow-url-fetch")
    keys = frozenset(api_keys or ()) | keys_from_environment()
    hosts, any_address = served_hosts(host, allowed_hosts or ())
    settings = ServerSettings(
        models=tuple(models or (DEFAULT_MODEL,)), runtime=runtime.value, threads=threads, concurrency=concurrency,
        queue_size=queue, timeout_s=timeout, max_upload_bytes=int(max_upload_mb * 1024 * 1024), max_pixels=max_pixels,
        max_frames=max_frames, api_keys=keys, review_db=review_db, allow_url_fetch=allow_url_fetch,
        url_hosts=frozenset(url_hosts or ()),
        allowed_hosts=hosts, allow_ip_hosts=any_address, max_connections=max_connections, keep_alive_s=keep_alive,
        header_timeout_s=header_timeout, body_timeout_s=body_timeout,
    )
    if review_db is not None:  # a database that cannot be opened fails here, in one line, not on a review request
        from alphacut.review import ReviewStore

        ReviewStore(review_db)
    from alphacut.cli.progress import settle_on_first_run

    for name in settings.models:
        settle_on_first_run(name, runtime=settings.runtime, device="cpu", threads=threads)
    app = create_app(settings)
    if host not in ("127.0.0.1", "localhost", "::1") and not keys:
        print(f"alphacut serve: warning: listening on {host} without API keys; anyone who can reach it can use it", file=sys.stderr)
    server = uvicorn.Server(uvicorn_config(app, settings, host=host, port=port, log_level=log_level))
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
