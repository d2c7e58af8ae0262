"""--pipeline grammar, the prediction cache, and each pipeline kind on one tiny image."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from alphacut.errors import InputError, OptionError
from alphacut.judge.dataset import Sample
from alphacut.judge.pipelines import Pipeline, PredictionCache, parse_pipeline
from alphacut.refine.presets import PRESETS


# ---------------------------------------------------------------- grammar


@pytest.mark.parametrize("name", ["raw", "auto", "photo", "portrait", "product", "graphic", "pixel-art",
                                  "border-fill", "grabcut"])
def test_plain_names(name):
    pipeline = parse_pipeline(name)
    assert (pipeline.label, pipeline.kind, pipeline.options) == (name, name, {})


def test_preset_with_options():
    pipeline = parse_pipeline("photo=matting:cf,band:0.01")
    assert pipeline.label == "photo=matting:cf,band:0.01"
    assert pipeline.kind == "photo"
    assert pipeline.options == {"matting": "cf", "band": "0.01"}
    spaced = parse_pipeline("portrait=model: isnet-quint8 , main-subject:true")
    assert spaced.options == {"model": "isnet-quint8", "main_subject": "true"}


def test_model_folder_and_border_fill(tmp_path):
    model = parse_pipeline("model=isnet-fp16")
    assert (model.kind, model.options) == ("auto", {"model": "isnet-fp16"})
    folder = parse_pipeline(f"folder={tmp_path}")
    assert (folder.kind, folder.options) == ("folder", {"dir": str(tmp_path)})
    fill = parse_pipeline("border-fill=tolerance:20")
    assert (fill.kind, fill.options) == ("border-fill", {"tolerance": "20"})


@pytest.mark.parametrize("text, message", [
    ("fancy", "unknown pipeline 'fancy'"),
    ("model=", "needs a model name"),
    ("folder=", "is not a folder"),
    ("folder=/no/such/folder", "is not a folder"),
    ("photo=matting", "must be key:value"),
    ("photo=matting:cf,band", "must be key:value"),
    ("photo=sharpen:1", "unknown option.*sharpen"),
    ("border-fill=tol:20", "unknown option.*tol"),
    ("grabcut=matting:cf", "unknown option.*matting"),
])
def test_bad_pipelines_are_input_errors(text, message):
    with pytest.raises(InputError, match=message):
        parse_pipeline(text)


# ---------------------------------------------------------------- running


def white_square_image(size=(40, 30), box=(10, 8, 30, 22)) -> Image.Image:
    image = Image.new("RGB", size, (0, 0, 0))
    image.paste((255, 255, 255), box)
    return image


def sample(name: str = "sq") -> Sample:
    return Sample(name, Path(f"{name}.png"), Path(f"{name}.gt.png"), "c")


def expected_square(size=(40, 30), box=(10, 8, 30, 22)) -> np.ndarray:
    truth = np.zeros((size[1], size[0]), np.float32)
    truth[box[1]:box[3], box[0]:box[2]] = 1
    return truth


def test_border_fill_runs_without_a_model():
    outcome = parse_pipeline("border-fill").run(white_square_image(), sample(), PredictionCache())
    assert np.array_equal(outcome.alpha, expected_square())
    assert list(outcome.timings) == ["border-fill"]


def test_border_fill_tolerance_is_used():
    image = white_square_image()
    image.paste((40, 40, 40), (10, 8, 30, 22))  # a dark grey subject: 69 units from black
    assert parse_pipeline("border-fill=tolerance:30").run(image, sample(), PredictionCache()).alpha.any()
    assert not parse_pipeline("border-fill=tolerance:80").run(image, sample(), PredictionCache()).alpha.any()


def test_folder_reads_grey_masks_and_cutouts_and_resizes(tmp_path):
    grey = (expected_square() * 255).astype(np.uint8)
    Image.fromarray(grey).save(tmp_path / "sq.png")
    cutout = np.zeros((30, 40, 4), np.uint8)
    cutout[..., 3] = 255 - grey
    (tmp_path / "nested").mkdir()
    Image.fromarray(cutout, "RGBA").save(tmp_path / "nested" / "inv.png")
    Image.fromarray(grey).resize((80, 60), Image.Resampling.NEAREST).save(tmp_path / "big.png")
    pipeline = parse_pipeline(f"folder={tmp_path}")
    image = white_square_image()
    assert np.array_equal(pipeline.run(image, sample("sq"), PredictionCache()).alpha, expected_square())
    assert np.array_equal(pipeline.run(image, sample("nested/inv"), PredictionCache()).alpha, 1 - expected_square())
    resized = pipeline.run(image, sample("big"), PredictionCache()).alpha
    assert resized.shape == (30, 40) and np.abs(resized - expected_square()).mean() < 0.05
    with pytest.raises(InputError, match="no output for missing"):
        pipeline.run(image, sample("missing"), PredictionCache())


def test_prediction_cache_reuses_the_forward_pass(tiny_model):
    cache = PredictionCache()
    cache.start_image("a.png")
    predict, seconds = cache.predictor(str(tiny_model))
    image = white_square_image()
    first = predict(image)
    first_seconds = seconds()
    assert first_seconds > 0
    again = predict(image)
    assert again is first  # the same array, no second forward pass
    assert seconds() == 2 * first_seconds  # each call counts the original forward's time
    other_predict, other_seconds = cache.predictor(str(tiny_model))  # another pipeline on the same model
    assert other_predict(image) is first and other_seconds() == first_seconds
    cache.start_image("a.png")  # the same image again keeps the entries
    assert predict(image) is first
    cache.start_image("b.png")  # the next image clears them
    assert predict(image) is not first
    assert np.array_equal(predict(image), first)


def test_preset_pipelines_share_one_forward_pass(tiny_model):
    cache = PredictionCache()
    cache.start_image("sq")
    image = white_square_image()
    raw = Pipeline("raw", "raw", {"model": str(tiny_model)}).run(image, sample(), cache)
    photo = parse_pipeline(f"photo=model:{tiny_model},tta:1,band:0.02,decontaminate:false").run(image, sample(), cache)
    assert raw.timings["predict"] == photo.timings["predict"]  # the cached forward's own time
    mirrored = parse_pipeline(f"photo=model:{tiny_model}").run(image, sample(), cache)  # the image and its mirror
    assert mirrored.timings["predict"] > raw.timings["predict"]  # both forwards counted, the first from the cache
    assert "matting" in photo.timings
    assert raw.alpha.shape == photo.alpha.shape == (30, 40)
    assert raw.alpha[15, 20] > 0.99 and raw.alpha[2, 2] < 0.01


def test_model_pipeline_runs_auto_on_the_model(tiny_model):
    pipeline = parse_pipeline(f"model={tiny_model}")
    cache = PredictionCache()
    cache.start_image("sq")
    outcome = pipeline.run(white_square_image(), sample(), cache)
    assert np.array_equal(outcome.alpha, expected_square())  # a 2-colour image: pixel-art preset, hard alpha
    assert "predict" in outcome.timings


def test_grabcut_pipeline(tiny_model):
    cache = PredictionCache()
    cache.start_image("sq")
    outcome = parse_pipeline(f"grabcut=model:{tiny_model}").run(white_square_image(), sample(), cache)
    assert set(np.unique(outcome.alpha)) <= {0.0, 1.0}
    assert (outcome.alpha == expected_square()).mean() > 0.97
    assert set(outcome.timings) == {"predict", "grabcut"}


def test_option_values_are_typed(tiny_model):
    cache = PredictionCache()
    cache.start_image("sq")
    image = white_square_image()
    hard = parse_pipeline(f"photo=model:{tiny_model},threshold:0.5,gaps:off").run(image, sample(), cache)
    assert set(np.unique(hard.alpha)) <= {0.0, 1.0}
    soft = parse_pipeline(f"graphic=model:{tiny_model},threshold:none,matting:guided").run(image, sample(), cache)
    assert "matting" in soft.timings
    assert PRESETS["graphic"].threshold == 0.5  # the preset itself is untouched


@pytest.mark.parametrize("text, message", [
    ("photo=band:abc", "band"),
    ("auto=tta:3", "tta must be 1, 2 or 4"),
    ("auto=threshold:1.5", "threshold"),
    ("portrait=keep_soft:maybe", "keep_soft"),
    ("auto=matting:magic", "matting"),
    ("photo=band:inf", "band"),
    ("photo=band:nan", "band"),
    ("photo=band:-1", "band"),
    ("border-fill=tolerance:abc", "tolerance:abc must be a number"),
    ("border-fill=tolerance:inf", "tolerance:inf must be a number"),
])
def test_option_values_are_typed_and_checked_when_the_pipeline_is_parsed(text, message):
    # parse time, not the first image: nothing has been loaded or scored when this fails
    with pytest.raises(OptionError, match=message):
        parse_pipeline(text)


def test_a_parsed_preset_pipeline_holds_typed_values():
    options = parse_pipeline("photo=band:0.01,tta:2,keep_soft:true").remove_options()
    assert options.tta == 2 and options.keep_soft is True
    assert dict(options.tuning)["band"] == 0.01
