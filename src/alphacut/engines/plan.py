"""What a batch run is, for every engine: inputs found and named as jobs, the checks on their
targets, the settings an engine runs them with, and the report it gives back.

Inputs are files, folders (searched by :func:`alphacut.io.files.list_images`), globs, ``-`` (stdin)
and object-store URIs (``s3://bucket/photos``); finding them (:func:`discover`) is apart from
naming their outputs (:func:`name_targets`), and one set of naming rules covers paths and URIs.
"""
from __future__ import annotations

import glob
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Callable, NamedTuple

from alphacut.config import PNG_LEVEL
from alphacut.engines import storage
from alphacut.errors import AlphacutError, OutputError
from alphacut.io.encode import EXTENSION_BY_FORMAT, FORMATS_BY_EXTENSION
from alphacut.io.files import is_image_path, list_images, remove_stale_temporaries
from alphacut.pipeline import RemoveOptions

STDIO = "-"

#: Decoding ahead stops while this many pixels are in flight (decoded, being processed or being
#: written): at about 26 bytes per pixel through the pipeline, 64 MP is ~1.7 GB. One image is always
#: admitted, so a 108 MP photo is processed alone instead of with two more decoded behind it.
PIXELS_IN_FLIGHT = 64_000_000


@dataclass
class Job:
    source: str  # a path, an object-store URI, or "-" for stdin
    target: str  # a path, an object-store URI, or "-" for stdout
    relative: str  # how the job is named in messages


#: ``on_finished(job, error)``: called once per job as it ends, ``error`` ``None`` when it was written or skipped
OnFinished = Callable[[Job, str | None], None]


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
    #: batched model calls that failed, whose images then ran one at a time (same results, slower)
    unbatched_predictions: int = 0


@dataclass(frozen=True)
class EngineConfig:
    """How an engine runs jobs: the model it loads, what to make of each image, how to write it.

    ``batch_size``, ``prefetch``, ``io_threads`` and ``pixels_in_flight`` tune the local engine's
    pipeline; ``workers`` and ``address`` the Ray engine's actor pool and cluster.
    """

    model: str
    options: RemoveOptions = field(default_factory=RemoveOptions)
    fmt: str = "PNG"
    device: str = "cpu"
    runtime: str = "auto"
    threads: int | None = None
    max_pixels: int | None = None  # None: ALPHACUT_MAX_PIXELS, else alphacut.config's default
    max_frames: int | None = None  # None: ALPHACUT_MAX_FRAMES, else alphacut.config's default
    overwrite: bool = False
    skip_existing: bool = False
    png_level: int = PNG_LEVEL
    batch_size: int | None = None  # images per model call; default: what the session takes well
    prefetch: int = 3  # images decoded ahead (at least twice the batch size)
    io_threads: int | None = None  # decode/encode threads; default: max(2, batch size)
    pixels_in_flight: int = PIXELS_IN_FLIGHT
    workers: int | None = None  # Ray: model actors (default: one per GPU, or per 4 CPUs)
    address: str | None = None  # Ray: the cluster to join (default: start a local Ray)


class Found(NamedTuple):
    """An input file: where it is, and its name relative to what the user gave (kept under the output)."""

    source: str
    relative: str


# --- planning ----------------------------------------------------------------------------------

def plan_jobs(inputs: list[str], output: str | None, fmt: str | None, *, mask: bool = False) -> Plan:
    """Map inputs (files, folders searched recursively, globs, ``-``, object-store URIs) to outputs.

    Folders keep their structure under ``output`` (a folder or a URI prefix); a single file may
    name its output file; with no ``output``, one local file's result goes beside it as
    ``NAME.cutout.png`` (``NAME.mask.png``).
    """
    found, failures = discover(inputs, output=output)
    return Plan(name_targets(found, inputs, output, fmt, mask=mask), failures)


