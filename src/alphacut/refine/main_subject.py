"""Main-subject mode: keep the dominant subject and drop bystanders.

Each connected component of the mask (alpha > 0.5) is scored by its area, how central it is and
how sharp it is (variance of the Laplacian inside it, Pech-Pacheco et al., ICPR 2000): a blurred
person in the background is large but soft, a speck is sharp but tiny. Components scoring below
``keep_ratio`` of the best are removed; holes and soft edges of the kept ones are untouched.
"""
from __future__ import annotations

import cv2
import numpy as np
from scipy import ndimage


def component_scores(rgb: np.ndarray, alpha: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Labels of the components of ``alpha > 0.5`` (8-connected) and a score for each (index 0 unused)."""
    mask = alpha > 0.5
    labels, count = ndimage.label(mask, structure=np.ones((3, 3), bool))
    if count == 0:
        return labels, np.zeros(1)
    height, width = mask.shape
    grey = cv2.cvtColor(rgb.astype(np.uint8), cv2.COLOR_RGB2GRAY).astype(np.float32)
    laplacian = cv2.Laplacian(grey, cv2.CV_32F, ksize=3)
    index = np.arange(1, count + 1)
    area = ndimage.sum(mask, labels, index)
    sharp = ndimage.variance(laplacian, labels, index)
    cy, cx = np.array(ndimage.center_of_mass(mask, labels, index)).T.reshape(2, -1)
    off_centre = np.hypot((cx - width / 2) / width, (cy - height / 2) / height)  # 0 centre .. 0.71 corner
    centrality = 1.0 - off_centre
    sharpness = np.sqrt(sharp / (sharp.max() + 1e-6))
    scores = np.zeros(count + 1)
    scores[1:] = (area / area.sum()) * centrality * (0.25 + 0.75 * sharpness)
    return labels, scores


def keep_main_subject(rgb: np.ndarray, alpha: np.ndarray, keep_ratio: float = 0.35) -> np.ndarray:
    """``alpha`` (same dtype) with components scoring below ``keep_ratio`` x the best set to 0,
    along with the soft fringe that belongs to them."""
    labels, scores = component_scores(rgb, alpha)
    if len(scores) <= 2:
        return alpha
    dropped = scores < keep_ratio * scores.max()
    dropped[0] = False
    if not dropped.any():
        return alpha
    removed = dropped[labels]
    # the soft fringe (0 < alpha <= 0.5) goes with the nearest component
    _, (iy, ix) = ndimage.distance_transform_edt(labels == 0, return_indices=True)
    owner = labels[iy, ix]
    fringe_removed = (labels == 0) & dropped[owner]
    result = alpha.copy()
    result[removed | fringe_removed] = 0
    return result
