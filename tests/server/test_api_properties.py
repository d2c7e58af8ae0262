"""Property tests of the API's inputs: whatever a client sends, the answer is a valid image or a
JSON error with a 4xx status, never a crash; valid images keep their size."""
from __future__ import annotations

import io
import warnings
from urllib.parse import urlencode

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from alphacut.refine.presets import PRESET_NAMES

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

MAX_PIXELS = 40_000


@pytest.fixture(scope="module")
def api(tiny_model) -> TestClient:
    """One app for all examples (hypothesis runs many per test)."""
    from alphacut.server.app import create_app
    from alphacut.server.settings import ServerSettings

    settings = ServerSettings(models=(str(tiny_model),), max_upload_bytes=200_000, max_pixels=MAX_PIXELS)
    with TestClient(create_app(settings), base_url="http://localhost") as client:
        yield client


def encoded(image: Image.Image, fmt: str = "PNG") -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt)
    return buffer.getvalue()


def assert_json_error(response, statuses=(413, 422)) -> None:
    assert response.status_code in statuses, (response.status_code, response.text)
    body = response.json()
    assert set(body) == {"error", "detail"} and isinstance(body["detail"], str)


SAMPLE = encoded(Image.new("RGB", (24, 16), (0, 0, 0)))

option_values = st.fixed_dictionaries({}, optional={
    "preset": st.one_of(st.sampled_from(PRESET_NAMES), st.text(max_size=12)),
    "format": st.sampled_from(["png", "webp", "jpg", "PNG", "", "gif"]),
    "mask": st.sampled_from(["true", "false", "1", "0", "yes", "maybe", ""]),
    "crop": st.sampled_from(["true", "false", "on", "2"]),
    "margin": st.one_of(st.integers(-5, 5000).map(str), st.text(max_size=4)),
    "threshold": st.one_of(st.floats(-1, 2).map(str), st.sampled_from(["nan", "inf", "abc"])),
    "bg": st.one_of(st.sampled_from(["white", "#00ff0080", "1,2,3", "300,0,0", "#zzz", "transparent"]), st.text(max_size=10)),
    "bg_fit": st.sampled_from(["fill", "fit", "stretch", "tile"]),
    "keep_soft": st.sampled_from(["true", "false"]),
    "main_subject": st.sampled_from(["true", "false"]),
    "model": st.sampled_from(["tiny", "isnet", "/etc/passwd", "tiny.onnx"]),
})


#: Values the API's schema (server/params.py) refuses for certain, whatever else is sent; the
#: generated text values outside these lists may or may not be valid, and are not judged here.
REFUSED = {
    "format": lambda v: v not in ("png", "webp"),
    "mask": lambda v: v in ("maybe", ""),
    "crop": lambda v: v == "2",
    "bg_fit": lambda v: v == "tile",
    "model": lambda v: v != "tiny",  # only the tiny model is served; never a path on the server
    "preset": lambda v: v not in PRESET_NAMES,
    "threshold": lambda v: v in ("nan", "inf", "abc") or not 0.0 <= float(v) <= 1.0,
    "margin": lambda v: (v.isascii() and v.isdigit() and int(v) > 4096) or not any(c.isdigit() for c in v),
    "bg": lambda v: v in ("300,0,0", "#zzz"),
}


def refused_for_certain(options: dict[str, str]) -> list[str]:
    return [name for name, value in options.items() if name in REFUSED and REFUSED[name](value)]


@given(option_values)
def test_any_options_give_an_image_or_a_422(api, options):
    response = api.post(f"/v1/remove?{urlencode(options)}", content=SAMPLE)
    refused = refused_for_certain(options)
    if refused:  # an invalid value is never answered with an image made with some default instead
        assert response.status_code == 422, (refused, response.status_code)
    if response.status_code == 200:
        fmt = options.get("format", "png")
        assert response.headers["content-type"] == f"image/{fmt}"
        image = Image.open(io.BytesIO(response.content))
        image.load()
        assert image.format == fmt.upper()
        if options.get("mask") in ("true", "1", "yes"):
            assert image.mode == "L"
        if options.get("crop") not in ("true", "on"):
            assert image.size == (24, 16)
    else:
        assert_json_error(response, (422,))


@given(st.binary(max_size=2048))
def test_arbitrary_bytes_are_refused_cleanly(api, body):
    assert_json_error(api.post("/v1/remove", content=body), (422,))


@given(st.binary(min_size=1, max_size=300), st.integers(0, 200))
def test_truncated_and_corrupted_images_are_refused_cleanly(api, garbage, cut):
    broken = SAMPLE[: max(1, len(SAMPLE) - cut)] + garbage
    response = api.post("/v1/remove", files={"file": ("x.png", broken, "image/png")})
    if response.status_code != 200:
        assert_json_error(response, (422,))
        return
    cutout = Image.open(io.BytesIO(response.content))  # decoded (garbage after the end): a whole cutout
    cutout.load()
    assert (cutout.format, cutout.mode, cutout.size) == ("PNG", "RGBA", (24, 16))


@given(
    st.integers(1, 300), st.integers(1, 300),
    st.sampled_from(["RGB", "RGBA", "L", "LA", "P", "I;16", "CMYK", "1"]),
    st.sampled_from(["PNG", "WEBP", "TIFF", "BMP", "JPEG", "GIF"]),
)
def test_any_image_keeps_its_size_or_hits_the_pixel_limit(api, width, height, mode, fmt):
    rng = np.random.default_rng(width * 1000 + height)
    image = Image.fromarray(rng.integers(0, 256, (height, width, 3), dtype=np.uint8)).convert(mode)
    try:
        data = encoded(image, fmt)
    except (OSError, ValueError, KeyError):
        return  # Pillow cannot write this mode in this format; nothing to send
    response = api.post("/v1/mask", files={"file": (f"x.{fmt.lower()}", data)})
    if width * height > MAX_PIXELS:
        assert_json_error(response, (413, 422))
        return
    assert response.status_code == 200, response.text
    mask = Image.open(io.BytesIO(response.content))
    assert mask.mode == "L" and mask.size == (width, height)


@given(st.integers(1, 80), st.integers(1, 80), st.integers(1, 80), st.integers(1, 80))
def test_hints_of_any_size_are_scaled_to_the_image(api, width, height, hint_width, hint_height):
    image = Image.new("RGB", (width, height), (0, 0, 0))
    hints = Image.new("RGBA", (hint_width, hint_height), (255, 0, 0, 255))  # keep everything
    response = api.post("/v1/mask", files={"file": ("a.png", encoded(image)), "hints": ("h.png", encoded(hints))})
    assert response.status_code == 200, response.text
    mask = np.asarray(Image.open(io.BytesIO(response.content)))
    assert mask.shape == (height, width) and (mask == 255).all()
