"""Hard mode for pixel art, logos and signatures: no blurred pixels, binary alpha.

Pixel art is drawn on a grid: each art pixel is a block of ``k x k`` identical screen pixels
(k = 1 for native sprites). We find k, upscale the native art with nearest-neighbour so the model
sees it near its input size (a 34 px icon is otherwise a blur at 1024), and bring the mask back to
the image's grid by a per-block majority, so every art pixel is either fully kept or fully dropped.
"""
from __future__ import annotations

import numpy as np
from PIL import Image


def block_size(rgb: np.ndarray, max_block: int = 32) -> int:
    """The largest k such that the image is made of k x k blocks of one colour (1 if none)."""
    height, width = rgb.shape[:2]
    # any block of 2 or more pixels holds the first two rows and columns: photos fail here at once
    if height < 2 or width < 2 or not (np.array_equal(rgb[0], rgb[1]) and np.array_equal(rgb[:, 0], rgb[:, 1])):
        return 1
    for k in range(min(max_block, height, width), 1, -1):
        if height % k or width % k:
            continue
        blocks = rgb[: height // k * k, : width // k * k].reshape(height // k, k, width // k, k, -1)
        if np.all(blocks == blocks[:, :1, :, :1]):
            return k
    return 1


def native_art(rgb: np.ndarray) -> tuple[np.ndarray, int]:
    """The art at one pixel per art pixel, and the block size it was shown at."""
    k = block_size(rgb)
    return (rgb[::k, ::k] if k > 1 else rgb), k


def upscale_nearest(image: Image.Image, target: int = 1024) -> tuple[Image.Image, int]:
    """Nearest-neighbour upscale by the integer factor that brings the longest side closest to
    ``target`` without exceeding it (at least 1)."""
    factor = max(1, target // max(image.size))
    if factor == 1:
        return image, 1
    return image.resize((image.width * factor, image.height * factor), Image.Resampling.NEAREST), factor


def block_majority(mask: np.ndarray, factor: int) -> np.ndarray:
    """Downscale a binary-ish mask by ``factor`` with one vote per block (mean >= 0.5)."""
    if factor == 1:
        return mask
    height, width = mask.shape[0] // factor, mask.shape[1] // factor
    blocks = mask[: height * factor, : width * factor].reshape(height, factor, width, factor)
    return blocks.mean(axis=(1, 3))


def looks_like_pixel_art(rgb: np.ndarray, max_colours: int = 256) -> bool:
    """Small or blocky images with a small palette: sprites, icons, NFT-style pixel characters."""
    native, _ = native_art(rgb)
    if max(native.shape[:2]) > 256:
        return False
    pixels = native.reshape(-1, native.shape[-1]).astype(np.uint64)
    packed = np.zeros(len(pixels), np.uint64)
    for channel in range(pixels.shape[1]):  # one integer per colour: unique on rows is far slower
        packed = (packed << np.uint64(8)) | pixels[:, channel]
    return len(np.unique(packed)) <= max_colours
