"""Cut-outs of graphics composited over one flat colour, objects allowed to touch the frame.

A graphic (icon, sprite, product render) over a flat background colour ``B`` obeys the compositing
equation ``C = a F + (1 - a) B`` (Porter and Duff, 1984). With ``B`` known exactly, alpha is a
colour-distance problem ("difference matting" with a known backing, Smith and Blinn, "Blue Screen
Matting", SIGGRAPH 1996) and the model is only needed as a prior:

1. **The background colour** comes from the border pixels that *are* background, not from every
   border pixel: an object may cover most of the frame (a tight crop, a ribbon cut by the edge).
   Candidates are the most frequent exact colours of the outermost ring; the first one whose ring
   pixels the model calls background (mean probability < 0.5) wins, unless a second, distinct
   colour is background too (stripes, checks: not a flat backdrop).
2. **The background region** is every pixel within the background's noise of ``B``, connected to
   the frame or enclosed (holes). Everything else is the object, including parts where the frame
   cuts it and light parts the model drops.
3. **Soft edges**: a foreground pixel next to the background gets ``a`` from projecting ``C - B``
   on ``F - B``, ``F`` the colour of its nearest interior pixel, where the pixel fits the equation
   (small residual); pixel art's hard outlines do not fit it and stay opaque.

:func:`flat_background_evidence` also says whether an image is such a graphic at all (the auto
router): a photo of an object on white has shading and noise where its background meets the
object, a composite has a sharp rim.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

#: Ring pixels within this RGB distance of a candidate colour count as that colour (JPEG wobble).
RING_MATCH = 6.0
#: Colours this close to ``B`` but not within tolerance are shading, not an anti-aliased edge.
SHADING_SPAN = 20.0
#: How far outside the background region its rim is measured, in pixels.
RIM_WIDTH = 2
#: The thin-region test of the preset path (:func:`_thin`).
THIN_SHARE = 0.02
THIN_KEPT = 0.4


@dataclass(frozen=True)
class FlatBackground:
    """A flat background colour found on the frame, and how it looks.

    colour: ``B``, the median of the ring pixels that match it (RGB, 0-255).
    tolerance: RGB distance within which a pixel is background (5 sigma of the ring's noise, at least 3).
    noise: the 90th percentile of the matching ring pixels' distance to ``B``: 0 on a synthetic
        fill, a few levels under JPEG or sensor noise (and where the object's own near-background
        pixels reach the frame, which the median-based tolerance ignores).
    ring_share: share of the outermost ring that is this colour (the rest is the object).
    rim_shading: share of the pixels just outside the background region (``RIM_WIDTH`` px) whose colour is
        near ``B`` but not within tolerance: shadows, gradients and sensor noise in a photo; few
        in a composite, whose background ends in a 1-2 px anti-aliased edge.
    region_share: share of the image that is background.
    """

    colour: np.ndarray
    tolerance: float
    noise: float
    ring_share: float
    rim_shading: float
    region_share: float


def _ring(array: np.ndarray) -> np.ndarray:
    return np.concatenate([array[0], array[-1], array[:, 0], array[:, -1]])


def _distance(rgb: np.ndarray, colour: np.ndarray) -> np.ndarray:
    return np.sqrt(((rgb.astype(np.float32) - colour) ** 2).sum(-1))


def _candidate_colours(ring: np.ndarray, count: int) -> list[np.ndarray]:
    packed = (ring[:, 0].astype(np.int64) << 16) | (ring[:, 1].astype(np.int64) << 8) | ring[:, 2]
    values, counts = np.unique(packed, return_counts=True)
    top = values[np.argsort(counts)[::-1][:count]]
    return [np.array([(v >> 16) & 255, (v >> 8) & 255, v & 255], np.float32) for v in top]


def _connected_region(near: np.ndarray, seeds: np.ndarray) -> np.ndarray:
    labels, _ = ndimage.label(near)
    seeded = np.unique(labels[seeds])
    return np.isin(labels, seeded[seeded > 0])


def _thin(region: np.ndarray) -> bool:
    """Most of ``region`` is lines, not an area: an opening by a disc of ``THIN_SHARE`` of the
    shorter side keeps less than ``THIN_KEPT`` of it (a backdrop keeps its open area, seams vanish)."""
    radius = max(1, round(THIN_SHARE * min(region.shape)))
    if not region.any():
        return False
    kept = ndimage.binary_opening(region, structure=_disc(radius))
    return float(kept.sum()) < THIN_KEPT * float(region.sum())


def _disc(radius: int) -> np.ndarray:
    y, x = np.ogrid[-radius:radius + 1, -radius:radius + 1]
    return x * x + y * y <= radius * radius


def _ring_mask(shape: tuple[int, int]) -> np.ndarray:
    mask = np.zeros(shape, bool)
    mask[0], mask[-1], mask[:, 0], mask[:, -1] = True, True, True, True
    return mask


def find_flat_background(rgb: np.ndarray, probability: np.ndarray | None = None, *,
                         min_ring_share: float = 0.25, candidates: int = 3) -> FlatBackground | None:
    """The flat background colour of ``rgb`` (H x W x 3 uint8) and its statistics, or ``None``.

    Candidates are the ``candidates`` most frequent exact ring colours covering at least
    ``min_ring_share`` of the ring; with ``probability`` (the model's output, H x W), a candidate
    whose ring pixels the model calls foreground on average is the object's colour, not the
    background's, and is skipped, and two distinct candidates the model calls background are a
    textured backdrop (``None``)."""
    ring = _ring(rgb).astype(np.float32)
    ring_probability = None if probability is None else _ring(probability)
    backgrounds = []  # (ring pixels of the colour) for each candidate colour that passes
    for candidate in _candidate_colours(_ring(rgb), candidates):
        matching = np.sqrt(((ring - candidate) ** 2).sum(-1)) <= RING_MATCH
        if matching.mean() < min_ring_share:
            continue
        if ring_probability is not None and float(ring_probability[matching].mean()) >= 0.5:
            continue
        if not any((matching & other).any() for other in backgrounds):
            backgrounds.append(matching)
    if not backgrounds:
        return None
    # two colours the model both calls background, each on a large share of the frame, are a
    # textured backdrop (stripes, checks, tiles), not one flat colour: filling one would leave the
    # other (H7, issue 20). Object colours on the frame do not count: the model calls them foreground.
    if ring_probability is not None and len(backgrounds) > 1:
        return None
    matching = backgrounds[0]
    colour = np.median(ring[matching], axis=0)
    # 3.2 x the median distance is 5 sigma of Gaussian noise (the median of a 3-D noise
    # vector's length is 1.54 sigma), robust to the object's near-background pixels on the
    # ring that a high percentile would count as noise
    distances = np.sqrt(((ring[matching] - colour) ** 2).sum(-1))
    tolerance = max(3.0, 3.2 * float(np.median(distances)))
    distance = _distance(rgb, colour)
    region = _connected_region(distance <= tolerance, _ring_mask(distance.shape) & (distance <= tolerance))
    if probability is not None and _thin(region):
        return None  # the colour runs in lines (a tiled backdrop's seams along the frame), not a backdrop
    rim = ndimage.binary_dilation(region, iterations=RIM_WIDTH) & ~region
    shading = rim & (distance <= SHADING_SPAN)
    return FlatBackground(
        colour=colour,
        tolerance=tolerance,
        noise=float(np.percentile(distances, 90)),
        ring_share=float(matching.mean()),
        rim_shading=float(shading.sum() / max(int(rim.sum()), 1)),
        region_share=float(region.mean()),
    )


def flat_background_evidence(rgb: np.ndarray, *, min_ring_share: float = 0.5, max_noise: float = 2.0,
                             max_rim_shading: float = 0.5, min_region_share: float = 0.05) -> FlatBackground | None:
    """The flat background when ``rgb`` looks like a graphic composited over one colour, ``None``
    otherwise: the auto router's test, decided before the model runs, on four pieces of evidence
    (tuned on duts_tr_600, portraits_train_300, ecssd_200 and the graphics sets, BENCHMARKS.md §3b):

    - at least ``min_ring_share`` of the frame is the colour (the object may cover the rest);
    - the colour is exact (``noise`` at most ``max_noise``: a synthetic fill, not a photo's
      sensor or JPEG noise);
    - at most ``max_rim_shading`` of the background's rim is shading (a white studio backdrop
      darkens into shadows and vignetting; a composite ends in a sharp edge);
    - the background covers at least ``min_region_share`` of the image (a flat frame or letterbox
      strip around a photo is not a backdrop)."""
    background = find_flat_background(rgb, min_ring_share=min_ring_share)
    if background is None or background.noise > max_noise or background.rim_shading > max_rim_shading \
            or background.region_share < min_region_share:
        return None
    return background


def _soft_edges(rgb: np.ndarray, colour: np.ndarray, foreground: np.ndarray, background: np.ndarray,
                tolerance: float, band: int) -> np.ndarray:
    """Alpha of the foreground pixels within ``band`` px of the background, from the compositing
    equation along the line from ``B`` to the nearest interior colour ``F``; 1 where it does not fit."""
    alpha = foreground.astype(np.float32)
    edge = ndimage.binary_dilation(background, iterations=band) & foreground
    interior = foreground & ~edge
    if not edge.any() or not interior.any():
        return alpha
    _, nearest = ndimage.distance_transform_edt(~interior, return_indices=True)
    ys, xs = np.nonzero(edge)
    pixel = rgb[ys, xs].astype(np.float32) - colour
    line = rgb[nearest[0][ys, xs], nearest[1][ys, xs]].astype(np.float32) - colour
    length2 = (line ** 2).sum(-1)
    mix = np.clip((pixel * line).sum(-1) / np.maximum(length2, 1e-6), 0.0, 1.0)
    residual = np.sqrt(((pixel - mix[:, None] * line) ** 2).sum(-1))
    length = np.sqrt(length2)
    # solvable where F stands clear of B's noise, and the pixel lies near the B-F line (rounding and
    # a curved edge's mixed neighbours move it a little; an outline of another colour moves it far)
    fits = (length > 3.0 * tolerance) & (residual <= np.maximum(2.0 * tolerance, 0.25 * length))
    alpha[ys[fits], xs[fits]] = mix[fits]
    return alpha


def flat_background_alpha(rgb: np.ndarray, background: FlatBackground, *, soft_edges: bool = True,
                          edge_band: int = 1) -> np.ndarray:
    """Alpha (float32, H x W) of ``rgb`` over the flat ``background``: 0 on its colour, 1 elsewhere,
    soft at the edge with ``soft_edges``.

    Enclosed holes of the background's exact colour are background too (a letter's counter, a
    handle), not only the region connected to the frame: the model tends to fill them in, so it is
    not asked (kenney_generic_items IoU 0.976 clearing every hole, 0.972 keeping those the model
    calls foreground)."""
    background_region = _distance(rgb, background.colour) <= background.tolerance
    foreground = ~background_region
    if not soft_edges:
        return foreground.astype(np.float32)
    return _soft_edges(rgb, background.colour, foreground, background_region, background.tolerance, edge_band)
