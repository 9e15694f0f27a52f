"""View keys: the new view is painted as soon as it is ready (not after Textual's fixed 50 ms
hold), and a view shown again catches up with what changed while it was away."""

from __future__ import annotations

import dataclasses
import re

from textual.app import App

from mlops_tui.domain import DeploymentHealth
from mlops_tui.ui.columns import HEALTH_STYLE
from mlops_tui.ui.messages import SnapshotReady
from mlops_tui.ui.screens.deployments import DeploymentsScreen
from mlops_tui.ui.screens.overview import OverviewScreen
from mlops_tui.ui.widgets.data_grid import DataGrid
from mlops_tui.ui.widgets.top_bar import VIEWS
from tests.conftest import wait_until
from tests.ui.support import SIZE, incident_app, poll_now, screen, type_text, wait_for_data, watch_layouts


def deployments_grid(app) -> DataGrid:
    return app.screen.query_one("#deployments", DataGrid)


async def show_deployments(app, pilot) -> DataGrid:
    """Data in and the Deployments view shown (mounted, its rows built): its list."""
    await wait_for_data(app, pilot)
    await pilot.press("4")
    await wait_until(
        lambda: isinstance(app.screen, DeploymentsScreen) and deployments_grid(app).total_rows, pilot=pilot
    )
    return deployments_grid(app)


async def back_to_overview(app, pilot) -> None:
    await pilot.press("1")
    await wait_until(lambda: isinstance(app.screen, OverviewScreen), pilot=pilot)


async def test_a_view_key_paints_the_finished_view_without_waiting_for_the_hold_timer(tmp_path):
    """Textual holds every paint for 50 ms on a mode switch; here the new screen ends the hold
    once it has handled ScreenResume. With the timer taken away, the view must still be painted,
    and its first frame already has its rows."""
    app = incident_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await show_deployments(app, pilot)
        await back_to_overview(app, pilot)  # both views mounted once
        swallowed: list[str] = []
        set_timer = app.set_timer

        def no_hold_timer(delay, callback=None, *, name=None, **kw):
            if name == "mode switch hold":
                swallowed.append(name)
                return None
            return set_timer(delay, callback, name=name, **kw)

        app.set_timer = no_hold_timer  # type: ignore[method-assign]
        painted: list[tuple[type, int]] = []
        display = app._display

        def recording_display(screen_, renderable) -> None:
            display(screen_, renderable)
            if renderable is not None and screen_ is app.screen:
                grids = screen_.query("#deployments")
                painted.append((type(screen_), grids.first(DataGrid).total_rows if grids else -1))

        app._display = recording_display  # type: ignore[method-assign]
        await pilot.press("4")
        await wait_until(lambda: any(kind is DeploymentsScreen for kind, _ in painted), pilot=pilot)
        assert swallowed == ["mode switch hold"]
        first = next(rows for kind, rows in painted if kind is DeploymentsScreen)
        assert first == len(app.snapshot.deployments) > 0


async def test_a_view_shown_again_shows_the_data_that_changed_while_it_was_away(tmp_path):
    app = incident_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        before = [d.name for d in (await show_deployments(app, pilot)).visible_rows]
        gone = before[0]
        await back_to_overview(app, pilot)
        snap = app.snapshot
        newer = dataclasses.replace(
            snap,
            generation=snap.generation + 1_000,  # newer than any poll of the test's own hub
            deployments=tuple(d for d in snap.deployments if d.name != gone),
        )
        app.post_message(SnapshotReady(newer))
        await wait_until(lambda: app.snapshot is newer, pilot=pilot)
        assert isinstance(app.screen, OverviewScreen)
        await pilot.press("4")
        # painted as it was left first (one frame), then with the newest snapshot
        await wait_until(lambda: len(deployments_grid(app).visible_rows) == len(before) - 1, pilot=pilot)
        after = [d.name for d in deployments_grid(app).visible_rows]
        assert gone not in after
        assert f"Deployments ({len(before) - 1}," in screen(app)
        # and shown again with that same snapshot, the list is the one left (cursor kept)
        grid = deployments_grid(app)
        await pilot.press("j", "j")
        row = grid.cursor_row
        await pilot.press("1", "4")
        await pilot.pause()
        assert deployments_grid(app).cursor_row is row


async def test_a_theme_chosen_in_another_view_recolours_a_view_on_return(tmp_path):
    app = incident_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await show_deployments(app, pilot)
        await back_to_overview(app, pilot)
        await pilot.press("colon")
        await type_text(pilot, "theme oncall-colour-blind")
        await pilot.press("enter")
        await pilot.pause()
        assert app.theme == "oncall-colour-blind"
        await pilot.press("4")
        await pilot.pause()
        grid = deployments_grid(app)
        healthy = HEALTH_STYLE[DeploymentHealth.HEALTHY]
        assert healthy == "#56B4E9"
        styles = {
            str(segment.style.color.triplet.hex).upper()
            for y in range(grid.size.height)
            for segment in grid.render_line(y)
            if "healthy" in segment.text and segment.style and segment.style.color and segment.style.color.triplet
        }
        assert styles == {"#56B4E9"}


async def test_the_status_bar_ticking_and_each_poll_repaint_it_without_laying_the_screen_out(tmp_path, monkeypatch):
    """The status bar's ages change every second and its states on every poll. A layout is the
    whole screen arranged and painted again (20-35 ms), and a key arriving then waited for it."""
    app = incident_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await show_deployments(app, pilot)
        await pilot.pause()
        asked = watch_layouts(monkeypatch)
        for _ in range(2):
            app._tick()  # the one-second tick: the ages
            await poll_now(app, pilot)  # a poll: the states
        await pilot.pause()
        assert asked == []
        status = next(line for line in screen(app).splitlines() if "ctx " in line)
        assert re.search(r"ctx demo\s+user \S+\s+│ ● demo ok (?:\d+s ago|just now)", status), status


async def test_a_view_shown_again_is_not_restyled_from_a_full_css_refresh(tmp_path, monkeypatch):
    """A CSS refresh re-parses every stylesheet and lays the screen out again (~40 ms). Each
    view's first visit needs one; showing it again must not, whichever view was visited last."""
    app = incident_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_data(app, pilot)
        for key in "234561":  # every view's first visit: each mounts and styles its view
            await pilot.press(key)
            await wait_until(lambda k=key: app.current_mode == VIEWS[int(k) - 1][1], pilot=pilot)
            await pilot.pause()
        refreshed: list[str] = []
        refresh_css = App.refresh_css

        def watched(self, animate=True):
            refreshed.append(app.current_mode)
            return refresh_css(self, animate)

        monkeypatch.setattr(App, "refresh_css", watched)
        for key in "623451":
            await pilot.press(key)
            await wait_until(lambda k=key: app.current_mode == VIEWS[int(k) - 1][1], pilot=pilot)
            await pilot.pause()
        assert refreshed == []
        app.theme = "oncall-colour-blind"  # a new theme: each view is restyled on its next visit
        await pilot.pause()
        await pilot.press("6")
        await wait_until(lambda: app.current_mode == "drift", pilot=pilot)
        assert "drift" in refreshed
