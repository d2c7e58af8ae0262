"""remove.bg's fields read as its API reference documents them: names, aliases, units and bounds."""
from __future__ import annotations

import base64

import pytest

from alphacut.compat.removebg_fields import (
    KNOWN_FIELDS,
    FieldError,
    Length,
    parse_bg_color,
    parse_crop_margin,
    parse_fields,
    parse_position,
    parse_request,
    parse_roi,
    parse_scale,
    roi_box,
)
from alphacut.pipeline import RemoveOptions

PNG = b"\x89PNG not decoded here"


def code_of(call, *args) -> str:
    with pytest.raises(FieldError) as caught:
        call(*args)
    return caught.value.code


def test_defaults_are_remove_bgs():
    fields = parse_fields({})
    assert (fields.size, fields.type, fields.format, fields.channels) == ("preview", "auto", "auto", "rgba")
    assert fields.max_output_pixels == 250_000  # preview = 0.25 MP
    assert not fields.crop and fields.scale is None and fields.position is None and fields.roi is None
    assert fields.remove_values() == {"preset": "auto", "mask": False}


@pytest.mark.parametrize("size, pixels", [
    ("preview", 250_000), ("small", 250_000), ("regular", 250_000), ("medium", 1_500_000), ("hd", 4_000_000),
    ("full", None), ("4k", None), ("auto", None), ("50MP", None),
])
def test_sizes_and_their_aliases(size, pixels):
    assert parse_fields({"size": size}).max_output_pixels == pixels


@pytest.mark.parametrize("kind, preset", [
    ("auto", "auto"), ("person", "portrait"), ("product", "product"), ("car", "product"),
    ("animal", "photo"), ("graphic", "graphic"), ("transportation", "product"),
])
def test_every_type_maps_to_a_preset_that_exists(kind, preset):
    fields = parse_fields({"type": kind})
    assert fields.remove_values()["preset"] == preset
    RemoveOptions.from_user(**fields.remove_values())  # a real preset
    assert fields.reported_type == ("other" if kind == "auto" else kind)


def test_channels_format_shadow_and_semitransparency_map_to_options():
    values = parse_fields({"channels": "alpha", "format": "ZIP", "add_shadow": "true", "semitransparency": "false"}).remove_values()
    assert values == {"preset": "auto", "mask": True, "shadow": "contact", "threshold": 0.5}
    assert parse_fields({"semitransparency": "1"}).remove_values()["keep_soft"] is True
    assert parse_fields({"format": "jpg"}).format == "jpg"


@pytest.mark.parametrize("text, expected", [
    ("81d4fa", "#81d4fa"), ("fff", "#fff"), ("81d4fa77", "#81d4fa77"), ("#00ff00", "#00ff00"),
    ("green", "green"), ("FFF", "#FFF"), ("f0f8", "#f0f8"),
])
def test_bg_colours_hex_without_hash_or_names(text, expected):
    assert parse_bg_color(text) == expected
    assert RemoveOptions.from_user(bg=expected).bg_color is not None


def test_crop_margin_one_two_or_four_values_in_px_or_percent():
    assert parse_crop_margin("30px") == (Length(30),) * 4
    assert parse_crop_margin("10") == (Length(10),) * 4
    assert parse_crop_margin("10% 5px") == (Length(10, True), Length(5), Length(10, True), Length(5))
    assert parse_crop_margin("1px 2px 3px 4px") == (Length(1), Length(2), Length(3), Length(4))
    for bad in ("1px 2px 3px", "wide", "-3px", "51%", "501px"):
        assert code_of(parse_crop_margin, bad) == "invalid_parameter"


def test_scale_and_position():
    assert parse_scale("original") is None and parse_scale("50%") == 0.5 and parse_scale("100%") == 1.0
    for bad in ("5%", "101%", "50", "big"):
        assert code_of(parse_scale, bad) == "invalid_parameter"
    assert parse_position("original") is None and parse_position("center") == (0.5, 0.5)
    assert parse_position("0%") == (0.0, 0.0) and parse_position("25% 100%") == (0.25, 1.0)
    for bad in ("10px", "120%", "1% 2% 3%"):
        assert code_of(parse_position, bad) == "invalid_parameter"
    assert parse_fields({"scale": "50%"}).position == (0.5, 0.5)  # scale implies position=center
    assert parse_fields({"scale": "50%", "position": "original"}).position is None


