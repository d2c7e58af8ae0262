"""Match images with their background to cutouts of the same collection.

Each image becomes a small grey thumbnail of its centre (``crop`` of each side, area-averaged to
``size`` x ``size``); a pair's score is the mean squared difference of the thumbnails, counted only
where the cutout is opaque (its transparent part says nothing about the other image's
background). Pairs are assigned one-to-one by minimum total score (Hungarian method,
``scipy.optimize.linear_sum_assignment``); an assigned pair is a match when its score is at most
``threshold`` and no other candidate of either image scores almost as well (``ambiguity``).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
from PIL import Image
from scipy.optimize import linear_sum_assignment

from alphacut.errors import InputError
from alphacut.io.decode import open_image


@dataclass(frozen=True)
class MatchSettings:
    crop: float = 0.6  # fraction of width and height kept around the centre
    size: int = 16  # thumbnail side in pixels
    threshold: float = 200.0  # largest accepted MSE on 0-255 grey levels
    ambiguity: float = 1.5  # a runner-up within this factor of the best score makes a match ambiguous


@dataclass(frozen=True)
class Match:
    image: Path  # with background
    cutout: Path  # without background (RGBA)
    score: float
    runner_up: float | None  # next best score of either side, if any


@dataclass
class MatchResult:
    matches: list[Match] = field(default_factory=list)
    ambiguous: list[Match] = field(default_factory=list)
    unmatched_images: list[tuple[Path, str]] = field(default_factory=list)
    unmatched_cutouts: list[tuple[Path, str]] = field(default_factory=list)


def centre_thumbnail(image: Image.Image, settings: MatchSettings) -> tuple[np.ndarray, np.ndarray]:
    """Grey levels and opacity weights (0..1) of the centre crop, ``size`` x ``size``, as flat vectors."""
    width, height = image.size
    keep_w, keep_h = max(1, round(width * settings.crop)), max(1, round(height * settings.crop))
    left, top = (width - keep_w) // 2, (height - keep_h) // 2
    crop = image.crop((left, top, left + keep_w, top + keep_h))
    size = (settings.size, settings.size)
    if crop.mode in ("RGBA", "LA", "PA") or (crop.mode == "P" and "transparency" in crop.info):
        rgba = crop.convert("RGBA")
        alpha_full = np.asarray(rgba.getchannel("A"), np.float32) / 255.0
        alpha = np.asarray(Image.fromarray(alpha_full, "F").resize(size, Image.Resampling.BOX), np.float32)
        # grey of the opaque part only: average colour weighted by alpha, so edges do not pull to black
        premultiplied = np.asarray(rgba, np.float32)
        grey_full = premultiplied[..., :3] @ np.array([0.299, 0.587, 0.114], np.float32) * premultiplied[..., 3] / 255.0
        summed = np.asarray(Image.fromarray(grey_full, "F").resize(size, Image.Resampling.BOX), np.float32)
        grey = np.divide(summed, alpha, out=np.zeros_like(summed), where=alpha > 1e-3)
        return grey.ravel(), alpha.ravel()
    grey = np.asarray(crop.convert("L").convert("F").resize(size, Image.Resampling.BOX), np.float32)
    return grey.ravel(), np.ones(grey.size, np.float32)


def score_matrix(images: np.ndarray, cutouts: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Weighted MSE of every image thumbnail against every cutout thumbnail.

    ``images`` (n, k), ``cutouts`` (m, k), ``weights`` (m, k); expanded as
    sum w (a - b)^2 = a^2 . w - 2 a . (w b) + sum w b^2 so it runs as matrix products.
    """
    images = images.astype(np.float64)
    cutouts = cutouts.astype(np.float64)
    weights = weights.astype(np.float64)
    total = weights.sum(axis=1)
    squared = (images**2) @ weights.T - 2.0 * images @ (weights * cutouts).T + (weights * cutouts**2).sum(axis=1)
    scores = np.maximum(squared, 0.0) / np.maximum(total, 1e-9)
    scores[:, total < 1.0] = np.inf  # a cutout with (almost) nothing opaque in its centre cannot be matched
    return scores


def match_pairs(
    image_paths: list[Path],
    cutout_paths: list[Path],
    settings: MatchSettings = MatchSettings(),
    load: Callable[[Path], Image.Image] = open_image,
) -> MatchResult:
    """Pair each image with the cutout of the same subject; see the module docstring for the rule."""
    result = MatchResult()
    image_thumbs, images_ok = _thumbnails(image_paths, settings, load, result.unmatched_images)
    cutout_thumbs, cutouts_ok = _thumbnails(cutout_paths, settings, load, result.unmatched_cutouts)
    if not images_ok or not cutouts_ok:
        result.unmatched_images += [(p, "no cutout to compare with") for p in images_ok]
        result.unmatched_cutouts += [(p, "no image to compare with") for p in cutouts_ok]
        return result
    grey_a = np.stack([t[0] for t in image_thumbs])
    grey_b = np.stack([t[0] for t in cutout_thumbs])
    weight_b = np.stack([t[1] for t in cutout_thumbs])
    scores = score_matrix(grey_a, grey_b, weight_b)
    finite = np.where(np.isfinite(scores), scores, 1e12)
    rows, cols = linear_sum_assignment(finite)
    assigned_rows, assigned_cols = set(), set()
    for row, col in zip(rows, cols):
        score = float(scores[row, col])
        others = np.concatenate([np.delete(scores[row], col), np.delete(scores[:, col], row)])
        runner_up = float(others.min()) if others.size and np.isfinite(others.min()) else None
        match = Match(images_ok[row], cutouts_ok[col], score, runner_up)
        if not np.isfinite(score) or score > settings.threshold:
            continue
        assigned_rows.add(row)
        assigned_cols.add(col)
        if runner_up is not None and runner_up <= max(score * settings.ambiguity, score + 1e-6):
            result.ambiguous.append(match)
        else:
            result.matches.append(match)
    for row, path in enumerate(images_ok):
        if row not in assigned_rows:
            result.unmatched_images.append((path, _unmatched_reason(float(scores[row].min()), settings, "cutout")))
    for col, path in enumerate(cutouts_ok):
        if col not in assigned_cols:
            result.unmatched_cutouts.append((path, _unmatched_reason(float(scores[:, col].min()), settings, "image")))
    return result


def _unmatched_reason(best: float, settings: MatchSettings, other: str) -> str:
    if best > settings.threshold:
        return f"best score {best:.1f} > threshold {settings.threshold:g}"
    return f"its closest {other} (score {best:.1f}) was assigned to a better-matching file"


def _thumbnails(paths, settings, load, failures):
    thumbs, ok = [], []
    for path in paths:
        try:
            with load(path) as image:
                thumbs.append(centre_thumbnail(image, settings))
            ok.append(path)
        except InputError as exc:  # unreadable, corrupt or over the pixel limit: named, and the rest go on
            failures.append((path, f"unreadable ({exc})"))
        except (OSError, ValueError) as exc:
            failures.append((path, f"unreadable ({exc})"))
    return thumbs, ok
