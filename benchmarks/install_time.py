"""Time the install-time int8 build (``alphacut models install --optimize``) on this machine (issue 17: <= 3 min).

Copies the installed model (and its manifest, without any recorded forms) into a scratch store,
runs ``alphacut models install MODEL`` there (the weights are already present, so only the int8
form is built and gated), and prints the wall time, peak RSS and the share of CPU time the
hypervisor took (steal, ``/proc/stat``) and the load average, so a figure measured on a shared
machine says so. The gate's verdict line is printed as the command wrote it.

Usage (an idle machine):
  .venv/bin/python benchmarks/install_time.py [--model isnet] [--keep /tmp/install-home]
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from alphacut.config import alphacut_home


def cpu_times() -> list[int]:
    return [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="isnet")
    parser.add_argument("--keep", type=Path, default=None, help="scratch store to keep (default: a temporary one)")
    args = parser.parse_args()

    source = alphacut_home() / "models" / args.model
    if not (source / "model.onnx").is_file():
        sys.exit(f"{args.model} is not installed in {alphacut_home()}; run: alphacut models install {args.model} --no-optimize")
    home = args.keep or Path(tempfile.mkdtemp(prefix="alphacut-install-time-"))
    target = home / "models" / args.model
    target.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source / "model.onnx", target / "model.onnx")
    manifest = json.loads((source / "manifest.json").read_text())
    for key in ("forms", "fast_form"):
        manifest.pop(key, None)
    (target / "manifest.json").write_text(json.dumps(manifest, indent=2))

    alphacut = Path(sys.executable).parent / "alphacut"
    before, load_before, start = cpu_times(), os.getloadavg()[0], time.perf_counter()
    result = subprocess.run([str(alphacut), "models", "install", args.model, "--optimize"], env={**os.environ, "ALPHACUT_HOME": str(home)},
                            capture_output=True, text=True)
    seconds, after = time.perf_counter() - start, cpu_times()
    delta = [b - a for a, b in zip(before, after)]
    steal = delta[7] / max(1, sum(delta)) if len(delta) > 7 else float("nan")
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(result.stderr.strip().splitlines()[-1] if result.stderr.strip() else "(no output)")
    print(f"exit {result.returncode}; wall {seconds:.0f} s ({seconds / 60:.1f} min); peak RSS {peak:.0f} MB; "
          f"CPU stolen {steal:.1%}; load average {load_before:.1f} before, {os.getloadavg()[0]:.1f} after")
    if args.keep is None:
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
