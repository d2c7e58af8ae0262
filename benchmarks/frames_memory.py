"""Peak memory against an animation's frame count (issue 16, item 1): frames as a stream
(``alphacut.remove`` on bytes: :func:`alphacut.io.decode.read_frames`, ``Remover.results``,
:func:`alphacut.io.encode.encode_stream`) against every frame at once (``decode_image``,
``Remover.process``, ``encode_frames``: the path before streaming, still public).

Each run is its own process, measured by GNU time (peak RSS). The model is the small two-convolution
ONNX model of ``serve_load.py`` (320 px), so the figures are the frames' memory, not a network's.
The input is an animated GIF of ``--size`` frames (a white disc moving over noise).

    python benchmarks/frames_memory.py                      # 50, 200, 800 frames of 480x360; gif, png, webp
    python benchmarks/frames_memory.py --frames 20 --size 96x64 --formats gif   # a quick check
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import machine, run_measured  # noqa: E402
from serve_load import small_model  # noqa: E402


def animation(path: Path, frames: int, size: tuple[int, int]) -> Path:
    rng = np.random.default_rng(0)
    width, height = size
    images = []
    for index in range(frames):
        image = Image.fromarray(rng.integers(0, 120, (height, width, 3), dtype=np.uint8))
        x = (index * 7) % max(1, width - height // 2)
        ImageDraw.Draw(image).ellipse((x, height // 4, x + height // 2, 3 * height // 4), fill="white")
        images.append(image)
    images[0].save(path, save_all=True, append_images=images[1:], duration=40, loop=0)
    return path


def child(mode: str, source: Path, fmt: str, model: Path, out: Path) -> None:
    import alphacut
    from alphacut.io.decode import decode_image
    from alphacut.io.encode import encode_frames
    from alphacut.pipeline import Remover

    session = alphacut.load_model(model)
    data = source.read_bytes()
    if mode == "stream":
        result = alphacut.remove(data, model=session, format=fmt, max_frames=100_000, max_pixels=2_000_000_000)
    else:
        decoded = decode_image(data, max_frames=100_000, max_pixels=2_000_000_000)
        frames = Remover(session).process(decoded)
        result = encode_frames(frames, fmt, durations=[f.duration for f in decoded.frames], loop=decoded.loop)
    out.write_bytes(result)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", default="50,200,800", help="frame counts, comma-separated")
    parser.add_argument("--size", default="480x360", help="frame size WxH")
    parser.add_argument("--formats", default="gif,png,webp", help="output formats, comma-separated")
    parser.add_argument("--child", nargs=5, metavar=("MODE", "SOURCE", "FMT", "MODEL", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        mode, source, fmt, model, out = args.child
        child(mode, Path(source), fmt, Path(model), Path(out))
        return
    size = tuple(int(v) for v in args.size.lower().split("x"))
    print(f"machine: {machine()}; frames of {size[0]}x{size[1]}; peak RSS in MiB (wall s)\n")
    print("| frames | format | at once | stream |\n|---:|---|---:|---:|")
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        model = small_model(work / "small.onnx")
        for count in (int(v) for v in args.frames.split(",")):
            source = animation(work / f"in{count}.gif", count, size)  # type: ignore[arg-type]
            for fmt in args.formats.split(","):
                cells = []
                outputs = []
                for mode in ("whole", "stream"):
                    out = work / f"{mode}.{fmt}"
                    wall, peak = run_measured([sys.executable, __file__, "--child", mode, str(source), fmt, str(model),
                                               str(out)])
                    cells.append(f"{peak} ({wall:.1f})")
                    outputs.append(out.read_bytes())
                same = "" if outputs[0] == outputs[1] else " (outputs differ!)"
                print(f"| {count} | {fmt} | {cells[0]} | {cells[1]}{same} |", flush=True)


if __name__ == "__main__":
    main()
