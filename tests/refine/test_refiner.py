"""refine() with a fake model: stage order, timings, thresholds and decontamination."""
from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from alphacut.refine.calibration import calibrate
from alphacut.refine.presets import PRESETS
from alphacut.refine.refiner import Refined, refine

SIZE = 80
FG = np.array([220.0, 40.0, 40.0])
BG = np.array([30.0, 90.0, 200.0])


def soft_disc(size: int = SIZE, radius: float = 24, softness: float = 4.0) -> np.ndarray:
    y, x = np.mgrid[0:size, 0:size]
    r = np.hypot(y - (size - 1) / 2, x - (size - 1) / 2)
    return np.clip((radius - r) / softness + 0.5, 0.0, 1.0).astype(np.float32)


class FakeModel:
    """Returns a fixed probability map and remembers what it was asked."""

    def __init__(self, probability: np.ndarray):
        self.probability = probability
        self.calls: list[tuple[int, int]] = []

    def __call__(self, image: Image.Image) -> np.ndarray:
        self.calls.append(image.size)
        return self.probability.copy()


@pytest.fixture()
def scene() -> tuple[Image.Image, np.ndarray]:
    """A soft red disc on a noisy blue background (a photo: the border is not flat)."""
    alpha = soft_disc()
    a = alpha[..., None].astype(np.float64)
    noise = np.random.default_rng(0).normal(0, 6, (SIZE, SIZE, 3))
    rgb = np.clip(np.rint(a * FG + (1 - a) * BG + noise), 0, 255).astype(np.uint8)
    return Image.fromarray(rgb), alpha


def test_product_preset_runs_every_soft_stage_and_times_it(scene):
    image, alpha = scene
    model = FakeModel(alpha)
    refined = refine(image, model, PRESETS["product"])
    assert isinstance(refined, Refined) and refined.settings is PRESETS["product"]
    assert model.calls == [image.size, image.size]  # the image and its mirror, as the model resizes them
    assert list(refined.timings) == ["predict", "gaps", "matting", "decontaminate"]
    assert all(seconds >= 0 for seconds in refined.timings.values())
    assert np.allclose(refined.probability, (alpha + alpha[:, ::-1]) / 2)
    assert refined.alpha.dtype == np.float32 and refined.alpha.shape == alpha.shape
    soft = (refined.alpha > 0) & (refined.alpha < 1)
    assert soft.sum() > 50  # alpha stays soft on the rim
    rgb = np.asarray(image)
    # edge colours decontaminated: the blue background mixed into the rim is taken out again
    before = np.abs(rgb[soft].astype(float) - FG).mean()
    after = np.abs(refined.rgb[soft].astype(float) - FG).mean()
    assert after < before / 2, (before, after)
    assert np.array_equal(refined.rgb[refined.alpha == 1], rgb[refined.alpha == 1])


def test_threshold_gives_binary_alpha_and_no_decontamination(scene):
    image, alpha = scene
    settings = PRESETS["photo"].with_options(threshold=0.5)
    refined = refine(image, FakeModel(alpha), settings)
    assert set(np.unique(refined.alpha)) == {0.0, 1.0}
    calibrated = calibrate(refined.probability, settings.logit_gain, settings.logit_bias)
    assert np.array_equal(refined.alpha, (calibrated >= 0.5).astype(np.float32))
    assert "decontaminate" not in refined.timings and "matting" not in refined.timings
    assert np.array_equal(refined.rgb, np.asarray(image))


def test_decontaminate_can_be_switched_off(scene):
    image, alpha = scene
    refined = refine(image, FakeModel(alpha), PRESETS["photo"].with_options(decontaminate=False))
    assert "decontaminate" not in refined.timings
    assert np.array_equal(refined.rgb, np.asarray(image))


def test_raw_preset_returns_the_model_output(scene):
    image, alpha = scene
    refined = refine(image, FakeModel(alpha), PRESETS["raw"])
    assert np.array_equal(refined.alpha, alpha)
    assert list(refined.timings) == ["predict"]


def test_main_subject_stage_drops_the_bystander(scene):
    image, alpha = scene
    probability = alpha.copy()
    probability[2:8, 2:8] = 1.0  # a small speck in the corner
    refined = refine(image, FakeModel(probability), PRESETS["raw"].with_options(main_subject=True))
    assert "main_subject" in refined.timings
    assert refined.alpha[2:8, 2:8].max() == 0.0
    assert refined.alpha[40, 40] == pytest.approx(1.0)


