"""Where the subject goes on a new canvas: e-commerce (centred with a margin on a square), ID
photo (head-and-shoulders framing), or a given position and scale on a background image.

Each layout returns a :class:`Placement`: canvas = source x ``scale`` + ``offset``.
"""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

LAYOUTS = ("ecommerce", "id-photo")
#: ID photo proportions (ICAO-style 35 x 45 mm passport photo): the head, crown to chin, is
#: about 70-80 % of the height, with about 10 % of air above the crown.
ID_HEAD_FRACTION = 0.72
ID_TOP_FRACTION = 0.1
ID_PHOTO_SIZE = (413, 531)  # 35 x 45 mm at 300 dpi


@dataclass(frozen=True)
class Placement:
    scale: float
    offset: tuple[float, float]  # (x, y) of the source's origin on the canvas


def subject_box(alpha: np.ndarray) -> tuple[int, int, int, int]:
    """(left, top, right, bottom) of alpha >= 50 %, or the whole frame when there is no subject."""
    solid = alpha >= (128 if alpha.dtype == np.uint8 else 0.5)
    rows, cols = np.flatnonzero(solid.any(axis=1)), np.flatnonzero(solid.any(axis=0))
    if rows.size == 0:
        return 0, 0, alpha.shape[1], alpha.shape[0]
    return int(cols[0]), int(rows[0]), int(cols[-1]) + 1, int(rows[-1]) + 1


def centred(alpha: np.ndarray, canvas: tuple[int, int], margin: float = 0.08) -> Placement:
    """Subject's box scaled to fit ``canvas`` (w, h) less ``margin`` (fraction of each side) and centred."""
    left, top, right, bottom = subject_box(alpha)
    width, height = canvas
    room_w, room_h = width * (1 - 2 * margin), height * (1 - 2 * margin)
    scale = min(room_w / (right - left), room_h / (bottom - top))
    return Placement(scale, (width / 2 - scale * (left + right) / 2, height / 2 - scale * (top + bottom) / 2))


def placed(alpha: np.ndarray, canvas: tuple[int, int], position: tuple[float, float], height: float) -> Placement:
    """Subject's box ``height`` x the canvas height tall, its bottom centre at ``position``
    (fractions of the canvas: 0.5,0.95 stands it near the bottom, centred)."""
    left, top, right, bottom = subject_box(alpha)
    scale = height * canvas[1] / (bottom - top)
    x, y = position[0] * canvas[0], position[1] * canvas[1]
    return Placement(scale, (x - scale * (left + right) / 2, y - scale * bottom))


def head_box(rgb: np.ndarray, alpha: np.ndarray) -> tuple[float, float, float]:
    """(centre x, crown y, head height) of the person: from a frontal-face Haar cascade where this
    OpenCV has one (``cv2.data.haarcascades``; OpenCV 5 dropped it), else from the mask's top: the
    head is the run of rows below the crown until the rows seen are 1.25 x as tall as they are wide."""
    face = _face(rgb)
    if face is not None:
        x, y, w, h = face
        return x + w / 2, y - 0.35 * h, 1.4 * h
    solid = alpha >= (128 if alpha.dtype == np.uint8 else 0.5)
    left, top, right, bottom = subject_box(alpha)
    widest = 1
    depth = bottom - top
    for d in range(1, bottom - top + 1):
        row = np.flatnonzero(solid[top + d - 1])
        if row.size:
            widest = max(widest, int(row[-1] - row[0] + 1))
        if d >= 1.25 * widest:
            depth = d
            break
    head = solid[top:top + depth]
    cols = np.flatnonzero(head.any(axis=0))
    centre = (cols[0] + cols[-1] + 1) / 2 if cols.size else (left + right) / 2
    return float(centre), float(top), float(depth)


def id_photo(rgb: np.ndarray, alpha: np.ndarray, canvas: tuple[int, int] = ID_PHOTO_SIZE,
             head_fraction: float = ID_HEAD_FRACTION, top_fraction: float = ID_TOP_FRACTION) -> Placement:
    """Head-and-shoulders framing: the head ``head_fraction`` of the height, centred, the crown
    ``top_fraction`` of the height from the top."""
    centre, crown, head = head_box(rgb, alpha)
    width, height = canvas
    scale = head_fraction * height / max(head, 1.0)
    return Placement(scale, (width / 2 - scale * centre, top_fraction * height - scale * crown))


def _face(rgb: np.ndarray) -> tuple[int, int, int, int] | None:
    import os

    classifier_type = getattr(cv2, "CascadeClassifier", None)
    folder = getattr(getattr(cv2, "data", None), "haarcascades", None)
    if classifier_type is None or folder is None:
        return None
    path = os.path.join(folder, "haarcascade_frontalface_default.xml")
    if not os.path.isfile(path):
        return None
    classifier = classifier_type(path)
    grey = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    side = min(grey.shape)
    faces = classifier.detectMultiScale(grey, 1.1, 5, minSize=(max(24, side // 10), max(24, side // 10)))
    if len(faces) == 0:
        return None
    return tuple(int(v) for v in max(faces, key=lambda f: f[2] * f[3]))  # type: ignore[return-value]


def apply(placement: Placement, foreground: np.ndarray, alpha: np.ndarray, canvas: tuple[int, int]
          ) -> tuple[np.ndarray, np.ndarray]:
    """Foreground (float 0-255) and alpha (float 0-1) resampled onto a ``canvas`` (w, h)."""
    matrix = np.float32([[placement.scale, 0, placement.offset[0]], [0, placement.scale, placement.offset[1]]])
    fg = np.asarray(foreground, np.float32)
    a = alpha.astype(np.float32) / 255.0 if alpha.dtype == np.uint8 else alpha.astype(np.float32)
    if placement.scale < 0.5:  # pre-shrink so the affine warp does not alias
        factor = placement.scale * 2
        size = (max(1, round(a.shape[1] * factor)), max(1, round(a.shape[0] * factor)))
        fg = cv2.resize(fg, size, interpolation=cv2.INTER_AREA)
        a = cv2.resize(a, size, interpolation=cv2.INTER_AREA)
        matrix[:, :2] /= factor
    # premultiplied resampling: colours of invisible pixels must not bleed into the edge
    premultiplied = cv2.warpAffine(fg * a[..., None], matrix, canvas, flags=cv2.INTER_LINEAR, borderValue=0)
    warped_a = cv2.warpAffine(a, matrix, canvas, flags=cv2.INTER_LINEAR, borderValue=0)
    colour = premultiplied / np.maximum(warped_a, 1e-6)[..., None]
    return np.clip(colour, 0, 255), np.clip(warped_a, 0, 1)
