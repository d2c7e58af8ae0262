"""Alpha matting inside the trimap's unknown band only.

Two solvers:
- ``guided``: the guided filter (He et al., 2010) of the model's probability, guided by the photo;
  O(N), tens of milliseconds per megapixel; the default. Past ``max_pixels`` its linear model is
  fitted on a downscaled copy and applied to the full-size photo in strips (fast guided filter,
  He and Sun 2015), so alpha follows full-resolution edges at bounded cost and memory.
- ``cf``: closed-form matting (Levin, Lischinski and Weiss, TPAMI 2008) via pymatting, solved on
  the band's bounding box only and, past ``max_pixels``, on a downscaled copy whose alpha is
  upsampled back into the band; bounded in time and memory on large photos.
Sure foreground and sure background pixels of the trimap are never changed.
"""
from __future__ import annotations

import cv2
import numpy as np

from alphacut.refine.guided_filter import guided_coefficients
from alphacut.refine.trimap import BACKGROUND, FOREGROUND, UNKNOWN

METHODS = ("guided", "cf")


def matte(
    rgb: np.ndarray,
    probability: np.ndarray,
    trimap: np.ndarray,
    *,
    method: str = "guided",
    max_pixels: int = 400_000,
    eps: float = 1e-3,
) -> np.ndarray:
    """Alpha in [0, 1] (float32): trimap's sure regions, solved values in its unknown band."""
    unknown = trimap == UNKNOWN
    alpha = np.where(trimap == FOREGROUND, 1.0, 0.0).astype(np.float32)
    if not unknown.any():
        return alpha
    top, bottom, left, right = _bounds(unknown, pad=16)
    crop = (slice(top, bottom), slice(left, right))
    if method == "guided":
        solved = _guided(rgb[crop], probability[crop], max_pixels, eps)
    elif method == "cf":
        solved = _closed_form(rgb[crop].astype(np.float32) / 255.0, trimap[crop], probability[crop], max_pixels)
    else:
        raise ValueError(f"unknown matting method {method!r}; use one of {', '.join(METHODS)}")
    band = unknown[crop]
    alpha[crop][band] = np.clip(solved, 0.0, 1.0)[band]
    return alpha


def _bounds(mask: np.ndarray, pad: int) -> tuple[int, int, int, int]:
    rows = np.flatnonzero(mask.any(axis=1))
    cols = np.flatnonzero(mask.any(axis=0))
    height, width = mask.shape
    return (max(0, rows[0] - pad), min(height, rows[-1] + 1 + pad), max(0, cols[0] - pad), min(width, cols[-1] + 1 + pad))


#: Rows of the full-size photo processed at once when a downscaled guided-filter model is applied.
STRIP_ROWS = 512


def _guided(rgb: np.ndarray, probability: np.ndarray, max_pixels: int, eps: float) -> np.ndarray:
    height, width = probability.shape
    scale = min(1.0, float(np.sqrt(max_pixels / (height * width))))
    small_rgb, small_probability = rgb, probability
    if scale < 1.0:
        size = (max(1, round(width * scale)), max(1, round(height * scale)))
        small_rgb = cv2.resize(rgb, size, interpolation=cv2.INTER_AREA)
        small_probability = cv2.resize(probability, size, interpolation=cv2.INTER_AREA)
    guide = small_rgb.astype(np.float32) / 255.0
    radius = max(2, int(round(0.008 * np.hypot(*small_probability.shape))))
    slope, offset = guided_coefficients(guide, small_probability, radius=radius, eps=eps)
    if scale == 1.0:
        return (slope * guide).sum(axis=-1) + offset
    solved = np.empty((height, width), np.float32)
    for top in range(0, height, STRIP_ROWS):
        bottom = min(height, top + STRIP_ROWS)
        rows = rgb[top:bottom].astype(np.float32) / 255.0
        strip_slope = resize_rows(slope, (height, width), top, bottom)
        solved[top:bottom] = (strip_slope * rows).sum(axis=-1) + resize_rows(offset, (height, width), top, bottom)
    return solved


def resize_rows(small: np.ndarray, shape: tuple[int, int], top: int, bottom: int) -> np.ndarray:
    """Rows ``top:bottom`` of ``small`` resized bilinearly to ``shape`` (what ``cv2.resize`` gives,
    without building the whole full-size array)."""
    height, width = shape
    map_x = (np.arange(width, dtype=np.float32) + 0.5) * (small.shape[1] / width) - 0.5
    map_y = (np.arange(top, bottom, dtype=np.float32) + 0.5) * (small.shape[0] / height) - 0.5
    grid_x, grid_y = np.meshgrid(map_x, map_y)
    return cv2.remap(small, grid_x, grid_y, interpolation=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


def _closed_form(image: np.ndarray, trimap: np.ndarray, probability: np.ndarray, max_pixels: int) -> np.ndarray:
    from pymatting import estimate_alpha_cf

    height, width = trimap.shape
    scale = min(1.0, float(np.sqrt(max_pixels / (height * width))))
    tri = trimap.astype(np.float64) / 255.0
    img = image.astype(np.float64)
    if scale < 1.0:
        size = (max(1, round(width * scale)), max(1, round(height * scale)))
        img = cv2.resize(img, size, interpolation=cv2.INTER_AREA)
        tri = cv2.resize(tri, size, interpolation=cv2.INTER_NEAREST)
    if not ((tri == 0).any() and (tri == 1).any()):
        return probability.astype(np.float32)  # nothing to propagate from: keep the model's values
    alpha = estimate_alpha_cf(img, tri)
    if scale < 1.0:
        alpha = cv2.resize(alpha, (width, height), interpolation=cv2.INTER_LINEAR)
    return alpha.astype(np.float32)


__all__ = ["BACKGROUND", "FOREGROUND", "METHODS", "UNKNOWN", "matte"]
