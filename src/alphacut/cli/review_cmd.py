"""``alphacut review``: create a compare-and-vote review, follow it, export its winners."""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, List, Optional

import typer

from alphacut.cli.options import overwrite_option, review_db_option

if TYPE_CHECKING:
    from alphacut.review.plan import ReviewPlan

review_app = typer.Typer(help="People compare candidate cutouts and vote for the best (served on /review).", no_args_is_help=True)


@review_app.command("create", no_args_is_help=True)
def create(
    name: str = typer.Argument(..., help="The review's name."),
    more_candidates: Optional[List[Path]] = typer.Argument(None, hidden=True, metavar=""),
    images: Path = typer.Option(..., "--images", help="Folder of original images."),
    candidates: List[Path] = typer.Option(..., "--candidates", help="Candidate cutout folders (files matched to images by name): --candidates DIR_A DIR_B ..."),
    labels: Optional[str] = typer.Option(None, "--labels", help="Comma-separated label per candidate folder (default: folder names)."),
    unsure_of: Optional[str] = typer.Option(None, "--unsure-of", metavar="MODEL", help="Review only the images this model is unsure of (its per-image confidence below --below)."),
    below: float = typer.Option(0.99, "--below", min=0.0, max=1.0, help="With --unsure-of: the confidence under which an image is reviewed."),
    db: Optional[str] = review_db_option(),
) -> None:
    """Create a review of every image that has at least one same-named candidate (with --unsure-of,
    only those the model is unsure of)."""
    from alphacut.review import ReviewStore, plan_review

    folders = [*candidates, *(more_candidates or [])]
    plan = plan_review(images, folders, labels.split(",") if labels else None)
    if unsure_of is not None:
        plan = _unsure_part(plan, unsure_of, below)
        if not plan.items:
            typer.echo(f"{unsure_of} is sure (confidence >= {below:g}) of every image: nothing to review")
            return
    store = ReviewStore(db)
    store.create(name, plan.labels, plan.items)
    counts = {label: sum(1 for item in plan.items if any(c.label == label for c in item.candidates)) for label in plan.labels}
    per_label = ", ".join(f"{label}: {count}" for label, count in counts.items())
    typer.echo(f"review {name!r}: {len(plan.items)} images ({per_label}) in {store.describe()}")
    if plan.without_candidates:
        typer.echo(f"{len(plan.without_candidates)} images have no candidate and are left out", err=True)
    typer.echo(f"vote at http://127.0.0.1:8000/review?name={name} after: alphacut serve")


def _unsure_part(plan: "ReviewPlan", model: str, below: float) -> "ReviewPlan":
    """``plan`` cut down to the images ``model`` is unsure of; prints how many it left out."""
    from alphacut.errors import InputError
    from alphacut.models import load_model
    from alphacut.review.confidence import image_confidences
    from alphacut.review.plan import keep_unsure

    by_path = {Path(item.image_path): item.name for item in plan.items}
    found, failed = image_confidences(by_path, load_model(model))
    if failed:
        path, reason = next(iter(failed.items()))
        raise InputError(f"{path}: {reason}")
    selection = keep_unsure(plan, {by_path[path]: value for path, value in found.items()}, below)
    typer.echo(f"{model}: unsure (confidence < {below:g}) of {len(selection.plan.items)} of {len(plan.items)} images; "
               f"{len(selection.sure)} left out of the review", err=True)
    return selection.plan


@review_app.command("list")
def list_reviews(db: Optional[str] = review_db_option()) -> None:
    """Every review with its progress."""
    from alphacut.review import ReviewStore, progress, tally

    store = ReviewStore(db)
    for review in store.reviews():
        votes = store.votes(review.name)
        state = progress(tally(store.items(review.name), votes), votes)
        typer.echo(f"{review.name}: {state['voted_items']}/{state['items']} images voted, {state['votes']} votes, "
                   f"{len(state['reviewers'])} reviewers; candidates: {', '.join(review.labels)}")


@review_app.command("status", no_args_is_help=True)
def status(
    name: str = typer.Argument(..., help="The review's name."),
    db: Optional[str] = review_db_option(),
) -> None:
    """Votes, winner and agreement per image."""
    from alphacut.review import ReviewStore, progress, tally

    store = ReviewStore(db)
    votes = store.votes(name)
    tallies = tally(store.items(name), votes)
    for entry in tallies:
        counts = " ".join(f"{label}={count}" for label, count in entry.counts.items())
        agreement = "-" if entry.agreement is None else f"{entry.agreement:.0%}"
        typer.echo(f"{entry.name}\t{entry.winner or '-'}\t{agreement}\t{counts}")
    state = progress(tallies, votes)
    typer.echo(f"{state['voted_items']}/{state['items']} voted, {state['decided_items']} decided, "
               f"mean agreement {state['mean_agreement'] if state['mean_agreement'] is not None else '-'}", err=True)


@review_app.command("export", no_args_is_help=True)
def export(
    name: str = typer.Argument(..., help="The review's name."),
    output: Path = typer.Option(..., "-o", "--output", help="Folder for final/, training/ and votes.csv."),
    min_votes: int = typer.Option(1, "--min-votes", min=1, help="Images with fewer votes are not exported."),
    overwrite: bool = overwrite_option(),
    db: Optional[str] = review_db_option(),
) -> None:
    """Write the winners: final/ (the chosen cutouts) and training/{images,masks}/ for `alphacut dataset build`."""
    from alphacut.review import ReviewStore, export_review

    report = export_review(ReviewStore(db), name, output, min_votes=min_votes, overwrite=overwrite)
    reasons: dict[str, int] = {}
    for reason in report.skipped.values():
        reasons[reason] = reasons.get(reason, 0) + 1
    left = ", ".join(f"{count} {reason}" for reason, count in sorted(reasons.items())) or "none"
    typer.echo(f"{len(report.exported)} exported to {output}; not exported: {left}")


@review_app.command("delete", no_args_is_help=True)
def delete(
    name: str = typer.Argument(..., help="The review's name."),
    db: Optional[str] = review_db_option(),
) -> None:
    """Delete a review and its votes (the image files are not touched)."""
    from alphacut.review import ReviewStore

    ReviewStore(db).delete(name)
    typer.echo(f"review {name!r} deleted")
