"""``POST /v1.0/removebg`` and ``GET /v1.0/account`` against what remove.bg documents: request
encodings, response headers and JSON, error shape and status codes, and the native limits (body,
pixels, queue, keys) answered in remove.bg's terms. Never a 500."""
from __future__ import annotations

import asyncio
import base64
import io

import httpx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from .compat_images import PNG, SUBJECT, opened
from .image_host import ImageHost

HEADERS = ("x-type", "x-width", "x-height", "x-foreground-top", "x-foreground-left", "x-foreground-width",
           "x-foreground-height", "x-credits-charged")


B64 = base64.b64encode(PNG).decode()


def errors_of(response: httpx.Response, status: int) -> list[dict]:
    """remove.bg's error shape: ``{"errors": [{"title": ..., "code": ...}]}``."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"errors"} and body["errors"]
    for error in body["errors"]:
        assert isinstance(error["title"], str) and error["title"] and isinstance(error["code"], str)
    return body["errors"]


def code_of(response: httpx.Response, status: int) -> str:
    return errors_of(response, status)[0]["code"]


# -- results -------------------------------------------------------------------------------------


def test_multipart_upload_returns_the_image_with_remove_bg_headers(client):
    response = client.post("/v1.0/removebg", files={"image_file": ("photo.png", PNG, "image/png")},
                           data={"size": "auto", "format": "png"}, headers={"X-Api-Key": "anything"})
    assert response.status_code == 200 and response.headers["content-type"] == "image/png"
    assert all(name in response.headers for name in HEADERS)
    assert response.headers["x-credits-charged"] == "0" and response.headers["x-type"] == "other"
    assert (response.headers["x-width"], response.headers["x-height"]) == ("64", "48")
    left, top, right, bottom = SUBJECT
    assert [int(response.headers[f"x-foreground-{k}"]) for k in ("top", "left", "width", "height")] == \
        [top, left, right - left, bottom - top]
    image = opened(response.content)
    assert image.mode == "RGBA" and np.asarray(image.getchannel("A"))[20, 30] > 240


def test_json_body_and_accept_json_give_result_b64(client):
    response = client.post("/v1.0/removebg", json={"image_file_b64": B64, "size": "preview", "type": "product", "crop": True},
                           headers={"Accept": "application/json"})
    assert response.status_code == 200 and response.headers["content-type"] == "application/json"
    data = response.json()["data"]
    assert set(data) == {"result_b64", "foreground_top", "foreground_left", "foreground_width", "foreground_height"}
    image = opened(base64.b64decode(data["result_b64"]))
    # cropped to the subject: the foreground fills the result (the product preset's soft edge included)
    assert (data["foreground_top"], data["foreground_left"]) == (0, 0)
    assert image.size == (data["foreground_width"], data["foreground_height"])
    assert 32 <= image.width <= 40 and 24 <= image.height <= 32
    assert response.headers["x-type"] == "product" and response.headers["x-width"] == str(image.width)


def test_form_urlencoded_with_base64(client):
    response = client.post("/v1.0/removebg", data={"image_file_b64": B64, "bg_color": "ff0000", "format": "auto"})
    assert response.status_code == 200 and response.headers["content-type"] == "image/jpeg"  # opaque: auto is JPG
    assert opened(response.content).getpixel((2, 2))[0] > 240


def test_channels_alpha_zip_and_background_file(client):
    mask = client.post("/v1.0/removebg", files={"image_file": ("a.png", PNG)}, data={"channels": "alpha", "format": "png"})
    assert mask.status_code == 200 and opened(mask.content).mode == "L"
    archive = client.post("/v1.0/removebg", files={"image_file": ("a.png", PNG)}, data={"format": "zip"})
    assert archive.status_code == 200 and archive.headers["content-type"] == "application/zip"
    background = io.BytesIO()
    Image.new("RGB", (8, 8), (0, 0, 255)).save(background, "PNG")
    on_image = client.post("/v1.0/removebg", files={"image_file": ("a.png", PNG), "bg_image_file": ("b.png", background.getvalue())},
                           data={"format": "png"})
    assert on_image.status_code == 200 and opened(on_image.content).getpixel((2, 2)) == (0, 0, 255)


def test_account_is_local_and_unlimited(client):
    response = client.get("/v1.0/account")
    assert response.status_code == 200
    credits = response.json()["data"]["attributes"]["credits"]
    assert set(credits) == {"total", "subscription", "payg", "enterprise"} and credits["total"] >= 1_000_000
    assert response.json()["data"]["attributes"]["api"]["sizes"] == "all"


# -- errors --------------------------------------------------------------------------------------


@pytest.mark.parametrize("request_kwargs, code", [
    ({"json": {}}, "missing_source"),
    ({"json": {"image_file_b64": B64, "size": "gigantic"}}, "invalid_parameter"),
    ({"json": {"image_file_b64": B64, "type": "spaceship"}}, "invalid_parameter"),
    ({"json": {"image_file_b64": B64, "crop_margin": "60%"}}, "invalid_parameter"),
    ({"json": {"image_file_b64": B64, "bg_color": "not-a-colour"}}, "invalid_parameter"),
    ({"json": {"image_file_b64": B64, "colour": "red"}}, "unknown_parameter"),
    ({"json": {"image_file_b64": "%%%"}}, "invalid_image_b64"),
    ({"json": {"image_file_b64": B64, "image_url": "https://example.com/a.png"}}, "multiple_sources"),
    ({"json": {"image_file_b64": base64.b64encode(b"not an image").decode()}}, "invalid_input"),
    ({"json": [1, 2]}, "invalid_parameter"),
    ({"content": b"{", "headers": {"content-type": "application/json"}}, "invalid_parameter"),
    ({"content": PNG, "headers": {"content-type": "image/png"}}, "invalid_parameter"),
    ({"data": {"image_file": "/etc/passwd"}}, "invalid_parameter"),
])
def test_bad_input_is_400_in_remove_bg_shape(client, request_kwargs, code):
    assert code_of(client.post("/v1.0/removebg", **request_kwargs), 400) == code


def test_image_url_is_refused_by_default_and_nothing_is_fetched(client):
    with ImageHost(PNG) as bait:
        answers = [client.post("/v1.0/removebg", json={"image_url": bait.url}),
                   client.post("/v1.0/removebg", data={"image_url": bait.url}),
                   client.post("/v1.0/removebg", json={"image_file_b64": B64, "bg_image_url": bait.url})]
    for answer in answers:
        error = errors_of(answer, 400)[0]
        assert error["code"] == "url_fetch_disabled" and "--allow-url-fetch" in error["title"]
    assert bait.hits == []


def test_allowed_url_fetch_reads_the_image_but_never_a_private_address(make_client):
    with ImageHost(PNG) as images:
        public_only = make_client(allow_url_fetch=True)
        refused = public_only.post("/v1.0/removebg", json={"image_url": images.url})
        loopback_allowed = make_client(allow_url_fetch=True, url_allow_private=True)  # the test-only setting
        fetched = loopback_allowed.post("/v1.0/removebg", json={"image_url": images.url, "format": "png"})
    assert code_of(refused, 400) == "url_refused"
    assert fetched.status_code == 200 and opened(fetched.content).mode == "RGBA"


def test_bad_api_key_is_403_and_x_api_key_is_accepted(make_client):
    client = make_client(api_keys=frozenset({"s3cret"}))
    body = {"image_file_b64": B64}
    assert code_of(client.post("/v1.0/removebg", json=body), 403) == "auth_failed"
    wrong = client.post("/v1.0/removebg", json=body, headers={"X-Api-Key": "nope"})
    assert code_of(wrong, 403) == "auth_failed" and "www-authenticate" not in wrong.headers
    assert code_of(client.get("/v1.0/account"), 403) == "auth_failed"
    assert client.post("/v1.0/removebg", json=body, headers={"X-Api-Key": "s3cret"}).status_code == 200
    assert client.get("/v1.0/account", headers={"X-Api-Key": "s3cret"}).status_code == 200


def test_native_limits_apply_in_remove_bg_terms(make_client):
    small = make_client(max_upload_bytes=2000, max_pixels=1000)
    too_big = small.post("/v1.0/removebg", files={"image_file": ("a.png", b"x" * 5000)})
    assert too_big.status_code == 413 and set(too_big.json()) == {"errors"}
    assert code_of(small.post("/v1.0/removebg", json={"image_file_b64": B64}), 400) == "image_too_large"


def test_unknown_routes_and_methods_under_v1_0_have_the_shape_too(client):
    assert code_of(client.get("/v1.0/nothing"), 404) == "not_found"
    assert code_of(client.get("/v1.0/removebg"), 405) == "method_not_allowed"
    assert client.get("/v1/nothing").json()["error"] == "not_found"  # the native API keeps its own shape


def test_full_queue_is_429_with_retry_after(make_app, gated):
    app = make_app(concurrency=1, queue_size=0, sessions={"tiny": gated})

    async def scenario():
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as client:
            running = asyncio.create_task(client.post("/v1.0/removebg", json={"image_file_b64": B64}))
            await asyncio.to_thread(gated.entered.acquire)
            refused = await client.post("/v1.0/removebg", json={"image_file_b64": B64})
            gated.gate.set()
            return refused, await running

    refused, first = asyncio.run(scenario())
    assert code_of(refused, 429) == "rate_limit_exceeded" and int(refused.headers["retry-after"]) >= 1
    assert first.status_code == 200


FIELD_VALUES = {
    "size": st.sampled_from(["preview", "small", "regular", "medium", "hd", "full", "4k", "auto", "50MP", "", "huge"]),
    "type": st.sampled_from(["auto", "person", "product", "car", "animal", "graphic", "transportation", "ufo"]),
    "format": st.sampled_from(["auto", "png", "jpg", "zip", "gif"]),
    "channels": st.sampled_from(["rgba", "alpha", "rgb"]),
    "bg_color": st.sampled_from(["fff", "81d4fa77", "green", "zzz", "#12"]),
    "crop": st.sampled_from([True, False, "true", "0", "maybe"]),
    "crop_margin": st.sampled_from(["0", "10px", "5% 2px", "1 2 3 4", "60%", "-1px", "1 2 3"]),
    "scale": st.sampled_from(["original", "10%", "50%", "100%", "5%", "200%"]),
    "position": st.sampled_from(["original", "center", "0%", "100% 0%", "50% 50% 50%", "left"]),
    "roi": st.sampled_from(["0% 0% 100% 100%", "0 0 32px 48px", "10% 10% 5% 5%", "0 0 0"]),
    "semitransparency": st.sampled_from([True, False, "nah"]),
    "add_shadow": st.sampled_from([True, False]),
}


@settings(max_examples=40)
@given(st.fixed_dictionaries({}, optional=FIELD_VALUES))
def test_no_field_value_gives_a_500(client, fields):
    response = client.post("/v1.0/removebg", json={"image_file_b64": B64, **fields})
    assert response.status_code in (200, 400), response.text
    if response.status_code == 400:
        errors_of(response, 400)
    else:
        assert response.headers["x-credits-charged"] == "0" and int(response.headers["x-width"]) > 0
