"""``/v1/reviews``: what the review page needs. Routes are plain functions (FastAPI runs them on
its thread pool, not the inference workers) because the store's drivers block.

Files are served only from the paths recorded when the review was created, looked up by item id
and candidate token: a client never names a path. Review is blind, enforced here
(:mod:`alphacut.server.blinding`): before a reviewer has voted on an image they get its candidates
as tokens and no tallies; the per-image table shows only the images they have voted on. The
review's owner reads the full results with ``alphacut review status``/``export``.
"""
from __future__ import annotations

import threading
from pathlib import Path
from typing import Any, Optional

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field

from alphacut.errors import InputError
from alphacut.review import NONE_CHOICE, ReviewStore, UnknownReviewError, next_item, progress, tally
from alphacut.server.auth import require_api_key
from alphacut.server.blinding import Blinding
from alphacut.server.errors import ApiError

api = APIRouter(prefix="/v1/reviews", tags=["review"], dependencies=[Depends(require_api_key)])
_store_lock = threading.Lock()


class VoteBody(BaseModel):
    reviewer: str = Field(..., min_length=1, max_length=64)
    choice: str = Field(..., min_length=1, max_length=200, description="A candidate token, or 'none' when no candidate is good.")


def store_of(request: Request) -> ReviewStore:
    """The app's store, opened on first use (creating the schema once)."""
    state = request.app.state
    with _store_lock:
        if getattr(state, "review_store", None) is None:
            state.review_store = ReviewStore(state.settings.review_db)
        return state.review_store


def blinding_of(request: Request) -> Blinding:
    """The app's candidate tokens, keyed once per server process."""
    state = request.app.state
    with _store_lock:
        if getattr(state, "review_blinding", None) is None:
            state.review_blinding = Blinding()
        return state.review_blinding


def _not_found(exc: UnknownReviewError) -> ApiError:
    return ApiError(404, "not_found", str(exc))


@api.get("", summary="All reviews with their progress")
def list_reviews(request: Request) -> dict[str, Any]:
    store = store_of(request)
    reviews = []
    for review in store.reviews():
        votes = store.votes(review.name)
        reviews.append({"name": review.name, "labels": list(review.labels),
                        "progress": progress(tally(store.items(review.name), votes), votes)})
    return {"reviews": reviews}


@api.get("/{name}", summary="Per image: the tally of those this reviewer has voted on")
def review_summary(request: Request, name: str, reviewer: str = Query(..., min_length=1, max_length=64)) -> dict[str, Any]:
    store = store_of(request)
    try:
        review = store.review(name)
        items = store.items(name)
        votes = store.votes(name)
    except UnknownReviewError as exc:
        raise _not_found(exc) from None
    voted = {vote.item_id for vote in votes if vote.reviewer == reviewer.strip()}
    tallies = tally(items, votes)
    rows = [{**entry.as_json(), "blind": False} if entry.item_id in voted else {"id": entry.item_id, "name": entry.name, "blind": True}
            for entry in tallies]
    return {"name": review.name, "labels": list(review.labels), "progress": progress(tallies, votes), "items": rows}


@api.get("/{name}/next", summary="The next image this reviewer has not voted on")
def next_for(request: Request, name: str, reviewer: str = Query(..., min_length=1, max_length=64),
             after: Optional[int] = Query(None)) -> dict[str, Any]:
    store = store_of(request)
    try:
        items, votes = store.items(name), store.votes(name)
    except UnknownReviewError as exc:
        raise _not_found(exc) from None
    mine = sum(1 for vote in votes if vote.reviewer == reviewer)
    chosen = next_item(items, votes, reviewer, after)
    base = {"total": len(items), "voted_by_you": mine}
    if chosen is None:
        return {**base, "done": True, "item": None}
    return {**base, "done": False, "item": blinding_of(request).item_json(chosen, votes, reviewer)}


@api.get("/{name}/items/{item_id}", summary="One image: its candidates; after your vote, their labels and the votes")
def item_detail(request: Request, name: str, item_id: int, reviewer: Optional[str] = Query(None, max_length=64)) -> dict[str, Any]:
    store = store_of(request)
    try:
        item, votes = store.item(name, item_id), store.votes(name)
    except UnknownReviewError as exc:
        raise _not_found(exc) from None
    return blinding_of(request).item_json(item, votes, reviewer)


@api.post("/{name}/items/{item_id}/vote", summary="Vote for a candidate token, or 'none'")
def vote(request: Request, name: str, item_id: int, body: VoteBody) -> dict[str, Any]:
    store = store_of(request)
    blinding = blinding_of(request)
    try:
        item = store.item(name, item_id)
        label = NONE_CHOICE if body.choice == NONE_CHOICE else blinding.label_of(item, body.choice)
        if label is None:
            raise ApiError(422, "invalid_option", f"{body.choice[:40]!r} is not a candidate token of image {item.name!r}; "
                                                  "vote with a token this server gave (a page from before a restart: reload it)")
        store.vote(name, item_id, body.reviewer, label)
        votes = store.votes(name)
    except UnknownReviewError as exc:
        raise _not_found(exc) from None
    except InputError as exc:
        raise ApiError(422, "invalid_option", str(exc)) from None
    return blinding.item_json(item, votes, body.reviewer)


@api.get("/{name}/items/{item_id}/image", summary="The original image", response_class=FileResponse)
def item_image(request: Request, name: str, item_id: int) -> FileResponse:
    try:
        item = store_of(request).item(name, item_id)
    except UnknownReviewError as exc:
        raise _not_found(exc) from None
    return _file(item.image_path)


@api.get("/{name}/items/{item_id}/candidates/{token}", summary="One candidate cutout, by its token", response_class=FileResponse)
def candidate_image(request: Request, name: str, item_id: int, token: str) -> FileResponse:
    try:
        item = store_of(request).item(name, item_id)
    except UnknownReviewError as exc:
        raise _not_found(exc) from None
    label = blinding_of(request).label_of(item, token)
    if label is None:
        raise ApiError(404, "not_found", f"image {item.name!r} has no candidate {token[:40]!r}")
    return _file(item.candidate(label).path)


def _file(path: str) -> FileResponse:
    if not Path(path).is_file():
        raise ApiError(404, "not_found", f"{Path(path).name}: file recorded in the review is gone")
    return FileResponse(path, headers={"Cache-Control": "private, max-age=3600"})
