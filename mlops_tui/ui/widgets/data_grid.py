"""`DataGrid`: a generic, fast, keyboard-driven table for very many rows.

Textual's stock `DataTable` builds every cell up front; for 100,000 rows that takes
seconds. `DataGrid` keeps the rows as the caller's sequence of (frozen) objects and does
the minimum per change. It is split by concern:

* `row_index.RowIndex` (pure): display order after filter and sort, and the cursor; see
  its docstring for the sorting and filtering model.
* `grid_layout` (pure): which columns fit the width, their widths, truncation.
* this widget: painting, keys, mouse, messages, and warming the index on a thread.

Painting goes through the line API (`ScrollView.render_line`): only the visible lines are
formatted, and each line's `Strip` is kept in an LRU keyed by ``(position in view, is
cursor, width)`` which is cleared on any change.

All cell text goes through `visible()`: backend text is never parsed as markup and
control characters are drawn as symbols, never sent to the terminal.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from typing import Any, Generic, TypeVar

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

from mlops_tui.ui import glyphs
from mlops_tui.ui.literal import visible
from mlops_tui.ui.widgets.grid_column import Column, safe_text
from mlops_tui.ui.widgets.grid_layout import Slot, fit, layout_columns
from mlops_tui.ui.widgets.row_index import (
    NO_ROW,
    RowIndex,
    SortOrder,
    build_haystack,
    sort_order_of,
)

__all__ = ["Column", "DataGrid"]

T = TypeVar("T")

_MARK = glyphs.MARKED
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
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._index: RowIndex[T] = RowIndex(columns, row_key)  # checks the columns
        self._columns: tuple[Column[T], ...] = tuple(columns)
        self._row_key = row_key
        self._markable = markable
        self._empty_text = empty_text
        self._posted_key: object = NO_ROW
        self._marks: set[Hashable] = set()

        # Per width / per change caches.
        self._line_cache: LRUCache[tuple[Any, ...], Strip] = LRUCache(1024)
        self._layouts: dict[int, tuple[Slot, ...]] = {}
        self._styles: dict[str, Style] = {}
        self._cell_styles: dict[str, Style] = {}

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
        return self._index.cursor

    @property
    def cursor_row(self) -> T | None:
        return self._index.cursor_row

    @property
    def visible_rows(self) -> Sequence[T]:
        return self._index.visible_rows

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
        if columns is not None:
            if not columns:
                raise ValueError("DataGrid needs at least one column")
            self._columns = columns
            self._layouts.clear()
            self._clear_render_caches()
        if not self._index.set_data(rows, self._visible_keys(), columns):
            return
        if self._marks:
            self._marks.intersection_update(map(self._row_key, rows))
        self._changed()
        self._maybe_warm_filter()

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
        # run_worker with a description: @work would repr() the 100k rows for one.
        self.run_worker(
            lambda: self._build_filter_index(rows, columns),
            thread=True,
            exclusive=True,
            group="datagrid-filter-index",
            description="filter index",
            exit_on_error=False,
        )

    def _build_filter_index(self, rows: Sequence[T], columns: list[Column[T]]) -> None:
        """On a worker thread: the filter text, then each shown column's sort order."""
        keys = tuple(column.key for column in columns)
        haystack = build_haystack(columns, rows)
        self.app.call_from_thread(self._index.install_haystack, rows, keys, haystack)
        del haystack
        for column in columns:  # then a whole-list sort is (nearly) a copy
            if rows is not self._index.rows:
                return
            order = sort_order_of(column, rows)
            order.tie_groups()  # so the first descending sort is a copy too
            self.app.call_from_thread(self._install_sort_order, rows, column.key, order)

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

    def cycle_sort(self) -> None:
        """Sort by the next visible column: unsorted -> first -> ... -> last -> unsorted."""
        keys = [column.key for column in self.visible_columns]
        if not keys:
            return
        current = self._index.sort_column
        if current is None:
            self._set_sort(keys[0], False)
            return
        all_keys = [column.key for column in self._columns]
        start = all_keys.index(current) + 1
        for key in all_keys[start:]:
            if key in keys:
                self._set_sort(key, False)
                return
        self._set_sort(None, False)

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
        self._changed()
        self.post_message(self.SortChanged(self, self._index.sort_column, self._index.sort_reverse))

    def move_cursor(self, index: int) -> None:
        """Move the cursor to `index` in the visible rows (clamped) and scroll to it."""
        old = self._index.cursor
        if self._index.move_cursor(index):
            self._refresh_row(old)
            self._refresh_row(self._index.cursor)
            self._post_cursor()
        self._scroll_to_cursor()

    def move_cursor_to_key(self, key: Hashable) -> bool:
        """Move the cursor to the visible row with row key `key`; False when not visible."""
        position = self._index.position_of_key(key)
        if position < 0:
            return False
        self.move_cursor(position)
        return True

    def clear_marks(self) -> None:
        if self._marks:
            self._marks.clear()
            self._line_cache.clear()
            self.refresh()

    # ------------------------------------------------------------------ cursor helpers

    def _post_cursor(self) -> None:
        key = self._index.cursor_key
        if key is self._posted_key or key == self._posted_key:
            return
        self._posted_key = key
        self.post_message(self.CursorMoved(self, self.cursor_row))

    def _page_height(self) -> int:
        return max(1, self.scrollable_content_region.height - 1)

    def _scroll_to_cursor(self) -> None:
        cursor = self._index.cursor
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
        self.virtual_size = Size(width, len(self._index.order) + 1)

    # ------------------------------------------------------------------ layout

    def _content_width(self) -> int:
        return self.scrollable_content_region.width

    def _visible_keys(self) -> tuple[str, ...]:
        return tuple(slot.column.key for slot in self._layout())

    def _layout(self, width: int | None = None) -> tuple[Slot, ...]:
        if width is None:
            width = self._content_width()
        slots = self._layouts.get(width)
        if slots is None:
            slots = layout_columns(self._columns, width, gutter=2 if self._markable else 0)
            if len(self._layouts) > 8:
                self._layouts.clear()
            self._layouts[width] = slots
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

    def render_line(self, y: int) -> Strip:
        width = self._content_width()
        if y == 0:
            index = self._index
            key: tuple[Any, ...] = ("header", width, index.sort_column, index.sort_reverse)
            strip = self._line_cache.get(key)
            if strip is None:
                strip = self._render_header(width)
                self._line_cache[key] = strip
            return strip
        position = round(self.scroll_y) + y - 1
        order = self._index.order
        if not order:
            if y == 1:
                return self._render_empty(width)
            return Strip.blank(width, self._style("base"))
        if position >= len(order):
            return Strip.blank(width, self._style("base"))
        is_cursor = position == self._index.cursor
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
            text = f"No rows match {visible(self._index.filter_text)}"
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
        if 0 <= position < len(self._index.order):
            if position == self._index.cursor:
                self.action_select()
            else:
                self.move_cursor(position)

    # ------------------------------------------------------------------ actions

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return not (action == "toggle_mark" and not self._markable)

    def action_cursor_down(self) -> None:
        self.move_cursor(self._index.cursor + 1)

    def action_cursor_up(self) -> None:
        self.move_cursor(self._index.cursor - 1)

    def action_cursor_top(self) -> None:
        self.move_cursor(0)

    def action_cursor_bottom(self) -> None:
        self.move_cursor(len(self._index.order) - 1)

    def action_page_down(self) -> None:
        self.move_cursor(self._index.cursor + self._page_height())

    def action_page_up(self) -> None:
        self.move_cursor(self._index.cursor - self._page_height())

    def action_half_page_down(self) -> None:
        self.move_cursor(self._index.cursor + max(1, self._page_height() // 2))

    def action_half_page_up(self) -> None:
        self.move_cursor(self._index.cursor - max(1, self._page_height() // 2))

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
        self._refresh_row(self._index.cursor)
        self.move_cursor(self._index.cursor + 1)
