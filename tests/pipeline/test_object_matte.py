"""The remover as the object finder's matte: the photo's own refinement, decided once."""
from __future__ import annotations

import numpy as np
from PIL import Image

from alphacut.pipeline import RemoveOptions, Remover
from alphacut.pipeline.object_matte import object_matte, zoom_helps


def blocky_art() -> np.ndarray:
    """4 px blocks of few colours with a white square: what `auto` takes for pixel art."""
    yy, xx = np.mgrid[0:64, 0:64]
    rgb = np.stack([np.where((xx // 4) % 2 == 0, 60, 20), (yy * 2) % 50, np.full_like(xx, 30)], -1).astype(np.uint8)
    rgb[20:40, 24:44] = 255
    return rgb


def noisy_photo() -> np.ndarray:
    rng = np.random.default_rng(1)
    rgb = rng.integers(0, 60, (64, 64, 3)).astype(np.uint8)
    rgb[16:48, 16:48] = np.clip(rng.normal(220, 12, (32, 32, 3)), 0, 255).astype(np.uint8)
    return rgb


def test_the_whole_photo_gets_what_remove_makes_of_it(tiny_session):
    rgb = noisy_photo()
    remover = Remover(tiny_session, RemoveOptions())
    alpha, colours = object_matte(remover, rgb)(Image.fromarray(rgb))
    expected = remover.matte(Image.fromarray(rgb))
    assert np.array_equal(np.rint(alpha * 255).astype(np.uint8), expected.alpha)
    assert np.array_equal(colours, np.asarray(expected.colours.convert("RGB")))


def test_a_crop_keeps_the_photos_refinement(tiny_session):
    rgb = noisy_photo()
    crop = Image.fromarray(np.ascontiguousarray(rgb[14:50, 14:50]))
    remover = Remover(tiny_session, RemoveOptions())
    chosen = remover.options.settings(rgb)
    pinned = object_matte(remover, rgb)(crop)[0]
    same = next(name for name in ("photo", "graphic", "pixel-art") if RemoveOptions(preset=name).settings(rgb) == chosen)
    assert np.array_equal(pinned, Remover(tiny_session, RemoveOptions(preset=same)).matte(crop).alpha / np.float32(255))


def test_pixel_art_gains_nothing_from_a_close_up(tiny_session):
    remover = Remover(tiny_session, RemoveOptions())
    assert not zoom_helps(remover, blocky_art())
    assert zoom_helps(remover, noisy_photo())
