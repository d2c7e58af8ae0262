"""The filler registry: names (``--fill NAME``) to factories, filled by the filler modules themselves.

A filler module decorates its factory with :func:`register_filler`; the package's ``__init__``
imports every filler module, so by the time anything can call :func:`get_filler` the registry is
complete. This module imports only :mod:`alphacut.edit.fillers.base`, never a filler, so no
filler module is imported back by what it imports.

A name is either plain (``exemplar``) or takes an argument after a colon (``onnx:PATH``, registered
with ``argument="PATH"``); a filler with a ``file_suffix`` is also chosen by a bare file name
ending in it (``model.onnx`` means ``onnx:model.onnx``).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from alphacut.edit.fillers.base import Filler
from alphacut.errors import InputError

DEFAULT_FILLER = "exemplar"

Factory = TypeVar("Factory", bound=Callable[..., Filler])


@dataclass(frozen=True)
class Registration:
    """How a name builds its filler: ``factory(**options)``, or ``factory(argument, **options)``."""

    name: str
    factory: Callable[..., Filler]
    argument: str | None = None  # e.g. "PATH": the name is written NAME:PATH
    file_suffix: str | None = None  # a bare name ending in it selects this filler, the name as argument

    @property
    def usage(self) -> str:
        return f"{self.name}:{self.argument}" if self.argument else self.name


_REGISTRY: dict[str, Registration] = {}


def register_filler(
    name: str, *, argument: str | None = None, file_suffix: str | None = None
) -> Callable[[Factory], Factory]:
    """Decorator: make ``name`` build fillers with the decorated class or function."""

    def register(factory: Factory) -> Factory:
        if name in _REGISTRY:
            raise ValueError(f"filler {name!r} is registered twice")
        _REGISTRY[name] = Registration(name, factory, argument, file_suffix)
        return factory

    return register


def filler_names() -> tuple[str, ...]:
    """The accepted names, in registration order (``onnx:PATH`` for one that takes an argument)."""
    return tuple(registration.usage for registration in _REGISTRY.values())


def get_filler(name: str, **options) -> Filler:
    """A filler by name (see :func:`filler_names`); ``options`` go to its factory."""
    key = name.strip()
    head, colon, argument = key.partition(":")
    registration = _REGISTRY.get(head)
    if registration is not None and registration.argument is None and not colon:
        return registration.factory(**options)
    if registration is not None and registration.argument is not None and colon:
        return registration.factory(argument, **options)
    for registration in _REGISTRY.values():
        if registration.file_suffix and key.endswith(registration.file_suffix):
            return registration.factory(key, **options)
    raise InputError(f"unknown filler {name!r}; use {', '.join(filler_names())}")
