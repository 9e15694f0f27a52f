"""Switching views: the number keys, the `:` command line, the command palette, quitting."""

from __future__ import annotations

import re

from textual import events

from mlops_tui.ui.screens.alerts import AlertsScreen
from mlops_tui.ui.screens.deployments import DeploymentsScreen
from mlops_tui.ui.screens.drift import DriftScreen
from mlops_tui.ui.screens.help import HelpScreen
from mlops_tui.ui.screens.models import ModelsScreen
from mlops_tui.ui.screens.overview import OverviewScreen
from mlops_tui.ui.screens.runs import RunsScreen
from tests.conftest import wait_until
from tests.ui.support import SIZE, demo_app, screen, type_text, wait_for_data, wait_for_dialog, wait_for_text

# key, mode, screen, a title only that view shows
VIEWS = [
    ("2", "runs", RunsScreen, "Runs (300)"),
    ("3", "models", ModelsScreen, "Promotion requests ("),
    ("4", "deploy", DeploymentsScreen, "Deployments (6, "),
    ("5", "alerts", AlertsScreen, "silenced/other)"),
    ("6", "drift", DriftScreen, "features drifted)"),
    ("1", "overview", OverviewScreen, "Firing alerts ("),
]
TITLES = {mode: title for _, mode, _, title in VIEWS}


def assert_showing(app, mode: str) -> None:
    text = screen(app)
    assert app.current_mode == mode
    assert TITLES[mode] in text
    assert all(title not in text for other, title in TITLES.items() if other != mode), text


async def test_number_keys_switch_between_the_six_views_and_each_keeps_its_cursor(tmp_path):
    app = demo_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_data(app, pilot)
        assert_showing(app, "overview")
        picked = None
        for key, mode, screen_type, _ in VIEWS:
            await pilot.press(key)
            await pilot.pause()
            assert type(app.screen) is screen_type
            assert_showing(app, mode)
            top = screen(app).splitlines()[0]
            assert re.search(r"1 Overview\s+2 Runs\s+3 Models\s+4 Deploy\w*\s+5 Alerts\s+6 Drift", top)
            if mode == "runs":
                await pilot.press("j", "j", "j")
                picked = app.screen.query_one("#runs").cursor_row
        await pilot.press("2")  # back to Runs: the same row is still selected
        await pilot.pause()
        runs = app.screen.query_one("#runs")
        assert runs.cursor_index == 3 and runs.cursor_row == picked


async def test_colon_command_line_switches_view_cancels_and_quits(tmp_path):
    app = demo_app(tmp_path)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await wait_for_data(app, pilot)
        for command, mode in [("runs", "runs"), ("deployments", "deploy"), ("drift", "drift")]:
            await pilot.press("colon")
            await pilot.pause()
            assert ":overview  :runs" in screen(app)  # the command line's placeholder
            await type_text(pilot, command)
            await pilot.press("enter")
            await pilot.pause()
            assert_showing(app, mode)

        # esc closes the command line without doing anything
        await pilot.press("colon")
        await type_text(pilot, "runs")
        await pilot.press("escape")
        await pilot.pause()
        assert type(app.screen) is DriftScreen
        assert ":overview  :runs" not in screen(app)
        assert_showing(app, "drift")

        # an unknown command says so
        await pilot.press("colon")
        await type_text(pilot, "bogus")
        await pilot.press("enter")
        await wait_for_text(app, pilot, "unknown command :bogus")
        assert type(app.screen) is DriftScreen

        # :q quits
        await pilot.press("colon", "q", "enter")
        await pilot.pause()
        assert not app.is_running


async def test_a_command_typed_in_one_burst_runs_and_colon_in_a_filter_is_text(tmp_path):
    """ ":alerts⏎" typed fast (or pasted) arrives as keys already queued when ":" is handled."""
    app = demo_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_data(app, pilot)
        for key, char in [("colon", ":"), *((c, c) for c in "alerts"), ("enter", "\r")]:
            app.post_message(events.Key(key, char))
        await wait_until(lambda: isinstance(app.screen, AlertsScreen), timeout=5, pilot=pilot)
        await pilot.pause()
        assert_showing(app, "alerts")

        await pilot.press("slash")
        await type_text(pilot, "a:b")  # in the filter line, ":" is text, not the command line
        await pilot.pause()
        assert type(app.screen) is AlertsScreen
        assert app.screen.filter_bar.value == "a:b"


async def test_q_quits_from_a_list(tmp_path):
    app = demo_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_data(app, pilot)
        await pilot.press("5", "q")
        await pilot.pause()
        assert not app.is_running


async def test_command_palette_goes_to_a_view_and_shows_keys(tmp_path):
    app = demo_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_data(app, pilot)
        await pilot.press("ctrl+p")
        await type_text(pilot, "Runs")
        text = await wait_for_text(app, pilot, "Go to Runs")
        assert "key 2, or :runs" in text
        await pilot.press("enter")
        await wait_until(lambda: type(app.screen) is RunsScreen, timeout=3, pilot=pilot)
        assert_showing(app, "runs")

        await pilot.press("ctrl+p")
        await type_text(pilot, "Show k")
        await wait_for_text(app, pilot, "?: every binding of this screen")
        await pilot.press("enter")
        await wait_for_dialog(app, pilot, HelpScreen, "Keys: Runs")
        await pilot.press("escape")
        await pilot.pause()
        assert type(app.screen) is RunsScreen
