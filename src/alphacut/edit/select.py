"""Picking the object to edit: a click, a box, or a mask file, turned into a binary mask.

A click takes the connected component of the removal model's mask under it (8-connected,
alpha > 0.5). Where the model did not see an object there (it finds the *salient* subject, and a
bystander often is not), the model runs again on a window centred on the click, where the object
under it is the salient one. A box runs the model on the box and seeds GrabCut with it: outside
the box is background, the model's mask inside is probable foreground. Either way GrabCut
(Rother, Kolmogorov and Blake, SIGGRAPH 2004) then snaps the mask to colour edges.
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable

import cv2
import numpy as np
from PIL import Image
from scipy import ndimage

from alphacut.errors import InputError
from alphacut.refine.grabcut import grabcut_seeded

#: ``predict(image) -> alpha``: H x W float in [0, 1] for a PIL RGB image (``SalientSession.predict``).
Predict = Callable[[Image.Image], np.ndarray]

#: The window around a click that the model sees on its second try, as a fraction of the short side.
CLICK_WINDOW = 0.5
#: GrabCut runs at most this many pixels on a side (the result is upsampled).
GRABCUT_SIDE = 640
GRABCUT_ITERATIONS = 4


def parse_point(text: str) -> tuple[int, int]:
    values = _ints(text, 2, "--point X,Y")
    return values[0], values[1]


def parse_box(text: str) -> tuple[int, int, int, int]:
    x0, y0, x1, y1 = _ints(text, 4, "--box X0,Y0,X1,Y1")
    if x1 <= x0 or y1 <= y0:
        raise InputError(f"--box {text!r}: X1 must be greater than X0 and Y1 than Y0")
    return x0, y0, x1, y1


def _ints(text: str, count: int, usage: str) -> list[int]:
    try:
        values = [int(round(float(part))) for part in text.split(",")]
    except ValueError:
        values = []
    if len(values) != count:
        raise InputError(f"bad value {text!r}; use {usage} in pixels")
    return values


def object_at_point(rgb: np.ndarray, point: tuple[int, int], predict: Predict, *, refine: bool = True) -> np.ndarray:
    """Boolean mask of the object under ``point`` (x, y)."""
    height, width = rgb.shape[:2]
    x, y = point
    if not (0 <= x < width and 0 <= y < height):
        raise InputError(f"--point {x},{y} is outside the {width}x{height} image")
    component = _component_at(predict(Image.fromarray(rgb)) > 0.5, x, y)
    if component is None:
        side = max(16, int(CLICK_WINDOW * min(height, width)))
        left, top = min(max(0, x - side // 2), width - side), min(max(0, y - side // 2), height - side)
        left, top = max(0, left), max(0, top)
        window = rgb[top:top + side, left:left + side]
        local = _component_at(predict(Image.fromarray(window)) > 0.5, x - left, y - top)
        if local is not None:
            component = np.zeros((height, width), bool)
            component[top:top + window.shape[0], left:left + window.shape[1]] = local
    if component is None:
        raise InputError(f"no object found under the point {x},{y}; try --box X0,Y0,X1,Y1 or --mask FILE")
    if not refine:
        return component
    refined = _component_at(grabcut_around(rgb, component), x, y)
    return refined if refined is not None else component


def object_in_box(rgb: np.ndarray, box: tuple[int, int, int, int], predict: Predict) -> np.ndarray:
    """Boolean mask of the object inside ``box`` (x0, y0, x1, y1; x1 and y1 exclusive)."""
    height, width = rgb.shape[:2]
    x0, y0, x1, y1 = max(0, box[0]), max(0, box[1]), min(width, box[2]), min(height, box[3])
    if x1 - x0 < 2 or y1 - y0 < 2:
        raise InputError(f"--box {box} does not overlap the {width}x{height} image")
    inside = np.zeros((height, width), bool)
    inside[y0:y1, x0:x1] = True
    probability = np.zeros((height, width), np.float32)
    probability[y0:y1, x0:x1] = predict(Image.fromarray(np.ascontiguousarray(rgb[y0:y1, x0:x1])))
    seeds = np.full((height, width), cv2.GC_BGD, np.uint8)
    if (probability[inside] > 0.5).sum() >= 0.02 * inside.sum():
        seeds[inside] = cv2.GC_PR_BGD
        seeds[inside & (probability > 0.5)] = cv2.GC_PR_FGD
        seeds[inside & (probability > 0.95)] = cv2.GC_FGD
    else:  # the model saw nothing salient in the box: plain GrabCut from the rectangle
        seeds[inside] = cv2.GC_PR_FGD
    margin = max(8, (x1 - x0 + y1 - y0) // 10)
    window = (slice(max(0, y0 - margin), min(height, y1 + margin)), slice(max(0, x0 - margin), min(width, x1 + margin)))
    result = np.zeros((height, width), bool)
    result[window] = grabcut_seeded(rgb[window], seeds[window], iterations=GRABCUT_ITERATIONS, max_side=GRABCUT_SIDE)
    result &= inside
    result = _significant_components(result)
    if not result.any():
        raise InputError(f"no object found in the box {box}; try a tighter box or --mask FILE")
    return result


def mask_from_file(path: str | Path, size: tuple[int, int]) -> np.ndarray:
    """Boolean mask (white = selected) from an image file; resized with nearest-neighbour if it
    has the image's aspect ratio but another size. An RGBA cutout's alpha also works."""
    from alphacut.io.files import read_alpha

    grey = read_alpha(path, grey_if_opaque=True)
    width, height = size
    if grey.shape != (height, width):
        if abs(grey.shape[1] / grey.shape[0] - width / height) > 0.01:
            raise InputError(f"{path}: mask is {grey.shape[1]}x{grey.shape[0]}, the image {width}x{height}")
        grey = cv2.resize(grey, (width, height), interpolation=cv2.INTER_NEAREST)
    mask = grey > 127
    if not mask.any():
        raise InputError(f"{path}: the mask selects nothing (no pixel above 127)")
    return mask


def grow(mask: np.ndarray, pixels: int) -> np.ndarray:
    """``mask`` dilated by a disc of radius ``pixels``: fills take the object's fringe and shadow seam too."""
    if pixels <= 0:
        return mask.copy()
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * pixels + 1, 2 * pixels + 1))
    return cv2.dilate(mask.astype(np.uint8), kernel) > 0


