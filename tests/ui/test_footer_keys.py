"""The footer: `? Help` and `q Quit` first on every screen at every width; the other keys
fold away when there is no room, and every one of them is in `?`."""

from __future__ import annotations

import gc
import re
import weakref

import pytest

from mlops_tui.ui.screens.alerts import AlertDetailScreen, AlertsScreen
from mlops_tui.ui.screens.deployments import DeploymentDetailScreen, DeploymentsScreen
from mlops_tui.ui.screens.drift import DriftHistoryScreen, DriftScreen
from mlops_tui.ui.screens.help import HelpScreen
from mlops_tui.ui.screens.models import ModelsScreen, VersionDetailScreen
from mlops_tui.ui.screens.overview import OverviewScreen
from mlops_tui.ui.screens.runs import RunDetailScreen, RunsScreen
from mlops_tui.ui.screens.silences import SilenceDetailScreen, SilencesScreen
from mlops_tui.ui.textual_internals import FooterKey
from mlops_tui.ui.widgets.key_footer import KeyFooter, fold, key_width
from tests.conftest import wait_until
from tests.ui.support import USER, box, incident_app, screen, wait_for_dialog

# (keys pressed from the view's list, the screen they lead to)
ROUTE = [
    ("1", OverviewScreen),
    ("2", RunsScreen),
    ("enter", RunDetailScreen),
    ("3", ModelsScreen),
    ("tab enter", VersionDetailScreen),
    ("4", DeploymentsScreen),
    ("enter", DeploymentDetailScreen),
    ("5", AlertsScreen),
    ("enter", AlertDetailScreen),
    ("5 v", SilencesScreen),
    ("enter", SilenceDetailScreen),
    ("6", DriftScreen),
    ("enter", DriftHistoryScreen),
]


@pytest.fixture(autouse=True)
def app_user(monkeypatch):
    monkeypatch.setenv("MLOPS_TUI_USER", USER)


def test_fold_keeps_the_first_keys_always_and_the_others_in_order_while_they_fit():
    widths = [key_width("?", "Help"), key_width("q", "Quit"), 30, 10, 50, 5]
    assert widths[:2] == [8, 8]  # " ? Help " as drawn
    assert fold(widths, 2, 10) == [0, 1]  # too narrow even for them: they stay
    assert fold(widths, 2, 16 + 30) == [0, 1, 2]
    assert fold(widths, 2, 16 + 30 + 10 + 5) == [0, 1, 2, 3, 5]  # the 50 does not fit, the 5 does
    assert fold(widths, 2, 1000) == [0, 1, 2, 3, 4, 5]


@pytest.mark.parametrize("size", [(80, 24), (160, 48)], ids=["80x24", "160x48"])
async def test_help_and_quit_are_first_in_the_footer_of_every_screen(tmp_path, size):
    app = incident_app(tmp_path)
    async with app.run_test(size=size) as pilot:
        await wait_until(lambda: app.snapshot.generation > 0, pilot=pilot)
        await pilot.pause()
        for keys, screen_type in ROUTE:
            await pilot.press(*keys.split())
            await wait_until(lambda: type(app.screen) is screen_type, pilot=pilot)
            footer = app.screen.query_one(KeyFooter)
            await wait_until(lambda: footer.shown_keys()[:1] and not footer._check_pending, pilot=pilot)
            await pilot.pause()
            lines = screen(app).splitlines()
            assert len(lines) == size[1]
            last = lines[-1]
            assert last.lstrip().startswith("? Help  q Quit"), f"{screen_type.__name__}: {last!r}"
            assert len(last) <= size[0]
            shown = footer.shown_keys()
            for display, description, *_ in shown:  # what it says it shows is on the line
                assert f"{display} {description}" in last, f"{display} {description} not in {last!r}"


