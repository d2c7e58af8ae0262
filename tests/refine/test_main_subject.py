"""Main-subject mode: a sharp central subject stays, a smaller blurred bystander goes."""
from __future__ import annotations

import cv2
import numpy as np
import pytest

from alphacut.refine.main_subject import component_scores, keep_main_subject

HEIGHT, WIDTH = 120, 160
GREY = np.array([128, 128, 128])


def disc(cy: float, cx: float, radius: float) -> np.ndarray:
    y, x = np.mgrid[0:HEIGHT, 0:WIDTH]
    return np.hypot(y - cy, x - cx) <= radius


@pytest.fixture(scope="module")
def texture() -> np.ndarray:
    return np.random.default_rng(1).integers(0, 256, (HEIGHT, WIDTH, 3)).astype(np.uint8)


@pytest.fixture()
def scene(texture) -> dict[str, np.ndarray]:
    """A sharp textured disc in the middle, a smaller textured blob top right, Gaussian-blurred."""
    main, blob = disc(60, 80, 30), disc(25, 135, 18)
    rgb = np.broadcast_to(GREY, (HEIGHT, WIDTH, 3)).astype(np.uint8).copy()
    rgb[main] = texture[main]
    blurred = cv2.GaussianBlur(np.where(blob[..., None], texture, GREY).astype(np.uint8), (0, 0), 4)
    rgb[blob] = blurred[blob]
    return {"rgb": rgb, "main": main, "blob": blob, "alpha": (main | blob).astype(np.float32)}


def test_blurred_off_centre_blob_is_dropped(scene):
    out = keep_main_subject(scene["rgb"], scene["alpha"])
    assert out.dtype == scene["alpha"].dtype
    assert (out[scene["main"]] == 1).all()
    assert (out[scene["blob"]] == 0).all()
    assert (scene["alpha"][scene["blob"]] == 1).all()  # the input is not modified


def test_scores_rank_the_sharp_central_subject_first(scene):
    labels, scores = component_scores(scene["rgb"], scene["alpha"])
    assert labels.max() == 2 and len(scores) == 3 and scores[0] == 0
    main_label = labels[60, 80]
    blob_label = labels[25, 135]
    assert scores[main_label] > 5 * scores[blob_label]


def test_soft_fringe_goes_with_its_component(scene):
    y, x = np.mgrid[0:HEIGHT, 0:WIDTH]
    r_blob = np.hypot(y - 25, x - 135)
    fringe = (r_blob > 18) & (r_blob <= 21)
    r_main = np.hypot(y - 60, x - 80)
    main_fringe = (r_main > 30) & (r_main <= 32)
    alpha = scene["alpha"].copy()
    alpha[fringe] = 0.3
    alpha[main_fringe] = 0.3
    out = keep_main_subject(scene["rgb"], alpha)
    assert (out[fringe] == 0).all()
    assert (out[main_fringe] == 0.3).all()


def test_two_similar_subjects_are_both_kept(texture):
    left, right = disc(60, 50, 25), disc(60, 110, 25)
    rgb = np.broadcast_to(GREY, (HEIGHT, WIDTH, 3)).astype(np.uint8).copy()
    rgb[left | right] = texture[left | right]
    alpha = (left | right).astype(np.float32)
    out = keep_main_subject(rgb, alpha)
    assert np.array_equal(out, alpha)


def test_single_component_and_empty_alpha_are_returned_as_is(scene):
    alpha = scene["main"].astype(np.float32)
    assert keep_main_subject(scene["rgb"], alpha) is alpha
    empty = np.zeros((HEIGHT, WIDTH), np.float32)
    assert np.array_equal(keep_main_subject(scene["rgb"], empty), empty)


def test_uint8_alpha_keeps_its_dtype(scene):
    alpha = (scene["alpha"] * 255).astype(np.uint8)
    out = keep_main_subject(scene["rgb"], alpha)
    assert out.dtype == np.uint8
    assert (out[scene["main"]] == 255).all() and (out[scene["blob"]] == 0).all()
