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