def auto_dilation(shape: tuple[int, ...]) -> int:
    """Default growth: 0.6 % of the long side, at least 3 px (a model's edge is a few px soft)."""
    return max(3, round(0.006 * max(shape[:2])))


def grabcut_around(rgb: np.ndarray, component: np.ndarray) -> np.ndarray:
    """GrabCut in a window around ``component``: its eroded core is sure foreground, a band
    around it is unsure, beyond the band is sure background."""
    height, width = component.shape
    rows, cols = np.flatnonzero(component.any(axis=1)), np.flatnonzero(component.any(axis=0))
    extent = max(rows[-1] - rows[0], cols[-1] - cols[0]) + 1
    band = max(4, extent // 12)
    top, bottom = max(0, rows[0] - 2 * band), min(height, rows[-1] + 1 + 2 * band)
    left, right = max(0, cols[0] - 2 * band), min(width, cols[-1] + 1 + 2 * band)
    window = (slice(top, bottom), slice(left, right))
    local = component[window].astype(np.uint8)
    disc = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * band + 1, 2 * band + 1))
    seeds = np.full(local.shape, cv2.GC_BGD, np.uint8)
    seeds[cv2.dilate(local, disc) > 0] = cv2.GC_PR_BGD
    seeds[local > 0] = cv2.GC_PR_FGD
    seeds[cv2.erode(local, disc) > 0] = cv2.GC_FGD
    result = np.zeros((height, width), bool)
    result[window] = grabcut_seeded(rgb[window], seeds, iterations=GRABCUT_ITERATIONS, max_side=GRABCUT_SIDE)
    return result


def _component_at(mask: np.ndarray, x: int, y: int, reach: int = 3) -> np.ndarray | None:
    """The 8-connected component of ``mask`` at (x, y), or within ``reach`` px of it."""
    labels, count = ndimage.label(mask, structure=np.ones((3, 3), bool))
    if count == 0:
        return None
    height, width = mask.shape
    window = labels[max(0, y - reach):min(height, y + reach + 1), max(0, x - reach):min(width, x + reach + 1)]
    label = labels[y, x] or (int(np.bincount(window[window > 0]).argmax()) if (window > 0).any() else 0)
    return (labels == label) if label else None


def _significant_components(mask: np.ndarray, keep: float = 0.1) -> np.ndarray:
    """Components at least ``keep`` x the largest one, holes filled: GrabCut's specks dropped."""
    labels, count = ndimage.label(mask, structure=np.ones((3, 3), bool))
    if count <= 1:
        return ndimage.binary_fill_holes(mask)
    areas = ndimage.sum(mask, labels, np.arange(1, count + 1))
    kept = np.isin(labels, np.flatnonzero(areas >= keep * areas.max()) + 1)
    return ndimage.binary_fill_holes(kept)
