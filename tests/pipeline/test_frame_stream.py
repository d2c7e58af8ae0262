"""Remover.results: an animation runs a frame at a time, and streamed output is byte for byte
the output of processing every frame at once."""
from __future__ import annotations

import io

import pytest
from PIL import Image, ImageDraw, ImageFile

from alphacut.io.decode import decode_image, read_frames
from alphacut.io.encode import encode_frames, encode_stream
from alphacut.pipeline import RemoveOptions, Remover


def moving_square(fmt: str, count: int = 5) -> bytes:
    """A white square (the tiny model's subject) moving across black, with varied display times."""
    frames = []
    for index in range(count):
        frame = Image.new("RGB", (48, 32))
        ImageDraw.Draw(frame).rectangle((4 + index * 5, 6, 20 + index * 5, 24), fill="white")
        frames.append(frame)
    buffer = io.BytesIO()
    options = {"lossless": True} if fmt == "WEBP" else {}
    frames[0].save(buffer, fmt, save_all=True, append_images=frames[1:], duration=[60, 80, 80, 100, 120][:count],
                   loop=0, **options)
    return buffer.getvalue()


@pytest.mark.parametrize("fmt", ["GIF", "WEBP"])
@pytest.mark.parametrize("options", [RemoveOptions(), RemoveOptions(crop=True, margin=2), RemoveOptions(mask=True),
                                     RemoveOptions.from_user(bg="#336699")], ids=["cutout", "crop", "mask", "bg"])
def test_streamed_output_is_the_bytes_of_processing_at_once(tiny_session, fmt, options):
    data = moving_square(fmt)
    remover = Remover(tiny_session, options)
    whole = decode_image(data)
    at_once = encode_frames(remover.process(whole), fmt, durations=[f.duration for f in whole.frames], loop=whole.loop)
    stream = read_frames(data)
    assert stream.animated and stream.frame_count == 5
    assert encode_stream(remover.results(stream), fmt, loop=stream.loop) == at_once


def count_decoded(monkeypatch) -> list[int]:
    loads: list[int] = []
    real_load = ImageFile.ImageFile.load
    monkeypatch.setattr(ImageFile.ImageFile, "load", lambda self: loads.append(self.tell()) or real_load(self))
    return loads


def test_a_frame_is_finished_before_the_next_is_decoded(tiny_session, monkeypatch):
    stream = read_frames(moving_square("GIF"))
    loads = count_decoded(monkeypatch)
    results = Remover(tiny_session).results(stream)
    first = next(results)
    assert first.duration == 60 and first.image.mode == "RGBA"
    assert max(loads) == 0  # only the first frame is decoded so far
    assert len(list(results)) == 4


def test_crop_holds_the_frames_until_the_shared_box_is_known(tiny_session, monkeypatch):
    stream = read_frames(moving_square("GIF"))
    loads = count_decoded(monkeypatch)
    frames = Remover(tiny_session, RemoveOptions(crop=True)).results(stream)
    first = next(frames)
    assert max(loads) == 4  # every frame, before the first is cropped
    assert all(frame.image.size == first.image.size for frame in frames)


def test_predictions_must_match_the_frame_count(tiny_session):
    with pytest.raises(ValueError, match="2 predictions for 5 frames"):
        list(Remover(tiny_session).results(read_frames(moving_square("PNG")), predictions=[None, None]))
