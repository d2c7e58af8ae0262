"""Alpha bookkeeping: 8-bit rounding that keeps soft values, and the input's own transparency."""
from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from alphacut.refine.alpha import alpha_to_uint8, apply_source_alpha


def test_alpha_to_uint8_rounds_and_clips():
    alpha = np.array([[-0.5, 0.0, 0.001, 0.002], [0.5, 0.998, 1.0, 1.5]], np.float32)
    # 0.002 * 255 = 0.51 -> 1; 0.5 * 255 = 127.5 -> 128 (half to even); 0.998 * 255 = 254.49 -> 254
    assert alpha_to_uint8(alpha).tolist() == [[0, 0, 0, 1], [128, 254, 255, 255]]
    assert alpha_to_uint8(alpha).dtype == np.uint8


def test_source_alpha_multiplies_only_for_rgba():
    alpha = np.full((2, 2), 0.5, np.float32)
    rgb = Image.new("RGB", (2, 2))
    assert apply_source_alpha(alpha, rgb) is alpha
    rgba = Image.new("RGBA", (2, 2), (10, 20, 30, 255))
    rgba.putpixel((1, 0), (10, 20, 30, 0))  # (x=1, y=0) transparent in the input
    rgba.putpixel((0, 1), (10, 20, 30, 51))  # 20 % opaque
    out = apply_source_alpha(alpha, rgba)
    assert out == pytest.approx(np.array([[0.5, 0.0], [0.1, 0.5]]))
