"""Segmentation and matting metrics on NumPy arrays, each citing its definition.

Predictions and ground truth are float arrays in [0, 1] of the same shape (H x W). Binary metrics
threshold the ground truth at 0.5; the prediction is thresholded where the metric says so.
Matting errors follow the alphamatting.com conventions (Rhemann et al., CVPR 2009): SAD in
thousands, MSE x 1e3, gradient error / 1e3, connectivity / 1e3, computed over a region
(the trimap's unknown band when one is given, else the whole image).
"""
from __future__ import annotations

import numpy as np
from scipy import ndimage

EPS = np.finfo(np.float64).eps
BETA2 = 0.3  # F-measure weight of precision, as in salient-object detection (Achanta et al., 2009)


def _binary(gt: np.ndarray) -> np.ndarray:
    return np.asarray(gt) > 0.5


def iou(pred: np.ndarray, gt: np.ndarray, threshold: float = 0.5) -> float:
    """Intersection over union of ``pred > threshold`` and the binary ground truth (1.0 when both are empty)."""
    p, g = np.asarray(pred) > threshold, _binary(gt)
    union = np.logical_or(p, g).sum()
    return float(np.logical_and(p, g).sum() / union) if union else 1.0


def mae(pred: np.ndarray, gt: np.ndarray) -> float:
    """Mean absolute error between soft prediction and ground truth (Perazzi et al., CVPR 2012)."""
    return float(np.abs(np.asarray(pred, np.float64) - np.asarray(gt, np.float64)).mean())


def f_measure_curve(pred: np.ndarray, gt: np.ndarray, beta2: float = BETA2) -> np.ndarray:
    """F-measure at the 256 thresholds 0/255 .. 255/255 (``pred >= t``), as in the DIS/SOD toolkits."""
    g = _binary(gt).ravel()
    levels = np.clip(np.rint(np.asarray(pred, np.float64).ravel() * 255), 0, 255).astype(np.int64)
    positives = g.sum()
    fg_hist = np.bincount(levels[g], minlength=256)[::-1].cumsum()[::-1]  # true positives at pred >= t
    all_hist = np.bincount(levels, minlength=256)[::-1].cumsum()[::-1]  # predicted positives at pred >= t
    precision = fg_hist / np.maximum(all_hist, EPS)
    recall = fg_hist / max(positives, EPS)
    return (1 + beta2) * precision * recall / np.maximum(beta2 * precision + recall, EPS)


def max_f_measure(pred: np.ndarray, gt: np.ndarray) -> float:
    return float(f_measure_curve(pred, gt).max())


def mean_f_measure(pred: np.ndarray, gt: np.ndarray) -> float:
    return float(f_measure_curve(pred, gt).mean())


def weighted_f_measure(pred: np.ndarray, gt: np.ndarray, beta2: float = 1.0) -> float:
    """Weighted F-measure (Margolin, Zelnik-Manor and Tal, CVPR 2014), as in their reference code."""
    g = _binary(gt)
    p = np.asarray(pred, np.float64)
    if not g.any():
        return float(1.0 - p.mean()) if p.size else 1.0
    error = np.abs(p - g)
    distance, indices = ndimage.distance_transform_edt(~g, return_indices=True)
    # error at each background pixel is replaced by the error at its nearest foreground pixel
    et = error.copy()
    et[~g] = error[indices[0][~g], indices[1][~g]]
    smoothed = ndimage.gaussian_filter(et, sigma=5, truncate=(7 - 1) / 2 / 5, mode="constant")  # 7x7, sigma 5
    minimum = error.copy()
    mask = g & (smoothed < error)
    minimum[mask] = smoothed[mask]
    importance = np.ones_like(p)
    importance[~g] = 2 - np.exp(np.log(0.5) / 5 * distance[~g])
    ew = minimum * importance
    tpw = g.sum() - ew[g].sum()
    fpw = ew[~g].sum()
    recall = 1 - ew[g].mean()
    precision = tpw / (tpw + fpw + EPS)
    return float((1 + beta2) * recall * precision / (recall + beta2 * precision + EPS))


