"""The remover's reuse of a prediction computed ahead keeps ``side=`` calls going to the session."""
from __future__ import annotations

import numpy as np
from PIL import Image

from alphacut.pipeline import Remover
from alphacut.pipeline.options import RemoveOptions


class Session:
    class spec:
        input_size = (64, 64)

    def __init__(self):
        self.sides: list[int | None] = []

    def predict(self, image: Image.Image, side: int | None = None) -> np.ndarray:
        self.sides.append(side)
        return np.full((image.height, image.width), 0.9 if side else 0.1, np.float32)


def test_a_prediction_made_ahead_answers_the_plain_call_only():
    session = Session()
    remover = Remover(session, RemoveOptions.from_user(preset="raw", tta=2, tuning="tta_resize:model,mirror_side:96"))
    image = Image.new("RGB", (40, 30), (120, 60, 30))
    ahead = np.full((30, 40), 0.3, np.float32)
    matte = remover.matte(image, predict=remover._reusing(image, ahead))
    assert session.sides == [96]  # the image's own forward came from ahead; the mirror ran at 96
    assert np.all(np.abs(matte.alpha.astype(int) - round(0.6 * 255)) <= 1)  # mean of 0.3 ahead and 0.9 at 96


class FlatSession(Session):
    """A model whose output calls the whole image background: only the certain fill keeps the subject."""

    def __init__(self, defaults):
        super().__init__()
        self.spec = type("Spec", (), {"input_size": (64, 64), "refine_defaults": defaults})()

    def predict(self, image: Image.Image, side: int | None = None) -> np.ndarray:
        return np.zeros((image.height, image.width), np.float32)


def sprite() -> Image.Image:
    image = Image.new("RGB", (24, 24), (255, 0, 255))
    image.paste((20, 120, 40), (8, 8, 16, 16))
    return image


def test_a_models_refine_defaults_apply_and_the_users_options_override_them():
    fill_kept = Remover(FlatSession(()), RemoveOptions.from_user(preset="graphic")).matte(sprite()).alpha
    assert fill_kept[12, 12] == 255  # the certain fill keeps what the model dropped
    off = Remover(FlatSession((("flat_background", False),)), RemoveOptions.from_user(preset="graphic"))
    assert off.matte(sprite()).alpha.max() == 0  # the model's own default: no fill, its answer stands
    back_on = Remover(FlatSession((("flat_background", False),)),
                      RemoveOptions.from_user(preset="graphic", tuning="flat_background:true"))
    assert back_on.matte(sprite()).alpha[12, 12] == 255
