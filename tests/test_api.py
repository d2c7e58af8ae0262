"""alphacut.remove: every input kind in, the same kind out, with the tiny model."""
from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

import alphacut
from alphacut.errors import InputError, ModelNotInstalledError

SQUARE = (16, 12, 48, 36)  # the white subject inside a 64 x 48 black frame


@pytest.fixture()
def model(tiny_model):
    return str(tiny_model)


def alpha_of(image: Image.Image) -> np.ndarray:
    return np.asarray(image.getchannel("A"))


def assert_square_alpha(alpha: np.ndarray) -> None:
    assert alpha.shape == (48, 64)
    assert alpha[16:32, 20:44].min() >= 250
    assert alpha[:6].max() <= 10 and alpha[42:].max() <= 10 and alpha[:, :8].max() <= 10 and alpha[:, 58:].max() <= 10


def test_path_gives_rgba_of_the_same_size(tmp_path, square_image, model):
    path = tmp_path / "in.png"
    square_image.save(path)
    result = alphacut.remove(path, model=model)
    assert isinstance(result, Image.Image)
    assert result.mode == "RGBA" and result.size == (64, 48)
    assert_square_alpha(alpha_of(result))
    assert np.array_equal(np.asarray(result)[..., :3], np.asarray(square_image))  # colours untouched
    assert alphacut.remove(str(path), model=model).size == (64, 48)


def test_bytes_give_png_bytes(square_image, encode_image, model):
    result = alphacut.remove(encode_image(square_image, "JPEG", quality=95), model=model)
    assert isinstance(result, bytes)
    assert result.startswith(b"\x89PNG\r\n\x1a\n")
    decoded = Image.open(io.BytesIO(result))
    assert decoded.mode == "RGBA" and decoded.size == (64, 48)
    assert_square_alpha(alpha_of(decoded))


def test_bytes_in_another_format(square_image, encode_image, model):
    result = alphacut.remove(bytearray(encode_image(square_image)), model=model, format="webp")
    assert Image.open(io.BytesIO(result)).format == "WEBP"


def test_pil_gives_pil(square_image, model):
    result = alphacut.remove(square_image, model=model)
    assert isinstance(result, Image.Image) and result.mode == "RGBA"
    assert_square_alpha(alpha_of(result))


def test_ndarray_gives_ndarray(square_image, model):
    array = np.asarray(square_image).copy()
    result = alphacut.remove(array, model=model)
    assert isinstance(result, np.ndarray)
    assert result.shape == (48, 64, 4) and result.dtype == np.uint8
    assert np.array_equal(result[..., :3], array)
    assert_square_alpha(result[..., 3])


def test_ndarray_mask_is_two_dimensional(square_image, model):
    result = alphacut.remove(np.asarray(square_image), model=model, mask=True)
    assert result.shape == (48, 64)
    assert_square_alpha(result)


@pytest.mark.parametrize("bad", [np.zeros((4, 4, 3), np.float32), np.zeros((4, 4, 2), np.uint8), np.zeros((2, 2, 2, 3), np.uint8)])
def test_bad_arrays_are_input_errors(bad, model):
    with pytest.raises(InputError, match="array input"):
        alphacut.remove(bad, model=model)


def test_mask_gives_grey(square_image, model):
    result = alphacut.remove(square_image, model=model, mask=True)
    assert result.mode == "L" and result.size == (64, 48)
    assert_square_alpha(np.asarray(result))


@pytest.mark.parametrize("bg", ["white", "#ffffff", (255, 255, 255), "255,255,255"])
def test_white_background_gives_rgb(square_image, model, bg):
    result = alphacut.remove(square_image, model=model, bg=bg)
    assert result.mode == "RGB" and result.size == (64, 48)
    pixels = np.asarray(result)
    assert np.all(pixels[:4] == 255)  # the black backdrop became white
    assert np.all(pixels[20, 30] >= 250)


def test_coloured_background_replaces_the_backdrop(square_image, model):
    pixels = np.asarray(alphacut.remove(square_image, model=model, bg=(0, 0, 255)))
    assert pixels[2, 2].tolist() == [0, 0, 255]
    assert pixels[24, 32].min() >= 250  # the white subject stays white


def test_background_image(square_image, model, tmp_path):
    backdrop = tmp_path / "bg.png"
    Image.new("RGB", (200, 100), (0, 200, 0)).save(backdrop)
    result = alphacut.remove(square_image, model=model, bg_image=backdrop)
    assert result.mode == "RGB" and result.size == (64, 48)
    assert np.asarray(result)[2, 2].tolist() == [0, 200, 0]
    fitted = alphacut.remove(square_image, model=model, bg_image=Image.open(backdrop), bg_fit="fit")
    assert fitted.mode == "RGBA"  # 2:1 into 4:3 leaves transparent bars


