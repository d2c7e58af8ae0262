"""Training at the art's grid (``train --size grid``): one art pixel = 4 model pixels, everywhere."""
from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

torch = pytest.importorskip("torch")

from alphacut.adapt.data import SegmentationDataset  # noqa: E402
from alphacut.adapt.dataset import BuildReport, BuildSettings, build_dataset, mask_subjects, rgba_subjects  # noqa: E402
from alphacut.adapt.grid import grid_training_size, sample_grid, to_art_grid  # noqa: E402
from alphacut.adapt.train import grid_augmentation  # noqa: E402
from alphacut.errors import InputError  # noqa: E402


@pytest.fixture()
def sprites(tmp_path):
    """Ten-pixel sprites (a cross), built into a dataset at 3 screen pixels per art pixel."""
    source = tmp_path / "rgba"
    source.mkdir()
    rng = np.random.default_rng(0)
    for index in range(6):
        rgba = np.zeros((10, 10, 4), np.uint8)
        rgba[4:6, 1:9, :3] = rgba[1:9, 4:6, :3] = rng.integers(0, 256, 3)
        rgba[4:6, 1:9, 3] = rgba[1:9, 4:6, 3] = 255
        Image.fromarray(rgba, "RGBA").save(source / f"sprite{index}.png")
    out = tmp_path / "ds"
    report = BuildReport()
    build_dataset(rgba_subjects(source, report), out, BuildSettings(backgrounds=("solid", "pattern", "noise"),
                  per_subject=3, scale=3, val_fraction=0.34, seed=0), report, [source])
    return out


def test_grid_size_is_four_model_pixels_per_art_pixel(sprites):
    assert grid_training_size(sprites) == (40, 10)
    assert grid_training_size(sprites, pixels_per_art_pixel=2) == (20, 10)


def test_every_training_sample_sits_on_the_grid(sprites):
    data = SegmentationDataset(sprites, "train", 40, grid_augmentation(), seed=0, grid=True)
    for index in range(len(data)):
        image, target = data[index]
        assert image.shape == (3, 40, 40) and target.shape == (1, 40, 40)
        for array in (image, target):
            blocks = array.reshape(array.shape[0], 10, 4, 10, 4)
            assert torch.equal(blocks, blocks[:, :, :1, :, :1].expand_as(blocks))  # 4 x 4 per art pixel
        assert set(target.unique().tolist()) <= {0.0, 1.0}


def test_photos_have_no_grid(tmp_path):
    images, masks = tmp_path / "images", tmp_path / "masks"
    images.mkdir(), masks.mkdir()
    rng = np.random.default_rng(1)
    for index in range(3):
        Image.fromarray(rng.integers(0, 256, (16, 16, 3), dtype=np.uint8)).save(images / f"p{index}.png")
        Image.fromarray(np.full((16, 16), 255, np.uint8)).save(masks / f"p{index}.png")
    out = tmp_path / "ds"
    report = BuildReport()
    build_dataset(mask_subjects(images, masks, report), out, BuildSettings(val_fraction=0.34), report, [images, masks])
    with pytest.raises(InputError, match="not pixel art"):
        grid_training_size(out)


def test_art_grid_of_a_sample():
    art = np.arange(12, dtype=np.uint8).reshape(3, 4)
    shown = np.repeat(np.repeat(np.dstack([art] * 3), 5, 0), 5, 1)
    assert sample_grid(shown, 1) == 5 and sample_grid(shown, 5) == 5
    image, mask = to_art_grid(shown, shown[..., 0], 5)
    assert np.array_equal(mask, art) and image.shape == (3, 4, 3)


def test_grid_training_on_a_cpu_time_budget(sprites, tiny_arch, tmp_path):
    from alphacut.adapt.train import TrainConfig, train

    config = TrainConfig(data=str(sprites), out=str(tmp_path / "run"), arch=tiny_arch, init=None, size=40, grid=True,
                         batch=2, epochs=50, precision="fp32", threads=1, time_limit=1e-4, clock="cpu")
    result = train(config)
    assert result.stopped == "time limit of 0.0001 CPU min reached"
    assert len(result.history) == 1 and result.history[0].steps == 1  # the first step already spends the budget
