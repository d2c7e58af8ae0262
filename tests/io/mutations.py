"""Seeded mutations of an image file's bytes, as a fuzzer makes them (the operators of AFL's
deterministic and havoc stages, cut down): bit flips, bytes set to extremes (0x00/0xFF: huge or
zero sizes in a header), flips inside the header, truncation, and deleted or repeated segments.

Used by tests/io/test_fuzz_decode.py and benchmarks/faults.py, so both run the same mutations.
"""
from __future__ import annotations

import random
from collections.abc import Callable

HEADER_BYTES = 64  # where the sizes, frame counts and chunk lengths of these formats live


def _flip_bytes(data: bytearray, rng: random.Random) -> None:
    for _ in range(rng.randint(1, 16)):
        data[rng.randrange(len(data))] ^= rng.randint(1, 255)


def _flip_header(data: bytearray, rng: random.Random) -> None:
    for _ in range(rng.randint(1, 4)):
        data[rng.randrange(min(len(data), HEADER_BYTES))] ^= 1 << rng.randrange(8)


def _extremes(data: bytearray, rng: random.Random) -> None:
    start = rng.randrange(len(data))
    value = rng.choice((0x00, 0xFF, 0x7F, 0x80))
    for offset in range(start, min(len(data), start + rng.randint(1, 4))):
        data[offset] = value


def _truncate(data: bytearray, rng: random.Random) -> None:
    del data[rng.randint(1, len(data) - 1):]


def _delete_segment(data: bytearray, rng: random.Random) -> None:
    start = rng.randrange(len(data))
    del data[start:start + rng.randint(1, max(1, len(data) // 8))]


def _repeat_segment(data: bytearray, rng: random.Random) -> None:
    start = rng.randrange(len(data))
    segment = data[start:start + rng.randint(1, max(1, len(data) // 8))]
    data[start:start] = segment * rng.randint(1, 8)


MUTATIONS: tuple[Callable[[bytearray, random.Random], None], ...] = (
    _flip_bytes, _flip_header, _extremes, _truncate, _delete_segment, _repeat_segment,
)


def mutate(original: bytes, rng: random.Random) -> bytes:
    """One variant of ``original`` (never equal to it): one to three mutations drawn from ``rng``."""
    if len(original) < 2:
        raise ValueError("a file to mutate needs at least 2 bytes")
    while True:
        data = bytearray(original)
        for _ in range(rng.randint(1, 3)):
            if len(data) >= 2:
                rng.choice(MUTATIONS)(data, rng)
        if bytes(data) != original:
            return bytes(data)
