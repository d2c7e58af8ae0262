"""Evaluation sets on disk: pairing images with ground truth, categories, soft detection."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from alphacut.errors import InputError
from alphacut.judge.dataset import load_gt, load_set


def write_pair(root: Path, name: str, *, soft: bool = False, suffix: str = ".png", size=(24, 16)) -> None:
    """images/<name><suffix> (a grey square on black) and gt/<name>.png."""
    width, height = size
    image = root / "images" / f"{name}{suffix}"
    gt = root / "gt" / f"{name}.png"
    image.parent.mkdir(parents=True, exist_ok=True)
    gt.parent.mkdir(parents=True, exist_ok=True)
    mask = np.zeros((height, width), np.uint8)
    mask[4:12, 6:18] = 255
    if soft:
        mask[3, 6:18] = mask[12, 6:18] = 128  # 24 of 384 px in between (6 %)
    Image.fromarray(np.repeat(mask[..., None], 3, axis=2)).save(image)
    Image.fromarray(mask).save(gt)


def test_pairs_and_default_category(tmp_path):
    root = tmp_path / "shapes"
    write_pair(root, "b")
    write_pair(root, "a", suffix=".jpg")
    write_pair(root, "lonely")
    (root / "gt" / "lonely.png").unlink()  # an image without truth is skipped
    (root / "images" / "notes.txt").write_text("not an image")
    eval_set = load_set(root)
    assert eval_set.name == "shapes" and eval_set.root == root
    assert [s.name for s in eval_set.samples] == ["a", "b"]
    a = eval_set.samples[0]
    assert a.image == root / "images" / "a.jpg" and a.gt == root / "gt" / "a.png"
    assert {s.category for s in eval_set.samples} == {"shapes"}  # no sub-folder, no csv: the set's name
    assert not eval_set.soft


def test_categories_from_sub_folders(tmp_path):
    root = tmp_path / "set"
    write_pair(root, "people/p1")
    write_pair(root, "people/p2")
    write_pair(root, "things/t1")
    eval_set = load_set(root)
    assert [(s.name, s.category) for s in eval_set.samples] == [
        ("people/p1", "people"), ("people/p2", "people"), ("things/t1", "things"),
    ]


def test_categories_from_csv_with_or_without_extension(tmp_path):
    root = tmp_path / "set"
    for name in ("one", "two", "three"):
        write_pair(root, name, suffix=".jpg" if name == "two" else ".png")
    (root / "categories.csv").write_text("name,category\none.png,logos\ntwo,portraits\n")
    eval_set = load_set(root)
    assert {s.name: s.category for s in eval_set.samples} == {"one": "logos", "two": "portraits", "three": "set"}


def test_soft_ground_truth_makes_a_matting_set(tmp_path):
    hard = tmp_path / "hard"
    soft = tmp_path / "soft"
    for index in range(5):
        write_pair(hard, f"h{index}")
        write_pair(soft, f"s{index}", soft=True)
    assert not load_set(hard).soft
    assert load_set(soft).soft
    mixed = tmp_path / "mixed"
    for index in range(10):
        write_pair(mixed, f"m{index}", soft=index < 2)  # a fifth of the images are soft
    assert load_set(mixed).soft


def test_limit(tmp_path):
    root = tmp_path / "set"
    for index in range(4):
        write_pair(root, f"x{index}")
    assert [s.name for s in load_set(root, limit=2).samples] == ["x0", "x1"]


def test_missing_folders_or_pairs_are_input_errors(tmp_path):
    with pytest.raises(InputError, match="needs images/ and gt/"):
        load_set(tmp_path / "nowhere")
    root = tmp_path / "empty"
    (root / "images").mkdir(parents=True)
    (root / "gt").mkdir()
    with pytest.raises(InputError, match="no image in images/ has a ground truth"):
        load_set(root)


def test_load_gt_reads_grey_or_alpha(tmp_path):
    grey = np.array([[0, 128], [255, 64]], np.uint8)
    Image.fromarray(grey).save(tmp_path / "grey.png")
    assert load_gt(tmp_path / "grey.png") == pytest.approx(grey / 255.0)
    rgba = np.zeros((2, 2, 4), np.uint8)
    rgba[..., 3] = grey  # a cutout: the truth is its alpha, not its colours
    Image.fromarray(rgba, "RGBA").save(tmp_path / "cut.png")
    truth = load_gt(tmp_path / "cut.png")
    assert truth.dtype == np.float32 and truth == pytest.approx(grey / 255.0)


def test_soft_detection_reads_the_alpha_of_cutout_ground_truth(tmp_path):
    """Ground truth given as RGBA cutouts is judged by its alpha (as load_gt reads it), not its colours."""
    root = tmp_path / "cutouts"
    rng = np.random.default_rng(0)
    for index in range(5):
        write_pair(root, f"c{index}")
        cutout = np.zeros((16, 24, 4), np.uint8)
        cutout[..., :3] = rng.integers(1, 255, (16, 24, 3))  # photo colours: mid greys everywhere
        cutout[4:12, 6:18, 3] = 255  # hard alpha
        Image.fromarray(cutout, "RGBA").save(root / "gt" / f"c{index}.png")
    assert not load_set(root).soft
    for index in range(5):
        cutout = np.asarray(Image.open(root / "gt" / f"c{index}.png")).copy()
        cutout[3, 6:18, 3] = 128  # a soft edge in the alpha
        Image.fromarray(cutout, "RGBA").save(root / "gt" / f"c{index}.png")
    assert load_set(root).soft
