"""Refinement of big photos at a bounded working size, upsampled guided by the full photo.

Phone and camera photos are 12-48 MP, but the model sees 1 MP and every refinement stage
(trimap, matting, decontamination, connected components) costs time in proportion to the pixels
it walks. So a photo over ``WORKING_PIXELS`` is refined on a copy downscaled to that size, and
only the result is brought back to full size:

- alpha by the fast guided filter (He and Sun, "Fast Guided Filter", arXiv:1505.00996, 2015): the
  guided filter's local linear model of alpha in terms of the photo's colours is fitted on a copy
  of the working result of at most 1 MP and applied to the full-size photo, so edges follow the full photo's pixels (hair,
  fur) rather than the working copy's blur. It is evaluated only where the working alpha is soft
  or near an edge (the band); elsewhere alpha is 0 or 1 and is upsampled bilinearly;
- decontaminated colours as the working copy's *correction* (decontaminated minus original),
  upsampled and added to the full photo's colours in the band: the correction is smooth, the
  photo's detail is kept.

Hints are downscaled for the working copy and applied again at full size afterwards.
"""
from __future__ import annotations

from typing import Callable

import cv2
import numpy as np
from PIL import Image

from alphacut.refine.guided_filter import guided_coefficients
from alphacut.refine.hints import Hints, apply_hints
from alphacut.refine.matting import sample_bilinear

#: Photos with more pixels than this are refined at this size: about 4 MP (2310 x 1732 at 4:3),
#: four times the model's output, where matting still has the detail of a 1024 px prediction.
WORKING_PIXELS = 4_000_000
#: Fast guided filter at the working size: radius in working pixels and regulariser.
GUIDED_RADIUS = 2
GUIDED_EPS = 1e-4
#: Largest copy the guided model is fitted on (He and Sun's subsampling ratio, here about 2 at 4 MP).
GUIDED_FIT_PIXELS = 1_000_000
#: Alpha values counted as decided (outside the band).
SOFT_LOW, SOFT_HIGH = 0.002, 0.998


def working_size(size: tuple[int, int], limit: int = WORKING_PIXELS) -> tuple[int, int] | None:
    """The downscaled (width, height) for a photo of ``size``; ``None`` when it is small enough."""
    width, height = size
    if width * height <= limit:
        return None
    scale = (limit / (width * height)) ** 0.5
    return max(1, round(width * scale)), max(1, round(height * scale))


def _downscaled_hints(hints: Hints | None, size: tuple[int, int]) -> Hints | None:
    if hints is None:
        return None

    def shrink(mask: np.ndarray) -> np.ndarray:
        return cv2.resize(mask.astype(np.uint8), size, interpolation=cv2.INTER_NEAREST).astype(bool)

    return type(hints)(keep=shrink(hints.keep), remove=shrink(hints.remove))


def _upsampled(values: np.ndarray, full: tuple[int, int]) -> np.ndarray:
    """``values`` (working size, H x W [x C]) bilinearly at full size."""
    return cv2.resize(np.ascontiguousarray(values, np.float32), full, interpolation=cv2.INTER_LINEAR)


def _sampled(values: np.ndarray, rows: np.ndarray, cols: np.ndarray, scale: tuple[float, float],
             origin: tuple[float, float] = (0.0, 0.0)) -> np.ndarray:
    """``values`` read bilinearly at full-size pixels (``rows``, ``cols``), where one value spans
    ``scale`` = (y, x) full-size pixels and value (0, 0) is centred ``origin`` values from the grid's
    start: what resizing ``values`` to full size would give there, for the few pixels needed."""
    map_y = ((rows.astype(np.float32) + 0.5) / np.float32(scale[0]) - np.float32(0.5 + origin[0])).reshape(-1, 1)
    map_x = ((cols.astype(np.float32) + 0.5) / np.float32(scale[1]) - np.float32(0.5 + origin[1])).reshape(-1, 1)
    sampled = sample_bilinear(np.ascontiguousarray(values, np.float32), map_x, map_y)
    return sampled.reshape(len(rows), -1) if values.ndim == 3 else sampled.reshape(-1)


def _band_box(alpha_small: np.ndarray) -> tuple[np.ndarray, tuple[int, int, int, int]] | None:
    """Working-size pixels whose alpha the guided model may change (soft, or within the filter's
    reach of a soft pixel) and their bounding box, padded so the box filters see whole windows."""
    soft = ((alpha_small > SOFT_LOW) & (alpha_small < SOFT_HIGH)).astype(np.uint8)
    reach = 2 * GUIDED_RADIUS + 1
    band = cv2.dilate(soft, np.ones((2 * reach + 1, 2 * reach + 1), np.uint8))
    rows, cols = np.flatnonzero(band.any(axis=1)), np.flatnonzero(band.any(axis=0))
    if len(rows) == 0:
        return None
    height, width = band.shape
    pad = 2 * reach
    return band, (max(0, rows[0] - pad), min(height, rows[-1] + 1 + pad), max(0, cols[0] - pad), min(width, cols[-1] + 1 + pad))


