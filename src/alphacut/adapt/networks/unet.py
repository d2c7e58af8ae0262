"""IS-Net and U2-Net: six RSU stages down, five up, a side output per decoder stage.

- IS-Net: Qin et al., "Highly Accurate Dichotomous Image Segmentation", ECCV 2022 (DIS). A strided
  input convolution halves the resolution first; the final mask is side output 1 upsampled.
- U2-Net / U2-Net-P (the small one): Qin et al., Pattern Recognition 106 (2020). The final mask is
  a 1x1 fusion of all six side outputs.

Every network returns the list of side-output *logits* at input resolution, best first
(index 0 is the prediction); losses apply to all of them (deep supervision).
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from alphacut.adapt.networks.rsu import rsu_block, upsample_like

# (RSU depth, 0 = RSU-4F; in, mid, out channels)
Stage = tuple[int, int, int, int]


@dataclass(frozen=True)
class NestedUNetConfig:
    encoder: tuple[Stage, ...]  # stage1 .. stage6
    decoder: tuple[Stage, ...]  # stage5d .. stage1d
    strided_input: bool  # IS-Net's conv_in (3 -> 64, stride 2)
    fuse_sides: bool  # U2-Net's outconv over all side outputs


ISNET = NestedUNetConfig(
    encoder=((7, 64, 32, 64), (6, 64, 32, 128), (5, 128, 64, 256), (4, 256, 128, 512), (0, 512, 256, 512), (0, 512, 256, 512)),
    decoder=((0, 1024, 256, 512), (4, 1024, 128, 256), (5, 512, 64, 128), (6, 256, 32, 64), (7, 128, 16, 64)),
    strided_input=True,
    fuse_sides=False,
)
U2NET = NestedUNetConfig(
    encoder=((7, 3, 32, 64), (6, 64, 32, 128), (5, 128, 64, 256), (4, 256, 128, 512), (0, 512, 256, 512), (0, 512, 256, 512)),
    decoder=((0, 1024, 256, 512), (4, 1024, 128, 256), (5, 512, 64, 128), (6, 256, 32, 64), (7, 128, 16, 64)),
    strided_input=False,
    fuse_sides=True,
)
U2NETP = NestedUNetConfig(
    encoder=((7, 3, 16, 64), (6, 64, 16, 64), (5, 64, 16, 64), (4, 64, 16, 64), (0, 64, 16, 64), (0, 64, 16, 64)),
    decoder=((0, 128, 16, 64), (4, 128, 16, 64), (5, 128, 16, 64), (6, 128, 16, 64), (7, 128, 16, 64)),
    strided_input=False,
    fuse_sides=True,
)


class NestedUNet(nn.Module):
    """The shared topology; module names match the reference code (``stage1`` ... ``stage1d``,
    ``pool12`` ..., ``side1`` ... ``side6``, ``conv_in``, ``outconv``)."""

    def __init__(self, config: NestedUNetConfig, norm: bool = True):
        super().__init__()
        self.config = config
        if config.strided_input:
            self.conv_in = nn.Conv2d(3, config.encoder[0][1], 3, stride=2, padding=1)
        for index, (depth, in_ch, mid_ch, out_ch) in enumerate(config.encoder, start=1):
            setattr(self, f"stage{index}", rsu_block(depth, in_ch, mid_ch, out_ch, norm=norm))
            if index < len(config.encoder):
                setattr(self, f"pool{index}{index + 1}", nn.MaxPool2d(2, stride=2, ceil_mode=True))
        for index, (depth, in_ch, mid_ch, out_ch) in zip(range(5, 0, -1), config.decoder):
            setattr(self, f"stage{index}d", rsu_block(depth, in_ch, mid_ch, out_ch, norm=norm))
        side_channels = [stage[3] for stage in reversed(config.decoder)] + [config.encoder[-1][3]]
        for index, channels in enumerate(side_channels, start=1):
            setattr(self, f"side{index}", nn.Conv2d(channels, 1, 3, padding=1))
        if config.fuse_sides:
            self.outconv = nn.Conv2d(6, 1, 1)

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        hx = self.conv_in(x) if self.config.strided_input else x
        encoded = []
        for index in range(1, 7):
            if index > 1:
                hx = getattr(self, f"pool{index - 1}{index}")(encoded[-1])
            encoded.append(getattr(self, f"stage{index}")(hx))
        decoded = [encoded[5]]  # hx6 feeds side 6
        hx = encoded[5]
        for index in range(5, 0, -1):
            skip = encoded[index - 1]
            hx = getattr(self, f"stage{index}d")(torch.cat((upsample_like(hx, skip), skip), 1))
            decoded.insert(0, hx)
        sides = [upsample_like(getattr(self, f"side{index}")(decoded[index - 1]), x) for index in range(1, 7)]
        if self.config.fuse_sides:
            sides.insert(0, self.outconv(torch.cat(sides, 1)))
        return sides


def isnet(norm: bool = False) -> NestedUNet:
    """IS-Net; ``norm=False`` (folded batch norms) is the form its published ONNX weights load into."""
    return NestedUNet(ISNET, norm=norm)


def u2net(norm: bool = True) -> NestedUNet:
    return NestedUNet(U2NET, norm=norm)


def u2netp(norm: bool = True) -> NestedUNet:
    return NestedUNet(U2NETP, norm=norm)


ARCHITECTURES = {"isnet": isnet, "u2net": u2net, "u2netp": u2netp}
