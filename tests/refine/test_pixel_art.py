"""Pixel art: block size detection, native art round trip, the pixel-art test, and per-art-pixel
decisions from the model."""
from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from alphacut.refine.pixel_art import block_majority, block_size, looks_like_pixel_art, native_art, upscale_nearest
from alphacut.refine.refiner import predict_pixel_art


def upscale(art: np.ndarray, k: int) -> np.ndarray:
    return np.repeat(np.repeat(art, k, axis=0), k, axis=1)


@pytest.fixture()
def art() -> np.ndarray:
    """A random 8 x 8 image in a 6-colour palette."""
    rng = np.random.default_rng(0)
    palette = rng.integers(0, 256, (6, 3)).astype(np.uint8)
    return palette[rng.integers(0, 6, (8, 8))]


@pytest.fixture()
def sprite() -> np.ndarray:
    """A 16 x 16 red figure with a yellow eye on flat green, shown at 4 x (64 x 64 screen pixels)."""
    native = np.zeros((16, 16, 3), np.uint8)
    native[:] = (0, 200, 0)
    native[4:12, 5:11] = (200, 30, 30)
    native[6:8, 6:8] = (255, 255, 0)
    return upscale(native, 4)


def test_block_size_of_a_nearest_upscale(art):
    assert block_size(upscale(art, 4)) == 4
    assert block_size(upscale(art, 3)) == 3
    assert block_size(art) == 1
    assert block_size(upscale(art, 4), max_block=2) == 2  # 2 divides 4: still whole blocks
    broken = upscale(art, 4)
    broken[5, 6] = broken[5, 6] + 1  # one stray screen pixel breaks every grid but 1
    assert block_size(broken) == 1


def test_native_art_round_trips(art):
    native, k = native_art(upscale(art, 4))
    assert k == 4 and np.array_equal(native, art)
    image, factor = upscale_nearest(Image.fromarray(native), target=64)
    assert factor == 8 and image.size == (64, 64)
    assert np.array_equal(np.asarray(image), upscale(art, 8))
    # one vote per block brings any channel back exactly
    for channel in range(3):
        assert np.array_equal(block_majority(np.asarray(image)[..., channel].astype(np.float64), factor), art[..., channel])


def test_upscale_nearest_factor_and_no_op():
    image = Image.new("RGB", (34, 20))
    upscaled, factor = upscale_nearest(image, 1024)
    assert factor == 30 and upscaled.size == (1020, 600)  # 1024 // 34 = 30: longest side <= target
    same, one = upscale_nearest(Image.new("RGB", (800, 600)), 1024)
    assert one == 1 and same.size == (800, 600)
    mask = np.random.default_rng(2).random((6, 6))
    assert block_majority(mask, 1) is mask


def test_looks_like_pixel_art(sprite, art):
    assert looks_like_pixel_art(sprite)
    assert looks_like_pixel_art(upscale(art, 4))
    rng = np.random.default_rng(3)
    photo = np.clip(rng.normal(120, 40, (120, 300, 3)), 0, 255).astype(np.uint8)
    assert not looks_like_pixel_art(photo)  # too big and thousands of colours
    small_photo = np.clip(rng.normal(120, 40, (120, 160, 3)), 0, 255).astype(np.uint8)
    assert not looks_like_pixel_art(small_photo)  # small, but thousands of colours


def test_predict_pixel_art_decides_per_art_pixel(sprite):
    seen: list[tuple[int, int]] = []

    def predict(image: Image.Image) -> np.ndarray:
        """A blurry model: probability = blurred 'reddish' mask, so edges come out soft."""
        import cv2

        seen.append(image.size)
        red = (np.asarray(image.convert("RGB"))[..., 0] > 100).astype(np.float32)
        return cv2.GaussianBlur(red, (0, 0), 3)

    probability = predict_pixel_art(predict, sprite, 1024)
    assert seen == [(1024, 1024)]  # the 16 x 16 native art, upscaled x 64
    assert probability.shape == sprite.shape[:2] and probability.dtype == np.float32
    blocks = probability.reshape(16, 4, 16, 4)
    assert (blocks == blocks[:, :1, :, :1]).all()  # constant inside every art pixel
    assert len(np.unique(probability)) > 2  # still soft before thresholding
    hard = (probability >= 0.5).astype(np.float32)
    assert set(np.unique(hard)) == {0.0, 1.0}
    expected = upscale((sprite[::4, ::4, 0] > 100)[..., None], 4)[..., 0]
    assert np.array_equal(hard.astype(bool), expected)


def test_palette_is_counted_per_colour_not_per_channel():
    rng = np.random.default_rng(3)
    palette = rng.integers(0, 256, (300, 3), dtype=np.uint8)
    many = palette[rng.permutation(np.arange(400) % 300)].reshape(20, 20, 3)
    assert not looks_like_pixel_art(many)  # 300 colours on a small sprite: too many
    few = palette[np.arange(400) % 200].reshape(20, 20, 3)
    assert looks_like_pixel_art(few)


def test_matching_first_rows_alone_do_not_make_blocks():
    rgb = np.random.default_rng(4).integers(0, 256, (8, 8, 3), dtype=np.uint8)
    rgb[1] = rgb[0]
    rgb[:, 1] = rgb[:, 0]
    assert block_size(rgb) == 1
