"""Counting votes: per-image winner and agreement, and a review's progress."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Sequence

from alphacut.review.store import NONE_CHOICE, Item, Vote


@dataclass(frozen=True)
class ItemTally:
    """An item's votes. ``winner`` is the choice with strictly the most votes (``None`` on a tie
    or without votes; it may be ``"none"``); ``agreement`` is the winner's share of the votes
    (1.0 = unanimous; the top share on a tie)."""

    item_id: int
    name: str
    counts: dict[str, int]
    total: int
    winner: str | None
    agreement: float | None
    reviewers: tuple[str, ...] = field(default=())

    def as_json(self) -> dict:
        return {
            "id": self.item_id, "name": self.name, "counts": self.counts, "total": self.total,
            "winner": self.winner, "agreement": self.agreement, "reviewers": list(self.reviewers),
        }


def tally_item(item: Item, votes: Sequence[Vote]) -> ItemTally:
    mine = [vote for vote in votes if vote.item_id == item.id]
    counts = Counter(vote.choice for vote in mine)
    total = sum(counts.values())
    ordered = {candidate.label: counts.get(candidate.label, 0) for candidate in item.candidates}
    ordered[NONE_CHOICE] = counts.get(NONE_CHOICE, 0)
    if not total:
        return ItemTally(item.id, item.name, ordered, 0, None, None)
    ranked = counts.most_common()
    top = ranked[0][1]
    tied = len(ranked) > 1 and ranked[1][1] == top
    return ItemTally(
        item.id, item.name, ordered, total, None if tied else ranked[0][0], round(top / total, 4),
        tuple(sorted(vote.reviewer for vote in mine)),
    )


def tally(items: Sequence[Item], votes: Sequence[Vote]) -> list[ItemTally]:
    by_item: dict[int, list[Vote]] = {}
    for vote in votes:
        by_item.setdefault(vote.item_id, []).append(vote)
    return [tally_item(item, by_item.get(item.id, [])) for item in items]


def progress(tallies: Sequence[ItemTally], votes: Sequence[Vote]) -> dict:
    """How far a review is: images with at least one vote, votes per reviewer, mean agreement."""
    voted = [t for t in tallies if t.total]
    agreements = [t.agreement for t in voted if t.agreement is not None]
    per_reviewer = Counter(vote.reviewer for vote in votes)
    return {
        "items": len(tallies),
        "voted_items": len(voted),
        "decided_items": sum(1 for t in voted if t.winner is not None),
        "votes": len(votes),
        "reviewers": dict(sorted(per_reviewer.items())),
        "mean_agreement": round(sum(agreements) / len(agreements), 4) if agreements else None,
    }


def next_item(items: Sequence[Item], votes: Sequence[Vote], reviewer: str, after: int | None = None) -> Item | None:
    """The next image ``reviewer`` has not voted on: fewest votes first (so several reviewers
    spread over the set before doubling up), then in order, starting after ``after``."""
    seen = {vote.item_id for vote in votes if vote.reviewer == reviewer}
    counts = Counter(vote.item_id for vote in votes)
    position = {item.id: item.position for item in items}
    start = position.get(after, -1) if after is not None else -1
    open_items = [item for item in items if item.id not in seen]
    if not open_items:
        return None
    return min(open_items, key=lambda item: (counts[item.id], (item.position <= start), item.position))
