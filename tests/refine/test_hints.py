"""Brush hints: parsing colour strokes and grey trimaps, and forcing them through refine()."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from alphacut.errors import InputError
from alphacut.io.decode import decode_image
from alphacut.pipeline import RemoveOptions, Remover
from alphacut.refine.hints import Hints, apply_hints, parse_hints
from alphacut.refine.presets import PRESETS
from alphacut.refine.refiner import refine


def strokes(size=(40, 30)) -> Image.Image:
    """Red (keep) on the left third, blue (remove) on the right third, clear in the middle."""
    canvas = np.zeros((size[1], size[0], 4), np.uint8)
    canvas[:, : size[0] // 3] = (255, 0, 0, 255)
    canvas[:, 2 * size[0] // 3 :] = (0, 0, 255, 255)
    return Image.fromarray(canvas, "RGBA")


def test_colour_strokes_mark_keep_and_remove():
    hints = parse_hints(strokes(), (40, 30))
    assert hints.keep[:, :13].all() and not hints.keep[:, 13:].any()
    assert hints.remove[:, 26:].all() and not hints.remove[:, :26].any()


def test_transparent_grey_and_mixed_pixels_are_no_hint():
    canvas = np.zeros((4, 4, 4), np.uint8)
    canvas[0, 0] = (255, 0, 0, 0)  # red but fully transparent
    canvas[0, 1] = (200, 200, 200, 255)  # grey
    canvas[0, 2] = (255, 0, 255, 255)  # magenta: neither red nor blue dominates
    hints = parse_hints(Image.fromarray(canvas, "RGBA"), (4, 4))
    assert hints.empty


def test_grey_trimap_is_three_valued():
    grey = np.array([[0, 63, 64, 128, 191, 192, 255]], np.uint8)
    hints = parse_hints(Image.fromarray(grey, "L"), (7, 1))
    assert hints.remove[0].tolist() == [True, True, False, False, False, False, False]
    assert hints.keep[0].tolist() == [False, False, False, False, False, True, True]


def test_hints_scale_to_the_image_nearest_neighbour():
    hints = parse_hints(strokes((6, 3)), (60, 30))
    assert hints.keep.shape == (30, 60)
    assert hints.keep[:, :20].all() and hints.remove[:, 40:].all()


def test_unsupported_mode_is_an_input_error():
    with pytest.raises(InputError, match="mode"):
        parse_hints(Image.new("I;16B", (4, 4)), (4, 4))


def test_apply_hints_rejects_other_sizes():
    hints = Hints(keep=np.zeros((3, 3), bool), remove=np.zeros((3, 3), bool))
    with pytest.raises(InputError, match="hints are"):
        apply_hints(np.zeros((4, 4), np.float32), hints)


@given(st.lists(st.floats(0, 1, width=32), min_size=12, max_size=12), st.lists(st.sampled_from([0, 1, 2]), min_size=12, max_size=12))
def test_apply_hints_forces_only_marked_pixels(values, marks):
    alpha = np.array(values, np.float32).reshape(3, 4)
    mark = np.array(marks).reshape(3, 4)
    forced = apply_hints(alpha, Hints(keep=mark == 1, remove=mark == 2))
    assert (forced[mark == 1] == 1).all() and (forced[mark == 2] == 0).all()
    assert np.array_equal(forced[mark == 0], alpha[mark == 0])
    assert np.array_equal(alpha, np.array(values, np.float32).reshape(3, 4))  # input untouched


def test_refine_keeps_hints_through_matting_and_main_subject():
    """The model sees nothing; strokes alone decide, and matting does not undo them."""
    rgb = np.random.default_rng(3).integers(90, 150, (40, 40, 3), dtype=np.uint8)
    image = Image.fromarray(rgb)
    blank = lambda _: np.full((40, 40), 0.5, np.float32)  # noqa: E731 - an undecided model
    keep = np.zeros((40, 40), bool)
    keep[10:30, 5:15] = True
    remove = np.zeros((40, 40), bool)
    remove[10:30, 25:35] = True
    settings = PRESETS["photo"].with_options(main_subject=True)
    refined = refine(image, blank, settings, model_side=40, hints=Hints(keep=keep, remove=remove))
    assert (refined.alpha[keep] == 1).all() and (refined.alpha[remove] == 0).all()
    unhinted = refine(image, blank, settings, model_side=40)
    assert not np.array_equal(unhinted.alpha, refined.alpha)


def test_remover_applies_hints_and_changes_nothing_without_them(tiny_session, square_image):
    decoded = decode_image(square_image)
    remover = Remover(tiny_session, RemoveOptions(preset="raw"))
    plain = np.asarray(remover.process(decoded)[0].getchannel("A"))
    assert np.array_equal(plain, np.asarray(remover.process(decoded, hints=None)[0].getchannel("A")))
    hint = np.zeros((48, 64, 4), np.uint8)
    hint[0:8, 0:8] = (255, 0, 0, 255)  # keep a corner of the black background
    hint[20:28, 24:40] = (0, 0, 255, 255)  # remove the middle of the white subject
    hinted = np.asarray(remover.process(decoded, hints=Image.fromarray(hint, "RGBA"))[0].getchannel("A"))
    assert (hinted[0:8, 0:8] == 255).all() and (hinted[20:28, 24:40] == 0).all()
    assert plain[0:8, 0:8].max() < 10 and plain[20:28, 24:40].min() > 245