def discover(inputs: list[str], *, output: str | None = None) -> tuple[list[Found], list[Failure]]:
    """The files ``inputs`` stand for, and a failure for each input that stands for none.

    ``output``: when it is a folder inside an input folder (``-o photos/cutouts`` on a rerun), the
    results there are not read back as inputs.
    """
    found: list[Found] = []
    failures: list[Failure] = []
    several = len(inputs) > 1
    for item in inputs:
        if item == STDIO:
            found.append(Found(STDIO, "<stdin>"))
        elif storage.is_uri(item):
            _discover_uri(item, several, found, failures)
        elif Path(item).is_dir():
            folder = Path(item)
            files = list_images(folder, exclude=_output_folder_within(folder, output))
            if not files:
                failures.append(Failure(item, "folder has no images"))
            found.extend(
                Found(str(p), str(Path(folder.name) / p.relative_to(folder)) if several else str(p.relative_to(folder)))
                for p in files
            )
        elif Path(item).is_file():
            found.append(Found(str(Path(item)), Path(item).name))
        elif glob.has_magic(item):
            # a pattern is taken literally, like the shell's: every matching file, image extension or not
            matches = sorted(Path(m) for m in glob.glob(item, recursive=True) if Path(m).is_file())
            if not matches:
                failures.append(Failure(item, "no file matches this pattern"))
            base = Path(_magic_free_prefix(item))
            found.extend(Found(str(m), str(m.relative_to(base)) if m.is_relative_to(base) else m.name) for m in matches)
        else:
            failures.append(Failure(item, "no such file or folder"))
    return found, failures


def _discover_uri(item: str, several: bool, found: list[Found], failures: list[Failure]) -> None:
    """An object (taken as it is, like a local file) or every image under a prefix (like a folder)."""
    listed = storage.list_files(item)
    if len(listed) == 1 and listed[0][0] == item:
        found.append(Found(item, listed[0][1]))
        return
    images = [(uri, relative) for uri, relative in listed if is_image_path(relative)]
    if not images:
        failures.append(Failure(item, "no images at this location"))
    folder = PurePosixPath(item.rstrip("/").split("://", 1)[1]).name
    found.extend(Found(uri, f"{folder}/{relative}" if several else relative) for uri, relative in images)


def name_targets(
    found: list[Found], inputs: list[str], output: str | None, fmt: str | None, *, mask: bool = False
) -> list[Job]:
    """The output of every file found: the rules of :func:`plan_jobs`, for paths and URIs alike.

    Under an output folder, two files that would share a name keep both: ``photo.jpg`` and
    ``photo.png`` are named in full (``photo.jpg.png``), the same name from two places gets
    ``-2``, ``-3``.
    """
    single_file = len(inputs) == 1 and len(found) == 1 and _names_one_file(inputs[0], found[0])
    if output is not None and output != STDIO and single_file and _suffix(output) in FORMATS_BY_EXTENSION \
            and not _is_local_folder(output):
        return [Job(found[0].source, output, found[0].relative)]
    extension = EXTENSION_BY_FORMAT[fmt or "PNG"]
    if output == STDIO or (output is None and found and found[0].source == STDIO):
        if len(found) != 1:
            raise OutputError("output '-' (stdout) takes exactly one input")
        return [Job(found[0].source, STDIO, found[0].relative)]
    if output is None:
        if not found:  # nothing to write: report why (missing file, empty folder) rather than ask for -o
            return []
        if not single_file:
            raise OutputError("several inputs or a folder need an output folder: add -o OUT_DIR")
        if storage.is_uri(found[0].source):
            raise OutputError("object-store inputs need an output folder or URI: add -o OUT")
        source = Path(found[0].source)
        suffix = ".mask" if mask else ".cutout"
        return [Job(found[0].source, str(source.with_name(source.stem + suffix + extension)), found[0].relative)]

    if not storage.is_uri(output) and Path(output).exists() and not _is_local_folder(output):
        raise OutputError(f"{output}: exists and is not a folder (several inputs need an output folder)")
    names = [str(PurePosixPath(entry.relative).with_suffix(extension)) for entry in found]
    sharing = Counter(names)
    names = [  # photo.jpg beside photo.png: both kept, named in full
        entry.relative + extension if sharing[name] > 1 else name for entry, name in zip(found, names)
    ]
    return [Job(entry.source, storage.join(output, name), entry.relative)
            for entry, name in zip(found, _numbered(names))]


