"""Lists (the Runs view): move, jump, filter as you type, sort, open, go back, refresh."""

from __future__ import annotations

import re

from textual import events

from mlops_tui.backends.demo.backend import DemoBackend
from mlops_tui.ui.screens.runs import RunDetailScreen, RunsScreen
from mlops_tui.ui.widgets.filter_bar import FilterBar
from tests.ui.support import (
    SIZE,
    demo_app,
    grid,
    screen,
    type_text,
    wait_for_data,
    wait_for_match,
    wait_for_text,
)

FILTER_HINT = "filter: type to narrow"


def list_lines(app) -> list[str]:
    """The lines of the Runs list as drawn: inside the box, under the header."""
    lines = screen(app).splitlines()
    header = next(i for i, line in enumerate(lines) if re.match(r"│ *Run ", line))  # after the mark gutter
    out = []
    for line in lines[header + 1 :]:
        if not line.startswith("│"):
            break
        out.append(line.strip("│ ▁▂▃▄▅▆▇█"))
    return [line for line in out if line]


async def test_j_k_arrows_g_and_G_move_the_cursor(tmp_path):
    app = demo_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_data(app, pilot)
        await pilot.press("2")
        runs = grid(app, "#runs")
        rows = list(runs.visible_rows)
        assert runs.cursor_index == 0
        await pilot.press("j", "j", "down")
        assert runs.cursor_row == rows[3]
        await pilot.press("k", "up")
        assert runs.cursor_row == rows[1]
        await pilot.press("G")
        await pilot.pause()
        assert runs.cursor_row == rows[-1]
        text = screen(app)
        assert rows[-1].name in text and rows[0].name not in text  # scrolled to the bottom
        await pilot.press("j")  # already at the bottom: stays
        assert runs.cursor_row == rows[-1]
        await pilot.press("g")
        await pilot.pause()
        assert runs.cursor_row == rows[0]
        text = screen(app)
        assert rows[0].name in text and rows[-1].name not in text
        await pilot.press("k")  # already at the top: stays
        assert runs.cursor_index == 0


async def test_slash_filters_as_you_type_case_insensitively_and_esc_clears(tmp_path):
    app = demo_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_data(app, pilot)
        await pilot.press("2")
        runs = grid(app, "#runs")
        total = runs.total_rows
        await pilot.press("slash")
        await wait_for_text(app, pilot, FILTER_HINT)
        assert isinstance(app.screen.focused, FilterBar)

        # a user name, typed in capitals, matches the (lowercase) User column
        await type_text(pilot, "IVAN")  # no enter: the list follows the keys
        shown = list(runs.visible_rows)
        assert 0 < len(shown) < total
        assert all(r.user == "ivan" for r in shown)
        assert len(shown) == sum(1 for r in app.snapshot.runs if r.user == "ivan")
        lines = list_lines(app)
        assert lines and all(re.search(r"\bivan\b", line) for line in lines)
        assert "IVAN" in screen(app)  # what was typed stays visible in the filter line

        # another visible column: the experiment name
        await pilot.press("escape", "slash")  # clear, and filter again
        await type_text(pilot, "search")
        shown = list(runs.visible_rows)
        search = {e.id for e in app.snapshot.experiments if e.name == "search-ranking"}
        assert shown and all(r.experiment_id in search for r in shown)
        assert all("search-ranking" in line for line in list_lines(app))

        # enter keeps the filter and gives the keys back to the list
        await pilot.press("enter")
        await pilot.pause()
        assert runs.has_focus
        await pilot.press("j")
        assert runs.cursor_index == 1
        assert len(runs.visible_rows) == len(shown)

        # esc clears it
        await pilot.press("escape")
        await pilot.pause()
        assert len(runs.visible_rows) == total
        assert FILTER_HINT not in screen(app)
        assert runs.has_focus
        assert type(app.screen) is RunsScreen  # esc cleared the filter, it did not leave the view

        # a filter that matches nothing says so; esc brings every row back
        await pilot.press("slash")
        await type_text(pilot, "zq")
        await wait_for_text(app, pilot, "No runs match “zq”", f"Runs (0 of {total})")
        await pilot.press("escape")
        await pilot.pause()
        assert "No runs match" not in screen(app)
        assert len(runs.visible_rows) == total


