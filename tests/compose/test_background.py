"""New backgrounds: colours parsed from text, images fitted or filled."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from alphacut.compose.background import fit_background, on_color, on_image, over, parse_color
from alphacut.errors import InputError


@pytest.mark.parametrize(
    "text, expected",
    [
        ("white", (255, 255, 255, 255)),
        ("Black", (0, 0, 0, 255)),
        ("  red ", (255, 0, 0, 255)),
        ("#ff8800", (255, 136, 0, 255)),
        ("#FF880080", (255, 136, 0, 128)),
        ("#f80", (255, 136, 0, 255)),
        ("255,136,0", (255, 136, 0, 255)),
        ("255, 136, 0, 128", (255, 136, 0, 128)),
        ("0,0,0,0", (0, 0, 0, 0)),
    ],
)
def test_parse_color(text, expected):
    assert parse_color(text) == expected


@pytest.mark.parametrize(
    "text",
    ["", "   ", "nope", "#12", "#gggggg", "1,2", "1,2,3,4,5", "256,0,0", "-1,0,0", "a,b,c", "1,,3", "1.5,2,3"],
)
def test_bad_colour_is_an_input_error(text):
    with pytest.raises(InputError, match="bad colour"):
        parse_color(text)


channel = st.integers(min_value=0, max_value=255)


@given(channel, channel, channel, channel)
def test_parse_color_round_trips(r, g, b, a):
    assert parse_color(f"{r},{g},{b},{a}") == (r, g, b, a)
    assert parse_color(f"{r}, {g}, {b}") == (r, g, b, 255)
    assert parse_color(f"#{r:02x}{g:02x}{b:02x}{a:02x}") == (r, g, b, a)
    assert parse_color(f"#{r:02X}{g:02X}{b:02X}") == (r, g, b, 255)


def half_transparent_red(size=(8, 6)) -> Image.Image:
    image = Image.new("RGBA", size, (255, 0, 0, 0))
    image.paste((255, 0, 0, 255), (0, 0, size[0] // 2, size[1]))
    return image


def test_on_white():
    result = on_color(half_transparent_red(), parse_color("white"))
    assert result.mode == "RGB" and result.size == (8, 6)
    pixels = np.asarray(result)
    assert np.all(pixels[:, :4] == (255, 0, 0))
    assert np.all(pixels[:, 4:] == (255, 255, 255))


def test_soft_alpha_blends_with_the_colour():
    image = Image.new("RGBA", (1, 1), (0, 0, 0, 128))
    result = np.asarray(on_color(image, (255, 255, 255, 255))).astype(int)
    assert np.all(np.abs(result - 127) <= 1)


def test_translucent_colour_keeps_alpha():
    result = on_color(half_transparent_red(), (0, 0, 255, 100))
    assert result.mode == "RGBA"
    assert np.all(np.asarray(result)[:, 4:, 3] == 100)
    assert np.all(np.asarray(result)[:, :4, 3] == 255)


def test_over_is_straight_alpha_compositing():
    fg = Image.new("RGBA", (2, 2), (200, 100, 0, 255))
    assert np.all(np.asarray(over(fg, Image.new("RGB", (2, 2), "blue"))) == (200, 100, 0, 255))


def background_image(size=(40, 20)) -> Image.Image:
    image = Image.new("RGB", size, (0, 128, 0))
    image.paste((0, 0, 200), (size[0] // 2, 0, size[0], size[1]))
    return image


@pytest.mark.parametrize("mode", ["fill", "stretch"])
def test_fill_and_stretch_cover_the_frame(mode):
    fitted = fit_background(background_image((40, 20)), (30, 30), mode)
    assert fitted.size == (30, 30)
    assert np.asarray(fitted)[..., 3].min() == 255


def test_fit_letterboxes_with_transparent_bars():
    fitted = fit_background(background_image((40, 20)), (30, 30), "fit")
    alpha = np.asarray(fitted)[..., 3]
    assert fitted.size == (30, 30)
    # 40x20 scaled into 30x30 is 30x15, centred: bars above and below
    assert alpha[:7].max() == 0 and alpha[-7:].max() == 0
    assert alpha[8:22].min() == 255


def test_unknown_fit_is_an_input_error():
    with pytest.raises(InputError, match="fill, fit or stretch"):
        fit_background(background_image(), (4, 4), "tile")


def test_on_image_fill_gives_opaque_rgb_of_the_cutout_size():
    result = on_image(half_transparent_red((30, 30)), background_image((40, 20)), "fill")
    assert result.mode == "RGB" and result.size == (30, 30)
    pixels = np.asarray(result)
    assert np.all(pixels[:, :15] == (255, 0, 0))  # the subject
    assert pixels[15, 29].tolist() == [0, 0, 200]  # the background's right half shows through


def test_on_image_fit_keeps_transparency_in_the_bars():
    result = on_image(half_transparent_red((30, 30)), background_image((40, 20)), "fit")
    assert result.mode == "RGBA" and result.size == (30, 30)
    alpha = np.asarray(result)[..., 3]
    assert alpha[0, 29] == 0  # bar, outside the subject
    assert alpha[0, 0] == 255  # subject over a bar stays opaque
    assert alpha[15, 29] == 255  # background inside the letterbox