def _numbered(names: list[str]) -> list[str]:
    """The same name from two places (x/a.jpg and y/a.jpg given as files or globs) would still
    share one output: later ones get ``-2``, ``-3`` so no result overwrites another."""
    used: set[str] = set()
    last_count: dict[str, int] = {}  # per name: numbers below it are taken, so thousands alike stay linear
    result = []
    for name in names:
        candidate = name
        if candidate in used:
            path, count = PurePosixPath(name), last_count.get(name, 1)
            while candidate in used:
                count += 1
                candidate = str(path.with_name(f"{path.stem}-{count}{path.suffix}"))
            last_count[name] = count
        used.add(candidate)
        result.append(candidate)
    return result


def _names_one_file(item: str, entry: Found) -> bool:
    """Whether the input names one file (not a folder or prefix that happens to hold one)."""
    if item == STDIO:
        return True
    if storage.is_uri(item):
        return entry.source == item
    return not Path(item).is_dir()


def _suffix(location: str) -> str:
    return PurePosixPath(location).suffix.lower() if storage.is_uri(location) else Path(location).suffix.lower()


def _is_local_folder(location: str) -> bool:
    return not storage.is_uri(location) and Path(location).is_dir()


def _output_folder_within(folder: Path, output: str | None) -> Path | None:
    """The output folder when it lies strictly inside ``folder``: its files are results, not inputs."""
    if output is None or output == STDIO or storage.is_uri(output):
        return None
    out_dir, root = Path(output).resolve(), folder.resolve()
    return out_dir if out_dir != root and out_dir.is_relative_to(root) else None


def _magic_free_prefix(pattern: str) -> str:
    prefix = []
    for part in Path(pattern).parts:
        if glob.has_magic(part):
            break
        prefix.append(part)
    return str(Path(*prefix)) if prefix else "."


# --- checking targets --------------------------------------------------------------------------

def check_targets(jobs: list[Job], *, overwrite: bool, skip_existing: bool) -> tuple[list[Job], int, list[Failure]]:
    """Refuse jobs that would overwrite an input; drop local ones whose output exists
    (``skip_existing``) and refuse them unless ``overwrite``. Returns (runnable, skipped, failures).

    Object-store targets are checked by the engine as each job runs (one request per file, spread
    over the workers: :func:`alphacut.engines.steps.skip_existing_target`), not here.

    Temporary files that a killed run left beside the local targets are removed first
    (:func:`alphacut.io.files.remove_stale_temporaries`), so a resumed run leaves none behind."""
    remove_stale_temporaries(job.target for job in jobs if job.target != STDIO and not storage.is_uri(job.target))
    inputs = {_identity(job.source) for job in jobs if job.source != STDIO}
    runnable, failures, skipped = [], [], 0
    for job in jobs:
        if job.target == STDIO:
            runnable.append(job)
        elif _identity(job.target) in inputs:
            failures.append(Failure(job.relative, f"output {job.target} would overwrite an input; choose another -o"))
        elif storage.is_uri(job.target):
            runnable.append(job)
        elif Path(job.target).exists() and skip_existing:
            skipped += 1
        elif Path(job.target).exists() and not overwrite:
            failures.append(Failure(job.relative, f"output {job.target} exists (use --skip-existing or --overwrite)"))
        else:
            runnable.append(job)
    return runnable, skipped, failures


def _identity(location: str) -> str | Path:
    return location if storage.is_uri(location) else Path(location).resolve()


def describe_error(exc: BaseException) -> str:
    """One line for a failed file: our own errors as they are, OS errors with the file name."""
    if isinstance(exc, AlphacutError):
        return str(exc)
    if isinstance(exc, OSError):
        return f"{exc.strerror or exc}{': ' + exc.filename if exc.filename else ''}"
    return f"{type(exc).__name__}: {exc}"
