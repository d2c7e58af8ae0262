"""How sure a model is of its own cutout, per image: which images a person should look at.

The confidence is :func:`alphacut.models.confidence.prediction_confidence` of the model's output
as the ``auto`` preset predicts it (per art pixel for pixel art, where the ``pixel-art`` preset votes
once per block). A review of only the images below a confidence (``alphacut review create
--unsure-of MODEL``) spends people's votes where the model may have failed.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np

from alphacut.errors import AlphacutError
from alphacut.io.decode import decode_first_frame
from alphacut.models.confidence import prediction_confidence
from alphacut.models.session import SalientSession
from alphacut.refine.refiner import refine, settings_for


def image_confidences(
    paths: Iterable[Path], session: SalientSession, on_image: Callable[[Path], None] = lambda path: None
) -> tuple[dict[Path, float], dict[Path, str]]:
    """The confidence of ``session``'s model on each image (its first frame), predicted as the
    ``auto`` preset would (per art pixel for pixel art); unreadable images are returned with their reason."""
    found: dict[Path, float] = {}
    failed: dict[Path, str] = {}
    side = max(session.spec.input_size)
    for path in paths:
        try:
            image = decode_first_frame(path).convert("RGB")
        except AlphacutError as exc:
            failed[path] = str(exc)
            continue
        settings = settings_for(np.asarray(image), None)
        found[path] = prediction_confidence(refine(image, session.predict, settings, model_side=side).probability)
        on_image(path)
    return found, failed
