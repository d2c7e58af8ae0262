"""Colour consensus: GrabCut's colour evidence pulls the model's unsure pixels towards the truth."""
from __future__ import annotations

import numpy as np
import pytest

from alphacut.refine.consensus import colour_consensus


@pytest.fixture(scope="module")
def strands() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """An orange block with three thin strands on a blue background; the model is sure of the block
    and of the far background but gives the strands (and the background between them) 0.3."""
    rng = np.random.default_rng(1)
    truth = np.zeros((90, 120), bool)
    truth[40:85, 20:100] = True
    for column in (40, 60, 80):
        truth[5:40, column:column + 3] = True
    rgb = np.where(truth[..., None], [235, 140, 30], [40, 70, 190]).astype(np.float64)
    rgb = np.clip(rgb + rng.normal(0, 6, rgb.shape), 0, 255).astype(np.uint8)
    probability = np.where(truth, 1.0, 0.0).astype(np.float32)
    probability[3:40, 30:95] = 0.3
    return rgb, probability, truth


def test_unsure_pixels_move_towards_their_colour(strands):
    rgb, probability, truth = strands
    fused = colour_consensus(rgb, probability)
    unsure = (probability > 0.05) & (probability < 0.95)
    error_before = np.abs(probability - truth)[unsure].mean()
    error_after = np.abs(fused - truth)[unsure].mean()
    assert error_after <= 0.51 * error_before  # GrabCut right everywhere: the mean halves the error
    assert fused[truth & unsure].min() > 0.6  # strands now mostly foreground
    assert fused[~truth & unsure].max() < 0.2  # the blue between them mostly background


def test_sure_pixels_and_weight_zero_keep_the_model(strands):
    rgb, probability, _ = strands
    fused = colour_consensus(rgb, probability)
    sure = (probability <= 0.05) | (probability >= 0.95)
    assert np.array_equal(fused[sure], probability[sure])
    assert fused.dtype == np.float32 and fused.shape == probability.shape
    assert np.array_equal(colour_consensus(rgb, probability, weight=0.0), probability)
