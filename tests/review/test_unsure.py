"""Reviewing only the images a model is unsure of: the per-image confidence and the plan's cut."""
from __future__ import annotations

import numpy as np
import pytest

from alphacut.errors import InputError
from alphacut.models.confidence import prediction_confidence
from alphacut.review.plan import ReviewPlan, keep_unsure
from alphacut.review.store import Candidate, ItemPlan


def test_confidence_counts_unsure_pixels_against_the_subject():
    decided = np.zeros((10, 10), np.float32)
    decided[2:8, 2:8] = 1.0  # 36 subject pixels, none unsure
    assert prediction_confidence(decided) == 1.0
    edge = decided.copy()
    edge[2, 2:8] = 0.6  # 6 unsure pixels, still called subject
    assert prediction_confidence(edge) == pytest.approx(1 - 6 / 36)
    faint = np.full((10, 10), 0.3, np.float32)  # unsure everywhere, no subject found
    assert prediction_confidence(faint) == 0.0
    assert prediction_confidence(np.zeros((4, 4), np.float32)) == 1.0  # sure there is nothing


def _plan(names):
    items = [ItemPlan(name, f"/img/{name}.png", (Candidate("model", f"/cut/{name}.png"),)) for name in names]
    return ReviewPlan(["model"], items, ["lonely"])


def test_keep_unsure_keeps_those_below_least_sure_first():
    selection = keep_unsure(_plan(["a", "b", "c", "d"]), {"a": 0.999, "b": 0.5, "c": 0.98, "d": 0.99}, below=0.99)
    assert [item.name for item in selection.plan.items] == ["b", "c"]
    assert selection.sure == ["a", "d"] and selection.plan.labels == ["model"]
    assert selection.plan.without_candidates == ["lonely"]
    with pytest.raises(InputError, match="no confidence for 1 images"):
        keep_unsure(_plan(["a", "z"]), {"a": 1.0}, below=0.99)
