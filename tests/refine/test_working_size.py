"""Big photos are refined at a bounded working size and brought back guided by the full photo."""
from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFilter

from alphacut.refine.hints import Hints
from alphacut.refine.presets import PRESETS
from alphacut.refine.refiner import refine
import cv2

from alphacut.refine.foreground import decontaminate
from alphacut.refine.working_size import SOFT_HIGH, SOFT_LOW, Band, upsample_colours, upsample_guided, working_size


def disc_photo(size: tuple[int, int] = (480, 360)) -> tuple[Image.Image, np.ndarray]:
    """A bright textured disc on a dark textured backdrop, and its exact mask (anti-aliased at 4x)."""
    width, height = size
    big = Image.new("L", (width * 4, height * 4), 0)
    ImageDraw.Draw(big).ellipse((width * 1.2, height * 0.8, width * 2.8, height * 3.2), fill=255)
    mask = np.asarray(big.resize(size, Image.Resampling.BOX), np.float32) / 255.0
    rng = np.random.default_rng(0)
    backdrop = np.stack([np.full((height, width), 40.0), np.full((height, width), 60.0), np.full((height, width), 50.0)], -1)
    subject = np.array([220.0, 180.0, 90.0])
    pixels = backdrop * (1 - mask[..., None]) + subject * mask[..., None] + rng.normal(0, 3, (height, width, 3))
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8)), mask


def blurred_predict(image: Image.Image) -> np.ndarray:
    """A stand-in model: the disc's mask, blurred as a 1024 px forward upsampled would be."""
    rgb = np.asarray(image.convert("RGB"), np.float32)
    probability = (rgb[..., 0] > 130).astype(np.float32)
    radius = max(1.0, 0.004 * max(image.size))
    return np.asarray(Image.fromarray((probability * 255).astype(np.uint8)).filter(ImageFilter.GaussianBlur(radius)),
                      np.float32) / 255.0


def test_working_size_keeps_the_shape_and_bounds_the_pixels():
    assert working_size((2000, 1500), 4_000_000) is None
    width, height = working_size((4000, 3000), 4_000_000)
    assert abs(width / height - 4 / 3) < 0.01 and width * height <= 4_010_000


def test_guided_upsampling_follows_the_full_photos_edge_better_than_bilinear():
    image, mask = disc_photo((480, 360))
    small = image.resize((120, 90), Image.Resampling.BOX)
    small_mask = np.asarray(Image.fromarray(mask, "F").resize((120, 90), Image.Resampling.BOX), np.float32)
    guided = upsample_guided(np.asarray(image), np.asarray(small), small_mask)
    bilinear = np.asarray(Image.fromarray(small_mask, "F").resize((480, 360), Image.Resampling.BILINEAR), np.float32)
    assert guided.shape == mask.shape and guided.min() >= 0 and guided.max() <= 1
    assert np.abs(guided - mask).mean() < 0.6 * np.abs(bilinear - mask).mean()


@pytest.mark.parametrize("preset", ["photo", "graphic", "raw"])
def test_a_big_photo_refined_at_working_size_agrees_with_full_size(preset):
    image, mask = disc_photo((480, 360))
    settings = PRESETS[preset]
    full = refine(image, blurred_predict, settings, model_side=64, working_pixels=10**9)
    bounded = refine(image, blurred_predict, settings, model_side=64, working_pixels=480 * 360 // 6)
    assert bounded.alpha.shape == (360, 480) and bounded.rgb.shape == (360, 480, 3)
    a, b = full.alpha >= 0.5, bounded.alpha >= 0.5
    assert (a & b).sum() / (a | b).sum() > 0.98
    assert np.abs(full.alpha - bounded.alpha).mean() < 0.01
    assert "upsample" in bounded.timings and "upsample" not in full.timings
    if settings.threshold is not None:
        assert set(np.unique(bounded.alpha)) <= {0.0, 1.0}


def test_hints_are_honoured_at_full_size():
    image, _ = disc_photo((480, 360))
    keep = np.zeros((360, 480), bool)
    keep[5:9, 5:9] = True  # a 4 px corner the downscaled copy barely sees
    remove = np.zeros_like(keep)
    remove[180, 240] = True  # one pixel in the middle of the disc
    refined = refine(image, blurred_predict, PRESETS["photo"], model_side=64, working_pixels=480 * 360 // 6,
                     hints=Hints(keep=keep, remove=remove))
    assert refined.alpha[keep].min() == 1.0 and refined.alpha[180, 240] == 0.0


def test_the_colour_correction_read_in_the_band_equals_the_whole_upsampled_correction():
    image, mask = disc_photo((480, 360))
    small = image.resize((160, 120), Image.Resampling.BOX)
    small_mask = np.asarray(Image.fromarray(mask, "F").resize((160, 120), Image.Resampling.BOX), np.float32)
    rgb, rgb_small = np.asarray(image), np.asarray(small)
    colours_small = decontaminate(rgb_small, small_mask)
    band = Band(small_mask, image.size)
    alpha = upsample_guided(rgb, rgb_small, small_mask, band)
    got = upsample_colours(rgb, rgb_small, colours_small, alpha, band)
    # the correction resized as a whole to full size and added wherever full-size alpha is soft
    correction = cv2.resize(colours_small.astype(np.float32) - rgb_small.astype(np.float32), image.size,
                            interpolation=cv2.INTER_LINEAR)
    soft = (alpha > SOFT_LOW) & (alpha < SOFT_HIGH)
    expected = rgb.copy()
    expected[soft] = np.clip(np.rint(rgb[soft] + correction[soft]), 0, 255).astype(np.uint8)
    assert soft.sum() > 1000 and np.abs(got.astype(int) - rgb).max() > 5  # the correction does something
    assert np.abs(got.astype(int) - expected).max() <= 1
