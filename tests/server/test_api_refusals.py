"""Each invalid option value, sent alone with a good image, is refused (422, a JSON error): the API
never answers an invalid value with an image made from some default instead. (The property tests
of test_api_properties.py send many options at once, where another invalid value can hide this.)"""
from __future__ import annotations

import io

import pytest
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from alphacut.refine.presets import PRESET_NAMES

SAMPLE = io.BytesIO()
Image.new("RGB", (24, 16), (0, 0, 0)).save(SAMPLE, format="PNG")

INVALID = [
    ("preset", "fastest"), ("preset", "AUTO"), ("preset", ""), ("format", "jpg"), ("format", "PNG"), ("format", ""),
    ("mask", "maybe"), ("crop", "2"), ("margin", "-1"), ("margin", "4097"), ("margin", "ten"), ("threshold", "nan"),
    ("threshold", "inf"), ("threshold", "1.5"), ("threshold", "-0.1"), ("bg", "#zzz"), ("bg", "300,0,0"),
    ("bg_fit", "tile"), ("model", "isnet"), ("model", "/etc/passwd"), ("matting", "magic"), ("tta", "3"),
    ("shadow", "long"), ("harmonize", "2"), ("ecommerce", "8"), ("bg_blur", "0"), ("no_such_option", "1"),
]


def refused(client, name: str, value: str) -> dict:
    response = client.post("/v1/remove", params={name: value}, content=SAMPLE.getvalue())
    assert response.status_code == 422, (name, value, response.status_code)
    body = response.json()
    assert set(body) == {"error", "detail"} and isinstance(body["detail"], str) and body["detail"]
    return body


def test_the_sample_with_no_options_is_cut_out(client):
    response = client.post("/v1/remove", content=SAMPLE.getvalue())
    assert response.status_code == 200 and response.headers["content-type"] == "image/png"


@pytest.mark.parametrize(("name", "value"), INVALID)
def test_an_invalid_value_alone_is_refused(client, name, value):
    refused(client, name, value)


@given(st.text(max_size=12).filter(lambda text: text not in PRESET_NAMES))
def test_any_unknown_preset_alone_is_refused(client, preset):
    refused(client, "preset", preset)
