"""Shadows under a placed subject: a drop shadow (the silhouette offset and blurred) or a contact
shadow (a soft ellipse where the subject meets the ground), as product photos use."""
from __future__ import annotations

import cv2
import numpy as np

SHADOWS = ("drop", "contact")


def drop_shadow(alpha: np.ndarray, *, offset: tuple[float, float] = (0.02, 0.03), blur: float = 0.02,
                opacity: float = 0.45) -> np.ndarray:
    """Shadow opacity (H x W float in [0, 1]): the silhouette shifted by ``offset`` and blurred by a
    Gaussian of sigma ``blur``, both as fractions of the subject's larger side."""
    a = _unit(alpha)
    extent = _extent(a)
    if extent == 0:
        return np.zeros_like(a)
    dx, dy = offset[0] * extent, offset[1] * extent
    shift = np.float32([[1, 0, dx], [0, 1, dy]])
    moved = cv2.warpAffine(a, shift, (a.shape[1], a.shape[0]), flags=cv2.INTER_LINEAR, borderValue=0)
    sigma = max(0.5, blur * extent)
    return np.clip(cv2.GaussianBlur(moved, (0, 0), sigma) * opacity, 0.0, 1.0)


def contact_shadow(alpha: np.ndarray, *, width: float = 1.05, height: float = 0.06, blur: float = 0.5,
                   opacity: float = 0.5) -> np.ndarray:
    """Shadow opacity: an ellipse centred on the subject's bottom edge, ``width`` x its width and
    ``height`` x its height, blurred by ``blur`` x the ellipse's height."""
    a = _unit(alpha)
    rows = np.flatnonzero((a > 0.5).any(axis=1))
    if rows.size == 0:
        return np.zeros_like(a)
    bottom, top = int(rows[-1]), int(rows[0])
    base = a[max(top, bottom - max(2, (bottom - top) // 10)):bottom + 1] > 0.5
    cols = np.flatnonzero(base.any(axis=0))
    all_cols = np.flatnonzero((a > 0.5).any(axis=0))
    centre_x = (cols[0] + cols[-1]) / 2.0
    half_w = max(2.0, width * (all_cols[-1] - all_cols[0] + 1) / 2.0)
    half_h = max(1.0, height * (bottom - top + 1) / 2.0)
    shadow = np.zeros_like(a)
    cv2.ellipse(shadow, (int(round(centre_x)), bottom), (int(round(half_w)), int(round(half_h))), 0, 0, 360, 1.0, -1,
                lineType=cv2.LINE_AA)
    shadow = cv2.GaussianBlur(shadow, (0, 0), max(0.5, blur * half_h * 2))
    return np.clip(shadow * opacity, 0.0, 1.0)


def shadow_for(kind: str, alpha: np.ndarray, opacity: float | None = None) -> np.ndarray:
    if kind not in SHADOWS:
        from alphacut.errors import InputError

        raise InputError(f"unknown shadow {kind!r}; use drop or contact")
    options = {} if opacity is None else {"opacity": opacity}
    return drop_shadow(alpha, **options) if kind == "drop" else contact_shadow(alpha, **options)


def cast(background: np.ndarray, shadow: np.ndarray, color: tuple[int, int, int] = (0, 0, 0)) -> np.ndarray:
    """``background`` (H x W x 3 float 0-255) darkened towards ``color`` by ``shadow`` opacity."""
    s = shadow[..., None]
    return background * (1.0 - s) + np.asarray(color, np.float32) * s


def _unit(alpha: np.ndarray) -> np.ndarray:
    return alpha.astype(np.float32) / 255.0 if alpha.dtype == np.uint8 else alpha.astype(np.float32)


def _extent(alpha: np.ndarray) -> int:
    rows = np.flatnonzero((alpha > 0.5).any(axis=1))
    cols = np.flatnonzero((alpha > 0.5).any(axis=0))
    if rows.size == 0:
        return 0
    return int(max(rows[-1] - rows[0], cols[-1] - cols[0]) + 1)
