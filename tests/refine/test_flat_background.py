"""Graphics over a flat colour that touch the frame, and photos on white that must stay photos."""
from __future__ import annotations

import numpy as np
from PIL import Image

from alphacut.refine.border_fill import border_fill_mask, border_is_flat
from alphacut.refine.flat_background import find_flat_background, flat_background_alpha, flat_background_evidence
from alphacut.refine.presets import PRESETS
from alphacut.refine.refiner import refine, settings_for

GREY = np.array([235.0, 235.0, 235.0])
BODY = np.array([40.0, 90.0, 170.0])
RIBBON = np.array([250.0, 250.0, 250.0])  # white on light grey: what the model drops


def composite(alpha: np.ndarray, colour: np.ndarray) -> np.ndarray:
    """The object over the grey background by the compositing equation, rounded like a PNG."""
    mixed = alpha[..., None] * colour + (1.0 - alpha[..., None]) * GREY
    return np.rint(mixed).astype(np.uint8)


def medal(scale: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """A 151 x 203 medal cut by the bottom and left edges, a white ribbon up to the top edge, and
    anti-aliased (soft) rims: the ground truth alpha is known exactly. ``scale`` 2 makes it too
    large to pass for pixel art."""
    height, width = 151 * scale, 203 * scale
    y, x = (np.mgrid[0:height, 0:width] / scale).astype(np.float32)
    disc = np.clip(70.0 - np.hypot(y - 115.0, x - 60.0) + 0.5, 0.0, 1.0)  # leaves through the bottom and left
    ribbon = np.clip(np.minimum(x - 120.0, 160.0 - x) + 0.5, 0.0, 1.0) * (y < 100)  # reaches the top edge
    alpha = np.maximum(disc, ribbon).astype(np.float32)
    colour_is_ribbon = (ribbon > disc)[..., None]
    rgb = np.where(colour_is_ribbon, composite(ribbon, RIBBON), composite(disc, BODY))
    return rgb, alpha


def model_without_the_ribbon(alpha: np.ndarray, scale: int = 1) -> np.ndarray:
    probability = np.zeros_like(alpha)
    probability[alpha > 0.5] = 0.95
    probability[: 100 * scale, 118 * scale: 163 * scale] = 0.05
    return probability


def iou(a: np.ndarray, b: np.ndarray) -> float:
    return float(((a > 0.5) & (b > 0.5)).sum() / ((a > 0.5) | (b > 0.5)).sum())


def test_an_object_touching_the_frame_gets_its_known_alpha():
    rgb, truth = medal()
    assert not border_is_flat(rgb)  # the old test for a flat border refused it: the object covers the frame
    background = find_flat_background(rgb, model_without_the_ribbon(truth))
    assert background is not None and np.allclose(background.colour, GREY)
    alpha = flat_background_alpha(rgb, background)
    assert iou(alpha, truth) > 0.99
    assert np.abs(alpha - truth).mean() < 0.005  # soft rims solved from the compositing equation
    edge = (truth > 0.2) & (truth < 0.8)
    edge[:, 110:] = False  # the disc's rim, away from where the ribbon overlaps it
    assert edge.sum() > 50 and np.abs(alpha[edge] - truth[edge]).max() < 0.05
    assert alpha[:90, 125:155].min() == 1.0  # the white ribbon the model dropped is back
    assert iou(border_fill_mask(rgb), truth) < 0.9  # the median-of-the-ring fill could not do it


def test_auto_sends_the_medal_to_the_graphic_preset_and_recovers_the_ribbon():
    rgb, truth = medal(scale=2)
    refined = refine(Image.fromarray(rgb), lambda _: model_without_the_ribbon(truth, scale=2), None)
    assert refined.settings is PRESETS["graphic"]
    assert "flat_background" in refined.timings
    assert iou(refined.alpha, truth) > 0.99


def test_the_model_decides_which_ring_colour_is_background():
    _, truth = medal()
    rgb = np.where(truth[..., None] > 0.5, BODY, GREY).astype(np.uint8)
    rgb[-30:, :] = BODY.astype(np.uint8)  # the body runs along the bottom and left edges:
    rgb[:, :30] = BODY.astype(np.uint8)  # it is the ring's most frequent colour
    object_mask = np.all(rgb == BODY.astype(np.uint8), axis=-1)
    probability = np.where(object_mask, 0.9, 0.1).astype(np.float32)
    without_prior = find_flat_background(rgb)
    with_prior = find_flat_background(rgb, probability)
    assert without_prior is not None and np.allclose(without_prior.colour, BODY)  # colours alone pick the body
    assert with_prior is not None and np.allclose(with_prior.colour, GREY)


def test_hard_pixel_art_outlines_stay_opaque():
    rgb = np.full((40, 40, 3), (255, 0, 255), np.uint8)  # magenta backing
    rgb[8:32, 8:32] = (20, 20, 20)  # a black outline ...
    rgb[10:30, 10:30] = (230, 200, 60)  # ... around a yellow body: no colour on the line magenta -> yellow
    truth = np.zeros((40, 40), np.float32)
    truth[8:32, 8:32] = 1.0
    background = find_flat_background(rgb)
    assert background is not None
    assert np.array_equal(flat_background_alpha(rgb, background), truth)


def white_backdrop_photo(exact_white: bool) -> np.ndarray:
    """A product shot on a white backdrop: a vignette and a soft shadow, sensor noise unless the
    backdrop is blown out to exact white."""
    rng = np.random.default_rng(7)
    height, width = 180, 240
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    backdrop = 255.0 - 14.0 * (np.hypot(y - 90, x - 120) / 150.0) ** 2
    backdrop -= 40.0 * np.exp(-(((y - 140) / 14.0) ** 2 + ((x - 120) / 70.0) ** 2))  # the shadow under it
    if exact_white:
        backdrop = np.where(np.hypot(y - 90, x - 120) > 95, 255.0, backdrop)  # blown out towards the frame
    rgb = np.repeat(backdrop[..., None], 3, axis=-1)
    subject = np.hypot(y - 90, x - 120) < 45
    rgb[subject] = (150.0, 70.0, 40.0) + rng.normal(0, 12, (int(subject.sum()), 3))
    if not exact_white:
        rgb += rng.normal(0, 2.5, rgb.shape)
    return np.clip(np.rint(rgb), 0, 255).astype(np.uint8)


def test_a_noisy_photo_on_white_stays_on_the_photo_path():
    rgb = white_backdrop_photo(exact_white=False)
    assert find_flat_background(rgb) is not None  # the frame is white enough to be a candidate ...
    assert flat_background_evidence(rgb) is None  # ... but its noise says photo
    assert settings_for(rgb, None) is PRESETS["photo"]


def test_a_blown_out_white_backdrop_with_a_shadow_stays_on_the_photo_path():
    rgb = white_backdrop_photo(exact_white=True)
    background = find_flat_background(rgb)
    assert background is not None and background.noise <= 2.0  # exact white on the frame
    assert background.rim_shading > 0.5  # but it fades into shading: a photo
    assert settings_for(rgb, None) is PRESETS["photo"]


def test_a_flat_frame_around_a_photo_is_not_a_backdrop():
    rgb = white_backdrop_photo(exact_white=False)
    rgb[:4], rgb[-4:], rgb[:, :4], rgb[:, -4:] = 255, 255, 255, 255  # a white passe-partout
    assert settings_for(rgb, None) is PRESETS["photo"]


def test_a_striped_backdrop_is_not_flat_but_a_weak_model_does_not_hide_a_flat_one():
    y, x = np.mgrid[0:60, 0:60]
    rgb = np.where(((x // 6) % 2 == 0)[..., None], (200, 60, 60), (60, 60, 200)).astype(np.uint8)
    rgb[20:40, 20:40] = (30, 200, 30)
    probability = np.zeros((60, 60), np.float32)
    probability[20:40, 20:40] = 0.9  # the model sees both stripe colours as background
    assert find_flat_background(rgb, probability) is None  # filling one stripe colour would leave the other
    flat = np.full((60, 60, 3), 200, np.uint8)
    flat[20:60, 25:40] = (30, 200, 30)  # an object cut by the bottom edge ...
    weak = np.zeros((60, 60), np.float32)  # ... that the model misses entirely
    background = find_flat_background(flat, weak)
    assert background is not None and np.allclose(background.colour, 200)


def test_a_tiled_backdrop_whose_seams_run_along_the_frame_is_not_flat():
    """Tiles of several colours with one seam colour on every tile edge, the frame included: the
    whole ring is the seam colour, but filling it would leave every tile as object (H7, issue 20)."""
    rng = np.random.default_rng(3)
    size, tile = 200, 40
    rgb = np.zeros((size, size, 3), np.uint8)
    for y in range(0, size, tile):
        for x in range(0, size, tile):
            rgb[y:y + tile, x:x + tile] = rng.integers(60, 200, 3)
    rgb[::tile], rgb[:, ::tile] = (20, 20, 20), (20, 20, 20)
    rgb[-1], rgb[:, -1] = (20, 20, 20), (20, 20, 20)
    rgb[80:130, 70:140] = (250, 40, 40)  # the subject
    probability = np.zeros((size, size), np.float32)
    probability[80:130, 70:140] = 1.0
    assert find_flat_background(rgb, probability) is None
    flat = np.full_like(rgb, 20)
    flat[80:130, 70:140] = (250, 40, 40)
    assert find_flat_background(flat, probability) is not None  # the same subject on a flat backdrop
