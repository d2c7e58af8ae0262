"""One exception hierarchy; every message tells the user what to do next."""
from __future__ import annotations


class AlphacutError(Exception):
    """Base class of every error alphacut raises on purpose."""

    exit_code = 1


class InputError(AlphacutError):
    """An input image is missing, unreadable, corrupt or of an unsupported kind."""

    exit_code = 2


class OptionError(InputError):
    """An option has a bad value, or two options contradict each other."""


class ImageTooLargeError(InputError):
    """An image has more pixels than the configured limit (decompression-bomb guard)."""


class OutputError(AlphacutError):
    """An output cannot be written (exists, would overwrite an input, bad format)."""

    exit_code = 3


class DiskFullError(OutputError):
    """The disk or the user's quota is full: later outputs cannot be written either, so a batch stops."""


class ModelError(AlphacutError):
    """A model is unknown, not installed, or its file is broken."""

    exit_code = 4


class ModelNotInstalledError(ModelError):
    """A registered model has no file in the model store yet."""


class InstallError(ModelError):
    """Fetching, verifying or assembling model weights failed."""


class DeviceError(AlphacutError):
    """An execution device was asked for but cannot be used."""

    exit_code = 5
