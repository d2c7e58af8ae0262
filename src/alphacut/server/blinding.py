"""Blind review on the server: a reviewer sees neither which candidate is which nor the votes so
far until they have voted on the image.

Before a reviewer's vote an image's candidates are sent as opaque tokens, in an order shuffled
per reviewer and image (no position bias, yet the same on reload), and no tallies are sent; the
reviewer votes for a token and fetches candidate images by token. A token is an HMAC of the item
and label under a key drawn when the server starts, so it cannot be mapped back to its label
without the key; a page left open across a restart holds tokens that no longer match, and its
vote is refused (never counted for the wrong candidate).
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Any, Sequence

from alphacut.review import NONE_CHOICE
from alphacut.review.store import Item, Vote
from alphacut.review.tally import tally_item

TOKEN_HEX = 16


class Blinding:
    """Tokens for one server process (``key``: random unless a test fixes it)."""

    def __init__(self, key: bytes | None = None):
        self._key = key if key is not None else secrets.token_bytes(32)

    def token(self, item: Item, label: str) -> str:
        return self._mac(f"candidate\0{item.id}\0{label}")[:TOKEN_HEX]

    def label_of(self, item: Item, token: str) -> str | None:
        """The label behind ``token`` for this item; ``None`` when it is none of its tokens."""
        for candidate in item.candidates:
            if hmac.compare_digest(self.token(item, candidate.label), token):
                return candidate.label
        return None

    def order(self, item: Item, reviewer: str | None) -> list[str]:
        """The item's tokens in ``reviewer``'s display order."""
        tokens = [self.token(item, candidate.label) for candidate in item.candidates]
        return sorted(tokens, key=lambda token: self._mac(f"order\0{reviewer or ''}\0{token}"))

    def _mac(self, text: str) -> str:
        return hmac.new(self._key, text.encode("utf-8"), hashlib.sha256).hexdigest()

    def item_json(self, item: Item, votes: Sequence[Vote], reviewer: str | None) -> dict[str, Any]:
        """What ``reviewer`` may see of an item: tokens only before their vote; after it, the
        labels behind the tokens, their own vote and the tally."""
        reviewer = reviewer.strip() if reviewer else None  # as the store keeps names
        mine = [vote for vote in votes if vote.item_id == item.id]
        yours = next((vote.choice for vote in mine if vote.reviewer == reviewer), None) if reviewer else None
        tokens = self.order(item, reviewer)
        shown: dict[str, Any] = {
            "id": item.id, "name": item.name, "position": item.position,
            "candidates": tokens, "choices": [*tokens, NONE_CHOICE], "blind": yours is None,
        }
        if yours is None:
            return {**shown, "your_vote": None}
        labels = {self.token(item, candidate.label): candidate.label for candidate in item.candidates}
        your_token = NONE_CHOICE if yours == NONE_CHOICE else self.token(item, yours)
        return {**tally_item(item, mine).as_json(), **shown, "labels": labels, "your_vote": your_token, "your_label": yours}
