"""`DataGrid`: a generic, fast, keyboard-driven table for very many rows.

Textual's stock `DataTable` builds every cell up front; for 100,000 rows that takes
seconds. `DataGrid` keeps the rows as the caller's sequence of (frozen) objects and does
the minimum per change. It is split by concern:

* `row_index.RowIndex` (pure): display order after filter and sort, and the cursor; see
  its docstring for the sorting and filtering model.
* `grid_layout` (pure): which columns fit the width, their widths (from what their
  widest cell needs, measured here per rows object), truncation.
* `row_groups` (pure): the header lines of a grouped grid (`set_grouping`); the cursor
  then moves over lines, headers included, and `enter` on a header folds its group.
* this widget: painting, keys (`<` `>` `S` sort in every list), mouse, messages, the
  title's counts while filtering, and warming the index on a thread.

Painting goes through the line API (`ScrollView.render_line`): only the visible lines are
formatted, and each line's `Strip` is kept in an LRU keyed by ``(position in view, is
cursor, width)`` which is cleared on any change.

All cell text goes through `visible()`: backend text is never parsed as markup and
control characters are drawn as symbols, never sent to the terminal.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Hashable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from functools import partial
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from rich.cells import cell_len
from rich.errors import StyleSyntaxError
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.cache import LRUCache
from textual.content import Content
from textual.geometry import Offset, Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.widget import Widget

from mlops_tui.core.ui_turn import step_aside
from mlops_tui.ui import glyphs
from mlops_tui.ui.literal import visible
from mlops_tui.ui.textual_internals import set_virtual_size_in_place
from mlops_tui.ui.widgets.grid_column import Column, column_texts, safe_text
from mlops_tui.ui.widgets.grid_layout import Slot, fit, layout_columns
from mlops_tui.ui.widgets.row_groups import GroupHeader, GroupLines
from mlops_tui.ui.widgets.row_index import (
    NO_ROW,
    RowIndex,
    SortOrder,
    build_haystack,
    in_chunks,
    sort_keys_of,
    sort_order_from_keys,
)

__all__ = ["Column", "DataGrid"]

if TYPE_CHECKING:
    from textual.app import App

log = logging.getLogger(__name__)

# One thread builds every grid's filter index (and measures a long list's new rows), one job
# after another. A Textual thread worker did it before, and each died in a reference cycle (its
# task's context holds the worker, the worker its task) holding the rows it indexed: one or two
# a poll of a busy list, which only the deep collection (ui/idle_gc.py) could free. An
# executor's work item holds nothing once run.
_INDEXER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="mlops-tui-filter-index")


def _log_failure(done: Future[None]) -> None:
    error = done.exception()
    if error is not None and not isinstance(error, RuntimeError):  # RuntimeError: the app closed
        log.warning("building a list's filter index failed: %r", error)


T = TypeVar("T")

_MARK = glyphs.MARKED
# Textual's own border-title descriptor: `DataGrid.border_title` wraps it to show filter counts.
_WIDGET_BORDER_TITLE = Widget.__dict__["border_title"]
_WIDGET_BORDER_SUBTITLE = Widget.__dict__["border_subtitle"]
_SORT_ASC = glyphs.SORT_ASC
_SORT_DESC = glyphs.SORT_DESC


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
        # One sort scheme in every list (`s` is left to the screens: Alerts silence with it).
        Binding("less_than_sign", "sort_left", "Sort by the column to the left", show=False, id="grid.sort_left"),
        Binding("greater_than_sign", "sort_right", "Sort", show=True, id="grid.sort_right"),
        Binding("S", "reverse_sort", "Reverse", show=True, id="grid.reverse"),
        Binding("space", "toggle_mark", "Mark", show=True, id="grid.mark"),
    ]

    COMPONENT_CLASSES = {
        "datagrid--header",
        "datagrid--cursor",
        "datagrid--marked",
        "datagrid--empty",
        "datagrid--group",
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
        & > .datagrid--group {
            text-style: bold;
            color: $text-accent;
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
        noun: str = "rows",
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._index: RowIndex[T] = RowIndex(columns, row_key)  # checks the columns
        self._columns: tuple[Column[T], ...] = tuple(columns)
        self._row_key = row_key
        self._markable = markable
        self._empty_text = empty_text
        self.noun = noun
        """What the rows are, plural ("runs"): "No runs match …" while filtering."""
        self._posted_key: object = NO_ROW
        self._marks: set[Hashable] = set()

        # Per width / per change caches.
        self._line_cache: LRUCache[tuple[Any, ...], Strip] = LRUCache(1024)
        self._layouts: dict[tuple[int, str | None], tuple[Slot, ...]] = {}
        self._styles: dict[str, Style] = {}
        self._cell_styles: dict[str, Style] = {}
        # What each column's widest cell needs (per rows object), for the layout.
        self._needs: dict[str, int] = {}
        # Grouping (None: not grouped): the group of a row, the groups' order, folded ones.
        self._group_of: Callable[[T], str] | None = None
        self._group_rank: Callable[[str], Any] | None = None
        self._folded: set[str] = set()
        self._lines: GroupLines | None = None
        self._line_cursor = -1

    # ------------------------------------------------------------------ properties

    @property
    def columns(self) -> tuple[Column[T], ...]:
        return self._columns

    @property
    def filter_text(self) -> str:
        return self._index.filter_text

    @property
    def sort_column(self) -> str | None:
        return self._index.sort_column

    @property
    def sort_reverse(self) -> bool:
        return self._index.sort_reverse

    @property
    def cursor_index(self) -> int:
        """The cursor's line among the rows shown (group headers count as lines)."""
        return self._index.cursor if self._lines is None else self._line_cursor

    @property
    def cursor_row(self) -> T | None:
        """The row under the cursor; None when there is none or it is on a group header."""
        if self._lines is not None and self._lines.header_at(self._line_cursor) is not None:
            return None
        return self._index.cursor_row

    @property
    def cursor_group(self) -> GroupHeader | None:
        """The group header under the cursor, when grouped."""
        return None if self._lines is None else self._lines.header_at(self._line_cursor)

    @property
    def groups(self) -> tuple[GroupHeader, ...]:
        """The groups shown, in order (empty when not grouped)."""
        return () if self._lines is None else tuple(self._lines.headers)

    @property
    def border_title(self) -> str | None:
        """The title the screen gave; while a `/` filter is on, the border shows e.g.
        "Runs (37 of 100,000)" instead: the part before its first " (", with the counts.
        A grid's title is literal text, never markup: it may carry a model or backend name."""
        return getattr(self, "_own_title", None)

    @border_title.setter
    def border_title(self, title: str | None) -> None:
        self._own_title = title
        self._show_title()

    def _show_title(self) -> None:
        own = getattr(self, "_own_title", None)
        index = getattr(self, "_index", None)
        shown = own
        if index is not None and index.query:
            label = own.split(" (", 1)[0] if own else self.noun.capitalize()
            shown = f"{label} ({len(index.order):,} of {len(index.rows):,})"
        if shown != getattr(self, "_shown_title", None):
            self._shown_title = shown
            _WIDGET_BORDER_TITLE.__set__(self, None if shown is None else Content(shown))

    @property
    def border_subtitle(self) -> str | None:
        """As Textual's (markup). Assigning what is already shown does nothing: Textual repaints
        the whole widget on each assignment, and the views set it on every new snapshot, so each
        poll's rebuild of a long list put every line on screen through the styles cache again."""
        shown: str | None = _WIDGET_BORDER_SUBTITLE.__get__(self, type(self))
        return shown

    @border_subtitle.setter
    def border_subtitle(self, subtitle: Text | Content | str | None) -> None:
        # Content compares by its plain text alone: its markup tells a change of style too
        given = (type(subtitle), subtitle.markup if isinstance(subtitle, Content | Text) else subtitle)
        if given != getattr(self, "_given_subtitle", None):
            self._given_subtitle = given
            _WIDGET_BORDER_SUBTITLE.__set__(self, subtitle)

    @property
    def filtered(self) -> bool:
        """True while a `/` filter is on."""
        return bool(self._index.query)

    @property
    def visible_rows(self) -> Sequence[T]:
        """The rows shown, in display order (grouped: group by group, folded ones left out)."""
        if self._lines is None:
            return self._index.visible_rows
        rows, order = self._index.rows, self._index.order
        return [rows[order[p]] for p in self._lines.lines if p >= 0]

    @property
    def total_rows(self) -> int:
        return len(self._index.rows)

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
        return [row for row in self._index.rows if row_key(row) in marks]

    @property
    def slots(self) -> tuple[Slot, ...]:
        """The shown columns as laid out at the current width: where each starts, how wide."""
        return self._layout()

    @property
    def visible_columns(self) -> tuple[Column[T], ...]:
        """The columns shown at the current width (all of them before the first layout)."""
        return tuple(slot.column for slot in self._layout())

    # ------------------------------------------------------------------ public API

    def set_data(self, columns: Sequence[Column[T]], rows: Sequence[T]) -> None:
        """Show `rows` with `columns`: one rebuild, keeping filter, sort (when its column
        is still there), marks and the cursor's row (by row key).

        The way to show a new snapshot whose columns depend on the data. Passing the
        very same columns and the same unchanged rows object again is a no-op.
        """
        columns = tuple(columns)
        if columns == self._columns:
            self._apply(None, rows)
        else:
            self._apply(columns, rows)

    @property
    def empty_text(self) -> str:
        """What the grid says when it has no row (e.g. "unknown: ..." when a source failed)."""
        return self._empty_text

    @empty_text.setter
    def empty_text(self, text: str) -> None:
        if text != self._empty_text:
            self._empty_text = text
            if not self._index.visible_rows:
                self.refresh()

    def set_rows(self, rows: Sequence[T]) -> None:
        """Show `rows` with the current columns (see `set_data`).

        Calling it again with the same (unchanged) sequence object is a no-op: pass a new
        sequence when the data changes.
        """
        self._apply(None, rows)

    def set_columns(self, columns: Sequence[Column[T]]) -> None:
        """Replace the columns, keeping the rows; prefer `set_data` when both change."""
        self._apply(tuple(columns), self._index.rows)

    def _apply(self, columns: tuple[Column[T], ...] | None, rows: Sequence[T]) -> None:
        shown = self._shown_lines_now()
        if columns is not None:
            if not columns:
                raise ValueError("DataGrid needs at least one column")
            self._columns = columns
            self._layouts.clear()
            self._line_cache.clear()  # the styles stay: they follow the CSS, not the columns
        # a long list's filter text is built on a thread (see _maybe_warm_filter); until then a
        # filter reads the last rows' text for the rows that did not change
        reuse = len(rows) >= self.WARM_FILTER_ROWS
        was_long = len(self._index.rows) >= self.WARM_FILTER_ROWS
        if not self._index.set_data(rows, self._visible_keys(), columns, reuse_filter_text=reuse):
            return
        if reuse and was_long and self.is_attached and self._needs.keys() == {c.key for c in self._columns}:
            # a long list after a long list (a poll of the same storm) keeps the widths it has
            # until the indexing thread has measured the new rows: 1,000 rows' text, ~15 ms at
            # 10,000 alerts, on each poll's repaint and on the key that showed it otherwise
            _INDEXER.submit(self._measure_on_thread, self.app, rows, self._columns).add_done_callback(_log_failure)
        else:
            self._set_needs(self._measure(self._columns, rows))
        if self._marks:
            self._marks.intersection_update(map(self._row_key, rows))
        self._changed(shown)
        self._maybe_warm_filter()

    def _shown_lines_now(self) -> tuple[Offset, int, dict[int, Strip]] | None:
        """The lines on screen now, as rendered (from the line cache), with the scroll offset
        and width they were drawn at; None when the grid has not been drawn."""
        if not self.is_mounted or not self.size.height:
            return None
        width = self._content_width()
        strips = {}
        for y in range(self.scrollable_content_region.height):
            key = self._line_key(y, width)
            if key is not None and (strip := self._line_cache.get(key)) is not None:
                strips[y] = strip
        return self.scroll_offset, width, strips

    # Widths are measured on this many rows at most (a long list: the first ones).
    MEASURE_ROWS = 1_000

    def _measure(self, columns: Sequence[Column[T]], rows: Sequence[T]) -> dict[str, int]:
        """Per column, the cells its widest (measured) cell needs."""
        sample = rows if len(rows) <= self.MEASURE_ROWS else rows[: self.MEASURE_ROWS]
        needs: dict[str, int] = {}
        for column in columns:
            texts = column_texts(column, sample)
            try:
                joined = "".join(texts)
            except TypeError:  # a formatter returned something other than str
                texts = [safe_text(column, row) for row in sample]
                joined = "".join(texts)
            # whole-column checks (C speed): most columns are plain ASCII with no control characters
            if visible(joined) != joined:
                texts = [visible(text) for text in texts]
            widths = map(len, texts) if joined.isascii() else map(cell_len, texts)
            needs[column.key] = max(widths, default=0)
        return needs

    def _set_needs(self, needs: dict[str, int]) -> bool:
        """The columns' widths follow their content: whether they changed."""
        if needs == self._needs:
            return False
        self._needs = needs
        self._layouts.clear()
        self._line_cache.clear()
        self._index.set_filter_keys(self._visible_keys())  # a column may have appeared
        return True

    def _measure_on_thread(self, app: App[Any], rows: Sequence[T], columns: tuple[Column[T], ...]) -> None:
        """On the indexing thread: what `rows` need of each column, handed to the UI thread.
        Rows replaced meanwhile are left unmeasured (their successor's measure is queued)."""
        needs: dict[str, int] = {}
        for column in columns:  # 1-3 ms each
            if rows is not self._index.rows:
                return
            step_aside()  # a key being handled goes first (core/ui_turn.py)
            needs.update(self._measure((column,), rows))
        app.call_from_thread(self._install_needs, rows, needs)

    def _install_needs(self, rows: Sequence[T], needs: dict[str, int]) -> None:
        if rows is not self._index.rows:
            return
        shown = self._shown_lines_now()
        if self._set_needs(needs):
            self._changed(shown)

    @property
    def column_needs(self) -> dict[str, int]:
        """What each column's widest cell needs (tests)."""
        return dict(self._needs)

    def set_filter(self, text: str) -> None:
        """Case-insensitive substring filter over every visible column's text; "" clears."""
        if text == self._index.filter_text:
            return
        if self._index.set_filter(text, self._visible_keys()):
            self._changed()
        else:  # only the case changed: the same rows, a new "No rows match" text
            self.refresh()

    def prepare_filter(self) -> None:
        """Build the filter's text cache now (e.g. when a filter input opens).

        Optional: the first `set_filter` builds it anyway.
        """
        self._index.ensure_haystack(self._visible_keys())

    # Lists this long get their filter index built on a thread right after they arrive,
    # so the first keystroke of a filter finds it ready instead of paying ~0.5 s.
    WARM_FILTER_ROWS = 10_000

    def _maybe_warm_filter(self) -> None:
        """Schedule the filter index of a long list, once the screen has painted."""
        if len(self._index.rows) >= self.WARM_FILTER_ROWS and self.is_attached:
            # After the paint, and after a short idle: the thread shares the GIL with the UI.
            self.set_timer(0.3, self._start_filter_index, name="filter-index")

    def _start_filter_index(self) -> None:
        if not self.is_attached or not self.size.width:
            return
        keys = self._visible_keys()
        if self._index.has_haystack(keys):
            return
        rows = self._index.rows
        columns = [self._index.columns[key] for key in keys]
        _INDEXER.submit(self._build_filter_index, self.app, rows, columns).add_done_callback(_log_failure)

    def _build_filter_index(self, app: App[Any], rows: Sequence[T], columns: list[Column[T]]) -> None:
        """On the indexing thread: the filter text, then each shown column's sort order. Built a
        chunk of rows at a time, stepping aside for a key being handled (`in_chunks`). Rows
        replaced meanwhile (a newer snapshot's build is queued behind) are left unbuilt."""
        if rows is not self._index.rows:
            return
        keys = tuple(column.key for column in columns)
        haystack = in_chunks(partial(build_haystack, columns), rows)
        app.call_from_thread(self._install_haystack, rows, keys, haystack)
        del haystack
        for column in columns:  # then a whole-list sort is (nearly) a copy
            if rows is not self._index.rows:
                return
            order = sort_order_from_keys(in_chunks(partial(sort_keys_of, column), rows))
            step_aside()
            order.tie_groups()  # so the first descending sort is a copy too
            app.call_from_thread(self._install_sort_order, rows, column.key, order)

    def _install_haystack(self, rows: Sequence[T], keys: tuple[str, ...], haystack: list[str]) -> None:
        shown = self._shown_lines_now()
        if self._index.install_haystack(rows, keys, haystack):
            self._changed(shown)  # filtered again with the exact text: mostly the same lines

    def _install_sort_order(self, rows: Sequence[T], key: str, order: SortOrder) -> None:
        self._index.install_sort_order(rows, key, order)

    @property
    def sort_ready(self) -> bool:
        """True once every shown column's sort order is precomputed (benches)."""
        return all(self._index.has_sort_order(key) for key in self._visible_keys())

    @property
    def filter_ready(self) -> bool:
        """True once the filter index for the shown columns exists (tests and benches)."""
        return not self._index.rows or self._index.has_haystack(self._visible_keys())

    def sort_by(self, column_key: str, reverse: bool = False) -> None:
        """Sort by a column, stably (None values last in both directions)."""
        if column_key not in self._index.columns:
            raise KeyError(f"no column {column_key!r}")
        self._set_sort(column_key, reverse)

    def move_sort(self, step: int) -> None:
        """Sort by the shown column `step` places right (left when negative) of the sorted
        one, ascending; wraps around. Unsorted: `>` picks the first column, `<` the last."""
        keys = [column.key for column in self.visible_columns]
        if not keys:
            return
        current = self._index.sort_column
        if current in keys:
            target = keys[(keys.index(current) + step) % len(keys)]
        else:
            target = keys[0] if step > 0 else keys[-1]
        self._set_sort(target, False)

    def reverse_sort(self) -> None:
        """Flip the sort direction (unsorted: sort by the first column, descending)."""
        current = self._index.sort_column
        if current is None:
            if self.visible_columns:
                self._set_sort(self.visible_columns[0].key, True)
        else:
            self._set_sort(current, not self._index.sort_reverse)

    def clear_sort(self) -> None:
        """Back to the rows' own order."""
        self._set_sort(None, False)

    def _set_sort(self, column_key: str | None, reverse: bool) -> None:
        if not self._index.set_sort(column_key, reverse):
            return
        self._index.set_filter_keys(self._visible_keys())  # the arrow's room may hide a column
        self._changed()
        self.post_message(self.SortChanged(self, self._index.sort_column, self._index.sort_reverse))

    def move_cursor(self, index: int) -> None:
        """Move the cursor to line `index` of the shown rows (clamped) and scroll to it.

        Grouped, the lines are the group headers and the rows of unfolded groups.
        """
        lines = self._lines
        if lines is None:
            old = self._index.cursor
            if self._index.move_cursor(index):
                self._refresh_row(old)
                self._refresh_row(self._index.cursor)
                self._post_cursor()
        elif len(lines):
            old = self._line_cursor
            line = max(0, min(index, len(lines) - 1))
            if line != old:
                self._line_cursor = line
                position = lines.position_at(line)
                if position >= 0:
                    self._index.move_cursor(position)
                self._refresh_row(old)
                self._refresh_row(line)
                self._post_cursor()
        self._scroll_to_cursor()

    def move_cursor_to_key(self, key: Hashable) -> bool:
        """Move the cursor to the visible row with row key `key`; False when not visible."""
        position = self._index.position_of_key(key)
        if position < 0:
            return False
        if self._lines is not None:
            position = self._lines.line_of_position(position)
            if self._lines.header_at(position) is not None:
                return False  # in a folded group
        self.move_cursor(position)
        return True

    # ------------------------------------------------------------------ grouping

    def set_grouping(self, group_of: Callable[[T], str] | None, rank: Callable[[str], Any] | None = None) -> None:
        """Show a header line per group (`group_of(row)`), groups in `rank` order (else in
        order of their first row); None: no groups. Folded groups stay folded by label."""
        if group_of is self._group_of and rank is self._group_rank:
            return
        self._group_of, self._group_rank = group_of, rank
        self._line_cursor = -1
        self._changed()

    def toggle_fold(self, label: str) -> None:
        """Fold the group `label` if open, else unfold it; the cursor stays on its header."""
        if label in self._folded:
            self._folded.discard(label)
        else:
            self._folded.add(label)
        self._changed()

    def _regroup(self) -> None:
        """After a change: the lines of the groups, the cursor on the same header or row."""
        group_of = self._group_of
        if group_of is None:
            self._lines = None
            return
        old = self._lines
        on_header = old.header_at(self._line_cursor) if old is not None else None
        rows, order = self._index.rows, self._index.order

        def label(index: int) -> str:
            try:
                return str(group_of(rows[index]))
            except Exception:
                return "?"

        lines = GroupLines([label(i) for i in order], self._folded, self._group_rank)
        self._lines = lines
        line = -1
        if on_header is not None:
            line = lines.line_of_group(on_header.label)
        if line < 0 and self._index.cursor >= 0:
            line = lines.line_of_position(self._index.cursor)
        if line < 0 and len(lines):
            line = min(max(self._line_cursor, 0), len(lines) - 1)
        self._line_cursor = line

    def _shown_lines(self) -> int:
        return len(self._index.order) if self._lines is None else len(self._lines)

    def clear_marks(self) -> None:
        if self._marks:
            self._marks.clear()
            self._line_cache.clear()
            self.refresh()

    # ------------------------------------------------------------------ cursor helpers

    def _post_cursor(self) -> None:
        header = self.cursor_group
        key = self._index.cursor_key if header is None else ("group header", header.label)
        if key is self._posted_key or key == self._posted_key:
            return
        self._posted_key = key
        self.post_message(self.CursorMoved(self, self.cursor_row))

    def _page_height(self) -> int:
        return max(1, self.scrollable_content_region.height - 1)

    def _scroll_to_cursor(self) -> None:
        cursor = self.cursor_index
        if cursor < 0:
            return
        height = self.scrollable_content_region.height - 1
        if height <= 0:
            return
        top = round(self.scroll_y)
        if cursor < top:
            target = cursor
        elif cursor > top + height - 1:
            target = cursor - height + 1
        else:
            return
        self.scroll_to(y=target, animate=False, force=True)

    def _refresh_row(self, position: int) -> None:
        if position >= 0:
            self.refresh_line(position + 1)  # +1: the header line

    def _changed(self, shown: tuple[Offset, int, dict[int, Strip]] | None = None) -> None:
        """After any change of rows, filter, sort or size: caches, scroll extent, repaint.

        `shown`: the lines on screen before new rows came (`_shown_lines_now`). When the grid
        stays where it was, only the lines that now render differently are repainted: a poll
        that changed nothing on screen (most polls, and every poll of a backend that is down)
        repaints nothing, instead of every line (15-25 ms at 160x48 that a keystroke
        arriving then waited for)."""
        self._line_cache.clear()
        if self._group_of is not None or self._lines is not None:
            self._regroup()
        self._show_title()
        self._update_virtual_size()
        self._scroll_to_cursor()
        if shown is None or not self._repaint_changed_lines(*shown):
            self.refresh()
        self._post_cursor()

    def _repaint_changed_lines(self, scroll: Offset, width: int, before: dict[int, Strip]) -> bool:
        """Repaint the lines that differ from `before`; False when the grid moved or was
        resized (then everything is repainted)."""
        if self.scroll_offset != scroll or self._content_width() != width:
            return False
        top = self.scroll_offset.y
        for y in range(self.scrollable_content_region.height):
            if self.render_line(y) != before.get(y):  # renders into the line cache
                self.refresh_lines(top + y)
        return True

    def _update_virtual_size(self) -> None:
        slots = self._layout()
        width = slots[-1].x + slots[-1].width if slots else 0
        size = Size(width, self._shown_lines() + 1)
        if size == self.virtual_size:
            return
        if self._scrollbars_stay(size):
            # Only the scroll extent changed (a filter or a poll changed the row count of a
            # list that scrolls before and after): no widget moves, so the screen is not laid
            # out again, a whole-screen arrange and repaint a keystroke would wait for.
            set_virtual_size_in_place(self, size)
        else:
            self.virtual_size = size

    def _scrollbars_stay(self, size: Size) -> bool:
        """Whether the scrollbars shown now are the ones shown with `size` as virtual size."""
        old = self.virtual_size
        height = self.container_size.height
        if not height or size.width != old.width:
            return False
        return self.styles.overflow_y != "auto" or (old.height > height and size.height > height)

    # ------------------------------------------------------------------ layout

    def _content_width(self) -> int:
        return self.scrollable_content_region.width

    def _visible_keys(self) -> tuple[str, ...]:
        return tuple(slot.column.key for slot in self._layout())

    def _layout(self, width: int | None = None) -> tuple[Slot, ...]:
        if width is None:
            width = self._content_width()
        sort_column = self._index.sort_column
        slots = self._layouts.get((width, sort_column))
        if slots is None:
            slots = layout_columns(
                self._columns, width, gutter=2 if self._markable else 0, needs=self._needs, sorted_key=sort_column
            )
            if len(self._layouts) > 8:
                self._layouts.clear()
            self._layouts[(width, sort_column)] = slots
        return slots

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

    def _line_key(self, y: int, width: int) -> tuple[Any, ...] | None:
        """What line `y` of the grid shows, as its key in the line cache: the header, a row or
        group line (with whether the cursor is on it), or a blank line below the rows; None for
        the empty-list line, which is never cached (it is always repainted)."""
        if y == 0:
            return ("header", width, self._index.sort_column, self._index.sort_reverse)
        if not self._index.order:
            return None if y == 1 else ("blank", width)
        line = round(self.scroll_y) + y - 1
        if line >= self._shown_lines():
            return ("blank", width)
        return (line, line == self.cursor_index, width)

    def render_line(self, y: int) -> Strip:
        width = self._content_width()
        key = self._line_key(y, width)
        if key is None:
            return self._render_empty(width)
        strip = self._line_cache.get(key)
        if strip is None:
            strip = self._line_cache[key] = self._render_uncached(key, width)
        return strip

    def _render_uncached(self, key: tuple[Any, ...], width: int) -> Strip:
        kind = key[0]
        if kind == "header":
            return self._render_header(width)
        if kind == "blank":
            return Strip.blank(width, self._style("base"))
        line, is_cursor = key[0], key[1]
        header = None if self._lines is None else self._lines.header_at(line)
        if header is not None:
            return self._render_group(header, is_cursor, width)
        position = line if self._lines is None else self._lines.position_at(line)
        return self._render_row(position, is_cursor, width)

    def _render_group(self, header: GroupHeader, is_cursor: bool, width: int) -> Strip:
        style = self._style("datagrid--group")
        if is_cursor:
            style += self._style("datagrid--cursor")
        text = fit(visible(header.text), width, "left")
        return Strip([Segment(text, style)]).adjust_cell_length(width, style)

    def _render_header(self, width: int) -> Strip:
        style = self._style("datagrid--header")
        segments = []
        x = 0
        sort_column, sort_reverse = self._index.sort_column, self._index.sort_reverse
        for slot in self._layout(width):
            if slot.x > x:
                segments.append(Segment(" " * (slot.x - x), style))
            label = visible(slot.column.label)
            if slot.column.key == sort_column:
                arrow = _SORT_DESC if sort_reverse else _SORT_ASC
                # keep the arrow even when the label has to be truncated
                label = fit(label, max(0, slot.width - 2), "left").rstrip() + " " + arrow
            segments.append(Segment(fit(label, slot.width, slot.column.align), style))
            x = slot.x + slot.width
        return Strip(segments).adjust_cell_length(width, style)

    def _render_empty(self, width: int) -> Strip:
        if self._index.query and self._index.rows:
            text = f"No {self.noun} match “{visible(self._index.filter_text)}”"
        else:
            text = visible(self._empty_text)
        style = self._style("datagrid--empty")
        gutter = 2 if self._markable else 0
        line = " " * gutter + fit(text, max(0, width - gutter), "left")
        return Strip([Segment(line, style)]).adjust_cell_length(width, style)

    def _render_row(self, position: int, is_cursor: bool, width: int) -> Strip:
        row = self._index.row_at(position)
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
            text = fit(visible(safe_text(column, row)), slot.width, column.align)
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
        self._index.set_filter_keys(self._visible_keys())  # a column may have appeared
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
                    if key == self._index.sort_column:
                        self._set_sort(key, not self._index.sort_reverse)
                    else:
                        self._set_sort(key, False)
                    return
            return
        position = round(self.scroll_y) + offset.y - 1
        if 0 <= position < self._shown_lines():
            if position == self.cursor_index:
                self.action_select()
            else:
                self.move_cursor(position)

    # ------------------------------------------------------------------ actions

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return not (action == "toggle_mark" and not self._markable)

    def action_cursor_down(self) -> None:
        self.move_cursor(self.cursor_index + 1)

    def action_cursor_up(self) -> None:
        self.move_cursor(self.cursor_index - 1)

    def action_cursor_top(self) -> None:
        self.move_cursor(0)

    def action_cursor_bottom(self) -> None:
        self.move_cursor(self._shown_lines() - 1)

    def action_page_down(self) -> None:
        self.move_cursor(self.cursor_index + self._page_height())

    def action_page_up(self) -> None:
        self.move_cursor(self.cursor_index - self._page_height())

    def action_half_page_down(self) -> None:
        self.move_cursor(self.cursor_index + max(1, self._page_height() // 2))

    def action_half_page_up(self) -> None:
        self.move_cursor(self.cursor_index - max(1, self._page_height() // 2))

    def action_select(self) -> None:
        header = self.cursor_group
        if header is not None:
            self.toggle_fold(header.label)
            return
        row = self.cursor_row
        if row is not None:
            self.post_message(self.RowSelected(self, row))

    def action_sort_left(self) -> None:
        self.move_sort(-1)

    def action_sort_right(self) -> None:
        self.move_sort(1)

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
        self._refresh_row(self.cursor_index)
        self.move_cursor(self.cursor_index + 1)