def test_crop_to_the_square_plus_margin(square_image, model):
    result = alphacut.remove(square_image, model=model, crop=True, margin=2)
    # the subject's soft edge spreads a pixel or two; the box is the square, give or take that
    width, height = result.size
    assert 32 + 4 <= width <= 32 + 4 + 4 and 24 + 4 <= height <= 24 + 4 + 4
    alpha = alpha_of(result)
    assert alpha[height // 2, width // 2] >= 250
    assert alpha[0, 0] <= 10  # the margin is background


def test_crop_without_margin_is_tighter(square_image, model):
    tight = alphacut.remove(square_image, model=model, crop=True)
    loose = alphacut.remove(square_image, model=model, crop=True, margin=5)
    assert loose.size == (tight.size[0] + 10, tight.size[1] + 10)


def test_crop_of_an_empty_result_keeps_the_whole_image(model):
    black = Image.new("RGB", (40, 30))
    result = alphacut.remove(black, model=model, crop=True)
    assert result.size == (40, 30)
    assert alpha_of(result).max() <= 10


def test_transparent_input_pixels_stay_transparent(square_image, model):
    rgba = square_image.convert("RGBA")
    pixels = np.asarray(rgba).copy()
    pixels[:, 32:, 3] = 0  # the right half of the white square is transparent in the input
    result = alphacut.remove(Image.fromarray(pixels), model=model)
    alpha = alpha_of(result)
    assert np.all(alpha[:, 32:] == 0)
    assert alpha[16:32, 20:30].min() >= 250


def animated_gif(frames=3) -> bytes:
    images = []
    for index in range(frames):
        image = Image.new("RGB", (64, 48))
        image.paste((255, 255, 255), (4 + 10 * index, 10, 28 + 10 * index, 38))
        images.append(image)
    buffer = io.BytesIO()
    images[0].save(buffer, "GIF", save_all=True, append_images=images[1:], duration=[80, 120, 160][:frames], loop=0)
    return buffer.getvalue()


def test_animated_gif_bytes_stay_animated(model):
    result = alphacut.remove(animated_gif(3), model=model)
    output = Image.open(io.BytesIO(result))
    assert output.format == "PNG"
    assert getattr(output, "n_frames", 1) == 3
    durations = []
    for index in range(3):
        output.seek(index)
        output.load()
        durations.append(round(output.info["duration"]))
        alpha = np.asarray(output.convert("RGBA"))[..., 3]
        assert alpha[24, 16 + 10 * index] >= 250  # the subject moves with the frame
        assert alpha[2, 2] <= 10
    assert durations == [80, 120, 160]


def test_animated_gif_bytes_to_animated_gif(model):
    output = Image.open(io.BytesIO(alphacut.remove(animated_gif(3), model=model, format="gif")))
    assert output.format == "GIF" and output.n_frames == 3


def test_animated_path_gives_frames_with_durations(tmp_path, model):
    path = tmp_path / "anim.gif"
    path.write_bytes(animated_gif(3))
    frames = alphacut.remove(path, model=model)
    assert isinstance(frames, list) and len(frames) == 3
    assert [f.info["duration"] for f in frames] == [80, 120, 160]
    assert all(f.mode == "RGBA" and f.size == (64, 48) for f in frames)


def test_animated_crop_uses_one_box_for_all_frames(model):
    output = Image.open(io.BytesIO(alphacut.remove(animated_gif(3), model=model, crop=True)))
    assert output.n_frames == 3
    width, height = output.size
    assert width < 64 and height < 48
    assert width >= 44  # spans the subject's first to last position


def test_frame_and_pixel_limits_count_every_frame(model):
    from alphacut.errors import ImageTooLargeError, OptionError

    with pytest.raises(ImageTooLargeError, match="3 frames of 64x48 exceed the limit of 2 frames"):
        alphacut.remove(Image.open(io.BytesIO(animated_gif(3))), model=model, max_frames=2)
    with pytest.raises(ImageTooLargeError, match="3 frames of 64x48 = 9,216 pixels exceeds the limit of 9,000"):
        alphacut.remove(animated_gif(3), model=model, max_pixels=9000)  # each frame (3,072 pixels) is within it
    with pytest.raises(OptionError, match="max_frames must be a whole number >= 1, not 0"):
        alphacut.remove(animated_gif(3), model=model, max_frames=0)
    assert Image.open(io.BytesIO(alphacut.remove(animated_gif(3), model=model, max_frames=3))).n_frames == 3


def test_session_is_reused(tiny_model, square_image):
    session = alphacut.load_model(tiny_model)
    assert alphacut.load_model(tiny_model) is session
    direct = alphacut.remove(square_image, model=session)
    by_path = alphacut.remove(square_image, model=str(tiny_model))
    assert np.array_equal(np.asarray(direct), np.asarray(by_path))


def test_default_model_not_installed_says_how_to_install(square_image):
    with pytest.raises(ModelNotInstalledError, match="alphacut models install isnet"):
        alphacut.remove(square_image)


def test_pixel_limit_applies(square_image, model):
    with pytest.raises(alphacut.ImageTooLargeError):
        alphacut.remove(square_image, model=model, max_pixels=100)


def test_corrupt_bytes_are_an_input_error(model):
    with pytest.raises(InputError):
        alphacut.remove(b"\x89PNG\r\n\x1a\nbroken", model=model)


def test_lazy_attributes():
    assert callable(alphacut.remove) and callable(alphacut.load_model)
    with pytest.raises(AttributeError):
        alphacut.no_such_thing  # noqa: B018
