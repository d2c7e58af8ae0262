"""The PyTorch networks that training fine-tunes (IS-Net, U2-Net, U2-Net-P), and loading the shipped
ONNX weights into them (:mod:`alphacut.adapt.networks.onnx_weights`). Imports torch: install the
``train`` extra."""
from alphacut.adapt.networks.unet import ARCHITECTURES, NestedUNet, isnet, u2net, u2netp

__all__ = ["ARCHITECTURES", "NestedUNet", "isnet", "u2net", "u2netp"]
