"""Limits that count every frame: an animation is refused on frames x width x height and on its
frame count before any frame is decoded; animations are read as a stream of frames."""
from __future__ import annotations

import io
import logging
import struct

import numpy as np
import pytest
from PIL import Image, ImageFile

from alphacut.errors import ImageTooLargeError, OptionError
from alphacut.io.decode import DecodedImage, FrameStream, decode_first_frame, decode_image, read_frames
from alphacut.io.gif_frames import gif_layout
from alphacut.io.limits import DecodeLimits, check_decoded, decode_limits


def gif_of_tiny_frames(frames: int, canvas=(4000, 4000), frame_sizes=((1, 1),)) -> bytes:
    """A GIF whose header asks for a large canvas, holding ``frames`` frames (of ``frame_sizes``
    in turn, the last repeated) whose data is a single pixel: 23 bytes a frame, whatever the canvas."""
    width, height = canvas
    header = b"GIF89a" + struct.pack("<HH", width, height) + bytes([0x80, 0, 0]) + bytes(6)  # 2-colour table
    looping = b"!\xff\x0bNETSCAPE2.0\x03\x01\x00\x00\x00"
    body = b""
    for index in range(frames):
        size = frame_sizes[min(index, len(frame_sizes) - 1)]
        body += (b"!\xf9\x04\x00\x0a\x00\x00\x00"  # graphic control: 100 ms
                 + b"," + struct.pack("<HHHH", 0, 0, *size) + b"\x00"  # image descriptor, no local table
                 + b"\x02\x02\x44\x01\x00")  # LZW code size 2, one sub-block, end
    return header + looping + body + b";"


def animation(fmt: str, count: int, size=(12, 10)) -> bytes:
    colours = [(255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 0)]
    frames = [Image.new("RGB", size, colours[i % 4]) for i in range(count)]
    buffer = io.BytesIO()
    options = {"lossless": True} if fmt == "WEBP" else {}
    frames[0].save(buffer, fmt, save_all=True, append_images=frames[1:], duration=[40 + 10 * i for i in range(count)],
                   loop=0, **options)
    return buffer.getvalue()


@pytest.fixture()
def no_pixel_decoding(monkeypatch):
    """Fail the test if any frame's pixels are decoded."""
    def refuse(self, *args, **kwargs):
        raise AssertionError("a frame was decoded")

    monkeypatch.setattr(ImageFile.ImageFile, "load", refuse)


# --- refused before decoding ---------------------------------------------------------------------

def test_many_frames_on_a_large_canvas_are_refused_by_count_before_decoding(no_pixel_decoding):
    data = gif_of_tiny_frames(2000)
    assert len(data) < 50_000  # 2,000 frames of 16 MP each (32 GP) asked for by 46 KB
    with pytest.raises(ImageTooLargeError) as caught:
        decode_image(data, name="bomb.gif")
    message = str(caught.value)
    assert message.startswith("bomb.gif: more than 1,000 frames of 4000x4000")
    assert "limit of 1,000 frames" in message and "--max-frames" in message and "\n" not in message


def test_frames_times_canvas_are_refused_on_the_pixel_limit_before_decoding(no_pixel_decoding):
    # 20 frames of 16 MP each: every frame is within 200 MP, together they are 320 MP
    with pytest.raises(ImageTooLargeError) as caught:
        read_frames(gif_of_tiny_frames(20), name="tall.gif")
    assert str(caught.value).startswith(
        "tall.gif: 20 frames of 4000x4000 = 320,000,000 pixels exceeds the limit of 200,000,000;")
    assert "--max-pixels" in str(caught.value)


def test_frames_that_grow_past_the_header_canvas_are_counted_at_their_size(no_pixel_decoding):
    # the header says 10 x 10, as does the first frame; the others reach 3000 x 3000, to which
    # decoders grow the canvas when they come to them
    data = gif_of_tiny_frames(3, canvas=(10, 10), frame_sizes=((1, 1), (3000, 3000)))
    assert Image.open(io.BytesIO(data)).size == (10, 10)
    assert gif_layout(data, stop_after=1000).size == (3000, 3000)
    expected = r"3 frames of 3000x3000 = 27,000,000 pixels exceeds the limit of 1,000,000"
    with pytest.raises(ImageTooLargeError, match=expected):
        read_frames(data, name="grows.gif", max_pixels=1_000_000)


