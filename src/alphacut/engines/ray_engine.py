"""The remove pipeline on Ray Data, for folders too big for one machine.

The driver plans the jobs exactly as the local engine does (:func:`alphacut.batch.plan_jobs`, or
the same naming rules over object-store listings) and hands Ray a dataset of ``(source, target)``
rows, not pixels. ``map_batches`` runs them on a fixed-size pool of actors
(``ActorPoolStrategy``): each actor loads the model once, then per row reads the bytes, decodes,
runs :class:`alphacut.pipeline.Remover`, encodes with :func:`alphacut.io.encode.encode_frames` and
writes atomically. Every step is the local engine's own code, so the files are byte-identical.
Rows are one image each, so a worker holds one decoded image at a time. A failure is returned as
the row's ``error`` and never fails the job.

Ray is optional: ``pip install 'alphacut[ray]'``. With no address a local Ray is started on this
machine; with ``--ray-address`` (``ray://head:10001`` or ``auto``) the job joins an existing
cluster, whose nodes need alphacut and the model installed (or a shared ``ALPHACUT_HOME``) and
must see the input and output locations (a shared file system or an object store).
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Callable

from alphacut.batch import IMAGE_EXTENSIONS, STDIO, BatchReport, Failure, Job, Plan, check_targets, plan_jobs
from alphacut.config import PNG_LEVEL
from alphacut.engines import storage
from alphacut.errors import AlphacutError, InputError, OutputError
from alphacut.io.encode import EXTENSION_BY_FORMAT
from alphacut.pipeline import RemoveOptions


def ray_available() -> bool:
    import importlib.util

    return importlib.util.find_spec("ray") is not None and importlib.util.find_spec("pyarrow") is not None


def require_ray() -> None:
    if not ray_available():
        raise InputError("--engine ray needs Ray Data: pip install 'alphacut[ray]'")


# --- planning --------------------------------------------------------------------------------------

def plan_any(inputs: list[str], output: str | None, fmt: str | None, *, mask: bool = False) -> Plan:
    """:func:`plan_jobs` for local paths; the same naming for object-store URIs (``s3://b/photos``)."""
    if STDIO in inputs or output == STDIO:
        raise InputError("--engine ray reads files and writes files: '-' (stdin/stdout) needs the local engine")
    if not any(storage.is_uri(item) for item in inputs) and not (output and storage.is_uri(output)):
        return plan_jobs(inputs, output, fmt, mask=mask)
    if output is None:
        raise OutputError("object-store inputs need an output folder or URI: add -o OUT")
    found: list[tuple[str, str]] = []
    failures: list[Failure] = []
    for item in inputs:
        if storage.is_uri(item):
            listed = [(uri, rel) for uri, rel in storage.list_files(item)
                      if PurePosixPath(rel).suffix.lower() in IMAGE_EXTENSIONS]
            if not listed:
                failures.append(Failure(item, "no images at this location"))
            name = PurePosixPath(item.rstrip("/").split("://", 1)[1]).name
            found.extend((uri, f"{name}/{rel}" if len(inputs) > 1 else rel) for uri, rel in listed)
        else:
            local = plan_jobs([item], os.devnull + ".dir", fmt, mask=mask)  # discovery only
            failures.extend(local.failures)
            base = Path(item).name
            found.extend((job.source, f"{base}/{job.relative}" if len(inputs) > 1 and Path(item).is_dir() else job.relative)
                         for job in local.jobs)
    extension = EXTENSION_BY_FORMAT[fmt or "PNG"]
    relatives = [str(PurePosixPath(rel).with_suffix(extension)) for _, rel in found]
    for index, rel in enumerate(relatives):  # photo.jpg beside photo.png: both kept, named in full
        if relatives.count(rel) > 1:
            relatives[index] = found[index][1] + extension
    used: set[str] = set()
    jobs = []
    for (source, relative), target_rel in zip(found, relatives):
        candidate, count = target_rel, 1
        while candidate in used:
            count += 1
            path = PurePosixPath(target_rel)
            candidate = str(path.with_name(f"{path.stem}-{count}{path.suffix}"))
        used.add(candidate)
        jobs.append(Job(source, storage.join(output, candidate), relative))
    return Plan(jobs, failures)


def check_any(jobs: list[Job], *, overwrite: bool, skip_existing: bool) -> tuple[list[Job], int, list[Failure]]:
    """:func:`check_targets` for local outputs; object-store outputs are checked by the workers
    (one request per file, spread over the cluster), inputs are never overwritten either way."""
    if not any(storage.is_uri(job.target) for job in jobs):
        return check_targets(jobs, overwrite=overwrite, skip_existing=skip_existing)
    sources = {job.source for job in jobs}
    runnable, failures = [], []
    for job in jobs:
        if job.target in sources:
            failures.append(Failure(job.relative, f"output {job.target} would overwrite an input; choose another -o"))
        else:
            runnable.append(job)
    return runnable, 0, failures


# --- the actor ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class WorkerConfig:
    model: str
    device: str
    runtime: str
    threads: int | None
    options: RemoveOptions
    fmt: str
    max_pixels: int | None
    overwrite: bool
    skip_existing: bool
    check_remote_targets: bool
    png_level: int = PNG_LEVEL


class RemoveWorker:
    """One per actor: the model is loaded in ``__init__`` and reused for every row."""

    def __init__(self, config: WorkerConfig):
        from alphacut.models import load_model
        from alphacut.pipeline import Remover

        self.config = config
        session = load_model(config.model, device=config.device, threads=config.threads, runtime=config.runtime)
        self.remover = Remover(session, config.options)

    def __call__(self, batch: dict) -> dict:
        import numpy as np

        statuses, errors = [], []
        for source, target, relative in zip(batch["source"], batch["target"], batch["relative"]):
            status, error = self.process_one(str(source), str(target), str(relative))
            statuses.append(status)
            errors.append(error or "")
        return {
            "index": np.asarray(batch["index"]),
            "worker": np.asarray([f"{os.uname().nodename}:{os.getpid()}"] * len(statuses), dtype=object),
            "peak_rss_mib": np.asarray([peak_rss_mib()] * len(statuses)),
            "status": np.asarray(statuses, dtype=object),
            "error": np.asarray(errors, dtype=object),
        }

    def process_one(self, source: str, target: str, relative: str) -> tuple[str, str | None]:
        from alphacut.batch import describe_error
        from alphacut.io.decode import decode_image
        from alphacut.io.encode import encode_frames

        config = self.config
        try:
            if config.check_remote_targets and storage.is_uri(target) and storage.exists(target):
                if config.skip_existing:
                    return "skipped", None
                if not config.overwrite:
                    return "failed", f"output {target} exists (use --skip-existing or --overwrite)"
            data = storage.read_bytes(source) if storage.is_uri(source) else source  # paths: decode's own messages
            decoded = decode_image(data, name=relative, max_pixels=config.max_pixels)
            frames = self.remover.process(decoded)
            encoded = encode_frames(frames, config.fmt, durations=[f.duration for f in decoded.frames], loop=decoded.loop,
                                    png_level=config.png_level)
            storage.write_bytes_atomic(target, encoded)
            return "written", None
        except Exception as exc:  # one bad file must not stop the job; the reason goes back to the driver
            return "failed", describe_error(exc)


def peak_rss_mib() -> int:
    """This process's peak resident memory so far (Linux reports KiB, macOS bytes)."""
    import resource
    import sys

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(peak / 1024 / (1024 if sys.platform == "darwin" else 1))


@dataclass
class RayReport(BatchReport):
    """The local engine's report plus each worker's peak resident memory (MiB)."""

    worker_peak_rss_mib: dict = field(default_factory=dict)


# --- running --------------------------------------------------------------------------------------

def connect(address: str | None, *, num_cpus: int | None = None) -> None:
    """Join the cluster at ``address``, or start (or reuse) a local Ray."""
    import ray

    if ray.is_initialized():
        return
    try:
        if address:
            ray.init(address=address, logging_level="WARNING", log_to_driver=False)
        else:
            ray.init(num_cpus=num_cpus, include_dashboard=False, logging_level="WARNING", log_to_driver=False)
    except Exception as exc:  # ConnectionError, RuntimeError...: one line, not a Ray traceback
        where = f"the Ray cluster at {address}" if address else "a local Ray"
        raise InputError(f"cannot start or reach {where} ({str(exc).splitlines()[0]})") from None


def cluster_resources() -> tuple[int, int]:
    import ray

    resources = ray.cluster_resources()
    return int(resources.get("CPU", 1)), int(resources.get("GPU", 0))


def pool_shape(workers: int | None, threads: int | None, device: str) -> tuple[int, int | None, float, float]:
    """(actors, threads per actor, CPUs reserved per actor, GPUs per actor) for this cluster.

    On CPUs each actor gets ``threads`` cores (default: up to 4) and there are as many actors as
    fit; on CUDA, one actor per GPU.
    """
    cpus, gpus = cluster_resources()
    if device == "cuda":
        if gpus == 0:
            from alphacut.errors import DeviceError

            raise DeviceError("--device cuda with --engine ray: the Ray cluster reports no GPU")
        return workers or gpus, threads, float(threads or 1), 1.0
    per_actor = threads or (min(4, cpus) if workers is None else max(1, cpus // workers))
    count = workers or max(1, cpus // per_actor)
    return count, per_actor, float(min(per_actor, cpus)), 0.0


def run_ray(
    jobs: list[Job],
    config: WorkerConfig,
    *,
    workers: int | None = None,
    address: str | None = None,
    on_finished: Callable[[Job, str | None], None] = lambda job, error: None,
) -> RayReport:
    """Run ``jobs`` on Ray Data; returns the local :func:`run_batch`'s report plus peak memory per worker."""
    require_ray()
    import ray

    connect(address)
    ray.data.DataContext.get_current().enable_progress_bars = False
    actors, threads, cpus_each, gpus_each = pool_shape(workers, config.threads, config.device)
    config = WorkerConfig(**{**config.__dict__, "threads": threads})
    if looks_like_local_file(config.model):  # workers may run in another folder
        config = WorkerConfig(**{**config.__dict__, "model": str(Path(config.model).resolve())})
    rows = [{"index": index, "source": _absolute(job.source), "target": _absolute(job.target), "relative": job.relative}
            for index, job in enumerate(jobs)]
    dataset = ray.data.from_items(rows, override_num_blocks=max(1, min(len(rows), actors * 4)))
    results = dataset.map_batches(
        RemoveWorker,
        fn_constructor_kwargs={"config": config},
        batch_size=1,
        compute=ray.data.ActorPoolStrategy(size=actors),
        num_cpus=cpus_each,
        num_gpus=gpus_each or None,
    )
    report = RayReport()
    try:
        for row in results.iter_rows():
            job = jobs[int(row["index"])]
            worker = str(row["worker"])
            report.worker_peak_rss_mib[worker] = max(report.worker_peak_rss_mib.get(worker, 0), int(row["peak_rss_mib"]))
            if row["status"] == "written":
                report.written += 1
                on_finished(job, None)
            elif row["status"] == "skipped":
                report.skipped += 1
                on_finished(job, None)
            else:
                report.failures.append(Failure(job.relative, row["error"]))
                on_finished(job, row["error"])
    except AlphacutError:
        raise
    except Exception as exc:  # the model failed to load on the workers, the cluster went away...
        raise InputError(f"the Ray job failed: {_root_cause(exc)}") from None
    return report


def looks_like_local_file(model: str) -> bool:
    from alphacut.models import looks_like_path

    return looks_like_path(model) and not storage.is_uri(model) and Path(model).is_file()


def _absolute(location: str) -> str:
    return location if storage.is_uri(location) else str(Path(location).resolve())


def _root_cause(exc: BaseException) -> str:
    """The first line of the innermost error Ray wrapped (an actor's ModelError, say)."""
    cause = getattr(exc, "cause", None) or exc.__cause__
    while cause is not None and (getattr(cause, "cause", None) or cause.__cause__) is not None:
        cause = getattr(cause, "cause", None) or cause.__cause__
    text = str(cause or exc).strip().splitlines()
    return text[-1] if text else type(exc).__name__