def _fitted(rgb_crop: np.ndarray, alpha_crop: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The guided filter's linear model of ``alpha_crop`` in terms of ``rgb_crop``, fitted on a copy
    of at most ``GUIDED_FIT_PIXELS`` (the fast guided filter's subsampling: the model is smooth, and
    fitting it is the costly part, about 40 full-frame passes)."""
    height, width = alpha_crop.shape
    scale = min(1.0, (GUIDED_FIT_PIXELS / (height * width)) ** 0.5)
    if scale < 1.0:
        size = (max(1, round(width * scale)), max(1, round(height * scale)))
        rgb_crop = cv2.resize(rgb_crop, size, interpolation=cv2.INTER_AREA)
        alpha_crop = cv2.resize(alpha_crop.astype(np.float32), size, interpolation=cv2.INTER_AREA)
    return guided_coefficients(rgb_crop.astype(np.float32) / 255.0, alpha_crop, GUIDED_RADIUS, GUIDED_EPS)


class Band:
    """The pixels whose alpha or colours the upsampling may change: the working-size band
    (:func:`_band_box`), its box, and the full-size pixels it covers (``rows``, ``cols``)."""

    def __init__(self, alpha_small: np.ndarray, full: tuple[int, int]):
        found = _band_box(alpha_small)
        self.small, self.box = found if found is not None else (None, None)
        self.rows = self.cols = np.empty(0, np.intp)
        if self.small is not None:
            self.rows, self.cols = np.nonzero(cv2.resize(self.small, full, interpolation=cv2.INTER_NEAREST))


def upsample_guided(rgb: np.ndarray, rgb_small: np.ndarray, alpha_small: np.ndarray, band: Band | None = None) -> np.ndarray:
    """Alpha at the full photo's size (float32 in [0, 1]) from the working size, guided by ``rgb``."""
    height, width = rgb.shape[:2]
    alpha = _upsampled(alpha_small, (width, height))
    band = band or Band(alpha_small, (width, height))
    if band.box is None:
        return alpha
    top, bottom, left, right = band.box
    # the guided model fitted on the working crop only, read at the band's full-size pixels
    slope, offset = _fitted(rgb_small[top:bottom, left:right], alpha_small[top:bottom, left:right])
    working_scale = (height / alpha_small.shape[0], width / alpha_small.shape[1])
    fit_factor = ((bottom - top) / slope.shape[0], (right - left) / slope.shape[1])  # working px per fitted value
    scale = (working_scale[0] * fit_factor[0], working_scale[1] * fit_factor[1])
    origin = (top / fit_factor[0], left / fit_factor[1])  # the crop starts `top` working px down
    rows, cols = band.rows, band.cols
    colours = rgb[rows, cols].astype(np.float32) / 255.0
    guided = (_sampled(slope, rows, cols, scale, origin) * colours).sum(axis=-1) + _sampled(offset, rows, cols, scale, origin)
    alpha[rows, cols] = guided
    return np.clip(alpha, 0.0, 1.0, out=alpha)


def upsample_colours(rgb: np.ndarray, rgb_small: np.ndarray, colours_small: np.ndarray | None, alpha: np.ndarray,
                     band: Band) -> np.ndarray:
    """The full photo's colours with the working copy's decontamination correction added where
    alpha is soft (elsewhere decontamination changes nothing that shows).

    The correction (decontaminated minus original) is zero outside the working copy's soft pixels,
    so it is read only at the band's full-size pixels, which hold every pixel it reaches."""
    if colours_small is None:  # the preset does not decontaminate
        return rgb
    height, width = rgb.shape[:2]
    colours = np.array(rgb, copy=True)
    if band.box is None:
        return colours
    soft_alpha = alpha[band.rows, band.cols]
    soft = (soft_alpha > SOFT_LOW) & (soft_alpha < SOFT_HIGH)
    rows, cols = band.rows[soft], band.cols[soft]
    if len(rows):
        correction = colours_small.astype(np.float32) - rgb_small.astype(np.float32)
        scale = (height / rgb_small.shape[0], width / rgb_small.shape[1])
        moved = rgb[rows, cols].astype(np.float32) + _sampled(correction, rows, cols, scale)
        colours[rows, cols] = np.clip(np.rint(moved), 0, 255).astype(np.uint8)
    return colours


def refine_downscaled(
    image: Image.Image,
    rgb: np.ndarray,
    hints: Hints | None,
    size: tuple[int, int],
    run: Callable[[Image.Image, Hints | None], tuple[np.ndarray, np.ndarray | None, np.ndarray]],
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Refine ``image`` (whose RGB pixels are ``rgb``) at ``size`` with ``run(small, small_hints) ->
    (alpha, colours or None when not decontaminated, probability)``; returns alpha and colours at
    full size and the working-size probability."""
    small = image.resize(size, Image.Resampling.BOX)  # area average: no aliasing in the working copy
    rgb_small = np.asarray(small if small.mode == "RGB" else small.convert("RGB"))
    alpha_small, colours_small, probability = run(small, _downscaled_hints(hints, size))
    band = Band(alpha_small, image.size)
    alpha = apply_hints(upsample_guided(rgb, rgb_small, alpha_small, band), hints)
    return alpha, upsample_colours(rgb, rgb_small, colours_small, alpha, band), probability
