"""A photo as layers: plate + edge and object layers (+ shadows) composite back to the photo, the
plate holds no trace of the objects, and each object layer is the object's own cutout."""
from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage

from alphacut.edit.fillers import get_filler
from alphacut.edit.layers import build_layers
from alphacut.edit.objects import find_objects
from alphacut.io.layered import flatten


def soft_scene() -> tuple[np.ndarray, list[np.ndarray]]:
    """Two soft-edged bright objects with a contact shadow under one, on a textured ground."""
    height, width = 96, 128
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    ground = np.stack([60 + 20 * np.sin(x / 5), 50 + 15 * np.cos(y / 4), 40 + 0 * x], -1)
    shadow = np.exp(-(((x - 40) / 22) ** 2 + ((y - 70) / 5) ** 2))
    ground *= (1 - 0.5 * shadow)[..., None]
    objects = []
    photo = ground
    for cx, cy, r, colour in [(40, 45, 22, (240, 220, 200)), (95, 50, 18, (210, 240, 250))]:
        alpha = np.clip(r + 0.5 - np.hypot(x - cx, y - cy), 0, 3) / 3  # a 3 px soft edge
        photo = alpha[..., None] * np.array(colour, np.float32) + (1 - alpha[..., None]) * photo
        objects.append(alpha)
    return np.clip(np.rint(photo), 0, 255).astype(np.uint8), objects


@pytest.fixture()
def matte(tiny_session):
    return lambda image: (tiny_session.predict(image), None)


@pytest.mark.parametrize("shadows", [False, True])
def test_plate_and_layers_composite_back_to_the_photo(matte, shadows):
    rgb, _ = soft_scene()
    objects = find_objects(rgb, matte)
    assert len(objects) == 2
    stack = build_layers(rgb, objects, get_filler("telea"), shadows=shadows)
    kinds = [layer.details["kind"] for layer in stack]
    assert kinds[0] == "plate" and kinds.count("object") == kinds.count("edge") == 2 and ("shadow" in kinds) == shadows
    flat = flatten((rgb.shape[1], rgb.shape[0]), stack)
    error = np.abs(flat[..., :3] - rgb.astype(np.float32))
    assert error.mean() < 1.0 and error.max() <= 1.0
    plate = np.asarray(stack[0].image)
    kept = (plate == rgb).all(axis=-1)
    assert (np.rint(flat[kept][:, :3]) == rgb[kept]).all()  # exact wherever the plate is the photo
    assert (flat[..., 3] == 255).all()


def test_the_plate_has_no_object_left_and_each_layer_holds_its_object(matte):
    rgb, truths = soft_scene()
    objects = find_objects(rgb, matte)
    stack = build_layers(rgb, objects, get_filler("telea"))
    plate = np.asarray(stack[0].image).astype(np.float32)
    for truth in truths:
        core = ndimage.binary_erosion(truth > 0.99, iterations=4)
        assert plate[core].mean() < 120  # the objects are bright, the ground is dark
    shape = rgb.shape[:2]
    for layer, found in zip([layer for layer in stack if layer.details["kind"] == "object"], objects):
        alpha = np.zeros(shape, np.float32)
        x0, y0, x1, y1 = layer.box
        alpha[y0:y1, x0:x1] = np.asarray(layer.image)[..., 3] / 255.0
        best = max(float(((alpha > 0.5) & (t > 0.5)).sum() / ((alpha > 0.5) | (t > 0.5)).sum()) for t in truths)
        assert best > 0.85
        # the object's own soft alpha, as the finder (and so `remove`) made it: not raised anywhere
        assert np.abs(alpha - np.rint(found.full_alpha(shape) * 255) / 255).max() < 1e-6


def test_hiding_an_object_shows_the_plate_there(matte):
    rgb, truths = soft_scene()
    stack = build_layers(rgb, find_objects(rgb, matte), get_filler("telea"))
    edge, first = stack[1], stack[2]
    assert (edge.details, first.name) == ({"kind": "edge", "of": "object 1"}, "object 1")
    edge.visible = first.visible = False
    flat = flatten((rgb.shape[1], rgb.shape[0]), stack)[..., :3]
    plate = np.asarray(stack[0].image).astype(np.float32)
    x0, y0, x1, y1 = first.box
    assert np.abs(flat[y0:y1, x0:x1] - plate[y0:y1, x0:x1]).max() < 1e-3


def test_the_plate_takes_in_the_contact_shadow_so_no_ghost_of_it_is_left(matte):
    """A bright disc with a soft floor shadow under it, on a flat ground: the hole reaches the
    shadow, so the filled plate is the ground there, not a shadow drawn up into the hole."""
    from alphacut.edit.layers import shadow_reach

    height, width = 96, 128
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    shadow = np.exp(-(((x - 64) / 30) ** 2 + ((y - 72) / 7) ** 2))
    ground = np.full((height, width, 3), 90.0, np.float32) * (1 - 0.6 * shadow)[..., None]  # dark: the tiny model's background
    alpha = (np.clip(22.5 - np.hypot(x - 64, y - 45), 0, 3) / 3)[..., None]
    rgb = np.clip(np.rint(alpha * 240 + (1 - alpha) * ground), 0, 255).astype(np.uint8)
    reach = shadow_reach(rgb, alpha[..., 0] > 0, int((alpha > 0.5).sum()))
    assert reach[72, 64 - 20] and reach[72, 64 + 20] and not reach[5, 5]  # the shadow, not the ground
    stack = build_layers(rgb, find_objects(rgb, matte), get_filler("telea"))
    plate = np.asarray(stack[0].image).astype(np.float32)
    in_shadow = shadow > 0.3
    assert np.abs(plate[in_shadow] - 90).mean() < 8  # without the reach the shadow stays: about 30 levels
