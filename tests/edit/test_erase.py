"""Object removal and background repainting on images with known answers."""
from __future__ import annotations

import numpy as np
from PIL import Image

from alphacut.edit.erase import erase, replace_background
from alphacut.edit.fillers import get_filler
from alphacut.edit.fillers.exemplar import ExemplarFiller


def stripes(height: int = 80, width: int = 80, period: int = 8) -> np.ndarray:
    yy, xx = np.mgrid[0:height, 0:width]
    red = np.where((xx // (period // 2)) % 2 == 0, 200, 40)
    green = 128 + 80 * np.sin(2 * np.pi * yy / period)
    return np.stack([red, green, np.full_like(red, 90)], -1).round().astype(np.uint8)


def test_an_object_on_a_periodic_background_is_removed_back_to_the_background():
    truth = stripes()
    photo = truth.copy()
    obj = np.zeros(truth.shape[:2], bool)
    obj[25:50, 30:52] = True
    photo[obj] = (250, 250, 0)  # a yellow object to remove
    result = np.asarray(erase(Image.fromarray(photo), obj, get_filler("exemplar"), dilate=2))
    error = np.abs(result.astype(float) - truth)[obj].mean()
    assert error < 10.0
    assert not (np.all(result == (250, 250, 0), axis=-1)).any()


def test_erase_keeps_alpha_and_pixels_outside_the_grown_mask():
    rgba = np.dstack([stripes(), np.full((80, 80), 200, np.uint8)])
    obj = np.zeros((80, 80), bool)
    obj[10:20, 10:20] = True
    result = erase(Image.fromarray(rgba, "RGBA"), obj, get_filler("telea"), dilate=3)
    assert result.mode == "RGBA"
    out = np.asarray(result)
    outside = np.ones((80, 80), bool)
    outside[7:23, 7:23] = False
    assert np.array_equal(out[outside], rgba[outside])
    assert (out[..., 3] == 200).all()


def test_replace_background_keeps_the_subject_and_paints_the_rest_from_the_sample():
    photo = stripes()
    alpha = np.zeros((80, 80), np.uint8)
    alpha[20:60, 20:60] = 255
    alpha[19, 20:60] = 128  # one soft row
    sample = np.full((50, 50, 3), (0, 90, 200), np.uint8)
    result = np.asarray(replace_background(Image.fromarray(photo), alpha, ExemplarFiller(source=sample)))
    assert np.array_equal(result[alpha == 255], photo[alpha == 255])
    assert np.array_equal(result[alpha == 0], np.broadcast_to((0, 90, 200), result[alpha == 0].shape))
    soft = result[19, 30].astype(int)  # half the subject's edge colour, half the new blue
    assert abs(soft[2] - (0.5 * 200 + 0.5 * photo[20, 30, 2])) < 40
