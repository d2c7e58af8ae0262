"""The server's frame limit: an animation with more frames than ``max_frames`` is refused 422
before any frame is decoded; one within it comes back animated, a frame at a time."""
from __future__ import annotations

import io
import struct
import zlib

from PIL import Image


def tiny_frames_gif(frames: int) -> bytes:
    """``frames`` one-pixel frames on a 2000 x 2000 canvas: 23 bytes a frame."""
    header = b"GIF89a" + struct.pack("<HH", 2000, 2000) + bytes([0x80, 0, 0]) + bytes(6)
    frame = b"!\xf9\x04\x00\x0a\x00\x00\x00," + struct.pack("<HHHH", 0, 0, 1, 1) + b"\x00\x02\x02\x44\x01\x00"
    return header + frame * frames + b";"


def moving_square(frames: int) -> bytes:
    images = []
    for index in range(frames):
        image = Image.new("RGB", (40, 30))
        image.paste((255, 255, 255), (4 + 4 * index, 6, 20 + 4 * index, 24))
        images.append(image)
    buffer = io.BytesIO()
    images[0].save(buffer, "GIF", save_all=True, append_images=images[1:], duration=70, loop=0)
    return buffer.getvalue()


def test_more_frames_than_the_limit_is_422_naming_the_limit(make_client):
    client = make_client()  # the default: 100 frames
    response = client.post("/v1/remove", files={"file": ("bomb.gif", tiny_frames_gif(100_000), "image/gif")})
    assert response.status_code == 422
    assert response.json()["error"] == "image_too_large"
    assert "more than 100 frames of 2000x2000 exceed the limit of 100 frames" in response.json()["detail"]


def test_an_animation_within_the_limit_comes_back_animated(make_client):
    client = make_client(max_frames=3)
    assert client.post("/v1/remove", files={"file": ("a.gif", moving_square(4), "image/gif")}).status_code == 422
    response = client.post("/v1/remove", files={"file": ("a.gif", moving_square(3), "image/gif")})
    assert response.status_code == 200
    output = Image.open(io.BytesIO(response.content))
    assert output.n_frames == 3 and output.info["duration"] == 70


def test_a_bomb_is_refused_from_its_header_before_it_waits_for_a_worker(make_client, monkeypatch):
    from alphacut.server import routes

    def no_worker(*args, **kwargs):
        raise AssertionError("the bomb reached a worker")

    client = make_client()
    monkeypatch.setattr(routes, "_render", no_worker)
    response = client.post("/v1/remove", files={"file": ("bomb.gif", tiny_frames_gif(100_000), "image/gif")})
    assert response.status_code == 422 and response.json()["error"] == "image_too_large"
    pixels = io.BytesIO()
    Image.new("L", (1, 1)).save(pixels, "PNG")
    big = bytearray(pixels.getvalue())
    big[16:24] = struct.pack(">II", 40_000, 40_000)  # IHDR says 40000 x 40000
    big[29:33] = struct.pack(">I", zlib.crc32(bytes(big[12:29])))
    response = client.post("/v1/remove", files={"file": ("bomb.png", bytes(big), "image/png")})
    assert response.status_code == 422 and response.json()["error"] == "image_too_large"
