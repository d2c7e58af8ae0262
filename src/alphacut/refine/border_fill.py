"""Classical baseline: background = pixels connected to the border whose colour is near the
border's colour (the colour-distance + flood-fill remover of the pixel-art seed story).

Strong on solid backgrounds (studio shots, sprites on a flat colour), weak on patterns. Needs no
model. The background colour is the median of the outermost pixel ring; pixels within
``tolerance`` (Euclidean, 0-255 RGB) of it that connect to the border are background.
"""
from __future__ import annotations

import numpy as np
from scipy import ndimage


def border_colour(rgb: np.ndarray) -> np.ndarray:
    ring = np.concatenate([rgb[0], rgb[-1], rgb[:, 0], rgb[:, -1]]).astype(np.float32)
    return np.median(ring, axis=0)


def border_fill_mask(rgb: np.ndarray, tolerance: float = 30.0) -> np.ndarray:
    """Foreground alpha (float 0/1) of ``rgb`` (H x W x 3 uint8)."""
    colour = border_colour(rgb)
    close = np.sqrt(((rgb.astype(np.float32) - colour) ** 2).sum(-1)) <= tolerance
    labels, _ = ndimage.label(close)
    border_labels = np.unique(np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]]))
    background = np.isin(labels, border_labels[border_labels > 0])
    return (~background).astype(np.float32)


def border_is_flat(rgb: np.ndarray, tolerance: float = 6.0, share: float = 0.97) -> bool:
    """True when at least ``share`` of the outermost ring is within ``tolerance`` of its median colour:
    a synthetic solid background (sprites, icons, studio composites), never a real photo's noise."""
    ring = np.concatenate([rgb[0], rgb[-1], rgb[:, 0], rgb[:, -1]]).astype(np.float32)
    distance = np.sqrt(((ring - np.median(ring, axis=0)) ** 2).sum(-1))
    return bool((distance <= tolerance).mean() >= share)
