"""``alphacut erase`` and ``alphacut replace-bg`` end to end, with a tiny model built by the test."""
from __future__ import annotations

import numpy as np
from PIL import Image


def stripes_with_square(tmp_path):
    yy, xx = np.mgrid[0:64, 0:64]
    rgb = np.stack([np.where((xx // 4) % 2 == 0, 60, 20), (yy * 2) % 50, np.full_like(xx, 30)], -1).astype(np.uint8)
    truth = rgb.copy()
    rgb[20:40, 24:44] = 255  # a white square: the tiny model's subject
    Image.fromarray(rgb).save(tmp_path / "photo.png")
    return tmp_path / "photo.png", truth


def test_erase_by_point_removes_the_object(alphacut_cli, tmp_path, tiny_model):
    photo, truth = stripes_with_square(tmp_path)
    done = alphacut_cli("erase", str(photo), "--point", "30,30", "-m", str(tiny_model), "--save-mask", str(tmp_path / "m.png"))
    assert done.returncode == 0, done.stderr
    result = np.asarray(Image.open(tmp_path / "photo.erased.png"))
    assert result.shape == truth.shape
    assert result[20:40, 24:44].max() < 120  # no white left
    hole = np.asarray(Image.open(tmp_path / "m.png")) > 0
    assert hole[20:40, 24:44].all() and hole.mean() < 0.2
    assert np.array_equal(result[~hole], truth[~hole])


def test_erase_by_mask_with_each_filler_and_no_overwrite(alphacut_cli, tmp_path):
    photo, truth = stripes_with_square(tmp_path)
    mask = np.zeros((64, 64), np.uint8)
    mask[20:40, 24:44] = 255
    Image.fromarray(mask).save(tmp_path / "mask.png")
    for filler in ("telea", "ns", "exemplar"):
        out = tmp_path / f"{filler}.png"
        done = alphacut_cli("erase", str(photo), "--mask", str(tmp_path / "mask.png"), "--fill", filler, "-o", str(out), "-q")
        assert done.returncode == 0, done.stderr
        assert np.asarray(Image.open(out))[20:40, 24:44].max() < 120
    again = alphacut_cli("erase", str(photo), "--mask", str(tmp_path / "mask.png"), "-o", str(tmp_path / "telea.png"))
    assert again.returncode == 3 and b"--overwrite" in again.stderr


def test_erase_needs_exactly_one_selection_and_a_known_filler(alphacut_cli, tmp_path):
    photo, _ = stripes_with_square(tmp_path)
    none = alphacut_cli("erase", str(photo))
    assert none.returncode == 2 and b"say what to remove" in none.stderr
    both = alphacut_cli("erase", str(photo), "--point", "1,1", "--mask", str(photo))  # clicks add up; a mask is alone
    assert both.returncode == 2 and b"or with --mask FILE" in both.stderr
    bad = alphacut_cli("erase", str(photo), "--box", "0,0,5,5", "--fill", "magic")
    assert bad.returncode == 2 and b"unknown filler" in bad.stderr
    assert not (tmp_path / "photo.erased.png").exists()


def test_replace_bg_paints_the_background_from_a_texture(alphacut_cli, tmp_path, tiny_model):
    photo, _ = stripes_with_square(tmp_path)
    Image.new("RGB", (40, 40), (0, 0, 200)).save(tmp_path / "blue.png")
    done = alphacut_cli("replace-bg", str(photo), "--texture", str(tmp_path / "blue.png"), "-m", str(tiny_model),
                        "-p", "raw", "-o", str(tmp_path / "new.png"))
    assert done.returncode == 0, done.stderr
    result = np.asarray(Image.open(tmp_path / "new.png")).astype(int)
    assert (result[28:32, 30:38] == 255).all()  # the subject's core is untouched
    assert np.abs(result[2:10, 2:10] - (0, 0, 200)).max() == 0
    missing = alphacut_cli("replace-bg", str(photo), "-m", str(tiny_model), "-o", str(tmp_path / "x.png"))
    assert missing.returncode == 2 and b"--texture" in missing.stderr
