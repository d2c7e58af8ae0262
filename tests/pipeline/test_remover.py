"""RemoveOptions.settings: the preset for an image plus the command line's overrides."""
from __future__ import annotations

import numpy as np
import pytest

from alphacut.errors import InputError, OptionError
from alphacut.pipeline import RemoveOptions, Remover
from alphacut.refine.presets import PRESETS


@pytest.fixture()
def photo_rgb() -> np.ndarray:
    return np.clip(np.random.default_rng(0).normal(120, 40, (120, 300, 3)), 0, 255).astype(np.uint8)


@pytest.fixture()
def sprite_rgb() -> np.ndarray:
    native = np.zeros((16, 16, 3), np.uint8)
    native[:] = (0, 200, 0)
    native[4:12, 5:11] = (200, 30, 30)
    return np.repeat(np.repeat(native, 4, axis=0), 4, axis=1)


def test_no_overrides_gives_the_preset_itself(photo_rgb, sprite_rgb):
    assert RemoveOptions().settings(photo_rgb) is PRESETS["photo"]  # auto on a photo
    assert RemoveOptions().settings(sprite_rgb) is PRESETS["pixel-art"]
    assert RemoveOptions(preset="product").settings(sprite_rgb) is PRESETS["product"]


def test_keep_soft_clears_the_threshold(sprite_rgb, photo_rgb):
    graphic = RemoveOptions(preset="graphic", keep_soft=True).settings(photo_rgb)
    assert graphic.threshold is None and not graphic.hard
    assert graphic.matting == "guided"  # soft alpha needs an edge to be soft on
    pixel_art = RemoveOptions(keep_soft=True).settings(sprite_rgb)
    assert pixel_art.pixel_art and pixel_art.threshold is None
    assert pixel_art.matting == "none"  # pixel art is never matted
    chosen = RemoveOptions(preset="graphic", keep_soft=True, matting="cf").settings(photo_rgb)
    assert chosen.matting == "cf"


def test_threshold_sets_it(photo_rgb):
    settings = RemoveOptions(threshold=0.3).settings(photo_rgb)
    assert settings.threshold == 0.3 and settings.hard
    assert RemoveOptions(preset="graphic", threshold=0.7).settings(photo_rgb).threshold == 0.7
    # the CLI and the server refused keep-soft with a threshold while the Python API let the threshold
    # win; the one options model refuses it everywhere
    with pytest.raises(OptionError, match="keep_soft and threshold exclude each other"):
        RemoveOptions(threshold=0.3, keep_soft=True)


def test_main_subject_decontaminate_and_matting_overrides(photo_rgb):
    settings = RemoveOptions(main_subject=True, decontaminate=False, matting="cf").settings(photo_rgb)
    assert settings.main_subject and not settings.decontaminate and settings.matting == "cf"
    assert RemoveOptions(preset="graphic", decontaminate=True).settings(photo_rgb).decontaminate
    base = RemoveOptions(preset="photo").settings(photo_rgb)
    assert not base.main_subject and base.decontaminate and base.matting == "guided"
    assert RemoveOptions(preset="photo", main_subject=False).settings(photo_rgb) is PRESETS["photo"]


def test_unknown_preset_fails_before_any_work(tiny_session):
    with pytest.raises(InputError, match="unknown preset"):
        Remover(tiny_session, RemoveOptions(preset="nope"))
