"""Augmentation applied identically to an image and its mask.

Random 90/180/270-degree turns, flips, small-angle rotations on a fraction of samples, random
scale-and-crop, and colour jitter (image only). With ``nearest=True`` every resampling is
nearest-neighbour, so pixel art keeps hard, grid-aligned edges and masks stay binary.
"""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np


@dataclass(frozen=True)
class AugmentSettings:
    rot90: bool = True  # turn by a random multiple of 90 degrees
    hflip: float = 0.5
    vflip: float = 0.0
    small_rotation: float = 0.3  # fraction of samples rotated by up to ``max_angle`` degrees
    max_angle: float = 15.0
    scale: tuple[float, float] = (0.6, 1.0)  # area fraction kept by the random crop
    jitter: float = 0.2  # brightness / contrast / saturation amplitude; hue is a tenth of it
    nearest: bool = False


def resize_pair(image: np.ndarray, mask: np.ndarray, size: int, nearest: bool) -> tuple[np.ndarray, np.ndarray]:
    """Resize both to ``size`` x ``size`` (area filter when shrinking photos, nearest for pixel art)."""
    if image.shape[:2] == (size, size):
        return image, mask
    shrinking = image.shape[0] > size and image.shape[1] > size
    flag = cv2.INTER_NEAREST if nearest else cv2.INTER_AREA if shrinking else cv2.INTER_LINEAR
    return cv2.resize(image, (size, size), interpolation=flag), cv2.resize(mask, (size, size), interpolation=flag)


def augment(
    image: np.ndarray, mask: np.ndarray, size: int, rng: np.random.Generator, settings: AugmentSettings = AugmentSettings()
) -> tuple[np.ndarray, np.ndarray]:
    """One random variant of ``(image HxWx3 uint8, mask HxW uint8)`` at ``size`` x ``size``."""
    flag = cv2.INTER_NEAREST if settings.nearest else cv2.INTER_LINEAR
    if settings.rot90:
        turns = int(rng.integers(4))
        image, mask = np.rot90(image, turns), np.rot90(mask, turns)
    if rng.random() < settings.hflip:
        image, mask = image[:, ::-1], mask[:, ::-1]
    if rng.random() < settings.vflip:
        image, mask = image[::-1], mask[::-1]
    image, mask = np.ascontiguousarray(image), np.ascontiguousarray(mask)
    if rng.random() < settings.small_rotation:
        height, width = mask.shape
        angle = rng.uniform(-settings.max_angle, settings.max_angle)
        matrix = cv2.getRotationMatrix2D((width / 2, height / 2), angle, 1.0)
        # the background is continued by reflection; the mask follows the same geometry
        image = cv2.warpAffine(image, matrix, (width, height), flags=flag, borderMode=cv2.BORDER_REFLECT_101)
        mask = cv2.warpAffine(mask, matrix, (width, height), flags=flag, borderMode=cv2.BORDER_REFLECT_101)
    image, mask = _random_crop(image, mask, rng, settings.scale)
    image, mask = resize_pair(image, mask, size, settings.nearest)
    if settings.jitter > 0:
        image = colour_jitter(image, rng, settings.jitter)
    return image, mask


def _random_crop(image, mask, rng, scale):
    if scale[0] >= 1.0:  # keep everything
        return image, mask
    height, width = mask.shape
    area = rng.uniform(*scale)
    aspect = np.exp(rng.uniform(np.log(3 / 4), np.log(4 / 3)))
    crop_w = int(min(width, round(width * np.sqrt(area * aspect))))
    crop_h = int(min(height, round(height * np.sqrt(area / aspect))))
    if crop_w < 2 or crop_h < 2:
        return image, mask
    left = int(rng.integers(width - crop_w + 1))
    top = int(rng.integers(height - crop_h + 1))
    return image[top : top + crop_h, left : left + crop_w], mask[top : top + crop_h, left : left + crop_w]


def colour_jitter(image: np.ndarray, rng: np.random.Generator, amount: float) -> np.ndarray:
    """Random brightness, contrast, saturation and hue change of up to ``amount`` (hue: ``amount``/10 turn)."""
    pixels = image.astype(np.float32)
    pixels *= rng.uniform(1 - amount, 1 + amount)  # brightness
    mean = pixels.mean()
    pixels = (pixels - mean) * rng.uniform(1 - amount, 1 + amount) + mean  # contrast
    grey = pixels @ np.array([0.299, 0.587, 0.114], np.float32)
    pixels = grey[..., None] + (pixels - grey[..., None]) * rng.uniform(1 - amount, 1 + amount)  # saturation
    hsv = cv2.cvtColor(np.clip(pixels, 0, 255).astype(np.uint8), cv2.COLOR_RGB2HSV)
    shift = int(round(rng.uniform(-amount, amount) * 18))  # OpenCV hue runs 0..179
    hsv[..., 0] = (hsv[..., 0].astype(np.int16) + shift) % 180
    return cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB)
