"""Synthetic backgrounds (solid, pattern, noise, photos) and the straight-alpha composite."""
from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from alphacut.adapt.backgrounds import BackgroundSource, composite, noise, pattern, solid
from alphacut.errors import InputError


class Forced:
    """A real generator, except that the variant choices the code makes are forced: ``integers(4)``
    (which pattern) and ``random()`` (blocky or fine noise); everything else is drawn as usual."""

    def __init__(self, seed: int, pattern_kind: int | None = None, random_value: float | None = None):
        self.rng = np.random.default_rng(seed)
        self.pattern_kind = pattern_kind
        self.random_value = random_value

    def integers(self, *args, **kwargs):
        if args == (4,) and self.pattern_kind is not None:
            return self.pattern_kind
        return self.rng.integers(*args, **kwargs)

    def random(self, *args, **kwargs):
        if self.random_value is not None:
            return self.random_value
        return self.rng.random(*args, **kwargs)

    def __getattr__(self, name):
        return getattr(self.rng, name)


def constant_on_blocks(array: np.ndarray, k: int) -> bool:
    """Every k x k block aligned to (0, 0) holds a single colour (partial blocks at the edges included)."""
    height, width = array.shape[:2]
    for top in range(0, height, k):
        for left in range(0, width, k):
            block = array[top : top + k, left : left + k].reshape(-1, array.shape[2])
            if not (block == block[0]).all():
                return False
    return True


@pytest.mark.parametrize("draw", [
    lambda size, rng: solid(size, rng),
    lambda size, rng: pattern(size, rng),
    lambda size, rng: noise(size, rng),
])
def test_every_kind_is_height_by_width_by_3_uint8(draw):
    for seed in range(6):
        background = draw((13, 7), np.random.default_rng(seed))
        assert background.shape == (7, 13, 3)
        assert background.dtype == np.uint8


def test_solid_is_one_colour_and_writable():
    background = solid((5, 4), np.random.default_rng(3))
    assert (background == background[0, 0]).all()
    background[0, 0] = 0  # a real array, not a read-only broadcast view


def test_solid_near_a_colour_sometimes_picks_a_close_one():
    near = np.array([10.0, 200.0, 30.0])
    distances = [np.abs(solid((2, 2), np.random.default_rng(seed), near)[0, 0].astype(float) - near).max()
                 for seed in range(60)]
    close = [d for d in distances if d <= 100]  # N(0, 24) per channel stays within 100 in practice
    assert 5 <= len(close) <= 40  # about 30 % of draws are hard negatives, the rest anywhere


def test_same_seed_same_background():
    for draw in (lambda r: solid((9, 9), r), lambda r: pattern((9, 9), r, 2), lambda r: noise((9, 9), r, 2)):
        assert np.array_equal(draw(np.random.default_rng(11)), draw(np.random.default_rng(11)))


@pytest.mark.parametrize("kind", [0, 2], ids=["axis-stripes", "checkerboard"])
@pytest.mark.parametrize("cell", [1, 3, 4])
def test_pattern_sits_on_the_cell_grid(kind, cell):
    for seed in range(12):
        background = pattern((24, 18), Forced(seed, pattern_kind=kind), cell=cell)
        assert background.shape == (18, 24, 3)
        assert constant_on_blocks(background, cell)
        assert len(np.unique(background.reshape(-1, 3), axis=0)) <= 2  # two colours, nothing in between


def test_axis_stripes_run_along_rows_or_columns_with_a_period_that_is_a_multiple_of_cell():
    for seed in range(12):
        background = pattern((40, 40), Forced(seed, pattern_kind=0), cell=4).astype(int)
        rows_constant = (background == background[:, :1]).all()
        columns_constant = (background == background[:1]).all()
        assert rows_constant or columns_constant
        line = background[:, 0] if rows_constant else background[0]
        changes = [i for i in range(1, len(line)) if (line[i] != line[i - 1]).any()]
        assert all(change % 4 == 0 for change in changes)  # period in 2..8 cells of 4 px


def test_diagonal_stripes_sit_on_the_cell_grid():
    for seed in range(12):
        assert constant_on_blocks(pattern((24, 24), Forced(seed, pattern_kind=1), cell=4), 4)


def test_gradient_sits_on_the_cell_grid():
    for seed in range(12):
        assert constant_on_blocks(pattern((24, 24), Forced(seed, pattern_kind=3), cell=4), 4)


def test_gradient_with_cell_1_ramps_between_two_colours():
    background = pattern((30, 20), Forced(5, pattern_kind=3), cell=1)
    assert len(np.unique(background.reshape(-1, 3), axis=0)) > 2


