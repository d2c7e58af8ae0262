"""Named presets, option overrides, and what ``auto`` picks per kind of image."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from alphacut.errors import InputError
from alphacut.refine.presets import DEFAULT_PRESET, PRESET_NAMES, PRESETS, RefineSettings, get_preset
from alphacut.refine.refiner import settings_for


def test_named_presets_and_auto():
    assert DEFAULT_PRESET == "auto" and PRESET_NAMES[0] == "auto"
    assert set(PRESET_NAMES[1:]) == set(PRESETS)
    assert get_preset("auto") is None
    for name in PRESETS:
        assert get_preset(name) is PRESETS[name]
    assert get_preset("raw").matting == "none" and not get_preset("raw").gaps
    assert get_preset("graphic").hard and get_preset("pixel-art").hard and get_preset("pixel-art").pixel_art
    assert not get_preset("photo").hard and get_preset("photo").decontaminate


def test_unknown_preset_is_an_input_error():
    with pytest.raises(InputError, match="unknown preset 'fancy'") as raised:
        get_preset("fancy")
    assert "photo" in str(raised.value) and "auto" in str(raised.value)


def test_with_options_replaces_known_fields_only():
    photo = PRESETS["photo"]
    changed = photo.with_options(matting="cf", band=0.01, threshold=0.4)
    assert (changed.matting, changed.band, changed.threshold) == ("cf", 0.01, 0.4)
    assert changed.hard and not photo.hard  # presets are frozen: the original is unchanged
    assert photo.with_options() == photo
    with pytest.raises(InputError, match="unknown refinement option.*colour.*sharpen"):
        photo.with_options(sharpen=True, colour="red", band=0.01)
    with pytest.raises(dataclasses.FrozenInstanceError):
        photo.band = 0.5  # type: ignore[misc]


def test_hard_follows_the_threshold():
    assert not RefineSettings().hard
    assert RefineSettings(threshold=0.5).hard


def sprite() -> np.ndarray:
    native = np.zeros((16, 16, 3), np.uint8)
    native[:] = (0, 200, 0)
    native[4:12, 5:11] = (200, 30, 30)
    return np.repeat(np.repeat(native, 4, axis=0), 4, axis=1)


def test_auto_picks_pixel_art_for_a_sprite():
    assert settings_for(sprite(), None) is PRESETS["pixel-art"]


def test_auto_picks_graphic_for_a_large_image_on_a_flat_background():
    rng = np.random.default_rng(0)
    rgb = np.full((150, 300, 3), 240, np.uint8)
    y, x = np.mgrid[0:150, 0:300]
    subject = np.hypot(y - 75, x - 150) < 60  # noisy: thousands of colours, so not pixel art
    rgb[subject] = np.clip(rng.normal(100, 30, (subject.sum(), 3)), 0, 255).astype(np.uint8)
    assert settings_for(rgb, None) is PRESETS["graphic"]


def test_auto_picks_photo_for_a_noisy_photo():
    rng = np.random.default_rng(1)
    rgb = np.clip(rng.normal(120, 40, (120, 300, 3)), 0, 255).astype(np.uint8)
    assert settings_for(rgb, None) is PRESETS["photo"]


def test_explicit_settings_win_over_auto():
    assert settings_for(sprite(), PRESETS["photo"]) is PRESETS["photo"]
