"""Lines a frame no longer needs are freed when dropped, not by a full collection (ui/acyclic_caches.py).

Full collections are what a key waits for under a storm of alerts; the fewer cycles the
rendering leaves, the shorter they are. These tests keep the collector off while keys are
pressed, then ask it for everything that only it could have freed.
"""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator
from contextlib import contextmanager

from rich.segment import Segment
from textual.cache import LRUCache
from textual.strip import Strip

from mlops_tui.ui import acyclic_caches
from tests.conftest import wait_until
from tests.ui.support import SIZE, demo_app, wait_for_data


class Line:
    """A cached value that can be watched with a weak reference."""


@contextmanager
def collector_off() -> Iterator[list[object]]:
    """Yields a list that, on exit, holds every object only the cyclic collector could free
    of those made inside the block."""
    gc.unfreeze()
    gc.collect()
    was_enabled = gc.isenabled()
    gc.disable()
    found: list[object] = []
    try:
        yield found
    finally:
        gc.unfreeze()
        gc.set_debug(gc.DEBUG_SAVEALL)
        try:
            gc.collect()
            found.extend(gc.garbage)
            gc.garbage.clear()
        finally:
            gc.set_debug(0)
            if was_enabled:
                gc.enable()


def test_a_cleared_line_cache_frees_its_lines_at_once():
    acyclic_caches.install()
    cache: LRUCache[int, Line] = LRUCache(100)
    lines = [Line() for _ in range(50)]
    refs = [weakref.ref(line) for line in lines]
    with collector_off() as garbage:
        for n, line in enumerate(lines):
            cache[n] = line
        assert cache.get(3) is lines[3]  # a hit reorders the ring
        del lines, line
        cache.clear()
        assert [ref for ref in refs if ref() is not None] == []
    assert garbage == []


def test_a_strip_divided_or_cropped_at_its_own_width_frees_with_its_last_reference():
    acyclic_caches.install()
    with collector_off() as garbage:
        strip = Strip([Segment("a line of twenty cel")])
        assert strip.divide([20]) == [strip]
        assert strip.crop_extend(0, 20, None) is strip
        assert strip.crop_extend(5, 20, None).cell_length == 15  # the other answers are Textual's own
        del strip
    assert [o for o in garbage if isinstance(o, Strip)] == []


async def test_keys_across_the_views_leave_no_rendered_line_for_the_collector(tmp_path):
    app = demo_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_data(app, pilot)
        for key in "2345612":  # every view once, so the rest are repaints, not first mounts
            await pilot.press(key)
            await pilot.pause()
        with collector_off() as garbage:
            for key in "5jjjjkk2jjjG3jj4jj5jjg1":
                await pilot.press(key)
                await pilot.pause()
        strips = [o for o in garbage if isinstance(o, Strip)]
        assert strips == [], f"{len(strips)} rendered lines (of {len(garbage)} objects) waited for a full collection"


async def test_widgets_removed_leave_none_of_their_rendered_lines_behind(tmp_path):
    """Textual caches each widget's inner and outer background per widget (an lru_cache of 1,024
    on a method), which kept the last 1,024 widgets' line caches alive after they were removed:
    the footer's keys after each `/` and `esc`. Count the line caches alive before and after."""

    def line_caches() -> int:
        gc.collect()
        return sum(1 for o in gc.get_objects() if type(o).__name__ == "StylesCache")

    app = demo_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_data(app, pilot)
        await pilot.press("5")  # the Alerts view: `/` moves focus into its filter and the footer rebuilds
        await pilot.pause()
        for _ in range(2):
            await pilot.press("slash", "escape")
            await pilot.pause()
        before = line_caches()
        for _ in range(5):
            await pilot.press("slash", "escape")
            await pilot.pause()
        assert line_caches() - before < 5, "removed widgets' rendered lines are still held"


async def test_a_list_restyled_on_focus_lets_its_old_style_nodes_go_without_a_collection(tmp_path):
    """Each restyle of a widget with component classes (the list losing focus to `/`'s filter
    and getting it back) makes a virtual node per class, in a cycle with its styles. The app
    freezes what is alive at its idle collections, so the replaced ones waited for the deep
    collection every 5-10 minutes: ~0.2 MB a poll of the 200,000-alert bench. Counted here with
    the collector off: what is left is what reference counting did not free."""
    from textual.dom import DOMNode

    def virtual_nodes() -> int:
        return sum(1 for o in gc.get_objects() if type(o) is DOMNode)

    app = demo_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_data(app, pilot)
        await pilot.press("5")
        await pilot.pause()
        for _ in range(2):
            await pilot.press("slash", "escape")
            await pilot.pause()
        gc.collect()
        gc.disable()
        try:
            before = virtual_nodes()
            for _ in range(5):
                await pilot.press("slash", "escape")
                await pilot.pause()
            left = virtual_nodes() - before
        finally:
            gc.enable()
        assert left < 5, f"{left} replaced style nodes wait for a collection"


async def test_a_long_lists_filter_index_lets_the_rows_it_indexed_go_without_a_collection(monkeypatch):
    """A long list's filter index is built on a thread each time new rows come (one poll of a
    busy Alertmanager: 10,000 alerts). Built by a Textual thread worker, each build died in a
    cycle (its task's context holds the worker, the worker its task) holding the rows it
    indexed, which the app's frozen heap kept until the deep collection."""
    from textual.app import App, ComposeResult

    from mlops_tui.ui.widgets.data_grid import Column, DataGrid

    class Row:
        def __init__(self, n: int) -> None:
            self.n = n

    columns = [Column("n", "N", lambda r: str(r.n), width=8), Column("sq", "Square", lambda r: str(r.n**2), width=8)]

    class ListApp(App[None]):
        def compose(self) -> ComposeResult:
            yield DataGrid(columns, row_key=lambda r: r.n, id="grid")

    monkeypatch.setattr(DataGrid, "WARM_FILTER_ROWS", 40)
    app = ListApp()
    async with app.run_test(size=SIZE) as pilot:
        grid = app.query_one("#grid", DataGrid)

        async def indexed(rows: list[Row]) -> None:
            grid.set_rows(rows)
            await wait_until(lambda: grid.filter_ready and grid.sort_ready, pilot=pilot)  # the thread's build is in

        await indexed([Row(n) for n in range(60)])
        with collector_off() as garbage:
            for poll in range(3):  # the rows of each poll, replaced by the next
                await indexed([Row(n) for n in range(60 * poll, 60 * poll + 60)])
        held = [o for o in garbage if isinstance(o, Row)]
        assert held == [], f"{len(held)} rows of replaced lists waited for a full collection"