def test_roi_in_pixels_and_percent():
    roi = parse_roi("10px 0% 50% 100%")
    assert roi_box(roi, (200, 100)) == (10, 0, 100, 100)
    assert roi_box(parse_roi("0 0 9999px 9999px"), (20, 10)) == (0, 0, 20, 10)  # clamped
    assert code_of(roi_box, parse_roi("50% 0% 40% 100%"), (10, 10)) == "invalid_parameter"
    for bad in ("0 0 10", "0% 0% 110% 100%", "a b c d"):
        assert code_of(parse_roi, bad) == "invalid_parameter"


def test_booleans():
    assert parse_fields({"crop": "true"}).crop and not parse_fields({"crop": "0"}).crop
    assert code_of(parse_fields, {"crop": "maybe"}) == "invalid_parameter"


def test_request_needs_exactly_one_source():
    assert code_of(parse_request, {}) == "missing_source"
    assert code_of(parse_request, {"size": "full"}, {"image_file": b""}) == "missing_source"  # an empty upload
    both = {"image_url": "http://example.com/a.png"}
    assert code_of(parse_request, both, {"image_file": PNG}) == "multiple_sources"


def test_request_sources_and_backgrounds():
    by_file = parse_request({"size": "", "bg_color": None}, {"image_file": PNG})  # unset values, as clients send them
    assert by_file.image == PNG and by_file.fields.size == "preview" and by_file.fields.bg_color is None
    by_b64 = parse_request({"image_file_b64": base64.b64encode(PNG).decode(), "crop": True, "crop_margin": 10})
    assert by_b64.image == PNG and by_b64.fields.crop and by_b64.fields.crop_margin == (Length(10),) * 4  # JSON types read as text
    assert parse_request({"image_file_b64": "data:image/png;base64," + base64.b64encode(PNG).decode()}).image == PNG
    by_url = parse_request({"image_url": "https://example.com/a.jpg", "bg_image_url": "https://example.com/b.jpg"})
    assert by_url.image is None and by_url.image_url and by_url.bg_image_url
    assert parse_request({"image_url": "u"}, {"bg_image_file": b"bg"}).bg_image == b"bg"
    assert code_of(parse_request, {"image_url": "u", "bg_color": "fff"}, {"bg_image_file": b"bg"}) == "invalid_parameter"


def test_bad_requests_have_remove_bg_codes():
    assert code_of(parse_request, {"image_url": "u", "colour": "red"}) == "unknown_parameter"
    assert code_of(parse_request, {"image_file_b64": "not base64!"}) == "invalid_image_b64"
    assert code_of(parse_request, {"image_file": "/etc/passwd"}) == "invalid_parameter"  # text where a file belongs
    assert code_of(parse_request, {"image_url": "u"}, {"size": b"x"}) == "invalid_parameter"
    assert code_of(parse_request, {"image_url": ["a"]}) == "invalid_parameter"


def test_every_known_field_is_read():
    values = {"image_url": "https://example.com/a.png", "size": "hd", "type": "car", "format": "png", "channels": "rgba",
              "bg_color": "fff", "crop": "true", "crop_margin": "5%", "scale": "80%", "position": "0% 100%",
              "roi": "0 0 100% 100%", "semitransparency": "true", "add_shadow": "false"}
    assert set(values) | {"image_file", "image_file_b64", "bg_image_file", "bg_image_url"} == set(KNOWN_FIELDS)
    fields = parse_request(values).fields
    assert (fields.size, fields.type, fields.format, fields.bg_color, fields.crop) == ("hd", "car", "png", "#fff", True)
    assert fields.crop_margin == (Length(5, True),) * 4 and fields.scale == 0.8 and fields.position == (0.0, 1.0)
    assert fields.roi is not None and fields.semitransparency is True and fields.add_shadow is False
