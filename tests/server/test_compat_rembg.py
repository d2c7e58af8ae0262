"""rembg's ``/api/remove`` on alphacut: rembg's README curl lines against a live server, its
parameters, its ``image/png`` answer and its FastAPI-style 422 errors; native limits and keys apply."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import httpx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from .compat_images import PNG, opened
from .image_host import ImageHost

def assert_cut_out(image: Image.Image) -> None:
    assert image.mode == "RGBA" and image.size == (64, 48)
    alpha = np.asarray(image.getchannel("A"))
    assert alpha[20, 30] > 240 and alpha[2, 2] < 15


def detail_of(response: httpx.Response, name: str) -> dict:
    """FastAPI's validation error, as rembg's server answers one: 422 ``{"detail": [{type, loc, msg, input}]}``."""
    assert response.status_code == 422, response.text
    detail = response.json()["detail"]
    assert isinstance(detail, list) and len(detail) == 1
    error = detail[0]
    assert set(error) == {"type", "loc", "msg", "input"} and error["loc"][-1] == name and error["loc"][0] in ("query", "body")
    return error


def curl(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    assert shutil.which("curl"), "curl is needed to run rembg's README lines"
    return subprocess.run(["curl", *args], cwd=cwd, capture_output=True, timeout=60)


def test_readme_curl_upload_line_against_a_live_server(live_server, tmp_path):
    """rembg's README: ``curl -s -F file=@/path/to/input.jpg "http://localhost:7000/api/remove" -o output.png``."""
    (tmp_path / "input.jpg").write_bytes(PNG)
    with live_server() as server:
        done = curl("-s", "-F", f"file=@{tmp_path / 'input.jpg'}", f"{server.url}/api/remove", "-o", "output.png", cwd=tmp_path)
    assert done.returncode == 0
    assert_cut_out(opened((tmp_path / "output.png").read_bytes()))


def test_readme_curl_url_line_against_a_live_server(live_server, tmp_path):
    """rembg's README: ``curl -s "http://localhost:7000/api/remove?url=http://input.png" -o output.png``; the
    URL is on loopback, so only the test-only private-address setting lets the server fetch it."""
    with ImageHost(PNG) as host, live_server(allow_url_fetch=True, url_allow_private=True) as server:
        done = curl("-s", f"{server.url}/api/remove?url={host.url}", "-o", "output.png", cwd=tmp_path)
        assert host.hits == ["/input.png"]
    assert done.returncode == 0
    assert_cut_out(opened((tmp_path / "output.png").read_bytes()))


def test_url_is_refused_unless_fetching_is_allowed(client, make_client):
    with ImageHost(PNG) as host:
        refused = client.get("/api/remove", params={"url": host.url})
        public_only = make_client(allow_url_fetch=True).get("/api/remove", params={"url": host.url})
        assert host.hits == []
    assert detail_of(refused, "url")["type"] == "url_fetch_disabled"
    assert detail_of(public_only, "url")["type"] == "url_refused"
    assert detail_of(client.get("/api/remove"), "url")["type"] == "missing"


def test_parameters_in_the_form_or_the_query(client):
    mask = client.post("/api/remove", files={"file": ("a.png", PNG)}, data={"om": "true"})
    assert mask.status_code == 200 and mask.headers["content-type"] == "image/png" and opened(mask.content).mode == "L"
    queried = client.post("/api/remove?om=true", files={"file": ("a.png", PNG)})
    assert queried.content == mask.content
    coloured = client.post("/api/remove?bgc=255,0,0,255", files={"file": ("a.png", PNG)})
    assert opened(coloured.content).getpixel((2, 2)) == (255, 0, 0, 255)
    matted = client.post("/api/remove", files={"file": ("a.png", PNG)}, data={"a": "true", "af": "240", "ab": "10", "ae": "5"})
    assert_cut_out(opened(matted.content))
    hard = client.post("/api/remove", files={"file": ("a.png", PNG)}, data={"om": "true", "ppm": "true"})
    assert set(np.unique(np.asarray(opened(hard.content)))) <= {0, 255}
    named = client.post("/api/remove", files={"file": ("a.png", PNG)}, data={"model": "tiny", "extras": "{}"})
    assert named.status_code == 200 and named.headers["x-alphacut-model"] == "tiny"


