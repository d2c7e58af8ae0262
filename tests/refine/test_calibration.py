"""The logit curve: identity, monotone, known values, and what gain and bias do to a soft edge."""
from __future__ import annotations

import numpy as np
import pytest

from alphacut.refine.calibration import calibrate


def test_identity_leaves_the_values():
    p = np.linspace(0, 1, 101, dtype=np.float32)
    assert np.array_equal(calibrate(p), p)


def test_known_values():
    p = np.array([0.5, 1 / (1 + np.exp(-1.0)), 0.0, 1.0], np.float32)
    out = calibrate(p, gain=2.0, bias=0.5)
    expected_second = 1 / (1 + np.exp(-(2.0 * 1.0 + 0.5)))
    assert out[0] == pytest.approx(1 / (1 + np.exp(-0.5)), abs=1e-6)
    assert out[1] == pytest.approx(expected_second, abs=1e-5)
    assert out[2] < 1e-6 and out[3] > 1 - 1e-6


def test_gain_sharpens_a_soft_ramp_towards_its_truth():
    """A blurred step (the model's greys at an edge) is closer to the true step after gain > 1."""
    x = np.linspace(-3, 3, 601, dtype=np.float32)
    truth = (x > 0).astype(np.float32)
    soft = 1 / (1 + np.exp(-2 * x))
    assert np.abs(calibrate(soft, gain=3.0) - truth).mean() < np.abs(soft - truth).mean() / 2


def test_bias_moves_the_half_contour_outwards():
    soft = np.linspace(0.01, 0.99, 99, dtype=np.float32)
    assert (calibrate(soft, bias=1.0) >= 0.5).sum() > (soft >= 0.5).sum()
    assert np.all(np.diff(calibrate(soft, gain=2.0, bias=1.0)) > 0)  # still increasing


def test_gain_must_be_positive():
    with pytest.raises(ValueError):
        calibrate(np.zeros(3, np.float32), gain=0.0)
