"""decode_image: every kind of input becomes 8-bit RGB/RGBA frames, or a clear InputError."""
from __future__ import annotations

import io
import struct
import zlib

import numpy as np
import pytest
from PIL import Image

from alphacut.errors import ImageTooLargeError, InputError
from alphacut.io.decode import decode_image, header_size, normalise_mode, open_image


def encoded(image: Image.Image, fmt: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **options)
    return buffer.getvalue()


def noise(size=(64, 48), mode="RGB", seed=0) -> Image.Image:
    channels = len(mode)
    data = np.random.default_rng(seed).integers(0, 256, (size[1], size[0], channels), dtype=np.uint8)
    return Image.fromarray(data if channels > 1 else data[..., 0])


# --- orientation and modes -------------------------------------------------------------------

def test_exif_orientation_is_applied(tmp_path):
    stored = Image.new("RGB", (40, 20), (0, 0, 255))
    stored.paste((255, 0, 0), (0, 0, 10, 20))  # the stored image's left edge is red
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: rotate 90 degrees clockwise to display
    path = tmp_path / "phone.jpg"
    stored.save(path, "JPEG", exif=exif, quality=95)

    decoded = decode_image(path)

    assert decoded.size == (20, 40)
    pixels = np.asarray(decoded.frames[0].image).astype(int)
    assert decoded.frames[0].image.mode == "RGB"
    # rotated clockwise, the stored left edge is now the top
    assert pixels[:8, :, 0].mean() > 200 and pixels[:8, :, 2].mean() < 60
    assert pixels[-8:, :, 2].mean() > 200 and pixels[-8:, :, 0].mean() < 60


def test_image_without_orientation_keeps_its_size():
    decoded = decode_image(encoded(Image.new("RGB", (40, 20), "white"), "JPEG"))
    assert decoded.size == (40, 20)
    assert decoded.format == "JPEG"
    assert not decoded.animated


def test_cmyk_jpeg_becomes_rgb():
    data = encoded(Image.new("CMYK", (16, 16), (0, 255, 255, 0)), "JPEG", quality=100)
    frame = decode_image(data).frames[0].image
    assert frame.mode == "RGB"
    r, g, b = np.asarray(frame).reshape(-1, 3).mean(axis=0)
    assert r > 240 and g < 15 and b < 15  # CMYK (0, 100%, 100%, 0) is red


def test_greyscale_becomes_rgb_with_equal_channels():
    grey = Image.fromarray(np.arange(64, dtype=np.uint8).reshape(8, 8) * 4, "L")
    frame = decode_image(encoded(grey, "PNG")).frames[0].image
    assert frame.mode == "RGB"
    pixels = np.asarray(frame)
    for channel in range(3):
        assert np.array_equal(pixels[..., channel], np.asarray(grey))


def test_grey_with_alpha_becomes_rgba_and_keeps_alpha():
    grey = np.full((8, 8), 200, np.uint8)
    alpha = np.tile(np.arange(8, dtype=np.uint8) * 30, (8, 1))
    image = Image.merge("LA", [Image.fromarray(grey), Image.fromarray(alpha)])
    frame = decode_image(encoded(image, "PNG")).frames[0].image
    assert frame.mode == "RGBA"
    assert np.array_equal(np.asarray(frame)[..., 3], alpha)
    assert np.all(np.asarray(frame)[..., :3] == 200)


def test_palette_with_transparency_becomes_rgba():
    image = Image.new("P", (8, 8), 0)
    image.putpalette([0, 0, 0, 255, 0, 0] + [0] * 762)
    image.paste(1, (0, 0, 4, 8))
    data = encoded(image, "PNG", transparency=0)
    frame = decode_image(data).frames[0].image
    assert frame.mode == "RGBA"
    pixels = np.asarray(frame)
    assert np.all(pixels[:, :4, 3] == 255) and np.all(pixels[:, :4, 0] == 255)
    assert np.all(pixels[:, 4:, 3] == 0)


def test_palette_without_transparency_becomes_rgb():
    image = Image.new("P", (8, 8), 1)
    image.putpalette([0, 0, 0, 10, 20, 30] + [0] * 762)
    frame = decode_image(encoded(image, "PNG")).frames[0].image
    assert frame.mode == "RGB"
    assert np.all(np.asarray(frame) == (10, 20, 30))


def test_sixteen_bit_grey_png_is_scaled_by_257():
    values = np.array([[0, 257, 257 * 100, 1000], [65535, 65535 - 257, 128 * 257, 3]], np.uint16)
    image = Image.fromarray(values)
    assert image.mode == "I;16"
    frame = decode_image(encoded(image, "PNG")).frames[0].image
    assert frame.mode == "RGB"
    expected = np.rint(values / 257.0).astype(np.uint8)
    assert np.array_equal(np.asarray(frame)[..., 0], expected)
    assert np.array_equal(np.asarray(frame)[..., 2], expected)


