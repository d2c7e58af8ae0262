"""Trimaps from a coarse probability map: sure foreground, sure background, and an unknown band.

The band follows the 0.5 contour and widens where the model is unsure (probabilities between the
two confidence levels), so hair and fur get room while crisp product edges stay thin. Its base
width scales with the image diagonal, as a fixed pixel width is too wide on thumbnails and too thin
on 24-megapixel photos.
"""
from __future__ import annotations

import cv2
import numpy as np

BACKGROUND, UNKNOWN, FOREGROUND = 0, 128, 255


def band_width(shape: tuple[int, int], fraction: float = 0.006, minimum: int = 2) -> int:
    """Half-width in pixels of the unknown band: ``fraction`` of the image diagonal, at least ``minimum``."""
    height, width = shape
    return max(minimum, int(round(fraction * float(np.hypot(height, width)))))


def trimap_from_probability(
    probability: np.ndarray,
    *,
    width: int | None = None,
    low: float = 0.05,
    high: float = 0.95,
) -> np.ndarray:
    """Trimap (uint8: 0, 128, 255) from probabilities in [0, 1].

    Parameters
    ----------
    probability
        The model's soft output at image resolution.
    width
        Half-width of the band around the 0.5 contour; default :func:`band_width`.
    low, high
        Probabilities between these are unsure and join the band, wherever they are.
    """
    radius = band_width(probability.shape) if width is None else width
    foreground = (probability >= 0.5).astype(np.uint8)
    kernel = np.ones((3, 3), np.uint8)
    edge = cv2.dilate(foreground, kernel) != cv2.erode(foreground, kernel)
    if edge.any():
        distance = cv2.distanceTransform((~edge).astype(np.uint8), cv2.DIST_L2, cv2.DIST_MASK_PRECISE)
        near_edge = distance <= radius
    else:
        near_edge = edge
    unsure = (probability > low) & (probability < high)
    trimap = np.where(foreground.astype(bool), FOREGROUND, BACKGROUND).astype(np.uint8)
    trimap[near_edge | unsure] = UNKNOWN
    return trimap
