"""Residual U-blocks (RSU), the building block of U2-Net and IS-Net.

Qin et al., "U2-Net: Going deeper with nested U-structure for salient object detection",
Pattern Recognition 106 (2020). An RSU-L block is a small U-Net of depth L whose output is added
to its input projection; RSU-4F replaces pooling by dilated convolutions.

Module names follow the reference implementation (``rebnconvin``, ``rebnconv1`` ...
``rebnconv1d``, ``conv_s1``/``bn_s1``) so weights exported from it map by name.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


def upsample_like(source: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Bilinear resize to ``target``'s spatial size (half-pixel centres, as ONNX ``Resize`` linear)."""
    return F.interpolate(source, size=target.shape[2:], mode="bilinear", align_corners=False)


class ConvNormReLU(nn.Module):
    """3x3 convolution, batch norm, ReLU (the reference ``REBNCONV``).

    With ``norm=False`` the batch norm is an identity and the convolution carries a bias: the form
    of a network whose batch norms were folded into the convolutions at export (the published ONNX
    graphs), which fine-tunes well with small batches.
    """

    def __init__(self, in_ch: int, out_ch: int, dilation: int = 1, norm: bool = True):
        super().__init__()
        self.conv_s1 = nn.Conv2d(in_ch, out_ch, 3, padding=dilation, dilation=dilation)
        self.bn_s1: nn.Module = nn.BatchNorm2d(out_ch) if norm else nn.Identity()
        self.relu_s1 = nn.ReLU(inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.relu_s1(self.bn_s1(self.conv_s1(x)))


class RSU(nn.Module):
    """RSU-L: ``depth`` encoder levels (pooled by 2, ceil mode), a dilated bottom, a mirrored decoder."""

    def __init__(self, depth: int, in_ch: int, mid_ch: int, out_ch: int, norm: bool = True):
        super().__init__()
        if depth < 3:
            raise ValueError("an RSU block needs depth >= 3")
        self.depth = depth
        self.rebnconvin = ConvNormReLU(in_ch, out_ch, norm=norm)
        self.rebnconv1 = ConvNormReLU(out_ch, mid_ch, norm=norm)
        for level in range(2, depth):
            setattr(self, f"pool{level - 1}", nn.MaxPool2d(2, stride=2, ceil_mode=True))
            setattr(self, f"rebnconv{level}", ConvNormReLU(mid_ch, mid_ch, norm=norm))
        setattr(self, f"rebnconv{depth}", ConvNormReLU(mid_ch, mid_ch, dilation=2, norm=norm))
        for level in range(depth - 1, 1, -1):
            setattr(self, f"rebnconv{level}d", ConvNormReLU(mid_ch * 2, mid_ch, norm=norm))
        self.rebnconv1d = ConvNormReLU(mid_ch * 2, out_ch, norm=norm)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        hxin = self.rebnconvin(x)
        encoded = [self.rebnconv1(hxin)]
        for level in range(2, self.depth):
            pooled = getattr(self, f"pool{level - 1}")(encoded[-1])
            encoded.append(getattr(self, f"rebnconv{level}")(pooled))
        hx = getattr(self, f"rebnconv{self.depth}")(encoded[-1])
        for level in range(self.depth - 1, 0, -1):
            skip = encoded[level - 1]
            hx = getattr(self, f"rebnconv{level}d")(torch.cat((hx, skip), 1))
            if level > 1:
                hx = upsample_like(hx, encoded[level - 2])
        return hx + hxin


class RSU4F(nn.Module):
    """RSU-4F: the RSU-4 topology with dilations 1, 2, 4, 8 instead of pooling (for low resolutions)."""

    def __init__(self, in_ch: int, mid_ch: int, out_ch: int, norm: bool = True):
        super().__init__()
        self.rebnconvin = ConvNormReLU(in_ch, out_ch, norm=norm)
        self.rebnconv1 = ConvNormReLU(out_ch, mid_ch, dilation=1, norm=norm)
        self.rebnconv2 = ConvNormReLU(mid_ch, mid_ch, dilation=2, norm=norm)
        self.rebnconv3 = ConvNormReLU(mid_ch, mid_ch, dilation=4, norm=norm)
        self.rebnconv4 = ConvNormReLU(mid_ch, mid_ch, dilation=8, norm=norm)
        self.rebnconv3d = ConvNormReLU(mid_ch * 2, mid_ch, dilation=4, norm=norm)
        self.rebnconv2d = ConvNormReLU(mid_ch * 2, mid_ch, dilation=2, norm=norm)
        self.rebnconv1d = ConvNormReLU(mid_ch * 2, out_ch, dilation=1, norm=norm)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        hxin = self.rebnconvin(x)
        hx1 = self.rebnconv1(hxin)
        hx2 = self.rebnconv2(hx1)
        hx3 = self.rebnconv3(hx2)
        hx4 = self.rebnconv4(hx3)
        hx3d = self.rebnconv3d(torch.cat((hx4, hx3), 1))
        hx2d = self.rebnconv2d(torch.cat((hx3d, hx2), 1))
        hx1d = self.rebnconv1d(torch.cat((hx2d, hx1), 1))
        return hx1d + hxin


def rsu_block(depth: int, in_ch: int, mid_ch: int, out_ch: int, norm: bool = True) -> nn.Module:
    """``depth`` 4..7 gives RSU-L; 0 gives RSU-4F (the dilated variant)."""
    if depth == 0:
        return RSU4F(in_ch, mid_ch, out_ch, norm=norm)
    return RSU(depth, in_ch, mid_ch, out_ch, norm=norm)
