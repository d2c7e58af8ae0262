"""uvicorn serving an app on a free loopback port in a background thread, for tests that need a
real socket (browsers, client libraries, proxies)."""
from __future__ import annotations

import socket
import threading
import time

import uvicorn

from alphacut.server.transport import uvicorn_config


class LiveServer:
    """uvicorn on a free loopback port in a background thread, configured as ``alphacut serve``
    configures it (connection limit, keep-alive, read deadlines from the app's settings);
    ``uvicorn_options`` go to its config (e.g. ``ssl_keyfile``/``ssl_certfile`` for TLS)."""

    def __init__(self, app, **uvicorn_options):
        self.config = uvicorn_config(app, app.state.settings, host="127.0.0.1", port=_free_port(), lifespan="on",
                                     **uvicorn_options)
        self.server = uvicorn.Server(self.config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def port(self) -> int:
        return self.config.port

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.config.port}"

    def __enter__(self) -> "LiveServer":
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
