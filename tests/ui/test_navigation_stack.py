"""The back stack: every jump the app has, `esc` back to the exact screen and row, view keys
start a new path, and the breadcrumb in the top bar says the path."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from mlops_tui.ui.app import VIEW_LABELS
from mlops_tui.ui.navigation import fit_path, path_parts
from mlops_tui.ui.screens.alerts import AlertDetailScreen, AlertsScreen
from mlops_tui.ui.screens.am_status import AlertmanagerStatusScreen
from mlops_tui.ui.screens.base import BaseScreen
from mlops_tui.ui.screens.compare import CompareScreen, VersionCompareScreen
from mlops_tui.ui.screens.deployments import DeploymentDetailScreen, DeploymentsScreen
from mlops_tui.ui.screens.drift import DriftHistoryScreen, DriftScreen
from mlops_tui.ui.screens.models import ModelsScreen, VersionDetailScreen
from mlops_tui.ui.screens.overview import OverviewScreen
from mlops_tui.ui.screens.runs import RunDetailScreen, RunsScreen
from mlops_tui.ui.screens.silences import SilenceDetailScreen, SilencesScreen
from mlops_tui.ui.widgets.data_grid import DataGrid
from tests.conftest import wait_until
from tests.ui.support import SIZE, USER, cursor_to, incident_app, screen, type_text


@pytest.fixture(autouse=True)
def app_user(monkeypatch):
    monkeypatch.setenv("MLOPS_TUI_USER", USER)


def breadcrumb(app) -> str:
    """The path at the end of the top bar: the text after the view keys ("" on a list)."""
    top = screen(app).splitlines()[0]
    after = top.split("6 Drift", 1)[1] if "6 Drift" in top else top.split(" 6 ", 1)[1]
    return after.strip() if "›" in after else ""


def ident(row: Any) -> object:
    for name in ("fingerprint", "id", "key", "name"):
        if hasattr(row, name):
            return getattr(row, name)
    return row


@dataclass
class Place:
    """Where the user is: the screen, the focused list, its cursor and the row under it."""

    screen: Any
    grid: DataGrid[Any] | None
    index: int
    row: object

    @classmethod
    def of(cls, app) -> Place:
        focused = app.screen.focused
        grid = focused if isinstance(focused, DataGrid) else None
        row = ident(grid.cursor_row) if grid is not None and grid.cursor_row is not None else None
        return cls(app.screen, grid, grid.cursor_index if grid is not None else -1, row)

    def assert_back(self, app) -> None:
        assert app.screen is self.screen, f"esc went to {app.screen!r}, not back to {self.screen!r}"
        if self.grid is not None:
            assert app.screen.focused is self.grid, "the list the user was on lost focus"
            assert self.grid.cursor_index == self.index
            assert ident(self.grid.cursor_row) == self.row


async def jump(app, pilot, keys: tuple[str, ...], target: type) -> Place:
    """Press `keys` on the current screen; the jump must push exactly one step of type `target`.
    Returns the place jumped from."""
    origin = Place.of(app)
    depth = len(app.screen_stack)
    await pilot.press(*keys)
    await wait_until(lambda: type(app.screen) is target and len(app.screen_stack) == depth + 1, pilot=pilot)
    await wait_until(lambda: breadcrumb(app).endswith(app.screen.crumb() or VIEW_LABELS[target.VIEW]), pilot=pilot)
    return origin


async def back(app, pilot, origin: Place) -> None:
    await pilot.press("escape")
    await wait_until(lambda: app.screen is origin.screen, pilot=pilot)
    await pilot.pause()
    origin.assert_back(app)


async def jump_and_back(app, pilot, keys: tuple[str, ...], target: type) -> None:
    origin = await jump(app, pilot, keys, target)
    path = breadcrumb(app)
    assert path.count("›") == len(app.screen_stack) - 1, path  # one part per step, after the view
    await back(app, pilot, origin)


def on(app, grid_id: str) -> DataGrid[Any]:
    grid = app.screen.query_one(f"#{grid_id}", DataGrid)
    app.screen.set_focus(grid)  # at once, as tab would (focus() waits for the next refresh)
    assert app.screen.focused is grid
    return grid


async def settle(app, pilot, screen_type: type) -> None:
    await wait_until(lambda: type(app.screen) is screen_type, pilot=pilot)
    await wait_until(lambda: bool(app.snapshot.generation), pilot=pilot)
    await pilot.pause()


# -- the pure part: the path and its cut --------------------------------------------------
def test_the_path_is_cut_from_the_left_and_keeps_where_the_user_is():
    parts = path_parts("Alerts", ["alert ModelLatencyHigh", "deployment ranker-online"])
    assert fit_path(parts, 200) == "Alerts › alert ModelLatencyHigh › deployment ranker-online"
    assert fit_path(parts, 58) == "Alerts › alert ModelLatencyHigh › deployment ranker-online"
    assert fit_path(parts, 57) == "… › alert ModelLatencyHigh › deployment ranker-online"
    assert fit_path(parts, 40) == "… › deployment ranker-online"
    assert fit_path(parts, 10) == "…er-online"  # the last step alone loses its start
    assert path_parts("Alerts", ["", "run x"]) == ["Alerts", "run x"]  # a step naming nothing


def test_backend_text_in_a_crumb_is_inert():
    parts = path_parts("Runs", ["run \x1b[2Jevil\u202e", "[bold]x[/bold]"])
    assert "\x1b" not in "".join(parts) and "\u202e" not in "".join(parts)
    assert parts[1] == "run ␛[2Jevil<U+202E>"
    assert parts[2] == "[bold]x[/bold]"  # shown as written, as the top bar draws it as Text


# -- every jump the app has, and esc back -------------------------------------------------
async def test_every_jump_from_the_overview_comes_back_to_the_same_panel_and_row(tmp_path):
    app = incident_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot, OverviewScreen)
        on(app, "ov-alerts")
        await pilot.press("j")
        await jump_and_back(app, pilot, ("enter",), AlertDetailScreen)
        on(app, "ov-deployments")
        await jump_and_back(app, pilot, ("enter",), DeploymentDetailScreen)
        on(app, "ov-promotions")
        await pilot.press("j")
        origin = await jump(app, pilot, ("enter",), ModelsScreen)
        assert app.screen.query_one("#requests", DataGrid).has_focus  # the request selected
        assert breadcrumb(app) == "Overview › Models"
        await back(app, pilot, origin)
        on(app, "ov-runs")
        await pilot.press("j", "j")
        await jump_and_back(app, pilot, ("enter",), RunDetailScreen)


async def test_every_jump_from_runs_and_models(tmp_path):
    app = incident_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot, OverviewScreen)
        await pilot.press("2")
        await settle(app, pilot, RunsScreen)
        await pilot.press("j", "j")
        await jump_and_back(app, pilot, ("enter",), RunDetailScreen)
        await pilot.press("space", "j", "space")
        await jump_and_back(app, pilot, ("c",), CompareScreen)

        await pilot.press("3")
        await settle(app, pilot, ModelsScreen)
        versions = on(app, "versions")
        runs = app.snapshot.runs_by_id
        served = {(d.model, d.version) for d in app.snapshot.deployments}
        await cursor_to(pilot, versions, lambda v: v.run_id in runs and (v.model, v.version) in served)
        await jump_and_back(app, pilot, ("c",), VersionCompareScreen)
        await jump(app, pilot, ("enter",), VersionDetailScreen)
        # the version's detail: its run (r, or enter on the run), the deployments serving it
        await jump_and_back(app, pilot, ("r",), RunDetailScreen)
        on(app, "version-run")
        await jump_and_back(app, pilot, ("enter",), RunDetailScreen)
        on(app, "version-deployments")
        await jump_and_back(app, pilot, ("enter",), DeploymentDetailScreen)


async def test_every_jump_from_deployments_and_its_detail(tmp_path):
    app = incident_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot, OverviewScreen)
        await pilot.press("4")
        await settle(app, pilot, DeploymentsScreen)
        with_alert = {a.deployment for a in app.snapshot.active_alerts}
        await cursor_to(pilot, app.screen.focused, lambda d: d.name in with_alert)
        await jump(app, pilot, ("enter",), DeploymentDetailScreen)
        await jump_and_back(app, pilot, ("m",), VersionDetailScreen)
        await jump_and_back(app, pilot, ("r",), RunDetailScreen)
        # the alerts on it: tab focuses the table, enter opens the alert (one more step)
        await pilot.press("tab")
        assert app.screen.focused is app.screen.query_one("#deployment-alerts", DataGrid)
        await jump_and_back(app, pilot, ("enter",), AlertDetailScreen)


async def test_every_jump_from_alerts_and_silences(tmp_path):
    app = incident_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot, OverviewScreen)
        await pilot.press("5")
        await settle(app, pilot, AlertsScreen)
        await cursor_to(pilot, app.screen.focused, lambda a: a.deployment and a.model)
        await jump(app, pilot, ("enter",), AlertDetailScreen)
        await jump_and_back(app, pilot, ("m",), VersionDetailScreen)
        await jump_and_back(app, pilot, ("d",), DeploymentDetailScreen)
        await jump_and_back(app, pilot, ("r",), RunDetailScreen)
        await pilot.press("escape")
        await pilot.pause()
        await jump(app, pilot, ("v",), SilencesScreen)
        await jump_and_back(app, pilot, ("m",), AlertmanagerStatusScreen)
        await jump_and_back(app, pilot, ("enter",), SilenceDetailScreen)


async def test_every_jump_from_drift(tmp_path):
    app = incident_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot, OverviewScreen)
        await pilot.press("6")
        await settle(app, pilot, DriftScreen)
        deployed = {d.model for d in app.snapshot.deployments}
        champions = {m.name for m in app.snapshot.models if m.aliases.get("champion")}
        await cursor_to(pilot, app.screen.focused, lambda s: s.model in deployed and s.model in champions)
        model = app.screen.focused.cursor_row.model
        await jump_and_back(app, pilot, ("enter",), DriftHistoryScreen)
        await jump_and_back(app, pilot, ("m",), VersionDetailScreen)
        await jump_and_back(app, pilot, ("d",), DeploymentDetailScreen)
        origin = await jump(app, pilot, ("a",), AlertsScreen)  # the model's alerts, one step
        assert breadcrumb(app) == "Drift › Alerts"
        await wait_until(lambda: app.screen.query_one("#alerts", DataGrid).filter_text == model, pilot=pilot)
        await back(app, pilot, origin)
        drift_alerts = on(app, "drift-alerts")
        assert drift_alerts.total_rows, "the pinned demo moment has drift alerts"
        await jump_and_back(app, pilot, ("enter",), AlertDetailScreen)


async def test_silences_command_is_one_step_from_wherever_the_user_is(tmp_path):
    app = incident_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot, OverviewScreen)
        await pilot.press("2")
        await settle(app, pilot, RunsScreen)
        await pilot.press("j")
        origin = Place.of(app)
        await pilot.press("colon")
        await type_text(pilot, "silences")
        await pilot.press("enter")
        await wait_until(lambda: type(app.screen) is SilencesScreen, pilot=pilot)
        assert app.current_mode == "runs"
        await wait_until(lambda: breadcrumb(app) == "Runs › silences", pilot=pilot)
        await back(app, pilot, origin)


# -- the sequences of issue 14, retraced step by step ---------------------------------------
async def test_alerts_enter_d_then_esc_retraces_to_the_alert_then_the_list(tmp_path):
    app = incident_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot, OverviewScreen)
        await pilot.press("5")
        await settle(app, pilot, AlertsScreen)
        alert = await cursor_to(pilot, app.screen.focused, lambda a: a.deployment and a.model)
        on_list = await jump(app, pilot, ("enter",), AlertDetailScreen)
        on_alert = await jump(app, pilot, ("d",), DeploymentDetailScreen)
        assert breadcrumb(app) == f"Alerts › alert {alert.name} › deployment {alert.deployment}"
        await back(app, pilot, on_alert)
        assert breadcrumb(app) == f"Alerts › alert {alert.name}"
        await back(app, pilot, on_list)
        assert breadcrumb(app) == ""


async def test_models_tab_enter_r_then_esc_retraces_to_the_version(tmp_path):
    app = incident_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot, OverviewScreen)
        await pilot.press("3")
        await settle(app, pilot, ModelsScreen)
        await pilot.press("tab")
        runs = app.snapshot.runs_by_id
        version = await cursor_to(pilot, app.screen.focused, lambda v: v.run_id in runs)
        on_list = await jump(app, pilot, ("enter",), VersionDetailScreen)
        on_version = await jump(app, pilot, ("r",), RunDetailScreen)
        run = runs[version.run_id]
        assert breadcrumb(app) == f"Models › {version.model} v{version.version} › run {run.name}"
        await back(app, pilot, on_version)
        await back(app, pilot, on_list)
        assert app.screen.focused.id == "versions"


async def test_overview_enter_on_an_alert_then_esc_is_the_overview_every_time(tmp_path):
    """Before the stack, this showed an older alert's detail, then the Alerts list."""
    app = incident_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot, OverviewScreen)
        for row in range(3):
            on(app, "ov-alerts").move_cursor(row)
            await jump_and_back(app, pilot, ("enter",), AlertDetailScreen)
            assert type(app.screen) is OverviewScreen and len(app.screen_stack) == 1


