"""Harmonisation moves the subject's boundary statistics towards the background's."""
from __future__ import annotations

import cv2
import numpy as np

from alphacut.compose.harmonize import boundary_bands, harmonize


def scene():
    alpha = np.zeros((80, 80), np.uint8)
    alpha[20:60, 20:60] = 255
    rng = np.random.default_rng(1)
    fg = np.clip(rng.normal(128, 20, (80, 80, 3)), 0, 255).astype(np.float32)
    bg = np.clip(rng.normal(0, 10, (80, 80, 3)) + (200, 120, 60), 0, 255).astype(np.float32)  # warm light
    return fg, alpha, bg


def lab_mean(rgb, where):
    return cv2.cvtColor(np.asarray(rgb, np.float32) / 255.0, cv2.COLOR_RGB2Lab)[where].mean(axis=0)


def test_full_strength_matches_the_background_means_near_the_edge():
    fg, alpha, bg = scene()
    inner, outer = boundary_bands(alpha)
    result = harmonize(fg, alpha, bg, strength=1.0)
    assert np.abs(lab_mean(result, inner) - lab_mean(bg, outer)).max() < 2.0


def test_strength_zero_is_identity_and_the_shift_grows_with_strength():
    fg, alpha, bg = scene()
    inner, outer = boundary_bands(alpha)
    assert np.array_equal(harmonize(fg, alpha, bg, 0.0), fg)
    target = lab_mean(bg, outer)
    gaps = [np.abs(lab_mean(harmonize(fg, alpha, bg, s), inner) - target).sum() for s in (0.0, 0.3, 0.6, 1.0)]
    assert gaps == sorted(gaps, reverse=True) and gaps[-1] < gaps[0] / 5


def test_bands_lie_either_side_of_the_edge():
    _, alpha, _ = scene()
    inner, outer = boundary_bands(alpha, width=3)
    assert inner[20, 30] and not inner[30, 30] and outer[18, 30] and not outer[10, 30]
    assert not (inner & outer).any()
