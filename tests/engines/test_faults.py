"""Faults a folder run must survive: ``kill -9`` at random moments then a resume with
``--skip-existing``, and a disk that fills up while outputs are written.

After any fault every file under a final name is a complete output (byte for byte what an
uninterrupted run writes), no temporary file outlives the resumed run, and no input is modified.
"""
from __future__ import annotations

import errno
import hashlib
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from alphacut.io import files as files_module

IMAGES = 24
KILLS = 3
SEED = 16


def make_inputs(folder: Path, count: int = IMAGES) -> Path:
    """Photos big enough that a run spends its time decoding, refining and writing."""
    rng = np.random.default_rng(SEED)
    for index in range(count):
        pixels = rng.integers(0, 60, (240, 320, 3), dtype=np.uint8)
        top, left = int(rng.integers(0, 120)), int(rng.integers(0, 160))
        pixels[top:top + 100, left:left + 140] = rng.integers(180, 256, 3, dtype=np.uint8)
        nested = folder / ("nested" if index % 3 == 0 else "")
        nested.mkdir(parents=True, exist_ok=True)
        Image.fromarray(pixels).save(nested / f"{index:02d}.png")
    return folder


def hashes(folder: Path) -> dict[str, str]:
    """sha256 of every file under ``folder``, hidden ones included, by relative path."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def temporaries(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob(f"*{files_module.TEMPORARY_SUFFIX}") if p.is_file())


def cli_command() -> list[str]:
    script = Path(sys.executable).parent / "alphacut"
    return [str(script)] if script.is_file() else [sys.executable, "-c", "from alphacut.cli.app import main; main()"]


def count_outputs(folder: Path) -> int:
    return sum(1 for p in folder.rglob("*.png") if not p.name.startswith(".")) if folder.is_dir() else 0


def run_and_kill(command: list[str], out: Path, after_outputs: int, extra_delay: float) -> bool:
    """Start ``command``; once ``after_outputs`` outputs exist (and ``extra_delay`` more seconds),
    SIGKILL it. Returns whether it was killed (``False``: it finished first)."""
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               env={**os.environ, "NO_COLOR": "1"})
    try:
        deadline = time.monotonic() + 120
        while process.poll() is None and count_outputs(out) < after_outputs:
            if time.monotonic() > deadline:
                raise AssertionError("the run made no progress in 120 s")
            time.sleep(0.002)
        time.sleep(extra_delay)
        if process.poll() is not None:
            return False
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
        return True
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_a_run_killed_three_times_resumes_to_exactly_the_uninterrupted_outputs(tmp_path, tiny_model, alphacut_run):
    inputs = make_inputs(tmp_path / "in")
    before = hashes(inputs)
    code, _, err = alphacut_run("remove", str(inputs), "-o", str(tmp_path / "reference"), "--model", str(tiny_model),
                                "-q")
    assert code == 0, err
    reference = hashes(tmp_path / "reference")
    assert len(reference) == IMAGES

    out = tmp_path / "out"
    command = [*cli_command(), "remove", str(inputs), "-o", str(out), "--model", str(tiny_model), "-q",
               "--skip-existing"]
    rng = random.Random(SEED)
    killed = 0
    for kill in range(KILLS):
        # each kill lands further on: after a seeded number of outputs, plus a seeded fraction of one
        after = rng.randint(count_outputs(out) + 1, IMAGES * (kill + 1) // (KILLS + 1))
        killed += run_and_kill(command, out, after, rng.uniform(0.0, 0.05))
        written = {name: digest for name, digest in hashes(out).items() if not name.endswith(".part")}
        mismatched = [name for name, digest in written.items() if reference.get(name) != digest]
        assert mismatched == [], f"kill {kill + 1}: incomplete or wrong files under final names: {mismatched}"
    assert killed == KILLS, "a run finished before it could be killed: make the inputs bigger"

    # what a kill during a write leaves (a kill may or may not have hit one): planted, unlocked
    planted = out / ".01.png.k1lled_x.part"
    planted.write_bytes(b"\x89PNG half written")
    resumed = subprocess.run(command, capture_output=True, timeout=120)
    assert resumed.returncode == 0, resumed.stderr.decode()

    assert temporaries(out) == []
    assert hashes(out) == reference
    for path in out.rglob("*.png"):
        with Image.open(path) as image:
            image.load()  # decodable to the last byte
    assert hashes(inputs) == before


def disk_full_after(limit: int, real_write=os.write):
    """An ``os.write`` that writes to ``write_atomic``'s temporary files as a disk with ``limit``
    free bytes would: whole writes while they fit, one short write, then ENOSPC. Other files
    (the test's own output) are written as usual."""
    used = 0

    def write(handle: int, data) -> int:
        nonlocal used
        if not os.readlink(f"/proc/self/fd/{handle}").endswith(files_module.TEMPORARY_SUFFIX):
            return real_write(handle, data)
        room = limit - used
        if room <= 0:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        count = real_write(handle, bytes(memoryview(data)[:room]))
        used += count
        return count

    return write


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs /proc to tell the output files apart")
def test_a_full_disk_stops_the_run_with_one_line_and_leaves_only_complete_outputs(
    tmp_path, tiny_model, alphacut_run, monkeypatch
):
    inputs = make_inputs(tmp_path / "in", count=8)
    before = hashes(inputs)
    code, _, err = alphacut_run("remove", str(inputs), "-o", str(tmp_path / "reference"), "--model", str(tiny_model),
                                "-q")
    assert code == 0, err
    reference = hashes(tmp_path / "reference")
    sizes = sorted(path.stat().st_size for path in (tmp_path / "reference").rglob("*.png"))
    room = 3 * sizes[-1] + sizes[0] // 2  # any three outputs fit, and not all eight

    monkeypatch.setattr(files_module.os, "write", disk_full_after(room))
    out = tmp_path / "out"
    code, stdout, err = alphacut_run("remove", str(inputs), "-o", str(out), "--model", str(tiny_model), "-q")
    monkeypatch.undo()

    assert code == 3, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("alphacut: error: cannot write "), err
    assert "No space left on device" in lines[0] and "resume with --skip-existing" in lines[0]
    assert temporaries(out) == []
    written = hashes(out)
    assert 3 <= len(written) < len(reference)
    assert all(reference[name] == digest for name, digest in written.items())  # complete, none truncated
    assert hashes(inputs) == before

    code, _, err = alphacut_run("remove", str(inputs), "-o", str(out), "--model", str(tiny_model), "-q",
                                "--skip-existing")
    assert code == 0, err
    assert hashes(out) == reference
