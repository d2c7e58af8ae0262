"""A tiny IS-Net-shaped network for training tests (trains in seconds at 32 px)."""
from __future__ import annotations

import pytest

TINY_ENCODER = ((4, 3, 4, 8), (4, 8, 4, 8), (0, 8, 4, 8), (0, 8, 4, 8), (0, 8, 4, 8), (0, 8, 4, 8))
TINY_DECODER = ((0, 16, 4, 8), (0, 16, 4, 8), (0, 16, 4, 8), (4, 16, 4, 8), (4, 16, 4, 8))


@pytest.fixture()
def tiny_arch(monkeypatch):
    """Registers the architecture ``tiny`` for the test (``--arch tiny``, ``TrainConfig(arch="tiny")``)."""
    pytest.importorskip("torch")
    from alphacut.adapt import train as train_module
    from alphacut.adapt.networks.unet import NestedUNet, NestedUNetConfig

    config = NestedUNetConfig(encoder=TINY_ENCODER, decoder=TINY_DECODER, strided_input=False, fuse_sides=True)
    monkeypatch.setitem(train_module.ARCHITECTURES, "tiny", lambda norm=True: NestedUNet(config, norm=norm))
    return "tiny"
