"""Matting inside the trimap band: a soft-edged disc on a coloured background, where the true
alpha is known. Both solvers must beat the coarse probability in the band and never touch sure pixels."""
from __future__ import annotations

import cv2
import numpy as np
import pymatting  # noqa: F401  (numba start-up, about a second, paid at collection, not by one test)
import pytest

from alphacut.refine.guided_filter import guided_filter
from alphacut.refine.matting import METHODS, matte, sample_bilinear
from alphacut.refine.trimap import BACKGROUND, FOREGROUND, UNKNOWN, trimap_from_probability

FG = np.array([220.0, 40.0, 40.0])
BG = np.array([30.0, 90.0, 200.0])
SIZE = 96


def soft_disc(size: int, radius: float, softness: float) -> np.ndarray:
    y, x = np.mgrid[0:size, 0:size]
    r = np.hypot(y - (size - 1) / 2, x - (size - 1) / 2)
    return np.clip((radius - r) / softness + 0.5, 0.0, 1.0).astype(np.float32)


@pytest.fixture(scope="module")
def scene() -> dict[str, np.ndarray]:
    true_alpha = soft_disc(SIZE, 29, softness=3.0)
    a = true_alpha[..., None].astype(np.float64)
    rgb = np.rint(a * FG + (1 - a) * BG).astype(np.uint8)
    # what a low-resolution model gives: the matte at 32 x 32, bilinearly upsampled
    small = cv2.resize(true_alpha, (32, 32), interpolation=cv2.INTER_AREA)
    coarse = cv2.resize(small, (SIZE, SIZE), interpolation=cv2.INTER_LINEAR)
    blurred = cv2.GaussianBlur(true_alpha, (0, 0), 3)  # or a blurry model
    return {"true": true_alpha, "rgb": rgb, "coarse": coarse, "blurred": blurred}


def band_mae(alpha: np.ndarray, true_alpha: np.ndarray, band: np.ndarray) -> float:
    return float(np.abs(alpha - true_alpha)[band].mean())


@pytest.mark.parametrize("coarse_kind", ["coarse", "blurred"])
@pytest.mark.parametrize("method", METHODS)
def test_matting_beats_the_coarse_probability_in_the_band(scene, method, coarse_kind):
    probability = scene[coarse_kind]
    trimap = trimap_from_probability(probability)
    band = trimap == UNKNOWN
    assert band.sum() > 500
    alpha = matte(scene["rgb"], probability, trimap, method=method)
    assert alpha.dtype == np.float32 and alpha.min() >= 0 and alpha.max() <= 1
    before = band_mae(probability, scene["true"], band)
    after = band_mae(alpha, scene["true"], band)
    assert after < 0.95 * before, (method, before, after)
    if method == "cf":  # closed form recovers a two-colour matte almost exactly
        assert after < 0.02


@pytest.mark.parametrize("method", METHODS)
def test_sure_pixels_are_never_changed(scene, method):
    probability = scene["coarse"]
    trimap = trimap_from_probability(probability)
    alpha = matte(scene["rgb"], probability, trimap, method=method)
    assert (alpha[trimap == FOREGROUND] == 1.0).all()
    assert (alpha[trimap == BACKGROUND] == 0.0).all()


def test_no_band_means_the_trimap_itself():
    trimap = np.zeros((20, 20), np.uint8)
    trimap[5:15, 5:15] = FOREGROUND
    rgb = np.zeros((20, 20, 3), np.uint8)
    alpha = matte(rgb, trimap / 255.0, trimap)
    assert np.array_equal(alpha, (trimap == FOREGROUND).astype(np.float32))


def test_large_band_is_solved_on_a_downscaled_copy(scene):
    probability = scene["coarse"]
    trimap = trimap_from_probability(probability)
    band = trimap == UNKNOWN
    alpha = matte(scene["rgb"], probability, trimap, method="cf", max_pixels=2000)
    assert band_mae(alpha, scene["true"], band) < band_mae(probability, scene["true"], band)
    assert (alpha[trimap == FOREGROUND] == 1.0).all() and (alpha[trimap == BACKGROUND] == 0.0).all()


def test_unknown_method_is_refused(scene):
    trimap = trimap_from_probability(scene["coarse"])
    with pytest.raises(ValueError, match="unknown matting method"):
        matte(scene["rgb"], scene["coarse"], trimap, method="magic")


def test_sample_bilinear_at_pixel_centres_matches_a_whole_resize():
    small = np.random.default_rng(5).random((13, 17, 3)).astype(np.float32)
    whole = cv2.resize(small, (71, 50), interpolation=cv2.INTER_LINEAR)
    rows, cols = np.nonzero(np.ones((50, 71), bool))
    map_x = ((cols + 0.5) * (17 / 71) - 0.5).astype(np.float32).reshape(-1, 1)
    map_y = ((rows + 0.5) * (13 / 50) - 0.5).astype(np.float32).reshape(-1, 1)
    sampled = sample_bilinear(small, map_x, map_y).reshape(50, 71, 3)
    assert np.allclose(sampled, whole, atol=1e-5)


def test_large_band_is_solved_small_but_applied_at_full_resolution():
    """A wavy colour edge, the model's blurred idea of it, and a band too large for one solve:
    the linear model fitted on the downscaled copy and applied to the full-size photo lands closer
    to the truth than the model, and than upsampling the small solve's alpha (the old way)."""
    height, width = 300, 400
    y, x = np.mgrid[0:height, 0:width]
    truth = x < 200 + 25 * np.sin(y / 17.0)
    rgb = np.where(truth[..., None], [230, 60, 50], [30, 80, 200]).astype(np.uint8)
    probability = cv2.GaussianBlur(truth.astype(np.float32), (0, 0), 6)
    trimap = np.full((height, width), UNKNOWN, np.uint8)
    alpha = matte(rgb, probability, trimap, method="guided", max_pixels=5_000, eps=1e-4)
    size = (round(width * 0.2041), round(height * 0.2041))  # sqrt(5000 / 120000)
    small = guided_filter(cv2.resize(rgb, size, interpolation=cv2.INTER_AREA) / 255.0,
                          cv2.resize(probability, size, interpolation=cv2.INTER_AREA), radius=2, eps=1e-4)
    upsampled = np.clip(cv2.resize(small, (width, height), interpolation=cv2.INTER_LINEAR), 0, 1)
    error = np.abs(alpha - truth).mean()
    assert error < 0.85 * np.abs(upsampled - truth).mean()
    assert error < 0.9 * np.abs(probability - truth).mean()
