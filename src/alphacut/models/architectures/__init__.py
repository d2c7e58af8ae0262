"""PyTorch architectures for training (imports torch: install the ``train`` extra)."""
from alphacut.models.architectures.unet import ARCHITECTURES, NestedUNet, isnet, u2net, u2netp

__all__ = ["ARCHITECTURES", "NestedUNet", "isnet", "u2net", "u2netp"]
