"""``POST /v1/layers``: the layer list the web page draws, and the PSD / ORA / ZIP downloads."""
from __future__ import annotations

import base64
import io
import json
import zipfile

import numpy as np
from PIL import Image


def two_objects_png() -> tuple[bytes, np.ndarray]:
    rng = np.random.default_rng(5)
    rgb = rng.integers(0, 40, (72, 96, 3), dtype=np.uint8)
    rgb[10:40, 8:40] = (240, 235, 230)
    rgb[30:62, 60:88] = (225, 240, 245)
    buffer = io.BytesIO()
    Image.fromarray(rgb).save(buffer, format="PNG")
    return buffer.getvalue(), rgb


def test_the_layer_list_recomposes_the_photo(make_client):
    data, rgb = two_objects_png()
    response = make_client().post("/v1/layers", params={"fill": "telea"}, files={"file": ("photo.png", data, "image/png")})
    assert response.status_code == 200, response.text
    listing = response.json()
    assert (listing["width"], listing["height"]) == (96, 72)
    assert [layer["kind"] for layer in listing["layers"]] == ["plate", "edge", "object", "edge", "object"]
    canvas = np.zeros((72, 96, 3), np.float32)
    for layer in listing["layers"]:
        image = Image.open(io.BytesIO(base64.b64decode(layer["png"].split(",", 1)[1])))
        x0, y0, x1, y1 = layer["box"]
        pixels = np.asarray(image.convert("RGBA"), np.float32)
        alpha = pixels[..., 3:] / 255
        canvas[y0:y1, x0:x1] = pixels[..., :3] * alpha + canvas[y0:y1, x0:x1] * (1 - alpha)
    assert np.abs(canvas - rgb).mean() < 1.0


def test_layered_files_download_and_bad_options_are_refused(make_client):
    from psd_tools import PSDImage

    data, _ = two_objects_png()
    client = make_client()
    psd = client.post("/v1/layers", params={"format": "psd", "fill": "telea"}, files={"file": ("photo.png", data)})
    assert psd.status_code == 200 and 'filename="photo.layers.psd"' in psd.headers["content-disposition"]
    assert len(list(PSDImage.open(io.BytesIO(psd.content)))) == 5
    ora = client.post("/v1/layers", data={"format": "ora", "fill": "telea"}, files={"file": ("photo.png", data)})
    assert zipfile.ZipFile(io.BytesIO(ora.content)).namelist()[0] == "mimetype"
    bundle = client.post("/v1/layers", params={"format": "zip", "fill": "telea"}, files={"file": ("photo.png", data)})
    index = json.loads(zipfile.ZipFile(io.BytesIO(bundle.content)).read("layers.json"))
    assert len(index["layers"]) == 5
    own_file = client.post("/v1/layers", params={"fill": "onnx:/etc/passwd"}, files={"file": ("photo.png", data)})
    assert own_file.status_code == 422
    dark = io.BytesIO()
    Image.new("RGB", (40, 30), (5, 5, 5)).save(dark, format="PNG")
    nothing = client.post("/v1/layers", files={"file": ("dark.png", dark.getvalue())})
    assert nothing.status_code == 422 and nothing.json()["error"] == "no_objects"
