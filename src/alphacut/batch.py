"""Many images in, many files out: input discovery, output naming and a pipelined runner.

Decoding and encoding run in a small thread pool ahead of and behind the model, so the model is
never waiting on I/O (onnxruntime and Pillow release the GIL while they work).
"""
from __future__ import annotations

import glob
import sys
import warnings
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from PIL import Image

from alphacut.config import PNG_LEVEL
from alphacut.errors import AlphacutError, OutputError
from alphacut.io.decode import DecodedImage, decode_image
from alphacut.io.encode import EXTENSION_BY_FORMAT, FORMATS_BY_EXTENSION, encode_frames, write_atomic
from alphacut.pipeline import Remover

IMAGE_EXTENSIONS = {
    ".jpg", ".jpeg", ".jfif", ".png", ".webp", ".gif", ".bmp", ".tif", ".tiff",
    ".heic", ".heif", ".avif", ".ppm", ".pgm", ".pbm", ".tga", ".ico", ".jp2",
}
STDIO = "-"

#: Decoding ahead stops while this many pixels are in flight (decoded, being processed or being
#: written): at about 26 bytes per pixel through the pipeline, 64 MP is ~1.7 GB. One image is always
#: admitted, so a 108 MP photo is processed alone instead of with two more decoded behind it.
PIXELS_IN_FLIGHT = 64_000_000


@dataclass
class Job:
    source: str  # a path, or "-" for stdin
    target: str  # a path, or "-" for stdout
    relative: str  # how the job is named in messages


@dataclass
class Failure:
    name: str
    reason: str


@dataclass
class Plan:
    jobs: list[Job]
    failures: list[Failure] = field(default_factory=list)


@dataclass
class BatchReport:
    written: int = 0
    skipped: int = 0
    failures: list[Failure] = field(default_factory=list)


def plan_jobs(inputs: list[str], output: str | None, fmt: str | None, *, mask: bool = False) -> Plan:
    """Map inputs (files, folders searched recursively, globs, ``-``) to output paths.

    Folders keep their structure under ``output``; a single file may name its output file; with
    no ``output``, one file's result goes beside it as ``NAME.cutout.png`` (``NAME.mask.png``).
    """
    found: list[tuple[Path | str, str]] = []  # (source, relative name)
    failures: list[Failure] = []
    for item in inputs:
        if item == STDIO:
            found.append((STDIO, "<stdin>"))
            continue
        path = Path(item)
        if path.is_dir():
            earlier_results = _output_folder_within(path, output)  # `-o photos/cutouts` on a rerun
            files = sorted(
                p for p in path.rglob("*")
                if _is_image(p) and not _hidden(p.relative_to(path))
                and not (earlier_results and p.resolve().is_relative_to(earlier_results))
            )
            if not files:
                failures.append(Failure(item, "folder has no images"))
            found.extend((p, str(Path(path.name) / p.relative_to(path)) if len(inputs) > 1 else str(p.relative_to(path))) for p in files)
        elif path.is_file():
            found.append((path, path.name))
        elif glob.has_magic(item):
            matches = sorted(Path(m) for m in glob.glob(item, recursive=True) if Path(m).is_file())
            if not matches:
                failures.append(Failure(item, "no file matches this pattern"))
            base = Path(_magic_free_prefix(item))
            found.extend((m, str(m.relative_to(base)) if m.is_relative_to(base) else m.name) for m in matches)
        else:
            failures.append(Failure(item, "no such file or folder"))

    single_file = len(found) == 1 and len(inputs) == 1 and not Path(inputs[0]).is_dir()
    if output is not None and output != STDIO and single_file and Path(output).suffix.lower() in FORMATS_BY_EXTENSION \
            and not Path(output).is_dir():
        return Plan([Job(str(found[0][0]), output, found[0][1])], failures)
    extension = EXTENSION_BY_FORMAT[fmt or "PNG"]
    if output == STDIO or (output is None and found and found[0][0] == STDIO):
        if len(found) != 1:
            raise OutputError("output '-' (stdout) takes exactly one input")
        return Plan([Job(str(found[0][0]), STDIO, found[0][1])], failures)
    if output is None:
        if not found:  # nothing to write: report why (missing file, empty folder) rather than ask for -o
            return Plan([], failures)
        if not single_file:
            raise OutputError("several inputs or a folder need an output folder: add -o OUT_DIR")
        source = Path(found[0][0])
        suffix = ".mask" if mask else ".cutout"
        return Plan([Job(str(source), str(source.with_name(source.stem + suffix + extension)), found[0][1])], failures)

    out_dir = Path(output)
    if out_dir.exists() and not out_dir.is_dir():
        raise OutputError(f"{output}: exists and is not a folder (several inputs need an output folder)")
    targets: dict[Path, list[int]] = {}
    jobs = []
    for index, (source, relative) in enumerate(found):
        target = out_dir / Path(relative).with_suffix(extension)
        targets.setdefault(target, []).append(index)
        jobs.append(Job(str(source), str(target), relative))
    for target, indices in targets.items():
        if len(indices) > 1:  # photo.jpg and photo.png in one folder: keep both, named in full
            for index in indices:
                jobs[index].target = str(out_dir / (found[index][1] + extension))
    _number_duplicates(jobs)
    return Plan(jobs, failures)


