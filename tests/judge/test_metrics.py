"""alphacut.judge.metrics against values counted by hand on tiny arrays, and against the papers'
definitions written out as plain loops."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from alphacut.judge import metrics
from alphacut.judge.metrics import (
    boundary_f,
    connectivity_error,
    e_measure,
    f_measure_curve,
    gradient_error,
    iou,
    mae,
    max_f_measure,
    mean_f_measure,
    mse,
    s_measure,
    sad,
    weighted_f_measure,
)


def square(size: int, top: int, left: int, side: int) -> np.ndarray:
    mask = np.zeros((size, size))
    mask[top:top + side, left:left + side] = 1.0
    return mask


# ---------------------------------------------------------------- IoU and MAE


def test_iou_counts_pixels_above_the_threshold():
    gt = np.zeros((4, 4))
    gt[0:2, 0:3] = 1  # 6 pixels
    pred = np.zeros((4, 4))
    pred[0:3, 0:2] = 0.8  # 6 pixels, 4 of them in gt (rows 0-1, cols 0-1)
    pred[3, 3] = 0.5  # not > 0.5
    # intersection 4, union 6 + 6 - 4 = 8
    assert iou(pred, gt) == pytest.approx(4 / 8)
    # at threshold 0.4 the corner joins the prediction: union 9
    assert iou(pred, gt, threshold=0.4) == pytest.approx(4 / 9)


def test_iou_of_two_empty_masks_is_one_and_of_disjoint_masks_zero():
    empty = np.zeros((5, 5))
    assert iou(empty, empty) == 1.0
    assert iou(square(5, 0, 0, 2), square(5, 3, 3, 2)) == 0.0
    assert iou(empty, square(5, 0, 0, 2)) == 0.0


def test_mae_by_hand():
    pred = np.array([[0.0, 0.5], [1.0, 0.25]])
    gt = np.array([[0.0, 1.0], [1.0, 0.0]])
    # |0-0| + |0.5-1| + |1-1| + |0.25-0| = 0.75, over 4 pixels
    assert mae(pred, gt) == pytest.approx(0.1875)
    assert mae(gt, gt) == 0.0


# ---------------------------------------------------------------- F-measures (beta^2 = 0.3)


@pytest.fixture()
def two_false_positives() -> tuple[np.ndarray, np.ndarray]:
    """4 x 4, truth = the central 2 x 2 (4 px); the prediction is 1 there and 153/255 on two
    background corners, 0 elsewhere."""
    gt = square(4, 1, 1, 2)
    pred = gt.copy()
    pred[0, 0] = pred[3, 3] = 153 / 255
    return pred, gt


def test_f_measure_curve_by_hand(two_false_positives):
    pred, gt = two_false_positives
    curve = f_measure_curve(pred, gt)
    assert curve.shape == (256,)
    # t = 0: all 16 pixels predicted; precision 4/16, recall 1:
    #   F = 1.3 * 0.25 * 1 / (0.3 * 0.25 + 1) = 0.325 / 1.075
    f_all = 0.325 / 1.075
    # 1 <= t <= 153: 6 predicted, 4 right; precision 2/3, recall 1:
    #   F = 1.3 * (2/3) / (0.3 * 2/3 + 1) = 0.8667 / 1.2 = 0.7222
    f_six = 1.3 * (2 / 3) / (0.2 + 1)
    # 154 <= t <= 255: exactly the truth: F = 1
    assert curve[0] == pytest.approx(f_all)
    assert curve[1:154] == pytest.approx(np.full(153, f_six))
    assert curve[154:] == pytest.approx(np.ones(102))
    assert max_f_measure(pred, gt) == pytest.approx(1.0)
    # mean over 256 thresholds = (0.30233 + 153 * 0.72222 + 102 * 1) / 256 = 0.83126
    assert mean_f_measure(pred, gt) == pytest.approx((f_all + 153 * f_six + 102) / 256)
    assert mean_f_measure(pred, gt) == pytest.approx(0.831259, abs=1e-6)


def test_f_measure_with_half_recall():
    gt = np.zeros((4, 4))
    gt[0, :] = 1  # 4 pixels
    pred = np.zeros((4, 4))
    pred[0, :2] = 1  # 2 of them, no false positive: precision 1, recall 0.5
    # F = 1.3 * 1 * 0.5 / (0.3 * 1 + 0.5) = 0.65 / 0.8 = 0.8125 at every t >= 1
    curve = f_measure_curve(pred, gt)
    assert curve[1:] == pytest.approx(np.full(255, 0.8125))
    # t = 0 takes all 16: precision 0.25, recall 1 -> 0.325 / 1.075
    assert curve[0] == pytest.approx(0.325 / 1.075)


def test_weighted_f_measure_extremes():
    gt = square(32, 8, 8, 16)  # far enough from the border that the 7 x 7 smoothing sees no padding
    assert weighted_f_measure(gt, gt) == pytest.approx(1.0)
    assert weighted_f_measure(1 - gt, gt) == pytest.approx(0.0, abs=1e-6)
    worse = gt.copy()
    worse[8:24, 8:16] = 0  # half the subject lost
    assert 0.0 < weighted_f_measure(worse, gt) < weighted_f_measure(gt, gt)


# ---------------------------------------------------------------- S-measure


def test_s_measure_perfect_and_empty_truth():
    gt = square(6, 1, 2, 3)
    assert s_measure(gt, gt) == pytest.approx(1.0)
    empty = np.zeros((5, 5))
    pred = np.zeros((5, 5))
    pred[0, :] = 0.5  # mean(pred) = 2.5 / 25 = 0.1
    assert s_measure(pred, empty) == pytest.approx(0.9)
    full = np.ones((5, 5))
    assert s_measure(pred, full) == pytest.approx(0.1)  # all-subject truth: mean(pred)


def test_s_measure_prefers_the_closer_prediction():
    gt = square(16, 4, 4, 8)
    near = np.roll(gt, 1, axis=1)
    far = np.roll(gt, 4, axis=1)
    assert 0.0 <= s_measure(far, gt) < s_measure(near, gt) < 1.0
    assert s_measure(1 - gt, gt) == pytest.approx(0.0)


# ---------------------------------------------------------------- E-measure


def e_measure_by_definition(pred: np.ndarray, gt: np.ndarray) -> float:
    """Fan et al. (IJCAI 2018), one binarisation per threshold, every pixel visited."""
    eps = np.finfo(np.float64).eps
    g = (gt > 0.5).astype(np.float64)
    scores = []
    for t in range(256):
        b = (pred * 255 >= t).astype(np.float64)
        if g.sum() == 0:
            enhanced = 1 - b
        elif g.sum() == g.size:
            enhanced = b
        else:
            bc, gc = b - b.mean(), g - g.mean()
            align = 2 * bc * gc / (bc**2 + gc**2 + eps)
            enhanced = (align + 1) ** 2 / 4
        scores.append(enhanced.mean())
    return float(np.mean(scores))


@pytest.mark.parametrize("seed", range(4))
def test_e_measure_matches_the_definition(seed):
    rng = np.random.default_rng(seed)
    gt = (rng.random((5, 6)) > 0.6).astype(np.float64)
    pred = rng.integers(0, 256, (5, 6)) / 255.0  # 8-bit levels: pred * 255 is exactly the level
    assert np.array_equal(pred * 255, np.rint(pred * 255))
    assert e_measure(pred, gt) == pytest.approx(e_measure_by_definition(pred, gt), abs=1e-12)


def test_e_measure_special_truths_and_perfect_prediction():
    rng = np.random.default_rng(9)
    pred = rng.integers(0, 256, (4, 4)) / 255.0
    for gt in (np.zeros((4, 4)), np.ones((4, 4))):
        assert e_measure(pred, gt) == pytest.approx(e_measure_by_definition(pred, gt), abs=1e-12)
    gt = square(4, 1, 1, 2)
    # a perfect prediction scores 1 at every threshold but t = 0, where the binarised map is all
    # subject, its deviation from its mean is 0 everywhere, so alignment 0 and enhanced 1/4
    assert e_measure(gt, gt) == pytest.approx((255 + 0.25) / 256)
    assert e_measure(gt, gt) == pytest.approx(e_measure_by_definition(gt, gt), abs=1e-12)


# ---------------------------------------------------------------- boundary F


def test_boundary_f_tolerates_small_shifts_only():
    mask = square(40, 10, 10, 20)
    assert boundary_f(mask, mask) == pytest.approx(1.0)
    assert boundary_f(np.roll(mask, 1, axis=1), mask, tolerance=3) == pytest.approx(1.0)
    far = np.roll(mask, (10, 10), axis=(0, 1))
    assert boundary_f(far, mask, tolerance=3) < 0.3
    assert boundary_f(np.zeros((8, 8)), np.zeros((8, 8))) == 1.0
    assert boundary_f(np.zeros((8, 8)), square(8, 2, 2, 4)) == 0.0


# ---------------------------------------------------------------- matting errors


@pytest.fixture()
def matte_pair() -> tuple[np.ndarray, np.ndarray]:
    gt = square(4, 1, 1, 2)
    pred = gt.copy()
    pred[1, 1] = 0.5  # |diff| 0.5
    pred[0, 0] = 0.25  # |diff| 0.25
    pred[3, 3] = 1.0  # |diff| 1.0
    return pred, gt


def test_sad_and_mse_by_hand(matte_pair):
    pred, gt = matte_pair
    # SAD = 0.5 + 0.25 + 1.0 = 1.75, in thousands
    assert sad(pred, gt) == pytest.approx(0.00175)
    # MSE = (0.25 + 0.0625 + 1) / 16 = 0.08203125, x 1e3
    assert mse(pred, gt) == pytest.approx(82.03125)


def test_sad_and_mse_over_a_region(matte_pair):
    pred, gt = matte_pair
    region = np.zeros((4, 4), bool)
    region[:2] = True  # top 8 pixels: holds (0, 0) and (1, 1), not (3, 3)
    # SAD = 0.25 + 0.5 = 0.75 -> 0.00075; MSE = (0.0625 + 0.25) / 8 = 0.0390625 -> 39.0625
    assert sad(pred, gt, region) == pytest.approx(0.00075)
    assert mse(pred, gt, region) == pytest.approx(39.0625)
    nowhere = np.zeros((4, 4), bool)
    assert sad(pred, gt, nowhere) == 0.0 and mse(pred, gt, nowhere) == 0.0


def test_gradient_and_connectivity_errors():
    gt = square(24, 6, 6, 12)
    soft = gt.copy()
    soft[6:18, 6] = 0.5  # a soft column on the left edge
    assert gradient_error(gt, gt) == 0.0
    assert gradient_error(soft, gt) > 0.0
    assert gradient_error(np.roll(gt, 2, axis=1), gt) > gradient_error(soft, gt)
    assert connectivity_error(gt, gt) == 0.0
    assert connectivity_error(soft, soft) == 0.0
    island = gt.copy()
    island[1:3, 1:3] = 1.0  # a piece of alpha cut off from the subject
    assert connectivity_error(island, gt) > 0.0
    region = np.zeros_like(gt, bool)
    region[12:, 12:] = True  # far from the island
    assert connectivity_error(island, gt, region) == 0.0


# ---------------------------------------------------------------- properties

masks = arrays(np.float64, st.tuples(st.integers(2, 9), st.integers(2, 9)), elements=st.sampled_from([0.0, 1.0]))


@given(masks, st.data())
def test_iou_and_boundary_f_are_symmetric_and_bounded(a, data):
    b = data.draw(arrays(np.float64, a.shape, elements=st.sampled_from([0.0, 1.0])))
    for metric in (iou, boundary_f):
        forward, backward = metric(a, b), metric(b, a)
        assert 0.0 <= forward <= 1.0
        assert forward == pytest.approx(backward)
    assert iou(a, a) == 1.0 and boundary_f(a, a) == pytest.approx(1.0)


@settings(max_examples=30)
@given(masks)
def test_every_binary_metric_is_perfect_on_the_truth(gt):
    if 0 < gt.mean() < 1:  # constant truths have their own conventions, tested above
        assert s_measure(gt, gt) == pytest.approx(1.0)
        assert e_measure(gt, gt) == pytest.approx((255 + 0.25) / 256)
    assert max_f_measure(gt, gt) == pytest.approx(1.0) or not gt.any()
    assert mae(gt, gt) == 0.0 and sad(gt, gt) == 0.0 and mse(gt, gt) == 0.0


def test_beta2_is_the_salient_object_convention():
    assert metrics.BETA2 == 0.3
