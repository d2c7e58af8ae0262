"""``/v1/reviews``: what the review page needs. Routes are plain functions (FastAPI runs them on
its thread pool, not the inference workers) because the store's drivers block.

Files are served only from the paths recorded when the review was created, looked up by item id
and candidate label: a client never names a path.
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
from alphacut.review.tally import tally_item
from alphacut.server.auth import require_api_key
from alphacut.server.errors import ApiError

api = APIRouter(prefix="/v1/reviews", tags=["review"], dependencies=[Depends(require_api_key)])
_store_lock = threading.Lock()


class VoteBody(BaseModel):
    reviewer: str = Field(..., min_length=1, max_length=64)
    choice: str = Field(..., min_length=1, max_length=200, description="A candidate label, or 'none' when no candidate is good.")


def store_of(request: Request) -> ReviewStore:
    """The app's store, opened on first use (creating the schema once)."""
    state = request.app.state
    with _store_lock:
        if getattr(state, "review_store", None) is None:
            state.review_store = ReviewStore(state.settings.review_db)
        return state.review_store


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


@api.get("/{name}", summary="A review's items, votes per choice, winner and agreement")
def review_summary(request: Request, name: str) -> dict[str, Any]:
    store = store_of(request)
    try:
        review = store.review(name)
        items = store.items(name)
        votes = store.votes(name)
    except UnknownReviewError as exc:
        raise _not_found(exc) from None
    tallies = tally(items, votes)
    return {"name": review.name, "labels": list(review.labels), "progress": progress(tallies, votes),
            "items": [entry.as_json() for entry in tallies]}


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
    return {**base, "done": False, "item": _item_json(chosen, votes, reviewer)}


@api.get("/{name}/items/{item_id}", summary="One image: its candidates, votes and your vote")
def item_detail(request: Request, name: str, item_id: int, reviewer: Optional[str] = Query(None, max_length=64)) -> dict[str, Any]:
    store = store_of(request)
    try:
        item, votes = store.item(name, item_id), store.votes(name)
    except UnknownReviewError as exc:
        raise _not_found(exc) from None
    return _item_json(item, votes, reviewer)


@api.post("/{name}/items/{item_id}/vote", summary="Vote for a candidate, or 'none'")
def vote(request: Request, name: str, item_id: int, body: VoteBody) -> dict[str, Any]:
    store = store_of(request)
    try:
        store.vote(name, item_id, body.reviewer, body.choice)
        item, votes = store.item(name, item_id), store.votes(name)
    except UnknownReviewError as exc:
        raise _not_found(exc) from None
    except InputError as exc:
        raise ApiError(422, "invalid_option", str(exc)) from None
    return _item_json(item, votes, body.reviewer)


@api.get("/{name}/items/{item_id}/image", summary="The original image", response_class=FileResponse)
def item_image(request: Request, name: str, item_id: int) -> FileResponse:
    try:
        item = store_of(request).item(name, item_id)
    except UnknownReviewError as exc:
        raise _not_found(exc) from None
    return _file(item.image_path)


@api.get("/{name}/items/{item_id}/candidates/{label:path}", summary="One candidate cutout", response_class=FileResponse)
def candidate_image(request: Request, name: str, item_id: int, label: str) -> FileResponse:
    try:
        candidate = store_of(request).item(name, item_id).candidate(label)
    except UnknownReviewError as exc:
        raise _not_found(exc) from None
    except InputError as exc:
        raise ApiError(404, "not_found", str(exc)) from None
    return _file(candidate.path)


def _file(path: str) -> FileResponse:
    if not Path(path).is_file():
        raise ApiError(404, "not_found", f"{Path(path).name}: file recorded in the review is gone")
    return FileResponse(path, headers={"Cache-Control": "private, max-age=3600"})


def _item_json(item, votes, reviewer: str | None) -> dict[str, Any]:
    entry = tally_item(item, [vote for vote in votes if vote.item_id == item.id])
    yours = next((vote.choice for vote in votes if vote.item_id == item.id and vote.reviewer == reviewer), None)
    return {
        **entry.as_json(),
        "position": item.position,
        "candidates": [candidate.label for candidate in item.candidates],
        "choices": [*(candidate.label for candidate in item.candidates), NONE_CHOICE],
        "your_vote": yours,
    }