def flat_scene() -> np.ndarray:
    rgb = np.zeros((301, 301, 3), np.uint8)  # odd sizes: no pixel grid, so not pixel art
    rgb[:] = (250, 250, 250)
    rgb[101:201, 81:221] = (20, 20, 120)  # the subject
    return rgb


def test_flat_background_fill_recovers_what_the_model_missed():
    rgb = flat_scene()
    rgb[121:181, 201:221] = (200, 40, 40)  # a red part on the subject's right side ...
    probability = np.zeros((301, 301), np.float32)
    probability[101:201, 81:201] = 1.0  # ... that the model dropped
    refined = refine(Image.fromarray(rgb), FakeModel(probability), None)  # auto: flat and large -> graphic
    assert refined.settings is PRESETS["graphic"]
    assert "flat_background" in refined.timings
    assert refined.alpha[150, 210] == 1.0 and refined.alpha[110, 210] == 1.0  # back in
    assert refined.alpha[50, 50] == 0.0 and refined.alpha[150, 230] == 0.0
    assert set(np.unique(refined.alpha)) == {0.0, 1.0}


def test_graphic_preset_clears_a_letter_counter_the_model_filled():
    rgb = flat_scene()
    rgb[131:171, 131:171] = (250, 250, 250)  # an "O": the background shows through the middle
    probability = np.zeros((301, 301), np.float32)
    probability[101:201, 81:221] = 1.0  # the model fills the counter in
    refined = refine(Image.fromarray(rgb), FakeModel(probability), PRESETS["graphic"])
    assert refined.alpha[135:167, 135:167].max() == 0.0
    assert refined.alpha[105:118, 85:218].min() == 1.0


def test_auto_on_pixel_art_predicts_on_the_native_grid():
    native = np.zeros((16, 16, 3), np.uint8)
    native[:] = (0, 200, 0)
    native[4:12, 5:11] = (200, 30, 30)
    rgb = np.repeat(np.repeat(native, 4, axis=0), 4, axis=1)
    seen: list[tuple[int, int]] = []

    def predict(image: Image.Image) -> np.ndarray:
        seen.append(image.size)
        red = np.asarray(image.convert("RGB"))[..., 0] > 100
        return np.where(red, 0.8, 0.1).astype(np.float32)

    refined = refine(Image.fromarray(rgb), predict, None, model_side=128)
    assert refined.settings is PRESETS["pixel-art"]
    assert seen == [(128, 128)]  # 16 art pixels x 8
    assert set(np.unique(refined.alpha)) == {0.0, 1.0}
    assert np.array_equal(refined.alpha.astype(bool), rgb[..., 0] > 100)


def test_rgba_input_is_refined_on_its_colours(scene):
    image, alpha = scene
    rgba = image.convert("RGBA")
    rgba.putalpha(Image.fromarray(np.random.default_rng(1).integers(0, 256, (SIZE, SIZE), dtype=np.uint8)))
    model = FakeModel(alpha)
    refined = refine(rgba, model, PRESETS["raw"])
    assert model.calls == [rgba.size]
    assert np.array_equal(refined.rgb, np.asarray(image))  # the colour channels; the file's own alpha is not used
    assert np.array_equal(refined.alpha, alpha)


def test_tta_two_averages_the_image_and_its_mirror(scene):
    image, alpha = scene
    skewed = np.tile(np.linspace(0, 1, alpha.shape[1], dtype=np.float32), (alpha.shape[0], 1))
    model = FakeModel(skewed)
    refined = refine(image, model, PRESETS["raw"].with_options(tta=2), model_side=96)
    assert model.calls == [(96, 96), (96, 96)]  # pre-resized with Lanczos to the model's side
    # the mirror of a left-to-right ramp, mirrored back, is the same ramp reversed: the mean is flat
    assert np.allclose(refined.probability, 0.5, atol=1e-6)


def test_portrait_preset_runs_colour_consensus_before_matting(scene):
    image, alpha = scene
    model = FakeModel(alpha)
    refined = refine(image, model, PRESETS["portrait"], model_side=96)
    assert len(model.calls) == 2
    assert list(refined.timings) == ["predict", "consensus", "matting", "decontaminate"]
    truth = alpha >= 0.5
    assert np.abs(refined.alpha - truth).mean() < np.abs(alpha - truth).mean() + 0.01


