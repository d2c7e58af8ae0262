"""Fault figures for BENCHMARKS.md's "Reliability" section: what survives kill -9, a full disk and
a mutation fuzz of the decoder.

* ``kills``: ``alphacut remove DIR -o OUT --skip-existing`` with the real model, killed (SIGKILL)
  ``--kills`` times at seeded moments (after a seeded number of outputs, plus a seeded delay of
  up to one image's time), then resumed to the end. Counted: kills that landed, kills that left a
  temporary file, files under a final name that differ from an uninterrupted run's, temporary
  files the resumed run left, inputs changed.
* ``disk-full``: the same run into a tmpfs sized for about a third of the outputs (needs root to
  mount it; without root this part says it did not run). Counted: exit status, lines on stderr,
  truncated or wrong outputs, temporary files left; then the run resumed on a larger disk.
* ``fuzz``: ``--cases`` seeded mutations (tests/io/mutations.py: bit flips, extremes, header flips,
  truncation, deleted and repeated segments) of real files: JPEG and PNG photos from the data
  sets as they are, and GIF, WebP and TIFF files made from them (3-frame animations, a 3-page
  TIFF). Each case is decoded by :func:`alphacut.io.decode.decode_image` in a worker subprocess
  under a memory cap, with a per-case timeout; a worker that dies or hangs is replaced. Outcomes:
  decoded, refused by name (an InputError naming the file), other error (a traceback a user
  would see), over limit (more pixels than the limit decoded, or the memory cap hit), crash, hang.

Usage (the full run for BENCHMARKS.md; on an idle machine, ~10 minutes on 2 cores):
  .venv/bin/python benchmarks/faults.py all --kills 10 --cases 5000 --data ../shared/data/ecssd_200 \\
      --json benchmarks/results/faults.json
"""
from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import random
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Iterator

from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import machine, write_json  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "io"))
from mutations import mutate  # noqa: E402

ALPHACUT = str(Path(sys.executable).with_name("alphacut"))
TEMPORARY_SUFFIX = ".part"  # alphacut.io.files.TEMPORARY_SUFFIX, without importing alphacut here
FUZZ_MAX_PIXELS = 50_000_000
FUZZ_MEMORY_BYTES = 3 * 1024**3
FUZZ_FORMATS = ("jpg", "png", "gif", "webp", "tif")


# --- shared ------------------------------------------------------------------------------------

