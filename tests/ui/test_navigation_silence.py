"""`enter` on a silence: every matcher whole, the comment, who and when, the state, and the
alerts it silences now; enter on one of those opens the alert, one more step back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from mlops_tui.backends.demo.backend import DemoBackend
from mlops_tui.domain import Matcher, Silence
from mlops_tui.services.silence_match import AlertIndex
from mlops_tui.ui.screens.alerts import AlertDetailScreen, AlertsScreen
from mlops_tui.ui.screens.silences import SilenceDetailScreen, SilencesScreen
from mlops_tui.ui.widgets.data_grid import DataGrid
from tests.conftest import wait_until
from tests.ui.support import INCIDENT_EPOCH, SIZE, USER, cursor_to, demo_app, screen, wait_for_data, wait_for_text

LONG_TEAM = "ml-platform-" + "-".join(f"squad{i:02d}" for i in range(12))  # ~100 characters
COMMENT = "Known incident INC-4711 [bold]not markup[/bold] \x1b[2J: " + "waiting for the feature store. " * 6


@pytest.fixture(autouse=True)
def app_user(monkeypatch):
    monkeypatch.setenv("MLOPS_TUI_USER", USER)


def app_with_a_long_silence(tmp_path):
    backend = DemoBackend("demo", DemoBackend.Options(runs=300, epoch=INCIDENT_EPOCH))
    now = datetime.now(UTC)
    backend.world.create_silence(
        Silence(
            id="",
            matchers=(
                Matcher(name="alertname", value="ModelErrorRateHigh"),
                Matcher(name="team", value=f"{LONG_TEAM}|.*", is_regex=True),
                Matcher(name="environment", value="staging", is_equal=False),
            ),
            starts_at=now,
            ends_at=now + timedelta(hours=2),
            created_by="mallory",
            comment=COMMENT,
        )
    )
    return demo_app(tmp_path, backends=[backend])


async def test_silence_detail_shows_it_whole_and_the_alerts_it_silences(tmp_path):
    app = app_with_a_long_silence(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_data(app, pilot)
        await pilot.press("5", "v")
        await wait_until(lambda: type(app.screen) is SilencesScreen, pilot=pilot)
        await pilot.pause()
        listed = app.screen
        silence = await cursor_to(pilot, app.screen.focused, lambda s: s.created_by == "mallory")
        await pilot.press("enter")
        await wait_until(lambda: type(app.screen) is SilenceDetailScreen, pilot=pilot)
        text = await wait_for_text(app, pilot, "Matchers", "Comment", "mallory")
        assert f"Alerts › silences › silence {silence.id}" in text.splitlines()[0]

        # every matcher on a line of its own, whole
        assert 'alertname="ModelErrorRateHigh"' in text
        assert f'team=~"{LONG_TEAM}|.*"' in text
        assert 'environment!="staging"' in text
        # the comment whole (wrapped, never cut), literally: markup as written, ESC visible
        comment = " ".join(
            line.strip() for line in text.split("Comment", 1)[1].split("Alerts it silences")[0].splitlines()
        )
        assert "[bold]not markup[/bold] ␛[2J:" in comment
        assert comment.count("waiting for the feature store.") == 6
        assert "\x1b" not in text
        assert "active" in text and "created by" in text and "starts" in text and "ends" in text

        # the alerts it silences now: the ones its matchers match, by Alertmanager's rules
        hits = AlertIndex(app.snapshot.active_alerts).matching(silence.matchers)
        assert hits, "the pinned demo moment has ModelErrorRateHigh firing"
        alerts = app.screen.query_one("#silence-alerts", DataGrid)
        assert {a.fingerprint for a in alerts.visible_rows} == {a.fingerprint for a in hits}
        assert f"{len(hits)} alert" in screen(app)

        # tab to them, enter opens one; esc comes back to this silence, then to the list
        detail = app.screen
        await pilot.press("tab")
        assert app.screen.focused is alerts
        await pilot.press("enter")
        await wait_until(lambda: type(app.screen) is AlertDetailScreen, pilot=pilot)
        await pilot.press("escape")
        await wait_until(lambda: app.screen is detail, pilot=pilot)
        await pilot.press("escape")
        await wait_until(lambda: app.screen is listed, pilot=pilot)
        assert app.screen.focused.cursor_row.id == silence.id
        await pilot.press("escape")
        await wait_until(lambda: type(app.screen) is AlertsScreen, pilot=pilot)


async def test_silence_detail_scrolls_when_it_is_longer_than_the_screen(tmp_path):
    app = app_with_a_long_silence(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_data(app, pilot)
        await pilot.press("5", "v")
        await wait_until(lambda: type(app.screen) is SilencesScreen, pilot=pilot)
        await pilot.pause()
        await cursor_to(pilot, app.screen.focused, lambda s: s.created_by == "mallory")
        await pilot.press("enter")
        await wait_until(lambda: type(app.screen) is SilenceDetailScreen, pilot=pilot)
        await wait_for_text(app, pilot, "mallory")
        scroll = app.screen.query_one("#silence-scroll")
        table_title = f"─ {app.screen.query_one('#silence-alerts', DataGrid).total_rows} alert"
        assert scroll.max_scroll_y > 0 and table_title not in screen(app)  # below the fold at 80x24
        for _ in range(40):
            await pilot.press("down")
            if table_title in screen(app):
                break
        assert table_title in screen(app) and scroll.scroll_y > 0
