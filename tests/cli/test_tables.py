"""``alphacut.cli.tables.print_table``: Rich on a terminal, a full-width markdown table on a pipe."""
from __future__ import annotations

import io

import pytest

from alphacut.cli.tables import markdown_table, print_table

LONG = "a-value-much-longer-than-an-80-column-terminal-could-show-in-one-narrow-cell/" + "x" * 60


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_pipe_gets_markdown_with_every_value_in_full():
    stream = io.StringIO()
    print_table("set (2 images)", ("pipeline", "iou", "mae"), [(LONG, "0.9500", "0.0100"), ("raw", "0.5", "0.2")],
                right_aligned=("iou", "mae"), stream=stream)
    assert stream.getvalue().splitlines() == [
        "set (2 images)",
        "",
        "| pipeline | iou | mae |",
        "| --- | ---: | ---: |",
        f"| {LONG} | 0.9500 | 0.0100 |",
        "| raw | 0.5 | 0.2 |",
        "",
    ]


def test_pipes_and_newlines_inside_values_do_not_break_the_markdown():
    text = markdown_table(None, ("name", "note"), [("a|b", "two\nlines")])
    assert text.splitlines() == ["| name | note |", "| --- | --- |", "| a\\|b | two lines |", ""]


def test_a_terminal_gets_a_rich_table_and_values_are_not_read_as_markup():
    stream = Terminal()
    print_table(None, ("name", "interval"), [("raw", "[red]-0.1, 0.2[/red]")], stream=stream)
    shown = stream.getvalue()
    assert "| --- |" not in shown and "│" in shown  # Rich's column rule, not markdown
    assert "[red]-0.1, 0.2[/red]" in shown


def test_a_row_of_the_wrong_width_is_refused():
    with pytest.raises(ValueError, match="2 cells for 3 columns"):
        print_table(None, ("a", "b", "c"), [("1", "2")], stream=io.StringIO())