def s_measure(pred: np.ndarray, gt: np.ndarray, alpha: float = 0.5) -> float:
    """Structure measure (Fan et al., ICCV 2017): object- and region-aware structural similarity."""
    g = _binary(gt)
    p = np.asarray(pred, np.float64)
    y = g.mean()
    if y == 0:
        return float(1 - p.mean())
    if y == 1:
        return float(p.mean())
    score = alpha * _s_object(p, g) + (1 - alpha) * _s_region(p, g)
    return float(max(score, 0.0))


def _s_object(p: np.ndarray, g: np.ndarray) -> float:
    def part(values: np.ndarray) -> float:
        if values.size == 0:
            return 0.0
        mean, std = values.mean(), values.std(ddof=1) if values.size > 1 else 0.0
        return 2 * mean / (mean**2 + 1 + std + EPS)

    u = g.mean()
    return u * part(p[g]) + (1 - u) * part(1 - p[~g])


def _s_region(p: np.ndarray, g: np.ndarray) -> float:
    h, w = g.shape
    rows, cols = np.nonzero(g)
    cy, cx = int(round(rows.mean())) + 1, int(round(cols.mean())) + 1
    cx, cy = min(max(cx, 1), w), min(max(cy, 1), h)
    total = h * w
    weights = [cx * cy / total, (w - cx) * cy / total, cx * (h - cy) / total]
    weights.append(1 - sum(weights))
    blocks = [(slice(0, cy), slice(0, cx)), (slice(0, cy), slice(cx, w)),
              (slice(cy, h), slice(0, cx)), (slice(cy, h), slice(cx, w))]
    return sum(wt * _ssim(p[b], g[b].astype(np.float64)) for wt, b in zip(weights, blocks))


def _ssim(p: np.ndarray, g: np.ndarray) -> float:
    n = p.size
    if n == 0:
        return 0.0
    x, y = p.mean(), g.mean()
    sx = ((p - x) ** 2).sum() / (n - 1 + EPS)
    sy = ((g - y) ** 2).sum() / (n - 1 + EPS)
    sxy = ((p - x) * (g - y)).sum() / (n - 1 + EPS)
    alpha = 4 * x * y * sxy
    beta = (x**2 + y**2) * (sx + sy)
    if alpha != 0:
        return alpha / (beta + EPS)
    return 1.0 if beta == 0 else 0.0


def e_measure(pred: np.ndarray, gt: np.ndarray) -> float:
    """Mean enhanced-alignment measure (Fan et al., IJCAI 2018) over the 256 thresholds.

    For a binary map the alignment term takes one value per (prediction, truth) pixel class, so
    the score at every threshold follows from four counts; no per-threshold image pass is needed.
    """
    g = _binary(gt).ravel()
    n = g.size
    levels = np.clip(np.rint(np.asarray(pred, np.float64).ravel() * 255), 0, 255).astype(np.int64)
    positives = g.sum()
    tp = np.bincount(levels[g], minlength=256)[::-1].cumsum()[::-1].astype(np.float64)  # pred>=t & gt
    pp = np.bincount(levels, minlength=256)[::-1].cumsum()[::-1].astype(np.float64)  # pred>=t
    fp = pp - tp
    fn = positives - tp
    tn = n - tp - fp - fn
    if positives == 0:
        return float(np.mean(tn / n))
    if positives == n:
        return float(np.mean(tp / n))
    mean_b = pp / n
    mean_g = positives / n
    score = np.zeros(256)
    for count, b_value, g_value in ((tp, 1.0, 1.0), (fp, 1.0, 0.0), (fn, 0.0, 1.0), (tn, 0.0, 0.0)):
        bc, gc = b_value - mean_b, g_value - mean_g
        align = 2 * bc * gc / (bc**2 + gc**2 + EPS)
        score += count * (align + 1) ** 2 / 4
    return float(np.mean(score / n))