@pytest.mark.parametrize("fmt", ["WEBP", "PNG", "GIF"])
def test_frame_limit_names_the_file_the_count_and_the_limit(fmt):
    data = animation(fmt, 5)
    with pytest.raises(ImageTooLargeError) as caught:
        read_frames(data, name=f"clip.{fmt.lower()}", max_frames=4)
    count = "more than 4" if fmt == "GIF" else "5"  # a GIF's count stops past the limit
    assert str(caught.value).startswith(f"clip.{fmt.lower()}: {count} frames of 12x10 exceed the limit of 4 frames;")
    assert len(decode_image(data, max_frames=5).frames) == 5


def test_pil_animation_is_checked_on_all_its_frames():
    image = Image.open(io.BytesIO(animation("GIF", 3)))  # 3 x 120 pixels
    with pytest.raises(ImageTooLargeError, match="3 frames of 12x10 = 360 pixels exceeds the limit of 300"):
        decode_image(image, max_pixels=300)


def test_gif_count_stops_past_the_limit_and_matches_pillow():
    data = gif_of_tiny_frames(50)
    assert gif_layout(data, stop_after=10).frames == 11
    assert gif_layout(data, stop_after=100).frames == 50 == Image.open(io.BytesIO(data)).n_frames
    assert gif_layout(animation("PNG", 2), stop_after=10) is None


def test_stream_stops_at_the_frame_that_passes_the_decoded_budget():
    limits = DecodeLimits(max_pixels=1000, max_frames=10)
    check_decoded("x.gif", 10, 1000, limits)
    with pytest.raises(ImageTooLargeError, match="x.gif: its first 3 frames decode to 1,200 pixels, more than the limit"):
        check_decoded("x.gif", 3, 1200, limits)
    with pytest.raises(ImageTooLargeError, match="x.gif: more than 10 frames"):
        check_decoded("x.gif", 11, 100, limits)


# --- the limits' values -------------------------------------------------------------------------

def test_defaults_and_environment(monkeypatch):
    assert decode_limits() == DecodeLimits(200_000_000, 1000)
    monkeypatch.setenv("ALPHACUT_MAX_FRAMES", "7")
    monkeypatch.setenv("ALPHACUT_MAX_PIXELS", "50_000")
    assert decode_limits() == DecodeLimits(50_000, 7)
    assert decode_limits(10, 2) == DecodeLimits(10, 2)  # given values win
    with pytest.raises(ImageTooLargeError, match="limit of 4 frames"):
        read_frames(animation("PNG", 8), max_frames=4)
    with pytest.raises(ImageTooLargeError, match="limit of 7 frames"):
        read_frames(animation("PNG", 8))


@pytest.mark.parametrize("variable, value", [
    ("ALPHACUT_MAX_PIXELS", "lots"), ("ALPHACUT_MAX_PIXELS", "0"), ("ALPHACUT_MAX_PIXELS", "1e9"),
    ("ALPHACUT_MAX_FRAMES", "-3"), ("ALPHACUT_MAX_FRAMES", "ten"),
])
def test_a_bad_environment_value_is_a_one_line_option_error(monkeypatch, variable, value):
    monkeypatch.setenv(variable, value)
    with pytest.raises(OptionError) as caught:
        decode_image(animation("PNG", 2))
    message = str(caught.value)
    assert message.startswith(f"{variable}={value!r}") and "\n" not in message


@pytest.mark.parametrize("value", [0, -1, 2.5, True, "100"])
def test_a_bad_given_limit_is_an_option_error(value):
    with pytest.raises(OptionError, match="max_frames must be a whole number >= 1"):
        decode_limits(max_frames=value)  # type: ignore[arg-type]
    with pytest.raises(OptionError, match="max_pixels must be a whole number >= 1"):
        decode_limits(max_pixels=value)  # type: ignore[arg-type]


# --- streams and first frames --------------------------------------------------------------------

