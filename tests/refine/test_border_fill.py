"""The classical border flood fill: exact on a sprite over a flat colour."""
from __future__ import annotations

import numpy as np

from alphacut.refine.border_fill import border_colour, border_fill_mask, border_is_flat


def sprite_scene() -> tuple[np.ndarray, np.ndarray]:
    rgb = np.zeros((40, 50, 3), np.uint8)
    rgb[:] = (0, 200, 0)
    subject = np.zeros((40, 50), bool)
    subject[10:30, 12:40] = True
    rgb[subject] = (200, 30, 30)
    rgb[15:20, 20:25] = (0, 200, 0)  # an inner patch of the background colour, not reachable from the border
    return rgb, subject


def test_sprite_on_a_flat_colour_gives_the_exact_mask():
    rgb, subject = sprite_scene()
    mask = border_fill_mask(rgb)
    assert mask.dtype == np.float32 and set(np.unique(mask)) == {0.0, 1.0}
    assert np.array_equal(mask.astype(bool), subject)  # the enclosed green patch stays subject


def test_tolerance_decides_what_joins_the_background():
    rgb, subject = sprite_scene()
    rgb[10:30, 12:14] = (20, 190, 10)  # the subject's left column is almost the background's green
    assert not border_fill_mask(rgb, tolerance=30)[10:30, 12:14].any()
    assert border_fill_mask(rgb, tolerance=10)[10:30, 12:14].all()


def test_border_colour_is_the_median_of_the_ring():
    rgb, _ = sprite_scene()
    rgb[0, :5] = (255, 255, 255)  # a few odd pixels on the border do not move the median
    assert np.array_equal(border_colour(rgb), [0, 200, 0])


def test_border_is_flat():
    rgb, _ = sprite_scene()
    assert border_is_flat(rgb)
    rng = np.random.default_rng(0)
    noisy = np.clip(rgb.astype(np.float64) + rng.normal(0, 12, rgb.shape), 0, 255).astype(np.uint8)
    assert not border_is_flat(noisy)
    slight = np.clip(rgb.astype(np.float64) + rng.normal(0, 1, rgb.shape), 0, 255).astype(np.uint8)
    assert border_is_flat(slight)  # JPEG-like wobble of a pixel or two is still flat
