"""How sure a model is of its own cutout, per image: which images a person should look at.

The model's output is a probability per pixel (per art pixel for pixel art, where the ``pixel-art``
preset votes once per block). Pixels it is unsure of (probability between ``UNSURE_LOW`` and
``UNSURE_HIGH``) are where its mask can be wrong; counted against the size of the subject it found,
they give a per-image confidence comparable to an IoU: ``1 - unsure / subject``. A review of only
the images below a confidence (``alphacut review create --unsure-of MODEL``) spends people's votes
where the model may have failed (uncertainty sampling, as in active learning: Lewis & Gale, SIGIR 1994).
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np

from alphacut.errors import AlphacutError
from alphacut.io.decode import decode_first_frame
from alphacut.models.session import SalientSession
from alphacut.refine.refiner import refine, settings_for

UNSURE_LOW, UNSURE_HIGH = 0.1, 0.9


def prediction_confidence(probability: np.ndarray) -> float:
    """``1 - unsure / subject`` of a probability map (H x W, 0-1): 1.0 when every pixel is decided;
    an image where the model finds no subject but is unsure somewhere scores 0."""
    unsure = int(((probability > UNSURE_LOW) & (probability < UNSURE_HIGH)).sum())
    subject = int((probability >= 0.5).sum())
    if subject == 0:
        return 1.0 if unsure == 0 else 0.0
    return max(0.0, 1.0 - unsure / subject)


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
