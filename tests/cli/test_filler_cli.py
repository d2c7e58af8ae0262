"""``alphacut filler train``: a few steps on generated photos and masks write a filler that erase can use."""
from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw

pytest.importorskip("torch")


def photos_and_masks(tmp_path):
    photos, masks = tmp_path / "photos", tmp_path / "masks"
    photos.mkdir()
    masks.mkdir()
    yy, xx = np.mgrid[0:48, 0:48]
    for index in range(3):
        gradient = np.stack([xx * 4 + index * 20, yy * 4, np.full_like(xx, 90)], -1)
        Image.fromarray(np.clip(gradient, 0, 255).astype(np.uint8)).save(photos / f"{index}.png")
        mask = Image.new("L", (48, 48), 0)
        ImageDraw.Draw(mask).ellipse((10 + index, 8, 34, 38 - index), fill=255)
        mask.save(masks / f"{index}.png")
    return photos, masks


def test_filler_train_writes_a_filler_erase_accepts(alphacut_run, tmp_path):
    from alphacut.edit.fillers import fill_hole, get_filler

    photos, masks = photos_and_masks(tmp_path)
    out = tmp_path / "filler.onnx"
    code, _, err = alphacut_run("filler", "train", "--images", str(photos), "--masks", str(masks), "--out", str(out),
                                "--steps", "3", "--size", "32", "--batch", "2", "--depth", "3", "--width", "8")
    assert code == 0, err
    assert f"--fill onnx:{out}" in err and "multiple 8" in err
    filler = get_filler(f"onnx:{out}")
    assert filler.multiple == 8
    photo = np.asarray(Image.open(photos / "0.png"))
    hole = np.zeros(photo.shape[:2], bool)
    hole[10:20, 12:30] = True
    assert np.array_equal(fill_hole(filler, photo, hole)[~hole], photo[~hole])


def test_filler_train_refuses_a_size_the_network_cannot_halve(alphacut_run, tmp_path):
    photos, masks = photos_and_masks(tmp_path)
    code, _, err = alphacut_run("filler", "train", "--images", str(photos), "--masks", str(masks),
                                "--out", str(tmp_path / "f.onnx"), "--steps", "1", "--size", "30", "--depth", "3")
    assert code == 2 and "multiple of 8" in err
    assert not (tmp_path / "f.onnx").exists()