async def test_a_view_key_starts_a_new_path(tmp_path):
    app = incident_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot, OverviewScreen)
        await pilot.press("5")
        await settle(app, pilot, AlertsScreen)
        alerts_list = app.screen
        alert = await cursor_to(pilot, app.screen.focused, lambda a: a.deployment and a.model)
        picked = alerts_list.focused.cursor_index
        await jump(app, pilot, ("enter",), AlertDetailScreen)
        await jump(app, pilot, ("d",), DeploymentDetailScreen)

        await pilot.press("5")  # the same view's key: back to its list, the path gone
        await wait_until(lambda: app.screen is alerts_list and len(app.screen_stack) == 1, pilot=pilot)
        assert alerts_list.focused.cursor_index == picked  # the list kept its row
        await wait_until(lambda: breadcrumb(app) == "", pilot=pilot)

        await jump(app, pilot, ("enter",), AlertDetailScreen)
        await jump(app, pilot, ("m",), VersionDetailScreen)
        await pilot.press("4")  # another view: its own list, no path
        await wait_until(lambda: type(app.screen) is DeploymentsScreen, pilot=pilot)
        assert len(app.screen_stack) == 1 and breadcrumb(app) == ""
        await pilot.press("5")  # and the old path is not waiting there either
        await wait_until(lambda: app.screen is alerts_list and len(app.screen_stack) == 1, pilot=pilot)
        await pilot.press("escape")  # nothing to go back to: stays on the list
        await pilot.pause()
        assert app.screen is alerts_list
        assert ident(alerts_list.focused.cursor_row) == alert.fingerprint


