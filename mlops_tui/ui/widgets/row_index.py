"""The rows of a `DataGrid` as an index: which rows show, in what order, and the cursor.

Pure Python, no Textual: the widget draws, this decides. Testable without an App.

* The rows stay the caller's sequence; the display order is a list of row indices
  (`range(n)` when neither filtered nor sorted, so nothing is copied).
* Sorting is stable in both directions (ties keep the rows' own order) and puts None keys
  last in both directions. Per column, the key list and the ascending order of all rows
  are computed once per rows object; the whole list in the other direction is then
  copied from it (see `SortOrder`).
* Filtering is a case-insensitive substring test over the `visible()` text of the filter
  columns (the ones on screen). Per row, their lowered texts are joined by NUL once per
  rows object and tested with C-level ``map``/``compress`` loops; a query that extends the
  previous one only re-tests the rows that matched before.
* The cursor is a position in the display order. Re-sorting, re-filtering and new rows
  keep it on the same row key while that row is shown.
"""

from __future__ import annotations

import operator
from bisect import bisect_right
from collections.abc import Callable, Hashable, Iterable, Iterator, Sequence
from itertools import compress, repeat
from typing import Any, Generic, TypeVar, overload

from mlops_tui.core.ui_turn import step_aside
from mlops_tui.ui.literal import visible
from mlops_tui.ui.widgets.grid_column import Column, column_texts

__all__ = [
    "NO_ROW",
    "RowIndex",
    "SortOrder",
    "VisibleRows",
    "build_haystack",
    "lowered_column",
    "sort_order_of",
    "stable_sort",
]

T = TypeVar("T")
X = TypeVar("X")

# Separates the columns of a row in the filter's haystack. `visible()` turns NUL into a
# symbol, so cell text never holds it and a match can never straddle two columns.
SEP = "\x00"
NO_ROW: Any = object()  # "no cursor row" (None may be a real row key)


# ---------------------------------------------------------------------------- sorting


def sort_keys_of(column: Column[Any], rows: Sequence[Any]) -> list[Any]:
    """The sort key of every row: `sort_key`, else the display text; None where it fails."""
    if column.sort_key is None:
        return column_texts(column, rows)
    try:
        return list(map(column.sort_key, rows))
    except Exception:
        keys: list[Any] = []
        for row in rows:
            try:
                keys.append(column.sort_key(row))
            except Exception:
                keys.append(None)
        return keys


def _mixed_key(value: Any) -> tuple[str, str]:
    return (type(value).__name__, str(value))


def _sort(
    indices: Sequence[int], keys: Sequence[Any], reverse: bool, has_none: bool, mixed: bool = False
) -> tuple[list[int], int, bool]:
    """The one sort: see `stable_sort`. Also returns the None count and whether the keys
    were of mixed types, so sorted by type name, then text (`mixed=True` forces that)."""
    nones: list[int] = []
    present: Sequence[int] = indices
    if has_none and None in keys:
        has_key = list(map(operator.is_not, map(keys.__getitem__, indices), repeat(None)))
        nones = list(compress(indices, map(operator.not_, has_key)))
        present = list(compress(indices, has_key))
    result: list[int] | None = None
    if not mixed:
        try:
            result = sorted(present, key=keys.__getitem__, reverse=reverse)
        except TypeError:  # keys of mixed types: group by type name, then by text
            mixed = True
    if result is None:
        result = sorted(present, key=lambda i: _mixed_key(keys[i]), reverse=reverse)
    result.extend(nones)
    return result, len(nones), mixed


def stable_sort(
    indices: Sequence[int],
    keys: Sequence[Any],
    reverse: bool = False,
    *,
    has_none: bool = True,
    mixed: bool = False,
) -> list[int]:
    """`indices` ordered by `keys[i]`.

    Stable in both directions (equal keys keep their order in `indices`); None keys go
    last in both directions, also in the order of `indices`. `has_none=False` promises
    that no key is None (skips a scan); `mixed=True` sorts by (type name, text), as a
    whole column whose keys did not compare was (so a subset sorts like the whole).
    """
    return _sort(indices, keys, reverse, has_none, mixed)[0]


