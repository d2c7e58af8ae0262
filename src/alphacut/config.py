"""Where alphacut keeps its files and the limits it applies, read from the environment."""
from __future__ import annotations

import os
from pathlib import Path

#: Images with more pixels than this are refused unless the caller raises the limit
#: (``--max-pixels`` or ``ALPHACUT_MAX_PIXELS``). 200 MP covers 16k x 12k photos.
DEFAULT_MAX_PIXELS = 200_000_000

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
    value = os.environ.get("ALPHACUT_MAX_PIXELS")
    return int(value) if value else DEFAULT_MAX_PIXELS


def default_threads() -> int:
    """Intra-op threads for CPU inference: all the cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)
