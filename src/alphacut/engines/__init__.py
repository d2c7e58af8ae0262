"""Where the remove pipeline runs over many images: this process (:mod:`alphacut.engines.local`)
or a Ray cluster (:mod:`alphacut.engines.ray`), behind one interface.

Plan with :func:`plan_jobs` and :func:`check_targets`, then ``run(jobs, config, engine=...)``
(or ``prepare(config, engine=...)`` first, to load the model before showing progress); both
engines load the model named in the :class:`EngineConfig`, run the same per-job steps
(:mod:`alphacut.engines.steps`) and return a :class:`BatchReport`.
"""
from __future__ import annotations

from functools import partial
from typing import Literal, Protocol

from alphacut.engines.local import run_local
from alphacut.engines.steps import load_remover
from alphacut.engines.plan import (
    STDIO, BatchReport, EngineConfig, Failure, Job, OnFinished, Plan, check_targets, plan_jobs,
)
from alphacut.engines.ray import RayReport, require_ray, run_ray

ENGINES = ("local", "ray")
EngineName = Literal["local", "ray"]

__all__ = [
    "ENGINES", "STDIO", "BatchReport", "EngineConfig", "Failure", "Job", "OnFinished", "Plan", "RayReport", "Runner",
    "check_targets", "plan_jobs", "prepare", "run", "run_local", "run_ray",
]


class Runner(Protocol):
    def __call__(self, jobs: list[Job], *, on_finished: OnFinished = ...) -> BatchReport: ...


def prepare(config: EngineConfig, *, engine: EngineName = "local") -> Runner:
    """The engine, ready to run jobs. The local engine loads the model now, so a model that
    cannot load fails before any progress is shown; the Ray engine checks that Ray is installed
    (its workers load the model when they start)."""
    if engine == "local":
        return partial(run_local, config=config, remover=load_remover(config))
    if engine == "ray":
        require_ray()
        return partial(run_ray, config=config)
    raise ValueError(f"unknown engine {engine!r}; use one of {', '.join(ENGINES)}")


def run(
    jobs: list[Job],
    config: EngineConfig,
    *,
    engine: EngineName = "local",
    on_finished: OnFinished = lambda job, error: None,
) -> BatchReport:
    """Run ``jobs`` on ``engine``; ``on_finished(job, error)`` is called once per job as it ends."""
    return prepare(config, engine=engine)(jobs, on_finished=on_finished)
