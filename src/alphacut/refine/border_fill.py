"""Classical baseline: background = pixels connected to the border whose colour is near the
border's colour (the colour-distance + flood-fill remover of the pixel-art seed story).

Strong on solid backgrounds (studio shots, sprites on a flat colour), weak on patterns and where
the subject covers the border. Needs no model; ``alphacut eval --pipeline border-fill`` scores it.
The presets use :mod:`alphacut.refine.flat_background` instead, which finds the background colour
on the border pixels that are background and lets objects touch the frame.

The background colour is the median of the outermost pixel ring; pixels within ``tolerance``
(Euclidean, 0-255 RGB) of it that connect to the border are background.
"""
from __future__ import annotations

import numpy as np
from scipy import ndimage


def border_colour(rgb: np.ndarray) -> np.ndarray:
    ring = np.concatenate([rgb[0], rgb[-1], rgb[:, 0], rgb[:, -1]]).astype(np.float32)
    return np.median(ring, axis=0)


def border_fill_mask(rgb: np.ndarray, tolerance: float = 30.0, enclosed_tolerance: float | None = None) -> np.ndarray:
    """Foreground alpha (float 0/1) of ``rgb`` (H x W x 3 uint8).

    With ``enclosed_tolerance``, pixels that close to the background colour are background even
    where the flood fill cannot reach them (holes in the subject showing a synthetic background).
    """
    colour = border_colour(rgb)
    distance = np.sqrt(((rgb.astype(np.float32) - colour) ** 2).sum(-1))
    labels, _ = ndimage.label(distance <= tolerance)
    border_labels = np.unique(np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]]))
    background = np.isin(labels, border_labels[border_labels > 0])
    if enclosed_tolerance is not None:
        background |= distance <= enclosed_tolerance
    return (~background).astype(np.float32)


def _ring_distances(rgb: np.ndarray) -> np.ndarray:
    ring = np.concatenate([rgb[0], rgb[-1], rgb[:, 0], rgb[:, -1]]).astype(np.float32)
    return np.sqrt(((ring - np.median(ring, axis=0)) ** 2).sum(-1))


def border_is_flat(rgb: np.ndarray, tolerance: float = 6.0, share: float = 0.9) -> bool:
    """True when at least ``share`` of the outermost ring is within ``tolerance`` of its median colour:
    a synthetic solid background (sprites, icons, studio composites), not a real photo's noise.
    The share leaves room for a subject that touches the frame."""
    return bool((_ring_distances(rgb) <= tolerance).mean() >= share)