@pytest.mark.parametrize("cell", [1, 2, 5])
def test_blocky_noise_is_constant_on_cell_blocks(cell):
    seen_block_sizes = set()
    for seed in range(10):
        background = noise((23, 17), Forced(seed, random_value=0.0), cell=cell)
        assert background.shape == (17, 23, 3)
        assert constant_on_blocks(background, cell)
        # the actual block side: the first column where the first row changes colour
        first_row = background[0].astype(int)
        change = next(i for i in range(1, 23) if (first_row[i] != first_row[i - 1]).any())
        assert change % cell == 0 and cell <= change <= 4 * cell
        assert constant_on_blocks(background, change)
        seen_block_sizes.add(change // cell)
    assert len(seen_block_sizes) >= 2  # the block size is drawn, not fixed


def test_fine_noise_varies_per_pixel():
    background = noise((16, 16), Forced(2, random_value=0.9), cell=4)
    assert background.shape == (16, 16, 3)
    assert not constant_on_blocks(background, 2)


def test_source_draws_photo_crops_of_the_requested_size(tmp_path):
    photos = tmp_path / "photos"
    (photos / "nested").mkdir(parents=True)
    Image.new("RGB", (12, 9), (10, 120, 230)).save(photos / "blue.png")
    Image.new("RGB", (5, 30), (200, 40, 0)).save(photos / "nested" / "red.jpg", quality=100)
    (photos / "notes.txt").write_text("not a photo")
    source = BackgroundSource(["solid", str(photos)], np.random.default_rng(0))
    assert source.kinds == ["solid", "photo"]
    assert sorted(p.name for p in source.photos) == ["blue.png", "red.jpg"]
    colours = set()
    for _ in range(12):
        crop = source.draw("photo", (20, 14))
        assert crop.shape == (14, 20, 3) and crop.dtype == np.uint8
        colour = tuple(int(c) for c in crop[7, 10])
        if colour == (10, 120, 230):
            assert (crop == np.array([10, 120, 230])).all()  # a flat PNG stays flat when scaled up
        else:  # the JPEG: its colour to within compression error
            assert np.abs(crop.astype(int) - (200, 40, 0)).max() <= 6
        colours.add("blue" if colour == (10, 120, 230) else "red")
    assert colours == {"blue", "red"}


def test_source_draws_the_synthetic_kinds():
    source = BackgroundSource(["noise", "solid", "pattern", "solid"], np.random.default_rng(1))
    assert source.kinds == ["noise", "solid", "pattern", "solid"]
    flat = source.draw("solid", (6, 5))
    assert flat.shape == (5, 6, 3) and (flat == flat[0, 0]).all()


def test_source_errors(tmp_path):
    rng = np.random.default_rng(0)
    with pytest.raises(InputError, match="'stripes' is neither one of solid, pattern, noise nor a folder"):
        BackgroundSource(["solid", "stripes"], rng)
    empty = tmp_path / "empty"
    (empty / "sub").mkdir(parents=True)
    (empty / "sub" / "readme.md").write_text("no images here")
    with pytest.raises(InputError, match="holds no images"):
        BackgroundSource([str(empty)], rng)
    with pytest.raises(InputError, match="at least one"):
        BackgroundSource([], rng)


def test_composite_by_hand():
    rgba = np.array([[[200, 100, 0, 255], [200, 100, 0, 0], [255, 100, 50, 51], [100, 0, 255, 102]]], np.uint8)
    background = np.array([[[1, 2, 3], [1, 2, 3], [0, 200, 0], [200, 255, 0]]], np.uint8)
    out = composite(rgba, background)
    assert out.dtype == np.uint8 and out.shape == (1, 4, 3)
    # alpha 255: the subject; alpha 0: the background, whatever colour the transparent pixel holds
    assert out[0, 0].tolist() == [200, 100, 0]
    assert out[0, 1].tolist() == [1, 2, 3]
    # alpha 51 = 0.2: 255*.2 + 0*.8 = 51; 100*.2 + 200*.8 = 180; 50*.2 + 0 = 10
    assert out[0, 2].tolist() == [51, 180, 10]
    # alpha 102 = 0.4: 100*.4 + 200*.6 = 160; 0 + 255*.6 = 153; 255*.4 + 0 = 102
    assert out[0, 3].tolist() == [160, 153, 102]


def test_composite_rounds_to_nearest():
    # alpha 128: 200 * 128/255 + 100 * 127/255 = 150.196 -> 150; 255 * 128/255 = 128
    out = composite(np.array([[[200, 255, 0, 128]]], np.uint8), np.array([[[100, 0, 0]]], np.uint8))
    assert out[0, 0].tolist() == [150, 128, 0]
