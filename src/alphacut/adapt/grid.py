"""Training at the art's own grid: one art pixel becomes a fixed number of model pixels.

Pixel art is drawn on a grid of art pixels (shown as k x k blocks). Resampling such an image to a
training size that is not a multiple of its art grid gives art pixels of uneven widths, and the model
learns edges that never occur at prediction time. Here every sample is brought back to one pixel per
art pixel (the dataset's ``--scale`` or the detected block size) and shown at ``PIXELS_PER_ART_PIXEL``
model pixels per art pixel; the ``pixel-art`` refinement preset predicts the same way (nearest
upscale by an integer factor, one vote per art pixel), so training and prediction see the same grid.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from alphacut.adapt.dataset import load_manifest
from alphacut.errors import InputError
from alphacut.io.decode import decode_first_frame
from alphacut.refine.pixel_art import block_size

PIXELS_PER_ART_PIXEL = 4
GRID_PROBE = 24  # samples read to find the collection's art size


def sample_grid(image: np.ndarray, dataset_scale: int) -> int:
    """Screen pixels per art pixel of one sample: the nearest-neighbour ``--scale`` its dataset build
    upscaled it by (backgrounds are drawn on that grid, fine noise included), else the block size."""
    return dataset_scale if dataset_scale > 1 else block_size(image)


def grid_training_size(folder: Path, pixels_per_art_pixel: int = PIXELS_PER_ART_PIXEL) -> tuple[int, int]:
    """The training side for ``--size grid`` and the art size it is based on (the most common
    longest side in art pixels of the training samples). Not pixel art (block 1 throughout): InputError."""
    manifest = load_manifest(folder)
    scale = int(manifest.get("settings", {}).get("scale", 1))
    samples = [s for s in manifest["samples"] if s["split"] == "train"][:GRID_PROBE]
    if not samples:
        raise InputError(f"{folder}: the dataset has no training samples")
    sides, blocks = [], []
    for sample in samples:
        image = np.asarray(decode_first_frame(folder / sample["image"]).convert("RGB"))
        grid = sample_grid(image, int(sample.get("grid", scale)))
        blocks.append(grid)
        sides.append(max(image.shape[:2]) // grid)
    if max(blocks) == 1:
        raise InputError(f"{folder}: not pixel art (no art-pixel grid above 1 pixel); give --size in pixels instead of grid")
    values, counts = np.unique(sides, return_counts=True)
    art_side = int(values[np.argmax(counts)])
    return art_side * pixels_per_art_pixel, art_side


def to_art_grid(image: np.ndarray, mask: np.ndarray, grid: int) -> tuple[np.ndarray, np.ndarray]:
    """One pixel per art pixel (the top-left pixel of each block; the blocks are uniform)."""
    if grid <= 1:
        return image, mask
    return np.ascontiguousarray(image[::grid, ::grid]), np.ascontiguousarray(mask[::grid, ::grid])
