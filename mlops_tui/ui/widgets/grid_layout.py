"""Column layout of a `DataGrid`: which columns fit a width, how wide each one is, and
cell text fitted to its width. Pure functions, no Textual.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from rich.cells import cell_len, set_cell_size

from mlops_tui.ui.widgets.grid_column import Column

__all__ = ["ELLIPSIS", "Slot", "fit", "layout_columns"]

ELLIPSIS = "…"


@dataclass(frozen=True)
class Slot:
    """A column as laid out: its cell starts at `x` and is `width` cells wide."""

    column: Column[Any]
    x: int
    width: int


def fit(text: str, width: int, align: str = "left") -> str:
    """`text` padded or truncated (with an ellipsis) to exactly `width` cells."""
    length = len(text) if text.isascii() else cell_len(text)
    if length > width:
        if width <= 1:
            return ELLIPSIS[:width]
        text = set_cell_size(text, width - 1) + ELLIPSIS
        length = width
    if length == width:
        return text
    pad = " " * (width - length)
    return pad + text if align == "right" else text + pad


def layout_columns(columns: Sequence[Column[Any]], width: int, gutter: int = 0) -> tuple[Slot, ...]:
    """Lay `columns` out in `width` cells, after a `gutter` (the mark column), one space apart.

    Width 0 or less means "not laid out yet": every column at its preferred width. When the
    columns do not fit: 1. hide columns, the highest `priority` number first (the rightmost
    on a tie; 0 is never hidden); 2. shrink flex columns, then 3. any column, down to their
    `min_width`. Spare width is shared by the flex columns.
    """
    shown = list(columns)
    if width <= 0:
        widths = [c.width for c in shown]
    else:
        available = width - gutter

        def total() -> int:
            return sum(widths) + len(widths) - 1

        widths = [max(c.width, c.min_width) for c in shown]
        while total() > available and len(shown) > 1:
            candidates = [(c.priority, i) for i, c in enumerate(shown) if c.priority > 0]
            if not candidates:
                break
            _, index = max(candidates)
            del shown[index], widths[index]
        for shrink_flex in (True, False):
            excess = total() - available
            while excess > 0:
                shrinkable = [i for i, c in enumerate(shown) if (c.flex or not shrink_flex) and widths[i] > c.min_width]
                if not shrinkable:
                    break
                step = max(1, excess // len(shrinkable))
                for i in shrinkable:
                    cut = min(step, widths[i] - shown[i].min_width, excess)
                    widths[i] -= cut
                    excess -= cut
                    if excess <= 0:
                        break
        spare = available - total()
        flex = [i for i, c in enumerate(shown) if c.flex]
        if spare > 0 and flex:
            share, extra = divmod(spare, len(flex))
            for n, i in enumerate(flex):
                widths[i] += share + (1 if n < extra else 0)
    slots = []
    x = gutter
    for column, column_width in zip(shown, widths):
        slots.append(Slot(column, x, column_width))
        x += column_width + 1
    return tuple(slots)
