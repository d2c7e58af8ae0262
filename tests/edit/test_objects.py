"""The object finder: the salient mask split into objects, parts that belong together merged,
specks dropped, small objects sharpened by the second (zoom-in) pass; one click picks a whole object.

The tiny test model calls bright pixels salient (see tests/conftest.py); it sees every image at
32 x 32, so a second pass on an object's box really does show it in more detail.
"""
from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from alphacut.edit import objects as finder
from alphacut.edit import select
from alphacut.errors import InputError


@pytest.fixture()
def matte(tiny_session):
    return lambda image: (tiny_session.predict(image), None)


def dark_noise(height: int, width: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 40, (height, width, 3), dtype=np.uint8)


def disc(shape: tuple[int, int], cx: float, cy: float, radius: float) -> np.ndarray:
    y, x = np.mgrid[0:shape[0], 0:shape[1]]
    return (x - cx) ** 2 + (y - cy) ** 2 <= radius ** 2


def iou(a: np.ndarray, b: np.ndarray) -> float:
    return float((a & b).sum() / (a | b).sum())


def test_separate_subjects_are_separate_objects_back_to_front(matte):
    rgb = dark_noise(120, 160)
    left, right = np.zeros((120, 160), bool), np.zeros((120, 160), bool)
    left[20:60, 20:60] = True
    right[50:100, 100:140] = True
    rgb[left], rgb[right] = (235, 230, 220), (220, 235, 240)
    found = finder.find_objects(rgb, matte)
    assert len(found) == 2
    back, front = found  # the box reaching lower is in front
    assert iou(back.mask(rgb.shape), left) > 0.9 and iou(front.mask(rgb.shape), right) > 0.9
    assert all(0.0 < o.score <= 1.0 for o in found)
    assert all(isinstance(v, int) for o in found for v in o.box)
    assert not (back.full_alpha(rgb.shape) * front.full_alpha(rgb.shape)).any()  # each pixel has one owner


def test_touching_blobs_of_different_colours_are_split_where_the_mask_narrows(matte):
    rgb = dark_noise(120, 200)
    one, two = disc((120, 200), 60, 60, 36), disc((120, 200), 140, 60, 36)
    bridge = np.zeros((120, 200), bool)
    bridge[57:63, 90:112] = True
    rgb[one | (bridge & (np.mgrid[0:120, 0:200][1] < 100))] = (250, 245, 120)  # yellow
    rgb[two | (bridge & (np.mgrid[0:120, 0:200][1] >= 100))] = (130, 250, 255)  # cyan
    found = finder.find_objects(rgb, matte, zoom=False)
    assert len(found) == 2
    assert max(iou(o.mask(rgb.shape), one) for o in found) > 0.85
    assert max(iou(o.mask(rgb.shape), two) for o in found) > 0.85


def test_a_narrow_neck_alone_does_not_split_one_colour(matte):
    rgb = dark_noise(120, 200)
    shape = disc((120, 200), 60, 60, 36) | disc((120, 200), 140, 60, 36)
    shape[57:63, 90:112] = True
    rgb[shape] = (240, 240, 240)
    assert len(finder.find_objects(rgb, matte, zoom=False)) == 1


def test_parts_cut_apart_along_a_long_contact_are_one_object(matte):
    """A rider and a bicycle the model cut apart at the pedals: close along a long edge, one object."""
    rgb = dark_noise(120, 160)
    rgb[20:60, 40:120] = (240, 240, 240)
    rgb[62:100, 40:120] = (230, 230, 230)  # 2 px below, along the whole width
    found = finder.find_objects(rgb, matte, zoom=False)
    assert len(found) == 1 and found[0].area > 0.9 * (40 * 80 + 38 * 80)


def test_specks_are_dropped_and_the_largest_objects_kept(matte):
    rgb = dark_noise(160, 160)
    rgb[10:70, 10:70] = 240  # 3600 px
    rgb[90:130, 90:130] = 240  # 1600 px
    rgb[20:45, 100:125] = 240  # 625 px
    rgb[140:143, 10:13] = 240  # a speck
    areas = sorted(o.area for o in finder.find_objects(rgb, matte, zoom=False))
    assert len(areas) == 3 and areas[0] > 500
    assert len(finder.find_objects(rgb, matte, zoom=False, min_area=1000)) == 2
    assert sorted(o.area for o in finder.find_objects(rgb, matte, zoom=False, max_objects=1)) == [max(areas)]
    with pytest.raises(InputError, match="max-objects"):
        finder.find_objects(rgb, matte, max_objects=0)


