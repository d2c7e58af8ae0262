"""Small-gap recovery: background seen through the subject (between arm and body, inside a handle).

Segmentation models trained on filled silhouettes tend to close such gaps. A region is taken for
a gap when it is enclosed by the subject, and either the model already leans towards background
there, or its colours match the surrounding background far better than the subject's own colours
(nearest mean colour in Lab, compared with a margin). Gaps become transparent; their rims join
the trimap's unknown band so matting can draw the edge.
"""
from __future__ import annotations

import cv2
import numpy as np
from scipy import ndimage


#: Gap detection looks at regions, not pixels: it runs at most this many px on the long side.
WORKING_SIDE = 512


def enclosed_regions(foreground: np.ndarray) -> np.ndarray:
    """Pixels outside ``foreground`` that no path of background pixels connects to the border."""
    holes = ndimage.binary_fill_holes(foreground)
    return holes & ~foreground


def _lab(rgb: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(rgb.astype(np.uint8), cv2.COLOR_RGB2LAB).astype(np.float32)


def background_colour_gaps(
    rgb: np.ndarray,
    probability: np.ndarray,
    *,
    min_area: int = 16,
    max_fraction: float = 0.25,
    margin: float = 12.0,
) -> np.ndarray:
    """Inside-the-subject regions whose colours belong to the background.

    Candidate regions are connected pieces of the subject (probability >= 0.5) split by a colour
    quantisation; a piece is a gap when its mean Lab colour lies closer to the sure background's
    colour clusters than to the sure foreground's by more than ``margin`` units, it is no larger
    than ``max_fraction`` of the subject, and it does not touch the subject's outline.
    """
    full_size = probability.shape
    scale = min(1.0, WORKING_SIDE / max(full_size))
    if scale < 1.0:
        size = (max(1, round(full_size[1] * scale)), max(1, round(full_size[0] * scale)))
        rgb = cv2.resize(rgb, size, interpolation=cv2.INTER_AREA)
        probability = cv2.resize(probability, size, interpolation=cv2.INTER_AREA)
        min_area = max(4, int(min_area * scale * scale))
    found = _colour_gaps(rgb, probability, min_area, max_fraction, margin)
    if scale < 1.0:
        found = cv2.resize(found.astype(np.uint8), (full_size[1], full_size[0]), interpolation=cv2.INTER_NEAREST).astype(bool)
    return found


def _colour_gaps(rgb: np.ndarray, probability: np.ndarray, min_area: int, max_fraction: float, margin: float) -> np.ndarray:
    foreground = probability >= 0.5
    if foreground.sum() < min_area * 4:
        return np.zeros_like(foreground)
    sure_bg = probability < 0.05
    sure_fg = cv2.erode((probability > 0.95).astype(np.uint8), np.ones((5, 5), np.uint8)).astype(bool)
    if sure_bg.sum() < 50 or sure_fg.sum() < 50:
        return np.zeros_like(foreground)
    lab = _lab(rgb)
    bg_centres = _cluster_centres(lab[sure_bg])
    subject_colours = _unlike(lab[sure_fg], bg_centres, margin)
    if len(subject_colours) < 50:
        return np.zeros_like(foreground)
    fg_centres = _cluster_centres(subject_colours)
    inside = lab[foreground]
    looks_like_bg = np.zeros_like(foreground)
    looks_like_bg[foreground] = _nearest_distance(inside, bg_centres) + margin < _nearest_distance(inside, fg_centres)
    kernel = np.ones((3, 3), np.uint8)
    looks_like_bg = cv2.morphologyEx(looks_like_bg.astype(np.uint8), cv2.MORPH_OPEN, kernel).astype(bool)
    interior = cv2.erode(foreground.astype(np.uint8), np.ones((5, 5), np.uint8)).astype(bool)
    labels, count = ndimage.label(looks_like_bg)
    if count == 0:
        return np.zeros_like(foreground)
    sizes = np.bincount(labels.ravel())
    touches_outline = np.zeros(count + 1, bool)
    touches_outline[np.unique(labels[looks_like_bg & ~interior])] = True
    keep = (sizes >= min_area) & (sizes <= max_fraction * foreground.sum()) & ~touches_outline
    keep[0] = False
    return keep[labels]


def _cluster_centres(samples: np.ndarray, k: int = 4) -> np.ndarray:
    if len(samples) > 5000:
        samples = samples[np.random.default_rng(0).choice(len(samples), 5000, replace=False)]
    k = min(k, len(samples))
    criteria = (cv2.TERM_CRITERIA_EPS + cv2.TERM_CRITERIA_MAX_ITER, 20, 1.0)
    cv2.setRNGSeed(0)
    _, _, centres = cv2.kmeans(samples.astype(np.float32), k, None, criteria, 2, cv2.KMEANS_PP_CENTERS)
    return centres


def _unlike(colours: np.ndarray, centres: np.ndarray, margin: float) -> np.ndarray:
    """The colours (N x 3) farther than ``margin`` from every centre.

    The subject's own colours leave out those of the background: a gap the model filled in
    confidently is sure foreground too, and would otherwise get a cluster of its own and never
    look closer to the background than to the subject.
    """
    return colours[_nearest_distance(colours, centres) > margin]


def _nearest_distance(colours: np.ndarray, centres: np.ndarray) -> np.ndarray:
    """Distance of each colour (N x 3) to its nearest centre (K x 3)."""
    nearest = np.full(len(colours), np.inf, np.float32)
    for centre in centres.astype(np.float32):
        np.minimum(nearest, ((colours - centre) ** 2).sum(-1), out=nearest)
    return np.sqrt(nearest)
