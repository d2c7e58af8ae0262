"""Which preset ``auto`` picks for each image of some sets (no model: the router decides on pixels).

Prints the count per preset and set; with ``--names-dir`` also writes, per set, the names of the
images sent off the photo path (``SET.txt``), which ``quality_levers.py --names`` can score alone
(``paired_table.py --patch`` explains why that stands for a full run of the old router).

Usage:
  .venv/bin/python benchmarks/route_counts.py ../shared/data/duts_tr_600 ../shared/data/portraits_train_300 \
      [--names-dir /tmp/routed]
"""
from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path

import numpy as np


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("data", type=Path, nargs="+")
    parser.add_argument("--names-dir", type=Path)
    args = parser.parse_args()

    from alphacut.io.decode import decode_image
    from alphacut.judge.dataset import load_set
    from alphacut.refine.presets import PRESETS
    from alphacut.refine.refiner import settings_for

    preset_of = {id(settings): name for name, settings in PRESETS.items()}
    for folder in args.data:
        eval_set = load_set(folder)
        counts: Counter[str] = Counter()
        off_photo = []
        for sample in eval_set.samples:
            rgb = np.asarray(decode_image(sample.image).frames[0].image.convert("RGB"))
            preset = preset_of[id(settings_for(rgb, None))]
            counts[preset] += 1
            if preset != "photo":
                off_photo.append(sample.name)
        print(f"{eval_set.name}: " + ", ".join(f"{name} {count}" for name, count in counts.most_common()))
        if args.names_dir:
            args.names_dir.mkdir(parents=True, exist_ok=True)
            (args.names_dir / f"{eval_set.name}.txt").write_text("".join(name + "\n" for name in off_photo))


if __name__ == "__main__":
    main()