def test_model_names_map_and_unknown_ones_name_the_served(client):
    unknown = detail_of(client.post("/api/remove", files={"file": ("a.png", PNG)}, data={"model": "u2net"}), "model")
    assert unknown["loc"] == ["body", "model"] and "served: tiny" in unknown["msg"]
    isnet = detail_of(client.post("/api/remove?model=isnet-general-use", files={"file": ("a.png", PNG)}), "model")
    assert isnet["loc"] == ["query", "model"] and "'isnet-general-use'" in isnet["msg"]  # mapped to isnet, which is not served


@pytest.mark.parametrize("data, name", [
    ({"af": "256"}, "af"), ({"ab": "-1"}, "ab"), ({"ae": "x"}, "ae"), ({"a": "maybe"}, "a"), ({"om": "2"}, "om"),
    ({"bgc": "red"}, "bgc"), ({"extras": '{"model_path": "/etc/passwd"}'}, "extras"), ({"alpha": "1"}, "alpha"),
])
def test_bad_parameters_are_422_like_rembgs_server(client, data, name):
    error = detail_of(client.post("/api/remove", files={"file": ("a.png", PNG)}, data=data), name)
    assert error["input"] == data[name]


def test_missing_or_wrong_file(client):
    assert detail_of(client.post("/api/remove", data={"om": "true"}), "file")["type"] == "missing"
    assert detail_of(client.post("/api/remove", content=PNG, headers={"content-type": "image/png"}), "file")["type"] == "missing"
    assert detail_of(client.post("/api/remove", files={"image": ("a.png", PNG)}), "image")
    not_image = client.post("/api/remove", files={"file": ("a.png", b"not an image")})
    assert not_image.status_code == 422 and "detail" in not_image.json()


def test_limits_and_keys_apply(make_client):
    keyed = make_client(api_keys=frozenset({"s3cret"}))
    assert keyed.post("/api/remove", files={"file": ("a.png", PNG)}).status_code == 401
    assert keyed.post("/api/remove", files={"file": ("a.png", PNG)}, headers={"X-API-Key": "s3cret"}).status_code == 200
    small = make_client(max_upload_bytes=2000, max_pixels=1000)
    assert small.post("/api/remove", files={"file": ("a.png", b"x" * 5000)}).status_code == 413
    too_many_pixels = small.post("/api/remove", files={"file": ("a.png", PNG)})
    assert too_many_pixels.status_code == 422 and "detail" in too_many_pixels.json()


PARAMETERS = {
    "model": st.sampled_from(["tiny", "u2net", "isnet-general-use", ""]),
    "a": st.sampled_from(["true", "false", "1", "x"]),
    "af": st.sampled_from(["0", "240", "255", "256", "-3", "abc"]),
    "ab": st.sampled_from(["0", "10", "250", "999"]),
    "ae": st.sampled_from(["0", "10", "40", "-1"]),
    "om": st.sampled_from(["true", "false", "?"]),
    "ppm": st.sampled_from(["true", "false"]),
    "bgc": st.sampled_from(["0,0,0,0", "255,255,255", "1,2", "a,b,c,d", "300,0,0,0"]),
    "extras": st.sampled_from(["{}", "[]", "{", '{"sam_prompt": []}']),
}


@settings(max_examples=40)
@given(st.fixed_dictionaries({}, optional=PARAMETERS))
def test_no_parameter_value_gives_a_500(client, data):
    response = client.post("/api/remove", files={"file": ("a.png", PNG)}, data=data)
    assert response.status_code in (200, 422), response.text
    if response.status_code == 200:
        assert response.headers["content-type"] == "image/png"
    else:
        assert "detail" in response.json()