async def test_a_filter_typed_in_one_burst_right_after_slash_is_not_lost(tmp_path):
    """A terminal delivers "/ivan" typed fast (or pasted) as keys already queued when "/"
    is handled; the first `/` also has to mount the filter line first."""
    app = demo_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_data(app, pilot)
        await pilot.press("2")
        runs = grid(app, "#runs")
        for key, char in [("slash", "/"), ("i", "i"), ("v", "v"), ("a", "a"), ("n", "n"), ("slash", "/"), ("1", "1")]:
            app.post_message(events.Key(key, char))  # all queued before the first is handled
        await wait_for_text(app, pilot, "ivan/1")  # "/" and "1" inside the filter are text
        assert isinstance(app.screen.focused, FilterBar) and type(app.screen) is RunsScreen
        assert runs.filter_text == "ivan/1" and len(runs.visible_rows) == 0
        for _ in range(2):
            await pilot.press("backspace")
        await pilot.pause()
        shown = list(runs.visible_rows)
        assert shown and all(r.user == "ivan" for r in shown)


async def test_greater_than_and_S_sort_with_an_arrow_in_the_header(tmp_path):
    app = demo_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_data(app, pilot)
        await pilot.press("2")
        runs = grid(app, "#runs")
        experiments = {e.id: e.name for e in app.snapshot.experiments}

        await pilot.press(">")  # by the first column, ascending
        await pilot.pause()
        names = [r.name for r in runs.visible_rows]
        assert names == sorted(names)
        assert "Run ▲" in screen(app)
        drawn = [line.split()[0] for line in list_lines(app)]
        assert len(drawn) > 10 and drawn == sorted(drawn)  # the cursor's row stays in view
        await pilot.press("g")
        assert list_lines(app)[0].startswith(names[0])

        await pilot.press(">")  # the next column
        await pilot.pause()
        exps = [experiments[r.experiment_id] for r in runs.visible_rows]
        assert exps == sorted(exps)
        text = screen(app)
        assert "Experiment ▲" in text and "Run ▲" not in text

        await pilot.press("S")  # reversed
        await pilot.pause()
        exps = [experiments[r.experiment_id] for r in runs.visible_rows]
        assert exps == sorted(exps, reverse=True)
        assert exps[0] != exps[-1]
        assert "Experiment ▼" in screen(app)
        drawn = [line.split()[1] for line in list_lines(app)]
        assert drawn == sorted(drawn, reverse=True)


async def test_enter_opens_the_run_and_esc_goes_back_to_the_same_row(tmp_path):
    app = demo_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_data(app, pilot)
        await pilot.press("2", "j", "j")
        picked = grid(app, "#runs").cursor_row
        await pilot.press("enter")
        await pilot.pause()
        assert type(app.screen) is RunDetailScreen
        assert app.current_mode == "runs"
        text = screen(app)
        assert f"› run {picked.name}" in text.splitlines()[0]  # the crumb in the top bar
        assert picked.id in text
        assert "Metrics (history over steps)" in text and "Params" in text
        for key in list(picked.params)[:2]:
            assert key in text

        await pilot.press("escape")
        await pilot.pause()
        assert type(app.screen) is RunsScreen
        assert grid(app, "#runs").cursor_row == picked
        await pilot.press("escape")  # at the root of a view esc does nothing
        await pilot.pause()
        assert type(app.screen) is RunsScreen and app.is_running


class CountingDemo(DemoBackend):
    """The demo backend, counting its polls."""

    polls = 0

    async def collect(self, query):
        type(self).polls += 1
        return await super().collect(query)


async def test_ctrl_r_polls_now_and_the_status_age_resets(tmp_path):
    class Counting(CountingDemo):
        polls = 0

    app = demo_app(tmp_path, backends=[Counting("demo", DemoBackend.Options(runs=300))])
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await wait_for_data(app, pilot)
        await pilot.press("2")
        await wait_for_match(app, pilot, r"● demo ok [1-9]\d*s ago", timeout=5)
        polls = Counting.polls
        await pilot.press("ctrl+r")
        await wait_for_text(app, pilot, "Refreshing every backend")
        await wait_for_text(app, pilot, "● demo ok just now", timeout=4)
        assert Counting.polls == polls + 1
