"""End to end on the real ISNet weights over HTTP: the served cutout matches the sample's mask."""
from __future__ import annotations

import io
import os
import warnings
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

SAMPLES = Path(__file__).resolve().parents[2] / "samples"
USER_HOME = os.environ.get("ALPHACUT_HOME")  # read at collection, before fixtures redirect it
pytestmark = [
    pytest.mark.real_model,
    pytest.mark.skipif(os.environ.get("ALPHACUT_SKIP_REAL_MODEL") == "1", reason="ALPHACUT_SKIP_REAL_MODEL=1"),
]


def test_served_cutout_of_the_sample(monkeypatch):
    if USER_HOME:
        monkeypatch.setenv("ALPHACUT_HOME", USER_HOME)
    else:
        monkeypatch.delenv("ALPHACUT_HOME", raising=False)
    from alphacut.server.app import create_app
    from alphacut.server.settings import ServerSettings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient

    with TestClient(create_app(ServerSettings(models=("isnet",))), base_url="http://localhost") as client:
        response = client.post("/v1/remove", files={"file": ("product.jpg", (SAMPLES / "product.jpg").read_bytes(), "image/jpeg")})
    assert response.status_code == 200, response.text
    cutout = Image.open(io.BytesIO(response.content))
    assert cutout.mode == "RGBA" and cutout.size == (640, 480)
    predicted = np.asarray(cutout.getchannel("A")) > 127
    reference = np.asarray(Image.open(SAMPLES / "product.mask.png")) > 127
    assert (predicted & reference).sum() / (predicted | reference).sum() >= 0.9
