"""SalientSession: preprocessing exactly as the spec says, and alpha back at the image size."""
from __future__ import annotations

import warnings

import numpy as np
import pytest
from PIL import Image

from alphacut.models.session import SESSION_FAMILIES, SalientSession, create_session
from alphacut.models.spec import ModelSpec

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


class RecordingRuntime:
    """Stands in for an engine: remembers its input and returns a fixed output."""

    name = "recording"

    def __init__(self, output: np.ndarray):
        self.output = output
        self.batches: list[np.ndarray] = []

    def run(self, batch: np.ndarray) -> np.ndarray:
        self.batches.append(batch)
        return self.output


def make_session(output=None, **spec_fields) -> SalientSession:
    fields = {"name": "fake", "description": "", "input_size": (16, 12), **spec_fields}
    width, height = fields["input_size"]
    raw = np.zeros((1, 1, height, width), np.float32) if output is None else output
    return SalientSession(ModelSpec(**fields), path=None, runtime=RecordingRuntime(raw))  # type: ignore[arg-type]


def random_image(size=(50, 40), mode="RGB", seed=0) -> Image.Image:
    channels = len(mode)
    pixels = np.random.default_rng(seed).integers(0, 256, (size[1], size[0], channels), dtype=np.uint8)
    return Image.fromarray(pixels)


def expected_batch(image: Image.Image, size, mean, std, scale=1 / 255, resample=Image.Resampling.BILINEAR):
    resized = np.asarray(image.convert("RGB").resize(size, resample), np.float64)
    values = (resized * scale - np.asarray(mean)) / np.asarray(std)
    return values.transpose(2, 0, 1)[None]


@pytest.mark.parametrize("mean, std", [((0.5, 0.5, 0.5), (1.0, 1.0, 1.0)), (IMAGENET_MEAN, IMAGENET_STD)])
def test_preprocess_is_normalised_nchw_at_the_input_size(mean, std):
    session = make_session(mean=mean, std=std)
    image = random_image()
    batch = session.preprocess(image)
    assert batch.shape == (1, 3, 12, 16)  # input_size is (width, height)
    assert batch.dtype == np.float32
    assert batch.flags["C_CONTIGUOUS"]
    assert np.allclose(batch, expected_batch(image, (16, 12), mean, std), atol=1e-5)


def test_preprocess_default_range_is_minus_half_to_half():
    session = make_session()
    black = session.preprocess(Image.new("RGB", (20, 20), (0, 0, 0)))
    white = session.preprocess(Image.new("RGB", (20, 20), (255, 255, 255)))
    assert np.allclose(black, -0.5) and np.allclose(white, 0.5)


def test_preprocess_ignores_alpha_and_honours_scale():
    session = make_session(scale=1.0, mean=(0.0, 0.0, 0.0), std=(1.0, 1.0, 1.0))
    rgba = random_image(mode="RGBA", seed=2)
    batch = session.preprocess(rgba)
    assert np.allclose(batch, expected_batch(rgba, (16, 12), (0, 0, 0), (1, 1, 1), scale=1.0), atol=1e-3)
    assert batch.max() > 1.5  # not divided by 255


def test_resize_filter_comes_from_the_spec():
    image = random_image(seed=3)
    bicubic = make_session(resize_filter="bicubic").preprocess(image)
    assert np.allclose(bicubic, expected_batch(image, (16, 12), (0.5,) * 3, (1,) * 3, resample=Image.Resampling.BICUBIC), atol=1e-5)
    assert not np.allclose(bicubic, make_session().preprocess(image), atol=1e-3)


def test_postprocess_resizes_back_to_the_image_and_clips():
    raw = np.linspace(-1.0, 2.0, 12 * 16, dtype=np.float32).reshape(1, 1, 12, 16)
    alpha = make_session().postprocess(raw, (50, 40))
    assert alpha.shape == (40, 50)
    assert alpha.dtype == np.float32
    assert alpha.min() == 0.0 and alpha.max() == 1.0
    expected = Image.fromarray(np.clip(raw[0, 0], 0, 1)).resize((50, 40), Image.Resampling.BILINEAR)
    assert np.allclose(alpha, np.asarray(expected), atol=1e-6)


def test_postprocess_at_the_same_size_is_identity_for_probabilities():
    raw = np.random.default_rng(1).uniform(0, 1, (1, 1, 12, 16)).astype(np.float32)
    assert np.array_equal(make_session().postprocess(raw, (16, 12)), raw[0, 0])


def test_sigmoid_activation():
    raw = np.array([[-1000.0, -1.0, 0.0, 1.0, 1000.0]], np.float32).reshape(1, 1, 1, 5)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # huge logits are ordinary model output, not a warning
        alpha = make_session(input_size=(5, 1), activation="sigmoid").postprocess(raw, (5, 1))
    assert np.allclose(alpha[0], [0.0, 1 / (1 + np.e), 0.5, 1 / (1 + np.exp(-1.0)), 1.0], atol=1e-6)


def test_minmax_activation_rescales_each_prediction():
    raw = np.array([3.0, 5.0, 4.0, 7.0], np.float32).reshape(1, 1, 1, 4)
    alpha = make_session(input_size=(4, 1), activation="minmax").postprocess(raw, (4, 1))
    assert np.allclose(alpha[0], [0.0, 0.5, 0.25, 1.0])
    flat = make_session(input_size=(4, 1), activation="minmax").postprocess(np.full((1, 1, 1, 4), 3.0, np.float32), (4, 1))
    assert np.all(flat == 0.0)


def test_predict_runs_the_runtime_on_the_preprocessed_batch():
    raw = np.full((1, 1, 12, 16), 0.25, np.float32)
    session = make_session(output=raw)
    image = random_image(size=(30, 20))
    alpha = session.predict(image)
    assert alpha.shape == (20, 30)
    assert np.allclose(alpha, 0.25)
    [batch] = session.runtime.batches  # type: ignore[attr-defined]
    assert np.array_equal(batch, session.preprocess(image))


def test_predict_with_the_tiny_model_finds_the_white_square(tiny_session, make_square):
    image = make_square((64, 48), (16, 12, 48, 36))
    alpha = tiny_session.predict(image)
    assert alpha.shape == (48, 64)
    assert alpha[16:32, 20:44].min() > 0.95  # inside the square, away from its resampled edge
    assert alpha[:6, :].max() < 0.05 and alpha[:, :8].max() < 0.05 and alpha[42:, :].max() < 0.05


def test_predict_on_rgba_uses_the_colours(tiny_session, make_square):
    image = make_square((32, 32), (8, 8, 24, 24)).convert("RGBA")
    image.putalpha(0)  # alpha is applied later (refine), the model sees the colours
    alpha = tiny_session.predict(image)
    assert alpha[12:20, 12:20].min() > 0.95 and alpha[:4].max() < 0.05


def test_create_session_opens_the_spec_s_family(tiny_model):
    spec = ModelSpec(name="t", description="", input_size=(32, 32))
    session = create_session(spec, tiny_model, device="cpu", threads=1, runtime="onnxruntime")
    assert type(session) is SESSION_FAMILIES["salient"]
    assert session.runtime.name == "onnxruntime-cpu"
    assert session.path == tiny_model
