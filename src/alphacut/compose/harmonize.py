"""Colour harmonisation: nudge the subject's colours towards the new background's light.

Statistics transfer in CIE Lab (Reinhard, Ashikhmin, Gooch and Shirley, "Color Transfer between
Images", IEEE CG&A 2001), measured where it matters, near the boundary: the subject's statistics
over a band just inside its edge, the background's over a band just outside. Each Lab channel of
the subject is moved by ``strength`` of the way towards (x - mean_s) x (std_b / std_s) + mean_b,
the ratio of deviations clamped so a flat studio backdrop cannot flatten the subject.
"""
from __future__ import annotations

import cv2
import numpy as np

#: The std ratio is clamped to [1 / MAX_CONTRAST, MAX_CONTRAST].
MAX_CONTRAST = 1.5


def boundary_bands(alpha: np.ndarray, width: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Boolean bands of ``width`` px just inside (subject) and just outside (background) the edge;
    the default width is 8 % of the subject's larger side, at least 3 px."""
    solid = alpha >= (128 if alpha.dtype == np.uint8 else 0.5)
    rows, cols = np.flatnonzero(solid.any(axis=1)), np.flatnonzero(solid.any(axis=0))
    if rows.size == 0:
        return solid, solid
    if width is None:
        width = max(3, int(0.08 * max(rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1)))
    disc = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * width + 1, 2 * width + 1))
    inner = solid & ~(cv2.erode(solid.astype(np.uint8), disc, borderType=cv2.BORDER_CONSTANT, borderValue=1) > 0)
    outer = (cv2.dilate(solid.astype(np.uint8), disc) > 0) & ~solid
    return inner, outer


def harmonize(foreground: np.ndarray, alpha: np.ndarray, background: np.ndarray, strength: float = 0.5) -> np.ndarray:
    """``foreground`` (H x W x 3 uint8 or float 0-255) recoloured towards ``background`` (same size)
    by ``strength`` in [0, 1]; returns float32 0-255. 0 leaves it as it is."""
    fg = np.clip(np.asarray(foreground, np.float32), 0, 255)
    if strength <= 0:
        return fg
    inner, outer = boundary_bands(alpha)
    if inner.sum() < 16 or outer.sum() < 16:
        return fg
    fg_lab = cv2.cvtColor(fg / 255.0, cv2.COLOR_RGB2Lab)
    bg_lab = cv2.cvtColor(np.clip(np.asarray(background, np.float32), 0, 255) / 255.0, cv2.COLOR_RGB2Lab)
    mean_s, std_s = fg_lab[inner].mean(axis=0), fg_lab[inner].std(axis=0) + 1e-3
    mean_b, std_b = bg_lab[outer].mean(axis=0), bg_lab[outer].std(axis=0) + 1e-3
    ratio = np.clip(std_b / std_s, 1.0 / MAX_CONTRAST, MAX_CONTRAST)
    transferred = (fg_lab - mean_s) * ratio + mean_b
    mixed = fg_lab + min(1.0, strength) * (transferred - fg_lab)
    mixed[..., 0] = np.clip(mixed[..., 0], 0, 100)
    return np.clip(cv2.cvtColor(mixed.astype(np.float32), cv2.COLOR_Lab2RGB) * 255.0, 0, 255)
