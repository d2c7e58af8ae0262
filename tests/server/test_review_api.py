"""The review API: listing, next image, votes, files by id and token only, blinding, errors."""
from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from alphacut.review import ReviewStore, plan_review
from alphacut.server.blinding import Blinding

FORBIDDEN_BEFORE_VOTE = ("labels", "counts", "total", "winner", "agreement", "reviewers", "your_label")


@pytest.fixture()
def review_files(tmp_path) -> Path:
    images, x, y = tmp_path / "images", tmp_path / "x", tmp_path / "y"
    for folder in (images, x, y):
        folder.mkdir()
    for index, name in enumerate(("one", "two")):
        Image.new("RGB", (8, 8), (9, 9, 9 + index)).save(images / f"{name}.jpg")
        Image.new("RGBA", (8, 8), (255, 0, index, 255)).save(x / f"{name}.png")
        Image.new("RGBA", (8, 8), (0, 255, index, 90)).save(y / f"{name}.png")
    database = str(tmp_path / "votes.sqlite3")
    plan = plan_review(images, [x, y])
    ReviewStore(database).create("cats", plan.labels, plan.items)
    return tmp_path


@pytest.fixture()
def review_client(make_client, review_files):
    return make_client(review_db=str(review_files / "votes.sqlite3"))


def next_item(client, reviewer: str) -> dict:
    return client.get("/v1/reviews/cats/next", params={"reviewer": reviewer}).json()["item"]


def token_of(client, item: dict, label: str, files: Path) -> str:
    """The token whose served image is the bytes of ``label``'s file for this item."""
    wanted = (files / label / f"{item['name']}.png").read_bytes()
    found = [token for token in item["candidates"]
             if client.get(f"/v1/reviews/cats/items/{item['id']}/candidates/{token}").content == wanted]
    assert len(found) == 1, found
    return found[0]


def vote(client, item: dict, reviewer: str, choice: str):
    return client.post(f"/v1/reviews/cats/items/{item['id']}/vote", json={"reviewer": reviewer, "choice": choice})


def test_list_and_summary(review_client):
    listed = review_client.get("/v1/reviews").json()["reviews"]
    assert [(r["name"], r["labels"], r["progress"]["items"]) for r in listed] == [("cats", ["x", "y"], 2)]
    summary = review_client.get("/v1/reviews/cats", params={"reviewer": "ana"}).json()
    assert [item["name"] for item in summary["items"]] == ["one", "two"]
    assert summary["progress"]["votes"] == 0


def test_before_a_vote_candidates_are_tokens_without_labels_or_counts(review_client, review_files):
    item = next_item(review_client, "ben")
    vote(review_client, item, "ben", token_of(review_client, item, "x", review_files))  # someone else has voted
    shown = review_client.get(f"/v1/reviews/cats/items/{item['id']}", params={"reviewer": "ana"}).json()
    for body in (shown, review_client.get(f"/v1/reviews/cats/items/{item['id']}").json()):
        assert body["blind"] is True and body["your_vote"] is None
        assert not set(FORBIDDEN_BEFORE_VOTE) & set(body), body
        assert set(body["candidates"]).isdisjoint({"x", "y"}) and len(body["candidates"]) == 2
        assert body["choices"] == [*body["candidates"], "none"]
        assert all(len(token) == 16 for token in body["candidates"])
    summary = review_client.get("/v1/reviews/cats", params={"reviewer": "ana"}).json()["items"]
    assert all(row == {"id": row["id"], "name": row["name"], "blind": True} for row in summary)
    assert review_client.get("/v1/reviews/cats").status_code == 422  # the table needs a reviewer


def test_a_reviewer_order_is_stable_and_reviewers_differ(review_client):
    item = next_item(review_client, "ana")
    assert next_item(review_client, "ana")["candidates"] == item["candidates"]  # the same page on reload
    stored = ReviewStore(review_client.app.state.settings.review_db).item("cats", item["id"])
    blinding = Blinding(key=b"fixed key: a deterministic test")
    orders = {tuple(blinding.order(stored, f"reviewer {n}")) for n in range(20)}
    assert len(orders) == 2 and {frozenset(order) for order in orders} == {frozenset(blinding.order(stored, None))}
    assert Blinding(key=b"another key").token(stored, "x") != blinding.token(stored, "x")


