"""The cutout keeps the input's colours and carries alpha straight, not premultiplied."""
from __future__ import annotations

import numpy as np
from PIL import Image

from alphacut.compose.cutout import cutout, mask_image
from alphacut.refine.alpha import alpha_to_uint8, apply_source_alpha


def random_rgb(size=(20, 10), seed=0) -> Image.Image:
    return Image.fromarray(np.random.default_rng(seed).integers(0, 256, (size[1], size[0], 3), dtype=np.uint8))


def ramp(size=(20, 10)) -> np.ndarray:
    return (np.arange(size[0] * size[1]) % 256).astype(np.uint8).reshape(size[1], size[0])


def test_rgb_is_untouched_and_alpha_is_straight():
    image = random_rgb()
    alpha = ramp()
    result = cutout(image, alpha)
    pixels = np.asarray(result)
    assert result.mode == "RGBA" and result.size == image.size
    assert np.array_equal(pixels[..., :3], np.asarray(image))  # not multiplied by alpha
    assert np.array_equal(pixels[..., 3], alpha)


def test_rgba_input_gets_the_new_alpha_and_is_not_modified():
    source = random_rgb().convert("RGBA")
    source.putalpha(77)
    before = np.asarray(source).copy()
    result = cutout(source, ramp())
    assert np.array_equal(np.asarray(result)[..., 3], ramp())
    assert np.array_equal(np.asarray(result)[..., :3], before[..., :3])
    assert np.array_equal(np.asarray(source), before)  # the caller's image keeps its alpha


def test_greyscale_input_becomes_rgb():
    grey = Image.new("L", (4, 4), 90)
    result = cutout(grey, np.full((4, 4), 200, np.uint8))
    assert result.mode == "RGBA"
    assert np.all(np.asarray(result) == (90, 90, 90, 200))


def test_mask_image_is_grey():
    mask = mask_image(ramp())
    assert mask.mode == "L"
    assert np.array_equal(np.asarray(mask), ramp())


def test_alpha_to_uint8_rounds_and_clips_without_binarising():
    values = np.array([-0.5, 0.0, 0.5 / 255, 0.3, 0.5, 0.999, 1.0, 1.7], np.float32)
    assert alpha_to_uint8(values).tolist() == [0, 0, 0, 76, 128, 255, 255, 255]


def test_source_transparency_is_kept():
    image = Image.new("RGBA", (3, 1), (255, 255, 255, 255))
    image.putpixel((0, 0), (255, 255, 255, 0))
    image.putpixel((1, 0), (255, 255, 255, 128))
    alpha = apply_source_alpha(np.ones((1, 3), np.float32), image)
    assert np.allclose(alpha, [[0.0, 128 / 255, 1.0]])
    rgb = np.full((1, 3), 0.4, np.float32)
    assert apply_source_alpha(rgb, image.convert("RGB")) is rgb
