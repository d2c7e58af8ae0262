"""Tables the commands print: Rich on a terminal, a markdown table when the stream is piped.

Rich fits a table to the terminal; on a pipe or a file it assumes 80 columns and cuts every
cell to a few characters, so ``alphacut eval 2> log`` kept nothing readable. Off a terminal the
table is written as markdown instead: pipe-separated, every value in full, and pasteable.
"""
from __future__ import annotations

import sys
from typing import Collection, Iterable, Optional, Sequence, TextIO


def print_table(
    title: Optional[str],
    columns: Sequence[str],
    rows: Iterable[Sequence[str]],
    *,
    right_aligned: Collection[str] = (),
    stream: Optional[TextIO] = None,
) -> None:
    """Print ``rows`` under ``columns`` to ``stream`` (default: stdout at call time).

    ``right_aligned`` names the columns (numbers) justified to the right.
    """
    out = sys.stdout if stream is None else stream
    cells = [[str(cell) for cell in row] for row in rows]
    for row in cells:
        if len(row) != len(columns):
            raise ValueError(f"a row has {len(row)} cells for {len(columns)} columns: {row}")
    if out.isatty():
        _print_rich(title, columns, cells, right_aligned, out)
    else:
        out.write(markdown_table(title, columns, cells, right_aligned=right_aligned))
        out.flush()


def markdown_table(
    title: Optional[str], columns: Sequence[str], rows: Iterable[Sequence[str]], *, right_aligned: Collection[str] = ()
) -> str:
    """The table as markdown text: an optional title line, header, alignment row, rows, blank line."""
    lines = [title, ""] if title else []
    lines.append(_markdown_row(columns))
    lines.append("| " + " | ".join("---:" if name in right_aligned else "---" for name in columns) + " |")
    lines.extend(_markdown_row([str(cell) for cell in row]) for row in rows)
    return "\n".join(lines) + "\n\n"


def _markdown_row(cells: Sequence[str]) -> str:
    # a '|' inside a value would start a new column, a newline a new row
    return "| " + " | ".join(cell.replace("|", "\\|").replace("\n", " ") for cell in cells) + " |"


def _print_rich(
    title: Optional[str], columns: Sequence[str], rows: list[list[str]], right_aligned: Collection[str], out: TextIO
) -> None:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    # Text(...) keeps values such as "[0.1, 0.2]" literal instead of reading them as Rich markup
    table = Table(title=Text(title) if title else None, show_edge=False)
    for name in columns:
        table.add_column(name, justify="right" if name in right_aligned else "left")
    for row in rows:
        table.add_row(*(Text(cell) for cell in row))
    Console(file=out).print(table)