@pytest.mark.parametrize("fmt", ["GIF", "WEBP", "PNG"])
def test_an_animation_streams_the_frames_decode_image_gives(fmt):
    data = animation(fmt, 4)
    stream = read_frames(data, name="clip")
    assert isinstance(stream, FrameStream)
    assert (stream.frame_count, stream.size, stream.loop, stream.format, stream.name) == (4, (12, 10), 0, fmt, "clip")
    whole = decode_image(data)
    streamed = list(stream.iter_frames())
    assert [f.duration for f in streamed] == [f.duration for f in whole.frames] == [40, 50, 60, 70]
    for mine, theirs in zip(streamed, whole.frames):
        assert mine.image.mode == theirs.image.mode
        assert np.array_equal(np.asarray(mine.image), np.asarray(theirs.image))
    with pytest.raises(RuntimeError, match="read once"):
        stream.iter_frames()


def test_a_stream_decodes_a_frame_only_when_it_is_asked_for(monkeypatch):
    stream = read_frames(animation("GIF", 5))
    loads = []
    real_load = ImageFile.ImageFile.load
    monkeypatch.setattr(ImageFile.ImageFile, "load", lambda self: loads.append(self.tell()) or real_load(self))
    frames = stream.iter_frames()
    assert loads == []
    next(frames)
    next(frames)
    assert max(loads) == 1  # the first two frames, not the others


def test_a_still_image_is_decoded_at_once():
    buffer = io.BytesIO()
    Image.new("RGB", (8, 6), "red").save(buffer, "PNG")
    decoded = read_frames(buffer.getvalue())
    assert isinstance(decoded, DecodedImage) and decoded.frame_count == 1 and decoded.size == (8, 6)


def test_first_frame_neither_counts_nor_decodes_the_others():
    data = animation("GIF", 6)
    with pytest.raises(ImageTooLargeError):
        decode_image(data, max_frames=2)
    first = decode_first_frame(data)
    assert first.size == (12, 10) and first.mode in ("RGB", "RGBA")
    assert np.array_equal(np.asarray(first), np.asarray(decode_image(data).frames[0].image))


def test_multi_page_tiff_reads_the_first_page_and_says_so(caplog):
    buffer = io.BytesIO()
    pages = [Image.new("RGB", (20, 10), "red"), Image.new("RGB", (6, 6), "blue")]
    pages[0].save(buffer, "TIFF", save_all=True, append_images=pages[1:])
    with caplog.at_level(logging.WARNING, logger="alphacut.io.decode"):
        decoded = decode_image(buffer.getvalue(), name="scan.tiff")
    assert decoded.frame_count == 1 and decoded.size == (20, 10)
    assert np.all(np.asarray(decoded.frames[0].image) == (255, 0, 0))
    assert "scan.tiff: a multi-page TIFF; only its first page is read" in caplog.text


def test_an_mpo_photo_is_read_as_its_main_image():
    buffer = io.BytesIO()
    Image.new("RGB", (32, 24), "red").save(buffer, "MPO", save_all=True, append_images=[Image.new("RGB", (8, 6), "blue")])
    assert Image.open(io.BytesIO(buffer.getvalue())).n_frames == 2
    decoded = read_frames(buffer.getvalue(), max_frames=1)  # the preview is not a frame: no frame limit
    assert isinstance(decoded, DecodedImage) and decoded.frame_count == 1 and decoded.size == (32, 24)


def test_check_limits_refuses_from_the_header_and_passes_what_decode_would_read():
    import struct

    from alphacut.errors import ImageTooLargeError
    from alphacut.io.decode import check_limits, decode_image

    header = b"GIF89a" + struct.pack("<HH", 2000, 2000) + bytes([0x80, 0, 0]) + bytes(6)
    frame = b"!\xf9\x04\x00\x0a\x00\x00\x00," + struct.pack("<HHHH", 0, 0, 1, 1) + b"\x00\x02\x02\x44\x01\x00"
    bomb = header + frame * 5000 + b";"
    with pytest.raises(ImageTooLargeError, match="more than 10 frames"):
        check_limits(bomb, name="bomb.gif", max_frames=10)
    small = header + frame * 3 + b";"
    check_limits(small, name="small.gif", max_frames=10)
    assert len(decode_image(small, max_frames=10).frames) == 3
    with pytest.raises(ImageTooLargeError):
        check_limits(small, name="small.gif", max_pixels=2000 * 2000 * 2)  # three frames counted
