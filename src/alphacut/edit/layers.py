"""A photo as layers: a clean background plate, one RGBA layer per object, the edge each object
leaves on the background, optional shadows.

The plate is the photo with every object removed: the hole (each object's pixels with any alpha,
grown by ``grow_px`` to take in the soft edge; three times that with ``shadows``) is repainted by a
filler of :mod:`alphacut.edit.fillers`. The hole also takes in the object's contact shadow
(:func:`shadow_reach`): a filler that starts from a shadow's edge would otherwise carry the
darkness into the hole, a ghost of the object.

An object's layer is its cutout as ``alphacut remove`` makes it: the soft alpha and the
decontaminated colours ``F`` of the object finder's passes (a colour gives way only where no
background in [0, 255] could explain the photo with it, mostly where alpha is nearly 1 and ``F``
strays from the photo). Plate and layers together
still give back the photo, through an *edge* layer between the plate and each object: each pixel
of the hole belongs to one object (the nearest, :func:`alphacut.edit.objects.territories`), and
there the edge layer turns the plate into the background the photo really had behind the object,
``B = (photo - a F) / (1 - a)`` (the compositing equation solved for the background), with the
smallest alpha that can reach it over the plate (as in Smith and Blinn's blue-screen matting with
a known backing, SIGGRAPH 1996). Where the filler guessed well the edge layer is almost clear;
hiding an object *and* its edge shows the clean plate, hiding only the object shows the photo's
own background around it. Outside the hole the plate is the photo and every layer is clear, so
recomposition is exact there; inside, 8-bit rounding leaves at most about a level.

A shadow layer (``shadows``) is black with the alpha that darkens the plate to the photo around
the object (``1 - photo / plate`` in luminance, where the photo is darker), so hiding the object
and its shadow shows the clean plate, and moving the object can leave its shadow behind.
"""
from __future__ import annotations

import cv2
import numpy as np
from PIL import Image

from alphacut.edit.fillers import Filler, fill_hole
from alphacut.edit.objects import FoundObject, territories
from alphacut.edit.select import auto_dilation, grow
from alphacut.io.layered import RasterLayer

#: Alpha below this (2 / 255) is not part of an object: the model's faint haze over the background.
OBJECT_ALPHA = 2.0 / 255.0
#: Darkening below this share is noise, not a shadow.
SHADOW_FLOOR = 0.04
LUMA = np.array([0.299, 0.587, 0.114], np.float32)
#: How far a contact shadow may reach from its object, as a share of the object's size
#: (the square root of its area): a soft floor shadow spreads about a quarter of the object.
SHADOW_REACH = 0.35
#: A pixel is in shadow where it is this much darker than the background around the reach.
SHADOW_DARKER = 0.06


def build_layers(
    rgb: np.ndarray,
    objects: list[FoundObject],
    filler: Filler,
    *,
    shadows: bool = False,
    grow_px: int | None = None,
) -> list[RasterLayer]:
    """The plate, then for each object (back to front) its shadow layer (with ``shadows``), its edge
    layer and its own layer. ``rgb`` is H x W x 3 uint8; the objects come from :func:`find_objects`."""
    shape = rgb.shape[:2]
    photo = rgb.astype(np.float32)
    alphas = [o.full_alpha(shape) for o in objects]
    owner = territories([a > 0.5 for a in alphas], shape)
    grow_px = auto_dilation(rgb.shape) if grow_px is None else grow_px
    present = np.zeros(shape, bool)
    for alpha in alphas:
        present |= alpha >= OBJECT_ALPHA
    hole = grow(present, 3 * grow_px if shadows else grow_px)
    hole |= grow(shadow_reach(rgb, hole, max(o.area for o in objects) if objects else 0), grow_px)
    plate = fill_hole(filler, rgb, hole) if hole.any() else rgb.copy()
    layers = [RasterLayer("background", Image.fromarray(plate), details={"kind": "plate"})]
    below = plate.astype(np.float32)
    for index, (found, alpha) in enumerate(zip(objects, alphas), start=1):
        region = hole & (owner == index)
        name = f"object {index}"
        details = {"kind": "object", "area": found.area, "score": found.score, "object_box": list(found.box)}
        if shadows:
            shadow = _shadow_alpha(photo, below, region & (alpha < 0.5))
            if shadow.any():
                shadow8 = np.rint(shadow * 255).astype(np.uint8)
                below = below * (1.0 - shadow8[..., None] / 255.0)  # black over the plate
                layers.append(_cropped(f"{name} shadow", np.zeros_like(rgb), shadow8, {"kind": "shadow", "of": name}))
        alpha8 = np.where(region, np.rint(np.clip(alpha, 0.0, 1.0) * 255.0), 0).astype(np.uint8)
        colours = _colours_of(found, rgb)
        weight = alpha8.astype(np.float32)[..., None] / 255.0
        behind = np.clip((photo - weight * colours) / np.maximum(1.0 - weight, 1e-6), 0.0, 255.0)
        edge_colours, edge_alpha8 = _solve_over(behind, below, region & (alpha8 < 255))
        edge_weight = edge_alpha8.astype(np.float32)[..., None] / 255.0
        below = edge_weight * edge_colours + (1.0 - edge_weight) * below
        layers.append(_cropped(f"{name} edge", edge_colours, edge_alpha8, {"kind": "edge", "of": name}))
        # where no background in [0, 255] explains the photo with these colours (mostly where the
        # alpha is nearly 1), the colours give way: the photo is met over what lies below
        met = np.where(weight > 0, (photo - (1.0 - weight) * below) / np.maximum(weight, 1e-6), colours)
        layers.append(_cropped(name, np.clip(np.rint(met), 0, 255).astype(np.uint8), alpha8, details))
    return layers