async def test_a_long_path_is_cut_from_the_left_at_80_columns(tmp_path):
    app = incident_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot, OverviewScreen)
        await pilot.press("5")
        await settle(app, pilot, AlertsScreen)
        alert = await cursor_to(pilot, app.screen.focused, lambda a: a.deployment and a.model)
        await jump(app, pilot, ("enter",), AlertDetailScreen)
        await jump(app, pilot, ("d",), DeploymentDetailScreen)
        top = screen(app).splitlines()[0]
        assert len(top) <= 80
        assert top.rstrip().endswith(f"deployment {alert.deployment}"), top  # where the user is stays
        assert "5 Alerts" in top  # the view the path started in, marked


def test_every_screen_class_has_a_place_in_the_path():
    """A new screen that forgets its crumb would show an empty step."""
    for screen_class in (
        AlertDetailScreen,
        DeploymentDetailScreen,
        DriftHistoryScreen,
        RunDetailScreen,
        VersionDetailScreen,
        SilencesScreen,
        AlertmanagerStatusScreen,
        SilenceDetailScreen,
    ):
        assert issubclass(screen_class, BaseScreen)
        assert "crumb" in vars(screen_class) or screen_class.CRUMB, screen_class


async def test_alert_after_alert_each_detail_shows_its_own_alert_and_esc_retraces_both(tmp_path):
    """The app keeps one alert detail mounted and shows each alert opened in turn on it; an
    alert opened from a step above a detail gets a detail of its own, so the path holds two."""
    app = incident_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot, OverviewScreen)
        await pilot.press("5")
        await settle(app, pilot, AlertsScreen)
        grid = app.screen.focused
        seen: list[str] = []
        for _ in range(3):  # one alert after another from the list, each opened in turn
            alert = await cursor_to(pilot, grid, lambda a: a.deployment and a.fingerprint not in seen)
            seen.append(alert.fingerprint)
            await jump(app, pilot, ("enter",), AlertDetailScreen)
            assert app.screen.fingerprint == alert.fingerprint
            text = screen(app)
            assert alert.name in text and alert.deployment in text
            assert app.screen.query_one("VerticalScroll").scroll_y == 0
            head = str(app.screen.query_one("#alert-head").render())
            others = [a for a in app.snapshot.alerts if a.fingerprint in seen[:-1] and a.name != alert.name]
            assert alert.name in head and not [a.name for a in others if a.name in head]
            await pilot.press("escape")
            await wait_until(lambda: app.screen is grid.screen, pilot=pilot)
        # alert -> its deployment -> an alert there: two details on one path, esc retraces both
        first = await cursor_to(pilot, grid, lambda a: a.deployment)
        await jump(app, pilot, ("enter",), AlertDetailScreen)
        outer = app.screen
        await jump(app, pilot, ("d",), DeploymentDetailScreen)
        await pilot.press("tab")
        await jump(app, pilot, ("enter",), AlertDetailScreen)
        assert app.screen is not outer and len(app.screen_stack) == 4
        await pilot.press("escape", "escape")
        await wait_until(lambda: app.screen is outer, pilot=pilot)
        assert outer.fingerprint == first.fingerprint and first.name in screen(app)
