"""Optional API keys: ``Authorization: Bearer KEY`` or ``X-API-Key: KEY``, compared in constant time."""
from __future__ import annotations

import hmac

from fastapi import Request

from alphacut.server.errors import ApiError


def presented_key(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return request.headers.get("x-api-key") or None


def key_is_valid(presented: str | None, keys: frozenset[str]) -> bool:
    if presented is None:
        return False
    matches = [hmac.compare_digest(presented.encode(), key.encode()) for key in keys]  # no early exit
    return any(matches)


def require_api_key(request: Request) -> None:
    """FastAPI dependency: passes when the server has no keys or the request carries one of them."""
    keys: frozenset[str] = request.app.state.settings.api_keys
    if keys and not key_is_valid(presented_key(request), keys):
        raise ApiError(
            401, "unauthorized", "missing or invalid API key: send 'Authorization: Bearer KEY' or 'X-API-Key: KEY'",
            {"WWW-Authenticate": "Bearer"},
        )
