"""A Rich progress bar with rate and ETA for batches, on stderr so stdout stays clean."""
from __future__ import annotations

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

stderr = Console(stderr=True)


class BatchProgress:
    def __init__(self, total: int, *, enabled: bool = True, label: str = "cutting out"):
        self.total = total
        self.failed = 0
        self.progress = Progress(
            TextColumn(f"[bold]{label}"),
            BarColumn(),
            MofNCompleteColumn(),
            TaskProgressColumn(),
            TextColumn("{task.fields[rate]}"),
            TimeElapsedColumn(),
            TextColumn("eta"),
            TimeRemainingColumn(),
            console=stderr,
            disable=not enabled,
            transient=False,
        )
        self.task = self.progress.add_task("remove", total=total, rate="")

    def __enter__(self) -> "BatchProgress":
        self.progress.start()
        return self

    def __exit__(self, *exc) -> None:
        self.progress.stop()

    def advance(self, job, error: str | None) -> None:
        if error is not None:
            self.failed += 1
        self.progress.advance(self.task)
        task = self.progress.tasks[0]
        elapsed = task.elapsed or 0.0
        rate = task.completed / elapsed if elapsed > 0 else 0.0
        self.progress.update(self.task, rate=f"{rate:.2f} img/s" if rate else "")


def print_failures(failures) -> None:
    for failure in failures:
        reason = failure.reason if failure.reason.startswith(failure.name) else f"{failure.name}: {failure.reason}"
        stderr.print(f"[red]failed[/red] {reason}", markup=True, highlight=False, soft_wrap=True)


class StageProgress:
    """One Rich progress bar per stage of building the int8 form, on stderr; ``update`` is the
    ``progress`` callback of :func:`alphacut.models.fast_form.settle_fast_form`."""

    def __init__(self, name: str, *, enabled: bool = True):
        self.name = name
        self.progress = Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                                 TimeElapsedColumn(), console=stderr, transient=False, disable=not enabled)
        self.tasks: dict[str, int] = {}

    def __enter__(self) -> "StageProgress":
        self.progress.start()
        return self

    def __exit__(self, *exc) -> None:
        self.progress.stop()

    def update(self, stage: str, done: int, total: int) -> None:
        if stage not in self.tasks:
            self.tasks[stage] = self.progress.add_task(f"{self.name}: {stage}", total=total)
        self.progress.update(self.tasks[stage], completed=done, total=total)


def settle_on_first_run(model: str, *, runtime: str, device: str, threads: int | None = None, quiet: bool = False) -> None:
    """Build the int8 form of a built-in model installed before ``models install`` built it
    (:func:`alphacut.models.fast_form.first_run_pending`), once, with a progress bar; what it
    decided is said on stderr unless ``quiet``."""
    from alphacut.models.fast_form import first_run_pending, settle_fast_form

    spec = first_run_pending(model, runtime=runtime, device=device)
    if spec is None:
        return
    if not quiet:
        stderr.print(f"{spec.name}: installed before install built the int8 form; building it now, once "
                     f"('alphacut models install {spec.name} --no-optimize' skips it)", highlight=False)
    with StageProgress(spec.name, enabled=not quiet) as progress:
        line = settle_fast_form(spec, threads=threads, progress=progress.update)
    if not quiet:
        stderr.print(line, highlight=False)
