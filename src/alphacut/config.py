"""Where alphacut keeps its files and the limits it applies, read from the environment."""
from __future__ import annotations

import os
from pathlib import Path

#: Images that decode to more pixels than this, every frame of an animation counted
#: (frames x width x height), are refused unless the caller raises the limit (``--max-pixels`` or
#: ``ALPHACUT_MAX_PIXELS``). 200 MP covers a 16k x 12k photo, or 200 frames of 1000 x 1000.
DEFAULT_MAX_PIXELS = 200_000_000

#: Animations with more frames than this are refused (``--max-frames`` or ``ALPHACUT_MAX_FRAMES``):
#: the model runs once per frame, so 1000 frames is minutes of CPU time on one machine.
DEFAULT_MAX_FRAMES = 1000

#: The model used when none is named. It lives here rather than in ``alphacut.models.registry``
#: (which re-exports it) so that the CLI can show it in ``--help`` without importing NumPy and Pillow.
DEFAULT_MODEL = "isnet"

#: zlib level for PNG. Level 6 (Pillow's default) took 470 ms to encode a 1024 px photo cutout
#: here, as long as the model's forward pass; level 1 took 115 ms for files 18% larger
#: (BENCHMARKS.md §8). A batch tool is waiting on it, so the default is the fast level.
PNG_LEVEL = 1


def alphacut_home() -> Path:
    """The model store: ``$ALPHACUT_HOME``, else ``$XDG_CACHE_HOME/alphacut``, else ``~/.cache/alphacut``."""
    explicit = os.environ.get("ALPHACUT_HOME")
    if explicit:
        return Path(explicit).expanduser()
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache).expanduser() / "alphacut"


def max_pixels() -> int:
    """``ALPHACUT_MAX_PIXELS``, else :data:`DEFAULT_MAX_PIXELS`; ``ValueError`` (a one-line message)
    when it is set to anything but a whole number >= 1."""
    return _limit_from_environment("ALPHACUT_MAX_PIXELS", DEFAULT_MAX_PIXELS)


def max_frames() -> int:
    """``ALPHACUT_MAX_FRAMES``, else :data:`DEFAULT_MAX_FRAMES`; ``ValueError`` as for :func:`max_pixels`."""
    return _limit_from_environment("ALPHACUT_MAX_FRAMES", DEFAULT_MAX_FRAMES)


def _limit_from_environment(variable: str, default: int) -> int:
    # ValueError rather than alphacut.errors.OptionError: this layer-0 module imports no other;
    # alphacut.io.limits turns it into the OptionError users see.
    text = os.environ.get(variable, "").strip()
    if not text:
        return default
    try:
        value = int(text)  # "200_000_000" is accepted, as Python writes it
    except ValueError:
        raise ValueError(f"{variable}={text!r} is not a whole number; set it to a limit >= 1 or unset it") from None
    if value < 1:
        raise ValueError(f"{variable}={text!r} must be at least 1; set a positive limit or unset it")
    return value


def default_threads() -> int:
    """Intra-op threads for CPU inference: all the cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)
