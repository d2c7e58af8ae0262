"""alphacut: offline background removal with soft alpha.

>>> import alphacut
>>> cutout = alphacut.remove("photo.jpg")          # PIL RGBA image
>>> session = alphacut.load_model("isnet")         # reuse one session explicitly
>>> png_bytes = alphacut.remove(open("photo.jpg", "rb").read(), model=session)
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from alphacut.errors import (
    AlphacutError,
    DeviceError,
    ImageTooLargeError,
    InputError,
    InstallError,
    ModelError,
    ModelNotInstalledError,
    OptionError,
    OutputError,
)

__version__ = "0.1.0"

__all__ = [
    "AlphacutError",
    "DeviceError",
    "ImageTooLargeError",
    "InputError",
    "InstallError",
    "ModelError",
    "ModelNotInstalledError",
    "OptionError",
    "OutputError",
    "__version__",
    "load_model",
    "remove",
]

if TYPE_CHECKING:
    from alphacut.api import remove
    from alphacut.models import load_model


def __getattr__(name: str) -> Any:
    # Imported on first use so `alphacut --help` and error paths start fast.
    if name == "remove":
        from alphacut.api import remove

        return remove
    if name == "load_model":
        from alphacut.models import load_model

        return load_model
    raise AttributeError(f"module 'alphacut' has no attribute {name!r}")