class SortOrder:
    """One column's sort over all rows of one rows object.

    `ascending` is every row index, stably sorted ascending, None keys last. The stable
    descending order is derived from it without sorting again: a reversed copy in which
    each run of equal keys is put back in the rows' own order.
    """

    __slots__ = ("_tie_groups", "ascending", "keys", "mixed", "nones")

    def __init__(self, keys: Sequence[Any], ascending: Sequence[int], nones: int, mixed: bool) -> None:
        # Tuples, not lists: a tuple of strings and numbers drops out of the garbage
        # collector's sight at its first collection, a list never does. A view keeps one per
        # sorted column of 10,000 alerts, and each was 10,000 references for every deep
        # collection to walk (ui/idle_gc.py).
        self.keys = tuple(keys)
        self.ascending = tuple(ascending)
        self.nones = nones
        """How many trailing `ascending` entries have a None key."""
        self.mixed = mixed
        """The keys did not compare, so they were sorted by (type name, text)."""
        self._tie_groups: list[tuple[int, int]] | None = None

    @property
    def tie_groups_ready(self) -> bool:
        return self._tie_groups is not None

    def tie_groups(self) -> list[tuple[int, int]]:
        """The runs of two or more equal keys, as (start, end) slices of `ascending`
        (None keys excluded); cached.

        Costs about a pass over the keys in sorted order: call it on a worker thread to
        make the first descending sort a copy.
        """
        if self._tie_groups is None:
            self._tie_groups = self._find_tie_groups()
        return self._tie_groups

    def _find_tie_groups(self) -> list[tuple[int, int]]:
        present = len(self.ascending) - self.nones
        if not present:
            return []
        keys, ascending = self.keys, self.ascending

        def key_at(position: int) -> Any:
            key = keys[ascending[position]]
            return _mixed_key(key) if self.mixed else key

        # Counting distinct keys is cheap (a pass in row order); it spares the costly pass
        # in sorted order when every key differs, or when there are only a few runs.
        try:
            distinct = len(set(map(_mixed_key, keys) if self.mixed else keys)) - (1 if self.nones else 0)
        except TypeError:  # unhashable keys
            distinct = -1
        if distinct == present:
            return []
        if 0 < distinct * 64 <= present:  # few runs: find each one's end by bisection
            groups = []
            start = 0
            while start < present:
                end = bisect_right(range(present), key_at(start), lo=start, key=key_at)
                if end - start > 1:
                    groups.append((start, end))
                start = end
            return groups
        in_order: list[Any] = list(map(key_at, range(present)))
        # positions whose key equals the one before, then the runs they form (C loops)
        tied = list(compress(range(1, present), map(operator.eq, in_order[1:], in_order[:-1])))
        follows = map(operator.eq, tied[1:], map(operator.add, tied[:-1], repeat(1)))
        breaks = list(compress(range(1, len(tied)), map(operator.not_, follows)))
        firsts = [0, *breaks] if tied else []
        lasts = [*breaks, len(tied)] if tied else []
        return [(tied[i] - 1, tied[j - 1] + 1) for i, j in zip(firsts, lasts)]

    def whole(self, reverse: bool) -> Sequence[int]:
        """All rows in either direction (ascending is the cached tuple itself)."""
        if not reverse:
            return self.ascending
        ascending = self.ascending
        present = len(ascending) - self.nones
        descending = list(ascending[present - 1 :: -1]) if present else []
        for start, end in self.tie_groups():  # equal keys keep the rows' own order
            descending[present - end : present - start] = ascending[start:end]
        descending.extend(ascending[present:])
        return descending


def sort_order_of(column: Column[Any], rows: Sequence[Any]) -> SortOrder:
    """Compute `column`'s `SortOrder` (pure: safe on a worker thread)."""
    return sort_order_from_keys(sort_keys_of(column, rows))


