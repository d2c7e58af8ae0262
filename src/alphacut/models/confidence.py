"""How sure a model is of its own output, per image, from the output alone.

The model's output is a probability per pixel. Pixels it is unsure of (probability between
``UNSURE_LOW`` and ``UNSURE_HIGH``) are where its mask can be wrong; counted against the size of
the subject it found, they give a per-image confidence comparable to an IoU: ``1 - unsure / subject``
(uncertainty sampling, as in active learning: Lewis & Gale, SIGIR 1994). It picks the images a
person should review (:mod:`alphacut.review.confidence`) and the images an int8 form may have got
wrong, which the session re-runs in the float form (:class:`alphacut.models.session.SalientSession`).
"""
from __future__ import annotations

import numpy as np

UNSURE_LOW, UNSURE_HIGH = 0.1, 0.9


def prediction_confidence(probability: np.ndarray) -> float:
    """``1 - unsure / subject`` of a probability map (H x W, 0-1): 1.0 when every pixel is decided;
    an image where the model finds no subject but is unsure somewhere scores 0."""
    unsure = int(np.count_nonzero((probability > UNSURE_LOW) & (probability < UNSURE_HIGH)))
    subject = int(np.count_nonzero(probability >= 0.5))
    if subject == 0:
        return 1.0 if unsure == 0 else 0.0
    return max(0.0, 1.0 - unsure / subject)
