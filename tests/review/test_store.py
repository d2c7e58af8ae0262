"""The review store on SQLite and on a real PostgreSQL server: reviews, items, votes."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from alphacut.errors import InputError
from alphacut.review import NONE_CHOICE, ReviewStore, UnknownReviewError, plan_review
from alphacut.review.store import default_database, is_postgres_url


def create(store: ReviewStore, folders, name: str = "r1"):
    plan = plan_review(folders["images"], [folders["x"], folders["y"]])
    return store.create(name, plan.labels, plan.items)


def test_create_and_read_back(store, folders):
    review = create(store, folders)
    assert review.labels == ("model_x", "model_y")
    assert [r.name for r in store.reviews()] == ["r1"]
    items = store.items("r1")
    assert [item.name for item in items] == ["a", "b", "sub/c"]
    assert [item.position for item in items] == [0, 1, 2]
    assert [c.label for c in items[0].candidates] == ["model_x", "model_y"]
    assert items[0].candidate("model_y").path.endswith("a.webp")
    assert [c.label for c in items[2].candidates] == ["model_x"]
    assert store.item("r1", items[1].id) == items[1]


def test_names_are_unique_and_lookups_fail_clearly(store, folders):
    create(store, folders)
    with pytest.raises(InputError, match="exists"):
        create(store, folders)
    with pytest.raises(UnknownReviewError, match="no review"):
        store.items("nope")
    with pytest.raises(UnknownReviewError, match="no item"):
        store.item("r1", 999_999)


def test_a_reviewers_new_vote_replaces_the_old_one(store, folders):
    create(store, folders)
    item = store.items("r1")[0]
    store.vote("r1", item.id, "ana", "model_x")
    store.vote("r1", item.id, "ana", "model_y")
    store.vote("r1", item.id, "ben", NONE_CHOICE)
    votes = sorted((v.reviewer, v.choice) for v in store.votes("r1"))
    assert votes == [("ana", "model_y"), ("ben", NONE_CHOICE)]


def test_votes_are_checked(store, folders):
    create(store, folders)
    only_x = store.items("r1")[2]
    with pytest.raises(InputError, match="no candidate"):
        store.vote("r1", only_x.id, "ana", "model_y")
    with pytest.raises(InputError, match="reviewer"):
        store.vote("r1", only_x.id, "  ", "model_x")
    with pytest.raises(UnknownReviewError):
        store.vote("r1", 123_456, "ana", "model_x")
    assert store.votes("r1") == []


def test_votes_of_one_review_stay_in_it(store, folders):
    create(store, folders, "first")
    create(store, folders, "second")
    store.vote("first", store.items("first")[0].id, "ana", "model_x")
    assert len(store.votes("first")) == 1 and store.votes("second") == []


def test_many_reviewers_at_once(store, folders):
    create(store, folders)
    items = store.items("r1")

    def vote_all(reviewer: str) -> None:
        for item in items:
            store.vote("r1", item.id, reviewer, "model_x")

    with ThreadPoolExecutor(6) as pool:
        list(pool.map(vote_all, [f"reviewer{n}" for n in range(6)]))
    votes = store.votes("r1")
    assert len(votes) == 6 * len(items)
    assert len({(v.item_id, v.reviewer) for v in votes}) == len(votes)


def test_delete_removes_items_and_votes(store, folders):
    create(store, folders)
    store.vote("r1", store.items("r1")[0].id, "ana", "model_x")
    store.delete("r1")
    assert store.reviews() == []
    create(store, folders)  # the name is free again, and no old vote shows up
    assert store.votes("r1") == []


def test_a_second_store_on_the_same_database_sees_everything(database, folders):
    first = ReviewStore(database)
    create(first, folders)
    second = ReviewStore(database)  # schema creation is idempotent
    second.vote("r1", second.items("r1")[0].id, "ana", "model_x")
    assert len(first.votes("r1")) == 1


def test_default_database_follows_the_environment(monkeypatch, tmp_path, alphacut_home):
    monkeypatch.delenv("ALPHACUT_REVIEW_DB", raising=False)
    assert default_database() == str(alphacut_home / "reviews.sqlite3")
    monkeypatch.setenv("ALPHACUT_REVIEW_DB", str(tmp_path / "x.db"))
    assert default_database() == str(tmp_path / "x.db")
    assert is_postgres_url("postgresql://u@h/db") and is_postgres_url("postgres://h/db")
    assert not is_postgres_url(str(tmp_path / "postgresql.db"))
