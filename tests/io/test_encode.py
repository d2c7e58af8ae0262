"""encode_frames: exact alpha, animations, formats (write_atomic: tests/io/test_files.py)."""
from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image, ImageDraw

from alphacut.errors import OptionError, OutputError
from alphacut.io.encode import encode_frames, format_for_path, normalise_format


def cutout_like(size=(24, 16), seed=0) -> Image.Image:
    """RGBA with every alpha value 0..255 present and arbitrary colours."""
    rng = np.random.default_rng(seed)
    pixels = rng.integers(0, 256, (size[1], size[0], 4), dtype=np.uint8)
    pixels[..., 3].flat[:256] = np.arange(256, dtype=np.uint8)
    return Image.fromarray(pixels)


def reopen(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


@pytest.mark.parametrize("fmt", ["png", "webp", "PNG", ".webp", "tiff"])
def test_alpha_survives_exactly(fmt):
    image = cutout_like()
    back = np.asarray(reopen(encode_frames([image], fmt)).convert("RGBA"))
    source = np.asarray(image)
    assert np.array_equal(back[..., 3], source[..., 3])
    visible = source[..., 3] > 0  # lossless WebP may rewrite the colour of invisible pixels only
    assert np.array_equal(back[..., :3][visible], source[..., :3][visible])


def test_png_level_changes_the_size_not_the_pixels():
    pixels = np.zeros((64, 96, 4), np.uint8)
    pixels[16:48, 24:72] = (200, 120, 40, 255)  # a flat cutout: compressible
    image = Image.fromarray(pixels)
    sizes = {level: encode_frames([image], "png", png_level=level) for level in (0, 1, 9)}
    for data in sizes.values():
        assert np.array_equal(np.asarray(reopen(data)), pixels)
    assert len(sizes[9]) <= len(sizes[1]) < len(sizes[0])
    with pytest.raises(OutputError, match="0 to 9"):
        encode_frames([image], "png", png_level=10)


def test_png_keeps_invisible_colours_too():
    image = cutout_like()
    assert np.array_equal(np.asarray(reopen(encode_frames([image], "png"))), np.asarray(image))


@pytest.mark.parametrize("mode", ["L", "RGB", "RGBA"])
def test_png_of_every_plain_mode_is_exact_and_in_that_mode(mode):
    image = cutout_like((37, 23), seed=3).convert(mode)
    back = reopen(encode_frames([image], "png"))
    assert back.mode == mode and back.size == image.size
    assert np.array_equal(np.asarray(back), np.asarray(image))


def test_png_keeps_what_pillow_keeps_from_info():
    profile = srgb_profile()
    image = cutout_like().convert("RGB")
    image.info["icc_profile"] = profile
    back = reopen(encode_frames([image], "png"))
    assert back.info.get("icc_profile") == profile
    assert np.array_equal(np.asarray(back), np.asarray(image))


def srgb_profile() -> bytes:
    from PIL import ImageCms

    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def test_jpeg_refuses_rgba():
    with pytest.raises(OutputError, match="JPEG"):
        encode_frames([cutout_like()], "jpg")


def test_jpeg_refuses_grey_with_alpha():
    with pytest.raises(OutputError):
        encode_frames([Image.new("LA", (4, 4))], "jpeg")


@pytest.mark.parametrize("mode", ["RGB", "L"])
def test_jpeg_writes_rgb_and_masks(mode):
    back = reopen(encode_frames([Image.new(mode, (8, 8), 200 if mode == "L" else (200, 10, 10))], "jpg"))
    assert back.format == "JPEG" and back.mode == mode and back.size == (8, 8)


def test_unknown_format_is_an_option_error():
    with pytest.raises(OptionError, match="bmp"):  # a bad --format / format= value, exit 2
        encode_frames([Image.new("RGB", (2, 2))], "bmp")
    assert normalise_format("JPG") == "JPEG" and normalise_format("tif") == "TIFF"


def animation(count=3) -> list[Image.Image]:
    """Distinct frames (encoders merge identical ones), each a round subject on transparency.

    Round, not rectangular: libwebp crops each frame to its visible rectangle and, when that
    rectangle is fully opaque in every frame, omits the file's alpha flag (Pillow then reads
    the animation as RGB). Real cutouts are never exact opaque rectangles.
    """
    frames = []
    for index in range(count):
        frame = Image.new("RGBA", (16, 12), (0, 0, 0, 0))
        ImageDraw.Draw(frame).ellipse((index * 4, 2, index * 4 + 6, 10), fill=(255, 40 * index, 0, 255))
        frames.append(frame)
    return frames


@pytest.mark.parametrize("fmt", ["png", "webp", "gif"])
def test_animation_round_trips_frames_and_durations(fmt):
    frames = animation(3)
    data = encode_frames(frames, fmt, durations=[100, 200, 300], loop=0)
    back = Image.open(io.BytesIO(data))
    assert back.format == fmt.upper()
    assert getattr(back, "n_frames", 1) == 3
    durations = []
    for index in range(3):
        back.seek(index)
        back.load()
        durations.append(round(back.info["duration"]))
        alpha = np.asarray(back.convert("RGBA"))[..., 3]
        assert alpha[0, 0] == 0  # transparent background survives (GIF: on/off)
        assert alpha[6, index * 4 + 3] == 255
    assert durations == [100, 200, 300]
    assert back.info.get("loop") == 0


def test_missing_durations_are_filled_from_known_ones():
    data = encode_frames(animation(3), "png", durations=[None, 120, None])
    back = Image.open(io.BytesIO(data))
    seen = []
    for index in range(3):
        back.seek(index)
        seen.append(round(back.info["duration"]))
    assert seen == [120, 120, 120]


def test_gif_alpha_is_on_off_at_128():
    image = Image.new("RGBA", (4, 1), (255, 0, 0, 0))
    for x, a in enumerate([0, 127, 128, 255]):
        image.putpixel((x, 0), (255, 0, 0, a))
    alpha = np.asarray(reopen(encode_frames([image], "gif")).convert("RGBA"))[0, :, 3]
    assert alpha.tolist() == [0, 0, 255, 255]


def test_jpeg_cannot_hold_an_animation():
    frames = [Image.new("RGB", (4, 4), (i * 50, 0, 0)) for i in range(2)]
    with pytest.raises(OutputError, match="animation"):
        encode_frames(frames, "jpg")


@pytest.mark.parametrize(
    "name, fmt",
    [("a.png", "PNG"), ("a.PNG", "PNG"), ("a.jpeg", "JPEG"), ("a.jpg", "JPEG"), ("x/a.webp", "WEBP"),
     ("a.gif", "GIF"), ("a.tif", "TIFF")],
)
def test_format_for_path(name, fmt):
    assert format_for_path(name) == fmt


@pytest.mark.parametrize("name", ["a.bmp", "a", "a.png.bak"])
def test_format_for_unknown_extension_is_an_output_error(name):
    with pytest.raises(OutputError, match="unknown output extension"):
        format_for_path(name)


# --- streamed encoding: the bytes Pillow writes from lists of frames -----------------------------

def encoded_from_lists(frames: list[Image.Image], fmt: str, durations, loop: int) -> bytes:
    """How encode_frames wrote animations before it streamed: every frame prepared in a list, the
    display times as one list (a missing one: the first known), then Pillow's save_all."""
    from alphacut.io.encode import _for_format

    fmt = normalise_format(fmt)
    prepared = [_for_format(frame, fmt) for frame in frames]
    options: dict = {"save_all": True, "append_images": prepared[1:], "loop": loop}
    options.update({"PNG": {"compress_level": 1}, "WEBP": {"lossless": True, "quality": 80, "method": 3},
                    "GIF": {"disposal": 2}}[fmt])
    known = [d for d in (durations or []) if d]
    if known:
        options["duration"] = [d or known[0] for d in durations]
    buffer = io.BytesIO()
    prepared[0].save(buffer, format=fmt, **options)
    return buffer.getvalue()


def varied_animation(mode: str, count: int = 6) -> list[Image.Image]:
    frames = []
    for index in range(count):
        frame = Image.new("RGBA", (40, 30), (0, 0, 0, 0))
        ImageDraw.Draw(frame).ellipse((index * 3, 2, index * 3 + 15, 25),
                                      fill=(255, 30 * index, 7 * index, 255 if index % 2 else 100))
        frames.append(frame if mode == "RGBA" else frame.convert(mode))
    frames[3] = frames[2].copy()  # a repeated frame: writers merge it into the one before
    return frames


@pytest.mark.parametrize("fmt", ["gif", "png", "webp"])
@pytest.mark.parametrize("mode", ["RGBA", "RGB", "L"])
@pytest.mark.parametrize("durations", [[100, 200, 300, 300, 50, 60], [None, 0, 80, None, 90, 0], [0] * 6, None])
def test_streamed_encoding_writes_the_bytes_of_lists(fmt, mode, durations):
    from alphacut.io.decode import Frame
    from alphacut.io.encode import encode_stream

    frames = varied_animation(mode)
    expected = encoded_from_lists(frames, fmt, durations, loop=2)
    assert encode_frames(frames, fmt, durations=durations, loop=2) == expected
    timed = (Frame(image, durations[index] if durations else None) for index, image in enumerate(frames))
    assert encode_stream(timed, fmt, loop=2) == expected
    assert [f.info.get("duration") for f in frames] == [None] * 6  # the caller's frames are not changed
