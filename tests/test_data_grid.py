"""DataGrid: keyboard, filter, sort, marks, layout and literal rendering."""

from __future__ import annotations

import random
import threading

import pytest
from pydantic import BaseModel, ConfigDict
from textual.app import App, ComposeResult
from textual.content import Content

from mlops_tui.ui.widgets.data_grid import Column, DataGrid
from mlops_tui.ui.widgets.grid_layout import layout_columns
from tests.conftest import wait_until

SIZE = (100, 30)


class Item(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: int
    name: str
    status: str
    score: float | None = None
    note: str = ""


def _score_text(item: Item) -> str:
    return "" if item.score is None else f"{item.score:.2f}"


COLUMNS: list[Column[Item]] = [
    Column("name", "Name", lambda r: r.name, width=24, flex=True, min_width=8),
    Column(
        "status",
        "Status",
        lambda r: r.status,
        width=10,
        style=lambda r: "bold red" if r.status == "FAILED" else None,
    ),
    Column("score", "Score", _score_text, sort_key=lambda r: r.score, width=8, align="right"),
    Column("note", "Note", lambda r: r.note, width=30, priority=2),
]


def make_items(count: int) -> list[Item]:
    statuses = ["RUNNING", "FINISHED", "FAILED"]
    return [
        Item(
            id=i,
            name=f"run-{i:04d}",
            status=statuses[i % 3],
            score=None if i % 5 == 0 else round((i * 37 % 101) / 10, 2),
            note=f"note {i}",
        )
        for i in range(count)
    ]


class GridApp(App[None]):
    def __init__(self, rows: list[Item], *, markable: bool = False) -> None:
        super().__init__()
        self.rows = rows
        self.markable = markable
        self.selected: list[Item] = []
        self.moved: list[Item | None] = []
        self.sorts: list[tuple[str | None, bool]] = []

    def compose(self) -> ComposeResult:
        yield DataGrid(COLUMNS, row_key=lambda r: r.id, markable=self.markable, id="grid")

    def on_mount(self) -> None:
        self.grid.set_rows(self.rows)
        self.grid.focus()

    @property
    def grid(self) -> DataGrid[Item]:
        return self.query_one("#grid", DataGrid)

    def on_data_grid_row_selected(self, message: DataGrid.RowSelected) -> None:
        self.selected.append(message.row)

    def on_data_grid_cursor_moved(self, message: DataGrid.CursorMoved) -> None:
        self.moved.append(message.row)

    def on_data_grid_sort_changed(self, message: DataGrid.SortChanged) -> None:
        self.sorts.append((message.column, message.reverse))


def lines(grid: DataGrid[Item]) -> list[str]:
    return [grid.render_line(y).text for y in range(grid.size.height)]


def screen_text(app: App[None]) -> str:
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


async def test_keys_move_cursor() -> None:
    app = GridApp(make_items(500))
    async with app.run_test(size=SIZE) as pilot:
        grid = app.grid
        await pilot.pause()
        assert grid.cursor_index == 0
        assert grid.cursor_row is not None and grid.cursor_row.id == 0
        await pilot.press("j", "j", "down")
        await pilot.pause()
        assert grid.cursor_index == 3
        await pilot.press("k")
        await pilot.pause()
        assert grid.cursor_index == 2
        await pilot.press("G")
        await pilot.pause()
        assert grid.cursor_index == 499
        assert grid.cursor_row is not None and grid.cursor_row.id == 499
        # the cursor is kept on screen: the last line shows the last row
        assert "run-0499" in lines(grid)[-1]
        await pilot.press("g")
        await pilot.pause()
        assert grid.cursor_index == 0
        assert grid.scroll_y == 0
        page = grid.scrollable_content_region.height - 1  # minus the header
        await pilot.press("pagedown")
        await pilot.pause()
        assert grid.cursor_index == page
        await pilot.press("pageup")
        await pilot.pause()
        assert grid.cursor_index == 0
        await pilot.press("ctrl+d")
        await pilot.pause()
        assert grid.cursor_index == page // 2
        await pilot.press("ctrl+u")
        await pilot.pause()
        assert grid.cursor_index == 0
        await pilot.press("k")  # clamped at the top
        await pilot.pause()
        assert grid.cursor_index == 0
        assert [row.id for row in app.moved if row is not None][:3] == [0, 1, 2]


async def test_enter_posts_row_selected() -> None:
    app = GridApp(make_items(20))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("j", "j", "enter")
        await pilot.pause()
        assert [row.id for row in app.selected] == [2]


async def test_click_moves_cursor_then_selects() -> None:
    app = GridApp(make_items(20))
    async with app.run_test(size=SIZE) as pilot:
        grid = app.grid
        await pilot.click(grid, offset=(5, 4))  # line 4 = the fourth row (index 3)
        await pilot.pause()
        assert grid.cursor_index == 3
        assert app.selected == []
        await pilot.click(grid, offset=(5, 4))
        await pilot.pause()
        assert [row.id for row in app.selected] == [3]


async def test_click_header_sorts_then_reverses() -> None:
    app = GridApp(make_items(20))
    async with app.run_test(size=SIZE) as pilot:
        grid = app.grid
        score = next(s for s in grid._layout() if s.column.key == "score")
        await pilot.click(grid, offset=(score.x + 1, 0))
        await pilot.pause()
        assert (grid.sort_column, grid.sort_reverse) == ("score", False)
        await pilot.click(grid, offset=(score.x + 1, 0))
        await pilot.pause()
        assert (grid.sort_column, grid.sort_reverse) == ("score", True)
        assert app.sorts == [("score", False), ("score", True)]


async def test_filter_narrows_case_insensitive_over_visible_columns() -> None:
    app = GridApp(make_items(300))
    async with app.run_test(size=SIZE) as pilot:
        grid = app.grid
        grid.set_filter("RUN-01")
        await pilot.pause()
        ids = [row.id for row in grid.visible_rows]
        assert ids == list(range(100, 200))
        assert grid.filter_text == "RUN-01"
        grid.set_filter("run-012")  # narrowing
        await pilot.pause()
        assert [row.id for row in grid.visible_rows] == list(range(120, 130))
        grid.set_filter("failed")  # status column, any case
        await pilot.pause()
        assert all(row.status == "FAILED" for row in grid.visible_rows)
        assert len(grid.visible_rows) == 100
        assert grid.total_rows == 300
        assert "run-0002" in lines(grid)[1]


async def test_filter_ignores_hidden_columns() -> None:
    app = GridApp(make_items(30))
    # columns are as wide as their text (name 8, status 8, score 5, gaps 2 = 23) and the
    # scroll bar takes 2: no room left for the note, even at its minimum (4)
    async with app.run_test(size=(26, 20)) as pilot:
        grid = app.grid
        await pilot.pause()
        assert "note" not in [c.key for c in grid.visible_columns]
        grid.set_filter("note 1")
        await pilot.pause()
        assert len(grid.visible_rows) == 0
        assert "No rows match “note 1”" in lines(grid)[1]
        # widen the terminal: the note column comes back and is searched again
        await pilot.resize_terminal(120, 20)
        await pilot.pause()
        assert "note" in [c.key for c in grid.visible_columns]
        assert len(grid.visible_rows) == 11  # note 1, note 10..19


async def test_filter_then_clear_restores() -> None:
    items = make_items(200)
    random.Random(3).shuffle(items)
    app = GridApp(items)
    async with app.run_test(size=SIZE) as pilot:
        grid = app.grid
        grid.sort_by("score", reverse=True)
        await pilot.pause()
        before = [row.id for row in grid.visible_rows]
        grid.set_filter("fail")
        await pilot.pause()
        assert 0 < len(grid.visible_rows) < 200
        grid.set_filter("failx")
        await pilot.pause()
        assert len(grid.visible_rows) == 0
        assert grid.cursor_index == -1 and grid.cursor_row is None
        grid.set_filter("")
        await pilot.pause()
        assert [row.id for row in grid.visible_rows] == before
        assert grid.cursor_index == 0


async def test_filter_matches_brute_force() -> None:
    items = make_items(400)
    app = GridApp(items)
    async with app.run_test(size=SIZE) as pilot:
        grid = app.grid
        visible = grid.visible_columns
        rng = random.Random(7)
        query = ""
        for _ in range(40):
            if query and rng.random() < 0.3:
                query = query[:-1]
            else:
                query += rng.choice("run-0123 fiLedN.")
            grid.set_filter(query)
            if rng.random() < 0.2:
                grid.sort_by(rng.choice(["name", "score", "status"]), rng.random() < 0.5)
            expected = {item.id for item in items if any(query.lower() in c.text(item).lower() for c in visible)}
            assert {row.id for row in grid.visible_rows} == expected, query
        await pilot.pause()


async def test_sort_ascending_descending_none_last() -> None:
    app = GridApp(make_items(50))
    async with app.run_test(size=SIZE) as pilot:
        grid = app.grid
        grid.sort_by("score")
        await pilot.pause()
        scores = [row.score for row in grid.visible_rows]
        present = [s for s in scores if s is not None]
        assert present == sorted(present)
        assert scores[len(present) :] == [None] * (50 - len(present))
        assert len(present) == 40
        grid.sort_by("score", reverse=True)
        await pilot.pause()
        scores = [row.score for row in grid.visible_rows]
        assert scores[:40] == sorted(present, reverse=True)
        assert scores[40:] == [None] * 10
        grid.sort_by("name", reverse=True)
        await pilot.pause()
        assert [row.id for row in grid.visible_rows] == list(range(49, -1, -1))
        with pytest.raises(KeyError):
            grid.sort_by("nope")


async def test_sort_keeps_cursor_row_and_keys_cycle() -> None:
    app = GridApp(make_items(50))
    async with app.run_test(size=SIZE) as pilot:
        grid = app.grid
        await pilot.press("j", "j", "j")
        await pilot.pause()
        assert grid.cursor_row is not None and grid.cursor_row.id == 3
        await pilot.press(">")  # unsorted: the first column (name) ascending
        await pilot.pause()
        assert (grid.sort_column, grid.sort_reverse) == ("name", False)
        assert grid.cursor_row is not None and grid.cursor_row.id == 3
        await pilot.press("S")
        await pilot.pause()
        assert (grid.sort_column, grid.sort_reverse) == ("name", True)
        assert grid.cursor_index == 46  # same row, now near the bottom
        await pilot.press(">", ">")  # status, score: ascending again
        await pilot.pause()
        assert (grid.sort_column, grid.sort_reverse) == ("score", False)
        await pilot.press(">")  # note column is visible at width 100
        await pilot.pause()
        assert grid.sort_column == "note"
        await pilot.press(">")  # wraps around
        await pilot.pause()
        assert grid.sort_column == "name"
        await pilot.press("<", "<")  # and back the other way
        await pilot.pause()
        assert grid.sort_column == "score"
        assert grid.cursor_row is not None and grid.cursor_row.id == 3
        await pilot.press("s")  # not a grid key any more: a screen may use it
        await pilot.pause()
        assert grid.sort_column == "score"
        grid.clear_sort()
        await pilot.pause()
        assert [row.id for row in grid.visible_rows] == list(range(50))


async def test_header_shows_sort_arrow() -> None:
    app = GridApp(make_items(10))
    async with app.run_test(size=SIZE) as pilot:
        grid = app.grid
        header = grid.render_line(0).text
        assert "Score" in header and "▲" not in header and "▼" not in header
        grid.sort_by("score")
        await pilot.pause()
        assert "Score ▲" in grid.render_line(0).text
        grid.reverse_sort()
        await pilot.pause()
        assert "Score ▼" in grid.render_line(0).text
        assert "Score ▼" in screen_text(app)


async def test_set_rows_keeps_cursor_on_same_key() -> None:
    items = make_items(100)
    app = GridApp(items)
    async with app.run_test(size=SIZE) as pilot:
        grid = app.grid
        await pilot.press("j", "j", "j", "j", "j")
        await pilot.pause()
        assert grid.cursor_row is not None and grid.cursor_row.id == 5
        moved = len(app.moved)
        # new objects, different order, some rows gone
        fresh = [item.model_copy(update={"note": "updated"}) for item in items[3:]]
        random.Random(1).shuffle(fresh)
        grid.set_rows(fresh)
        await pilot.pause()
        assert grid.cursor_row is not None and grid.cursor_row.id == 5
        assert grid.cursor_row.note == "updated"
        assert grid.total_rows == 97
        assert len(app.moved) == moved  # same key: no CursorMoved
        grid.set_rows(fresh)  # the same object again: nothing to do
        # the cursor row disappears: the cursor stays at the same index
        index = grid.cursor_index
        grid.set_rows([item for item in fresh if item.id != 5])
        await pilot.pause()
        assert grid.cursor_index == index
        assert grid.cursor_row is not None and grid.cursor_row.id != 5
        assert len(app.moved) == moved + 1


async def test_set_rows_keeps_filter_and_sort() -> None:
    app = GridApp(make_items(60))
    async with app.run_test(size=SIZE) as pilot:
        grid = app.grid
        grid.sort_by("score", reverse=True)
        grid.set_filter("failed")
        await pilot.pause()
        grid.set_rows(make_items(90))
        await pilot.pause()
        rows = list(grid.visible_rows)
        assert len(rows) == 30 and all(r.status == "FAILED" for r in rows)
        present = [r.score for r in rows if r.score is not None]
        assert present == sorted(present, reverse=True)
        assert rows[-1].score is None


async def test_narrow_terminal_hides_high_priority_number_column() -> None:
    app = GridApp(make_items(10))
    async with app.run_test(size=SIZE) as pilot:
        grid = app.grid
        assert "Note" in grid.render_line(0).text
        # columns as wide as their text: name 8, status 8, score 5, 2 gaps = 23; the note
        # would need 1 + its minimum 4
        await pilot.resize_terminal(27, 20)
        await pilot.pause()
        header = grid.render_line(0).text
        assert "Note" not in header
        assert "Name" in header and "Status" in header and "Score" in header
        assert "note 1" not in screen_text(app)
        await pilot.resize_terminal(20, 20)  # flex and then fixed columns shrink
        await pilot.pause()
        for line in lines(grid):
            assert len(line) == grid.scrollable_content_region.width


async def test_flex_takes_spare_width_and_truncates_with_ellipsis() -> None:
    long_name = "x" * 200
    app = GridApp([Item(id=1, name=long_name, status="OK", note="日本語テキスト" * 10)])
    async with app.run_test(size=SIZE) as pilot:
        grid = app.grid
        layout = grid._layout()
        name = layout[0]
        width = grid.scrollable_content_region.width
        # both name and note are cut: the fixed note grows first (up to all it needs), so
        # nothing is left blank while they are cut
        note = layout[-1]
        assert layout[-1].x + layout[-1].width == width
        assert name.width == 24 and note.width > 30
        row = grid.render_line(1).text
        assert row.startswith("x" * (name.width - 1) + "…")
        assert grid.render_line(1).cell_length == width
        assert "…" in row[note.x :]
        # once the note is short, the flex name takes all the width the others leave
        grid.set_rows([Item(id=1, name=long_name, status="OK", note="日本語")])
        await pilot.pause()
        layout = grid.slots
        assert layout[0].width > 24 and layout[-1].x + layout[-1].width == width
        assert grid.render_line(1).text.startswith("x" * (layout[0].width - 1) + "…")
        await pilot.pause()


async def test_marking_with_space() -> None:
    app = GridApp(make_items(10), markable=True)
    async with app.run_test(size=SIZE) as pilot:
        grid = app.grid
        await pilot.press("space", "space", "j", "space")
        await pilot.pause()
        assert grid.marked_keys == frozenset({0, 1, 3})
        assert [row.id for row in grid.marked_rows] == [0, 1, 3]
        assert grid.cursor_index == 4
        text = lines(grid)
        assert text[1].startswith("● ") and text[2].startswith("● ")
        assert text[3].startswith("  ") and text[4].startswith("● ")
        assert text[0].startswith("  Name")
        await pilot.press("k", "space")  # toggle off
        await pilot.pause()
        assert grid.marked_keys == frozenset({0, 1})
        grid.clear_marks()
        await pilot.pause()
        assert grid.marked_keys == frozenset()
        assert not any(line.startswith("●") for line in lines(grid))


async def test_space_does_nothing_when_not_markable() -> None:
    app = GridApp(make_items(10))
    async with app.run_test(size=SIZE) as pilot:
        grid = app.grid
        await pilot.press("space")
        await pilot.pause()
        assert grid.marked_keys == frozenset()
        assert grid.cursor_index == 0
        assert not grid.render_line(1).text.startswith("●")


async def test_markup_is_shown_literally() -> None:
    app = GridApp([Item(id=1, name="[bold red]x[/]", status="OK", note="[link=http://e]y[/link]")])
    async with app.run_test(size=SIZE) as pilot:
        grid = app.grid
        await pilot.pause()
        row = grid.render_line(1)
        assert "[bold red]x[/]" in row.text
        assert "[link=http://e]y[/link]" in row.text
        for segment in row:
            assert segment.style is None or not segment.style.link
        assert "[bold red]x[/]" in screen_text(app)


async def test_control_characters_are_visible_and_never_emitted() -> None:
    app = GridApp([Item(id=1, name="evil\x1b[2Jname", status="a\x07b\nc")])
    async with app.run_test(size=SIZE) as pilot:
        grid = app.grid
        await pilot.pause()
        strips = [grid.render_line(y) for y in range(grid.size.height)]
        text = "".join(segment.text for strip in strips for segment in strip)
        assert "\x1b" not in text and "\x07" not in text and "\n" not in text
        assert "evil␛[2Jname" in text
        assert "a␇b␤c" in text
        assert "\x1b" not in screen_text(app)
        # filtering uses the text as shown
        grid.set_filter("␛[2j")
        assert len(grid.visible_rows) == 1


async def test_empty_text() -> None:
    app = GridApp([])
    async with app.run_test(size=SIZE) as pilot:
        grid = app.grid
        await pilot.pause()
        assert grid.cursor_index == -1 and grid.cursor_row is None
        assert "Nothing to show" in grid.render_line(1).text
        await pilot.press("j", "enter", "G")
        await pilot.pause()
        assert app.selected == []


async def test_move_cursor_to_key_and_virtual_size() -> None:
    app = GridApp(make_items(1000))
    async with app.run_test(size=SIZE) as pilot:
        grid = app.grid
        assert grid.virtual_size.height == 1001
        assert grid.move_cursor_to_key(700)
        await pilot.pause()
        assert grid.cursor_index == 700
        assert any("run-0700" in line for line in lines(grid))
        assert app.moved[-1] is not None and app.moved[-1].id == 700
        assert not grid.move_cursor_to_key(5000)
        grid.set_filter("run-07")
        await pilot.pause()
        assert grid.virtual_size.height == 101
        assert grid.cursor_row is not None and grid.cursor_row.id == 700
        grid.move_cursor(10_000)
        assert grid.cursor_index == 99
        rows = grid.visible_rows
        assert rows[0].id == 700 and rows[-1].id == 799 and len(rows[10:20]) == 10


async def test_cursor_highlight_dimmer_when_blurred() -> None:
    app = GridApp(make_items(10))
    async with app.run_test(size=SIZE) as pilot:
        grid = app.grid
        await pilot.pause()

        def background(y: int) -> object:
            return next(iter(grid.render_line(y))).style.bgcolor

        focused = background(1)
        plain = background(2)
        assert focused != plain
        grid.blur()
        await pilot.pause()
        blurred = background(1)
        assert blurred not in (plain, focused)
        # a cell style keeps its colour but the cursor background wins
        grid.focus()
        await pilot.press("j", "j")
        await pilot.pause()
        failed = next(s for s in grid.render_line(3) if s.text.strip() == "FAILED")
        assert failed.style.color is not None and failed.style.color.name == "red"
        assert failed.style.bold and failed.style.bgcolor == focused


async def test_sorted_header_arrow_survives_narrow_column() -> None:
    narrow = [
        Column("a", "Alphabetical", lambda r: r.name, width=6, min_width=6),
        Column("b", "B", lambda r: r.status, width=4, align="right"),
    ]

    class NarrowApp(App[None]):
        def compose(self) -> ComposeResult:
            yield DataGrid(narrow, row_key=lambda r: r.id)

    app = NarrowApp()
    async with app.run_test(size=(11, 10)) as pilot:  # 6 + 1 + 4: no spare width
        grid = app.query_one(DataGrid)
        grid.set_rows(make_items(3))
        grid.sort_by("a", reverse=True)
        grid.sort_by("b")
        await pilot.pause()
        header = grid.render_line(0).text
        assert header.startswith("Alpha… ")
        assert header[7:11] == "B ▲ " or header[7:11] == " B ▲"
        grid.sort_by("a", reverse=True)
        await pilot.pause()
        assert grid.render_line(0).text.startswith("Alp… ▼")


def _counting_columns(calls: list[int], label: str) -> list[Column[Item]]:
    def score_key(item: Item) -> float | None:
        calls.append(item.id)
        return item.score

    return [
        Column("name", label, lambda r: r.name, width=24, flex=True, min_width=8),
        Column("status", "Status", lambda r: r.status, width=10),
        Column("score", "Score", _score_text, sort_key=score_key, width=8, align="right"),
    ]


async def test_set_data_shows_new_columns_and_rows_in_one_pass() -> None:
    items = make_items(60)
    app = GridApp(items)
    async with app.run_test(size=SIZE) as pilot:
        grid = app.grid
        calls: list[int] = []
        grid.set_data(_counting_columns(calls, "Run"), items)
        grid.sort_by("score", reverse=True)
        grid.set_filter("fail")
        await pilot.press("j", "j")
        await pilot.pause()
        kept = grid.cursor_row
        assert kept is not None
        calls.clear()
        fresh = [item.model_copy(update={"note": "new"}) for item in items + make_items(90)[60:]]
        grid.set_data(_counting_columns(calls, "Run name"), fresh)
        await pilot.pause()
        assert len(calls) == len(fresh)  # sorted once, not once for the old rows and again
        assert "Run name" in grid.render_line(0).text and "Score ▼" in grid.render_line(0).text
        rows = list(grid.visible_rows)
        assert len(rows) == 30 and all(r.status == "FAILED" for r in rows)
        assert grid.cursor_row is not None and grid.cursor_row.id == kept.id

        # the old two-step calls still work: new columns, then new rows
        grid.set_columns(_counting_columns(calls, "Again"))
        grid.set_rows(items)
        await pilot.pause()
        assert "Again" in grid.render_line(0).text
        assert grid.total_rows == 60 and grid.cursor_row is not None and grid.cursor_row.id == kept.id

        # a sort column the new columns no longer have: back to the rows' own order
        grid.set_data(COLUMNS[:2], items)
        await pilot.pause()
        assert grid.sort_column is None
        assert [r.id for r in grid.visible_rows] == [i.id for i in items if i.status == "FAILED"]


# ---------------------------------------------------------------------------- widths from content


def _cols(*specs: tuple[str, int, bool, int]) -> list[Column[Item]]:
    """(key, preferred width, flex, priority) columns whose text is the key itself."""
    return [
        Column(key, key[:3], lambda r, k=key: k, width=width, min_width=3, flex=flex, priority=priority)
        for key, width, flex, priority in specs
    ]


def test_spare_width_goes_to_cut_columns_short_ones_then_text_columns() -> None:
    columns = _cols(("state", 30, True, 0), ("summary", 30, True, 2), ("method", 12, False, 0))
    needs = {"state": 8, "summary": 90, "method": 13}
    slots = {s.column.key: s.width for s in layout_columns(columns, 100, needs=needs)}
    # state is as wide as its text; method got its 13 first, summary (still cut) the rest
    assert slots == {"state": 8, "summary": 100 - 8 - 13 - 2, "method": 13}
    # when nothing is cut, the flex columns share what is left
    slots = {s.column.key: s.width for s in layout_columns(columns, 100, needs={**needs, "summary": 20})}
    assert slots["method"] == 13 and slots["state"] + slots["summary"] == 100 - 13 - 2
    assert slots["state"] >= 8 and slots["summary"] >= 20


def test_narrow_hides_then_shrinks_the_least_important_first() -> None:
    columns = _cols(("name", 20, False, 0), ("target", 40, True, 0), ("age", 10, False, 3), ("state", 10, True, 2))
    needs = {"name": 20, "target": 28, "age": 8, "state": 22}
    slots = {s.column.key: s.width for s in layout_columns(columns, 60, needs=needs)}
    assert "age" not in slots and slots["name"] == 20 and slots["target"] == 28
    assert slots["state"] == 60 - 20 - 28 - 2  # what is left, after the target has all it needs


def test_the_sorted_column_gets_room_for_its_arrow() -> None:
    columns = _cols(("version", 10, False, 0))
    assert layout_columns(columns, 50, needs={"version": 1})[0].width == 3  # label "ver"
    assert layout_columns(columns, 50, needs={"version": 1}, sorted_key="version")[0].width == 5


def test_no_cut_while_blank_width_remains_for_random_needs() -> None:
    rng = random.Random(7)
    for _ in range(300):
        specs = [
            (f"c{i}", rng.randint(3, 30), rng.random() < 0.4, rng.choice([0, 0, 1, 2, 3]))
            for i in range(rng.randint(1, 7))
        ]
        columns = _cols(*specs)
        needs = {key: rng.randint(1, 60) for key, *_ in specs}
        width = rng.randint(10, 200)
        slots = layout_columns(columns, width, needs=needs)
        want = {s.column.key: max(needs[s.column.key], 3) for s in slots}  # min_width 3, labels 2-3 cells
        cut = [s for s in slots if s.width < want[s.column.key]]
        blank = width - (slots[-1].x + slots[-1].width) + sum(max(0, s.width - want[s.column.key]) for s in slots)
        assert not (cut and blank > 0), (specs, needs, width, slots)
        assert (
            slots[-1].x + slots[-1].width <= width
            or len(slots) == 1
            or all(s.width == s.column.min_width for s in slots)
        )


async def test_columns_follow_their_content() -> None:
    app = GridApp([Item(id=1, name="a", status="OK", note="short")])
    async with app.run_test(size=SIZE) as pilot:
        grid = app.grid
        await pilot.pause()
        widths = {s.column.key: s.width for s in grid.slots}
        assert widths["status"] == len("Status") and widths["note"] == len("short")
        grid.set_rows([Item(id=1, name="a", status="OK", note="a much longer note than before")])
        await pilot.pause()
        assert {s.column.key: s.width for s in grid.slots}["note"] == len("a much longer note than before")
        assert "a much longer note than before" in grid.render_line(1).text


# ---------------------------------------------------------------------------- groups


async def test_group_headers_fold_and_cursor_visits_every_line() -> None:
    items = make_items(9)  # statuses cycle RUNNING, FINISHED, FAILED
    app = GridApp(items)
    async with app.run_test(size=SIZE) as pilot:
        grid = app.grid
        order = ["FAILED", "RUNNING", "FINISHED"]
        grid.set_grouping(lambda r: r.status, rank=order.index)
        await pilot.pause()
        assert [(g.label, g.count) for g in grid.groups] == [("FAILED", 3), ("RUNNING", 3), ("FINISHED", 3)]
        assert [r.status for r in grid.visible_rows] == ["FAILED"] * 3 + ["RUNNING"] * 3 + ["FINISHED"] * 3
        assert grid.cursor_row is not None and grid.cursor_row.id == 0  # stays on its row
        texts = [grid.render_line(y).text.strip() for y in range(1, 13)]
        assert texts[0] == "▼ FAILED (3)" and texts[4] == "▼ RUNNING (3)" and texts[8] == "▼ FINISHED (3)"

        await pilot.press("g")
        assert grid.cursor_group is not None and grid.cursor_row is None
        await pilot.press("enter")  # folds
        await pilot.pause()
        assert app.selected == []
        assert grid.render_line(1).text.strip() == "► FAILED (3)"
        assert grid.render_line(2).text.strip() == "▼ RUNNING (3)"
        assert len(grid.visible_rows) == 6
        await pilot.press("j")
        assert grid.cursor_group is not None and grid.cursor_group.label == "RUNNING"
        await pilot.press("j")
        assert grid.cursor_row is not None and grid.cursor_row.status == "RUNNING"
        await pilot.press("enter")  # on a row: selects it
        await pilot.pause()
        assert app.selected and app.selected[-1].status == "RUNNING"

        grid.set_filter("run-000")  # counts follow the filter
        await pilot.pause()
        assert [g.count for g in grid.groups] == [3, 3, 3]
        grid.set_filter("run-0001")
        await pilot.pause()
        assert [(g.label, g.count) for g in grid.groups] == [("FINISHED", 1)]

        grid.set_filter("")
        grid.set_grouping(None)
        await pilot.pause()
        assert not grid.groups and len(grid.visible_rows) == 9
        assert "▼" not in grid.render_line(1).text


def test_a_hidden_column_comes_back_narrowed_when_the_others_leave_room() -> None:
    columns = [
        Column("model", "Model", lambda r: "m", width=14),
        Column("note", "Note", lambda r: "n", width=24, min_width=10, priority=3),
        Column("state", "State", lambda r: "s", width=9),
    ]
    needs = {"model": 14, "note": 40, "state": 8}
    # 14 + 24 + 8 + 2 = 48 does not fit 40: the note is hidden, then shown in the 16 left
    slots = layout_columns(columns, 40, needs=needs)
    assert [(s.column.key, s.width) for s in slots] == [("model", 14), ("note", 16), ("state", 8)]
    # too little room for its minimum: it stays hidden
    assert [s.column.key for s in layout_columns(columns, 33, needs=needs)] == ["model", "state"]


async def test_a_long_list_filtered_as_new_rows_come_is_filtered_exactly_once_its_text_is_built(monkeypatch) -> None:
    """A long list's filter text is built on a thread after new rows come; a filter typed
    before reads the last rows' text for the unchanged rows. Once the thread's text comes,
    the list shows what the filter really matches, on screen."""
    monkeypatch.setattr(DataGrid, "WARM_FILTER_ROWS", 40)
    notes = {i: "quiet" for i in range(60)}
    columns = [*COLUMNS[:3], Column("note", "Note", lambda r: notes[r.id], width=30)]
    items = make_items(60)

    class NotesApp(GridApp):
        def compose(self) -> ComposeResult:
            yield DataGrid(columns, row_key=lambda r: r.id, id="grid")

    app = NotesApp(items)
    async with app.run_test(size=SIZE) as pilot:
        grid = app.grid
        while not grid.filter_ready:  # the first rows' text, from the thread
            await pilot.pause(0.02)
        grid.set_filter("paged")
        assert list(grid.visible_rows) == []
        notes[5] = "paged on-call"  # the same row object, its text changed meanwhile
        grid.set_rows([*items])
        assert list(grid.visible_rows) == []  # a poll old: the last rows' text
        while not grid.filter_ready:
            await pilot.pause(0.02)
        await pilot.pause()
        assert [r.id for r in grid.visible_rows] == [5]
        assert "run-0005" in screen_text(app)


async def test_a_long_lists_new_rows_get_the_widths_they_need_measured_off_the_ui_thread(monkeypatch) -> None:
    """Measuring a long list's new rows (1,000 rows' text, ~15 ms at 10,000 alerts) is the
    indexing thread's work, not the UI thread's in the repaint a key may wait for: the rows
    show at once with the widths they had, then their columns widen to what they need. A
    long list that comes after a short one (the first poll) is measured at once."""
    monkeypatch.setattr(DataGrid, "WARM_FILTER_ROWS", 40)
    measured_on: list[str] = []
    measure = DataGrid._measure

    def recording(self, columns, rows):
        measured_on.append(threading.current_thread().name)
        return measure(self, columns, rows)

    monkeypatch.setattr(DataGrid, "_measure", recording)
    items = make_items(60)
    app = GridApp([])
    async with app.run_test(size=SIZE) as pilot:
        grid = app.grid
        await pilot.pause()
        grid.set_rows(items)
        assert {s.column.key: s.width for s in grid.slots}["note"] == len("note 59")
        assert measured_on == ["MainThread", "MainThread"]  # no rows, then the first rows: at once
        longer = "a much longer note than any before"
        grid.set_rows([*items[:5], Item(id=5, name="run-0005", status="OK", note=longer), *items[6:]])
        await wait_until(lambda: {s.column.key: s.width for s in grid.slots}["note"] == len(longer), pilot=pilot)
        assert measured_on[2:] and set(measured_on[2:]) == {"mlops-tui-filter-index_0"}
        await pilot.pause()
        assert longer in screen_text(app)

        # a short list is measured at once, as before
        grid.set_rows(items[:3])
        assert {s.column.key: s.width for s in grid.slots}["note"] == len("note 2")


async def test_the_same_subtitle_again_repaints_nothing_and_a_new_one_shows() -> None:
    """Views set their lists' subtitles on every snapshot; Textual repaints the whole widget on
    each assignment. The same subtitle again is not a repaint; a new one, or a new style, is."""
    app = GridApp(make_items(5))
    async with app.run_test(size=SIZE) as pilot:
        grid = app.grid
        grid.styles.border = ("round", "white")  # as the views draw their lists, titles in the border
        await pilot.pause()
        whole: list[int] = []
        refresh = grid.refresh

        def counting(*regions, **kwargs):
            if not regions:
                whole.append(1)
            return refresh(*regions, **kwargs)

        grid.refresh = counting  # type: ignore[method-assign]
        grid.border_subtitle = "a ack  s silence"
        await pilot.pause()
        assert len(whole) == 1 and "a ack  s silence" in screen_text(app)
        for _ in range(3):
            grid.border_subtitle = "a ack  s silence"
        assert len(whole) == 1
        grid.border_subtitle = Content("a ack  s silence")  # the same text, literal
        grid.border_subtitle = Content.from_markup("[b]a ack[/b]  s silence")  # a new style
        assert len(whole) == 3
        grid.border_subtitle = "2 missing"
        await pilot.pause()
        assert len(whole) == 4 and "2 missing" in screen_text(app) and "a ack" not in screen_text(app)