def hashes(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def final_outputs(folder: Path) -> dict[str, str]:
    return {name: digest for name, digest in hashes(folder).items() if not name.endswith(TEMPORARY_SUFFIX)}


def temporaries(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob(f"*{TEMPORARY_SUFFIX}"))


def copy_photos(data: Path, count: int, folder: Path) -> Path:
    folder.mkdir(parents=True)
    for path in sorted((data / "images").iterdir())[:count]:
        shutil.copy2(path, folder / path.name)
    return folder


def remove_command(inputs: Path, out: Path, model: str, *extra: str) -> list[str]:
    return [ALPHACUT, "remove", str(inputs), "-o", str(out), "--model", model, "-q", *extra]


def undecodable(folder: Path) -> list[str]:
    broken = []
    for path in sorted(folder.rglob("*.png")):
        try:
            with Image.open(path) as image:
                image.load()
        except (OSError, SyntaxError, ValueError) as exc:
            broken.append(f"{path.name}: {exc}")
    return broken


# --- kill -9 and resume ------------------------------------------------------------------------

def kill_after(command: list[str], out: Path, outputs: int, delay: float) -> bool:
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while process.poll() is None and (len(final_outputs(out)) if out.is_dir() else 0) < outputs:
            time.sleep(0.01)
        time.sleep(delay)
        if process.poll() is not None:
            return False
        process.send_signal(signal.SIGKILL)
        process.wait()
        return True
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def run_kills(data: Path, images: int, kills: int, model: str, seed: int, scratch: Path) -> dict:
    inputs = copy_photos(data, images, scratch / "kills-in")
    before = hashes(inputs)
    reference_dir = scratch / "kills-reference"
    started = time.perf_counter()
    subprocess.run(remove_command(inputs, reference_dir, model), check=True)
    per_image = (time.perf_counter() - started) / images
    reference = hashes(reference_dir)

    out = scratch / "kills-out"
    command = remove_command(inputs, out, model, "--skip-existing")
    rng = random.Random(seed)
    landed = left_temporary = 0
    wrong_after_kill: list[str] = []
    for kill in range(kills):
        done = len(final_outputs(out)) if out.is_dir() else 0
        target = min(images - 1, rng.randint(done, max(done, images * (kill + 1) // (kills + 1))))
        landed += kill_after(command, out, target, rng.uniform(0, per_image))
        left = temporaries(out) if out.is_dir() else []
        left_temporary += bool(left)
        wrong_after_kill += [f"kill {kill + 1}: {name}" for name, digest in final_outputs(out).items()
                             if reference.get(name) != digest] if out.is_dir() else []
    resumed = subprocess.run(command, capture_output=True, text=True)
    after = hashes(out)
    return {
        "images": images, "model": model, "seconds_per_image_uninterrupted": round(per_image, 2),
        "kills_requested": kills, "kills_landed": landed, "kills_that_left_a_temporary_file": left_temporary,
        "wrong_or_truncated_files_after_a_kill": wrong_after_kill,
        "resume_exit_status": resumed.returncode,
        "temporary_files_after_resume": temporaries(out),
        "outputs_identical_to_uninterrupted_run": after == reference,
        "outputs_differing": sorted(n for n in set(reference) | set(after) if reference.get(n) != after.get(n)),
        "undecodable_outputs": undecodable(out),
        "inputs_changed": sorted(n for n in before if hashes(inputs).get(n) != before[n]),
    }


# --- disk full ---------------------------------------------------------------------------------

@contextlib.contextmanager
def tmpfs(path: Path, size_bytes: int) -> Iterator[None]:
    path.mkdir(parents=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size_bytes}", "tmpfs", str(path)], check=True,
                   capture_output=True)
    try:
        yield
    finally:
        subprocess.run(["umount", str(path)], check=True)


def run_disk_full(data: Path, images: int, model: str, scratch: Path) -> dict:
    if os.geteuid() != 0:
        return {"ran": False, "why": "mounting a tmpfs needs root"}
    inputs = copy_photos(data, images, scratch / "disk-in")
    reference_dir = scratch / "disk-reference"
    subprocess.run(remove_command(inputs, reference_dir, model), check=True)
    reference = hashes(reference_dir)
    total = sum(p.stat().st_size for p in reference_dir.rglob("*") if p.is_file())
    small = scratch / "small-disk"
    with tmpfs(small, max(total // 3, 64 * 1024)):
        run = subprocess.run(remove_command(inputs, small / "out", model), capture_output=True, text=True)
        written = final_outputs(small / "out") if (small / "out").is_dir() else {}
        result = {
            "ran": True, "images": images, "tmpfs_bytes": max(total // 3, 64 * 1024), "outputs_bytes": total,
            "exit_status": run.returncode, "stderr_lines": run.stderr.strip().splitlines(),
            "outputs_written": len(written),
            "wrong_or_truncated": sorted(n for n, d in written.items() if reference.get(n) != d),
            "undecodable_outputs": undecodable(small / "out") if (small / "out").is_dir() else [],
            "temporary_files_left": temporaries(small / "out") if (small / "out").is_dir() else [],
        }
        shutil.copytree(small / "out", scratch / "disk-out")
    resumed = subprocess.run(remove_command(inputs, scratch / "disk-out", model, "--skip-existing"),
                             capture_output=True, text=True)
    result["resume_exit_status"] = resumed.returncode
    result["resumed_outputs_identical"] = hashes(scratch / "disk-out") == reference
    return result


# --- decoder fuzz ------------------------------------------------------------------------------

def fuzz_seeds(data: Path, per_format: int, folder: Path) -> list[Path]:
    """``per_format`` real files of each format: JPEGs and PNGs as they are (PNGs from the RGBA
    sets when ``data`` has none), GIF/WebP/TIFF made from the photos (3 frames or pages each)."""
    folder.mkdir(parents=True)
    photos = sorted((data / "images").iterdir())
    pngs = [p for p in photos if p.suffix.lower() == ".png"]
    if not pngs:
        pngs = sorted((data.parent / "office_products_rgba_100" / "images").glob("*.png"))
    jpegs = [p for p in photos if p.suffix.lower() in (".jpg", ".jpeg")]
    seeds = [Path(shutil.copy2(p, folder)) for p in jpegs[:per_format] + pngs[:per_format]]
    sources = jpegs or pngs
    for index in range(per_format):
        frames = [Image.open(sources[(3 * index + k) % len(sources)]).convert("RGB") for k in range(3)]
        frames = [f.resize(frames[0].size) for f in frames]  # a TIFF's pages may differ; animations may not
        for ext, fmt, options in (("gif", "GIF", {"duration": 80, "loop": 0}), ("webp", "WEBP", {"duration": 80}),
                                  ("tif", "TIFF", {})):
            path = folder / f"made{index:02d}.{ext}"
            frames[0].save(path, format=fmt, save_all=True, append_images=frames[1:], **options)
            seeds.append(path)
    return seeds


def fuzz_worker() -> None:
    """Decode the cases named on stdin, one JSON line each; reply one JSON line per case."""
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (FUZZ_MEMORY_BYTES, FUZZ_MEMORY_BYTES))
    import logging
    import warnings

    warnings.simplefilter("ignore")  # Pillow's warnings on corrupt files: the outcome is what counts
    logging.disable(logging.WARNING)  # decode's "only the first page of a TIFF" notes, likewise
    from alphacut.errors import InputError
    from alphacut.io.decode import decode_image

    for line in sys.stdin:
        case = json.loads(line)
        data = mutate(Path(case["seed"]).read_bytes(), random.Random(case["key"]))
        name = case["name"]
        started = time.perf_counter()
        try:
            decoded = decode_image(data, name=name, max_pixels=FUZZ_MAX_PIXELS)
            pixels = sum(f.image.size[0] * f.image.size[1] for f in decoded.frames)
            outcome, detail = ("over limit", f"{pixels} pixels") if pixels > FUZZ_MAX_PIXELS else ("decoded", "")
        except InputError as exc:
            named = str(exc).startswith(f"{name}: ")
            outcome, detail = ("refused by name" if named else "other error"), str(exc)
        except MemoryError:
            outcome, detail = "over limit", "memory cap hit"
        except Exception as exc:  # noqa: BLE001 - what the fuzz exists to find: reported, not hidden
            outcome, detail = "other error", f"{type(exc).__name__}: {exc}"
        del data
        print(json.dumps({"outcome": outcome, "detail": detail[:300], "seconds": time.perf_counter() - started}),
              flush=True)


class Worker:
    def __init__(self) -> None:
        self.process = subprocess.Popen([sys.executable, __file__, "--fuzz-worker"], stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, text=True)

    def decode(self, case: dict, timeout: float) -> dict:
        assert self.process.stdin and self.process.stdout
        try:
            self.process.stdin.write(json.dumps(case) + "\n")
            self.process.stdin.flush()
        except BrokenPipeError:
            return self.restart({"outcome": "crash", "detail": f"exit {self.process.wait()}"})
        ready, _, _ = select.select([self.process.stdout], [], [], timeout)
        if not ready:
            self.process.kill()
            return self.restart({"outcome": "hang", "detail": f"no answer in {timeout} s"})
        line = self.process.stdout.readline()
        if not line:
            return self.restart({"outcome": "crash", "detail": f"exit {self.process.wait()}"})
        return json.loads(line)

    def restart(self, result: dict) -> dict:
        self.process.wait()
        self.__init__()
        return result

    def close(self) -> None:
        if self.process.stdin:
            self.process.stdin.close()
        self.process.wait(timeout=30)


def run_fuzz(data: Path, cases: int, seeds_per_format: int, jobs: int, timeout: float, seed: int,
             scratch: Path, keep: Path | None) -> dict:
    seeds = fuzz_seeds(data, seeds_per_format, scratch / "fuzz-seeds")
    plan = [{"seed": str(seeds[i % len(seeds)]), "key": f"{seed}:{i}",
             "name": f"case{i:05d}{seeds[i % len(seeds)].suffix}"} for i in range(cases)]
    results: list[tuple[dict, dict]] = []
    lock = threading.Lock()
    queue = iter(plan)

    def work() -> None:
        worker = Worker()
        while True:
            with lock:
                case = next(queue, None)
            if case is None:
                break
            result = worker.decode(case, timeout)
            with lock:
                results.append((case, result))
        worker.close()

    started = time.perf_counter()
    threads = [threading.Thread(target=work) for _ in range(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started

    by_format: dict[str, Counter] = {}
    problems = []
    for case, result in results:
        by_format.setdefault(Path(case["name"]).suffix.lstrip("."), Counter())[result["outcome"]] += 1
        if result["outcome"] not in ("decoded", "refused by name"):
            problems.append({**case, **result})
            if keep is not None:  # the bytes, to reproduce the case
                keep.mkdir(parents=True, exist_ok=True)
                (keep / case["name"]).write_bytes(mutate(Path(case["seed"]).read_bytes(), random.Random(case["key"])))
    seconds = sorted(r.get("seconds", timeout) for _, r in results)
    return {
        "cases": len(results), "seed_files": len(seeds), "max_pixels": FUZZ_MAX_PIXELS,
        "memory_cap_gib": FUZZ_MEMORY_BYTES / 1024**3, "timeout_s": timeout, "wall_s": round(elapsed, 1),
        "outcomes": dict(sum(by_format.values(), Counter())),
        "outcomes_by_format": {fmt: dict(counts) for fmt, counts in sorted(by_format.items())},
        "slowest_case_s": round(seconds[-1], 2) if seconds else None,
        "problems": problems[:50],
    }


def main() -> None:
    if sys.argv[1:] == ["--fuzz-worker"]:
        fuzz_worker()
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("part", choices=("kills", "disk-full", "fuzz", "all"))
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "ecssd_200")
    parser.add_argument("--model", default="isnet")
    parser.add_argument("--images", type=int, default=16, help="photos per kill / disk-full run")
    parser.add_argument("--kills", type=int, default=10)
    parser.add_argument("--cases", type=int, default=5000)
    parser.add_argument("--seeds-per-format", type=int, default=10)
    parser.add_argument("--jobs", type=int, default=2, help="fuzz worker processes")
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds per fuzz case")
    parser.add_argument("--seed", type=int, default=16)
    parser.add_argument("--keep", type=Path, help="write the fuzz cases that crash, hang or err here")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    if not (args.data / "images").is_dir():
        parser.error(f"{args.data}: no images/ folder (a data set of /work/shared/data)")

    report: dict = {"machine": machine(), "data": args.data.name, "command": " ".join(sys.argv)}
    with tempfile.TemporaryDirectory(prefix="alphacut-faults-") as scratch_name:
        scratch = Path(scratch_name)
        if args.part in ("kills", "all"):
            report["kills"] = run_kills(args.data, args.images, args.kills, args.model, args.seed, scratch)
        if args.part in ("disk-full", "all"):
            report["disk_full"] = run_disk_full(args.data, max(6, args.images // 2), args.model, scratch)
        if args.part in ("fuzz", "all"):
            report["fuzz"] = run_fuzz(args.data, args.cases, args.seeds_per_format, args.jobs, args.timeout,
                                      args.seed, scratch, args.keep)
    print(json.dumps(report, indent=2))
    if args.json:
        write_json(args.json, report)


if __name__ == "__main__":
    main()
