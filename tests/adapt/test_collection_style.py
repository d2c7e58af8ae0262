"""Backgrounds learned from a collection's own images (``dataset build --backgrounds-from``)."""
from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from alphacut.adapt.backgrounds import BackgroundSource
from alphacut.adapt.collection_style import draw_style, image_style, learn_style
from alphacut.adapt.dataset import BuildReport, BuildSettings, build_dataset, rgba_subjects
from alphacut.errors import InputError

SUBJECT = (255, 0, 0)  # a colour that only the subjects have


def _upscale(array: np.ndarray, k: int) -> np.ndarray:
    return np.repeat(np.repeat(array, k, 0), k, 1)


def checker_with_subject(k: int = 3, art: int = 20) -> np.ndarray:
    """Art of ``art`` x ``art`` pixels shown at ``k`` px: a blue/green checkerboard, a red square in the middle."""
    ys, xs = np.mgrid[0:art, 0:art]
    small = np.where(((ys + xs) % 2)[..., None] == 0, np.array([20, 40, 200]), np.array([30, 160, 40])).astype(np.uint8)
    small[7:13, 7:13] = SUBJECT
    return _upscale(small, k)


@pytest.fixture()
def collection(tmp_path):
    folder = tmp_path / "with-bg"
    folder.mkdir()
    for index in range(3):
        Image.fromarray(checker_with_subject()).save(folder / f"textured{index}.png")
    flat = np.full((60, 60, 3), (200, 180, 90), np.uint8)
    flat[20:41, 20:41] = SUBJECT  # off any grid: not pixel art
    Image.fromarray(flat).save(folder / "flat.png")
    (folder / "notes.txt").write_text("not an image")
    return folder


def test_learns_grid_palette_and_flatness_from_the_border_only():
    style = image_style(checker_with_subject(k=3))
    assert style.block == 3 and not style.flat
    assert {tuple(c) for c in style.palette[:2]} == {(20, 40, 200), (30, 160, 40)}
    assert all(tile.shape == (4, 4, 3) for tile in style.tiles)  # 20% of 20 art pixels, at one pixel per art pixel
    assert not any((tile == SUBJECT).all(-1).any() for tile in style.tiles)  # the subject in the middle is never read
    assert SUBJECT not in {tuple(c) for c in style.palette}


def test_draws_on_the_dataset_grid_with_the_collection_colours(collection):
    style = learn_style(collection)
    assert len(style.images) == 4 and sum(s.flat for s in style.images) == 1
    assert "4 images: 1 flat, 3 textured; art-pixel block 1, 3" == style.summary()
    rng = np.random.default_rng(0)
    seen = set()
    for _ in range(30):
        drawn = draw_style(style, (50, 40), rng, cell=5)
        assert drawn.shape == (40, 50, 3) and drawn.dtype == np.uint8
        blocks = drawn.reshape(8, 5, 10, 5, 3)
        assert (blocks == blocks[:, :1, :, :1]).all()  # every art pixel is one 5 x 5 block
        colours = {tuple(c) for c in drawn.reshape(-1, 3)}
        assert SUBJECT not in colours
        seen |= colours
    assert {(20, 40, 200), (30, 160, 40)} <= seen  # the checker's colours, from quilting and from palette noise


def test_a_folder_without_usable_images_is_a_clear_error(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="no usable images"):
        learn_style(tmp_path / "empty")
    with pytest.raises(InputError, match="not a folder"):
        learn_style(tmp_path / "missing")
    with pytest.raises(InputError, match="--backgrounds-from"):
        BackgroundSource(["own"], np.random.default_rng(0))


def test_build_adds_as_many_composites_in_the_collection_style(collection, tmp_path):
    cutouts = tmp_path / "cutouts"
    cutouts.mkdir()
    for index in range(4):
        rgba = np.zeros((12, 12, 4), np.uint8)
        rgba[3:9, 3:9] = (250, 250, 250, 255)
        Image.fromarray(rgba, "RGBA").save(cutouts / f"item{index}.png")
    out = tmp_path / "ds"
    report = BuildReport()
    settings = BuildSettings(backgrounds=("solid", "noise"), per_subject=2, backgrounds_from=str(collection), scale=3)
    build_dataset(rgba_subjects(cutouts, report), out, settings, report, [cutouts, collection])
    manifest = json.loads((out / "manifest.json").read_text())
    kinds = [s["background"] for s in manifest["samples"]]
    assert kinds.count("own") == 8 and kinds.count("solid") == 4 and kinds.count("noise") == 4
    assert manifest["style"].startswith("4 images")
    own = next(s for s in manifest["samples"] if s["background"] == "own")
    image = np.asarray(Image.open(out / own["image"]))
    assert image.shape == (36, 36, 3) and (image[:9, :9] != 250).any()  # the corner shows a drawn background