def test_tta_two_with_the_models_resize_passes_the_image_and_its_mirror_as_they_are(scene):
    image, alpha = scene
    skewed = np.tile(np.linspace(0, 1, alpha.shape[1], dtype=np.float32), (alpha.shape[0], 1))
    model = FakeModel(skewed)
    refined = refine(image, model, PRESETS["raw"].with_options(tta=2, tta_resize="model"), model_side=96)
    assert model.calls == [image.size, image.size]  # no pre-resize: the session resizes as for one forward
    assert np.allclose(refined.probability, 0.5, atol=1e-6)


def test_calibration_runs_on_the_models_output_before_the_other_stages(scene):
    image, alpha = scene
    soft = np.clip(alpha * 0.6 + 0.2, 0, 1).astype(np.float32)  # greys where the truth is 0 or 1
    plain = refine(image, FakeModel(soft), PRESETS["raw"])
    sharp = refine(image, FakeModel(soft), PRESETS["raw"].with_options(logit_gain=4.0))
    truth = (alpha >= 0.5).astype(np.float32)
    assert np.array_equal(sharp.probability, plain.probability)  # the model's output is kept as it was
    assert np.abs(sharp.alpha - truth).mean() < np.abs(plain.alpha - truth).mean() / 2
    grown = refine(image, FakeModel(soft), PRESETS["raw"].with_options(logit_bias=3.0))
    assert (grown.alpha >= 0.5).sum() > (plain.alpha >= 0.5).sum()


class SidedModel(FakeModel):
    """Answers ``side=`` calls too: a different map per side, so the mean shows which ran."""

    def __init__(self, probability: np.ndarray, at_side: np.ndarray):
        super().__init__(probability)
        self.at_side = at_side
        self.sides: list[int | None] = []

    def __call__(self, image: Image.Image, side: int | None = None) -> np.ndarray:
        self.calls.append(image.size)
        self.sides.append(side)
        return (self.probability if side is None else self.at_side).copy()


def test_mirror_side_runs_the_mirror_at_that_side_and_averages_both(scene):
    image, alpha = scene
    model = SidedModel(np.full_like(alpha, 0.2), np.full_like(alpha, 0.6))
    settings = PRESETS["raw"].with_options(tta=2, tta_resize="model", mirror_side=768)
    refined = refine(image, model, settings, model_side=1024)
    assert model.sides == [None, 768]  # the image at the model's own side, its mirror at 768
    assert model.calls == [image.size, image.size]
    assert np.allclose(refined.probability, 0.4, atol=1e-6)


def test_mirror_side_equal_to_the_models_side_is_the_plain_pair(scene):
    image, alpha = scene
    model = SidedModel(np.full_like(alpha, 0.2), np.full_like(alpha, 0.6))
    refine(image, model, PRESETS["raw"].with_options(tta=2, tta_resize="model", mirror_side=1024), model_side=1024)
    assert model.sides == [None, None]


@pytest.mark.parametrize("side", [100, 32, 8192, True, 768.0])
def test_mirror_side_must_be_a_multiple_of_32_in_range(side):
    from alphacut.errors import OptionError

    with pytest.raises(OptionError, match="mirror_side"):
        PRESETS["photo"].with_options(mirror_side=side)


def test_a_big_photo_reuses_the_output_computed_ahead_at_its_working_size(scene):
    from alphacut.refine.refiner import KnownPrediction

    image, alpha = scene
    model = FakeModel(np.full((40, 40), 0.5, np.float32))
    ahead = KnownPrediction(image, alpha, model)
    refined = refine(image, ahead, PRESETS["photo"], model_side=96, working_pixels=40 * 40)
    assert model.calls == [(40, 40)]  # only the mirror ran; the plain forward came from ahead, downscaled
    assert refined.alpha.shape == alpha.shape
    assert refined.probability.shape == (40, 40)


def test_known_prediction_answers_only_its_own_image(scene):
    from alphacut.refine.refiner import KnownPrediction

    image, alpha = scene
    model = SidedModel(np.zeros_like(alpha), np.ones_like(alpha))
    known = KnownPrediction(image, alpha, model)
    assert known(image) is alpha
    assert np.all(known(image, side=64) == 1.0)  # another side is another forward
    assert np.all(known(image.copy()) == 0.0)
    assert model.sides == [64, None]
