"""The grid's pure row index (filter, sort, cursor) against a brute-force model; no App.

The model recomputes everything from scratch after every step, the slow obvious way:
a row shows when the lowercased query is in the lowercased, `visible()` text of one of
the filter columns; the shown rows are sorted stably by the sort column, None keys last
in both directions; the cursor follows its row key while that row shows.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any
from unittest.mock import patch

from hypothesis import given, settings
from hypothesis import strategies as st
from rich.cells import cell_len

from mlops_tui.ui.literal import visible
from mlops_tui.ui.widgets import row_index
from mlops_tui.ui.widgets.grid_column import Column
from mlops_tui.ui.widgets.grid_layout import fit, layout_columns
from mlops_tui.ui.widgets.row_index import (
    RowIndex,
    build_haystack,
    in_chunks,
    sort_keys_of,
    sort_order_from_keys,
    sort_order_of,
)


@dataclass(frozen=True)
class Row:
    id: int
    name: str
    status: str
    score: int | None


def _score_text(row: Row) -> str:
    return "" if row.score is None else str(row.score)


COLUMNS: tuple[Column[Row], ...] = (
    Column("name", "Name", lambda r: r.name),
    Column("status", "Status", lambda r: r.status),
    Column("score", "Score", _score_text, sort_key=lambda r: r.score),
)
KEYS = tuple(c.key for c in COLUMNS)
BY_KEY = {c.key: c for c in COLUMNS}

# Case pairs, characters whose lowercase is longer (İ) or context-dependent (Σ), and
# control characters that `visible()` turns into symbols (so they never match as typed).
ALPHABET = "aAbBz-İiΣσß \t\x1b\x00"
texts = st.text(alphabet=ALPHABET, max_size=6)
rows_strategy = st.lists(
    st.builds(
        Row,
        id=st.integers(0, 40),
        name=texts,
        status=st.sampled_from(["RUNNING", "FAILED", "done", "Done"]),
        score=st.none() | st.integers(-3, 3),
    ),
    max_size=25,
    unique_by=lambda r: r.id,
)
filter_keys = st.lists(st.sampled_from(KEYS), min_size=1, unique=True).map(
    lambda keys: tuple(k for k in KEYS if k in keys)  # shown columns keep their order
)
operations = st.lists(
    st.one_of(
        st.tuples(st.just("rows"), rows_strategy),
        st.tuples(st.just("type"), st.sampled_from(ALPHABET)),
        st.tuples(st.just("backspace")),
        st.tuples(st.just("filter"), texts),
        st.tuples(st.just("sort"), st.none() | st.sampled_from(KEYS), st.booleans()),
        st.tuples(st.just("move"), st.integers(-5, 30)),
        st.tuples(st.just("filter_keys"), filter_keys),
        st.tuples(st.just("drop_score_column"), rows_strategy),
        # a poll that hands back some of the same row objects (in any order) and new ones
        st.tuples(st.just("same_objects"), st.lists(st.integers(0, 30), unique=True), rows_strategy),
    ),
    max_size=30,
)


# ---------------------------------------------------------------------------- the model


def matches(row: Row, query: str, keys: tuple[str, ...], columns: dict[str, Column[Row]]) -> bool:
    return any(query in visible(columns[k].text(row)).lower() for k in keys)


def expected_order(
    rows: list[Row],
    query: str,
    keys: tuple[str, ...],
    sort: tuple[str | None, bool],
    columns: dict[str, Column[Row]],
) -> list[int]:
    """Row ids in display order, the slow obvious way."""
    shown = [r for r in rows if not query or matches(r, query, keys, columns)]
    column_key, reverse = sort
    if column_key is not None:
        column = columns[column_key]
        key_of = column.sort_key or column.text
        present = [r for r in shown if key_of(r) is not None]
        absent = [r for r in shown if key_of(r) is None]
        shown = sorted(present, key=key_of, reverse=reverse) + absent  # sorted() is stable
    return [r.id for r in shown]


@settings(max_examples=300, deadline=None)
@given(initial=rows_strategy, ops=operations)
def test_index_matches_brute_force_model(initial: list[Row], ops: list[tuple[Any, ...]]) -> None:
    index: RowIndex[Row] = RowIndex(COLUMNS, row_key=lambda r: r.id)
    columns = dict(BY_KEY)
    rows: list[Row] = []
    text = ""
    keys: tuple[str, ...] = KEYS
    sort: tuple[str | None, bool] = (None, False)
    order: list[int] = []  # the model's shown ids
    cursor = -1  # the model's cursor position

    def follow(old_id: int | None, fallback: int) -> int:
        """The cursor rule: stay on the row if it still shows, else `fallback`, clamped."""
        if not order:
            return -1
        if old_id in order:
            return order.index(old_id)
        return min(max(fallback, 0), len(order) - 1)

    for op in [("rows", initial), *ops]:
        old_id = order[cursor] if cursor >= 0 else None
        kind = op[0]
        if kind == "same_objects":
            kept = [rows[i] for i in op[1] if i < len(rows)]
            op = ("rows", kept + [r for r in op[2] if r.id not in {k.id for k in kept}])
            kind = "rows"
        if kind in ("rows", "drop_score_column"):
            previous, rows = rows, op[1]
            if kind == "drop_score_column":
                columns = {k: c for k, c in BY_KEY.items() if k != "score"}
                index.set_data(rows, keys, columns=list(columns.values()))
                keys = tuple(k for k in keys if k in columns)
                if sort[0] == "score":
                    sort = (None, False)  # the sort column is gone
                old_cursor = cursor
                order = expected_order(rows, text.lower(), keys, sort, columns)
                cursor = follow(old_id, fallback=old_cursor)
            else:
                before = {id(r) for r in previous}  # alive (held by `previous`): ids not reused
                index.set_data(rows, keys, reuse_filter_text=True)
                order = expected_order(rows, text.lower(), keys, sort, columns)
                # These columns read only the row: a row that is the same object reads its exact
                # text at once. A new object may read the text of the last rows' row with its
                # key (a changed alert, a poll old) until the grid's thread brings the exact text.
                renewed = {r.id for r in rows if id(r) not in before}
                approximate = [r.id for r in index.visible_rows]
                assert set(approximate) ^ set(order) <= renewed, (op, text)
                if set(approximate) == set(order):
                    assert index.cursor == follow(old_id, fallback=cursor)
                held = index.cursor_row.id if index.cursor_row else None
                index.install_haystack(rows, keys, build_haystack([columns[k] for k in keys], rows))
                cursor = order.index(held) if held in order else index.cursor  # the cursor stays on its row
        elif kind in ("type", "backspace", "filter"):
            new_text = text + op[1] if kind == "type" else text[:-1] if kind == "backspace" else op[1]
            index.set_filter(new_text, keys)
            changed = new_text.lower() != text.lower()
            text = new_text
            if changed:
                order = expected_order(rows, text.lower(), keys, sort, columns)
                cursor = follow(old_id, fallback=0)
        elif kind == "sort":
            column_key = op[1] if op[1] in columns else None
            index.set_sort(column_key, op[2])
            sort = (column_key, op[2] if column_key is not None else False)
            order = expected_order(rows, text.lower(), keys, sort, columns)
            cursor = follow(old_id, fallback=0)
            assert old_id is None or order[cursor] == old_id  # a sort never loses the row
        elif kind == "move":
            index.move_cursor(op[1])
            if order:
                cursor = max(0, min(op[1], len(order) - 1))
        elif kind == "filter_keys":
            new_keys = tuple(k for k in op[1] if k in columns) or keys
            index.set_filter_keys(new_keys)
            if new_keys != keys:
                keys = new_keys
                if text:
                    order = expected_order(rows, text.lower(), keys, sort, columns)
                    cursor = follow(old_id, fallback=0)

        shown = [index.rows[i].id for i in index.order]
        assert shown == order, (op, text, keys, sort)
        assert [r.id for r in index.visible_rows] == order
        assert index.cursor == cursor, (op, text, keys, sort)
        assert (index.cursor_row.id if index.cursor_row else None) == (order[cursor] if order else None)
        assert (index.sort_column, index.sort_reverse) == sort


@settings(max_examples=200, deadline=None)
@given(rows=rows_strategy, query=texts, reverse=st.booleans())
def test_sort_while_filtered_equals_filter_of_sorted(rows: list[Row], query: str, reverse: bool) -> None:
    """Sorting the filtered rows and filtering the sorted rows give the same order."""
    first: RowIndex[Row] = RowIndex(COLUMNS, row_key=lambda r: r.id)
    first.set_data(rows, KEYS)
    first.set_filter(query, KEYS)
    first.set_sort("status", reverse)
    second: RowIndex[Row] = RowIndex(COLUMNS, row_key=lambda r: r.id)
    second.set_data(rows, KEYS)
    second.set_sort("status", reverse)
    second.set_filter(query, KEYS)
    assert list(first.order) == list(second.order)


def test_descending_keeps_ties_in_row_order() -> None:
    rows = [Row(i, "x", ["b", "a", "b", "a", "b"][i], None if i == 2 else i % 2) for i in range(5)]
    index: RowIndex[Row] = RowIndex(COLUMNS, row_key=lambda r: r.id)
    index.set_data(rows, KEYS)
    index.set_sort("status", reverse=True)
    assert [r.id for r in index.visible_rows] == [0, 2, 4, 1, 3]
    index.set_sort("score", reverse=True)  # 1, 1, 0, 0 and None (row 2) last
    assert [r.id for r in index.visible_rows] == [1, 3, 0, 4, 2]
    index.set_sort("score", reverse=False)
    assert [r.id for r in index.visible_rows] == [0, 4, 1, 3, 2]


@settings(max_examples=150, deadline=None)
@given(
    keys=st.one_of(
        st.lists(st.none() | st.integers(0, 2), max_size=400),  # few runs: found by bisection
        st.lists(st.none() | st.integers(0, 300), max_size=400),  # many runs: one pass
        st.lists(st.none() | st.integers(0, 2) | st.sampled_from(["a", "b"]), max_size=200),  # mixed
        st.lists(st.floats(allow_nan=False), unique=True, max_size=200),  # all distinct
    )
)
def test_whole_list_descending_is_the_stable_reverse_sort(keys: list[Any]) -> None:
    rows = [Row(i, "", "", None) for i in range(len(keys))]
    column = Column("k", "K", str, sort_key=lambda r: keys[r.id])
    order = sort_order_of(column, rows)
    present = [i for i, k in enumerate(keys) if k is not None]
    nones = [i for i, k in enumerate(keys) if k is None]
    mixed = len({type(keys[i]) for i in present}) > 1
    key_of = (lambda i: (type(keys[i]).__name__, str(keys[i]))) if mixed else keys.__getitem__
    assert list(order.whole(reverse=False)) == sorted(present, key=key_of) + nones
    assert list(order.whole(reverse=True)) == sorted(present, key=key_of, reverse=True) + nones


def test_mixed_key_types_sort_by_type_then_text_and_failing_keys_go_last() -> None:
    def odd_key(row: Row) -> Any:
        if row.id == 3:
            raise ValueError("broken formatter")
        return row.name if row.id % 2 else row.id

    columns = (*COLUMNS, Column("odd", "Odd", lambda r: r.name, sort_key=odd_key))
    rows = [Row(i, f"n{i}", "x", None) for i in range(5)]
    index: RowIndex[Row] = RowIndex(columns, row_key=lambda r: r.id)
    index.set_data(rows, ("odd",))
    index.set_sort("odd")
    # ints ("int" < "str"): 0, 2, 4; then strs: "n1"; the failing key (row 3) last
    assert [r.id for r in index.visible_rows] == [0, 2, 4, 1, 3]
    index.set_sort("odd", reverse=True)
    assert [r.id for r in index.visible_rows] == [1, 4, 2, 0, 3]
    index.set_filter("n", ("odd",))  # a subset sorts as the whole column did
    assert [r.id for r in index.visible_rows] == [1, 4, 2, 0, 3]


def test_same_rows_object_is_a_no_op_and_new_columns_rebuild() -> None:
    rows = [Row(1, "a", "x", 1), Row(2, "b", "x", 2)]
    index: RowIndex[Row] = RowIndex(COLUMNS, row_key=lambda r: r.id)
    assert index.set_data(rows, KEYS)
    index.set_filter("zz", KEYS)
    assert list(index.visible_rows) == []
    assert not index.set_data(rows, KEYS)
    renamed = (Column("name", "Name", lambda r: "ZZ" + r.name if r.id == 2 else r.name), *COLUMNS[1:])
    assert index.set_data(rows, KEYS, columns=renamed)  # same rows, new texts: filtered again
    assert [r.id for r in index.visible_rows] == [2]


@settings(max_examples=100, deadline=None)
@given(rows=rows_strategy, keys=filter_keys, query=texts)
def test_warm_built_caches_give_the_same_result(rows: list[Row], keys: tuple[str, ...], query: str) -> None:
    """The filter text and sort orders a worker thread builds, a chunk of rows at a time
    (3 here, so that 25 rows are cut in several places), equal the ones built inline."""
    cold: RowIndex[Row] = RowIndex(COLUMNS, row_key=lambda r: r.id)
    cold.set_data(rows, keys)
    warm: RowIndex[Row] = RowIndex(COLUMNS, row_key=lambda r: r.id)
    warm.set_data(rows, keys)
    with patch.object(row_index, "WORKER_CHUNK", 3):  # as DataGrid._build_filter_index builds them
        warm.install_haystack(rows, keys, in_chunks(partial(build_haystack, [BY_KEY[k] for k in keys]), rows))
        for key in KEYS:
            order = sort_order_from_keys(in_chunks(partial(sort_keys_of, BY_KEY[key]), rows))
            if key != "name":
                order.tie_groups()  # as the worker thread does
            warm.install_sort_order(rows, key, order)
    assert warm.has_haystack(keys) and all(warm.has_sort_order(k) for k in KEYS)
    for sort_key in KEYS:
        for index in (cold, warm):
            index.set_filter("", keys)
            index.set_sort(sort_key, reverse=True)
        assert list(warm.order) == list(cold.order)
        for index in (cold, warm):
            index.set_filter(query, keys)
        assert list(warm.order) == list(cold.order)


KEYS_BUILT = ("name", "text")


def _reusing_index(
    text_of: Callable[[Row], str], rows: list[Row], query: str
) -> tuple[RowIndex[Row], tuple[Column[Row], ...], list[int]]:
    """An index over the rows' name and a column whose text `text_of` gives, given `rows` as the
    grid gives a long list (reusing the last rows' filter text) and filtered by `query`; and the
    ids of the rows whose text was built, in order."""
    built: list[int] = []

    def text(row: Row) -> str:
        built.append(row.id)
        return text_of(row)

    columns = (Column("name", "Name", lambda r: r.name), Column("text", "Text", text))
    index: RowIndex[Row] = RowIndex(columns, row_key=lambda r: r.id)
    index.set_data(rows, KEYS_BUILT, reuse_filter_text=True)
    index.set_filter(query, KEYS_BUILT)
    return index, columns, built


def test_a_filter_after_new_rows_builds_text_only_for_new_row_objects_until_the_exact_text_comes() -> None:
    """A poll hands back mostly the same row objects: a filter typed before the thread's
    exact text comes reads the last rows' text for those, and builds only the new rows'
    (10,000 alerts' text was 90-130 ms of a keystroke). A cell that reads more than its row
    (an alert's triage state, its age) may be a poll old until the exact text comes; then
    the filter is applied again, the cursor on its row."""
    state = {i: "firing" for i in range(100)}
    rows = [Row(i, f"alert-{i}", "", None) for i in range(100)]
    index, columns, built = _reusing_index(lambda row: state[row.id], rows, "acked")
    keys = KEYS_BUILT
    assert list(index.visible_rows) == [] and len(built) == 100

    state[7] = "acked by bob"  # the same row object, now with another text
    state[100] = "acked by carol"
    new_rows = [*rows[:50], Row(100, "alert-100", "", None), *rows[50:]]
    built.clear()
    index.set_data(new_rows, keys, reuse_filter_text=True)
    assert built == [100], "text built for rows that did not change"
    assert [r.id for r in index.visible_rows] == [100]
    assert not index.has_haystack(keys)  # the caller's thread still builds the exact text

    assert index.install_haystack(new_rows, keys, build_haystack(columns, new_rows))
    assert [r.id for r in index.visible_rows] == [7, 100]
    assert index.cursor_row is not None and index.cursor_row.id == 100
    assert index.has_haystack(keys)
    assert not index.install_haystack(new_rows, keys, build_haystack(columns, new_rows))


def test_a_filter_after_every_row_changed_reads_each_rows_last_text_until_the_exact_text_comes() -> None:
    """When every alert's annotation changes on each poll (a value in its description), every
    row is a new object: building all their text on the UI thread took 150-220 ms of a filter
    key. A changed row reads the text of the last rows' row with its key until the exact text
    comes; then the filter is applied again."""
    rows = [Row(i, f"alert-{i}", "cpu at 10%", None) for i in range(100)]
    index, columns, built = _reusing_index(lambda row: row.status, rows, "90%")
    keys = KEYS_BUILT
    assert list(index.visible_rows) == []

    changed = [Row(i, f"alert-{i}", "cpu at 90%" if i == 7 else "cpu at 11%", None) for i in range(100)]
    changed.append(Row(100, "alert-100", "cpu at 90%", None))  # a new alert: its text is built
    built.clear()
    index.set_data(changed, keys, reuse_filter_text=True)
    assert built == [100], "text built on the UI thread for rows that only changed"
    assert [r.id for r in index.visible_rows] == [100]  # row 7 reads its last text for now

    assert index.install_haystack(changed, keys, build_haystack(columns, changed))
    assert [r.id for r in index.visible_rows] == [7, 100]


def test_without_reuse_new_rows_get_their_whole_filter_text() -> None:
    state = {i: "firing" for i in range(10)}
    columns = (Column("state", "State", lambda r: state[r.id]),)
    rows = [Row(i, "", "", None) for i in range(10)]
    index: RowIndex[Row] = RowIndex(columns, row_key=lambda r: r.id)
    index.set_data(rows, ("state",))
    index.set_filter("acked", ("state",))
    state[3] = "acked"
    index.set_data(list(rows), ("state",))
    assert [r.id for r in index.visible_rows] == [3]


def test_stale_warm_caches_are_refused() -> None:
    old = [Row(1, "a", "x", 1)]
    new = [Row(2, "b", "y", 2)]
    index: RowIndex[Row] = RowIndex(COLUMNS, row_key=lambda r: r.id)
    index.set_data(old, KEYS)
    index.set_data(new, KEYS)
    index.install_haystack(old, KEYS, build_haystack(COLUMNS, old))
    index.install_sort_order(old, "name", sort_order_of(BY_KEY["name"], old))
    assert not index.has_haystack(KEYS) and not index.has_sort_order("name")
    index.set_filter("b", KEYS)
    assert [r.id for r in index.visible_rows] == [2]


# ---------------------------------------------------------------------------- layout

layout_columns_strategy = st.lists(
    st.builds(
        lambda key, width, min_width, flex, priority: Column(
            str(key), "L", str, width=width, min_width=min(min_width, width), flex=flex, priority=priority
        ),
        key=st.integers(),
        width=st.integers(1, 30),
        min_width=st.integers(1, 10),
        flex=st.booleans(),
        priority=st.integers(0, 3),
    ),
    min_size=1,
    max_size=6,
    unique_by=lambda c: c.key,
)


@settings(max_examples=300, deadline=None)
@given(columns=layout_columns_strategy, width=st.integers(1, 160), gutter=st.sampled_from([0, 2]))
def test_layout_fits_hides_by_priority_and_shares_spare_width(
    columns: list[Column[Any]], width: int, gutter: int
) -> None:
    slots = layout_columns(columns, width, gutter)
    shown = [slot.column for slot in slots]
    assert shown == [c for c in columns if c in shown]  # the columns' own order
    assert all(c in shown for c in columns if c.priority == 0)  # priority 0 never hides
    hidden = [c for c in columns if c not in shown]
    if hidden:  # only ever hides the highest priority numbers
        assert min(c.priority for c in hidden) >= max(c.priority for c in shown)
    x = gutter
    for slot in slots:
        assert slot.x == x and slot.width >= slot.column.min_width
        x += slot.width + 1
    end = slots[-1].x + slots[-1].width
    minimum = gutter + sum(c.min_width for c in shown) + len(shown) - 1
    if minimum <= width:
        assert end <= width  # it fits whenever the min widths allow it
        if any(c.flex for c in shown):
            assert end == width  # flex columns take all the spare width
    if end < width:
        assert all(s.width >= max(s.column.width, s.column.min_width) for s in slots)


@given(text=st.text(alphabet="ab界\u0301 ", max_size=20), width=st.integers(0, 12))
def test_fit_is_exactly_the_width(text: str, width: int) -> None:
    fitted = fit(text, width, "right")
    assert cell_len(fitted) == width
    if cell_len(text) <= width:
        assert fitted.strip() == text.strip()
    elif width > 1:
        assert fitted.endswith("…")


def test_index_and_layout_do_not_import_textual() -> None:
    code = (
        "import sys\n"
        "import mlops_tui.ui.widgets.row_index, mlops_tui.ui.widgets.grid_layout\n"
        "assert 'textual' not in sys.modules, sorted(m for m in sys.modules if 'textual' in m)\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


# ---------------------------------------------------------------------------- group lines


def test_group_lines_put_a_header_before_each_group_and_fold_by_label() -> None:
    from mlops_tui.ui.widgets.row_groups import GroupLines

    labels = ["b", "a", "b", "c", "a"]  # the group of the row at each display position
    lines = GroupLines(labels, rank=["a", "b", "c"].index)
    assert [(h.label, h.count, h.text) for h in lines.headers] == [
        ("a", 2, "▼ a (2)"),
        ("b", 2, "▼ b (2)"),
        ("c", 1, "▼ c (1)"),
    ]
    # header a, rows 1 and 4, header b, rows 0 and 2, header c, row 3: each group keeps its order
    assert [lines.position_at(i) for i in range(len(lines))] == [-1, 1, 4, -1, 0, 2, -1, 3]
    assert lines.header_at(3) is not None and lines.header_at(3).label == "b"
    assert lines.header_at(4) is None and lines.header_at(99) is None
    assert lines.line_of_position(2) == 5

    folded = GroupLines(labels, folded={"b"}, rank=["a", "b", "c"].index)
    assert [folded.position_at(i) for i in range(len(folded))] == [-1, 1, 4, -1, -1, 3]
    assert folded.header_at(3).text == "► b (2)"
    assert folded.line_of_position(0) == 3  # a folded row: its group's header
    assert folded.line_of_group("c") == 4 and folded.line_of_group("zzz") == -1

    unranked = GroupLines(labels)  # groups in the order of their first row
    assert [h.label for h in unranked.headers] == ["b", "a", "c"]
    assert len(GroupLines([])) == 0


def test_a_columns_sort_order_drops_out_of_the_collectors_walk():
    """A view keeps a sort order per sorted column: with 10,000 alerts, lists of keys and of
    row numbers were 10,000 references each for every deep collection to walk (a key that
    arrives during one waits). Tuples of strings and numbers are untracked by the collector."""
    import gc

    from mlops_tui.ui.widgets.row_index import sort_order_from_keys

    order = sort_order_from_keys([f"model-{i % 97}" for i in range(10_000)])
    gc.collect(0)
    assert not gc.is_tracked(order.keys) and not gc.is_tracked(order.ascending)
    assert [order.keys[i] for i in order.whole(reverse=False)][:2] == ["model-0", "model-0"]
