"""The drop-in endpoints' URL fetching under this server's settings: off unless ``alphacut serve
--allow-url-fetch``; then the rules of :mod:`alphacut.compat.url_fetch`, with the upload limit as
the size limit. The fetch runs on a thread so the event loop keeps serving."""
from __future__ import annotations

import asyncio

from alphacut.compat.url_fetch import FetchPolicy, fetch
from alphacut.server.settings import ServerSettings


def fetch_policy(settings: ServerSettings) -> FetchPolicy:
    return FetchPolicy(
        enabled=settings.allow_url_fetch,
        hosts=settings.url_hosts,
        max_bytes=settings.max_upload_bytes,
        timeout_s=settings.url_timeout_s,
        allow_private=settings.url_allow_private,
    )


async def fetch_image(settings: ServerSettings, url: str) -> bytes:
    """The bytes at ``url``, or :class:`alphacut.compat.url_fetch.UrlFetchError`."""
    policy = fetch_policy(settings)
    return await asyncio.to_thread(fetch, url, policy)
