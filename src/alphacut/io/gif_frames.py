"""Count a GIF's frames from its block structure (GIF89a specification, sections 17-27) without
decoding any pixel, stopping as soon as the count passes a limit.

Pillow's ``n_frames`` walks the whole file: a 25 MB upload of one-pixel frames holds about a
million of them and takes seconds to count. This walk stops one frame past the limit, and also
finds the canvas the frames need: a frame may reach past the logical screen, and decoders grow the
canvas to hold it (Pillow does), so the header's size alone can understate every later frame.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass

_EXTENSION, _IMAGE, _TRAILER = 0x21, 0x2C, 0x3B


@dataclass(frozen=True)
class GifLayout:
    """``frames`` counted (at most ``stop_after + 1``) and the canvas ``size`` they need."""

    frames: int
    size: tuple[int, int]


def gif_layout(data: bytes | memoryview, *, stop_after: int) -> GifLayout | None:
    """The frame count and canvas of the GIF in ``data``; ``None`` when ``data`` is not a GIF.

    A truncated or malformed file is counted as far as it goes (the decoder reports it). Bytes
    between blocks that start none are skipped one at a time, as Pillow skips them, so the count
    is the one Pillow's decoder reaches.
    """
    view = memoryview(data)
    if len(view) < 13 or bytes(view[:4]) != b"GIF8":
        return None
    width, height = struct.unpack_from("<HH", view, 6)
    position = 13 + _colour_table_bytes(view[10])
    frames = 0
    while position < len(view) and frames <= stop_after:
        kind = view[position]
        position += 1
        if kind == _TRAILER:
            break
        if kind == _EXTENSION:
            position = _after_sub_blocks(view, position + 1)  # the label, then the sub-blocks
        elif kind == _IMAGE:
            if position + 9 > len(view):
                break
            left, top, frame_width, frame_height = struct.unpack_from("<HHHH", view, position)
            position += 9 + _colour_table_bytes(view[position + 8])
            position = _after_sub_blocks(view, position + 1)  # the LZW code size, then the data
            frames += 1
            width, height = max(width, left + frame_width), max(height, top + frame_height)
    return GifLayout(frames, (width, height))


def _colour_table_bytes(flags: int) -> int:
    return 3 << ((flags & 0x07) + 1) if flags & 0x80 else 0


def _after_sub_blocks(view: memoryview, position: int) -> int:
    while position < len(view):
        size = view[position]
        position += 1 + size
        if size == 0:
            break
    return position
