"""GrabCut (Rother, Kolmogorov and Blake, SIGGRAPH 2004) initialised from the model's mask.

The model's sure foreground/background seed the colour models; its unsure band is left to the
graph cut. A classical refinement baseline: it snaps edges to colour boundaries but is binary.
Large images are processed at most ``max_side`` px and the result upsampled.
"""
from __future__ import annotations

import cv2
import numpy as np


def grabcut_refine(rgb: np.ndarray, probability: np.ndarray, *, iterations: int = 3, max_side: int = 640) -> np.ndarray:
    """Binary alpha (float 0/1) after GrabCut from ``probability``."""
    height, width = probability.shape
    scale = min(1.0, max_side / max(height, width))
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    small_rgb = cv2.resize(rgb, size, interpolation=cv2.INTER_AREA) if scale < 1 else rgb
    small_p = cv2.resize(probability, size, interpolation=cv2.INTER_LINEAR) if scale < 1 else probability
    seeds = np.full(small_p.shape, cv2.GC_PR_BGD, np.uint8)
    seeds[small_p >= 0.5] = cv2.GC_PR_FGD
    seeds[small_p >= 0.95] = cv2.GC_FGD
    seeds[small_p <= 0.05] = cv2.GC_BGD
    if not (seeds == cv2.GC_FGD).any() or not (seeds == cv2.GC_BGD).any():
        return (probability >= 0.5).astype(np.float32)
    bgd, fgd = np.zeros((1, 65), np.float64), np.zeros((1, 65), np.float64)
    cv2.setRNGSeed(0)
    cv2.grabCut(np.ascontiguousarray(small_rgb[..., ::-1]), seeds, None, bgd, fgd, iterations, cv2.GC_INIT_WITH_MASK)
    result = np.isin(seeds, (cv2.GC_FGD, cv2.GC_PR_FGD)).astype(np.float32)
    if scale < 1:
        result = (cv2.resize(result, (width, height), interpolation=cv2.INTER_LINEAR) >= 0.5).astype(np.float32)
    return result
