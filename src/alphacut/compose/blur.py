"""The blurred original as a background: the subject painted out, then a wide Gaussian blur.

Blurring the photo as it is would smear the subject into a ghost around itself; painting it out
first (Telea's fill on a copy at most ``WORK_SIDE`` px, where its smear is invisible under the
blur) leaves only the surroundings' colours, like a shallow depth of field.
"""
from __future__ import annotations

import cv2
import numpy as np

WORK_SIDE = 512

#: Largest blur sigma in pixels: far past any photo's blur, and within what OpenCV's kernel size can hold.
MAX_SIGMA = 1000.0


def blurred_backdrop(rgb: np.ndarray, alpha: np.ndarray, sigma: float) -> np.ndarray:
    """H x W x 3 float 0-255: ``rgb`` without the subject (alpha > 4 %), blurred by ``sigma`` px."""
    height, width = alpha.shape
    scale = min(1.0, WORK_SIDE / max(height, width))
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    small = cv2.resize(rgb, size, interpolation=cv2.INTER_AREA) if scale < 1 else rgb.copy()
    a = alpha.astype(np.float32) / 255.0 if alpha.dtype == np.uint8 else alpha.astype(np.float32)
    small_a = cv2.resize(a, size, interpolation=cv2.INTER_AREA) if scale < 1 else a
    hole = cv2.dilate((small_a > 0.04).astype(np.uint8), np.ones((5, 5), np.uint8))
    if hole.any() and not hole.all():
        small = cv2.inpaint(np.ascontiguousarray(small[..., ::-1]), hole * 255, 5, cv2.INPAINT_TELEA)[..., ::-1]
    blurred = cv2.GaussianBlur(np.ascontiguousarray(small).astype(np.float32), (0, 0), max(0.5, sigma * scale))
    return cv2.resize(blurred, (width, height), interpolation=cv2.INTER_LINEAR) if scale < 1 else blurred
