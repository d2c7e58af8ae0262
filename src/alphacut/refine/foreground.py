"""Colour decontamination: estimate the foreground colour F in I = alpha F + (1 - alpha) B.

Blur-fusion foreground estimation (Forte and Pitié, "Approximate Fast Foreground Colour
Estimation", ICIP 2021): two passes of alpha-weighted local means, a large blur then a small one.
It is a few box filters (milliseconds per megapixel) and removes the old background's colour from
soft edges, which is what causes halos when a cutout is placed on a new background.
"""
from __future__ import annotations

import cv2
import numpy as np


def _blur(values: np.ndarray, radius: int) -> np.ndarray:
    return cv2.blur(values, (radius, radius), borderType=cv2.BORDER_REFLECT)


def _fuse(
    image: np.ndarray, f: np.ndarray, b: np.ndarray, alpha: np.ndarray, radius: int, at: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """One blur-fusion pass; with ``at`` (a bool mask) F and B only at those pixels (N x 3), since
    the per-pixel arithmetic after the blurs is most of the cost and most pixels are not soft.
    ``f`` and ``b`` are overwritten unless they are ``image`` (callers pass scratch arrays)."""
    a = alpha[..., None]
    blurred_a = _blur(alpha, radius)[..., None]
    blurred_fa = _blur(np.multiply(f, a, out=f if f is not image else None), radius)
    blurred_b1a = _blur(np.multiply(b, 1 - a, out=b if b is not image else None), radius)
    if at is not None:
        a, blurred_a, blurred_fa, blurred_b1a, image = a[at], blurred_a[at], blurred_fa[at], blurred_b1a[at], image[at]
    blurred_f = blurred_fa / (blurred_a + 1e-5)
    blurred_b = blurred_b1a / ((1 - blurred_a) + 1e-5)
    f_new = blurred_f + a * (image - a * blurred_f - (1 - a) * blurred_b)
    return np.clip(f_new, 0, 1), blurred_b


def estimate_foreground(image: np.ndarray, alpha: np.ndarray, radius: int = 90, at: np.ndarray | None = None) -> np.ndarray:
    """Foreground colours (H x W x 3 float in [0, 1]) for ``image`` (float RGB in [0, 1]) and ``alpha``;
    with ``at`` (H x W bool), only those pixels' colours (N x 3), the same values.

    Where alpha is 1 the result equals the image; where alpha is 0 it is a plausible extension of
    the subject's colours (harmless, as it is invisible). The first, wide pass only sees local
    means over ``radius`` px, so it runs on a copy downscaled by up to radius / 8 and is upsampled.
    """
    image = image.astype(np.float32)
    alpha = alpha.astype(np.float32)
    height, width = alpha.shape
    factor = max(1, min(radius // 8, min(height, width) // 16))
    if factor > 1:
        size = (max(1, width // factor), max(1, height // factor))
        small_image = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
        small_alpha = cv2.resize(alpha, size, interpolation=cv2.INTER_AREA)
        f_small, b_small = _fuse(small_image, small_image, small_image, small_alpha, max(2, radius // factor))
        f = cv2.resize(f_small, (width, height), interpolation=cv2.INTER_LINEAR)
        b = cv2.resize(b_small, (width, height), interpolation=cv2.INTER_LINEAR)
    else:
        f, b = _fuse(image, image, image, alpha, radius)
    f, _ = _fuse(image, f, b, alpha, 6, at)
    return f


def decontaminate(rgb: np.ndarray, alpha: np.ndarray, radius: int | None = None) -> np.ndarray:
    """uint8 RGB with edge colours replaced by the estimated foreground where 0 < alpha < 1."""
    a = alpha.astype(np.float32) / 255.0 if alpha.dtype == np.uint8 else alpha.astype(np.float32)
    soft = (a > 0.002) & (a < 0.998)
    if not soft.any():
        return rgb
    scale = radius or max(8, int(round(0.05 * max(alpha.shape))))
    # only a window around the soft pixels matters: the wide pass looks `scale` px around them
    rows, cols = np.flatnonzero(soft.any(axis=1)), np.flatnonzero(soft.any(axis=0))
    top, bottom = max(0, rows[0] - scale), min(a.shape[0], rows[-1] + 1 + scale)
    left, right = max(0, cols[0] - scale), min(a.shape[1], cols[-1] + 1 + scale)
    window = (slice(top, bottom), slice(left, right))
    f = estimate_foreground(rgb[window].astype(np.float32) / 255.0, a[window], scale, at=soft[window])
    out = rgb.copy()
    out[window][soft[window]] = np.rint(f * 255).astype(np.uint8)
    return out
