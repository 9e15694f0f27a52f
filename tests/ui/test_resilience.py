"""A slow or hung backend never stops the keyboard; every view still fits an 80x24 terminal."""

from __future__ import annotations

import asyncio
import threading

from mlops_tui.backends.demo.backend import DemoBackend
from mlops_tui.domain import BackendState
from mlops_tui.ui.screens.alerts import AlertsScreen
from mlops_tui.ui.screens.deployments import DeploymentsScreen
from mlops_tui.ui.screens.drift import DriftScreen
from mlops_tui.ui.screens.models import ModelsScreen
from mlops_tui.ui.screens.overview import OverviewScreen
from mlops_tui.ui.screens.runs import RunsScreen
from tests.conftest import wait_until
from tests.ui.support import SIZE, box, demo_app, screen, wait_for_data, wait_for_text


class HeldDemoBackend(DemoBackend):
    """The demo backend whose polls wait until the test sets `release` (a fake for a slow server)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.release = threading.Event()

    async def collect(self, query):
        await asyncio.get_running_loop().run_in_executor(None, self.release.wait, 60)
        return await super().collect(query)


def state_of(app, name: str) -> BackendState:
    return app.snapshot.status_of(name).state


async def test_keys_answer_while_a_slow_backend_is_still_polling(tmp_path):
    # the first poll is held until the keys have been pressed: the order of events (each view up
    # while the poll is still out) is what is checked, not a time
    slow = HeldDemoBackend("slow", DemoBackend.Options(runs=300))
    app = demo_app(tmp_path, backends=[slow])
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        for key, screen_type, title in [
            ("2", RunsScreen, "Runs (0)"),
            ("5", AlertsScreen, "Alerts (0 firing"),
            ("1", OverviewScreen, "Firing alerts (0)"),
        ]:
            await pilot.press(key)
            await pilot.pause()
            # the view answered the key while the first poll is still out
            assert state_of(app, "slow") == BackendState.PENDING
            assert type(app.screen) is screen_type
            text = screen(app)
            assert title in text and "○ slow pending" in text

        slow.release.set()
        await wait_for_data(app, pilot)
        text = await wait_for_text(app, pilot, "Latest runs (of 300)")
        assert "○ slow pending" not in text
        assert state_of(app, "slow") in (BackendState.OK, BackendState.SLOW)


async def test_a_hung_backend_is_named_unreachable_and_the_other_shows_its_data(tmp_path):
    ok = DemoBackend("demo", DemoBackend.Options(runs=300))
    hung = DemoBackend("hung", DemoBackend.Options(runs=0, delay_seconds=3600, timeout_seconds=0.5))
    app = demo_app(tmp_path, backends=[ok, hung])
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(lambda: state_of(app, "demo") == BackendState.OK, timeout=10, pilot=pilot)
        await pilot.press("2")  # the keyboard answers while "hung" hangs
        await pilot.pause()
        assert type(app.screen) is RunsScreen
        assert "Runs (300)" in screen(app)
        await wait_until(lambda: state_of(app, "hung") == BackendState.UNREACHABLE, timeout=5, pilot=pilot)
        text = await wait_for_text(app, pilot, "× hung unreachable")
        assert "● demo ok" in text
        assert "Traceback" not in text and "Error" not in text
        await pilot.press("1")
        await pilot.pause()
        text = screen(app)
        assert "Latest runs (of 300)" in text and "× hung unreachable" in text


VIEWS_80 = [
    ("1", OverviewScreen, "Firing alerts (", ["Alert", "Deployment"]),
    ("2", RunsScreen, "Runs (300)", ["Run", "Experiment", "Status"]),
    ("3", ModelsScreen, "Promotion requests (", ["Model", "Ver", "Target"]),
    ("4", DeploymentsScreen, "Deployments (6, ", ["Deployment", "Health"]),
    ("5", AlertsScreen, "Alerts (", ["Severity", "Alert"]),
    ("6", DriftScreen, "Drift (", ["Model", "Feature", "Score"]),
]


async def test_the_overview_at_80x24_shows_pending_promotions_whole(tmp_path):
    """Narrow, the panel drops who asked before it cuts what is promoted and how long ago."""
    app = demo_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_data(app, pilot)
        pending = app.snapshot.pending_promotions
        assert pending
        text = screen(app)
        panel = box(text, "Pending promotions (")
        for request in pending:
            row = "│" + next(line for line in panel.splitlines() if line.startswith(f"{request.model} "))
            assert f" {request.target} " in row and row.split("│")[1].rstrip().endswith(" ago"), row
            assert "…" not in row.split("│")[1], row


async def test_every_view_fits_80x24(tmp_path):
    app = demo_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_data(app, pilot)
        for key, screen_type, title, headers in [*VIEWS_80[1:], VIEWS_80[0]]:
            await pilot.press(key)
            await pilot.pause()
            assert type(app.screen) is screen_type
            lines = screen(app).splitlines()
            assert len(lines) == 24 and all(len(line) <= 80 for line in lines)
            text = "\n".join(lines)
            assert title in text, text
            assert f"{key} " in lines[0]
            header = next(
                (line for line in lines if line[:1] == "│" and line[1:].lstrip().startswith(headers[0] + " ")), None
            )
            assert header is not None, text
            position = -1
            for name in headers:  # the first columns' headers, in order
                found = header.find(name, position + 1)
                assert found > position, f"{name!r} missing from {header!r}"
                position = found
            assert "Traceback" not in text
            assert "ctx demo" in lines[-2]  # the status bar
            assert lines[-1].lstrip().startswith("? Help  q Quit")  # the footer: the rest folds into ?
        # a detail and a dialog at 80x24 too
        await pilot.press("2")
        run = app.screen.query_one("#runs").cursor_row
        await pilot.press("enter")
        await pilot.pause()
        lines = screen(app).splitlines()
        assert f"{run.name}  {run.status.value}" in lines[1]  # the detail's title line
        assert lines[0].endswith(f"› run {run.name}")  # and the crumb: the top bar makes room for it
        await pilot.press("question_mark")
        await wait_for_text(app, pilot, "Keys: Runs › Run detail")
        await pilot.press("escape", "escape")
        await pilot.pause()
        assert type(app.screen) is RunsScreen


async def test_the_status_tick_survives_the_app_closing(tmp_path):
    """The 1 s status tick runs in a timer task of its own and may fire while the app closes."""
    app = demo_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_data(app, pilot)
        await pilot.press("2")
    # The app has closed and its screens are gone: the moment at which the interval timer may
    # still call the tick (it used to raise ScreenStackError and fail whichever test was ending).
    app._tick()