def test_next_vote_until_done(review_client, review_files):
    seen = []
    for label in ("x", "none"):
        item = next_item(review_client, "ana")
        choice = label if label == "none" else token_of(review_client, item, label, review_files)
        voted = vote(review_client, item, "ana", choice)
        body = voted.json()
        assert voted.status_code == 200 and body["your_vote"] == choice and body["your_label"] == label
        assert body["blind"] is False and body["total"] == 1 and body["labels"][item["candidates"][0]] in ("x", "y")
        assert sorted(body["labels"].values()) == ["x", "y"]
        seen.append(item["name"])
    assert seen == ["one", "two"]
    final = review_client.get("/v1/reviews/cats/next", params={"reviewer": "ana"}).json()
    assert final == {"total": 2, "voted_by_you": 2, "done": True, "item": None}
    summary = review_client.get("/v1/reviews/cats", params={"reviewer": "ana"}).json()
    assert [(i["winner"], i["agreement"], i["blind"]) for i in summary["items"]] == [("x", 1.0, False), ("none", 1.0, False)]
    assert summary["progress"]["reviewers"] == {"ana": 2}
    assert ReviewStore(str(review_files / "votes.sqlite3")).votes("cats")[0].choice == "x"  # stored as the label


def test_item_detail_after_your_vote_shows_labels_and_counts(review_client, review_files):
    item = next_item(review_client, "ben")
    token = token_of(review_client, item, "y", review_files)
    vote(review_client, item, "ben", token)
    detail = review_client.get(f"/v1/reviews/cats/items/{item['id']}", params={"reviewer": "ben"}).json()
    assert detail["your_vote"] == token and detail["your_label"] == "y" and detail["labels"][token] == "y"
    assert detail["counts"] == {"x": 0, "y": 1, "none": 0}


def test_files_are_served_by_id_and_token_only(review_client, review_files):
    item = next_item(review_client, "ana")
    image = review_client.get(f"/v1/reviews/cats/items/{item['id']}/image")
    assert image.status_code == 200 and image.headers["content-type"] == "image/jpeg"
    assert image.content == (review_files / "images" / f"{item['name']}.jpg").read_bytes()
    served = {review_client.get(f"/v1/reviews/cats/items/{item['id']}/candidates/{token}").content for token in item["candidates"]}
    assert served == {(review_files / label / f"{item['name']}.png").read_bytes() for label in ("x", "y")}
    for path in ("candidates/x", "candidates/y", "candidates/..%2F..%2Fetc%2Fpasswd", "candidates/../../../etc/passwd", "candidates/z"):
        assert review_client.get(f"/v1/reviews/cats/items/{item['id']}/{path}").status_code == 404


def test_a_label_or_a_stale_token_is_not_a_vote(review_client, make_client, review_files):
    item = next_item(review_client, "a")
    for choice in ("x", "y", "zzz"):
        bad = vote(review_client, item, "a", choice)
        assert bad.status_code == 422 and bad.json()["error"] == "invalid_option"
    restarted = make_client(review_db=str(review_files / "votes.sqlite3"))  # a new process: a new key
    stale = vote(restarted, item, "a", item["candidates"][0])
    assert stale.status_code == 422 and "reload" in stale.json()["detail"]
    assert ReviewStore(str(review_files / "votes.sqlite3")).votes("cats") == []


def test_review_errors(review_client):
    assert review_client.get("/v1/reviews/dogs", params={"reviewer": "a"}).json()["error"] == "not_found"
    assert review_client.get("/v1/reviews/dogs/next", params={"reviewer": "a"}).status_code == 404
    assert review_client.post("/v1/reviews/cats/items/999/vote", json={"reviewer": "a", "choice": "none"}).status_code == 404
    item = next_item(review_client, "a")
    empty = vote(review_client, item, "", item["candidates"][0])
    assert empty.status_code == 422
    assert review_client.get("/v1/reviews/cats/next").status_code == 422  # reviewer is required
