"""The colour guided filter: exact on its own model (alpha linear in the guide), a box filter
under a flat guide, and edges that follow the guide instead of the source."""
from __future__ import annotations

import cv2
import numpy as np
import pytest

from alphacut.refine.guided_filter import guided_filter


def test_source_linear_in_the_guide_comes_back_unchanged():
    rng = np.random.default_rng(0)
    guide = rng.random((40, 50, 3)).astype(np.float32)
    source = 0.3 * guide[..., 0] + 0.5 * guide[..., 1] - 0.2 * guide[..., 2] + 0.1
    out = guided_filter(guide, source, radius=3, eps=1e-6)
    assert out.shape == source.shape and out.dtype == np.float32
    assert np.abs(out - source).max() < 1e-4


def test_flat_guide_reduces_to_a_mean_of_box_means():
    rng = np.random.default_rng(1)
    source = rng.random((30, 30)).astype(np.float32)
    guide = np.full((30, 30, 3), 0.5, np.float32)

    def box(values: np.ndarray) -> np.ndarray:
        return cv2.boxFilter(values, -1, (5, 5), borderType=cv2.BORDER_REFLECT)

    # no guide variance: a = 0, b = box mean of the source, output = box mean of b
    assert guided_filter(guide, source, radius=2) == pytest.approx(box(box(source)), abs=1e-6)


def test_output_edge_follows_the_guide_not_the_source():
    guide_step = np.zeros((40, 40), np.float32)
    guide_step[:, 20:] = 1
    guide = np.repeat(guide_step[..., None], 3, axis=2) * 0.8 + 0.1
    source = np.zeros((40, 40), np.float32)
    source[:, 23:] = 1  # the model's contour, 3 px off the photo's edge
    out = guided_filter(guide, source, radius=6, eps=1e-4)
    assert np.abs(out[:, :20]).max() < 0.01  # (almost) nothing leaks across the photo's edge
    assert out[:, 20:23].min() > 0.3  # and the subject side starts where the photo's edge is
    blurred = cv2.blur(source, (13, 13), borderType=cv2.BORDER_REFLECT)
    assert blurred[:, 17:20].max() > 0.1  # a plain blur of the same size would have leaked