def _number_duplicates(jobs: list[Job]) -> None:
    """The same name from two places (x/a.jpg and y/a.jpg given as files or globs) would still
    share one output: later ones get ``-2``, ``-3`` so no result overwrites another."""
    used: set[Path] = set()
    for job in jobs:
        target = candidate = Path(job.target)
        count = 1
        while candidate in used:
            count += 1
            candidate = target.with_name(f"{target.stem}-{count}{target.suffix}")
        used.add(candidate)
        job.target = str(candidate)


def _output_folder_within(folder: Path, output: str | None) -> Path | None:
    """The output folder when it lies strictly inside ``folder``: its files are results, not inputs."""
    if output is None or output == STDIO:
        return None
    out_dir, root = Path(output).resolve(), folder.resolve()
    return out_dir if out_dir != root and out_dir.is_relative_to(root) else None


def _is_image(path: Path) -> bool:
    return path.is_file() and path.suffix.lower() in IMAGE_EXTENSIONS


def _hidden(relative: Path) -> bool:
    return any(part.startswith(".") for part in relative.parts)


def _magic_free_prefix(pattern: str) -> str:
    parts = Path(pattern).parts
    prefix = []
    for part in parts:
        if glob.has_magic(part):
            break
        prefix.append(part)
    return str(Path(*prefix)) if prefix else "."


def check_targets(jobs: list[Job], *, overwrite: bool, skip_existing: bool) -> tuple[list[Job], int, list[Failure]]:
    """Drop jobs whose output exists (``skip_existing``), refuse to overwrite inputs or, unless
    ``overwrite``, existing files."""
    inputs = {Path(job.source).resolve() for job in jobs if job.source != STDIO}
    runnable, failures, skipped = [], [], 0
    for job in jobs:
        if job.target == STDIO:
            runnable.append(job)
            continue
        target = Path(job.target)
        if target.resolve() in inputs:
            failures.append(Failure(job.relative, f"output {target} would overwrite an input; choose another -o"))
        elif target.exists() and skip_existing:
            skipped += 1
        elif target.exists() and not overwrite:
            failures.append(Failure(job.relative, f"output {target} exists (use --skip-existing or --overwrite)"))
        else:
            runnable.append(job)
    return runnable, skipped, failures


