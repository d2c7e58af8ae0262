"""GrabCut seeded by a coarse mask: it snaps a too-small or too-large mask to the colour edge."""
from __future__ import annotations

import cv2
import numpy as np
import pytest
from scipy import ndimage

from alphacut.judge.metrics import iou
from alphacut.refine.grabcut import grabcut_refine, grabcut_seeded


@pytest.fixture(scope="module")
def scene() -> tuple[np.ndarray, np.ndarray]:
    """A yellow rectangle on blue, both with mild noise."""
    rng = np.random.default_rng(0)
    truth = np.zeros((80, 100), bool)
    truth[20:60, 30:75] = True
    colours = np.where(truth[..., None], [230, 200, 40], [30, 60, 200]).astype(np.float64)
    rgb = np.clip(colours + rng.normal(0, 8, colours.shape), 0, 255).astype(np.uint8)
    return rgb, truth


@pytest.mark.parametrize("wrong", ["eroded", "dilated"])
def test_grabcut_improves_a_wrong_coarse_mask(scene, wrong):
    rgb, truth = scene
    morph = ndimage.binary_erosion if wrong == "eroded" else ndimage.binary_dilation
    coarse = morph(truth, iterations=4)
    # a soft model output: the true edge lies in its unsure band (0.05 < p < 0.95)
    probability = cv2.GaussianBlur(coarse.astype(np.float32), (0, 0), 4)
    before = iou(probability, truth)
    alpha = grabcut_refine(rgb, probability)
    assert alpha.shape == truth.shape and alpha.dtype == np.float32
    assert set(np.unique(alpha)) <= {0.0, 1.0}
    after = iou(alpha, truth)
    assert before < 0.85
    assert after > 0.97 and after > before


def test_large_images_are_cut_on_a_smaller_copy(scene):
    rgb, truth = scene
    big_rgb = cv2.resize(rgb, (400, 320), interpolation=cv2.INTER_NEAREST)
    big_truth = cv2.resize(truth.astype(np.uint8), (400, 320), interpolation=cv2.INTER_NEAREST).astype(bool)
    coarse = ndimage.binary_dilation(big_truth, iterations=12)
    probability = cv2.GaussianBlur(coarse.astype(np.float32), (0, 0), 12)
    alpha = grabcut_refine(big_rgb, probability, max_side=100)
    assert alpha.shape == big_truth.shape
    assert iou(alpha, big_truth) > max(0.9, iou(probability, big_truth))


def test_without_sure_seeds_the_coarse_mask_is_thresholded(scene):
    rgb, _ = scene
    probability = np.full(rgb.shape[:2], 0.6, np.float32)  # unsure everywhere: nothing to seed GrabCut
    probability[:10] = 0.3
    alpha = grabcut_refine(rgb, probability)
    assert np.array_equal(alpha, (probability >= 0.5).astype(np.float32))


@pytest.mark.parametrize("max_side", [640, 50])
def test_seeded_grabcut_cuts_the_object_out_of_a_box_at_full_size(scene, max_side):
    rgb, truth = scene
    seeds = np.full(truth.shape, cv2.GC_BGD, np.uint8)
    seeds[12:68, 22:85] = cv2.GC_PR_FGD  # a loose box around the rectangle
    before = seeds.copy()
    cut = grabcut_seeded(rgb, seeds, iterations=4, max_side=max_side)
    assert cut.shape == truth.shape and cut.dtype == bool
    assert np.array_equal(seeds, before)  # the caller's seeds are not overwritten
    assert iou(cut.astype(np.float32), truth) > (0.97 if max_side == 640 else 0.9)


def test_seeded_grabcut_keeps_the_seeds_when_there_is_nothing_to_separate(scene):
    rgb, truth = scene
    only_foreground = np.where(truth, cv2.GC_FGD, cv2.GC_PR_FGD).astype(np.uint8)
    assert grabcut_seeded(rgb, only_foreground, iterations=4, max_side=640).all()
    only_background = np.full(truth.shape, cv2.GC_PR_BGD, np.uint8)
    assert not grabcut_seeded(rgb, only_background, iterations=4, max_side=640).any()
