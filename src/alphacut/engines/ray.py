"""The Ray engine: the remove pipeline on Ray Data, for folders too big for one machine.

The driver plans the jobs as for the local engine (:func:`alphacut.engines.plan.plan_jobs`, for
paths and object-store URIs) and hands Ray a dataset of ``(source, target)`` rows, not pixels.
``map_batches`` runs them on a fixed-size pool of actors (``ActorPoolStrategy``): each actor loads
the model once, then per row runs the steps of :mod:`alphacut.engines.steps` (check an object-store
target, read and decode, :class:`alphacut.pipeline.Remover`, encode and write atomically), the
local engine's own code, so the files are byte-identical. Rows are one image each, so a worker
holds one decoded image at a time. A failure is returned as the row's ``error`` and never fails
the job.

Ray is optional: ``pip install 'alphacut[ray]'``. With no address a local Ray is started on this
machine; with ``config.address`` (``ray://head:10001`` or ``auto``) the job joins an existing
cluster, whose nodes need alphacut and the model installed (or a shared ``ALPHACUT_HOME``) and
must see the input and output locations (a shared file system or an object store).
"""
from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from pathlib import Path

from alphacut.engines import storage
from alphacut.engines.plan import STDIO, BatchReport, EngineConfig, Failure, Job, OnFinished, describe_error
from alphacut.engines.steps import load_remover, process_and_write, read_source, skip_existing_target
from alphacut.errors import AlphacutError, DeviceError, InputError
from alphacut.models import looks_like_path


def ray_available() -> bool:
    import importlib.util

    return importlib.util.find_spec("ray") is not None and importlib.util.find_spec("pyarrow") is not None


def require_ray() -> None:
    if not ray_available():
        raise InputError("--engine ray needs Ray Data: pip install 'alphacut[ray]'")


def refuse_stdio(jobs: list[Job]) -> None:
    """Ray workers read files and write files: stdin and stdout stay with the local engine."""
    if any(STDIO in (job.source, job.target) for job in jobs):
        raise InputError("--engine ray reads files and writes files: '-' (stdin/stdout) needs the local engine")


# --- the actor ----------------------------------------------------------------------------------

class RemoveWorker:
    """One per actor: the model is loaded in ``__init__`` and reused for every row."""

    def __init__(self, config: EngineConfig):
        self.config = config
        self.remover = load_remover(config)

    def __call__(self, batch: dict) -> dict:
        import numpy as np

        statuses, errors = [], []
        for source, target, relative in zip(batch["source"], batch["target"], batch["relative"]):
            status, error = self.process_one(Job(str(source), str(target), str(relative)))
            statuses.append(status)
            errors.append(error or "")
        return {
            "index": np.asarray(batch["index"]),
            "worker": np.asarray([f"{os.uname().nodename}:{os.getpid()}"] * len(statuses), dtype=object),
            "peak_rss_mib": np.asarray([peak_rss_mib()] * len(statuses)),
            "status": np.asarray(statuses, dtype=object),
            "error": np.asarray(errors, dtype=object),
        }

    def process_one(self, job: Job) -> tuple[str, str | None]:
        """``("written" | "skipped" | "failed", reason)`` for one row."""
        try:
            if skip_existing_target(job, self.config):
                return "skipped", None
            process_and_write(job, self.remover, read_source(job, self.config), self.config)
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
            raise DeviceError("--device cuda with --engine ray: the Ray cluster reports no GPU")
        return workers or gpus, threads, float(threads or 1), 1.0
    per_actor = threads or (min(4, cpus) if workers is None else max(1, cpus // workers))
    count = workers or max(1, cpus // per_actor)
    return count, per_actor, float(min(per_actor, cpus)), 0.0


def run_ray(
    jobs: list[Job],
    config: EngineConfig,
    *,
    on_finished: OnFinished = lambda job, error: None,
) -> RayReport:
    """Run ``jobs`` on Ray Data with ``config.workers`` actors, on the cluster at ``config.address``
    or a local Ray; returns the local engine's report plus peak memory per worker."""
    refuse_stdio(jobs)
    require_ray()
    import ray

    connect(config.address)
    ray.data.DataContext.get_current().enable_progress_bars = False
    actors, threads, cpus_each, gpus_each = pool_shape(config.workers, config.threads, config.device)
    config = dataclasses.replace(config, threads=threads)
    if looks_like_local_file(config.model):  # workers may run in another folder
        config = dataclasses.replace(config, model=str(Path(config.model).resolve()))
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
