"""Evaluation sets: ``DIR/images/*`` with ``DIR/gt/<same stem>.png`` (8-bit grey, 255 = subject).

Categories come from sub-folders of ``images/`` (``images/portraits/a.jpg``) or from a
``categories.csv`` (``name,category`` rows, name with or without extension); otherwise every image
is in the set's own category. A set is a matting set when its ground truth is soft (more than 0.1%
of pixels strictly between 0 and 255 in at least a fifth of the images).
"""
from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from alphacut.errors import InputError
from alphacut.io.files import list_images, read_alpha


@dataclass(frozen=True)
class Sample:
    name: str  # relative path inside images/, without extension
    image: Path
    gt: Path
    category: str
    set_name: str = ""


@dataclass
class EvalSet:
    name: str
    root: Path
    samples: list[Sample]
    soft: bool


def load_gt(path: Path) -> np.ndarray:
    """Ground truth in [0, 1] (float32 H x W): the alpha of a file that has one, else its grey."""
    return read_alpha(path).astype(np.float32) / 255.0


def load_set(root: Path, limit: int | None = None) -> EvalSet:
    images, gts = root / "images", root / "gt"
    if not images.is_dir() or not gts.is_dir():
        raise InputError(f"{root}: an evaluation set needs images/ and gt/ folders")
    categories = _read_categories(root / "categories.csv")
    samples = []
    for path in list_images(images):
        relative = path.relative_to(images).with_suffix("")
        gt = gts / relative.with_suffix(".png")
        if not gt.exists():
            continue
        category = (
            categories.get(str(relative)) or categories.get(path.name)
            or (relative.parts[0] if len(relative.parts) > 1 else root.name)
        )
        samples.append(Sample(str(relative), path, gt, category, root.name))
    if not samples:
        raise InputError(f"{root}: no image in images/ has a ground truth in gt/")
    if limit:
        samples = samples[:limit]
    return EvalSet(root.name, root, samples, _is_soft([s.gt for s in samples]))


def _read_categories(path: Path) -> dict[str, str]:
    if not path.exists():
        return {}
    with open(path, newline="") as stream:
        rows = [row for row in csv.reader(stream) if len(row) >= 2 and row[0] != "name"]
    mapping = {}
    for name, category, *_ in rows:
        mapping[name] = category
        mapping[str(Path(name).with_suffix(""))] = category
    return mapping


def _is_soft(gts: list[Path]) -> bool:
    checked = gts[:: max(1, len(gts) // 20)]
    soft = 0
    for path in checked:
        values = load_gt(path)  # the alpha of a cutout, as scored; not its colours
        if ((values > 0) & (values < 1)).mean() > 0.001:
            soft += 1
    return soft >= max(1, len(checked) // 5)
