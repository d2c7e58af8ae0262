"""Matching candidates to images, counting votes, and exporting the winners."""
from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from alphacut.errors import InputError, OutputError
from alphacut.review import ReviewStore, export_review, next_item, plan_review, progress, tally
from alphacut.review.plan import candidate_labels
from alphacut.review.store import Candidate, Item, Vote

# -- plan ----------------------------------------------------------------------------------------


def test_candidates_match_by_name_across_extensions_and_subfolders(folders):
    plan = plan_review(folders["images"], [folders["x"], folders["y"]])
    assert plan.labels == ["model_x", "model_y"]
    assert [(item.name, [c.label for c in item.candidates]) for item in plan.items] == [
        ("a", ["model_x", "model_y"]), ("b", ["model_x", "model_y"]), ("sub/c", ["model_x"]),
    ]
    assert plan.without_candidates == ["d"]
    assert all(Path(item.image_path).is_absolute() for item in plan.items)


def test_clashing_folder_names_get_their_parent_in_the_label(tmp_path):
    first, second = tmp_path / "u2net" / "out", tmp_path / "isnet" / "out"
    assert candidate_labels([first, second]) == ["u2net/out", "isnet/out"]


def test_plan_errors(folders, tmp_path):
    with pytest.raises(InputError, match="not a folder of images"):
        plan_review(tmp_path / "missing", [folders["x"]])
    with pytest.raises(InputError, match="at least one candidate"):
        plan_review(folders["images"], [])
    with pytest.raises(InputError, match="unique label"):
        plan_review(folders["images"], [folders["x"], folders["y"]], ["same", "same"])
    with pytest.raises(InputError, match="reserved"):
        plan_review(folders["images"], [folders["x"]], ["none"])
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(InputError, match="same-named"):
        plan_review(folders["images"], [empty])


# -- tally ---------------------------------------------------------------------------------------


ITEMS = [Item(i, i, f"img{i}", f"/x/img{i}.png", (Candidate("a", "/a"), Candidate("b", "/b"))) for i in range(1, 5)]


def votes(*triples) -> list[Vote]:
    return [Vote(item, reviewer, choice, float(n)) for n, (item, reviewer, choice) in enumerate(triples)]


def test_winner_agreement_and_ties():
    cast = votes((1, "ana", "a"), (1, "ben", "a"), (1, "cy", "b"), (2, "ana", "a"), (2, "ben", "b"), (3, "ana", "none"))
    first, second, third, fourth = tally(ITEMS, cast)
    assert first.winner == "a" and first.agreement == pytest.approx(2 / 3, abs=1e-4)
    assert first.counts == {"a": 2, "b": 1, "none": 0} and first.total == 3
    assert second.winner is None and second.agreement == 0.5  # a tie has no winner
    assert third.winner == "none" and third.agreement == 1.0
    assert fourth.winner is None and fourth.agreement is None and fourth.total == 0
    state = progress([first, second, third, fourth], cast)
    assert state == {
        "items": 4, "voted_items": 3, "decided_items": 2, "votes": 6,
        "reviewers": {"ana": 3, "ben": 2, "cy": 1}, "mean_agreement": pytest.approx((2 / 3 + 0.5 + 1) / 3, abs=1e-3),
    }


def test_next_item_spreads_reviewers_before_doubling_up():
    cast = votes((1, "ana", "a"), (2, "ben", "a"))
    assert next_item(ITEMS, cast, "cy").id == 3  # the first image nobody has voted on
    assert next_item(ITEMS, cast, "ana").id == 3
    assert next_item(ITEMS, cast, "ana", after=3).id == 4  # skip moves on
    everything = votes(*[(i, "ana", "a") for i in range(1, 5)])
    assert next_item(ITEMS, everything, "ana") is None
    assert next_item(ITEMS, everything, "ben").id == 1


# -- export --------------------------------------------------------------------------------------


@pytest.fixture()
def voted(tmp_path, folders) -> ReviewStore:
    store = ReviewStore(str(tmp_path / "votes.sqlite3"))
    plan = plan_review(folders["images"], [folders["x"], folders["y"]])
    store.create("r", plan.labels, plan.items)
    a, b, c = store.items("r")
    store.vote("r", a.id, "ana", "model_y")
    store.vote("r", a.id, "ben", "model_y")
    store.vote("r", b.id, "ana", "model_y")  # the grey-mask candidate wins b
    store.vote("r", c.id, "ana", "none")
    return store


def test_export_writes_final_training_pairs_and_votes(voted, tmp_path, folders):
    out = tmp_path / "out"
    report = export_review(voted, "r", out)
    assert report.exported == ["a", "b"] and report.skipped == {"sub/c": "none is good"}
    assert (out / "final" / "a.webp").read_bytes() == (folders["y"] / "a.webp").read_bytes()
    assert (out / "training" / "images" / "a.jpg").read_bytes() == (folders["images"] / "a.jpg").read_bytes()
    mask_a = Image.open(out / "training" / "masks" / "a.png")
    assert mask_a.mode == "L" and np.asarray(mask_a).min() == np.asarray(mask_a).max() == 200  # the winner's alpha
    assert np.asarray(Image.open(out / "training" / "masks" / "b.png")).max() == 77  # a grey candidate is the mask
    rows = list(csv.DictReader((out / "votes.csv").open()))
    assert [(r["name"], r["status"], r["winner"], r["votes"]) for r in rows] == [
        ("a", "exported", "model_y", "2"), ("b", "exported", "model_y", "1"), ("sub/c", "none is good", "none", "1"),
    ]
    assert rows[0]["votes_model_y"] == "2" and rows[0]["agreement"] == "1.0000"
    assert not (out / "final" / "sub").exists()


def test_export_min_votes_and_overwrite(voted, tmp_path):
    out = tmp_path / "out"
    report = export_review(voted, "r", out, min_votes=2)
    assert report.exported == ["a"] and report.skipped["b"] == "too few votes"
    with pytest.raises(OutputError, match="--overwrite"):
        export_review(voted, "r", out, min_votes=2)
    assert export_review(voted, "r", out, min_votes=2, overwrite=True).exported == ["a"]


def test_export_of_a_tie_exports_nothing(tmp_path, folders):
    store = ReviewStore(str(tmp_path / "v.sqlite3"))
    plan = plan_review(folders["images"], [folders["x"], folders["y"]])
    store.create("t", plan.labels, plan.items)
    first = store.items("t")[0]
    store.vote("t", first.id, "ana", "model_x")
    store.vote("t", first.id, "ben", "model_y")
    report = export_review(store, "t", tmp_path / "out")
    assert report.exported == [] and report.skipped["a"] == "tie" and report.skipped["b"] == "too few votes"
