"""How long a frame bomb takes to refuse (issue 16, item 1): a GIF of N one-pixel frames on a
4000 x 4000 canvas (23 bytes a frame; a million frames is 23 MB, under the server's 25 MB upload
limit), refused by :func:`alphacut.io.decode.read_frames` on its frame count, against Pillow's
own ``n_frames``, which walks the whole file.

    python benchmarks/frame_bomb.py                  # 10k, 100k and 1M frames
    python benchmarks/frame_bomb.py --frames 1000    # a quick check
"""
from __future__ import annotations

import argparse
import io
import statistics
import struct
import sys
import time
from pathlib import Path

from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import machine  # noqa: E402

from alphacut.errors import ImageTooLargeError  # noqa: E402
from alphacut.io.decode import read_frames  # noqa: E402


def bomb(frames: int) -> bytes:
    header = b"GIF89a" + struct.pack("<HH", 4000, 4000) + bytes([0x80, 0, 0]) + bytes(6)
    frame = b"!\xf9\x04\x00\x0a\x00\x00\x00," + struct.pack("<HHHH", 0, 0, 1, 1) + b"\x00\x02\x02\x44\x01\x00"
    return header + frame * frames + b";"


def seconds(action, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def refuse(data: bytes) -> None:
    try:
        read_frames(data, name="bomb.gif")
    except ImageTooLargeError:
        return
    raise AssertionError("the bomb was not refused")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", default="10000,100000,1000000", help="frame counts, comma-separated")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    print(f"machine: {machine()}; median of {args.repeats}\n")
    print("| frames | file | alphacut refuses in | Pillow n_frames |\n|---:|---:|---:|---:|")
    for count in (int(v) for v in args.frames.split(",")):
        data = bomb(count)
        ours = seconds(lambda: refuse(data), args.repeats)
        pillow = seconds(lambda: Image.open(io.BytesIO(data)).n_frames, args.repeats)
        print(f"| {count:,} | {len(data) / 1e6:.1f} MB | {ours * 1000:.0f} ms | {pillow * 1000:.0f} ms |", flush=True)


if __name__ == "__main__":
    main()