def test_the_zoom_in_pass_gives_small_objects_sharp_masks(matte):
    """At 32 x 32 the whole 256 px image blurs a 10 px wide bar; on the bar's own box it is sharp."""
    rgb = dark_noise(256, 256)
    bar = np.zeros((256, 256), bool)
    bar[60:200, 120:130] = True
    rgb[bar] = 245
    coarse = finder.find_objects(rgb, matte, zoom=False)
    sharp = finder.find_objects(rgb, matte, zoom=True)
    assert len(sharp) == 1
    assert iou(sharp[0].mask(rgb.shape), bar) > iou(coarse[0].mask(rgb.shape), bar) + 0.05
    assert iou(sharp[0].mask(rgb.shape), bar) > 0.8


def test_nothing_salient_is_no_object(matte):
    assert finder.find_objects(dark_noise(64, 64), matte) == []


def test_one_click_picks_the_whole_object_and_clicks_add_and_subtract(matte):
    rgb = dark_noise(120, 160)
    rgb[20:60, 40:120] = (240, 240, 240)  # the rider...
    rgb[62:100, 40:120] = (230, 230, 230)  # ...and the bicycle, cut apart by the model
    rgb[30:50, 130:150] = (235, 235, 235)  # a separate object
    rider_and_bike = np.zeros((120, 160), bool)
    rider_and_bike[20:100, 40:120] = True
    picked = select.pick_objects(rgb, matte, points=[(60, 30)]).alpha > 0.5
    assert iou(picked, rider_and_bike) > 0.9 and not picked[30:50, 130:150].any()
    both = select.pick_objects(rgb, matte, points=[(60, 30), (140, 40)]).alpha > 0.5
    assert both[30:50, 130:150].mean() > 0.9 and both[rider_and_bike].mean() > 0.9
    boxed = select.pick_objects(rgb, matte, box=(30, 10, 155, 110), points_off=[(140, 40)]).alpha > 0.5
    assert iou(boxed, rider_and_bike) > 0.9
    with pytest.raises(InputError, match="nothing picked"):
        select.pick_objects(rgb, matte, points=[(140, 40)], points_off=[(140, 40)])


def test_a_click_beside_every_object_looks_again_around_it(tiny_session):
    """A dim object next to a bright one: the whole-image pass sees only the bright one."""
    rgb = np.zeros((200, 300, 3), np.uint8)
    rgb[40:160, 20:140] = 255
    rgb[90:130, 220:260] = 150  # dim: only salient against black, in a window of its own
    contrast = lambda image: (np.clip((tiny_session.predict(image) - 0.3) * 3, 0, 1), None)  # noqa: E731
    picked = select.pick_objects(rgb, contrast, points=[(240, 110)]).alpha > 0.5
    assert picked[95:125, 225:255].mean() > 0.9 and not picked[:, :150].any()


@pytest.mark.parametrize("text", ["inf,0", "nan,3", "1", "a,b", "1,2,3"])
def test_bad_points_are_one_line_errors(text):
    with pytest.raises(InputError, match="--point X,Y"):
        select.parse_point(text)


def test_points_outside_the_image_are_refused(matte):
    rgb = dark_noise(40, 50)
    for point in [(50, 0), (-1, 3), (0, 40)]:
        with pytest.raises(InputError, match="outside the 50x40 image"):
            select.pick_objects(rgb, matte, points=[point])


def test_colours_of_a_pick_come_from_its_close_up_pass():
    alpha = np.zeros((4, 4), np.float32)
    alpha[1:3, 1:3] = 1.0
    found = finder.FoundObject((1, 1, 3, 3), alpha[1:3, 1:3], np.full((2, 2, 3), 200, np.uint8), 4, 1.0)
    colours = select.Pick(alpha, [found]).colours(np.zeros((4, 4, 3), np.uint8))
    assert (colours[1:3, 1:3] == 200).all() and colours.sum() == 4 * 3 * 200
    assert isinstance(Image.fromarray(colours), Image.Image)


def test_large_components_are_split_at_a_reduced_scale_and_keep_every_pixel():
    """Past SPLIT_SIDE px the split is found on a smaller copy and brought back to full size."""
    shape = (560, 1040)
    one, two = disc(shape, 262, 280, 250), disc(shape, 778, 280, 250)  # 16 px apart
    bridge = np.zeros(shape, bool)
    bridge[270:290, 505:535] = True
    rgb = np.zeros((*shape, 3), np.uint8)
    rgb[one | (bridge & (np.mgrid[0:560, 0:1040][1] < 520))] = (250, 245, 120)
    rgb[two | (bridge & (np.mgrid[0:560, 0:1040][1] >= 520))] = (130, 250, 255)
    component = one | two | bridge
    parts = finder._split_touching(rgb, component)
    assert parts.max() == 2 and np.array_equal(parts > 0, component)  # every pixel kept, nothing added
    assert max(iou(parts == label, one) for label in (1, 2)) > 0.97
