"""Gaps: background seen through a ring-shaped subject, found whether the model left the hole
open or filled it in."""
from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from alphacut.refine.gaps import background_colour_gaps, enclosed_regions
from alphacut.refine.presets import PRESETS
from alphacut.refine.refiner import refine

SIZE = 96
RED = np.array([200, 50, 50])
GREEN = np.array([40, 160, 60])


def radius_map(size: int = SIZE) -> np.ndarray:
    y, x = np.mgrid[0:size, 0:size]
    return np.hypot(y - (size - 1) / 2, x - (size - 1) / 2)


@pytest.fixture()
def ring() -> dict[str, np.ndarray]:
    """A red ring (radii 14..36) on green; the hole shows the green background. Mild noise, as in a photo."""
    r = radius_map()
    subject = (r >= 14) & (r <= 36)
    rgb = np.where(subject[..., None], RED, GREEN).astype(np.float64)
    rgb += np.random.default_rng(0).normal(0, 4, rgb.shape)
    return {
        "rgb": np.clip(np.rint(rgb), 0, 255).astype(np.uint8),
        "subject": subject,
        "hole": r < 14,
        "filled": (r <= 36).astype(np.float32),  # what a silhouette model predicts: hole closed, probability 1
    }


def test_enclosed_regions_finds_the_hole(ring):
    assert np.array_equal(enclosed_regions(ring["subject"]), ring["hole"])
    assert not enclosed_regions(ring["filled"] >= 0.5).any()
    open_c = ring["subject"].copy()
    open_c[SIZE // 2 - 3:SIZE // 2 + 3, SIZE // 2:] = False  # a slot from the hole to the outside
    assert not enclosed_regions(open_c).any()


def test_filled_hole_with_the_background_colour_is_a_gap(ring):
    gaps = background_colour_gaps(ring["rgb"], ring["filled"])
    hole = ring["hole"]
    assert (gaps & hole).sum() >= 0.8 * hole.sum()
    assert not (gaps & ~hole).any()


def test_unsure_filled_hole_is_a_gap_too(ring):
    probability = ring["filled"].copy()
    probability[ring["hole"]] = 0.8
    gaps = background_colour_gaps(ring["rgb"], probability)
    assert (gaps & ring["hole"]).sum() >= 0.8 * ring["hole"].sum() and not (gaps & ~ring["hole"]).any()


def test_hole_in_the_subject_colour_is_no_gap(ring):
    solid = np.where((ring["filled"] > 0)[..., None], RED, GREEN).astype(np.uint8)
    assert not background_colour_gaps(solid, ring["filled"]).any()


def test_a_differently_coloured_part_of_the_subject_is_no_gap(ring):
    rgb = ring["rgb"].copy()
    rgb[ring["hole"]] = (240, 230, 60)  # yellow: neither the ring's nor the background's colour
    assert not background_colour_gaps(rgb, ring["filled"]).any()


def test_small_subjects_and_missing_sure_regions_give_nothing(ring):
    tiny = np.zeros((SIZE, SIZE), np.float32)
    tiny[:5, :5] = 1
    assert not background_colour_gaps(ring["rgb"], tiny).any()
    unsure = np.full((SIZE, SIZE), 0.6, np.float32)  # no sure background at all
    assert not background_colour_gaps(ring["rgb"], unsure).any()


def test_product_preset_makes_the_filled_hole_transparent(ring):
    refined = refine(Image.fromarray(ring["rgb"]), lambda image: ring["filled"].copy(), PRESETS["product"])
    r = radius_map()
    assert refined.alpha[r < 10].max() < 0.05  # the hole's middle is clear
    assert refined.alpha[(r > 18) & (r < 32)].min() > 0.95  # the ring stays
    assert refined.alpha[r > 40].max() < 0.05
    assert "gaps" in refined.timings


def test_raw_preset_keeps_the_model_hole_filled(ring):
    refined = refine(Image.fromarray(ring["rgb"]), lambda image: ring["filled"].copy(), PRESETS["raw"])
    assert refined.alpha[ring["hole"]].min() == 1.0
    assert "gaps" not in refined.timings
