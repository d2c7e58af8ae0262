"""remove.bg's steps around the matte, on the tiny model: output size, region of interest,
scale/position, per-side crop margins, backgrounds and the auto/png/jpg/zip formats."""
from __future__ import annotations

import io
import zipfile

import numpy as np
import pytest
from PIL import Image

from alphacut.compat.removebg import limit_pixels, margin_box, place, render
from alphacut.compat.removebg_fields import FieldError, Length, parse_fields

SUBJECT = (16, 12, 48, 36)  # left, top, right, bottom of the white square


def white_square(size=(64, 48), box=SUBJECT) -> bytes:
    image = Image.new("RGB", size, (0, 0, 0))
    image.paste((255, 255, 255), box)
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def opened(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def run(session, fields: dict, image: bytes | None = None, **kwargs):
    return render(session, parse_fields(fields), image or white_square(), max_pixels=10_000_000, **kwargs)


def test_default_is_a_png_cutout_with_the_foreground_box(tiny_session):
    result = run(tiny_session, {})
    assert result.format == "png" and result.media_type == "image/png"
    image = opened(result.data)
    assert image.mode == "RGBA" and (result.width, result.height) == image.size == (64, 48)
    left, top, right, bottom = SUBJECT
    assert (result.foreground_left, result.foreground_top) == (left, top)
    assert (result.foreground_width, result.foreground_height) == (right - left, bottom - top)
    assert result.type == "other"


def test_preview_size_caps_the_output_at_a_quarter_megapixel(tiny_session):
    big = white_square((1000, 500), (200, 100, 800, 400))
    preview = run(tiny_session, {"size": "preview"}, big)
    assert preview.width * preview.height <= 250_000 and preview.width / preview.height == pytest.approx(2, rel=0.01)
    assert (run(tiny_session, {"size": "full"}, big).width, run(tiny_session, {"size": "hd"}, big).width) == (1000, 1000)
    small = Image.new("RGB", (10, 10))
    assert limit_pixels(small, 25) .size == (5, 5) and limit_pixels(small, None) is small and limit_pixels(small, 100) is small


def test_crop_with_per_side_margins_in_px_and_percent(tiny_session):
    left, top, right, bottom = SUBJECT
    cropped = run(tiny_session, {"crop": "true", "crop_margin": "1px 2px 3px 4px"})
    assert (cropped.width, cropped.height) == (right - left + 6, bottom - top + 4)
    assert (cropped.foreground_left, cropped.foreground_top) == (4, 1)
    relative = run(tiny_session, {"crop": "true", "crop_margin": "50%"})  # 50 % of 24 px high and 32 px wide, clamped
    assert (relative.width, relative.height) == (64, 48)
    alpha = np.zeros((100, 100), np.uint8)
    alpha[40:60, 40:60] = 255
    assert margin_box(alpha, (Length(10), Length(0), Length(0), Length(50, True))) == (30, 30, 60, 60)


def test_roi_removes_everything_outside_it(tiny_session):
    half = run(tiny_session, {"roi": "0px 0px 32px 100%"})
    alpha = np.asarray(opened(half.data).getchannel("A"))
    assert alpha[:, 33:].max() == 0 and alpha[20, 20] > 240
    assert half.foreground_width == 32 - SUBJECT[0]
    with pytest.raises(FieldError) as caught:
        run(tiny_session, {"roi": "0% 0% 10% 10%"})  # nothing of the subject inside
    assert caught.value.code == "unknown_foreground"


def test_scale_and_position_move_the_subject(tiny_session):
    centred = run(tiny_session, {"scale": "50%"})  # fits 50 % of both sides, centred
    assert (centred.width, centred.height) == (64, 48)
    assert centred.foreground_width == pytest.approx(32, abs=2) and centred.foreground_height == pytest.approx(24, abs=2)
    assert centred.foreground_left == pytest.approx(16, abs=2) and centred.foreground_top == pytest.approx(12, abs=2)
    corner = run(tiny_session, {"scale": "50%", "position": "0%"})
    assert corner.foreground_left <= 1 and corner.foreground_top <= 1
    bottom_right = run(tiny_session, {"position": "100% 100%"})  # original size, moved
    assert bottom_right.foreground_left + bottom_right.foreground_width >= 63
    assert bottom_right.foreground_top + bottom_right.foreground_height >= 47
    colours = Image.new("RGB", (10, 10), (200, 100, 50))
    alpha = np.zeros((10, 10), np.uint8)
    alpha[0:2, 0:2] = 255
    moved_colours, moved = place(colours, alpha, None, (1.0, 1.0))
    assert moved[8:, 8:].min() == 255 and moved[:2, :2].max() == 0 and moved_colours.getpixel((9, 9)) == (200, 100, 50)


def test_formats(tiny_session):
    assert run(tiny_session, {"format": "auto"}).format == "png"  # transparent: PNG
    on_blue = run(tiny_session, {"format": "auto", "bg_color": "00f"})
    assert on_blue.format == "jpg" and on_blue.media_type == "image/jpeg"  # opaque: JPG
    assert opened(on_blue.data).getpixel((2, 2))[2] > 240
    flattened = opened(run(tiny_session, {"format": "jpg"}).data)
    assert flattened.mode == "RGB" and min(flattened.getpixel((2, 2))) > 240  # transparent areas on white
    archive = zipfile.ZipFile(io.BytesIO(run(tiny_session, {"format": "zip"}).data))
    assert sorted(archive.namelist()) == ["alpha.png", "color.jpg"]
    alpha = opened(archive.read("alpha.png"))
    assert alpha.mode == "L" and alpha.size == opened(archive.read("color.jpg")).size == (64, 48)
    assert np.asarray(alpha)[20, 30] > 240 and np.asarray(alpha)[2, 2] < 15
    mask_zip = zipfile.ZipFile(io.BytesIO(run(tiny_session, {"format": "zip", "channels": "alpha"}).data))
    assert opened(mask_zip.read("color.jpg")).mode == "RGB"


def test_alpha_channel_shadow_and_background_image(tiny_session):
    mask = opened(run(tiny_session, {"channels": "alpha", "format": "png"}).data)
    assert mask.mode == "L"
    shadowed = opened(run(tiny_session, {"add_shadow": "true", "format": "png"}).data)
    plain = opened(run(tiny_session, {"format": "png"}).data)
    assert np.asarray(shadowed.getchannel("A"))[37:40].sum() > np.asarray(plain.getchannel("A"))[37:40].sum()
    background = io.BytesIO()
    Image.new("RGB", (10, 10), (0, 255, 0)).save(background, "PNG")
    on_green = opened(run(tiny_session, {"format": "png"}, bg_image=background.getvalue()).data)
    assert on_green.mode == "RGB" and on_green.getpixel((2, 2)) == (0, 255, 0)


def test_an_image_without_subject_is_unknown_foreground(tiny_session):
    black = io.BytesIO()
    Image.new("RGB", (20, 20)).save(black, "PNG")
    with pytest.raises(FieldError) as caught:
        run(tiny_session, {}, black.getvalue())
    assert caught.value.code == "unknown_foreground"
