"""Generated scenes for install-time int8 calibration and its agreement gate: no photos needed.

Post-training quantisation needs the activation ranges a model sees on real input, and the
install-time gate needs varied images on which to compare the int8 masks with the fp32 ones.
Neither may depend on data a new user does not have, so both use procedurally drawn scenes,
deterministic from a seed, with the statistics that drive activation ranges in a salient-object
net: photographic backgrounds (smooth gradients, multi-scale value noise [1], out-of-focus
blur, large flat planes like walls and tables), one to three foreground objects (smooth random
outlines, shaded like lit solids, textured, sometimes thin strokes like stems or hair), soft cast
shadows, sensor grain; and a share of flat-colour graphics (icons, logos) with hard edges, as
the shipped sample (``scripts/make_sample.py``) is drawn: shapes rendered at 2x and
downsampled, so edges are anti-aliased like a photo's.

[1] K. Perlin, "An image synthesizer", SIGGRAPH 1985 (here the simpler value-noise variant:
random lattices upsampled bicubically and summed over octaves).
"""
from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

SUPERSAMPLE = 2


def _blur(plane: np.ndarray, sigma: float) -> np.ndarray:
    import cv2

    return cv2.GaussianBlur(plane, (0, 0), sigma) if sigma > 0.1 else plane


def value_noise(rng: np.random.Generator, size: tuple[int, int], octaves: int = 5) -> np.ndarray:
    """Noise in [0, 1] with detail at several scales (width, height -> H x W float32)."""
    width, height = size
    total = np.zeros((height, width), np.float32)
    weight_sum = 0.0
    for octave in range(octaves):
        cells = 2 ** (octave + 1)
        lattice = rng.random((cells + 1, cells + 1)).astype(np.float32)
        layer = np.asarray(Image.fromarray(lattice, "F").resize((width, height), Image.Resampling.BICUBIC))
        weight = 0.55 ** octave
        total += weight * layer
        weight_sum += weight
    total /= weight_sum
    low, high = float(total.min()), float(total.max())
    return (total - low) / max(high - low, 1e-6)


def _texture(rng: np.random.Generator, size: tuple[int, int]) -> np.ndarray:
    """Fine detail in [0, 1], as real surfaces have (fabric, foliage, print, wood): fine noise,
    stripes, checks or a tangle of thin lines. Smooth-only scenes calibrate activation ranges
    too narrow for photos, whose textures drive the early layers hardest."""
    width, height = size
    kind = rng.integers(0, 4)
    if kind == 0:
        return value_noise(rng, size, octaves=8) ** rng.uniform(0.5, 2.0)
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    angle = rng.uniform(0, np.pi)
    period = rng.uniform(3, 40)
    u = np.cos(angle) * x + np.sin(angle) * y
    if kind == 1:
        return 0.5 + 0.5 * np.sin(2 * np.pi * u / period)
    if kind == 2:
        v = -np.sin(angle) * x + np.cos(angle) * y
        return ((np.floor(u / period) + np.floor(v / period)) % 2).astype(np.float32)
    lines = Image.new("L", size, 0)
    draw = ImageDraw.Draw(lines)
    for _ in range(int(rng.integers(20, 200))):
        start = (rng.uniform(0, width), rng.uniform(0, height))
        end = (start[0] + rng.normal(0, width / 6), start[1] + rng.normal(0, height / 6))
        draw.line((start, end), fill=int(rng.integers(80, 256)), width=int(rng.integers(1, 4)))
    return np.asarray(lines, np.float32) / 255.0


def _palette(rng: np.random.Generator, count: int) -> np.ndarray:
    """``count`` RGB colours (0-255): mostly natural (muted), some saturated."""
    hues = rng.random(count)
    saturation = np.where(rng.random(count) < 0.3, rng.uniform(0.6, 1.0, count), rng.uniform(0.05, 0.5, count))
    value = rng.uniform(0.15, 1.0, count)
    rgb = np.empty((count, 3), np.float32)
    for index, (h, s, v) in enumerate(zip(hues, saturation, value)):
        rgb[index] = np.asarray(Image.new("HSV", (1, 1), (int(h * 255), int(s * 255), int(v * 255))).convert("RGB").getpixel((0, 0)))
    return rgb


