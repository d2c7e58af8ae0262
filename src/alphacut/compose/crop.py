"""Crop to the subject: the bounding box of visible alpha, grown by a margin."""
from __future__ import annotations

import numpy as np

#: Alpha at or below this (of 255) counts as background when finding the subject's box,
#: so faint model noise far from the subject does not stretch the crop.
VISIBLE_ALPHA = 8


def crop_box(alpha: np.ndarray, margin: int = 0) -> tuple[int, int, int, int] | None:
    """``(left, top, right, bottom)`` around alpha > VISIBLE_ALPHA plus ``margin`` px, clamped to
    the image; ``None`` when nothing is visible."""
    rows = np.flatnonzero((alpha > VISIBLE_ALPHA).any(axis=1))
    cols = np.flatnonzero((alpha > VISIBLE_ALPHA).any(axis=0))
    if rows.size == 0:
        return None
    height, width = alpha.shape
    return (
        max(0, int(cols[0]) - margin),
        max(0, int(rows[0]) - margin),
        min(width, int(cols[-1]) + 1 + margin),
        min(height, int(rows[-1]) + 1 + margin),
    )


def union_box(boxes: list[tuple[int, int, int, int] | None]) -> tuple[int, int, int, int] | None:
    present = [box for box in boxes if box is not None]
    if not present:
        return None
    return (
        min(b[0] for b in present),
        min(b[1] for b in present),
        max(b[2] for b in present),
        max(b[3] for b in present),
    )
