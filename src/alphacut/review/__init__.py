"""Compare-and-vote review: people pick the best of several candidate cutouts per image."""
from __future__ import annotations

from alphacut.review.export import ExportReport, export_review
from alphacut.review.plan import ReviewPlan, plan_review
from alphacut.review.store import NONE_CHOICE, ReviewDatabaseError, ReviewStore, UnknownReviewError, default_database
from alphacut.review.tally import ItemTally, next_item, progress, tally

__all__ = [
    "NONE_CHOICE", "ExportReport", "ItemTally", "ReviewDatabaseError", "ReviewPlan", "ReviewStore", "UnknownReviewError",
    "default_database", "export_review", "next_item", "plan_review", "progress", "tally",
]
