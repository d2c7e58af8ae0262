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
