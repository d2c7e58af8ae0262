"""Train a hole filler on your own photos: a partial-convolution U-Net exported to ONNX.

The network is the one of Liu, Reda, Shih, Wang, Tao and Catanzaro, "Image Inpainting for
Irregular Holes Using Partial Convolutions" (ECCV 2018): every convolution sees only known pixels,
re-normalised by how many it saw, and passes on an updated mask, so the hole's content never leaks
into the result. Decoder layers upsample, concatenate the encoder's features and mask, and convolve
again. The loss is the paper's L1 terms (hole pixels weighted 6, known pixels 1) plus total
variation on the hole's border; the perceptual and style terms need VGG weights, which this
offline recipe does not assume.

What the recipe changes from the paper is the holes: they are shaped like what users erase, taken
from the removal model's masks (``alphacut remove DIR --mask -o MASKS``): an object's silhouette
(object removal) or the background around one (background repainting), scaled, flipped and moved
at random, instead of random brush strokes.

The exported graph follows :mod:`alphacut.edit.fillers.onnx_filler`'s contract, so the result is
used as ``alphacut erase IMAGE --point X,Y --fill onnx:model.onnx``.

Needs PyTorch (``pip install 'alphacut[train]'``). Usage::

    alphacut filler train --images photos/ --masks masks/ --out filler.onnx --steps 20000
"""
from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from alphacut.adapt.onnx_export import export_checked
from alphacut.errors import InputError
from alphacut.io.decode import decode_first_frame
from alphacut.io.files import list_images, read_alpha

HOLE_WEIGHT = 6.0
VALID_WEIGHT = 1.0
TV_WEIGHT = 0.1


class PartialConv2d(nn.Conv2d):
    """Convolution over known inputs only: ``mask`` (N x C_in x H x W, 1 = known) zeroes the rest,
    the sum is scaled by window size / known count, and the returned one-channel mask marks the
    outputs that saw at least one known input (Liu et al. 2018, multi-channel form)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.register_buffer("ones", torch.ones(1, self.in_channels, *self.kernel_size), persistent=False)
        self.window = float(self.in_channels * self.kernel_size[0] * self.kernel_size[1])

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        with torch.no_grad():
            seen = F.conv2d(mask, self.ones, stride=self.stride, padding=self.padding, dilation=self.dilation)
            new_mask = (seen > 0).to(x.dtype)
            ratio = self.window / seen.clamp(min=1.0) * new_mask
        out = F.conv2d(x * mask, self.weight, None, self.stride, self.padding, self.dilation, self.groups) * ratio
        if self.bias is not None:
            out = out + self.bias.view(1, -1, 1, 1) * new_mask
        return out, new_mask


class PartialConvUNet(nn.Module):
    """U-Net of partial convolutions; ``depth`` halvings (inputs must be a multiple of 2**depth).
    Kernels 7, 5, 5, then 3, as in the paper; decoders concatenate the skip features and masks."""

    def __init__(self, depth: int = 5, width: int = 32):
        super().__init__()
        self.depth = depth
        channels = [3] + [min(width * 2 ** i, 8 * width) for i in range(depth)]
        kernels = [7, 5, 5] + [3] * max(0, depth - 3)
        self.encoders = nn.ModuleList(
            PartialConv2d(channels[i], channels[i + 1], kernels[i], stride=2, padding=kernels[i] // 2)
            for i in range(depth)
        )
        self.decoders = nn.ModuleList(
            PartialConv2d(channels[i + 1] + channels[i], channels[i] if i > 0 else width, 3, padding=1)
            for i in range(depth)
        )
        self.head = nn.Conv2d(width, 3, 1)

    def forward(self, image: torch.Tensor, hole: torch.Tensor) -> torch.Tensor:
        """``image`` N x 3 x H x W in [0, 1] (hole pixels 0), ``hole`` N x 1 x H x W (1 = hole)."""
        x, m = image, 1.0 - hole
        features, masks = [x], [m]
        for encoder in self.encoders:
            x, m = encoder(x, _match(m, x))
            x = F.leaky_relu(x, 0.2)
            features.append(x)
            masks.append(m)
        for index in range(self.depth - 1, -1, -1):
            x = F.interpolate(x, scale_factor=2.0, mode="nearest")
            m = F.interpolate(m, scale_factor=2.0, mode="nearest")
            skip = features[index]
            channel_mask = torch.cat([_match(m, x), _match(masks[index], skip)], dim=1)
            x, m = self.decoders[index](torch.cat([x, skip], dim=1), channel_mask)
            x = F.leaky_relu(x, 0.2)
        return torch.sigmoid(self.head(x))


def _match(mask: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    """A one-channel mask repeated to ``like``'s channel count."""
    return mask[:, :1].expand(-1, like.shape[1], -1, -1)