def boundary_f(pred: np.ndarray, gt: np.ndarray, tolerance: int = 3) -> float:
    """Boundary F1 (Csurka et al., BMVC 2013; Perazzi et al., DAVIS 2016): precision and recall of
    boundary pixels matched within ``tolerance`` px."""
    p_edge = _boundary(np.asarray(pred) > 0.5)
    g_edge = _boundary(_binary(gt))
    if not p_edge.any() and not g_edge.any():
        return 1.0
    if not p_edge.any() or not g_edge.any():
        return 0.0
    disk = _disk(tolerance)
    g_near = ndimage.binary_dilation(g_edge, structure=disk)
    p_near = ndimage.binary_dilation(p_edge, structure=disk)
    precision = (p_edge & g_near).sum() / p_edge.sum()
    recall = (g_edge & p_near).sum() / g_edge.sum()
    return float(2 * precision * recall / (precision + recall + EPS))


def _boundary(mask: np.ndarray) -> np.ndarray:
    return mask & ~ndimage.binary_erosion(mask, structure=np.ones((3, 3), bool), border_value=1)


def _disk(radius: int) -> np.ndarray:
    y, x = np.mgrid[-radius : radius + 1, -radius : radius + 1]
    return x**2 + y**2 <= radius**2


def _region(gt: np.ndarray, region: np.ndarray | None) -> np.ndarray:
    return np.ones(np.shape(gt), bool) if region is None else np.asarray(region, bool)


def sad(pred: np.ndarray, gt: np.ndarray, region: np.ndarray | None = None) -> float:
    """Sum of absolute differences over ``region``, in thousands (alphamatting.com convention)."""
    r = _region(gt, region)
    return float(np.abs(np.asarray(pred, np.float64) - gt)[r].sum() / 1000)


def mse(pred: np.ndarray, gt: np.ndarray, region: np.ndarray | None = None) -> float:
    """Mean squared error over ``region``, x 1e3 (Composition-1k convention)."""
    r = _region(gt, region)
    if not r.any():
        return 0.0
    return float(((np.asarray(pred, np.float64) - gt) ** 2)[r].mean() * 1000)


def gradient_error(pred: np.ndarray, gt: np.ndarray, region: np.ndarray | None = None, sigma: float = 1.4) -> float:
    """Gradient error (Rhemann et al., 2009): squared difference of Gaussian-derivative gradient
    magnitudes (sigma 1.4) over ``region``, / 1e3."""
    def magnitude(alpha: np.ndarray) -> np.ndarray:
        gx = ndimage.gaussian_filter(alpha, sigma, order=(0, 1))
        gy = ndimage.gaussian_filter(alpha, sigma, order=(1, 0))
        return np.hypot(gx, gy)

    r = _region(gt, region)
    diff = (magnitude(np.asarray(pred, np.float64)) - magnitude(np.asarray(gt, np.float64))) ** 2
    return float(diff[r].sum() / 1000)


def connectivity_error(pred: np.ndarray, gt: np.ndarray, region: np.ndarray | None = None, step: float = 0.1) -> float:
    """Connectivity error (Rhemann et al., 2009): how much alpha is disconnected from the largest
    region where prediction and truth are both above a threshold, over ``region``, / 1e3."""
    p = np.asarray(pred, np.float64)
    g = np.asarray(gt, np.float64)
    thresholds = np.arange(0, 1 + step, step)
    level = np.ones_like(p)
    for index in range(1, len(thresholds)):
        both = (p >= thresholds[index]) & (g >= thresholds[index])
        labels, count = ndimage.label(both, structure=np.array([[0, 1, 0], [1, 1, 1], [0, 1, 0]]))
        if count == 0:
            largest = np.zeros_like(both)
        else:
            sizes = np.bincount(labels.ravel())[1:]
            largest = labels == (np.argmax(sizes) + 1)
        undecided = (level == 1) & ~largest
        level[undecided] = thresholds[index - 1]
    level[level == 1] = 1
    dp = p - level
    dg = g - level
    phi_p = 1 - dp * (dp >= 0.15)
    phi_g = 1 - dg * (dg >= 0.15)
    r = _region(gt, region)
    return float(np.abs(phi_p - phi_g)[r].sum() / 1000)
