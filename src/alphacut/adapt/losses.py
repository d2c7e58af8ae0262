"""Segmentation losses on every side output (deep supervision, as IS-Net and U2-Net are trained).

BCE + IoU (+ SSIM) follows BASNet's hybrid loss (Qin et al., CVPR 2019) as used by BiRefNet:
BCE works per pixel, IoU on the whole map, SSIM on local structure at the edges.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F


def soft_iou_loss(probability: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """1 - sum(p t) / sum(p + t - p t) per image, averaged."""
    dims = tuple(range(1, probability.dim()))
    intersection = (probability * target).sum(dims)
    union = (probability + target - probability * target).sum(dims)
    return (1.0 - (intersection + 1.0) / (union + 1.0)).mean()


def ssim_loss(probability: torch.Tensor, target: torch.Tensor, window: int = 11, sigma: float = 1.5) -> torch.Tensor:
    """1 - SSIM (Wang et al., 2004) with a Gaussian window, on single-channel maps in [0, 1]."""
    coords = torch.arange(window, dtype=probability.dtype, device=probability.device) - window // 2
    gauss = torch.exp(-(coords**2) / (2 * sigma**2))
    gauss = gauss / gauss.sum()
    kernel = (gauss[:, None] * gauss[None, :])[None, None]

    def blur(x: torch.Tensor) -> torch.Tensor:
        return F.conv2d(x, kernel, padding=window // 2)

    mu_p, mu_t = blur(probability), blur(target)
    var_p = blur(probability * probability) - mu_p**2
    var_t = blur(target * target) - mu_t**2
    covariance = blur(probability * target) - mu_p * mu_t
    c1, c2 = 0.01**2, 0.03**2
    ssim = ((2 * mu_p * mu_t + c1) * (2 * covariance + c2)) / ((mu_p**2 + mu_t**2 + c1) * (var_p + var_t + c2))
    return 1.0 - ssim.mean()


def hybrid_loss(logits: torch.Tensor, target: torch.Tensor, use_ssim: bool = False) -> torch.Tensor:
    """BCE (on logits, numerically stable) + IoU (+ SSIM) for one side output."""
    logits = logits.float()
    probability = torch.sigmoid(logits)
    loss = F.binary_cross_entropy_with_logits(logits, target) + soft_iou_loss(probability, target)
    if use_ssim:
        loss = loss + ssim_loss(probability, target)
    return loss


def deep_supervision_loss(sides: list[torch.Tensor], target: torch.Tensor, use_ssim: bool = False) -> torch.Tensor:
    """Sum of :func:`hybrid_loss` over all side outputs (index 0 = the prediction)."""
    return sum(hybrid_loss(side, target, use_ssim) for side in sides)
