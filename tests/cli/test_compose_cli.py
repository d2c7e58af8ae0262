"""``alphacut compose`` and ``remove``'s scene options end to end, with a tiny model built by the test."""
from __future__ import annotations

import numpy as np
from PIL import Image


def cutout(tmp_path):
    rgba = np.zeros((48, 64, 4), np.uint8)
    rgba[..., :3] = (10, 20, 30)
    rgba[12:36, 16:48] = (200, 100, 50, 255)
    Image.fromarray(rgba, "RGBA").save(tmp_path / "cut.png")
    return tmp_path / "cut.png"


def test_compose_a_cutout_on_a_colour_and_as_an_ecommerce_square(alphacut_cli, tmp_path):
    source = cutout(tmp_path)
    done = alphacut_cli("compose", str(source), "--on", "white", "-o", str(tmp_path / "white.jpg"))
    assert done.returncode == 0, done.stderr
    white = np.asarray(Image.open(tmp_path / "white.jpg")).astype(int)
    assert np.abs(white[0, 0] - 255).max() < 4 and np.abs(white[24, 32] - (200, 100, 50)).max() < 6
    shop = alphacut_cli("compose", str(source), "--layout", "ecommerce", "--size", "100", "--shadow", "contact",
                        "-o", str(tmp_path / "shop.png"))
    assert shop.returncode == 0, shop.stderr
    square = Image.open(tmp_path / "shop.png")
    assert square.size == (100, 100) and square.mode == "RGB"


def test_compose_refuses_jpeg_for_a_transparent_result_and_bad_backgrounds(alphacut_cli, tmp_path):
    source = cutout(tmp_path)
    jpeg = alphacut_cli("compose", str(source), "--shadow", "drop", "-o", str(tmp_path / "x.jpg"))
    assert jpeg.returncode == 3 and b"JPEG" in jpeg.stderr
    bad = alphacut_cli("compose", str(source), "--on", "sunset", "-o", str(tmp_path / "y.png"))
    assert bad.returncode == 2 and b"not an image file, a colour" in bad.stderr


def test_compose_a_photo_through_the_model_and_remove_with_scene_options(alphacut_cli, tmp_path, tiny_model):
    photo = Image.new("RGB", (64, 48), (0, 0, 0))
    photo.paste((255, 255, 255), (16, 12, 48, 36))
    photo.save(tmp_path / "photo.png")
    done = alphacut_cli("compose", str(tmp_path / "photo.png"), "--on", "0,0,255", "-m", str(tiny_model),
                        "-o", str(tmp_path / "blue.png"))
    assert done.returncode == 0, done.stderr
    blue = np.asarray(Image.open(tmp_path / "blue.png"))
    assert (blue[2, 2] == (0, 0, 255)).all() and (blue[24, 32] > 240).all()
    removed = alphacut_cli("remove", str(tmp_path / "photo.png"), "-m", str(tiny_model), "--ecommerce", "80",
                           "--shadow", "contact", "-o", str(tmp_path / "shop.jpg"), "-q")
    assert removed.returncode == 0, removed.stderr
    assert Image.open(tmp_path / "shop.jpg").size == (80, 80)
    blurred = alphacut_cli("remove", str(tmp_path / "photo.png"), "-m", str(tiny_model), "--bg-blur", "4",
                           "--harmonize", "0.5", "-o", str(tmp_path / "blur.jpg"), "-q")
    assert blurred.returncode == 0, blurred.stderr


def test_compose_values_out_of_range_are_one_line_errors_before_any_work(alphacut_run, tmp_path):
    source = cutout(tmp_path)
    cases = [
        (["--size", "20000x20000"], "--size 20000x20000: a 20000x20000 canvas is 400,000,000 pixels, over the limit of 200,000,000"),
        (["--size", "30x20", "--max-pixels", "500"], "a 30x20 canvas is 600 pixels, over the limit of 500"),
        (["--position", "inf,0"], "position must be two fractions of the canvas between 0 and 1, not (inf, 0.0)"),
        (["--position", "0.5,1.5"], "position must be two fractions of the canvas between 0 and 1"),
        (["--on", "blur", "--blur", "1e300"], "blur must be a sigma from 0.5 to 1000 px, not 1e+300"),
    ]
    for args, message in cases:
        code, _, stderr = alphacut_run("compose", str(source), *args, "-o", str(tmp_path / "out.png"))
        lines = stderr.strip().splitlines()
        assert code == 2 and len(lines) == 1 and message in lines[0], (args, stderr)
        assert not (tmp_path / "out.png").exists()
    code, _, stderr = alphacut_run("compose", str(source), "--size", "30x20", "--position", "0.5,0.9",
                                   "-o", str(tmp_path / "out.png"))
    assert code == 0, stderr
    assert Image.open(tmp_path / "out.png").size == (30, 20)  # within the limits, the same values compose
