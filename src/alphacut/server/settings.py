"""What a server instance may do: models it serves, limits it enforces, keys it accepts."""
from __future__ import annotations

import os
from dataclasses import dataclass, field

from alphacut.config import DEFAULT_MODEL

#: Uploads above this many bytes get 413 before they are decoded.
DEFAULT_MAX_UPLOAD_BYTES = 25 * 1024 * 1024
#: Images above this many pixels get 422; lower than the CLI's 200 MP because a server's memory is shared.
DEFAULT_MAX_PIXELS = 40_000_000


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
    """

    models: tuple[str, ...] = (DEFAULT_MODEL,)
    runtime: str = "auto"
    threads: int | None = None
    concurrency: int = 2
    queue_size: int = 8
    timeout_s: float = 120.0
    max_upload_bytes: int = DEFAULT_MAX_UPLOAD_BYTES
    max_pixels: int = DEFAULT_MAX_PIXELS
    api_keys: frozenset[str] = field(default_factory=frozenset)
    review_db: str | None = None
    allow_url_fetch: bool = False
    url_hosts: frozenset[str] = field(default_factory=frozenset)
    url_timeout_s: float = 10.0
    url_allow_private: bool = False

    def __post_init__(self) -> None:
        if not self.models:
            raise ValueError("a server needs at least one model")
        for name, value in (("concurrency", self.concurrency), ("max_upload_bytes", self.max_upload_bytes), ("max_pixels", self.max_pixels)):
            if value < 1:
                raise ValueError(f"{name} must be at least 1, got {value}")
        if self.queue_size < 0:
            raise ValueError(f"queue_size must be 0 or more, got {self.queue_size}")
        if self.timeout_s <= 0:
            raise ValueError(f"timeout_s must be positive, got {self.timeout_s}")
        if self.url_timeout_s <= 0:
            raise ValueError(f"url_timeout_s must be positive, got {self.url_timeout_s}")


def keys_from_environment() -> frozenset[str]:
    """API keys from ``ALPHACUT_API_KEYS`` (comma separated), so they stay out of the process list."""
    raw = os.environ.get("ALPHACUT_API_KEYS", "")
    return frozenset(key.strip() for key in raw.split(",") if key.strip())
