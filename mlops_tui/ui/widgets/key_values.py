"""A two-column table of names and values, every value shown literally."""

from __future__ import annotations

from collections.abc import Iterable

from rich.table import Table
from rich.text import Text
from textual.widgets import Static

from mlops_tui.ui.literal import visible


def key_value_table(rows: Iterable[tuple[str, object]], *, key_style: str = "bold") -> Table:
    table = Table(box=None, show_header=False, expand=True, pad_edge=False)
    table.add_column(style=key_style, no_wrap=True, ratio=1)
    table.add_column(ratio=3)
    for key, value in rows:
        cell = value if isinstance(value, Text) else Text(visible("" if value is None else value))
        table.add_row(Text(visible(key)), cell)
    return table


class KeyValues(Static):
    DEFAULT_CSS = """
    KeyValues { height: auto; padding: 0 1; }
    """

    def show(self, rows: Iterable[tuple[str, object]]) -> None:
        rows = list(rows)
        self.update(key_value_table(rows) if rows else Text("(none)", style="dim"))
