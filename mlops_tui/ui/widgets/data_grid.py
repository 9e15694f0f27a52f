"""`DataGrid`: a generic, fast, keyboard-driven table for very many rows.

Textual's stock `DataTable` builds every cell up front; for 100,000 rows that takes
seconds. `DataGrid` keeps the rows as the caller's sequence of (frozen) objects and does
the minimum per change:

* Painting goes through the line API (`ScrollView.render_line`): only the visible lines
  are formatted, and each line's `Strip` is kept in an LRU keyed by
  ``(position in view, is cursor, width)`` which is cleared on any change.
* The display order is a list of row indices (`range(n)` when neither filtered nor
  sorted, so nothing is copied).
* Sorting computes a key list once per column (cached per rows object) and sorts row
  indices with ``key=keys.__getitem__``; ``None`` keys always go last.
* Filtering builds a lowercased text list per visible column once per rows object, on
  the first filter (or on `prepare_filter()`), and tests all rows with C-level
  ``map``/``bytes``/``compress`` loops. A query that extends the previous one only
  re-tests the rows that matched before.

All cell text goes through `visible()`: backend text is never parsed as markup and
control characters are drawn as symbols, never sent to the terminal.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Hashable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import compress, repeat
from typing import Any, Generic, Literal, TypeVar, overload

from rich.cells import cell_len, set_cell_size
from rich.errors import StyleSyntaxError
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding
from textual.cache import LRUCache
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from mlops_tui.ui.literal import visible

__all__ = ["Column", "DataGrid"]

T = TypeVar("T")

# Separates the columns of a row in the filter's haystack. `visible()` turns NUL into a
# symbol, so cell text never holds it and a match can never straddle two columns.
_SEP = "\x00"
_ELLIPSIS = "…"
_MARK = "●"
_SORT_ASC = "▲"
_SORT_DESC = "▼"
_NO_ROW = object()  # "no cursor row" for CursorMoved bookkeeping (None may be a real key)


@dataclass(frozen=True)
class Column(Generic[T]):
    """How one column of a `DataGrid` is drawn, filtered and sorted."""

    key: str
    label: str
    text: Callable[[T], str]
    """Display text of the cell (shown literally, through `visible()`)."""
    sort_key: Callable[[T], Any] | None = None
    """Sort key; defaults to the display text. May return None: None sorts last."""
    width: int = 10
    """Preferred width in cells."""
    min_width: int = 4
    flex: bool = False
    """Flex columns share the spare width (and are shrunk first when too narrow)."""
    align: Literal["left", "right"] = "left"
    priority: int = 0
    """When too narrow, the highest priority numbers are hidden first; 0 is never hidden."""
    style: Callable[[T], str | None] | None = None
    """Optional Rich style string for the cell, e.g. "bold red"."""


class _VisibleRows(Sequence[T]):
    """The rows after filter and sort, in display order, without copying them."""

    __slots__ = ("_order", "_rows")

    def __init__(self, rows: Sequence[T], order: Sequence[int]) -> None:
        self._rows = rows
        self._order = order

    def __len__(self) -> int:
        return len(self._order)

    @overload
    def __getitem__(self, index: int) -> T: ...

    @overload
    def __getitem__(self, index: slice) -> list[T]: ...

    def __getitem__(self, index: int | slice) -> T | list[T]:
        if isinstance(index, slice):
            return [self._rows[i] for i in self._order[index]]
        return self._rows[self._order[index]]

    def __iter__(self) -> Iterator[T]:
        return map(self._rows.__getitem__, self._order)

    def __repr__(self) -> str:
        return f"<visible rows: {len(self._order)}>"


@dataclass(frozen=True)
class _Slot:
    """A column as laid out: its cell starts at `x` and is `width` cells wide."""

    column: Column[Any]
    x: int
    width: int


def _fit(text: str, width: int, align: str) -> str:
    """`text` padded or truncated (with an ellipsis) to exactly `width` cells."""
    length = len(text) if text.isascii() else cell_len(text)
    if length > width:
        if width <= 1:
            return _ELLIPSIS[:width]
        text = set_cell_size(text, width - 1) + _ELLIPSIS
        length = width
    if length == width:
        return text
    pad = " " * (width - length)
    return pad + text if align == "right" else text + pad


def _safe_text(column: Column[Any], row: Any) -> str:
    try:
        text = column.text(row)
    except Exception:  # a bad formatter must not take the whole grid down
        return "?"
    return text if isinstance(text, str) else str(text)


def _column_texts(column: Column[Any], rows: Sequence[Any]) -> list[str]:
    """The raw display text of `column` for every row."""
    try:
        return list(map(column.text, rows))
    except Exception:
        return [_safe_text(column, row) for row in rows]


def _mixed_key(value: Any) -> tuple[str, str]:
    return (type(value).__name__, str(value))


def _ascending_of(column: Column[Any], rows: Sequence[Any]) -> tuple[list[int], int]:
    """Row indices in ascending order of `column` (None keys last), and the None count."""
    if column.sort_key is None:
        keys: list[Any] = _column_texts(column, rows)
    else:
        keys = []
        for row in rows:
            try:
                keys.append(column.sort_key(row))
            except Exception:
                keys.append(None)
    present = [i for i, k in enumerate(keys) if k is not None]
    nones = len(keys) - len(present)
    try:
        present.sort(key=keys.__getitem__)
    except TypeError:
        present.sort(key=lambda i: _mixed_key(keys[i]))
    if nones:
        present.extend(i for i, k in enumerate(keys) if k is None)
    return present, nones


def _lowered_column(column: Column[Any], rows: Sequence[Any]) -> list[str]:
    """The lowercased, `visible()` text of `column` for every row."""
    texts = _column_texts(column, rows)
    try:
        joined = "".join(texts)
    except TypeError:  # a formatter returned something other than str
        texts = [t if isinstance(t, str) else str(t) for t in texts]
        joined = "".join(texts)
    # Whole-column checks (C speed) so the common cases skip per-cell work:
    # no control characters -> `visible()` is the identity; already lowercase
    # (numbers, dates) -> reuse the very same strings.
    if visible(joined) != joined:
        texts = [visible(t) for t in texts]
        joined = "".join(texts)
    return texts if joined.lower() == joined else list(map(str.lower, texts))


class DataGrid(ScrollView, Generic[T], can_focus=True):
    """A keyboard-driven table that renders only what is visible.

    Line 0 is a fixed header; the rows follow. The cursor is a row; `enter` (or a click on
    the cursor row) posts `RowSelected`. See the module docstring for the performance model.
    """

    BINDINGS = [
        Binding("j,down", "cursor_down", "Down", show=False, id="grid.down"),
        Binding("k,up", "cursor_up", "Up", show=False, id="grid.up"),
        Binding("g,home", "cursor_top", "Top", show=False, id="grid.top"),
        Binding("G,end", "cursor_bottom", "Bottom", show=False, id="grid.bottom"),
        Binding("pageup", "page_up", "Page up", show=False, id="grid.page_up"),
        Binding("pagedown", "page_down", "Page down", show=False, id="grid.page_down"),
        Binding("ctrl+u", "half_page_up", "Half page up", show=False, id="grid.half_page_up"),
        Binding("ctrl+d", "half_page_down", "Half page down", show=False, id="grid.half_page_down"),
        Binding("enter", "select", "Select", show=False, id="grid.select"),
        Binding("s", "cycle_sort", "Sort", show=True, id="grid.sort"),
        Binding("S", "reverse_sort", "Reverse", show=True, id="grid.reverse"),
        Binding("space", "toggle_mark", "Mark", show=True, id="grid.mark"),
    ]

    COMPONENT_CLASSES = {
        "datagrid--header",
        "datagrid--cursor",
        "datagrid--marked",
        "datagrid--empty",
    }

    DEFAULT_CSS = """
    DataGrid {
        height: 1fr;
        background: $surface;
        color: $foreground;
        overflow-x: hidden;
        overflow-y: auto;

        & > .datagrid--header {
            text-style: bold;
            background: $panel;
            color: $foreground;
        }
        & > .datagrid--cursor {
            background: $primary 30%;
            color: $foreground;
        }
        &:focus > .datagrid--cursor {
            background: $primary;
            color: $block-cursor-foreground;
            text-style: bold;
        }
        & > .datagrid--marked {
            color: $accent;
        }
        & > .datagrid--empty {
            color: $text-muted;
            text-style: italic;
        }
    }
    """

    class _RowMessage(Message):
        def __init__(self, grid: DataGrid[Any], row: Any) -> None:
            self.grid = grid
            self.row = row
            super().__init__()

        @property
        def control(self) -> DataGrid[Any]:
            return self.grid

    class RowSelected(_RowMessage):
        """Posted on `enter`, or a click on the cursor row."""

    class CursorMoved(_RowMessage):
        """Posted when the cursor's row (by row key) changes; `row` is None when empty."""

    class SortChanged(Message):
        """Posted when the sort column or direction changes; `column` is None when unsorted."""

        def __init__(self, grid: DataGrid[Any], column: str | None, reverse: bool) -> None:
            self.grid = grid
            self.column = column
            self.reverse = reverse
            super().__init__()

        @property
        def control(self) -> DataGrid[Any]:
            return self.grid

    def __init__(
        self,
        columns: Sequence[Column[T]],
        *,
        row_key: Callable[[T], Hashable],
        markable: bool = False,
        empty_text: str = "Nothing to show",
        name: str | None = None,
        id: str | None = None,  # noqa: A002 - Textual's spelling
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        if not columns:
            raise ValueError("DataGrid needs at least one column")
        keys = [column.key for column in columns]
        if len(set(keys)) != len(keys):
            raise ValueError(f"duplicate column keys in {keys}")
        self._columns: tuple[Column[T], ...] = tuple(columns)
        self._column_by_key: dict[str, Column[T]] = {c.key: c for c in columns}
        self._row_key = row_key
        self._markable = markable
        self._empty_text = empty_text

        self._rows: Sequence[T] = ()
        self._rows_len = 0
        # Display order: indices into `_rows` after filter and sort.
        self._order: Sequence[int] = range(0)
        # The full (unfiltered) order for the current sort; computed lazily.
        self._full_order: Sequence[int] | None = None
        self._cursor = -1
        self._posted_key: object = _NO_ROW

        self._filter_text = ""
        self._query = ""
        self._filter_columns: tuple[str, ...] = ()
        self._sort_column: str | None = None
        self._sort_reverse = False
        self._marks: set[Hashable] = set()

        # Per rows object caches.
        self._lowered: dict[str, list[str]] = {}
        self._haystack_keys: tuple[str, ...] | None = None
        self._haystack_rows: list[str] = []
        self._sort_keys: dict[str, tuple[list[Any], bool]] = {}
        # Per column: every row index in ascending order (None keys last) and how many
        # trailing ones have a None key. Either order of a whole list is then a copy.
        self._ascending: dict[str, tuple[list[int], int]] = {}

        # Per width / per change caches.
        self._line_cache: LRUCache[tuple[Any, ...], Strip] = LRUCache(1024)
        self._layouts: dict[int, tuple[_Slot, ...]] = {}
        self._styles: dict[str, Style] = {}
        self._cell_styles: dict[str, Style] = {}

    # ------------------------------------------------------------------ properties

    @property
    def columns(self) -> tuple[Column[T], ...]:
        return self._columns

    @property
    def filter_text(self) -> str:
        return self._filter_text

    @property
    def sort_column(self) -> str | None:
        return self._sort_column

    @property
    def sort_reverse(self) -> bool:
        return self._sort_reverse

    @property
    def cursor_index(self) -> int:
        return self._cursor

    @property
    def cursor_row(self) -> T | None:
        if 0 <= self._cursor < len(self._order):
            return self._rows[self._order[self._cursor]]
        return None

    @property
    def visible_rows(self) -> Sequence[T]:
        return _VisibleRows(self._rows, self._order)

    @property
    def total_rows(self) -> int:
        return len(self._rows)

    @property
    def markable(self) -> bool:
        return self._markable

    @property
    def marked_keys(self) -> frozenset[Hashable]:
        return frozenset(self._marks)

    @property
    def marked_rows(self) -> list[T]:
        if not self._marks:
            return []
        marks, row_key = self._marks, self._row_key
        return [row for row in self._rows if row_key(row) in marks]

    @property
    def visible_columns(self) -> tuple[Column[T], ...]:
        """The columns shown at the current width (all of them before the first layout)."""
        return tuple(slot.column for slot in self._layout())

    # ------------------------------------------------------------------ public API

    def set_rows(self, rows: Sequence[T]) -> None:
        """Show `rows`, keeping filter, sort, marks and the cursor's row (by row key).

        Calling it again with the same (unchanged) sequence object is a no-op: pass a new
        sequence when the data changes.
        """
        if rows is self._rows and len(rows) == self._rows_len:
            return
        old_key = self._current_key()
        old_index = self._order[self._cursor] if self._cursor >= 0 else -1
        old_cursor = self._cursor

        self._rows = rows
        self._rows_len = len(rows)
        self._lowered.clear()
        self._haystack_keys = None
        self._haystack_rows = []
        self._sort_keys.clear()
        self._ascending.clear()
        self._full_order = None
        self._filter_columns = self._visible_keys()
        order = self._base_order()
        if self._query:
            order = self._filter(order, self._query)
        self._order = order

        cursor = -1
        if old_key is not _NO_ROW:
            index = self._find_row_index(old_key, hint=old_index)
            if index is not None:
                cursor = self._position_of(index)
        if cursor < 0 and order:
            cursor = min(max(old_cursor, 0), len(order) - 1)
        self._cursor = cursor if order else -1

        if self._marks:
            self._marks.intersection_update(map(self._row_key, rows))
        self._changed()
        self._maybe_warm_filter()

    def set_filter(self, text: str) -> None:
        """Case-insensitive substring filter over every visible column's text; "" clears."""
        if text == self._filter_text:
            return
        query = text.lower()
        previous = self._query
        self._filter_text = text
        if query == previous:  # only the case changed
            self.refresh()
            return
        self._query = query
        columns = self._visible_keys()
        old_row = self._order[self._cursor] if self._cursor >= 0 else None
        narrowing = previous and query.startswith(previous) and columns == self._filter_columns
        self._filter_columns = columns
        if not query:
            order = self._base_order()
        elif narrowing:
            order = self._filter(self._order, query)  # re-test the earlier matches only
        else:
            order = self._filter(self._base_order(), query)
        self._order = order
        self._cursor = self._locate(old_row, fallback=0)
        self._changed()

    def prepare_filter(self) -> None:
        """Build the filter's text cache now (e.g. when a filter input opens).

        Optional: the first `set_filter` builds it anyway.
        """
        self._haystack(self._visible_keys())

    def set_columns(self, columns: Sequence[Column[T]]) -> None:
        """Replace the columns (e.g. their texts depend on new data); keeps sort and filter."""
        columns = tuple(columns)
        if not columns:
            raise ValueError("DataGrid needs at least one column")
        self._columns = columns
        self._column_by_key = {c.key: c for c in columns}
        if self._sort_column not in self._column_by_key:
            self._sort_column, self._sort_reverse = None, False
        self._layouts.clear()
        self._clear_render_caches()
        self._rows_len = -1  # forces set_rows to rebuild every per-rows cache
        self.set_rows(self._rows)

    # Lists this long get their filter index built on a thread right after they arrive,
    # so the first keystroke of a filter finds it ready instead of paying ~0.5 s.
    WARM_FILTER_ROWS = 10_000

    def _maybe_warm_filter(self) -> None:
        """Schedule the filter index of a long list, once the screen has painted."""
        if len(self._rows) >= self.WARM_FILTER_ROWS and self.is_attached:
            # After the paint, and after a short idle: the thread shares the GIL with the UI.
            self.set_timer(0.3, self._start_filter_index, name="filter-index")

    def _start_filter_index(self) -> None:
        if not self.is_attached or not self.size.width:
            return
        keys = self._visible_keys()
        if self._haystack_keys == keys:
            return
        rows = self._rows
        # run_worker with a description: @work would repr() the 100k rows for one.
        self.run_worker(
            lambda: self._build_filter_index(rows, keys),
            thread=True,
            exclusive=True,
            group="datagrid-filter-index",
            description="filter index",
            exit_on_error=False,
        )

    def _build_filter_index(self, rows: Sequence[T], keys: tuple[str, ...]) -> None:
        columns = [self._column_by_key[key] for key in keys]
        parts = [_lowered_column(c, rows) for c in columns]
        haystack = parts[0] if len(parts) == 1 else list(map(_SEP.join, zip(*parts)))
        del parts  # only the joined index stays in memory
        self.app.call_from_thread(self._install_filter_index, rows, keys, haystack)
        # Then the ascending order of every shown column, so a sort is a list copy.
        for column in columns:
            if rows is not self._rows:
                return
            ascending = _ascending_of(column, rows)
            self.app.call_from_thread(self._install_ascending, rows, column.key, ascending)

    def _install_ascending(self, rows, key: str, ascending: tuple[list[int], int]) -> None:
        if rows is self._rows and key in self._column_by_key:
            self._ascending.setdefault(key, ascending)

    def _install_filter_index(self, rows, keys, haystack) -> None:
        if rows is not self._rows or self._haystack_keys == keys:
            return  # the data moved on, or the index was built meanwhile
        if any(key not in self._column_by_key for key in keys):
            return
        self._lowered.clear()
        self._haystack_keys = keys
        self._haystack_rows = haystack

    @property
    def sort_ready(self) -> bool:
        """True once every shown column's sort order is precomputed (benches)."""
        return all(key in self._ascending for key in self._visible_keys())

    @property
    def filter_ready(self) -> bool:
        """True once the filter index for the shown columns exists (tests and benches)."""
        return not self._rows or self._haystack_keys == self._visible_keys()
        self._haystack(self._visible_keys())

    def sort_by(self, column_key: str, reverse: bool = False) -> None:
        """Sort by a column (None values last in both directions)."""
        if column_key not in self._column_by_key:
            raise KeyError(f"no column {column_key!r}")
        self._set_sort(column_key, reverse)

    def cycle_sort(self) -> None:
        """Sort by the next visible column: unsorted -> first -> ... -> last -> unsorted."""
        keys = [column.key for column in self.visible_columns]
        if not keys:
            return
        if self._sort_column is None:
            self._set_sort(keys[0], False)
            return
        all_keys = [column.key for column in self._columns]
        start = all_keys.index(self._sort_column) + 1
        for key in all_keys[start:]:
            if key in keys:
                self._set_sort(key, False)
                return
        self._set_sort(None, False)

    def reverse_sort(self) -> None:
        """Flip the sort direction (unsorted: sort by the first column, descending)."""
        if self._sort_column is None:
            if self.visible_columns:
                self._set_sort(self.visible_columns[0].key, True)
        else:
            self._set_sort(self._sort_column, not self._sort_reverse)

    def clear_sort(self) -> None:
        """Back to the rows' own order."""
        self._set_sort(None, False)

    def move_cursor(self, index: int) -> None:
        """Move the cursor to `index` in the visible rows (clamped) and scroll to it."""
        if not self._order:
            return
        index = max(0, min(index, len(self._order) - 1))
        old = self._cursor
        if index != old:
            self._cursor = index
            self._refresh_row(old)
            self._refresh_row(index)
            self._post_cursor()
        self._scroll_to_cursor()

    def move_cursor_to_key(self, key: Hashable) -> bool:
        """Move the cursor to the visible row with row key `key`; False when not visible."""
        row_key, rows = self._row_key, self._rows
        for position, index in enumerate(self._order):
            if row_key(rows[index]) == key:
                self.move_cursor(position)
                return True
        return False

    def clear_marks(self) -> None:
        if self._marks:
            self._marks.clear()
            self._line_cache.clear()
            self.refresh()

    # ------------------------------------------------------------------ ordering

    def _base_order(self) -> Sequence[int]:
        """The unfiltered order for the current sort."""
        if self._sort_column is None:
            return range(len(self._rows))
        if self._full_order is None:
            self._full_order = self._whole_list_sorted(self._column_by_key[self._sort_column], self._sort_reverse)
        return self._full_order

    def _keys_for(self, column: Column[T]) -> tuple[list[Any], bool]:
        cached = self._sort_keys.get(column.key)
        if cached is None:
            if column.sort_key is None:
                keys: list[Any] = _column_texts(column, self._rows)
            else:
                try:
                    keys = list(map(column.sort_key, self._rows))
                except Exception:
                    keys = []
                    for row in self._rows:
                        try:
                            keys.append(column.sort_key(row))
                        except Exception:
                            keys.append(None)
            cached = (keys, None in keys)
            self._sort_keys[column.key] = cached
        return cached

    def _ascending_order(self, column: Column[T]) -> tuple[list[int], int]:
        cached = self._ascending.get(column.key)
        if cached is None:
            order = self._sorted(range(len(self._rows)), column, False)
            keys, has_none = self._keys_for(column)
            nones = keys.count(None) if has_none else 0
            cached = (order, nones)
            self._ascending[column.key] = cached
        return cached

    def _whole_list_sorted(self, column: Column[T], reverse: bool) -> list[int]:
        order, nones = self._ascending_order(column)
        if not reverse:
            return order
        present = len(order) - nones
        return order[present - 1 :: -1] + order[present:] if present else list(order)

    def _sorted(self, indices: Sequence[int], column: Column[T], reverse: bool) -> list[int]:
        keys, has_none = self._keys_for(column)
        nones: list[int] = []
        if has_none:  # split off the None keys: they go last in both directions
            present = list(map(operator.is_not, map(keys.__getitem__, indices), repeat(None)))
            nones = list(compress(indices, map(operator.not_, present)))
            indices = list(compress(indices, present))
        try:
            result = sorted(indices, key=keys.__getitem__, reverse=reverse)
        except TypeError:  # keys of mixed types: group by type name, then by text
            result = sorted(indices, key=lambda i: _mixed_key(keys[i]), reverse=reverse)
        if nones:
            result.extend(nones)
        return result

    def _set_sort(self, column_key: str | None, reverse: bool) -> None:
        if column_key == self._sort_column and reverse == self._sort_reverse:
            return
        old_row = self._order[self._cursor] if self._cursor >= 0 else None
        self._sort_column = column_key
        self._sort_reverse = reverse if column_key is not None else False
        self._full_order = None
        if not self._query:
            self._order = self._base_order()
        elif column_key is None:
            self._order = sorted(self._order)
        else:  # sort only the rows that pass the filter
            self._order = self._sorted(self._order, self._column_by_key[column_key], reverse)
        self._cursor = self._locate(old_row, fallback=0)
        self._changed()
        self.post_message(self.SortChanged(self, self._sort_column, self._sort_reverse))

    # ------------------------------------------------------------------ filtering

    def _lowered_texts(self, column: Column[T]) -> list[str]:
        """The lowercased, `visible()` text of `column` for every row (cached per rows)."""
        lowered = self._lowered.get(column.key)
        if lowered is None:
            lowered = _lowered_column(column, self._rows)
            self._lowered[column.key] = lowered
        return lowered

    def _haystack(self, keys: tuple[str, ...]) -> list[str]:
        """Per row, the lowered texts of the columns `keys` joined by NUL (cached)."""
        if self._haystack_keys != keys:
            columns = [self._lowered_texts(self._column_by_key[key]) for key in keys]
            if len(columns) == 1:
                self._haystack_rows = columns[0]
            else:
                self._haystack_rows = list(map(_SEP.join, zip(*columns)))
            self._haystack_keys = keys
            if len(self._rows) >= self.WARM_FILTER_ROWS:
                self._lowered.clear()  # long lists keep only the joined index in memory
        return self._haystack_rows

    def _filter(self, base: Sequence[int], query: str) -> list[int]:
        """The indices of `base` (kept in order) whose row has `query` in a visible column."""
        if not base or _SEP in query or not self._filter_columns:
            return []
        haystack = self._haystack(self._filter_columns)
        if isinstance(base, range) and base == range(len(haystack)):
            texts: Iterable[str] = haystack
        else:
            texts = map(haystack.__getitem__, base)
        return list(compress(base, map(operator.contains, texts, repeat(query))))

    # ------------------------------------------------------------------ cursor helpers

    def _current_key(self) -> object:
        row = self.cursor_row
        return _NO_ROW if row is None else self._row_key(row)

    def _find_row_index(self, key: object, hint: int) -> int | None:
        rows, row_key = self._rows, self._row_key
        if 0 <= hint < len(rows) and row_key(rows[hint]) == key:
            return hint
        try:
            return operator.indexOf(map(row_key, rows), key)
        except ValueError:
            return None

    def _position_of(self, index: int) -> int:
        order = self._order
        if isinstance(order, range):
            return index if index in order else -1
        try:
            return order.index(index)  # type: ignore[union-attr]
        except ValueError:
            return -1

    def _locate(self, row_index: int | None, fallback: int) -> int:
        if not self._order:
            return -1
        if row_index is not None:
            position = self._position_of(row_index)
            if position >= 0:
                return position
        return min(fallback, len(self._order) - 1)

    def _post_cursor(self) -> None:
        key = self._current_key()
        if key is self._posted_key or key == self._posted_key:
            return
        self._posted_key = key
        self.post_message(self.CursorMoved(self, self.cursor_row))

    def _page_height(self) -> int:
        return max(1, self.scrollable_content_region.height - 1)

    def _scroll_to_cursor(self) -> None:
        if self._cursor < 0:
            return
        height = self.scrollable_content_region.height - 1
        if height <= 0:
            return
        top = round(self.scroll_y)
        if self._cursor < top:
            target = self._cursor
        elif self._cursor > top + height - 1:
            target = self._cursor - height + 1
        else:
            return
        self.scroll_to(y=target, animate=False, force=True)

    def _refresh_row(self, position: int) -> None:
        if position >= 0:
            self.refresh_line(position + 1)  # +1: the header line

    def _changed(self) -> None:
        """After any change of rows, filter, sort or size: caches, scroll extent, repaint."""
        self._line_cache.clear()
        self._update_virtual_size()
        self.refresh()
        self._scroll_to_cursor()
        self._post_cursor()

    def _update_virtual_size(self) -> None:
        slots = self._layout()
        width = slots[-1].x + slots[-1].width if slots else 0
        self.virtual_size = Size(width, len(self._order) + 1)

    # ------------------------------------------------------------------ layout

    def _content_width(self) -> int:
        return self.scrollable_content_region.width

    def _visible_keys(self) -> tuple[str, ...]:
        return tuple(slot.column.key for slot in self._layout())

    def _layout(self, width: int | None = None) -> tuple[_Slot, ...]:
        if width is None:
            width = self._content_width()
        slots = self._layouts.get(width)
        if slots is None:
            slots = self._compute_layout(width)
            if len(self._layouts) > 8:
                self._layouts.clear()
            self._layouts[width] = slots
        return slots

    def _compute_layout(self, width: int) -> tuple[_Slot, ...]:
        gutter = 2 if self._markable else 0
        columns = list(self._columns)
        if width <= 0:  # not laid out yet: every column at its preferred width
            widths = [c.width for c in columns]
        else:
            available = width - gutter

            def total() -> int:
                return sum(widths) + len(widths) - 1

            widths = [max(c.width, c.min_width) for c in columns]
            # 1. hide columns, highest priority number first (the rightmost on a tie)
            while total() > available and len(columns) > 1:
                candidates = [(c.priority, i) for i, c in enumerate(columns) if c.priority > 0]
                if not candidates:
                    break
                _, index = max(candidates)
                del columns[index], widths[index]
            # 2. shrink flex columns, then 3. any column, down to their min widths
            for shrink_flex in (True, False):
                excess = total() - available
                while excess > 0:
                    shrinkable = [
                        i for i, c in enumerate(columns) if (c.flex or not shrink_flex) and widths[i] > c.min_width
                    ]
                    if not shrinkable:
                        break
                    step = max(1, excess // len(shrinkable))
                    for i in shrinkable:
                        cut = min(step, widths[i] - columns[i].min_width, excess)
                        widths[i] -= cut
                        excess -= cut
                        if excess <= 0:
                            break
            # 4. flex columns share the spare width
            spare = available - total()
            flex = [i for i, c in enumerate(columns) if c.flex]
            if spare > 0 and flex:
                share, extra = divmod(spare, len(flex))
                for n, i in enumerate(flex):
                    widths[i] += share + (1 if n < extra else 0)
        slots = []
        x = gutter
        for column, column_width in zip(columns, widths):
            slots.append(_Slot(column, x, column_width))
            x += column_width + 1
        return tuple(slots)

    # ------------------------------------------------------------------ rendering

    def _style(self, name: str) -> Style:
        style = self._styles.get(name)
        if style is None:
            base = self.rich_style
            style = base if name == "base" else base + self.get_component_rich_style(name)
            self._styles[name] = style
        return style

    def _cell_style(self, spec: str) -> Style:
        style = self._cell_styles.get(spec)
        if style is None:
            try:
                style = Style.parse(spec)
            except StyleSyntaxError:
                style = Style.null()
            self._cell_styles[spec] = style
        return style

    def _clear_render_caches(self) -> None:
        self._line_cache.clear()
        self._styles.clear()

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._clear_render_caches()

    def render_line(self, y: int) -> Strip:
        width = self._content_width()
        if y == 0:
            key: tuple[Any, ...] = ("header", width, self._sort_column, self._sort_reverse)
            strip = self._line_cache.get(key)
            if strip is None:
                strip = self._render_header(width)
                self._line_cache[key] = strip
            return strip
        position = round(self.scroll_y) + y - 1
        if not self._order:
            if y == 1:
                return self._render_empty(width)
            return Strip.blank(width, self._style("base"))
        if position >= len(self._order):
            return Strip.blank(width, self._style("base"))
        is_cursor = position == self._cursor
        key = (position, is_cursor, width)
        strip = self._line_cache.get(key)
        if strip is None:
            strip = self._render_row(position, is_cursor, width)
            self._line_cache[key] = strip
        return strip

    def _render_header(self, width: int) -> Strip:
        style = self._style("datagrid--header")
        segments = []
        x = 0
        for slot in self._layout(width):
            if slot.x > x:
                segments.append(Segment(" " * (slot.x - x), style))
            label = visible(slot.column.label)
            if slot.column.key == self._sort_column:
                arrow = _SORT_DESC if self._sort_reverse else _SORT_ASC
                # keep the arrow even when the label has to be truncated
                label = _fit(label, max(0, slot.width - 2), "left").rstrip() + " " + arrow
            segments.append(Segment(_fit(label, slot.width, slot.column.align), style))
            x = slot.x + slot.width
        return Strip(segments).adjust_cell_length(width, style)

    def _render_empty(self, width: int) -> Strip:
        if self._query and self._rows:
            text = f"No rows match {visible(self._filter_text)}"
        else:
            text = visible(self._empty_text)
        style = self._style("datagrid--empty")
        gutter = 2 if self._markable else 0
        line = " " * gutter + _fit(text, max(0, width - gutter), "left")
        return Strip([Segment(line, style)]).adjust_cell_length(width, style)

    def _render_row(self, position: int, is_cursor: bool, width: int) -> Strip:
        row = self._rows[self._order[position]]
        marked = self._markable and self._row_key(row) in self._marks
        if is_cursor:
            row_style = self._style("datagrid--cursor")
            if marked:
                row_style = self._style("datagrid--marked") + row_style
        elif marked:
            row_style = self._style("datagrid--marked")
        else:
            row_style = self._style("base")
        cursor_background = Style(bgcolor=row_style.bgcolor) if is_cursor else None

        segments = []
        x = 0
        if self._markable:
            segments.append(Segment(f"{_MARK} " if marked else "  ", row_style))
            x = 2
        for slot in self._layout(width):
            if slot.x > x:
                segments.append(Segment(" " * (slot.x - x), row_style))
            column = slot.column
            text = _fit(visible(_safe_text(column, row)), slot.width, column.align)
            style = row_style
            if column.style is not None:
                try:
                    spec = column.style(row)
                except Exception:
                    spec = None
                if spec:
                    style = row_style + self._cell_style(spec)
                    if cursor_background is not None:
                        style += cursor_background
            segments.append(Segment(text, style))
            x = slot.x + slot.width
        return Strip(segments).adjust_cell_length(width, row_style)

    # ------------------------------------------------------------------ events

    def on_mount(self) -> None:
        self._update_virtual_size()

    def on_resize(self, event: events.Resize) -> None:
        self._clear_render_caches()
        columns = self._visible_keys()
        if self._query and columns != self._filter_columns:
            old_row = self._order[self._cursor] if self._cursor >= 0 else None
            self._filter_columns = columns
            self._order = self._filter(self._base_order(), self._query)
            self._cursor = self._locate(old_row, fallback=0)
        self._changed()
        self._maybe_warm_filter()

    def on_focus(self, event: events.Focus) -> None:
        self._clear_render_caches()
        self.refresh()

    def on_blur(self, event: events.Blur) -> None:
        self._clear_render_caches()
        self.refresh()

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None:
            return
        event.stop()
        if offset.y == 0:
            for slot in self._layout():
                if slot.x <= offset.x < slot.x + slot.width:
                    key = slot.column.key
                    if key == self._sort_column:
                        self._set_sort(key, not self._sort_reverse)
                    else:
                        self._set_sort(key, False)
                    return
            return
        position = round(self.scroll_y) + offset.y - 1
        if 0 <= position < len(self._order):
            if position == self._cursor:
                self.action_select()
            else:
                self.move_cursor(position)

    # ------------------------------------------------------------------ actions

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "toggle_mark" and not self._markable:
            return False
        return True

    def action_cursor_down(self) -> None:
        self.move_cursor(self._cursor + 1)

    def action_cursor_up(self) -> None:
        self.move_cursor(self._cursor - 1)

    def action_cursor_top(self) -> None:
        self.move_cursor(0)

    def action_cursor_bottom(self) -> None:
        self.move_cursor(len(self._order) - 1)

    def action_page_down(self) -> None:
        self.move_cursor(self._cursor + self._page_height())

    def action_page_up(self) -> None:
        self.move_cursor(self._cursor - self._page_height())

    def action_half_page_down(self) -> None:
        self.move_cursor(self._cursor + max(1, self._page_height() // 2))

    def action_half_page_up(self) -> None:
        self.move_cursor(self._cursor - max(1, self._page_height() // 2))

    def action_select(self) -> None:
        row = self.cursor_row
        if row is not None:
            self.post_message(self.RowSelected(self, row))

    def action_cycle_sort(self) -> None:
        self.cycle_sort()

    def action_reverse_sort(self) -> None:
        self.reverse_sort()

    def action_toggle_mark(self) -> None:
        row = self.cursor_row
        if not self._markable or row is None:
            return
        key = self._row_key(row)
        if key in self._marks:
            self._marks.discard(key)
        else:
            self._marks.add(key)
        self._line_cache.clear()
        self._refresh_row(self._cursor)
        self.move_cursor(self._cursor + 1)
