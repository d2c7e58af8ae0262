"""Colour decontamination on I = a F + (1 - a) B with known F, B and a soft alpha ramp."""
from __future__ import annotations

import numpy as np
import pytest

from alphacut.refine.foreground import decontaminate, estimate_foreground

F = np.array([200.0, 60.0, 30.0])  # orange subject
B = np.array([20.0, 120.0, 220.0])  # blue background


def ramp_scene(ramp: int = 4, size: int = 64) -> tuple[np.ndarray, np.ndarray]:
    """Subject on the left, background on the right, alpha falling 1 -> 0 over ``ramp`` px from x = 24."""
    x = np.arange(size)
    alpha = np.tile(1.0 - np.clip((x - 24) / ramp, 0.0, 1.0), (size, 1)).astype(np.float32)
    a = alpha[..., None].astype(np.float64)
    rgb = np.rint(a * F + (1 - a) * B).astype(np.uint8)
    return rgb, alpha


def error_to_f(colours: np.ndarray, where: np.ndarray) -> float:
    return float(np.abs(colours[where].astype(np.float64) - F).mean())


@pytest.mark.parametrize("as_uint8", [False, True])
def test_edge_colours_move_towards_the_foreground(as_uint8):
    rgb, alpha = ramp_scene()
    soft = (alpha > 0) & (alpha < 1)
    given_alpha = np.rint(alpha * 255).astype(np.uint8) if as_uint8 else alpha
    out = decontaminate(rgb, given_alpha)
    assert out.dtype == np.uint8 and out.shape == rgb.shape
    raw, cleaned = error_to_f(rgb, soft), error_to_f(out, soft)
    assert raw > 60  # the edge is mostly the background's colour
    assert cleaned < 0.25 * raw
    # column by column, every soft pixel got closer to F
    row = 32
    for x in np.flatnonzero(soft[row]):
        assert np.abs(out[row, x] - F).sum() < np.abs(rgb[row, x].astype(float) - F).sum()


def test_opaque_and_transparent_pixels_are_untouched():
    rgb, alpha = ramp_scene()
    out = decontaminate(rgb, alpha)
    assert np.array_equal(out[alpha == 1], rgb[alpha == 1])
    assert np.array_equal(out[alpha == 0], rgb[alpha == 0])
    assert out is not rgb  # the input is not modified in place
    assert np.array_equal(rgb, ramp_scene()[0])


def test_wider_blur_handles_wider_ramps():
    rgb, alpha = ramp_scene(ramp=16)
    soft = (alpha > 0) & (alpha < 1)
    default = error_to_f(decontaminate(rgb, alpha), soft)
    wide = error_to_f(decontaminate(rgb, alpha, radius=64), soft)
    assert wide < default < error_to_f(rgb, soft)


def test_estimate_foreground_keeps_the_image_where_opaque():
    rgb, alpha = ramp_scene()
    image = rgb.astype(np.float32) / 255
    f = estimate_foreground(image, alpha, radius=16)
    assert f.shape == image.shape and f.min() >= 0 and f.max() <= 1
    assert np.abs(f[alpha == 1] - image[alpha == 1]).max() < 1e-4
