"""Scenes: a subject placed on a known background, cut out, then recomposed on another one."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from alphacut.compose.blur import blurred_backdrop
from alphacut.compose.scene import Scene, compose_scene, scene_for_remove
from alphacut.errors import InputError
from alphacut.refine.foreground import decontaminate


def disc_alpha(height: int = 64, width: int = 80, radius: float = 20.0, soft: float = 4.0) -> np.ndarray:
    yy, xx = np.mgrid[0:height, 0:width]
    distance = np.hypot(yy - height / 2, xx - width / 2)
    return np.clip((radius - distance) / soft + 0.5, 0, 1)


def smooth_foreground(height: int = 64, width: int = 80) -> np.ndarray:
    yy, xx = np.mgrid[0:height, 0:width]
    return np.stack([150 + 60 * np.sin(xx / 9), 90 + 50 * np.cos(yy / 7), np.full_like(xx, 60.0)], -1)


def composite(foreground: np.ndarray, alpha: np.ndarray, background) -> np.ndarray:
    return alpha[..., None] * foreground + (1 - alpha[..., None]) * np.asarray(background, np.float64)


@given(colour=st.tuples(*[st.integers(0, 255)] * 3))
def test_recomposing_a_true_cutout_on_a_colour_is_exact(colour):
    alpha = disc_alpha()
    fg = smooth_foreground()
    a8 = np.rint(alpha * 255).astype(np.uint8)
    result = compose_scene(fg.astype(np.uint8), a8, Scene(color=(*colour, 255)))
    expected = composite(fg.astype(np.uint8).astype(float), a8 / 255.0, colour)
    assert result.mode == "RGB"
    assert np.abs(np.asarray(result).astype(float) - expected).max() <= 1.0


def test_a_photo_moved_to_a_new_background_matches_the_truth_with_decontamination():
    alpha = disc_alpha(soft=8.0)
    fg = smooth_foreground()
    old_bg, new_bg = (20, 200, 40), (230, 230, 250)
    photo = np.rint(composite(fg, alpha, old_bg)).astype(np.uint8)
    a8 = np.rint(alpha * 255).astype(np.uint8)
    truth = composite(fg, alpha, new_bg)
    soft = (alpha > 0.05) & (alpha < 0.95)
    naive = np.asarray(compose_scene(photo, a8, Scene(color=(*new_bg, 255)))).astype(float)
    clean = np.asarray(compose_scene(decontaminate(photo, a8), a8, Scene(color=(*new_bg, 255)))).astype(float)
    naive_error = np.abs(naive - truth)[soft].mean()
    clean_error = np.abs(clean - truth)[soft].mean()
    assert clean_error < 0.7 * naive_error  # less of the old green shows through the soft edge
    assert clean_error < 12


def test_an_image_background_and_no_background():
    alpha = np.zeros((40, 40), np.uint8)
    alpha[10:30, 10:30] = 255
    fg = np.full((40, 40, 3), 200, np.uint8)
    backdrop = Image.fromarray(np.full((20, 20, 3), (10, 20, 30), np.uint8))
    on_image = np.asarray(compose_scene(fg, alpha, Scene(image=backdrop)))
    assert (on_image[0, 0] == (10, 20, 30)).all() and (on_image[20, 20] == 200).all()
    transparent = compose_scene(fg, alpha, Scene())
    assert transparent.mode == "RGBA" and np.array_equal(np.asarray(transparent)[..., 3], alpha)


def test_the_blurred_original_paints_the_subject_out():
    rgb = np.zeros((60, 60, 3), np.uint8)
    rgb[:] = (30, 60, 220)
    rgb[20:40, 20:40] = (250, 0, 0)
    alpha = np.zeros((60, 60), np.uint8)
    alpha[20:40, 20:40] = 255
    backdrop = blurred_backdrop(rgb, alpha, sigma=6)
    assert np.abs(backdrop - (30, 60, 220)).max() < 3  # no red ghost of the subject
    result = np.asarray(compose_scene(rgb, alpha, Scene(blur=6)))
    assert np.array_equal(result[20:40, 20:40], rgb[20:40, 20:40])


def test_a_shadow_darkens_only_the_background():
    alpha = np.zeros((80, 80), np.uint8)
    alpha[20:50, 30:50] = 255
    fg = np.full((80, 80, 3), 250, np.uint8)
    plain = np.asarray(compose_scene(fg, alpha, Scene(color=(255, 255, 255, 255)))).astype(int)
    shaded = np.asarray(compose_scene(fg, alpha, Scene(color=(255, 255, 255, 255), shadow="contact"))).astype(int)
    assert np.array_equal(shaded[alpha == 255], plain[alpha == 255])
    assert shaded[51, 40].sum() < plain[51, 40].sum() - 60  # under the subject's feet
    assert np.array_equal(shaded[5], plain[5])  # far above: untouched


def test_scene_options_are_checked():
    with pytest.raises(InputError, match="unknown layout"):
        Scene(layout="poster")
    with pytest.raises(InputError, match="between 0 and 1"):
        Scene(harmonize=2.0)
    with pytest.raises(InputError, match="one background"):
        Scene(color=(0, 0, 0, 255), image=Image.new("RGB", (4, 4)))
    with pytest.raises(InputError, match="unknown shadow"):
        compose_scene(np.zeros((8, 8, 3), np.uint8), np.full((8, 8), 255, np.uint8), Scene(shadow="long"))


def test_remove_gets_a_scene_only_when_asked():
    assert scene_for_remove(bg_color=None, bg_image=None, bg_fit="fill", blur=None, shadow=None, harmonize=None,
                            ecommerce=None) is None
    scene = scene_for_remove(bg_color=None, bg_image=None, bg_fit="fill", blur=None, shadow="drop", harmonize=None,
                             ecommerce=500)
    assert scene.layout == "ecommerce" and scene.size == (500, 500) and scene.opaque
