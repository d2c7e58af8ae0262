"""Building a review from folders: images matched to candidate cutouts by file name."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from alphacut.errors import InputError
from alphacut.io.files import list_images
from alphacut.review.store import Candidate, ItemPlan


@dataclass
class ReviewPlan:
    labels: list[str]
    items: list[ItemPlan]
    without_candidates: list[str]  # images no candidate folder has a file for


def _files_by_stem(folder: Path) -> dict[str, Path]:
    """Image files under ``folder`` (:func:`alphacut.io.files.list_images`: hidden ones skipped) by
    their path without extension (``sub/a`` for ``sub/a.png``)."""
    found: dict[str, Path] = {}
    for path in list_images(folder):
        stem = str(path.relative_to(folder).with_suffix(""))
        found.setdefault(stem, path)  # a.png wins over a.webp: sorted order, first one kept
    return found


def candidate_labels(folders: Sequence[Path]) -> list[str]:
    """A label per candidate folder: its name, or more of its path while names clash."""
    labels = [folder.name for folder in folders]
    depth = 1
    while len(set(labels)) < len(labels) and depth < 8:
        depth += 1
        labels = ["/".join(folder.resolve().parts[-depth:]) for folder in folders]
    if len(set(labels)) < len(labels):
        raise InputError("candidate folders must be different folders")
    return labels


def plan_review(images: Path, candidates: Sequence[Path], labels: Sequence[str] | None = None) -> ReviewPlan:
    """Match every image in ``images`` with the same-named file (any image extension) in each
    candidate folder; an image needs at least one candidate to be reviewed."""
    if not images.is_dir():
        raise InputError(f"{images}: not a folder of images")
    if not candidates:
        raise InputError("give at least one candidate folder (--candidates DIR_A DIR_B ...)")
    for folder in candidates:
        if not folder.is_dir():
            raise InputError(f"{folder}: not a folder of candidate cutouts")
    names = list(labels) if labels else candidate_labels(candidates)
    if len(names) != len(candidates) or len(set(names)) != len(names):
        raise InputError("every candidate folder needs its own, unique label")
    if "none" in names:
        raise InputError("'none' is reserved for the 'none is good' vote; rename that folder or pass --labels")
    sources = _files_by_stem(images)
    if not sources:
        raise InputError(f"{images}: no images found")
    by_folder = [_files_by_stem(folder) for folder in candidates]
    items, missing = [], []
    for stem, image in sources.items():
        found = tuple(
            Candidate(label, str(files[stem].resolve())) for label, files in zip(names, by_folder) if stem in files
        )
        if found:
            items.append(ItemPlan(stem, str(image.resolve()), found))
        else:
            missing.append(stem)
    if not items:
        raise InputError(f"no image in {images} has a same-named file in any candidate folder")
    return ReviewPlan(names, items, missing)


@dataclass
class UnsureSelection:
    plan: ReviewPlan  # only the unsure images
    confidence: dict[str, float]  # every planned image's confidence, by item name
    sure: list[str]  # left out: at or above the threshold


def keep_unsure(plan: ReviewPlan, confidence: dict[str, float], below: float) -> UnsureSelection:
    """The part of ``plan`` whose images the model is unsure of (``confidence`` by item name below
    ``below``; see :mod:`alphacut.review.confidence`), least sure first."""
    missing = [item.name for item in plan.items if item.name not in confidence]
    if missing:
        raise InputError(f"no confidence for {len(missing)} images (first: {missing[0]})")
    unsure = sorted((item for item in plan.items if confidence[item.name] < below), key=lambda item: confidence[item.name])
    sure = [item.name for item in plan.items if confidence[item.name] >= below]
    return UnsureSelection(ReviewPlan(plan.labels, unsure, plan.without_candidates), confidence, sure)
