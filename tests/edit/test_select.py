"""Picking objects: a click or a box through the object finder, the baseline component pick; mask files."""
from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from alphacut.edit import select
from alphacut.errors import InputError


def two_squares() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Two bright squares on a dark, noisy background; their true masks."""
    rng = np.random.default_rng(0)
    rgb = rng.integers(0, 40, (120, 160, 3), dtype=np.uint8)
    left = np.zeros((120, 160), bool)
    left[30:70, 20:60] = True
    right = np.zeros((120, 160), bool)
    right[50:100, 100:140] = True
    rgb[left] = (235, 230, 220)
    rgb[right] = (220, 235, 240)
    return rgb, left, right


def iou(a: np.ndarray, b: np.ndarray) -> float:
    return float((a & b).sum() / (a | b).sum())


def matte_of(session):
    return lambda image: (session.predict(image), None)


def test_a_click_picks_the_object_under_it_and_only_that(tiny_session):
    rgb, left, right = two_squares()
    picked = select.pick_objects(rgb, matte_of(tiny_session), points=[(40, 50)]).alpha > 0.5
    assert iou(picked, left) > 0.95
    assert not (picked & right).any()


def test_a_click_on_background_finds_nothing(tiny_session):
    rgb, _, _ = two_squares()
    with pytest.raises(InputError, match="no object found under the point"):
        select.pick_objects(rgb, matte_of(tiny_session), points=[(80, 10)])


def test_a_click_outside_the_image_is_refused(tiny_session):
    rgb, _, _ = two_squares()
    with pytest.raises(InputError, match="outside"):
        select.pick_objects(rgb, matte_of(tiny_session), points=[(500, 10)])


def test_a_box_picks_the_object_inside_it(tiny_session):
    rgb, left, right = two_squares()
    picked = select.pick_objects(rgb, matte_of(tiny_session), box=(90, 40, 150, 110)).alpha > 0.5
    assert iou(picked, right) > 0.95
    assert not (picked & left).any()


def test_the_baseline_pick_takes_the_component_under_the_click(tiny_session):
    rgb, left, right = two_squares()
    picked = select.component_at_point(rgb, (40, 50), tiny_session.predict)
    assert iou(picked, left) > 0.95 and not (picked & right).any()
    with pytest.raises(InputError, match="no object found under the point"):
        select.component_at_point(rgb, (80, 10), tiny_session.predict)


def test_mask_files_are_read_resized_and_checked(tmp_path):
    mask = np.zeros((30, 40), np.uint8)
    mask[10:20, 10:30] = 255
    Image.fromarray(mask).save(tmp_path / "mask.png")
    read = select.mask_from_file(tmp_path / "mask.png", (80, 60))  # twice the size: resized
    assert read.shape == (60, 80) and read[20:40, 20:60].all() and read.sum() == 20 * 40
    Image.fromarray(mask).resize((40, 40)).save(tmp_path / "square.png")
    with pytest.raises(InputError, match="mask is 40x40"):
        select.mask_from_file(tmp_path / "square.png", (80, 60))
    Image.fromarray(np.zeros((30, 40), np.uint8)).save(tmp_path / "empty.png")
    with pytest.raises(InputError, match="selects nothing"):
        select.mask_from_file(tmp_path / "empty.png", (40, 30))


def test_a_cutout_alpha_is_a_mask(tmp_path):
    rgba = np.zeros((20, 20, 4), np.uint8)
    rgba[..., :3] = 255  # white everywhere: only the alpha tells the object apart
    rgba[5:10, 5:10, 3] = 255
    Image.fromarray(rgba, "RGBA").save(tmp_path / "cutout.png")
    assert select.mask_from_file(tmp_path / "cutout.png", (20, 20)).sum() == 25


@pytest.mark.parametrize("text", ["1", "a,b", "1,2,3"])
def test_bad_points_are_input_errors(text):
    with pytest.raises(InputError, match="--point"):
        select.parse_point(text)


def test_boxes_are_parsed_and_checked():
    assert select.parse_box("1,2,30,40") == (1, 2, 30, 40)
    with pytest.raises(InputError, match="greater"):
        select.parse_box("30,2,1,40")


def test_grow_dilates_by_a_disc():
    mask = np.zeros((21, 21), bool)
    mask[10, 10] = True
    grown = select.grow(mask, 3)
    assert grown[10, 7] and grown[10, 13] and grown[7, 10] and not grown[7, 7]
    assert np.array_equal(select.grow(mask, 0), mask)
