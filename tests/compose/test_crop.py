"""Cropping to the subject: the box of visible alpha, grown by a margin, clamped to the image."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from alphacut.compose.crop import VISIBLE_ALPHA, crop_box, union_box


def test_box_around_visible_pixels():
    alpha = np.zeros((20, 30), np.uint8)
    alpha[5:9, 10:15] = 255
    assert crop_box(alpha) == (10, 5, 15, 9)


def test_margin_grows_the_box():
    alpha = np.zeros((20, 30), np.uint8)
    alpha[5:9, 10:15] = 200
    assert crop_box(alpha, margin=3) == (7, 2, 18, 12)


def test_margin_is_clamped_to_the_image():
    alpha = np.zeros((20, 30), np.uint8)
    alpha[0:3, 27:30] = 255
    assert crop_box(alpha, margin=10) == (17, 0, 30, 13)


def test_faint_noise_does_not_count():
    alpha = np.full((10, 10), VISIBLE_ALPHA, np.uint8)
    assert crop_box(alpha) is None
    alpha[4, 6] = VISIBLE_ALPHA + 1
    assert crop_box(alpha) == (6, 4, 7, 5)


def test_empty_alpha_gives_none():
    assert crop_box(np.zeros((8, 8), np.uint8), margin=5) is None


def test_union_box():
    assert union_box([None, (2, 3, 5, 6), (1, 4, 4, 9), None]) == (1, 3, 5, 9)
    assert union_box([None, None]) is None
    assert union_box([]) is None


@given(
    hnp.arrays(np.uint8, hnp.array_shapes(min_dims=2, max_dims=2, min_side=1, max_side=12)),
    st.integers(min_value=0, max_value=6),
)
def test_box_contains_every_visible_pixel_and_stays_in_bounds(alpha, margin):
    box = crop_box(alpha, margin)
    visible = alpha > VISIBLE_ALPHA
    if not visible.any():
        assert box is None
        return
    left, top, right, bottom = box
    height, width = alpha.shape
    assert 0 <= left < right <= width and 0 <= top < bottom <= height
    rows, cols = np.nonzero(visible)
    assert left <= cols.min() and cols.max() < right
    assert top <= rows.min() and rows.max() < bottom
    # tight: the margin is exactly what was asked for, unless clamped
    assert left == max(0, cols.min() - margin) and right == min(width, cols.max() + 1 + margin)
    assert top == max(0, rows.min() - margin) and bottom == min(height, rows.max() + 1 + margin)
