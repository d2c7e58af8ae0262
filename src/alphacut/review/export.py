"""Writing a review's winners: the final cutouts, and image/mask pairs to train on.

Layout of ``OUT``::

    final/<name>.<ext>            the winning cutout, copied byte for byte
    training/images/<name>.<ext>  the original image
    training/masks/<name>.png     the winner's alpha as 8-bit grey (255 = subject)
    votes.csv                     every image: status, winner, agreement, votes per choice

``training/`` is an image + mask folder pair, the input ``alphacut dataset build`` takes. Images
whose vote is tied, "none is good", or below ``min_votes`` are not exported (see ``votes.csv``).
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image

from alphacut.errors import InputError, OutputError
from alphacut.io.encode import encode_frames
from alphacut.io.files import read_alpha, write_atomic
from alphacut.review.store import NONE_CHOICE, ReviewStore
from alphacut.review.tally import ItemTally, tally


@dataclass
class ExportReport:
    exported: list[str] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)  # name -> reason


def _status(entry: ItemTally, min_votes: int) -> str:
    if entry.total < min_votes:
        return "too few votes"
    if entry.winner is None:
        return "tie"
    if entry.winner == NONE_CHOICE:
        return "none is good"
    return "exported"


def mask_of(path: Path) -> Image.Image:
    """The alpha of a cutout as grey; a candidate without alpha is taken to be a mask already."""
    return Image.fromarray(read_alpha(path))


def export_review(store: ReviewStore, name: str, out: Path, *, min_votes: int = 1, overwrite: bool = False) -> ExportReport:
    items = store.items(name)
    tallies = tally(items, store.votes(name))
    final, images, masks = out / "final", out / "training" / "images", out / "training" / "masks"
    report = ExportReport()
    writes: list[tuple[Path, bytes]] = []
    for item, entry in zip(items, tallies):
        status = _status(entry, min_votes)
        if status != "exported":
            report.skipped[item.name] = status
            continue
        winner = Path(item.candidate(entry.winner).path)  # type: ignore[arg-type]
        source = Path(item.image_path)
        for path in (winner, source):
            if not path.is_file():
                raise InputError(f"{path}: file of review {name!r} is gone; restore it or delete the review")
        writes.append((final / f"{item.name}{winner.suffix.lower()}", winner.read_bytes()))
        writes.append((images / f"{item.name}{source.suffix.lower()}", source.read_bytes()))
        writes.append((masks / f"{item.name}.png", encode_frames([mask_of(winner)], "png")))
        report.exported.append(item.name)
    summary = out / "votes.csv"
    targets = [path for path, _ in writes] + [summary]
    existing = [path for path in targets if path.exists()]
    if existing and not overwrite:
        raise OutputError(f"{existing[0]} exists ({len(existing)} outputs in all); pass --overwrite to replace them")
    for path, data in writes:
        write_atomic(path, data)
    write_atomic(summary, _votes_csv(items, tallies, min_votes))
    return report


def _votes_csv(items, tallies: list[ItemTally], min_votes: int) -> bytes:
    labels: list[str] = []
    for item in items:
        for candidate in item.candidates:
            if candidate.label not in labels:
                labels.append(candidate.label)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["name", "status", "winner", "agreement", "votes", *[f"votes_{label}" for label in labels], "votes_none"])
    for entry in tallies:
        writer.writerow([
            entry.name, _status(entry, min_votes), entry.winner or "",
            "" if entry.agreement is None else f"{entry.agreement:.4f}", entry.total,
            *[entry.counts.get(label, 0) for label in labels], entry.counts.get(NONE_CHOICE, 0),
        ])
    return buffer.getvalue().encode()