def shadow_reach(rgb: np.ndarray, hole: np.ndarray, object_area: int) -> np.ndarray:
    """The shadow the objects in ``hole`` cast around them: pixels within ``SHADOW_REACH`` of the
    objects' size that are ``SHADOW_DARKER`` darker than the background beyond that reach
    (estimated by normalised convolution, Knutsson and Westin 1993, over what lies outside the
    reach, so a dark wall that goes on past it is background, not shadow), connected to the hole."""
    reach = int(round(SHADOW_REACH * np.sqrt(max(object_area, 0))))
    if reach < 2 or not hole.any():
        return np.zeros_like(hole)
    luma = rgb.astype(np.float32) @ LUMA
    near = grow(hole, reach)
    outside = (~near).astype(np.float32)
    if outside.sum() < 0.05 * outside.size:  # the objects fill the frame: no background to compare with
        return np.zeros_like(hole)
    sigma = float(reach)
    weight = cv2.GaussianBlur(outside, (0, 0), sigma)
    background = cv2.GaussianBlur(luma * outside, (0, 0), sigma) / np.maximum(weight, 1e-6)
    darker = near & ~hole & (weight > 1e-3) & (luma < (1.0 - SHADOW_DARKER) * background)
    count, labels = cv2.connectedComponents((darker | hole).astype(np.uint8), connectivity=8)
    touching = np.unique(labels[hole])
    return np.isin(labels, touching[touching > 0]) & darker


def _colours_of(found: FoundObject, rgb: np.ndarray) -> np.ndarray:
    """The object's decontaminated colours on the whole image (the photo's where it has none), float32."""
    colours = rgb.astype(np.float32)
    if found.colours is not None:
        x0, y0, x1, y1 = found.box
        window = colours[y0:y1, x0:x1]
        window[found.alpha > 0] = found.colours[found.alpha > 0]
    return colours


def _solve_over(target: np.ndarray, below: np.ndarray, region: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """8-bit colours and alpha of the layer that, over ``below``, gives ``target`` in ``region`` with
    the smallest alpha that can, and is clear elsewhere (module docstring)."""
    needed_up = np.where(target > below, (target - below) / np.maximum(255.0 - below, 1e-6), 0.0)
    needed_down = np.where(target < below, (below - target) / np.maximum(below, 1e-6), 0.0)
    smallest = np.where(region, np.maximum(needed_up, needed_down).max(axis=-1), 0.0)
    alpha8 = np.ceil(np.clip(smallest, 0.0, 1.0) * 255.0 - 1e-6).astype(np.uint8)
    weight = alpha8.astype(np.float32)[..., None] / 255.0
    colours = np.where(weight > 0, (target - (1.0 - weight) * below) / np.maximum(weight, 1e-6), 0.0)
    return np.clip(np.rint(colours), 0, 255).astype(np.uint8), alpha8


def _shadow_alpha(photo: np.ndarray, below: np.ndarray, region: np.ndarray) -> np.ndarray:
    darkening = 1.0 - (photo @ LUMA + 1.0) / (below @ LUMA + 1.0)
    shadow = np.where(region & (darkening > SHADOW_FLOOR), darkening, 0.0)
    return np.clip(shadow, 0.0, 1.0).astype(np.float32)


def _cropped(name: str, colours: np.ndarray, alpha8: np.ndarray, details: dict) -> RasterLayer:
    rows, cols = np.flatnonzero(alpha8.any(axis=1)), np.flatnonzero(alpha8.any(axis=0))
    if len(rows) == 0:  # an object every pixel of which the plate already shows: an empty layer
        return RasterLayer(name, Image.new("RGBA", (1, 1), (0, 0, 0, 0)), details=details)
    y0, y1, x0, x1 = rows[0], rows[-1] + 1, cols[0], cols[-1] + 1
    rgba = np.dstack([colours[y0:y1, x0:x1], alpha8[y0:y1, x0:x1]])
    return RasterLayer(name, Image.fromarray(np.ascontiguousarray(rgba), "RGBA"), int(x0), int(y0), details=details)