def sort_order_from_keys(keys: list[Any]) -> SortOrder:
    """The `SortOrder` of rows whose sort keys are `keys` (from `sort_keys_of`)."""
    ascending, nones, mixed = _sort(range(len(keys)), keys, reverse=False, has_none=True)
    return SortOrder(keys, ascending, nones, mixed)


WORKER_CHUNK = 1_000  # rows a worker thread formats between two chances for a key to go first


def in_chunks(build: Callable[[Sequence[Any]], list[X]], rows: Sequence[Any]) -> list[X]:
    """`build(rows)`, a chunk of rows at a time, stepping aside between chunks: on a worker
    thread (the filter text and sort keys of 10,000 alerts, ~100 ms a poll) a key being
    handled goes first (core/ui_turn.py). `build` works row by row, so the result is the same."""
    built: list[X] = []
    for start in range(0, len(rows), WORKER_CHUNK):
        step_aside()
        built.extend(build(rows[start : start + WORKER_CHUNK]))
    return built


# ---------------------------------------------------------------------------- filtering


def lowered_column(column: Column[Any], rows: Sequence[Any]) -> list[str]:
    """The lowercased, `visible()` text of `column` for every row."""
    texts = column_texts(column, rows)
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


def join_columns(lowered: Sequence[list[str]]) -> list[str]:
    """Per row, the lowered texts of several columns joined by NUL."""
    return lowered[0] if len(lowered) == 1 else list(map(SEP.join, zip(*lowered)))


def build_haystack(columns: Sequence[Column[Any]], rows: Sequence[Any]) -> list[str]:
    """The filter's text per row for `columns` (pure: safe on a worker thread)."""
    return join_columns([lowered_column(column, rows) for column in columns])


# ---------------------------------------------------------------------------- rows view


class VisibleRows(Sequence[T]):
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


# ---------------------------------------------------------------------------- the index


