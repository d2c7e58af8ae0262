"""New backgrounds for subjects cut from RGBA images, so a model learns the subject and not the
colour around it (background synthesis as in BiRefNet's training recipe: solid colours, including
colours close to the subject's own, patterns and noise are the hard negatives).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from alphacut.adapt.collection_style import CollectionStyle, draw_style
from alphacut.errors import InputError
from alphacut.io.decode import decode_first_frame
from alphacut.io.files import list_images

KINDS = ("solid", "pattern", "noise")
NO_STYLE = "the 'own' background kind needs --backgrounds-from DIR (the collection's images with their backgrounds)"


def _random_colour(rng: np.random.Generator, near: np.ndarray | None = None) -> np.ndarray:
    if near is not None and rng.random() < 0.3:  # a colour close to the subject's: the hard case
        return np.clip(near + rng.normal(0, 24, 3), 0, 255)
    return rng.uniform(0, 255, 3)


def solid(size: tuple[int, int], rng: np.random.Generator, near: np.ndarray | None = None) -> np.ndarray:
    """One flat colour, sometimes close to the subject's mean colour."""
    width, height = size
    return np.broadcast_to(_random_colour(rng, near), (height, width, 3)).astype(np.uint8)


def pattern(size: tuple[int, int], rng: np.random.Generator, cell: int = 1, near: np.ndarray | None = None) -> np.ndarray:
    """Stripes, checkerboard or a linear gradient in two random colours; ``cell`` scales the period
    (the art-pixel size for pixel art, so patterns sit on the same grid)."""
    width, height = size
    first, second = _random_colour(rng, near), _random_colour(rng)
    # work in cell coordinates so every pattern sits on the art-pixel grid
    ys, xs = np.mgrid[0:height, 0:width] // max(cell, 1)
    kind = rng.integers(4)
    period = int(rng.integers(2, 9))
    if kind == 0:  # horizontal or vertical stripes
        weight = ((ys if rng.random() < 0.5 else xs) // period) % 2
    elif kind == 1:  # diagonal stripes
        weight = ((xs + ys) // period) % 2
    elif kind == 2:  # checkerboard
        weight = (xs // period + ys // period) % 2
    else:  # gradient, one step per cell
        angle = rng.uniform(0, np.pi)
        ramp = xs * np.cos(angle) + ys * np.sin(angle)
        weight = (ramp - ramp.min()) / max(float(np.ptp(ramp)), 1.0)
    weight = weight[..., None].astype(np.float32)
    return (first * (1 - weight) + second * weight).astype(np.uint8)


def noise(size: tuple[int, int], rng: np.random.Generator, cell: int = 1) -> np.ndarray:
    """Blocky colour noise (blocks of ``cell`` .. 4 * ``cell`` pixels) or fine Gaussian noise around a colour."""
    width, height = size
    if rng.random() < 0.7:
        block = max(1, int(rng.integers(1, 5)) * max(cell, 1))
        small = rng.uniform(0, 255, (-(-height // block), -(-width // block), 3)).astype(np.uint8)
        return np.repeat(np.repeat(small, block, 0), block, 1)[:height, :width]
    base = rng.uniform(0, 255, 3)
    return np.clip(base + rng.normal(0, rng.uniform(10, 60), (height, width, 3)), 0, 255).astype(np.uint8)


class BackgroundSource:
    """Draws backgrounds of the requested kinds; ``DIR`` entries are folders of photos, cropped at random;
    ``style`` (learned by :func:`alphacut.adapt.collection_style.learn_style`) adds the kind ``own``."""

    def __init__(self, kinds: list[str], rng: np.random.Generator, style: CollectionStyle | None = None):
        self.rng = rng
        self.style = style
        self.kinds: list[str] = []
        self.photos: list[Path] = []
        for kind in kinds:
            if kind == "own" and style is None:
                raise InputError(NO_STYLE)
            if kind in KINDS or kind == "own":
                self.kinds.append(kind)
                continue
            folder = Path(kind)
            if not folder.is_dir():
                raise InputError(f"--backgrounds: {kind!r} is neither one of {', '.join(KINDS)} nor a folder")
            photos = list_images(folder)
            if not photos:
                raise InputError(f"--backgrounds: {folder} holds no images")
            self.photos.extend(photos)
            if "photo" not in self.kinds:
                self.kinds.append("photo")
        if not self.kinds:
            raise InputError("--backgrounds: give at least one of solid, pattern, noise or a folder")

    def draw(self, kind: str, size: tuple[int, int], cell: int = 1, near: np.ndarray | None = None) -> np.ndarray:
        if kind == "solid":
            return solid(size, self.rng, near)
        if kind == "pattern":
            return pattern(size, self.rng, cell, near)
        if kind == "noise":
            return noise(size, self.rng, cell)
        if kind == "own":
            if self.style is None:
                raise InputError(NO_STYLE)
            return draw_style(self.style, size, self.rng, cell)
        return self._photo(size)

    def _photo(self, size: tuple[int, int]) -> np.ndarray:
        path = self.photos[int(self.rng.integers(len(self.photos)))]
        photo = decode_first_frame(path).convert("RGB")
        width, height = size
        scale = max(width / photo.width, height / photo.height) * self.rng.uniform(1.0, 1.5)
        photo = photo.resize((max(width, round(photo.width * scale)), max(height, round(photo.height * scale))))
        left = int(self.rng.integers(photo.width - width + 1))
        top = int(self.rng.integers(photo.height - height + 1))
        return np.asarray(photo.crop((left, top, left + width, top + height)))


def composite(rgba: np.ndarray, background: np.ndarray) -> np.ndarray:
    """Straight-alpha 'over' of an RGBA subject on an RGB background of the same size."""
    alpha = rgba[..., 3:4].astype(np.float32) / 255.0
    blended = rgba[..., :3].astype(np.float32) * alpha + background.astype(np.float32) * (1.0 - alpha)
    return np.clip(np.rint(blended), 0, 255).astype(np.uint8)
