"""Filter feedback: the title counts what a `/` filter or an `f` query leaves, with thousands
separators, and a filter that matches nothing names itself ("No runs match …")."""

from __future__ import annotations

import pytest

from tests.conftest import wait_until
from tests.helpers import demo_app
from tests.ui.support import (
    SIZE,
    focused_grid,
    incident_app,
    open_list,
    screen,
    wait_for_data,
    wait_for_text,
    watch_layouts,
)

# (keys to the list, its title before " (", what its rows are called, a word some rows hold)
LISTS = [
    (["2"], "Runs", "runs", "ivan"),
    (["3"], "Promotion requests", "promotion requests", "ranker"),
    (["3", "tab"], "Model versions", "model versions", "fraud"),
    (["4"], "Deployments", "deployments", "fraud"),
    (["5"], "Alerts", "alerts", "fraud"),
    (["6"], "Drift", "drift scores", "churn"),
    ([], "Firing alerts", "alerts", "fraud"),
]


@pytest.mark.parametrize(("keys", "title", "noun", "word"), LISTS, ids=[t for _, t, _, _ in LISTS])
async def test_slash_filter_counts_in_the_title_and_no_match_names_the_filter(tmp_path, keys, title, noun, word):
    app = incident_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_data(app, pilot)
        for key in keys:
            await pilot.press(key)
        await pilot.pause()
        grid = focused_grid(app)
        total = grid.total_rows
        assert total > 1
        await pilot.press("slash", *word)
        await wait_until(lambda: grid.filter_text == word, pilot=pilot)
        shown = len(grid.visible_rows)
        assert 0 < shown < total, f"{word!r} should leave some {noun}"
        await wait_for_text(app, pilot, f"{title} ({shown:,} of {total:,})")

        await pilot.press(*"zzq")
        await wait_for_text(app, pilot, f"No {noun} match “{word}zzq”", f"{title} (0 of {total:,})")
        assert "No " + noun + " yet" not in screen(app)

        await pilot.press("escape")  # cleared: the screen's own title is back
        await wait_until(lambda: f"{title} (0 of" not in screen(app), pilot=pilot)
        assert f"No {noun} match" not in screen(app)


async def test_thousands_separators_in_a_long_list(tmp_path):
    app = demo_app(tmp_path, runs=3000)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_data(app, pilot, timeout=30)
        await pilot.press("2")
        await wait_for_text(app, pilot, "Runs (3,000)")
        grid = focused_grid(app)
        await pilot.press("slash", *"ivan")
        await wait_until(lambda: grid.filter_text == "ivan", pilot=pilot)
        await wait_for_text(app, pilot, f"Runs ({len(grid.visible_rows):,} of 3,000)")


async def test_f_query_counts_in_the_title_and_no_match_says_so(tmp_path):
    app = demo_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_data(app, pilot)
        await pilot.press("2")
        await wait_for_text(app, pilot, "Runs (300)")
        await pilot.press("f", *"metrics.auc > 0.9", "enter")
        grid = focused_grid(app)
        await wait_until(lambda: 0 < len(grid.visible_rows) < 300, pilot=pilot)
        assert all(r.metrics.get("auc", 0) > 0.9 for r in grid.visible_rows)
        await wait_for_text(app, pilot, f"Runs ({len(grid.visible_rows)} of 300)")

        await pilot.press("f", *"metrics.auc > 5", "enter")  # the line opens selected: typing replaces it
        await wait_for_text(app, pilot, "No runs match the query “metrics.auc > 5”", "Runs (0 of 300)")
        assert "No runs yet" not in screen(app)


async def test_a_filter_that_leaves_a_scrolling_list_does_not_lay_the_screen_out(tmp_path, monkeypatch):
    """Each character typed into `/` changes how many rows the list holds. While the list
    scrolls before and after, no widget moves: a layout (the whole screen arranged and painted
    again, 15-40 ms under 10,000 rows) is not needed, only the list and its scrollbar repaint.
    A filter that leaves rows that fit drops the scrollbar, and that one lays the screen out."""
    app = incident_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        grid = await open_list(app, pilot, "2")
        height = grid.scrollable_content_region.height
        await pilot.press("G")  # the last row: its scroll offset is clamped by the filter
        await pilot.pause()
        laid_out = watch_layouts(monkeypatch)
        await pilot.press("slash")
        await pilot.pause()
        laid_out.clear()  # the filter line opening is a layout of its own
        await pilot.press(*"finished")  # 251 of the 300 runs: every prefix leaves a list that scrolls
        await wait_until(lambda: grid.filter_text == "finished", pilot=pilot)
        await pilot.pause()
        assert laid_out == []
        shown = len(grid.visible_rows)
        assert height < shown < grid.total_rows, "the filter must leave a list that still scrolls"
        text = await wait_for_text(app, pilot, f"Runs ({shown:,} of {grid.total_rows:,})")
        # scrolled to the end of 300 rows before: the scroll offset is clamped to the rows left,
        # which fill the view, the cursor's among them
        assert grid.show_vertical_scrollbar and grid.scroll_y <= grid.max_scroll_y
        assert text.count(" FINISHED ") >= height - 2
        assert grid.cursor_row is not None and grid.cursor_row.name in text

        await pilot.press(*"zzzz-no-run")  # nothing left: the scrollbar goes, the screen is laid out
        await wait_until(lambda: not grid.visible_rows, pilot=pilot)
        await pilot.pause()
        assert "DataGrid" in laid_out and not grid.show_vertical_scrollbar


async def test_a_typed_filter_character_filters_the_list_in_the_same_frame(tmp_path):
    """The list is filtered while the keystroke itself is handled, so the frame that shows the
    typed character shows the filtered list too. (Filtered from the Input's Changed message,
    the list waited for the next frame, ~17 ms later.) What a keystroke does to the line is
    done here by hand, then the list is read before anything else runs."""
    app = incident_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_data(app, pilot)
        await pilot.press("2", "slash")
        await pilot.pause()
        grid = app.screen.filter_target()
        bar = app.screen.filter_bar
        total = grid.total_rows
        bar.insert_text_at_cursor("ivan")  # the Input's own handling of typed text
        assert grid.filter_text == "ivan" and 0 < len(grid.visible_rows) < total
        await pilot.pause()
        await wait_for_text(app, pilot, f"Runs ({len(grid.visible_rows):,} of {total:,})")
