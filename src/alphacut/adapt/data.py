"""A dataset folder (see :mod:`alphacut.adapt.dataset`) as a PyTorch ``Dataset``."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from torch.utils.data import Dataset

from alphacut.adapt.augment import AugmentSettings, augment, resize_pair
from alphacut.adapt.dataset import load_manifest
from alphacut.adapt.grid import sample_grid, to_art_grid
from alphacut.errors import AlphacutError, InputError
from alphacut.io.decode import decode_first_frame
from alphacut.io.files import read_alpha

# the normalisation of the shipped IS-Net ((x / 255 - 0.5) / 1.0); exported models record it in their spec
MEAN = (0.5, 0.5, 0.5)
STD = (1.0, 1.0, 1.0)


def to_tensor(image: np.ndarray, mean=MEAN, std=STD) -> torch.Tensor:
    pixels = torch.from_numpy(np.array(image)).permute(2, 0, 1).float() / 255.0
    return (pixels - torch.tensor(mean).view(3, 1, 1)) / torch.tensor(std).view(3, 1, 1)


class SegmentationDataset(Dataset):
    """Samples of one split; training samples are augmented afresh each epoch, others only resized.
    With ``grid``, every sample is first brought to one pixel per art pixel (:mod:`alphacut.adapt.grid`)."""

    def __init__(self, folder: Path, split: str, size: int, augment_settings: AugmentSettings | None, seed: int = 0,
                 grid: bool = False):
        manifest = load_manifest(folder)
        self.grid = grid
        self.scale = int(manifest.get("settings", {}).get("scale", 1))
        self.folder = folder
        self.samples = [s for s in manifest["samples"] if s["split"] == split]
        self.size = size
        self.augment_settings = augment_settings
        self.nearest = augment_settings.nearest if augment_settings else False
        self.seed = seed
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch  # a new, reproducible draw of augmentations per epoch

    def __len__(self) -> int:
        return len(self.samples)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        sample = self.samples[index]
        try:
            image = np.asarray(decode_first_frame(self.folder / sample["image"]).convert("RGB"))
            mask = read_alpha(self.folder / sample["mask"])
        except AlphacutError as exc:
            raise InputError(f"{self.folder}: sample {sample['id']} unreadable ({exc})") from None
        if self.grid:
            image, mask = to_art_grid(image, mask, sample_grid(image, int(sample.get("grid", self.scale))))
        if self.augment_settings is not None:
            rng = np.random.default_rng((self.seed, self.epoch, index))
            image, mask = augment(image, mask, self.size, rng, self.augment_settings)
        else:
            image, mask = resize_pair(image, mask, self.size, self.nearest)
        target = torch.from_numpy(np.array(mask)).float().div_(255.0).unsqueeze(0)
        return to_tensor(image), target