def _background(rng: np.random.Generator, size: tuple[int, int]) -> np.ndarray:
    width, height = size
    colours = _palette(rng, 3)
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    angle = rng.uniform(0, 2 * np.pi)
    ramp = (np.cos(angle) * x / width + np.sin(angle) * y / height)
    ramp = (ramp - ramp.min()) / max(float(np.ptp(ramp)), 1e-6)
    noise = value_noise(rng, size) if rng.random() < 0.4 else _texture(rng, size)
    base = colours[0] * (1 - ramp[..., None]) + colours[1] * ramp[..., None]
    texture = rng.uniform(0.1, 0.6)
    image = base * (1 - texture) + (colours[2] * noise[..., None]) * texture + base * texture * (1 - noise[..., None]) * 0.5
    if rng.random() < 0.5:  # a table or floor plane below a horizon
        horizon = int(height * rng.uniform(0.45, 0.8))
        floor = _palette(rng, 1)[0] * (0.7 + 0.3 * value_noise(rng, (width, height - horizon), 4)[..., None])
        image[horizon:] = floor
    picture = Image.fromarray(np.clip(image, 0, 255).astype(np.uint8))
    draw = ImageDraw.Draw(picture)
    for colour in _palette(rng, int(rng.integers(0, 40))):  # clutter: things behind the subject
        centre = (rng.uniform(0, width), rng.uniform(0, height))
        draw.polygon(_outline(rng, centre, rng.uniform(0.02, 0.12) * min(width, height), points=int(rng.integers(3, 24))),
                     fill=tuple(int(v) for v in colour))
    blur = rng.uniform(0, 6) if rng.random() < 0.4 else rng.uniform(0, 1)  # in or out of focus
    return np.asarray(picture.filter(ImageFilter.GaussianBlur(blur))).astype(np.float32)


def _outline(rng: np.random.Generator, centre: tuple[float, float], radius: float, points: int = 96) -> list[tuple[float, float]]:
    """A smooth random closed outline: a circle whose radius varies by a few low harmonics."""
    theta = np.linspace(0, 2 * np.pi, points, endpoint=False)
    r = np.ones_like(theta)
    for harmonic in range(2, 6):
        r += rng.uniform(-0.25, 0.25) / harmonic * 2 * np.cos(harmonic * theta + rng.uniform(0, 2 * np.pi))
    aspect = rng.uniform(0.5, 1.6)
    xs = centre[0] + radius * np.clip(r, 0.3, None) * np.cos(theta) * aspect
    ys = centre[1] + radius * np.clip(r, 0.3, None) * np.sin(theta)
    return list(zip(xs.tolist(), ys.tolist()))


def _object_mask(rng: np.random.Generator, size: tuple[int, int]) -> np.ndarray:
    """A foreground object's coverage in [0, 1], drawn at 2x and downsampled (anti-aliased)."""
    width, height = size
    big = Image.new("L", (width * SUPERSAMPLE, height * SUPERSAMPLE), 0)
    draw = ImageDraw.Draw(big)
    scale = SUPERSAMPLE
    centre = (rng.uniform(0.25, 0.75) * width * scale, rng.uniform(0.3, 0.7) * height * scale)
    radius = rng.uniform(0.12, 0.32) * min(width, height) * scale
    kind = rng.random()
    if kind < 0.55:
        draw.polygon(_outline(rng, centre, radius), fill=255)
    elif kind < 0.8:  # a box or bottle: rectangle with a rounded top
        w, h = radius * rng.uniform(0.6, 1.4), radius * rng.uniform(1.0, 2.2)
        draw.rounded_rectangle((centre[0] - w / 2, centre[1] - h / 2, centre[0] + w / 2, centre[1] + h / 2),
                               radius=w * rng.uniform(0.02, 0.5), fill=255)
    else:  # a plant or figure: a body with thin strokes
        draw.ellipse((centre[0] - radius * 0.6, centre[1] - radius * 0.6, centre[0] + radius * 0.6, centre[1] + radius * 0.6), fill=255)
        for _ in range(int(rng.integers(5, 25))):
            angle = rng.uniform(0, 2 * np.pi)
            length = radius * rng.uniform(0.8, 1.8)
            end = (centre[0] + np.cos(angle) * length, centre[1] + np.sin(angle) * length)
            draw.line((centre, end), fill=255, width=max(1, int(rng.uniform(1, 6) * scale)))
    small = big.resize(size, Image.Resampling.BOX)
    return np.asarray(small).astype(np.float32) / 255.0