class ExportWrapper(nn.Module):
    """The ONNX contract: (image, mask with 1 = hole) -> RGB; known pixels passed through."""

    def __init__(self, net: PartialConvUNet):
        super().__init__()
        self.net = net

    def forward(self, image: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        painted = self.net(image * (1.0 - mask), mask)
        return image * (1.0 - mask) + painted * mask


def inpainting_loss(output: torch.Tensor, target: torch.Tensor, hole: torch.Tensor) -> torch.Tensor:
    """L1 on hole pixels x6 and known pixels x1, plus total variation around the hole (Liu et al. 2018)."""
    known = 1.0 - hole
    loss = HOLE_WEIGHT * (hole * (output - target)).abs().mean() + VALID_WEIGHT * (known * (output - target)).abs().mean()
    composed = known * target + hole * output
    ring = F.max_pool2d(hole, 3, stride=1, padding=1)
    tv = (ring[..., :, 1:] * (composed[..., :, 1:] - composed[..., :, :-1]).abs()).mean() + \
         (ring[..., 1:, :] * (composed[..., 1:, :] - composed[..., :-1, :]).abs()).mean()
    return loss + TV_WEIGHT * tv


@dataclass
class HoleBank:
    """Object and background shapes from the removal model's masks (white = subject)."""

    masks: list[np.ndarray]

    @classmethod
    def from_folder(cls, folder: Path) -> "HoleBank":
        masks = []
        for path in list_images(Path(folder)):
            grey = read_alpha(path, grey_if_opaque=True)  # an opaque RGBA mask is read by its grey values
            if (grey > 127).any() and not (grey > 127).all():
                masks.append(grey > 127)
        if not masks:
            raise InputError(f"{folder}: no usable masks (need images with some white and some black)")
        return cls(masks)

    def sample(self, size: int, rng: random.Random, *, min_area: float = 0.05, max_area: float = 0.5) -> np.ndarray:
        """A ``size`` x ``size`` float hole (1 = hole): an object's shape or the background around
        one, flipped, scaled and shifted at random, with its area kept within the bounds."""
        for _ in range(20):
            mask = self.masks[rng.randrange(len(self.masks))]
            shape = mask if rng.random() < 0.7 else ~mask  # 70 % objects, 30 % backgrounds
            if rng.random() < 0.5:
                shape = shape[:, ::-1]
            ys, xs = np.nonzero(shape)
            crop = shape[ys.min():ys.max() + 1, xs.min():xs.max() + 1].astype(np.float32)
            target_area = rng.uniform(min_area, max_area) * size * size
            scale = np.sqrt(target_area / max(1.0, crop.sum()))
            w = int(np.clip(round(crop.shape[1] * scale), 2, size))
            h = int(np.clip(round(crop.shape[0] * scale), 2, size))
            stamp = cv2.resize(crop, (w, h), interpolation=cv2.INTER_LINEAR) > 0.5
            hole = np.zeros((size, size), np.float32)
            top, left = rng.randint(0, size - h), rng.randint(0, size - w)
            hole[top:top + h, left:left + w] = stamp
            if min_area * 0.5 <= hole.mean() <= max_area * 1.2:
                return hole
        return hole


def load_images(folder: Path, size: int) -> list[np.ndarray]:
    """The RGB photos of ``folder`` (recursively) whose short side is at least ``size`` px."""
    images = []
    for path in list_images(Path(folder)):
        rgb = np.asarray(decode_first_frame(path).convert("RGB"))
        if min(rgb.shape[:2]) >= size:
            images.append(rgb)
    if not images:
        raise InputError(f"{folder}: no images of at least {size} px on the short side")
    return images


def batch(images: list[np.ndarray], bank: HoleBank, size: int, count: int, rng: random.Random):
    """Random crops (scaled so the crop covers 50-100 % of the short side) and sampled holes."""
    crops, holes = [], []
    for _ in range(count):
        image = images[rng.randrange(len(images))]
        height, width = image.shape[:2]
        side = int(min(height, width) * rng.uniform(0.5, 1.0))
        side = max(side, size)
        top, left = rng.randint(0, height - side), rng.randint(0, width - side)
        crop = cv2.resize(image[top:top + side, left:left + side], (size, size), interpolation=cv2.INTER_AREA)
        if rng.random() < 0.5:
            crop = crop[:, ::-1]
        crops.append(crop.astype(np.float32) / 255.0)
        holes.append(bank.sample(size, rng))
    image_t = torch.from_numpy(np.stack(crops).transpose(0, 3, 1, 2).copy())
    hole_t = torch.from_numpy(np.stack(holes)[:, None].copy())
    return image_t, hole_t


def train(images: list[np.ndarray], bank: HoleBank, *, steps: int, size: int = 256, batch_size: int = 8,
          depth: int = 5, width: int = 32, lr: float = 2e-4, seed: int = 0, checkpoint: Path | None = None,
          log_every: int = 100, net: PartialConvUNet | None = None,
          report: Callable[[str], None] = lambda message: None) -> tuple[PartialConvUNet, list[float]]:
    """Train (or resume from ``checkpoint``, optimizer state included) and return the network and
    the loss of every step; every ``log_every`` steps the mean loss goes to ``report``."""
    if size % (2 ** depth):
        raise InputError(f"--size must be a multiple of {2 ** depth} for depth {depth}")
    torch.manual_seed(seed)
    rng = random.Random(seed)
    net = net or PartialConvUNet(depth, width)
    optimizer = torch.optim.AdamW(net.parameters(), lr=lr, weight_decay=1e-4)
    start = 0
    if checkpoint is not None and checkpoint.exists():
        state = torch.load(checkpoint, map_location="cpu")
        net.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        start = state["step"]
        rng.setstate(state["rng"])
    losses = []
    net.train()
    for step in range(start, steps):
        image, hole = batch(images, bank, size, batch_size, rng)
        output = net(image * (1 - hole), hole)
        loss = inpainting_loss(output, image, hole)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
        if log_every and (step + 1) % log_every == 0:
            report(f"step {step + 1}/{steps} loss {np.mean(losses[-log_every:]):.4f}")
        if checkpoint is not None and ((step + 1) % 1000 == 0 or step + 1 == steps):
            torch.save({"model": net.state_dict(), "optimizer": optimizer.state_dict(), "step": step + 1,
                        "rng": rng.getstate(), "depth": depth, "width": width}, checkpoint)
    return net, losses


def export_filler(net: PartialConvUNet, path: Path, size: int = 256, seed: int = 0) -> float:
    """Write the filler as ONNX (inputs ``image``, ``mask``; output ``output``; H and W dynamic,
    multiples of 2**depth, recorded in the metadata property ``multiple``) after checking it
    against PyTorch on a random ``size`` x ``size`` image and hole; returns the largest difference."""
    generator = torch.Generator().manual_seed(seed)
    example = (torch.rand(1, 3, size, size, generator=generator),
               (torch.rand(1, 1, size, size, generator=generator) > 0.7).float())
    dims = {0: "batch", 2: "height", 3: "width"}
    return export_checked(
        ExportWrapper(net), example, Path(path), input_names=["image", "mask"], output_names=["output"],
        dynamic_axes={"image": dims, "mask": dims, "output": dims},
        metadata={"multiple": str(2 ** net.depth)},  # read by OnnxFiller to pad inputs
    )
