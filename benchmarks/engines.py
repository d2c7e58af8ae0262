"""Local engine vs Ray engine (1 and 2 workers) on one folder: wall time, images/s, and whether the
outputs are byte-identical to the local engine's.

Each configuration is one ``alphacut remove DIR -o OUT`` process (a local Ray is started by the
Ray runs and counted in their time); peak RSS is the driver's (GNU time), Ray workers' peaks are
printed by the command itself.

Usage: python benchmarks/engines.py --data ../shared/data/ecssd_200 --count 200
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import CpuShare, machine  # noqa: E402

CONFIGS = {
    "local (2 threads)": [],
    "ray, 1 worker x 2 threads": ["--engine", "ray", "--workers", "1", "--threads", "2"],
    "ray, 2 workers x 1 thread": ["--engine", "ray", "--workers", "2", "--threads", "1"],
}


def run(command: list[str]) -> tuple[float, str]:
    start = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True)
    wall = time.perf_counter() - start
    if result.returncode != 0:
        raise RuntimeError(result.stderr[-2000:])
    return wall, result.stderr


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--runtime", default="auto")
    args = parser.parse_args()
    cli = [sys.executable, "-c", "from alphacut.cli.app import main; main()"]
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch) / "in"
        folder.mkdir()
        for path in sorted((args.data / "images").iterdir())[: args.count]:
            os.symlink(path.resolve(), folder / path.name)
        print(f"## engines, {args.count} images of {args.data.name}, {machine()}\n")
        print("| engine | wall s | images/s | vs local | identical to local | worker peak RSS | CPU stolen |")
        print("|---|---|---|---|---|---|---|", flush=True)
        reference: dict = {}
        base = 0.0
        for label, extra in CONFIGS.items():
            out = Path(scratch) / label.replace(" ", "_").replace(",", "")
            with CpuShare() as share:
                wall, log = run([*cli, "remove", str(folder), "-o", str(out), "--runtime", args.runtime, *extra])
            peaks = [line for line in log.splitlines() if line.startswith("peak memory per worker")]
            files = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
            if not reference:
                reference, base = files, wall
            same = sum(1 for rel, data in reference.items() if files.get(rel) == data)
            print(f"| {label} | {wall:.1f} | {args.count / wall:.3f} | {base / wall:.2f}x | {same}/{len(reference)} "
                  f"| {peaks[0].split(': ', 1)[1] if peaks else ''} | {share.steal:.0%} |", flush=True)
            shutil.rmtree(out, ignore_errors=True)

if __name__ == "__main__":
    main()