def _shade(rng: np.random.Generator, coverage: np.ndarray) -> np.ndarray:
    """Colour a solid: a base colour lit from one side (pseudo-normals from the blurred mask) and textured."""
    height, width = coverage.shape
    colour = _palette(rng, 1)[0]
    soft = _blur(coverage, max(2.0, 0.04 * min(width, height)))
    gy, gx = np.gradient(soft)
    light = np.asarray([rng.uniform(-1, 1), rng.uniform(-1, 0)], np.float32)
    lambert = np.clip(0.65 - 18.0 * (gx * light[0] + gy * light[1]) + 0.35 * soft, 0.15, 1.3)
    detail = value_noise(rng, (width, height), 4) if rng.random() < 0.4 else _texture(rng, (width, height))
    texture = 1.0 + rng.uniform(0.1, 0.8) * (detail - 0.5)
    shaded = colour * (lambert * texture)[..., None]
    if rng.random() < 0.35:  # a specular highlight
        spot = np.exp(-(((np.arange(width) - rng.uniform(0.3, 0.7) * width) / (0.05 * width)) ** 2))[None, :]
        shaded += 120 * spot[..., None] * soft[..., None]
    return shaded


def _photo(rng: np.random.Generator, size: tuple[int, int]) -> np.ndarray:
    image = _background(rng, size)
    width, height = size
    for _ in range(int(rng.integers(1, 4))):
        coverage = _object_mask(rng, size)
        # a soft cast shadow, offset towards the floor
        shadow = _blur(coverage, 0.03 * width)
        shift = int(rng.uniform(0.01, 0.05) * height)
        shadow = np.roll(shadow, shift, axis=0) * rng.uniform(0.2, 0.6)
        image *= (1 - shadow)[..., None]
        colours = _shade(rng, coverage)
        image = image * (1 - coverage[..., None]) + colours * coverage[..., None]
    image += rng.normal(0, rng.uniform(0.5, 4.0), image.shape)  # sensor grain
    return image


def _graphic(rng: np.random.Generator, size: tuple[int, int]) -> np.ndarray:
    """Flat colours, hard anti-aliased edges: an icon or logo on a plain or white backdrop."""
    width, height = size
    backdrop = tuple(int(v) for v in (_palette(rng, 1)[0] if rng.random() < 0.5 else (255, 255, 255)))
    big = Image.new("RGB", (width * SUPERSAMPLE, height * SUPERSAMPLE), backdrop)
    draw = ImageDraw.Draw(big)
    for colour in _palette(rng, int(rng.integers(2, 6))):
        centre = (rng.uniform(0.3, 0.7) * width * SUPERSAMPLE, rng.uniform(0.3, 0.7) * height * SUPERSAMPLE)
        radius = rng.uniform(0.08, 0.3) * min(width, height) * SUPERSAMPLE
        draw.polygon(_outline(rng, centre, radius, points=int(rng.integers(3, 12))), fill=tuple(int(v) for v in colour),
                     outline=(0, 0, 0) if rng.random() < 0.4 else None, width=SUPERSAMPLE * 3)
    return np.asarray(big.resize(size, Image.Resampling.BOX)).astype(np.float32)


def scene(seed: int, size: tuple[int, int] = (768, 576)) -> Image.Image:
    """One generated RGB scene; the same seed always gives the same pixels. One in five is a graphic."""
    rng = np.random.default_rng(seed)
    if rng.random() < 0.5:
        size = (size[1], size[0])  # portrait
    pixels = _graphic(rng, size) if rng.random() < 0.2 else _photo(rng, size)
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))


def scenes(first_seed: int, count: int, size: tuple[int, int] = (768, 576)) -> list[Image.Image]:
    return [scene(first_seed + index, size) for index in range(count)]
