"""The review API: listing, next image, votes, files by id only, errors."""
from __future__ import annotations

import pytest
from PIL import Image

from alphacut.review import ReviewStore, plan_review


@pytest.fixture()
def review_client(make_client, tmp_path):
    images, x, y = tmp_path / "images", tmp_path / "x", tmp_path / "y"
    for folder in (images, x, y):
        folder.mkdir()
    for name in ("one", "two"):
        Image.new("RGB", (8, 8), (9, 9, 9)).save(images / f"{name}.jpg")
        Image.new("RGBA", (8, 8), (255, 0, 0, 255)).save(x / f"{name}.png")
        Image.new("RGBA", (8, 8), (0, 255, 0, 90)).save(y / f"{name}.png")
    database = str(tmp_path / "votes.sqlite3")
    plan = plan_review(images, [x, y])
    ReviewStore(database).create("cats", plan.labels, plan.items)
    return make_client(review_db=database)


def test_list_and_summary(review_client):
    listed = review_client.get("/v1/reviews").json()["reviews"]
    assert [(r["name"], r["labels"], r["progress"]["items"]) for r in listed] == [("cats", ["x", "y"], 2)]
    summary = review_client.get("/v1/reviews/cats").json()
    assert [item["name"] for item in summary["items"]] == ["one", "two"]
    assert summary["progress"]["votes"] == 0


def test_next_vote_until_done(review_client):
    seen = []
    for choice in ("x", "none"):
        body = review_client.get("/v1/reviews/cats/next", params={"reviewer": "ana"}).json()
        assert not body["done"] and body["item"]["choices"] == ["x", "y", "none"]
        seen.append(body["item"]["name"])
        voted = review_client.post(f"/v1/reviews/cats/items/{body['item']['id']}/vote", json={"reviewer": "ana", "choice": choice})
        assert voted.status_code == 200 and voted.json()["your_vote"] == choice and voted.json()["total"] == 1
    assert seen == ["one", "two"]
    final = review_client.get("/v1/reviews/cats/next", params={"reviewer": "ana"}).json()
    assert final == {"total": 2, "voted_by_you": 2, "done": True, "item": None}
    summary = review_client.get("/v1/reviews/cats").json()
    assert [(i["winner"], i["agreement"]) for i in summary["items"]] == [("x", 1.0), ("none", 1.0)]
    assert summary["progress"]["reviewers"] == {"ana": 2}


def test_item_detail_shows_your_vote(review_client):
    item = review_client.get("/v1/reviews/cats/next", params={"reviewer": "ben"}).json()["item"]
    review_client.post(f"/v1/reviews/cats/items/{item['id']}/vote", json={"reviewer": "ben", "choice": "y"})
    detail = review_client.get(f"/v1/reviews/cats/items/{item['id']}", params={"reviewer": "ben"}).json()
    assert detail["your_vote"] == "y" and detail["counts"] == {"x": 0, "y": 1, "none": 0}


def test_files_are_served_by_id_and_label_only(review_client):
    item = review_client.get("/v1/reviews/cats/next", params={"reviewer": "ana"}).json()["item"]
    image = review_client.get(f"/v1/reviews/cats/items/{item['id']}/image")
    assert image.status_code == 200 and image.headers["content-type"] == "image/jpeg"
    candidate = review_client.get(f"/v1/reviews/cats/items/{item['id']}/candidates/y")
    assert candidate.status_code == 200 and candidate.headers["content-type"] == "image/png"
    for path in ("candidates/..%2F..%2Fetc%2Fpasswd", "candidates/../../../etc/passwd", "candidates/z"):
        assert review_client.get(f"/v1/reviews/cats/items/{item['id']}/{path}").status_code == 404


def test_review_errors(review_client):
    assert review_client.get("/v1/reviews/dogs").json()["error"] == "not_found"
    assert review_client.get("/v1/reviews/dogs/next", params={"reviewer": "a"}).status_code == 404
    assert review_client.post("/v1/reviews/cats/items/999/vote", json={"reviewer": "a", "choice": "x"}).status_code == 404
    item = review_client.get("/v1/reviews/cats/next", params={"reviewer": "a"}).json()["item"]
    bad = review_client.post(f"/v1/reviews/cats/items/{item['id']}/vote", json={"reviewer": "a", "choice": "zzz"})
    assert bad.status_code == 422 and bad.json()["error"] == "invalid_option"
    empty = review_client.post(f"/v1/reviews/cats/items/{item['id']}/vote", json={"reviewer": "", "choice": "x"})
    assert empty.status_code == 422
    assert review_client.get("/v1/reviews/cats/next").status_code == 422  # reviewer is required
