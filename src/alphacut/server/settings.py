"""What a server instance may do: models it serves, limits it enforces, keys it accepts."""
from __future__ import annotations

import os
from dataclasses import dataclass, field

from alphacut.config import DEFAULT_MODEL
from alphacut.errors import OptionError

#: Uploads above this many bytes get 413 before they are decoded.
DEFAULT_MAX_UPLOAD_BYTES = 25 * 1024 * 1024
#: Images above this many pixels get 422; lower than the CLI's 200 MP because a server's memory is shared.
DEFAULT_MAX_PIXELS = 40_000_000
#: Animations with more frames get 422: the model runs once per frame, and a request must end within its timeout.
DEFAULT_MAX_FRAMES = 100
#: Bodies of requests that carry no image (a review vote) get 413 above this many bytes.
CONTROL_BODY_BYTES = 64 * 1024
#: Host names every server answers to: a browser on this machine, whatever the bound address.
LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
#: Connections (and requests in progress) beyond the admission capacity that uvicorn accepts for
#: pages, health checks and votes; past ``max_connections`` it answers 503 itself.
CONTROL_CONNECTIONS = 32


@dataclass(frozen=True)
class ServerSettings:
    """Limits and resources of one ``alphacut serve`` process.

    ``concurrency`` images are processed at once (worker threads); up to ``queue_size`` more wait;
    beyond that the server answers 503 with ``Retry-After``. ``timeout_s`` bounds how long a
    request waits for its result (504 after that). ``api_keys`` empty means no authentication.
    ``review_db`` is a SQLite path or a ``postgresql://`` URL (``None``: the default SQLite file).
    ``allow_url_fetch`` lets the remove.bg and rembg drop-ins fetch ``image_url``/``?url=`` (off:
    refused), from ``url_hosts`` only when given, within ``url_timeout_s`` and the upload limit;
    ``url_allow_private`` also admits loopback and private addresses, for tests only (no CLI flag).

    Who may call: ``allowed_hosts`` are the ``Host`` names answered (others: 421), and the origins
    whose pages may POST (others: 403); ``*.example.com`` admits subdomains, ``*`` any host, and
    ``allow_ip_hosts`` any IP address (a wildcard bind: an address cannot be DNS-rebound).
    What a connection may cost: ``max_connections`` (``None``: the admission capacity plus
    :data:`CONTROL_CONNECTIONS`), an idle keep-alive connection closed after ``keep_alive_s``, a
    request head that must arrive within ``header_timeout_s`` and its body within ``body_timeout_s``.
    """

    models: tuple[str, ...] = (DEFAULT_MODEL,)
    runtime: str = "auto"
    threads: int | None = None
    concurrency: int = 2
    queue_size: int = 8
    timeout_s: float = 120.0
    max_upload_bytes: int = DEFAULT_MAX_UPLOAD_BYTES
    max_pixels: int = DEFAULT_MAX_PIXELS
    max_frames: int = DEFAULT_MAX_FRAMES
    api_keys: frozenset[str] = field(default_factory=frozenset)
    review_db: str | None = None
    allow_url_fetch: bool = False
    url_hosts: frozenset[str] = field(default_factory=frozenset)
    url_timeout_s: float = 10.0
    url_allow_private: bool = False
    allowed_hosts: frozenset[str] = LOOPBACK_HOSTS
    allow_ip_hosts: bool = False
    max_connections: int | None = None
    keep_alive_s: float = 5.0
    header_timeout_s: float = 10.0
    body_timeout_s: float = 60.0

    @property
    def capacity(self) -> int:
        """Requests admitted at once (running plus waiting); the next is refused 503."""
        return self.concurrency + self.queue_size

    @property
    def connection_limit(self) -> int:
        return self.max_connections if self.max_connections is not None else self.capacity + CONTROL_CONNECTIONS

    def __post_init__(self) -> None:
        if not self.models:
            raise ValueError("a server needs at least one model")
        for name, value in (("concurrency", self.concurrency), ("max_upload_bytes", self.max_upload_bytes), ("max_pixels", self.max_pixels),
                            ("max_frames", self.max_frames)):
            if value < 1:
                raise ValueError(f"{name} must be at least 1, got {value}")
        if self.queue_size < 0:
            raise ValueError(f"queue_size must be 0 or more, got {self.queue_size}")
        if self.timeout_s <= 0:
            raise ValueError(f"timeout_s must be positive, got {self.timeout_s}")
        for name, seconds in (("url_timeout_s", self.url_timeout_s), ("keep_alive_s", self.keep_alive_s),
                              ("header_timeout_s", self.header_timeout_s), ("body_timeout_s", self.body_timeout_s)):
            if seconds <= 0:
                raise ValueError(f"{name} must be positive, got {seconds}")
        if self.max_connections is not None and self.max_connections <= self.capacity:
            raise OptionError(f"max connections ({self.max_connections}) must exceed concurrency + queue ({self.capacity}), "
                              "or uploads the queue admits would be refused by the connection limit")


def keys_from_environment() -> frozenset[str]:
    """API keys from ``ALPHACUT_API_KEYS`` (comma separated), so they stay out of the process list."""
    raw = os.environ.get("ALPHACUT_API_KEYS", "")
    return frozenset(key.strip() for key in raw.split(",") if key.strip())
