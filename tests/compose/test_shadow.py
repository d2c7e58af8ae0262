"""Drop and contact shadows: where they fall and how dark they are."""
from __future__ import annotations

import numpy as np

from alphacut.compose.shadow import cast, contact_shadow, drop_shadow


def block() -> np.ndarray:
    alpha = np.zeros((100, 100), np.uint8)
    alpha[20:70, 30:60] = 255
    return alpha


def test_drop_shadow_falls_down_and_right_of_the_subject():
    shadow = drop_shadow(block(), offset=(0.1, 0.1), blur=0.01, opacity=0.5)
    ys, xs = np.nonzero(shadow > 0.25)
    assert ys.min() >= 22 and xs.min() >= 32 and ys.max() >= 72 and xs.max() >= 62
    assert abs(shadow.max() - 0.5) < 0.01
    assert shadow[5, 5] == 0


def test_contact_shadow_is_a_flat_ellipse_at_the_base():
    shadow = contact_shadow(block(), opacity=0.6)
    ys, xs = np.nonzero(shadow > 0.05)
    assert 65 <= ys.mean() <= 71  # centred on the bottom edge (row 69)
    assert abs(xs.mean() - 44.5) < 1.0
    assert ys.max() - ys.min() < xs.max() - xs.min()  # wider than tall
    assert shadow.max() <= 0.6 + 1e-6


def test_no_subject_no_shadow_and_cast_blends_towards_the_colour():
    empty = np.zeros((20, 20), np.uint8)
    assert not drop_shadow(empty).any() and not contact_shadow(empty).any()
    background = np.full((2, 2, 3), 200.0)
    darkened = cast(background, np.array([[0.0, 0.5], [1.0, 0.25]], np.float32))
    assert np.allclose(darkened[..., 0], [[200, 100], [0, 150]])
