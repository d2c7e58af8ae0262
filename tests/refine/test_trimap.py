"""Trimaps from a coarse probability: sure inside, sure far outside, an unknown rim that scales with the image."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from alphacut.refine.trimap import BACKGROUND, FOREGROUND, UNKNOWN, band_width, trimap_from_probability


def radius_map(size: int) -> np.ndarray:
    y, x = np.mgrid[0:size, 0:size]
    return np.hypot(y - (size - 1) / 2, x - (size - 1) / 2)


def soft_disc(size: int, radius: float, softness: float = 4.0) -> np.ndarray:
    return np.clip((radius - radius_map(size)) / softness + 0.5, 0.0, 1.0).astype(np.float32)


def test_soft_disc_gives_inside_outside_and_rim():
    probability = soft_disc(96, 30)
    r = radius_map(96)
    trimap = trimap_from_probability(probability)
    assert trimap.dtype == np.uint8
    assert set(np.unique(trimap)) == {BACKGROUND, UNKNOWN, FOREGROUND}
    assert (trimap[r < 24] == FOREGROUND).all()  # well inside
    assert (trimap[r > 36] == BACKGROUND).all()  # far outside
    assert (trimap[np.abs(r - 30) < 2.5] == UNKNOWN).all()  # on the rim
    # every soft value of the model is in the band, whatever the width
    unsure = (probability > 0.05) & (probability < 0.95)
    assert (trimap[unsure] == UNKNOWN).all()


def test_band_width_scales_with_the_diagonal():
    assert band_width((10, 10)) == 2  # the minimum
    assert band_width((100, 100)) == 2
    assert band_width((600, 600)) == 5  # 0.006 x 848.5 = 5.09
    assert band_width((3000, 4000)) == 30  # 0.006 x 5000
    assert band_width((1000, 1000), fraction=0.012) == 17
    assert band_width((1000, 1000), minimum=0) == 8
    sizes = [64, 256, 1024, 4096]
    widths = [band_width((s, s)) for s in sizes]
    assert widths == sorted(widths) and widths[-1] > widths[0]


@pytest.mark.parametrize("size", [100, 600])
def test_rim_of_a_hard_disc_is_as_wide_as_the_band(size):
    probability = (radius_map(size) < size / 4).astype(np.float32)
    width = band_width((size, size))
    row = trimap_from_probability(probability)[size // 2]
    # two crossings of the outline, each: the pixel pair on either side of it plus `width` beyond each
    assert (row == UNKNOWN).sum() == 2 * (2 * width + 2)


def test_explicit_width_and_confidence_levels():
    probability = soft_disc(64, 20, softness=1.0)
    thin = trimap_from_probability(probability, width=1)
    wide = trimap_from_probability(probability, width=6)
    assert (thin == UNKNOWN).sum() < (wide == UNKNOWN).sum()
    flat = np.full((16, 16), 0.7, np.float32)  # unsure everywhere, no contour at all
    assert (trimap_from_probability(flat) == UNKNOWN).all()
    assert (trimap_from_probability(flat, low=0.05, high=0.6) == FOREGROUND).all()
    empty = np.zeros((16, 16), np.float32)
    assert (trimap_from_probability(empty) == BACKGROUND).all()


@given(arrays(np.float32, st.tuples(st.integers(1, 12), st.integers(1, 12)),
              elements=st.floats(0, 1, width=32)),
       st.integers(0, 4))
def test_trimap_values_and_sure_regions_agree_with_probability(probability, width):
    trimap = trimap_from_probability(probability, width=width)
    assert trimap.shape == probability.shape
    assert set(np.unique(trimap)) <= {BACKGROUND, UNKNOWN, FOREGROUND}
    # sure foreground only where the model is confident of the subject, sure background only
    # where it is confident of the background
    assert (probability[trimap == FOREGROUND] >= 0.95).all()
    assert (probability[trimap == BACKGROUND] <= 0.05).all()
    # a pixel on either side of the 0.5 contour is never sure
    subject = probability >= 0.5
    if subject.any() and not subject.all():
        assert (trimap[subject] != BACKGROUND).all()
        assert (trimap[~subject] != FOREGROUND).all()
