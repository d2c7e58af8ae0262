"""Backgrounds in the style of a collection, learned from its images *with* their backgrounds.

A user who needs cutouts usually has many images with the background still in: they show what the
collection's backgrounds look like. :func:`learn_style` reads only where the background is (the
four corner squares and the outermost ring of each image, never its middle, where the subject is)
and keeps, per image: the art-pixel block size, the ring's palette (its most frequent colours), whether
the ring is flat, and the corner squares as texture tiles at one pixel per art pixel.
:func:`draw_style` synthesises a new background of that kind, per draw from one image's statistics:

- flat ring: its colour, slightly jittered;
- otherwise, half the time a quilt of its corner tiles (random turns and flips, on the art grid;
  tile quilting after Efros & Freeman, *Image Quilting*, SIGGRAPH 2001, without the seam cut), so
  patterns, seams and dithering recur; the other half blocky value noise quantised to its palette
  (the "noise of the art's own palette" that generic uniform noise does not cover).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from alphacut.errors import AlphacutError, InputError
from alphacut.io.decode import decode_first_frame
from alphacut.io.files import list_images
from alphacut.refine.border_fill import border_is_flat
from alphacut.refine.pixel_art import native_art

CORNER = 0.2  # side of the corner squares, as a fraction of the shorter side
PALETTE = 6  # colours kept per image


@dataclass(frozen=True)
class ImageStyle:
    """What one image's background looks like, at one pixel per art pixel."""

    block: int  # art-pixel block size of the source image (1: not pixel art)
    flat: bool
    palette: np.ndarray  # K x 3 uint8, most frequent ring colours first
    weights: np.ndarray  # K, their shares of the ring
    tiles: tuple[np.ndarray, ...]  # corner squares, T x T x 3 uint8


@dataclass(frozen=True)
class CollectionStyle:
    images: tuple[ImageStyle, ...]
    skipped: tuple[tuple[str, str], ...] = ()  # (path, reason)

    def summary(self) -> str:
        flat = sum(s.flat for s in self.images)
        blocks = sorted({s.block for s in self.images})
        return (f"{len(self.images)} images: {flat} flat, {len(self.images) - flat} textured; "
                f"art-pixel block {', '.join(map(str, blocks))}")


def _ring(rgb: np.ndarray) -> np.ndarray:
    return np.concatenate([rgb[0], rgb[-1], rgb[1:-1, 0], rgb[1:-1, -1]])


def _palette(pixels: np.ndarray, count: int) -> tuple[np.ndarray, np.ndarray]:
    """The ``count`` most frequent colours after quantising to 32 levels per channel (their mean colours)."""
    codes = (pixels.astype(np.int32) // 8) @ np.array([1024, 32, 1])
    values, inverse, counts = np.unique(codes, return_inverse=True, return_counts=True)
    top = np.argsort(-counts)[:count]
    colours = np.stack([pixels[inverse == index].mean(axis=0) for index in top]).astype(np.uint8)
    return colours, (counts[top] / counts[top].sum()).astype(np.float32)


def image_style(rgb: np.ndarray) -> ImageStyle:
    """The background statistics of one image (H x W x 3 uint8) from its corners and border ring."""
    native, block = native_art(rgb)
    height, width = native.shape[:2]
    if min(height, width) < 4:
        raise InputError(f"{width}x{height} art pixels: too small to learn a background from")
    side = max(2, round(min(height, width) * CORNER))
    tiles = tuple(np.ascontiguousarray(native[top : top + side, left : left + side])
                  for top in (0, height - side) for left in (0, width - side))
    ring = _ring(native)
    palette, weights = _palette(np.concatenate([ring, *(t.reshape(-1, 3) for t in tiles)]), PALETTE)
    return ImageStyle(block, border_is_flat(native), palette, weights, tiles)


def learn_style(folder: Path) -> CollectionStyle:
    """The style of every readable image in ``folder`` (:func:`alphacut.io.files.list_images`)."""
    if not folder.is_dir():
        raise InputError(f"--backgrounds-from: {folder} is not a folder")
    styles, skipped = [], []
    for path in list_images(folder):
        try:
            rgb = np.asarray(decode_first_frame(path).convert("RGB"))
            styles.append(image_style(rgb))
        except AlphacutError as exc:
            skipped.append((str(path), str(exc)))
    if not styles:
        raise InputError(f"--backgrounds-from: no usable images in {folder}")
    return CollectionStyle(tuple(styles), tuple(skipped))


def draw_style(style: CollectionStyle, size: tuple[int, int], rng: np.random.Generator, cell: int = 1) -> np.ndarray:
    """A background of ``size`` (width, height) in the style of one of the collection's images, on a
    grid of ``cell`` pixels per art pixel (the dataset's own art-pixel size)."""
    chosen = style.images[int(rng.integers(len(style.images)))]
    cell = max(cell, 1)
    width, height = size
    cells = (-(-height // cell), -(-width // cell))
    if chosen.flat:
        colour = np.clip(chosen.palette[0].astype(np.float32) + rng.normal(0, 3, 3), 0, 255)
        small = np.broadcast_to(colour, (*cells, 3)).astype(np.uint8)
    elif rng.random() < 0.5:
        small = _quilt(chosen.tiles, cells, rng)
    else:
        small = _palette_noise(chosen, cells, rng)
    return np.repeat(np.repeat(small, cell, 0), cell, 1)[:height, :width]


def _quilt(tiles: tuple[np.ndarray, ...], cells: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    side = tiles[0].shape[0]
    rows, cols = -(-cells[0] // side), -(-cells[1] // side)
    canvas = np.empty((rows * side, cols * side, 3), np.uint8)
    for row in range(rows):
        for col in range(cols):
            tile = np.rot90(tiles[int(rng.integers(len(tiles)))], int(rng.integers(4)))
            if rng.random() < 0.5:
                tile = tile[:, ::-1]
            canvas[row * side : (row + 1) * side, col * side : (col + 1) * side] = tile
    top, left = int(rng.integers(rows * side - cells[0] + 1)), int(rng.integers(cols * side - cells[1] + 1))
    return canvas[top : top + cells[0], left : left + cells[1]]


def _palette_noise(chosen: ImageStyle, cells: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    """Value noise at a random scale, quantised to the palette in order of frequency."""
    period = int(rng.integers(1, 7))
    coarse = rng.uniform(0, 1, (cells[0] // period + 2, cells[1] // period + 2)).astype(np.float32)
    field = np.asarray(Image.fromarray(coarse, "F").resize((cells[1], cells[0]), Image.Resampling.BICUBIC))
    ranks = np.argsort(np.argsort(field, axis=None)).reshape(field.shape) / field.size  # uniform in [0, 1)
    bounds = np.cumsum(chosen.weights)[:-1]
    return chosen.palette[np.searchsorted(bounds, ranks)]