async def test_keys_folded_away_at_80_columns_are_all_in_the_help(tmp_path):
    app = incident_app(tmp_path)
    async with app.run_test(size=(80, 160)) as pilot:  # 80 wide; tall so the help is read whole
        await wait_until(lambda: app.snapshot.generation > 0, pilot=pilot)
        await pilot.press("5")
        await wait_until(lambda: type(app.screen) is AlertsScreen, pilot=pilot)
        footer = app.screen.query_one(KeyFooter)
        await wait_until(lambda: not footer._check_pending, pilot=pilot)
        await pilot.pause()
        every = [(d, desc) for d, desc, *_ in footer._entries_shown_at(10_000)]
        shown = [(d, desc) for d, desc, *_ in footer.shown_keys()]
        folded = [entry for entry in every if entry not in shown]
        assert folded, "at 80 columns the Alerts list has more keys than room"
        await pilot.press("question_mark")
        text = await wait_for_dialog(app, pilot, HelpScreen, "Keys: Alerts")
        help_rows = box(text, "Keys: ")
        assert not app.screen.query_one("VerticalScroll").max_scroll_y
        for display, _description in folded:
            label = display.replace("^", "ctrl+")
            row = rf"^\s*(\S+ )*{re.escape(label)}( \S+)*\s{{2,}}\S"
            assert re.search(row, help_rows, re.M), f"{display} folded away and not in the help:\n{help_rows}"


def shown_descriptions(footer: KeyFooter) -> list[str]:
    return [key.description for key in footer.query(FooterKey) if key.display]


async def test_opening_and_closing_the_filter_changes_the_footer_and_leaves_no_key_widget_behind(tmp_path):
    """Opening and closing the `/` filter changes the footer's keys. A rebuilt footer's old
    keys lived on: first in the footer's list of watchers (Textual's data binding), then, with
    their styles, in cycles only a full collection frees, which the app runs every few minutes
    (~200 objects a key, a megabyte a poll in the 200,000-alert bench, which opens the filter
    every few keys). The footer now changes its key widgets in place."""
    app = incident_app(tmp_path)
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.press("5")
        await wait_until(lambda: isinstance(app.screen, AlertsScreen), pilot=pilot)
        await pilot.pause()
        footer = app.screen.query_one(KeyFooter)
        closed = footer.shown_keys()
        first = [weakref.ref(key) for key in footer.query(FooterKey)]
        assert first
        for _ in range(3):
            await pilot.press("slash")
            await pilot.pause()
            assert footer.shown_keys() != closed  # the filter's keys
            assert shown_descriptions(footer) == [d for _, d, *_ in footer.shown_keys()]
            await pilot.press("escape")
            await pilot.pause()
        assert footer.shown_keys() == closed
        assert shown_descriptions(footer) == [d for _, d, *_ in closed]
        gc.unfreeze()
        gc.collect()
        assert all(ref() is not None and ref().parent is footer for ref in first), "the same key widgets"
        before = sum(isinstance(o, FooterKey) for o in gc.get_objects())
        for _ in range(3):
            await pilot.press("slash")
            await pilot.pause()
            await pilot.press("escape")
            await pilot.pause()
        gc.unfreeze()
        gc.collect()
        assert sum(isinstance(o, FooterKey) for o in gc.get_objects()) == before
        assert not footer.compact and not any(key.compact for key in footer.query(FooterKey))  # the footer's own style


async def test_a_key_dimmed_by_the_selected_row_changes_in_place_without_laying_the_screen_out(tmp_path, monkeypatch):
    """Moving through the promotion requests dims `a approve` on a request the user may not
    approve and lights it on one they may. The footer restyles that key: rebuilding it removed
    and mounted every key and laid the screen out, 30-50 ms of a `j` at 160x48."""
    from tests.ui.support import open_list, watch_layouts

    monkeypatch.setenv("MLOPS_TUI_USER", "carol")  # who asked for one of the two pending requests
    app = incident_app(tmp_path)
    async with app.run_test(size=(160, 48)) as pilot:
        requests = await open_list(app, pilot, "3")
        assert requests.id == "requests"
        footer = app.screen.query_one(KeyFooter)
        await pilot.pause()
        keys = list(footer.query(FooterKey))
        approve = next(key for key in keys if key.action == "approve")
        laid_out = watch_layouts(monkeypatch)
        seen: set[bool] = set()
        for key in ["j"] * requests.total_rows + ["g"]:  # down the list, then back to its top
            await pilot.press(key)
            await pilot.pause()
            await pilot.pause()
            dimmed = bool(app.screen.unavailable_reason("approve"))
            assert approve.has_class("-disabled") == dimmed, "the approve key's look follows the selected row"
            seen.add(dimmed)
        assert seen == {True, False}, "the walk should meet a request the user may approve and one they may not"
        assert list(footer.query(FooterKey)) == keys, "the same key widgets, not a rebuilt footer"
        assert laid_out == []
