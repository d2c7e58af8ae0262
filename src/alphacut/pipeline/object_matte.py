"""The remover as the object finder's ``matte``: ``image -> (alpha in [0, 1], colours)``.

:mod:`alphacut.edit.objects` runs a matte on the whole photo and again on each object's box; given
this one, both passes are what ``alphacut remove`` makes of the photo (the preset's refinement,
soft alpha, decontaminated colours). The ``auto`` preset is decided once, on the whole photo: a
close-up crop of a photo is still a photo (small and few-coloured, it would otherwise pass for
pixel art). It lives here, beside :class:`Remover`, so that every surface (the CLI's
``layers``/``erase``/``remove --point``, the server's ``/v1/layers``) builds it the same way.
"""
from __future__ import annotations

from dataclasses import replace
from typing import Callable

import numpy as np
from PIL import Image

from alphacut.pipeline.remover import Remover
from alphacut.refine.presets import PRESETS, get_preset
from alphacut.refine.refiner import settings_for

ObjectMatte = Callable[[Image.Image], tuple[np.ndarray, np.ndarray]]


def object_matte(remover: Remover, photo: np.ndarray) -> ObjectMatte:
    """``matte(image) -> (H x W float32 alpha in [0, 1], H x W x 3 uint8 colours)`` from ``remover``,
    with the refinement ``photo`` (H x W x 3 uint8, the whole image) gets."""
    options = remover.options
    if get_preset(options.preset) is None:
        chosen = settings_for(photo, None)
        name = next(name for name, settings in PRESETS.items() if settings == chosen)
        remover = Remover(remover.session, replace(options, preset=name))

    def matte(image: Image.Image) -> tuple[np.ndarray, np.ndarray]:
        result = remover.matte(image)
        return result.alpha.astype(np.float32) / 255.0, np.asarray(result.colours.convert("RGB"))

    return matte


def zoom_helps(remover: Remover, photo: np.ndarray) -> bool:
    """Whether a close-up pass on an object's box can add detail: not for pixel art, which has a
    native resolution of its own (the pixel-art refinement already runs the model on it, scaled up
    by whole pixels), and whose grid a crop would misalign."""
    return not remover.options.settings(photo).pixel_art
