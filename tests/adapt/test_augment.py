"""Augmentation: the image and its mask must stay aligned through every random transform."""
from __future__ import annotations

import numpy as np
import pytest

from alphacut.adapt.augment import AugmentSettings, augment, colour_jitter, resize_pair

RED, BLUE = np.array([255, 0, 0], np.uint8), np.array([0, 0, 255], np.uint8)

# every transform switched on, often
BUSY = dict(rot90=True, hflip=0.5, vflip=0.5, small_rotation=0.5, max_angle=30.0, scale=(0.3, 1.0))


def subject(height: int = 30, width: int = 40, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """An irregular mask (an L-shape, a blob and some random pixels), drawn red on blue."""
    rng = np.random.default_rng(seed)
    mask = np.zeros((height, width), np.uint8)
    mask[3:20, 4:9] = 255
    mask[15:20, 4:25] = 255
    mask[22:27, 30:37] = 255
    mask[rng.random((height, width)) < 0.05] = 255
    image = np.where(mask[..., None] == 255, RED, BLUE).astype(np.uint8)
    return image, mask


def assert_aligned(image: np.ndarray, mask: np.ndarray) -> None:
    red = (image == RED).all(axis=2)
    blue = (image == BLUE).all(axis=2)
    assert (red | blue).all()  # only colours of the original palette
    assert set(np.unique(mask).tolist()) <= {0, 255}  # the mask stays binary
    assert np.array_equal(mask == 255, red)  # and covers exactly the subject's pixels


@pytest.mark.parametrize("seed", range(40))
def test_nearest_keeps_image_and_mask_aligned(seed):
    image, mask = subject(seed=seed)
    settings = AugmentSettings(**BUSY, jitter=0.0, nearest=True)
    out_image, out_mask = augment(image, mask, 24, np.random.default_rng(seed), settings)
    assert out_image.shape == (24, 24, 3) and out_image.dtype == np.uint8
    assert out_mask.shape == (24, 24) and out_mask.dtype == np.uint8
    assert_aligned(out_image, out_mask)


def test_the_transforms_actually_vary():
    image, mask = subject()
    settings = AugmentSettings(**BUSY, jitter=0.0, nearest=True)
    masks = {augment(image, mask, 24, np.random.default_rng(seed), settings)[1].tobytes() for seed in range(10)}
    assert len(masks) == 10


@pytest.mark.parametrize("size", [16, 32, 57])
def test_output_size_when_shrinking_and_enlarging(size):
    image, mask = subject()
    for seed in range(5):
        out_image, out_mask = augment(image, mask, size, np.random.default_rng(seed), AugmentSettings(nearest=True, jitter=0))
        assert out_image.shape == (size, size, 3) and out_mask.shape == (size, size)


@pytest.mark.parametrize("seed", range(15))
def test_smooth_resampling_moves_image_and_mask_together(seed):
    # red is 255 exactly where the mask is 255, so the red channel IS the mask, whatever the filter
    image, mask = subject(seed=seed)
    settings = AugmentSettings(**BUSY, jitter=0.0, nearest=False)
    out_image, out_mask = augment(image, mask, 24 if seed % 2 else 48, np.random.default_rng(seed), settings)
    assert np.array_equal(out_image[..., 0], out_mask)
    assert (out_image[..., 1] == 0).all()


def test_smooth_resampling_makes_soft_edges():
    image, mask = subject()
    _, out_mask = augment(image, mask, 57, np.random.default_rng(0), AugmentSettings(rot90=False, hflip=0, small_rotation=0,
                                                                                    scale=(1.0, 1.0), jitter=0))
    assert ((out_mask > 0) & (out_mask < 255)).any()


def single_colour(pixels: np.ndarray) -> np.ndarray:
    """The one colour of ``pixels`` (N x 3); SIMD and scalar code paths may differ by one level."""
    spread = pixels.astype(int).max(axis=0) - pixels.astype(int).min(axis=0)
    assert (spread <= 1).all(), spread
    return pixels[0].astype(int)


@pytest.mark.parametrize("seed", range(10))
def test_jitter_changes_colours_but_not_the_shape(seed):
    image, mask = subject(seed=seed)
    settings = AugmentSettings(**BUSY, jitter=0.3, nearest=True)
    out_image, out_mask = augment(image, mask, 24, np.random.default_rng(seed), settings)
    assert set(np.unique(out_mask).tolist()) <= {0, 255}
    # one colour inside, another outside: jitter is the same for every pixel of a colour
    inside, outside = single_colour(out_image[out_mask == 255]), single_colour(out_image[out_mask == 0])
    assert np.abs(inside - outside).max() > 100
    # the mask is the one the same geometry gives without jitter
    _, plain_mask = augment(image, mask, 24, np.random.default_rng(seed), AugmentSettings(**BUSY, jitter=0.0, nearest=True))
    assert np.array_equal(out_mask, plain_mask)


def test_colour_jitter_changes_colours_of_the_same_shape():
    image, _ = subject()
    image = image.copy()
    image[0:5, 0:5] = (120, 200, 40)
    changed = [colour_jitter(image, np.random.default_rng(seed), 0.3) for seed in range(8)]
    for out in changed:
        assert out.shape == image.shape and out.dtype == np.uint8
        # pixels of one colour stay one colour: a colour map, not a spatial change
        for colour in (RED, BLUE, np.array([120, 200, 40])):
            single_colour(out[(image == colour).all(axis=2)])
    assert sum(not np.array_equal(out, image) for out in changed) == 8
    assert len({out.tobytes() for out in changed}) == 8


def test_colour_jitter_of_zero_is_nearly_the_identity():
    image = np.random.default_rng(3).integers(0, 256, (12, 12, 3), dtype=np.uint8)
    out = colour_jitter(image, np.random.default_rng(0), 0.0)
    # only the RGB -> HSV -> RGB round trip remains (8-bit HSV loses a little)
    assert np.abs(out.astype(int) - image).max() <= 8


@pytest.mark.parametrize("nearest", [True, False])
def test_the_same_seed_gives_the_same_sample(nearest):
    image, mask = subject()
    settings = AugmentSettings(**BUSY, jitter=0.2, nearest=nearest)
    first = augment(image, mask, 24, np.random.default_rng(123), settings)
    second = augment(image, mask, 24, np.random.default_rng(123), settings)
    other = augment(image, mask, 24, np.random.default_rng(124), settings)
    assert np.array_equal(first[0], second[0]) and np.array_equal(first[1], second[1])
    assert not (np.array_equal(first[0], other[0]) and np.array_equal(first[1], other[1]))


def test_the_input_arrays_are_not_modified():
    image, mask = subject()
    before = image.copy(), mask.copy()
    augment(image, mask, 24, np.random.default_rng(5), AugmentSettings(**BUSY, jitter=0.3))
    assert np.array_equal(image, before[0]) and np.array_equal(mask, before[1])


def test_a_crop_scale_of_one_keeps_the_whole_image():
    image, mask = subject(height=12, width=12)
    settings = AugmentSettings(rot90=False, hflip=0, vflip=0, small_rotation=0, scale=(1.0, 1.0), jitter=0, nearest=True)
    for seed in range(5):
        out_image, out_mask = augment(image, mask, 36, np.random.default_rng(seed), settings)
        # 12 -> 36 by nearest neighbour: every pixel becomes a 3 x 3 block
        assert np.array_equal(out_mask, np.kron(mask, np.ones((3, 3), np.uint8)))
        assert np.array_equal(out_image, np.repeat(np.repeat(image, 3, 0), 3, 1))


def test_the_crop_is_a_window_of_the_input():
    # a mask of unique values (row * 16 + column), no turn or flip: the output samples one window of it
    ramp = (np.arange(16)[:, None] * 16 + np.arange(16)[None, :]).astype(np.uint8)
    image = np.dstack([ramp, ramp, ramp])
    settings = AugmentSettings(rot90=False, hflip=0, vflip=0, small_rotation=0, scale=(0.25, 0.5), jitter=0, nearest=True)
    for seed in range(10):
        out_image, out_mask = augment(image, ramp, 16, np.random.default_rng(seed), settings)
        rows, columns = out_mask // 16, out_mask % 16
        assert (np.diff(rows.astype(int), axis=0) >= 0).all() and (np.diff(columns.astype(int), axis=1) >= 0).all()
        assert (rows == rows[:, :1]).all() and (columns == columns[:1]).all()  # rows stay rows, columns columns
        kept = (rows.max() - rows.min() + 1) * (columns.max() - columns.min() + 1) / 256
        assert 0.25 * 0.75 <= kept <= 0.5 * 1.34  # area fraction, give or take the aspect ratio
        assert np.array_equal(out_image[..., 0], out_mask)


def test_resize_pair():
    image, mask = subject(height=20, width=20)
    same = resize_pair(image, mask, 20, nearest=False)
    assert same[0] is image and same[1] is mask
    small_image, small_mask = resize_pair(image, mask, 10, nearest=False)  # area filter: 2x2 means
    expected = mask.reshape(10, 2, 10, 2).astype(float).mean(axis=(1, 3))
    assert np.abs(small_mask.astype(float) - expected).max() <= 1
    assert np.array_equal(small_image[..., 0], small_mask)
    near_image, near_mask = resize_pair(image, mask, 10, nearest=True)
    assert set(np.unique(near_mask).tolist()) <= {0, 255}
    assert np.array_equal(near_mask == 255, (near_image == RED).all(axis=2))
