"""Column layout of a `DataGrid`: which columns fit a width, how wide each one is, and
cell text fitted to its width. Pure functions, no Textual.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from rich.cells import cell_len, set_cell_size

from mlops_tui.ui.widgets.grid_column import Column

__all__ = ["ELLIPSIS", "Slot", "fit", "label_width", "layout_columns"]

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


def label_width(column: Column[Any]) -> int:
    """Cells the header label needs."""
    return cell_len(column.label)


def layout_columns(
    columns: Sequence[Column[Any]],
    width: int,
    gutter: int = 0,
    needs: Mapping[str, int] | None = None,
    sorted_key: str | None = None,
) -> tuple[Slot, ...]:
    """Lay `columns` out in `width` cells, after a `gutter` (the mark column), one space apart.

    `needs` gives, per column key, the cells its widest cell needs (the header label
    counts too, and the sort arrow of the `sorted_key` column); a column missing from it
    needs its preferred `width`. Width 0 or less means "not laid out yet": every column
    at its preferred width.

    Each column starts at what it needs, capped at its preferred width. When that does
    not fit: 1. hide columns, the highest `priority` number first (the rightmost on a tie;
    0 is never hidden); 2. shrink, the hideable columns first (highest number first), then
    flex columns, then any, down to their `min_width`. Spare width then goes to the
    columns whose text is cut, up to what they need: the fixed ones first (a few cells
    make a method or a name whole), then hidden columns come back, narrowed, if there is
    room for them, then the flex text columns (summary, matchers...); only when nothing
    is cut does the rest go to the flex columns. So no cell is cut while blank width
    remains.
    """
    shown = list(columns)
    if width <= 0:
        widths = [c.width for c in shown]
    else:
        available = width - gutter
        need = [_need(c, needs, c.key == sorted_key) for c in shown]
        widths = [max(c.min_width, min(n, c.width)) for c, n in zip(shown, need)]

        def total() -> int:
            return sum(widths) + len(widths) - 1

        place = list(range(len(shown)))  # each shown column's place among `columns`
        hidden: list[tuple[int, Column[Any], int, int]] = []
        while total() > available and len(shown) > 1:
            candidates = [(c.priority, i) for i, c in enumerate(shown) if c.priority > 0]
            if not candidates:
                break
            _, index = max(candidates)
            hidden.append((place[index], shown[index], widths[index], need[index]))
            del shown[index], widths[index], need[index], place[index]
        for stage in _shrink_stages(shown):
            excess = total() - available
            while excess > 0:
                shrinkable = [i for i in stage if widths[i] > shown[i].min_width]
                if not shrinkable:
                    break
                step = max(1, excess // len(shrinkable))
                for i in shrinkable:
                    cut = min(step, widths[i] - shown[i].min_width, excess)
                    widths[i] -= cut
                    excess -= cut
                    if excess <= 0:
                        break
        # short (fixed) columns first: a few cells make them whole (a method, a model name,
        # the sorted header's arrow)
        _grow_cut([i for i, c in enumerate(shown) if not c.flex], widths, need, available - total())
        # then a hidden column comes back, narrowed, where the others leave it room (the most
        # important first, stopping at the first that does not fit: a less important one
        # never shows instead): better "rollback: v5 had…" than a blank stretch
        for where, column, basis, wanted in reversed(hidden):
            room = available - total() - 1
            if room < column.min_width:
                break
            at = sum(1 for p in place if p < where)
            shown.insert(at, column)
            widths.insert(at, min(basis, room))
            need.insert(at, wanted)
            place.insert(at, where)
        # then the long text columns, up to what they need; only then spare for the flex ones
        flex = [i for i, c in enumerate(shown) if c.flex]
        spare = _grow_cut(flex, widths, need, available - total())
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


def _need(column: Column[Any], needs: Mapping[str, int] | None, arrow: bool) -> int:
    if needs is None or column.key not in needs:
        return column.width
    return max(1, needs[column.key], label_width(column) + (2 if arrow else 0))


def _shrink_stages(shown: Sequence[Column[Any]]) -> list[list[int]]:
    """Which columns give up width first: each hideable one (least important first), then
    the flex ones, then all."""
    hideable = sorted((i for i, c in enumerate(shown) if c.priority > 0), key=lambda i: (-shown[i].priority, -i))
    return [
        *([i] for i in hideable),
        [i for i, c in enumerate(shown) if c.flex],
        list(range(len(shown))),
    ]


def _grow_cut(group: Sequence[int], widths: list[int], need: Sequence[int], spare: int) -> int:
    """Share `spare` among the cut columns of `group` (water-filling up to each one's
    need); returns what is left."""
    while spare > 0:
        cut = [i for i in group if widths[i] < need[i]]
        if not cut:
            break
        share = max(1, spare // len(cut))
        for i in cut:
            grow = min(share, need[i] - widths[i], spare)
            widths[i] += grow
            spare -= grow
            if spare <= 0:
                break
    return spare
