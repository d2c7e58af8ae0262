"""GrabCut (Rother, Kolmogorov and Blake, SIGGRAPH 2004): the one shrink-run-enlarge helper, and
refinement initialised from the model's mask.

:func:`grabcut_seeded` runs GrabCut from per-pixel seed labels on a copy of at most ``max_side`` px
and returns the mask at full size; object selection (:mod:`alphacut.edit.select`) seeds it from
a click or a box. :func:`grabcut_refine` seeds it from the model's probability: sure
foreground/background seed the colour models, the unsure band is left to the graph cut. A
classical refinement baseline: it snaps edges to colour boundaries but is binary.
"""
from __future__ import annotations

import cv2
import numpy as np

FOREGROUND_LABELS = (cv2.GC_FGD, cv2.GC_PR_FGD)
BACKGROUND_LABELS = (cv2.GC_BGD, cv2.GC_PR_BGD)


def grabcut_seeded(rgb: np.ndarray, seeds: np.ndarray, *, iterations: int, max_side: int) -> np.ndarray:
    """Boolean foreground after GrabCut from ``seeds`` (H x W uint8 of ``cv2.GC_BGD``, ``GC_PR_BGD``,
    ``GC_PR_FGD``, ``GC_FGD``) on ``rgb`` (H x W x 3 uint8 RGB).

    Images larger than ``max_side`` are cut on a smaller copy (area-averaged colours, nearest seeds)
    and the result is upsampled. Where GrabCut has nothing to separate (no foreground or no
    background label) or cannot fit its colour models (a single colour), the seeds' own
    foreground is returned.
    """
    seeded_foreground = np.isin(seeds, FOREGROUND_LABELS)
    if not seeded_foreground.any() or not np.isin(seeds, BACKGROUND_LABELS).any():
        return seeded_foreground
    height, width = seeds.shape
    scale = min(1.0, max_side / max(height, width))
    if scale < 1:
        size = (max(1, round(width * scale)), max(1, round(height * scale)))
        small_rgb = cv2.resize(rgb, size, interpolation=cv2.INTER_AREA)
        small_seeds = cv2.resize(seeds, size, interpolation=cv2.INTER_NEAREST)
    else:
        small_rgb, small_seeds = rgb, seeds.copy()  # grabCut writes its labels into the seeds
    bgd, fgd = np.zeros((1, 65), np.float64), np.zeros((1, 65), np.float64)
    cv2.setRNGSeed(0)
    try:
        cv2.grabCut(np.ascontiguousarray(small_rgb[..., ::-1]), small_seeds, None, bgd, fgd, iterations,
                    cv2.GC_INIT_WITH_MASK)
    except cv2.error:  # one colour only (flat image): GrabCut cannot fit its models; keep the seeds
        return seeded_foreground
    result = np.isin(small_seeds, FOREGROUND_LABELS).astype(np.float32)
    if scale < 1:
        result = cv2.resize(result, (width, height), interpolation=cv2.INTER_LINEAR)
    return result >= 0.5


def grabcut_refine(rgb: np.ndarray, probability: np.ndarray, *, iterations: int = 3, max_side: int = 640) -> np.ndarray:
    """Binary alpha (float 0/1) after GrabCut seeded by ``probability``: >= 0.95 sure foreground,
    <= 0.05 sure background, the rest probable foreground (>= 0.5) or background. Without both
    sure labels there is nothing to seed the colour models, and ``probability`` is thresholded."""
    seeds = np.full(probability.shape, cv2.GC_PR_BGD, np.uint8)
    seeds[probability >= 0.5] = cv2.GC_PR_FGD
    seeds[probability >= 0.95] = cv2.GC_FGD
    seeds[probability <= 0.05] = cv2.GC_BGD
    if not (seeds == cv2.GC_FGD).any() or not (seeds == cv2.GC_BGD).any():
        return (probability >= 0.5).astype(np.float32)
    return grabcut_seeded(rgb, seeds, iterations=iterations, max_side=max_side).astype(np.float32)
