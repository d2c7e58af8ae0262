"""Hole fillers: known pixels stay exact, periodic textures are refilled close to the truth."""
from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import onnx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from onnx import TensorProto, helper, numpy_helper

from alphacut.edit.fillers import FILLER_NAMES, fill_hole, get_filler, register_filler
from alphacut.edit.fillers import registry
from alphacut.edit.fillers.exemplar import ExemplarFiller
from alphacut.errors import InputError, ModelError

FILLERS = ["telea", "ns", "exemplar"]


def periodic_texture(height: int, width: int, period: int) -> np.ndarray:
    yy, xx = np.mgrid[0:height, 0:width]
    red = 128 + 100 * np.sin(2 * np.pi * xx / period)
    green = 128 + 100 * np.cos(2 * np.pi * yy / period)
    blue = np.where(((xx // (period // 2)) + (yy // (period // 2))) % 2 == 0, 40, 210)
    return np.stack([red, green, blue], -1).round().astype(np.uint8)


def square_hole(height: int, width: int, top: int, left: int, side: int) -> np.ndarray:
    hole = np.zeros((height, width), bool)
    hole[top:top + side, left:left + side] = True
    return hole


def hole_error(filled: np.ndarray, truth: np.ndarray, hole: np.ndarray) -> float:
    return float(np.abs(filled.astype(np.float64) - truth)[hole].mean())


def test_exemplar_refills_a_large_hole_in_a_periodic_texture():
    truth = periodic_texture(96, 96, 12)
    hole = square_hole(96, 96, 30, 34, 28)  # 28 px: more than two periods, far wider than a patch
    exemplar = hole_error(fill_hole(get_filler("exemplar"), truth, hole), truth, hole)
    telea = hole_error(fill_hole(get_filler("telea"), truth, hole), truth, hole)
    assert exemplar < 12.0
    assert exemplar < telea / 3


def test_knn_votes_tend_to_the_mean_where_content_is_unpredictable_and_stay_exact_where_it_is():
    # i.i.d. noise: nothing outside the hole predicts it, so the best estimate (least squared
    # error) is the mean; one copied match is as far off as another noise sample
    noise = np.random.default_rng(5).integers(0, 256, (120, 90, 3), dtype=np.uint8)
    hole = square_hole(120, 90, 40, 20, 30)
    single = hole_error(ExemplarFiller(votes=1).fill(noise, hole), noise, hole)
    several = hole_error(ExemplarFiller(votes=4).fill(noise, hole), noise, hole)
    assert several < 0.9 * single
    texture = periodic_texture(96, 96, 12)
    texture_hole = square_hole(96, 96, 30, 34, 28)
    assert hole_error(ExemplarFiller(votes=4).fill(texture, texture_hole), texture, texture_hole) < 2.0


def grass_beside_an_object(seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    image = np.array([60, 130, 50]) + rng.normal(0, 20, (96, 128, 3))
    image[20:80, 10:46] = np.array([200, 50, 60]) + rng.normal(0, 10, (60, 36, 3))
    return np.clip(image, 0, 255).astype(np.uint8)


def test_the_layout_guide_keeps_the_diffusion_layout_and_the_copied_texture():
    # a hole in grass touching a red object: how far the object reaches in is not known from
    # outside; the guided fill follows the diffusion's layout (blurred, it stays close to it for
    # every seed) while its detail is copied grass texture, not the diffusion's smear
    hole = square_hole(96, 128, 30, 46, 40)

    def low(image: np.ndarray) -> np.ndarray:
        return cv2.GaussianBlur(image.astype(np.float32), (0, 0), 4)

    def detail(image: np.ndarray) -> float:
        values = image.astype(np.float32)
        return float(np.abs(values - cv2.GaussianBlur(values, (0, 0), 1.5))[hole].mean())

    off_layout = {"guided": [], "colours only": []}
    for seed in range(4):
        truth = grass_beside_an_object(seed)
        diffused = fill_hole(get_filler("ns"), truth, hole)
        for label, guide in (("guided", 1.0), ("colours only", 0.0)):
            filled = fill_hole(ExemplarFiller(votes=1, guide=guide), truth, hole)
            off_layout[label].append(float(np.abs(low(filled) - low(diffused))[hole].mean()))
            if label == "guided":
                assert detail(filled) > 5 * detail(diffused)
    assert np.mean(off_layout["guided"]) < 0.7 * np.mean(off_layout["colours only"])


@pytest.mark.parametrize("name", FILLERS)
def test_a_flat_image_is_filled_flat(name):
    flat = np.full((40, 50, 3), (30, 120, 200), np.uint8)
    hole = square_hole(40, 50, 10, 12, 15)
    filled = fill_hole(get_filler(name), flat, hole)
    assert np.abs(filled.astype(int) - flat).max() <= 2  # OpenCV 5 Telea wobbles by +-2 on flat areas


@pytest.mark.parametrize("name", ["telea", "ns"])
def test_diffusion_closes_a_thin_scratch_on_a_gradient(name):
    yy, xx = np.mgrid[0:64, 0:64]
    truth = np.stack([xx * 3, yy * 3, (xx + yy) * 1.5], -1).astype(np.uint8)
    hole = np.zeros((64, 64), bool)
    hole[20:44, 31:33] = True  # a 2 px wide vertical scratch
    assert hole_error(fill_hole(get_filler(name), truth, hole), truth, hole) < 3.0


@settings(max_examples=12)
@given(
    name=st.sampled_from(FILLERS),
    top=st.integers(0, 30), left=st.integers(0, 30), side=st.integers(1, 18),
    seed=st.integers(0, 2**16),
)
def test_pixels_outside_the_hole_are_untouched(name, top, left, side, seed):
    rgb = np.random.default_rng(seed).integers(0, 256, (48, 48, 3), dtype=np.uint8)
    hole = square_hole(48, 48, top, left, side)
    filled = fill_hole(get_filler(name), rgb, hole)
    assert filled.shape == rgb.shape and filled.dtype == np.uint8
    assert np.array_equal(filled[~hole], rgb[~hole])


def test_exemplar_is_deterministic_for_a_seed():
    rgb = periodic_texture(64, 64, 10)
    hole = square_hole(64, 64, 20, 20, 20)
    first = ExemplarFiller(seed=3).fill(rgb, hole)
    assert np.array_equal(first, ExemplarFiller(seed=3).fill(rgb, hole))


def test_exemplar_takes_patches_from_an_external_source():
    rgb = np.zeros((48, 48, 3), np.uint8)
    hole = np.ones((48, 48), bool)
    hole[16:32, 16:32] = False  # only a "subject" square is known; the rest comes from the source
    source = np.full((40, 40, 3), (10, 200, 90), np.uint8)
    filled = fill_hole(ExemplarFiller(source=source), rgb, hole)
    assert np.array_equal(filled[hole], np.broadcast_to((10, 200, 90), filled[hole].shape))
    assert np.array_equal(filled[~hole], rgb[~hole])


def test_no_hole_returns_a_copy_and_a_full_hole_is_refused():
    rgb = periodic_texture(16, 16, 4)
    assert np.array_equal(fill_hole(get_filler("telea"), rgb, np.zeros((16, 16), bool)), rgb)
    with pytest.raises(InputError, match="whole image"):
        fill_hole(get_filler("telea"), rgb, np.ones((16, 16), bool))


def test_bad_names_and_shapes_are_input_errors():
    with pytest.raises(InputError, match="unknown filler"):
        get_filler("photoshop")
    with pytest.raises(InputError, match="hole mask"):
        fill_hole(get_filler("ns"), np.zeros((8, 8, 3), np.uint8), np.zeros((4, 4), bool))
    with pytest.raises(InputError, match="uint8"):
        fill_hole(get_filler("ns"), np.zeros((8, 8), np.uint8), np.zeros((8, 8), bool))


def test_fillers_register_by_name_and_a_name_is_taken_once(monkeypatch):
    assert set(FILLER_NAMES) == {"exemplar", "telea", "ns", "onnx:PATH"}
    monkeypatch.setattr(registry, "_REGISTRY", dict(registry._REGISTRY))

    @register_filler("mean")
    class MeanFiller:
        name = "mean"

        def __init__(self, shade: int = 0):
            self.shade = shade

        def fill(self, rgb: np.ndarray, hole: np.ndarray) -> np.ndarray:
            return np.full_like(rgb, self.shade)

    assert "mean" in registry.filler_names()
    assert isinstance(get_filler("mean", shade=7), MeanFiller) and get_filler("mean", shade=7).shade == 7
    with pytest.raises(InputError, match="unknown filler"):
        get_filler("mean:argument")  # a plain name takes no argument
    with pytest.raises(InputError, match="unknown filler"):
        get_filler("onnx")  # and onnx needs its PATH
    with pytest.raises(ValueError, match="registered twice"):
        register_filler("telea")(MeanFiller)


COLOUR = np.array([0.2, 0.4, 0.6], np.float32)


def constant_inpainter(path: Path, size: int | None = None, names=("image", "mask")) -> Path:
    """output = image + mask x COLOUR: the zeroed hole comes back as COLOUR, the rest unchanged."""
    dims = [1, 3, size, size] if size else [1, 3, "height", "width"]
    mask_dims = [1, 1, size, size] if size else [1, 1, "height", "width"]
    graph = helper.make_graph(
        [helper.make_node("Mul", [names[1], "colour"], ["paint"]), helper.make_node("Add", [names[0], "paint"], ["out"])],
        "constant_inpainter",
        [helper.make_tensor_value_info(names[0], TensorProto.FLOAT, dims),
         helper.make_tensor_value_info(names[1], TensorProto.FLOAT, mask_dims)],
        [helper.make_tensor_value_info("out", TensorProto.FLOAT, dims)],
        [numpy_helper.from_array(COLOUR.reshape(1, 3, 1, 1), "colour")],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.save(model, str(path))
    return path


@pytest.mark.parametrize("size, names", [(None, ("image", "mask")), (None, ("a", "b")), (16, ("image", "mask"))])
def test_onnx_filler_follows_the_contract(tmp_path, size, names):
    path = constant_inpainter(tmp_path / "paint.onnx", size, names)
    rgb = periodic_texture(37, 29, 6)  # odd sizes: padding to a multiple of 8, or resizing to 16 x 16
    hole = square_hole(37, 29, 8, 6, 14)
    filled = fill_hole(get_filler(f"onnx:{path}"), rgb, hole)
    expected = np.rint(COLOUR * 255).astype(np.uint8)
    inner = square_hole(37, 29, 11, 9, 8)  # away from the hole's edge, where resizing blends
    assert np.abs(filled[inner].astype(int) - expected).max() <= 1
    assert np.array_equal(filled[~hole], rgb[~hole])


def test_onnx_filler_names_what_is_wrong(tmp_path):
    with pytest.raises(ModelError, match="no such ONNX file"):
        get_filler(f"onnx:{tmp_path / 'missing.onnx'}")
    graph = helper.make_graph(
        [helper.make_node("Identity", ["x"], ["y"])], "one_input",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 8, 8])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 3, 8, 8])],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.save(model, str(tmp_path / "one.onnx"))
    with pytest.raises(ModelError, match="two inputs"):
        get_filler(str(tmp_path / "one.onnx"))


def test_onnx_filler_refuses_a_declared_multiple_that_is_not_a_whole_number(tmp_path):
    path = constant_inpainter(tmp_path / "paint.onnx")
    model = onnx.load(str(path))
    onnx.helper.set_model_props(model, {"multiple": "eight"})
    onnx.save(model, str(path))
    with pytest.raises(ModelError, match="multiple='eight'"):
        get_filler(f"onnx:{path}")
    onnx.helper.set_model_props(model, {"multiple": "16"})
    onnx.save(model, str(path))
    assert get_filler(f"onnx:{path}").multiple == 16


# --- a filler that cannot do what was asked says so; it never hands the job to another ---------

def hole_leaving_a_thin_ring(side: int, ring: int) -> np.ndarray:
    hole = np.ones((side, side), bool)
    hole[:ring] = hole[-ring:] = False
    hole[:, :ring] = hole[:, -ring:] = False
    return hole


def test_exemplar_without_a_whole_patch_to_copy_fails_instead_of_diffusing(monkeypatch):
    from alphacut.edit.fillers import diffusion

    rgb = periodic_texture(24, 24, 6)
    hole = hole_leaving_a_thin_ring(24, 3)  # no 7 x 7 patch avoids a hole this big
    diffused: list[str] = []
    original = diffusion.DiffusionFiller.fill
    monkeypatch.setattr(diffusion.DiffusionFiller, "fill",
                        lambda self, *args: diffused.append(self.name) or original(self, *args))
    with pytest.raises(InputError, match=r"no 7x7 patch outside the hole.*24x24 image.*telea"):
        fill_hole(ExemplarFiller(guide=0), rgb, hole)
    assert diffused == []  # it did not quietly run telea instead
    assert np.array_equal(fill_hole(get_filler("telea"), rgb, hole)[~hole], rgb[~hole])  # what it suggests works
    # with a ring wide enough for one patch the exemplar filler runs
    assert fill_hole(ExemplarFiller(guide=0), rgb, hole_leaving_a_thin_ring(24, 7)).shape == rgb.shape


def test_a_texture_smaller_than_a_patch_is_refused_and_a_small_one_keeps_whole_patches():
    from alphacut.edit.fillers.exemplar import _levels_within

    with pytest.raises(InputError, match="texture is 6x5 px.*at least 7x7"):
        ExemplarFiller(source=np.zeros((5, 6, 3), np.uint8))
    with pytest.raises(InputError, match="H x W x 3 uint8"):
        ExemplarFiller(source=np.zeros((20, 20), np.uint8))
    # halving rounds up (13 -> 7): a 13 px texture keeps a whole 7 px patch at half size, 12 px does not
    assert [_levels_within((side, side), 7) for side in (7, 12, 13, 28, 100)] == [1, 1, 2, 3, 5]
    assert _levels_within((200, 9), 7) == 1  # the short side decides
    # a flat 9 x 9 texture fills a large hole with its colour, exactly
    rgb = np.zeros((96, 96, 3), np.uint8)
    hole = ~square_hole(96, 96, 40, 40, 16)
    filled = fill_hole(ExemplarFiller(source=np.full((9, 9, 3), (200, 30, 70), np.uint8)), rgb, hole)
    assert np.array_equal(filled[hole], np.broadcast_to((200, 30, 70), filled[hole].shape))


def test_filler_settings_out_of_range_are_option_errors():
    from alphacut.edit.fillers.diffusion import DiffusionFiller
    from alphacut.errors import OptionError

    for bad in ({"patch": 4}, {"patch": 1}, {"votes": 0}, {"guide": -1.0}):
        with pytest.raises(OptionError):
            ExemplarFiller(**bad)
    for radius in (0, -3, 2.5, True):
        with pytest.raises(OptionError, match="radius"):
            DiffusionFiller("telea", radius=radius)
    with pytest.raises(OptionError, match="telea or ns"):
        DiffusionFiller("fmm")


def test_an_inpainting_model_that_fails_to_run_is_a_model_error(tmp_path):
    # the graph loads, but reshaping the image to 7 x 7 fails inside onnxruntime for any other size
    graph = helper.make_graph(
        [helper.make_node("Add", ["image", "mask"], ["sum"]), helper.make_node("Reshape", ["sum", "shape"], ["out"])],
        "fails_at_run_time",
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, [1, 3, "height", "width"]),
         helper.make_tensor_value_info("mask", TensorProto.FLOAT, [1, 1, "height", "width"])],
        [helper.make_tensor_value_info("out", TensorProto.FLOAT, [1, 3, 7, 7])],
        [numpy_helper.from_array(np.array([1, 3, 7, 7], np.int64), "shape")],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.save(model, str(tmp_path / "broken.onnx"))
    rgb = periodic_texture(16, 16, 4)
    with pytest.raises(ModelError, match="the inpainting model failed to run"):
        fill_hole(get_filler(str(tmp_path / "broken.onnx")), rgb, square_hole(16, 16, 4, 4, 6))
