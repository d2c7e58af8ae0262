"""Picking the objects to edit: clicks, a box, or a mask file, turned into a mask.

Clicks and boxes pick whole objects of :mod:`alphacut.edit.objects` (the salient mask split into
objects, parts that belong together merged, each object sharpened by a second model pass):
:func:`pick_objects` takes every object under a ``--point``, drops those under a ``--point-off``,
and with ``--box`` takes the objects lying mostly inside the box. Where the model saw no object
under a click (it finds the *salient* subject, and a bystander often is not), the finder runs
again on a window centred on the click, where the object under it is the salient one; a box with
no object found in it gets the finder run on the box alone.

:func:`component_at_point` is the pick before the object finder, kept as the baseline that
``benchmarks/layers.py`` measures against: the model's connected component under the click,
snapped to colour edges by GrabCut (Rother, Kolmogorov and Blake, SIGGRAPH 2004).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import cv2
import numpy as np
from PIL import Image
from scipy import ndimage

from alphacut.edit.objects import FoundObject, Matte, find_objects, object_under
from alphacut.errors import InputError
from alphacut.refine.grabcut import grabcut_seeded

#: ``predict(image) -> alpha``: H x W float in [0, 1] for a PIL RGB image (``SalientSession.predict``).
Predict = Callable[[Image.Image], np.ndarray]

#: The window around a click that the model sees on its second try, as a fraction of the short side.
CLICK_WINDOW = 0.5
#: A box picks the objects with at least this share of their area inside it.
BOX_SHARE = 0.5
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
    except (ValueError, OverflowError):  # OverflowError: inf; nan fails int() with ValueError
        values = []
    if len(values) != count:
        raise InputError(f"bad value {text!r}; use {usage} in pixels")
    return values


@dataclass
class Pick:
    """The objects picked and their soft alpha together (H x W float32)."""

    alpha: np.ndarray
    objects: list[FoundObject]

    def colours(self, base: np.ndarray) -> np.ndarray:
        """``base`` (H x W x 3 uint8: the whole image's decontaminated colours) with each picked
        object's own colours (from its close-up pass) where it has alpha."""
        result = base.copy()
        for found in self.objects:
            if found.colours is None:
                continue
            x0, y0, x1, y1 = found.box
            window = result[y0:y1, x0:x1]
            window[found.alpha > 0] = found.colours[found.alpha > 0]
        return result


def pick_objects(
    rgb: np.ndarray,
    matte: Matte,
    *,
    points: list[tuple[int, int]] | None = None,
    points_off: list[tuple[int, int]] | None = None,
    box: tuple[int, int, int, int] | None = None,
    objects: list[FoundObject] | None = None,
    zoom: bool = True,
) -> Pick:
    """The objects under each of ``points`` and those lying mostly inside ``box``, less those under
    ``points_off``. ``objects`` (from :func:`find_objects` on ``rgb``) saves finding them again;
    ``zoom`` is :func:`find_objects`' second pass."""
    shape = rgb.shape[:2]
    for point in [*(points or []), *(points_off or [])]:
        check_point(point, shape)
    if not points and box is None:
        raise InputError("say what to pick with --point X,Y or --box X0,Y0,X1,Y1")
    found = find_objects(rgb, matte, zoom=zoom) if objects is None else objects
    picked: list[FoundObject] = []
    for point in points or []:
        picked.append(_object_at(rgb, point, matte, found, zoom))
    if box is not None:
        picked.extend(_objects_in_box(rgb, box, matte, found, zoom))
    for point in points_off or []:
        dropped = object_under(found, point)
        if dropped is None:
            raise InputError(f"--point-off {point[0]},{point[1]}: no object there to leave out")
        picked = [o for o in picked if o is not dropped]
    if not picked:
        raise InputError("the --point-off clicks leave nothing picked")
    alpha = np.zeros(shape, np.float32)
    for chosen in picked:
        alpha = np.maximum(alpha, chosen.full_alpha(shape))
    return Pick(alpha, picked)


def check_point(point: tuple[int, int], shape: tuple[int, ...]) -> None:
    height, width = shape[:2]
    x, y = point
    if not (0 <= x < width and 0 <= y < height):
        raise InputError(f"point {x},{y} is outside the {width}x{height} image")


def _object_at(rgb: np.ndarray, point: tuple[int, int], matte: Matte, objects: list[FoundObject], zoom: bool) -> FoundObject:
    found = object_under(objects, point)
    if found is not None:
        return found
    height, width = rgb.shape[:2]
    x, y = point
    side = max(16, int(CLICK_WINDOW * min(height, width)))
    left, top = max(0, min(x - side // 2, width - side)), max(0, min(y - side // 2, height - side))
    window = np.ascontiguousarray(rgb[top:top + side, left:left + side])
    local = object_under(find_objects(window, matte, max_objects=4, zoom=zoom), (x - left, y - top))
    if local is None:
        raise InputError(f"no object found under the point {x},{y}; try --box X0,Y0,X1,Y1 or --mask FILE")
    return local.moved(left, top)


def _objects_in_box(
    rgb: np.ndarray, box: tuple[int, int, int, int], matte: Matte, objects: list[FoundObject], zoom: bool
) -> list[FoundObject]:
    height, width = rgb.shape[:2]
    x0, y0, x1, y1 = max(0, box[0]), max(0, box[1]), min(width, box[2]), min(height, box[3])
    if x1 - x0 < 2 or y1 - y0 < 2:
        raise InputError(f"--box {box} does not overlap the {width}x{height} image")
    inside = [o for o in objects if (o.mask(rgb.shape)[y0:y1, x0:x1]).sum() >= BOX_SHARE * max(1, o.area)]
    if not inside:  # the whole-image pass saw nothing there: look at the box alone
        window = np.ascontiguousarray(rgb[y0:y1, x0:x1])
        inside = [o.moved(x0, y0) for o in find_objects(window, matte, max_objects=4, zoom=zoom)]
    if not inside:
        raise InputError(f"no object found in the box {box}; try a larger box or --mask FILE")
    return inside


def component_at_point(rgb: np.ndarray, point: tuple[int, int], predict: Predict, *, refine: bool = True) -> np.ndarray:
    """Boolean mask of the model's component under ``point`` (x, y): the baseline pick (module docstring)."""
    height, width = rgb.shape[:2]
    x, y = point
    check_point(point, rgb.shape)
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
    pixels = min(pixels, math.ceil(math.hypot(*mask.shape[:2])))  # a disc past the diagonal already covers all
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
