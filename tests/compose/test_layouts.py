"""Layouts: e-commerce squares and ID-photo framing on synthetic subjects with known geometry."""
from __future__ import annotations

import cv2
import numpy as np

from alphacut.compose.layouts import head_box, subject_box
from alphacut.compose.scene import Scene, compose_scene


def test_ecommerce_centres_the_subject_with_the_margin_on_a_white_square():
    alpha = np.zeros((120, 200), np.uint8)
    alpha[10:50, 20:100] = 255  # off-centre, 80 x 40
    fg = np.zeros((120, 200, 3), np.uint8)
    result = compose_scene(fg, alpha, Scene(layout="ecommerce", size=(300, 300), margin=0.1))
    out = np.asarray(result)
    assert result.size == (300, 300) and result.mode == "RGB"
    assert (out[0, 0] == 255).all()
    dark = out.sum(axis=-1) < 384
    left, top, right, bottom = subject_box(dark)
    assert abs(left - 30) <= 1 and abs(right - 270) <= 1  # 240 px = 300 x (1 - 2 x 0.1)
    assert abs((top + bottom) / 2 - 150) <= 1


def person(height: int = 400, width: int = 300) -> np.ndarray:
    """A head (ellipse, crown at y=60, 100 px tall) on a neck and wide shoulders."""
    alpha = np.zeros((height, width), np.uint8)
    cv2.ellipse(alpha, (150, 110), (38, 50), 0, 0, 360, 255, -1)
    alpha[155:190, 130:170] = 255
    alpha[185:, 40:260] = 255
    return alpha


def test_head_is_found_from_the_mask_when_there_is_no_face_detector():
    alpha = person()
    centre, crown, head = head_box(np.zeros((*alpha.shape, 3), np.uint8), alpha)
    assert abs(centre - 150) <= 2 and abs(crown - 60) <= 1 and 85 <= head <= 110


def test_id_photo_puts_the_head_at_the_standard_height():
    alpha = person()
    fg = np.full((*alpha.shape, 3), 40, np.uint8)
    result = compose_scene(fg, alpha, Scene(layout="id-photo", color=(200, 220, 255, 255)))
    assert result.size == (413, 531)
    out = np.asarray(result)
    subject = out[..., 0] < 120
    rows = np.flatnonzero(subject.any(axis=1))
    assert abs(rows[0] - 0.1 * 531) <= 3  # crown 10 % from the top
    head_rows = rows[0] + 0.72 * 531  # the head fills 72 %: the shoulders start below it
    assert subject[int(head_rows) + 10].sum() > subject[rows[0] + 20].sum()
    assert (out[0, 0] == (200, 220, 255)).all()


def test_position_and_scale_place_the_subject_on_the_background_canvas():
    from PIL import Image

    alpha = np.zeros((50, 50), np.uint8)
    alpha[10:40, 20:30] = 255
    fg = np.zeros((50, 50, 3), np.uint8)
    backdrop = Image.new("RGB", (200, 100), (255, 255, 255))
    out = np.asarray(compose_scene(fg, alpha, Scene(image=backdrop, position=(0.25, 0.9), height=0.5)))
    assert out.shape == (100, 200, 3)
    left, top, right, bottom = subject_box(out.sum(axis=-1) < 384)
    assert abs(bottom - 90) <= 1 and abs((bottom - top) - 50) <= 1 and abs((left + right) / 2 - 50) <= 1
