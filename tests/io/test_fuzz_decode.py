"""A mutation fuzz of the decoder: a few hundred seeded byte-flipped, truncated and spliced
variants of small JPEG, PNG, GIF, WebP and TIFF files made here. Each one either decodes, within
the limits, or is refused with an :class:`InputError` that names the file; none may raise
anything else, or run past a per-case time bound.

``benchmarks/faults.py`` runs the same mutations over thousands of real files, each in a
subprocess (so a crash or a hang is counted, not fatal).
"""
from __future__ import annotations

import io
import random
import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import numpy as np
import pytest
from PIL import Image

from alphacut.errors import InputError
from alphacut.io.decode import decode_image
from .mutations import mutate

MAX_PIXELS = 1_000_000
VARIANTS_PER_FORMAT = 100
SECONDS_PER_CASE = 3.0

# Pillow warns about much of what a mutation breaks (corrupt EXIF, tags past the end): expected here
pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


def _photo(size: tuple[int, int], seed: int) -> Image.Image:
    rng = np.random.default_rng(seed)
    pixels = rng.integers(0, 80, (size[1], size[0], 3), dtype=np.uint8)
    pixels[size[1] // 4:size[1] * 3 // 4, size[0] // 4:size[0] * 3 // 4] = (230, 200, 40)
    return Image.fromarray(pixels)


def _encoded(fmt: str, **options) -> Callable[[], bytes]:
    def make() -> bytes:
        frames = [_photo((40, 30), seed) for seed in range(3)]
        first = frames[0] if fmt != "PNG" else frames[0].convert("RGBA")
        buffer = io.BytesIO()
        first.save(buffer, format=fmt, **options)
        return buffer.getvalue()

    return make


def _animation(fmt: str) -> Callable[[], bytes]:
    def make() -> bytes:
        frames = [_photo((40, 30), seed) for seed in range(3)]
        buffer = io.BytesIO()
        frames[0].save(buffer, format=fmt, save_all=True, append_images=frames[1:], duration=80, loop=0)
        return buffer.getvalue()

    return make


SEEDS: dict[str, Callable[[], bytes]] = {
    "jpg": _encoded("JPEG", quality=85, exif=Image.Exif().tobytes()),
    "png": _encoded("PNG"),
    "gif": _animation("GIF"),
    "webp": _animation("WEBP"),
    "tif": _animation("TIFF"),  # a multi-page TIFF
}


class CaseTimeout(Exception):
    pass


@contextmanager
def time_bound(seconds: float) -> Iterator[None]:
    """Interrupts a decode that runs past ``seconds`` (Pillow returns to Python between chunks)."""
    def expire(signum, frame):
        raise CaseTimeout(f"ran past {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def outcome(data: bytes, name: str) -> str | None:
    """``None`` when the variant decoded within the limits or was refused by name; else what went wrong."""
    try:
        with time_bound(SECONDS_PER_CASE):
            decoded = decode_image(data, name=name, max_pixels=MAX_PIXELS)
    except InputError as exc:
        return None if str(exc).startswith(f"{name}: ") else f"refused without its name: {exc}"
    except CaseTimeout as exc:
        return f"hang: {exc}"
    except Exception as exc:  # noqa: BLE001 - what this test exists to find
        return f"{type(exc).__name__}: {exc}"
    pixels = sum(frame.image.size[0] * frame.image.size[1] for frame in decoded.frames)
    if pixels > MAX_PIXELS:
        return f"decoded {pixels} pixels, over the limit of {MAX_PIXELS}"
    if any(frame.image.mode not in ("RGB", "RGBA") for frame in decoded.frames):
        return f"frame modes {sorted({frame.image.mode for frame in decoded.frames})}, not RGB/RGBA"
    return None


@pytest.mark.parametrize("extension", sorted(SEEDS))
def test_every_mutated_file_decodes_or_is_refused_by_name(extension):
    original = SEEDS[extension]()
    assert outcome(original, f"seed.{extension}") is None
    rng = random.Random(f"fuzz-{extension}")
    problems = {}
    for index in range(VARIANTS_PER_FORMAT):
        name = f"case{index:03d}.{extension}"
        found = outcome(mutate(original, rng), name)
        if found is not None:
            problems[name] = found
    assert problems == {}


def test_the_mutations_are_seeded_and_varied():
    original = SEEDS["png"]()
    first = [mutate(original, random.Random(7)), mutate(original, random.Random(8))]
    again = [mutate(original, random.Random(7)), mutate(original, random.Random(8))]
    assert first == again
    variants = {mutate(original, rng) for rng in [random.Random(seed) for seed in range(50)]}
    assert len(variants) == 50 and original not in variants
    assert any(len(v) < len(original) for v in variants) and any(len(v) == len(original) for v in variants)
