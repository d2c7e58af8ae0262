"""Guided image filter (He, Sun and Tang, ECCV 2010 / TPAMI 2013) for edge-aware alpha refinement.

The filtered alpha is locally a linear function of the guide image's colours, so it follows true
edges in the photo (hair strands, fur) instead of the model's low-resolution contour. Box filters
make it O(N) whatever the radius. This is the colour-guide version (3x3 covariance per pixel).
:func:`guided_coefficients` returns the filter's local linear model, so that it can be computed on
a downscaled copy and applied to the full-size guide (He and Sun, "Fast Guided Filter", 2015).
"""
from __future__ import annotations

import cv2
import numpy as np


def _box(values: np.ndarray, radius: int) -> np.ndarray:
    return cv2.boxFilter(values, -1, (2 * radius + 1, 2 * radius + 1), normalize=True, borderType=cv2.BORDER_REFLECT)


def guided_filter(guide: np.ndarray, source: np.ndarray, radius: int = 8, eps: float = 1e-4) -> np.ndarray:
    """Filter ``source`` (H x W float) guided by ``guide`` (H x W x 3 float in [0, 1]).

    ``eps`` is the regulariser: smaller follows the guide's edges more closely.
    """
    slope, offset = guided_coefficients(guide, source, radius, eps)
    return (slope * guide.astype(np.float32)).sum(axis=-1) + offset


def guided_coefficients(
    guide: np.ndarray, source: np.ndarray, radius: int = 8, eps: float = 1e-4
) -> tuple[np.ndarray, np.ndarray]:
    """The guided filter's box-averaged linear model: ``slope`` (H x W x 3) and ``offset`` (H x W),
    with filtered = (slope * guide).sum(-1) + offset."""
    guide = guide.astype(np.float32)
    p = source.astype(np.float32)
    mean_i = _box(guide, radius)
    mean_p = _box(p, radius)
    mean_ip = _box(guide * p[..., None], radius)
    cov_ip = mean_ip - mean_i * mean_p[..., None]
    # per-pixel 3x3 covariance of the guide, regularised, inverted in closed form (it is symmetric)
    def cov(a: int, b: int) -> np.ndarray:
        return _box(guide[..., a] * guide[..., b], radius) - mean_i[..., a] * mean_i[..., b] + (eps if a == b else 0.0)

    rr, rg, rb, gg, gb, bb = cov(0, 0), cov(0, 1), cov(0, 2), cov(1, 1), cov(1, 2), cov(2, 2)
    inv_rr = gg * bb - gb * gb
    inv_rg = gb * rb - rg * bb
    inv_rb = rg * gb - gg * rb
    inv_gg = rr * bb - rb * rb
    inv_gb = rb * rg - rr * gb
    inv_bb = rr * gg - rg * rg
    det = rr * inv_rr + rg * inv_rg + rb * inv_rb
    cr, cg, cb = cov_ip[..., 0], cov_ip[..., 1], cov_ip[..., 2]
    coefficients = np.stack(
        [
            inv_rr * cr + inv_rg * cg + inv_rb * cb,
            inv_rg * cr + inv_gg * cg + inv_gb * cb,
            inv_rb * cr + inv_gb * cg + inv_bb * cb,
        ],
        axis=-1,
    ) / det[..., None]
    offset = mean_p - (coefficients * mean_i).sum(axis=-1)
    return _box(coefficients, radius), _box(offset, radius)