class RowIndex(Generic[T]):
    """Order, filter and cursor over a sequence of rows.

    The filter columns (`filter_keys`) are given by the caller: the grid filters over
    the columns it shows, which depends on its width.
    """

    # Lists this long keep only the joined filter text, not each column's lowered text.
    KEEP_LOWERED_BELOW = 10_000

    def __init__(self, columns: Sequence[Column[T]], row_key: Callable[[T], Hashable]) -> None:
        self._row_key = row_key
        self._columns: dict[str, Column[T]] = {}
        self._set_columns(columns)
        self._rows: Sequence[T] = ()
        self._rows_len = 0
        self._order: Sequence[int] = range(0)
        self._full_order: Sequence[int] | None = None  # unfiltered order for the sort
        self._cursor = -1
        self._filter_text = ""
        self._query = ""
        self._filter_keys: tuple[str, ...] = ()
        self._sort_column: str | None = None
        self._sort_reverse = False
        # Per rows object caches.
        self._lowered: dict[str, list[str]] = {}
        self._haystack_keys: tuple[str, ...] | None = None
        self._haystack: list[str] = []
        self._sorts: dict[str, SortOrder] = {}
        # See set_data's `reuse_filter_text`: the last rows' filter text, and whether the
        # current one was pieced together from it (to be replaced by an exact one).
        self._previous: tuple[Sequence[T], tuple[str, ...], list[str]] | None = None
        self._approximate = False

    # ------------------------------------------------------------------ state

    @property
    def rows(self) -> Sequence[T]:
        return self._rows

    @property
    def order(self) -> Sequence[int]:
        """Row indices in display order."""
        return self._order

    @property
    def visible_rows(self) -> VisibleRows[T]:
        return VisibleRows(self._rows, self._order)

    @property
    def cursor(self) -> int:
        """The cursor's position in the display order; -1 when nothing is shown."""
        return self._cursor

    @property
    def cursor_row(self) -> T | None:
        if 0 <= self._cursor < len(self._order):
            return self._rows[self._order[self._cursor]]
        return None

    @property
    def cursor_key(self) -> Any:
        """The cursor row's key, or `NO_ROW`."""
        row = self.cursor_row
        return NO_ROW if row is None else self._row_key(row)

    @property
    def columns(self) -> dict[str, Column[T]]:
        return self._columns

    @property
    def filter_text(self) -> str:
        return self._filter_text

    @property
    def query(self) -> str:
        """The filter text lowercased; "" when not filtering."""
        return self._query

    @property
    def filter_keys(self) -> tuple[str, ...]:
        return self._filter_keys

    @property
    def sort_column(self) -> str | None:
        return self._sort_column

    @property
    def sort_reverse(self) -> bool:
        return self._sort_reverse

    def row_at(self, position: int) -> T:
        return self._rows[self._order[position]]

    # ------------------------------------------------------------------ changes

    def set_data(
        self,
        rows: Sequence[T],
        filter_keys: Sequence[str],
        columns: Sequence[Column[T]] | None = None,
        *,
        reuse_filter_text: bool = False,
    ) -> bool:
        """Take new rows (and columns), keeping filter, sort and the cursor's row key.

        Without new `columns`, the very same unchanged rows object is a no-op (False).
        When the cursor's row is gone (or filtered out), the cursor keeps its position,
        clamped to the new rows.

        `reuse_filter_text`: until `install_haystack` brings the exact filter text for these
        rows (built on a thread by the caller), a filter reads the last rows' text for the
        rows that are the very same objects, and builds it only for the others. A poll
        mostly hands back the same row objects; building 10,000 alerts' text on the UI thread
        took 90-130 ms of a keystroke. A row that changed takes the text of the last rows' row
        with its key. The reused text may be a poll old (where a cell reads the time or other
        rows, an alert's age or triage state, and for a changed row) until the exact text
        comes, and the filter is applied again with it (`install_haystack`).
        """
        if columns is None and rows is self._rows and len(rows) == self._rows_len:
            return False
        old_key = self.cursor_key
        old_index = self._order[self._cursor] if self._cursor >= 0 else -1
        old_cursor = self._cursor
        if columns is not None:
            self._set_columns(columns)
            if self._sort_column not in self._columns:
                self._sort_column, self._sort_reverse = None, False
        if reuse_filter_text and self._haystack_keys is not None:
            self._previous = (self._rows, self._haystack_keys, self._haystack)
        elif not reuse_filter_text:
            self._previous = None
        self._rows = rows
        self._rows_len = len(rows)
        self._lowered.clear()
        self._haystack_keys = None
        self._haystack = []
        self._approximate = False
        self._sorts.clear()
        self._full_order = None
        self._filter_keys = self._known(filter_keys)
        order = self._base_order()
        if self._query:
            order = self._filter(order, self._query)
        self._order = order

        cursor = -1
        if old_key is not NO_ROW:
            index = self._find_row_index(old_key, hint=old_index)
            if index is not None:
                cursor = self._position_of(index)
        if cursor < 0 and order:
            cursor = min(max(old_cursor, 0), len(order) - 1)
        self._cursor = cursor if order else -1
        return True

    def set_filter(self, text: str, filter_keys: Sequence[str]) -> bool:
        """Filter (case-insensitive substring over `filter_keys`); "" clears.

        True when the shown rows may have changed; False when only the text's case did.
        The cursor stays on its row if it still shows, else goes to the top.
        """
        query = text.lower()
        previous = self._query
        self._filter_text = text
        if query == previous:
            return False
        self._query = query
        keys = self._known(filter_keys)
        old_index = self._order[self._cursor] if self._cursor >= 0 else None
        narrowing = bool(previous) and query.startswith(previous) and keys == self._filter_keys
        self._filter_keys = keys
        if not query:
            order = self._base_order()
        elif narrowing:
            order = self._filter(self._order, query)  # re-test the earlier matches only
        else:
            order = self._filter(self._base_order(), query)
        self._order = order
        self._cursor = self._locate(old_index, fallback=0)
        return True

    def set_filter_keys(self, filter_keys: Sequence[str]) -> bool:
        """The filter columns changed (the grid's width did): re-filter if filtering."""
        keys = self._known(filter_keys)
        if keys == self._filter_keys:
            return False
        self._filter_keys = keys
        if not self._query:
            return False
        old_index = self._order[self._cursor] if self._cursor >= 0 else None
        self._order = self._filter(self._base_order(), self._query)
        self._cursor = self._locate(old_index, fallback=0)
        return True

    def set_sort(self, column_key: str | None, reverse: bool = False) -> bool:
        """Sort by a column (None: the rows' own order); the cursor keeps its row."""
        if column_key is not None and column_key not in self._columns:
            raise KeyError(f"no column {column_key!r}")
        reverse = reverse if column_key is not None else False
        if column_key == self._sort_column and reverse == self._sort_reverse:
            return False
        old_index = self._order[self._cursor] if self._cursor >= 0 else None
        self._sort_column = column_key
        self._sort_reverse = reverse
        self._full_order = None
        if not self._query:
            self._order = self._base_order()
        else:  # sort only the rows that pass the filter, ties in the rows' own order
            in_row_order = sorted(self._order)
            if column_key is None:
                self._order = in_row_order
            else:
                sort = self._sort_order(self._columns[column_key])
                self._order = stable_sort(in_row_order, sort.keys, reverse, has_none=sort.nones > 0, mixed=sort.mixed)
        self._cursor = self._locate(old_index, fallback=0)
        return True

    def move_cursor(self, position: int) -> bool:
        """Put the cursor at `position` (clamped to the shown rows); True when it moved."""
        if not self._order:
            return False
        position = max(0, min(position, len(self._order) - 1))
        if position == self._cursor:
            return False
        self._cursor = position
        return True

    def position_of_key(self, key: Hashable) -> int:
        """The display position of the shown row with row key `key`, or -1."""
        row_key, rows = self._row_key, self._rows
        for position, index in enumerate(self._order):
            if row_key(rows[index]) == key:
                return position
        return -1

    # ------------------------------------------------------------------ caches (warm-up)

    def ensure_haystack(self, keys: Sequence[str]) -> None:
        """Build the filter text for `keys` now (e.g. when a filter input opens)."""
        self._haystack_for(self._known(keys))

    def has_haystack(self, keys: Sequence[str]) -> bool:
        """Whether the exact filter text for `keys` is built (not one pieced from the last rows')."""
        return self._haystack_keys == self._known(keys) and not self._approximate

    def has_sort_order(self, key: str) -> bool:
        return key in self._sorts

    def install_haystack(self, rows: Sequence[T], keys: Sequence[str], haystack: list[str]) -> bool:
        """Take a filter text built elsewhere (a thread) for `rows`, if still current. True
        when the shown rows may have changed: it replaced a pieced-together text while
        filtering, and the filter was applied again with it."""
        keys = tuple(keys)
        if rows is not self._rows or self.has_haystack(keys):
            return False  # the data moved on, or the text was built meanwhile
        if any(key not in self._columns for key in keys):
            return False
        refilter = self._approximate and bool(self._query) and keys == self._filter_keys
        self._lowered.clear()
        self._haystack_keys = keys
        self._haystack = haystack
        self._approximate = False
        self._previous = None
        if refilter:
            old_index = self._order[self._cursor] if self._cursor >= 0 else None
            self._order = self._filter(self._base_order(), self._query)
            self._cursor = self._locate(old_index, fallback=0)
        return refilter

    def install_sort_order(self, rows: Sequence[T], key: str, order: SortOrder) -> None:
        """Take a sort order built elsewhere (a thread) for `rows`, if still current."""
        if rows is self._rows and key in self._columns:
            current = self._sorts.get(key)
            if current is None or (order.tie_groups_ready and not current.tie_groups_ready):
                self._sorts[key] = order  # the same order, with more of it precomputed

    # ------------------------------------------------------------------ internals

    def _set_columns(self, columns: Sequence[Column[T]]) -> None:
        columns = tuple(columns)
        if not columns:
            raise ValueError("a grid needs at least one column")
        keys = [column.key for column in columns]
        if len(set(keys)) != len(keys):
            raise ValueError(f"duplicate column keys in {keys}")
        self._columns = {column.key: column for column in columns}

    def _known(self, keys: Sequence[str]) -> tuple[str, ...]:
        return tuple(key for key in keys if key in self._columns)

    def _sort_order(self, column: Column[T]) -> SortOrder:
        order = self._sorts.get(column.key)
        if order is None:
            order = sort_order_of(column, self._rows)
            self._sorts[column.key] = order
        return order

    def _base_order(self) -> Sequence[int]:
        """The unfiltered order for the current sort."""
        if self._sort_column is None:
            return range(len(self._rows))
        if self._full_order is None:
            sort = self._sort_order(self._columns[self._sort_column])
            self._full_order = sort.whole(self._sort_reverse)
        return self._full_order

    def _lowered_texts(self, column: Column[T]) -> list[str]:
        lowered = self._lowered.get(column.key)
        if lowered is None:
            lowered = lowered_column(column, self._rows)
            self._lowered[column.key] = lowered
        return lowered

    def _haystack_for(self, keys: tuple[str, ...]) -> list[str]:
        if self._haystack_keys != keys:
            previous = self._previous
            if previous is not None and previous[1] == keys:
                self._haystack = self._reused_haystack(keys, previous[0], previous[2])
                self._approximate = True
            else:
                self._haystack = join_columns([self._lowered_texts(self._columns[k]) for k in keys])
                self._approximate = False
            self._haystack_keys = keys
            if len(self._rows) >= self.KEEP_LOWERED_BELOW:
                self._lowered.clear()  # long lists keep only the joined text in memory
        return self._haystack

    def _reused_haystack(self, keys: tuple[str, ...], old_rows: Sequence[T], old: list[str]) -> list[str]:
        """The filter text of the rows, taken from `old` (of `old_rows`) for the rows that are
        the same objects, then for the rows with the same key (a changed alert: its text of
        the last poll), built for the others. (`old_rows` are alive, held by `_previous`,
        so no new row can have an old row's id.) When every alert's annotation changes on
        each poll (a value in its description), building all their text on the UI thread
        took 150-220 ms of a filter key."""
        at = {id(row): i for i, row in enumerate(old_rows)}
        found = [at.get(id(row), -1) for row in self._rows]
        changed = [i for i, j in enumerate(found) if j < 0]
        if changed:
            try:
                by_key = {self._row_key(row): i for i, row in enumerate(old_rows)}
                for i in changed:
                    found[i] = by_key.get(self._row_key(self._rows[i]), -1)
            except Exception:  # an unhashable or failing key: those rows' text is built
                pass
        texts = [old[i] if i >= 0 else "" for i in found]
        new = [i for i, j in enumerate(found) if j < 0]
        if new:
            built = build_haystack([self._columns[k] for k in keys], [self._rows[i] for i in new])
            for i, text in zip(new, built, strict=True):
                texts[i] = text
        return texts

    def _filter(self, base: Sequence[int], query: str) -> list[int]:
        """The indices of `base` (kept in order) whose row has `query` in a filter column."""
        if not base or SEP in query or not self._filter_keys:
            return []
        haystack = self._haystack_for(self._filter_keys)
        if isinstance(base, range) and base == range(len(haystack)):
            texts: Iterable[str] = haystack
        else:
            texts = map(haystack.__getitem__, base)
        return list(compress(base, map(operator.contains, texts, repeat(query))))

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
            return order.index(index)
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