def test_rgba_is_kept_exactly():
    image = noise((16, 8), "RGBA", seed=3)
    frame = decode_image(encoded(image, "PNG")).frames[0].image
    assert frame.mode == "RGBA"
    assert np.array_equal(np.asarray(frame), np.asarray(image))


def test_pil_image_input_is_normalised_without_reencoding():
    image = noise((10, 6), "RGB", seed=4)
    decoded = decode_image(image)
    assert decoded.name == "<PIL image>"
    assert np.array_equal(np.asarray(decoded.frames[0].image), np.asarray(image))


def test_open_binary_stream_is_read(tmp_path):
    path = tmp_path / "x.png"
    noise((12, 7)).save(path)
    with open(path, "rb") as stream:
        decoded = decode_image(stream)
    assert decoded.size == (12, 7)
    assert decoded.name == str(path)


@pytest.mark.parametrize("mode", ["1", "I", "F", "La", "PA", "RGBa", "YCbCr", "LAB", "HSV"])
def test_normalise_mode_always_gives_8_bit_rgb_or_rgba(mode):
    if mode in ("I", "F"):
        image = Image.new(mode, (4, 4), 200)
    else:
        image = Image.new("RGBA", (4, 4), (10, 20, 30, 128)).convert("LA" if mode == "La" else "RGBA")
        image = image.convert(mode) if mode not in ("PA",) else Image.new("PA", (4, 4))
    result = normalise_mode(image)
    assert result.mode == ("RGBA" if mode in ("La", "PA", "RGBa") else "RGB")


@pytest.mark.parametrize("mode", ["La", "RGBa"])
def test_premultiplied_modes_are_unpremultiplied(mode):
    straight = Image.new("LA" if mode == "La" else "RGBA", (2, 2), (100, 128) if mode == "La" else (100, 100, 100, 128))
    result = np.asarray(normalise_mode(straight.convert(mode))).astype(int)
    assert np.all(result[..., 3] == 128)
    assert np.all(np.abs(result[..., :3] - 100) <= 1)


def test_float_and_32_bit_grey_are_scaled_to_8_bit():
    unit = Image.fromarray(np.array([[0.0, 0.5, 1.0]], np.float32))
    assert np.asarray(normalise_mode(unit))[0, :, 0].tolist() == [0, 128, 255]
    wide = Image.fromarray(np.array([[0, 257 * 10, 65535]], np.int32))
    assert wide.mode == "I"
    assert np.asarray(normalise_mode(wide))[0, :, 0].tolist() == [0, 10, 255]


# --- animations ---------------------------------------------------------------------------------

def animation_frames(count=3, size=(12, 10)) -> list[Image.Image]:
    colours = [(255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 0)]
    return [Image.new("RGB", size, colours[i % 4]) for i in range(count)]


@pytest.mark.parametrize("fmt", ["GIF", "WEBP", "PNG"])
def test_animation_keeps_every_frame_duration_and_loop(fmt):
    frames = animation_frames(3)
    options = {"lossless": True} if fmt == "WEBP" else {}
    data = encoded(frames[0], fmt, save_all=True, append_images=frames[1:], duration=[100, 200, 300], loop=2, **options)

    decoded = decode_image(data)

    assert decoded.animated
    assert len(decoded.frames) == 3
    assert [round(frame.duration) for frame in decoded.frames] == [100, 200, 300]
    assert decoded.loop == 2
    for frame, source in zip(decoded.frames, frames):
        assert frame.image.mode in ("RGB", "RGBA")
        assert frame.image.size == (12, 10)
        centre = np.asarray(frame.image.convert("RGB"))[5, 6].astype(int)
        assert np.abs(centre - np.array(source.getpixel((6, 5)))).max() <= 8


def test_animated_gif_with_transparency_gives_rgba_frames():
    frames = []
    for index in range(2):
        image = Image.new("P", (8, 8), 0)
        image.putpalette([0, 0, 0, 255, 0, 0, 0, 255, 0] + [0] * 759)
        image.paste(1 + index, (0, 0, 4 + index, 8))
        frames.append(image)
    data = encoded(frames[0], "GIF", save_all=True, append_images=frames[1:], transparency=0, duration=50, disposal=2)
    decoded = decode_image(data)
    assert len(decoded.frames) == 2
    first = np.asarray(decoded.frames[0].image)
    assert decoded.frames[0].image.mode == "RGBA"
    assert np.all(first[:, 5:, 3] == 0) and np.all(first[:, :4, 3] == 255)


# --- limits and broken inputs -------------------------------------------------------------------