def run_batch(
    jobs: list[Job],
    remover: Remover,
    fmt: str,
    *,
    max_pixels: int | None = None,
    prefetch: int = 3,
    io_threads: int = 2,
    batch_size: int = 1,
    pixels_in_flight: int = PIXELS_IN_FLIGHT,
    png_level: int = PNG_LEVEL,
    on_finished: Callable[[Job, str | None], None] = lambda job, error: None,
) -> BatchReport:
    """Decode ahead, run the model in this thread, encode and write behind; one bad file never
    stops the batch. ``on_finished(job, error)`` is called once per job, in order of completion.

    Up to ``prefetch`` images are decoded ahead, fewer when they are large: no image is read while
    ``pixels_in_flight`` pixels (from the files' headers) are decoded, processed or being written,
    unless nothing else is in flight.

    With ``batch_size`` > 1 (a session whose engine takes batches, e.g. CUDA), the first frames of
    up to that many decoded images go through the model in one call; refinement then uses those
    predictions, so the results are those of one image at a time."""
    report = BatchReport()
    prefetch = max(prefetch, 2 * batch_size)

    def decode(job: Job) -> DecodedImage:
        if job.source == STDIO:
            return decode_image(sys.stdin.buffer.read(), name="<stdin>", max_pixels=max_pixels)
        return decode_image(job.source, name=job.relative, max_pixels=max_pixels)

    def write(job: Job, frames, decoded: DecodedImage) -> None:
        data = encode_frames(frames, fmt, durations=[f.duration for f in decoded.frames], loop=decoded.loop,
                             png_level=png_level)
        if job.target == STDIO:
            sys.stdout.buffer.write(data)
            sys.stdout.buffer.flush()
        else:
            write_atomic(job.target, data)

    sizes: dict[int, int] = {}  # id(job) -> pixels while in flight

    def finish(job: Job, error: str | None) -> None:
        sizes.pop(id(job), None)
        if error is None:
            report.written += 1
        else:
            report.failures.append(Failure(job.relative, error))
        on_finished(job, error)

    with ThreadPoolExecutor(max_workers=io_threads, thread_name_prefix="alphacut-io") as pool:
        pending_reads: deque[tuple[Job, Future]] = deque()
        pending_writes: deque[tuple[Job, Future]] = deque()
        upcoming = deque(jobs)
        next_pixels: int | None = None  # header size of upcoming[0], read once even if held back

        def refill() -> None:
            nonlocal next_pixels
            while upcoming and len(pending_reads) < prefetch:
                if next_pixels is None:
                    next_pixels = header_pixels(upcoming[0])
                if sizes and sum(sizes.values()) + next_pixels > pixels_in_flight:
                    return
                job = upcoming.popleft()
                sizes[id(job)], next_pixels = next_pixels, None
                pending_reads.append((job, pool.submit(decode, job)))

        def drain_writes(keep: int) -> None:
            while len(pending_writes) > keep:
                job, future = pending_writes.popleft()
                finish(job, _error_of(future))

        predicted: dict[int, object] = {}

        def predict_ahead() -> None:
            """One model call for the next ``batch_size`` decoded images' frames."""
            ready = [f.result() for _, f in list(pending_reads)[:batch_size] if f.exception() is None]
            images = [frame.image for decoded in ready for frame in decoded.frames
                      if id(frame.image) not in predicted]
            if images:
                try:
                    predicted.update(zip(map(id, images), remover.session.predict_many(images)))
                except Exception:  # a batch that fails is retried image by image in process()
                    pass

        refill()
        while pending_reads or upcoming:
            if not pending_reads:  # the budget held the next image back: finish writes, then read it
                drain_writes(keep=0)
                refill()
                continue
            if batch_size > 1 and not predicted:
                predict_ahead()
            job, future = pending_reads.popleft()
            refill()
            error = _error_of(future)
            if error is not None:
                finish(job, error)
                continue
            decoded = future.result()
            try:
                frames = remover.process(decoded, predicted=predicted) if batch_size > 1 else remover.process(decoded)
            except AlphacutError as exc:
                finish(job, str(exc))
                continue
            except Exception as exc:  # a model failure on one image must not stop thousands
                finish(job, f"processing failed ({type(exc).__name__}: {exc})")
                continue
            finally:  # unused predictions go with their image (ids of freed objects are reused)
                for frame in decoded.frames:
                    predicted.pop(id(frame.image), None)
            pending_writes.append((job, pool.submit(write, job, frames, decoded)))
            drain_writes(keep=prefetch)
        drain_writes(keep=0)
    return report


def header_pixels(job: Job) -> int:
    """Width x height from the file's header (no decoding); 0 when unknown (stdin, unreadable:
    decoding reports those)."""
    if job.source == STDIO:
        return 0
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # the decoder applies the limit
            with Image.open(job.source) as image:
                return image.width * image.height
    except Exception:  # noqa: BLE001 - any failure is the decoder's to report, with its own message
        return 0


def _error_of(future: Future) -> str | None:
    exc = future.exception()
    return None if exc is None else describe_error(exc)


def describe_error(exc: BaseException) -> str:
    """One line for a failed file: our own errors as they are, OS errors with the file name."""
    if isinstance(exc, AlphacutError):
        return str(exc)
    if isinstance(exc, OSError):
        return f"{exc.strerror or exc}{': ' + exc.filename if exc.filename else ''}"
    return f"{type(exc).__name__}: {exc}"