def test_pixel_limit_is_refused(tmp_path):
    path = tmp_path / "big.png"
    Image.new("RGB", (20, 20)).save(path)
    with pytest.raises(ImageTooLargeError) as caught:
        decode_image(path, max_pixels=399)
    assert str(path) in str(caught.value)
    assert "--max-pixels" in str(caught.value)
    assert isinstance(caught.value, InputError)
    assert decode_image(path, max_pixels=400).size == (20, 20)


def test_pixel_limit_from_environment(monkeypatch):
    monkeypatch.setenv("ALPHACUT_MAX_PIXELS", "99")
    with pytest.raises(ImageTooLargeError):
        decode_image(encoded(Image.new("RGB", (10, 10)), "PNG"))
    with pytest.raises(ImageTooLargeError):
        decode_image(Image.new("RGB", (10, 10)))


def png_header_only(width: int, height: int) -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 16)) + chunk(b"IEND", b"")


def test_decompression_bomb_is_refused_before_decoding():
    # 100k x 100k claimed in the header; decoding it would need 30 GB
    with pytest.raises(ImageTooLargeError):
        decode_image(png_header_only(100_000, 100_000), name="bomb.png")


@pytest.mark.parametrize("fmt, suffix", [("PNG", ".png"), ("JPEG", ".jpg")])
def test_truncated_file_is_an_input_error_naming_it(tmp_path, fmt, suffix):
    data = encoded(noise((128, 96), seed=1), fmt)
    path = tmp_path / f"cut{suffix}"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(InputError) as caught:
        decode_image(path)
    assert str(path) in str(caught.value)


def test_corrupt_bytes_are_an_input_error(tmp_path):
    path = tmp_path / "corrupt.png"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
    with pytest.raises(InputError) as caught:
        decode_image(path)
    assert str(path) in str(caught.value)


def test_empty_file_is_an_input_error(tmp_path):
    path = tmp_path / "empty.jpg"
    path.write_bytes(b"")
    with pytest.raises(InputError, match="empty") as caught:
        decode_image(path)
    assert str(path) in str(caught.value)


def test_empty_bytes_are_an_input_error():
    with pytest.raises(InputError, match="upload.png"):
        decode_image(b"", name="upload.png")


def test_text_file_is_not_an_image(tmp_path):
    path = tmp_path / "notes.png"
    path.write_text("this is not an image\n" * 10)
    with pytest.raises(InputError, match="not an image") as caught:
        decode_image(path)
    assert str(path) in str(caught.value)


def test_missing_path_is_an_input_error(tmp_path):
    path = tmp_path / "nowhere.jpg"
    with pytest.raises(InputError, match="no such file") as caught:
        decode_image(path)
    assert str(path) in str(caught.value)


def test_directory_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="folder") as caught:
        decode_image(tmp_path)
    assert str(tmp_path) in str(caught.value)


def test_name_overrides_the_label():
    with pytest.raises(InputError, match=r"^holiday\.jpg: "):
        decode_image(b"garbage bytes", name="holiday.jpg")


# --- open_image and header_size ------------------------------------------------------------------

@pytest.mark.parametrize("mode", ["L", "LA", "P", "I;16", "RGBA"])
def test_open_image_keeps_the_mode(tmp_path, mode):
    """Masks and hints must not be normalised to RGB/RGBA (a grey trimap stays grey)."""
    source = Image.new(mode, (5, 4))
    source.save(tmp_path / "m.png")
    opened = open_image(tmp_path / "m.png")
    assert opened.mode == mode and opened.size == (5, 4)


def test_open_image_applies_orientation_and_the_pixel_limit(tmp_path):
    exif = Image.Exif()
    exif[0x0112] = 6
    Image.new("L", (6, 2), 200).save(tmp_path / "m.jpg", exif=exif)
    assert open_image(tmp_path / "m.jpg").size == (2, 6)
    with pytest.raises(ImageTooLargeError, match="exceeds the limit of 11"):
        open_image(tmp_path / "m.jpg", max_pixels=11)
    with pytest.raises(InputError, match="hints: not an image"):
        open_image(b"no image here", name="hints")


def test_open_image_leaves_a_given_pil_image_untouched():
    exif = Image.Exif()
    exif[0x0112] = 6
    source = Image.open(io.BytesIO(encoded(Image.new("L", (6, 2)), "JPEG", exif=exif)))
    assert open_image(source).size == (2, 6) and source.size == (6, 2)


def test_header_size_reads_the_header_only(tmp_path):
    Image.new("RGB", (40, 30)).save(tmp_path / "a.png")
    (tmp_path / "bad.jpg").write_bytes(b"not an image")
    assert header_size(tmp_path / "a.png") == (40, 30)
    assert header_size(tmp_path / "bad.jpg") is None and header_size(tmp_path / "missing.png") is None
