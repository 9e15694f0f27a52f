"""The app when its Alertmanager misbehaves: down, 500 on the silence POST, malformed JSON, 401,
a hang. Faults come from the fake in tests/fakes/alertmanager_faults.py and from closed ports.

What is checked is what a person sees: the backend's state in the status bar, the message of a
failed write, the alert list, and that no traceback ever reaches the screen.
"""

from __future__ import annotations

import pytest

from mlops_tui.backends.alertmanager.backend import AlertmanagerBackend
from mlops_tui.services.triage import clear_ack_failed
from mlops_tui.ui.dialogs.confirm import ConfirmDialog
from mlops_tui.ui.screens.alerts import AlertsScreen
from mlops_tui.ui.screens.models import ModelsScreen
from mlops_tui.ui.screens.overview import OverviewScreen
from mlops_tui.ui.screens.runs import RunsScreen
from tests.alertmanager.app_support import (
    SIZE,
    USER,
    FakeOnPort,
    am_app,
    audit_lines,
    row_of,
    screen,
    status_line,
    toasts,
    wait_for_screen,
    wait_for_text,
    wait_for_toast,
)
from tests.conftest import wait_until
from tests.fakes.alertmanager_faults import FaultyAlertmanager
from tests.helpers import wait_for_poll_seen_by_server
from tests.server_process import free_port


def backend_at(url: str, **options) -> AlertmanagerBackend:
    return AlertmanagerBackend("am", AlertmanagerBackend.Options(url=url, **options))


def no_traceback(app) -> None:
    shown = screen(app)
    assert "Traceback" not in shown and "Error:" not in shown, shown
    assert not any("Something went wrong" in t for t in toasts(app)), toasts(app)
    assert app.is_running


async def wait_for_status(app, pilot, words: str, timeout: float = 10.0) -> str:
    """Until the status bar reads `words` (e.g. "am unreachable"); returns the bar."""
    line = ""

    def reads() -> bool:
        nonlocal line
        line = status_line(app)
        return words in line

    try:
        await wait_until(reads, timeout=timeout, interval=0.1, pilot=pilot)
    except AssertionError:
        raise AssertionError(f"the status bar never read {words!r}; last: {line!r}") from None
    return line


def polled_after(fake: FaultyAlertmanager, index: int) -> bool:
    """Whether the fake received a poll's GET of the alerts after its request number `index`."""
    return any(method == "GET" and path.startswith("/api/v2/alerts") for method, path, _ in fake.requests[index + 1 :])


@pytest.fixture
def fake():
    with FaultyAlertmanager("ok") as server:
        yield server


# -- down, then back ---------------------------------------------------------------------------
async def test_a_down_alertmanager_is_unreachable_and_the_app_recovers_when_it_comes_back(tmp_path, monkeypatch):
    port = free_port()  # nothing listens there: connection refused
    app = am_app(tmp_path, monkeypatch, backend_at(f"http://127.0.0.1:{port}"), refresh_seconds=None)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await wait_for_status(app, pilot, "am unreachable")
        await pilot.press("5")
        await wait_for_screen(app, pilot, AlertsScreen)
        shown = await wait_for_text(app, pilot, "Alerts unknown: am ")
        assert "am unreachable never" in status_line(app)  # never refreshed yet
        assert "ModelDown" not in shown
        no_traceback(app)

        with FakeOnPort(port, "ok") as back:
            await pilot.press("ctrl+r")  # the next poll would be 15 s away: ask now
            await wait_for_text(app, pilot, "ModelDown", "fraud model is down")
            bar = await wait_for_status(app, pilot, "am ok")
            assert "unreachable" not in bar
            assert "firing" in row_of(app, "ModelDown")
            no_traceback(app)
            assert any(path.startswith("/api/v2/alerts") for _, path, _ in back.requests)


# -- 500 on the silence POST -------------------------------------------------------------------
async def test_a_500_on_the_ack_says_so_writes_nothing_and_the_alert_stays_firing(fake, tmp_path, monkeypatch):
    fake.mode = "post_silences_500"  # reads work, the silence POST fails
    app = am_app(tmp_path, monkeypatch, backend_at(fake.url))
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await wait_for_status(app, pilot, "am ok")
        await pilot.press("5")
        await wait_for_screen(app, pilot, AlertsScreen)
        await wait_for_text(app, pilot, "ModelDown")
        await pilot.press("a")
        await wait_for_screen(app, pilot, ConfirmDialog)
        await pilot.press("y")

        said = await wait_for_toast(app, pilot, "Not acked")
        assert "ack failed" in said and "HTTP 500" in said and "storage is full" in said, said
        assert "Acked" not in " ".join(toasts(app)).replace("Not acked", "")
        post = next(i for i, (method, _, _) in enumerate(fake.requests) if method == "POST")
        await wait_for_poll_seen_by_server(app, pilot, lambda: polled_after(fake, post))  # a poll later...
        # still listed, not acked, with the failure beside it (#11)
        assert "× ack failed: HTTP 500" in row_of(app, "ModelDown")
        assert "acked by" not in screen(app)
        assert next(a for a in app.snapshot.alerts if a.name == "ModelDown").state.value == "firing"
        clear_ack_failed(app.snapshot.alerts)  # the note is one per process
        no_traceback(app)
    posts = [(method, path) for method, path, _ in fake.requests if method != "GET"]
    assert posts == [("POST", "/api/v2/silences")]  # one attempt, no retry, no partial writes
    assert fake.silences == {}
    [entry] = audit_lines(tmp_path)
    assert (entry["action"], entry["outcome"], entry["user"]) == ("ack", "failed", USER)
    assert "HTTP 500" in entry["detail"]["error"]


# -- malformed JSON ----------------------------------------------------------------------------
async def test_malformed_json_is_an_error_state_not_a_crash(fake, tmp_path, monkeypatch):
    fake.mode = "malformed"
    app = am_app(tmp_path, monkeypatch, backend_at(fake.url))
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await wait_for_status(app, pilot, "am error")
        await pilot.press("5")
        await wait_for_screen(app, pilot, AlertsScreen)
        await wait_for_text(app, pilot, "Alerts unknown: am ")
        seen = len(fake.requests)
        await wait_for_poll_seen_by_server(app, pilot, lambda: polled_after(fake, seen - 1))  # the same garbage
        assert "am error" in status_line(app)
        no_traceback(app)
        status = app.snapshot.status_of("am")
        assert "not JSON" in status.message  # the hub knows why...


async def test_malformed_json_shows_a_readable_message(fake, tmp_path, monkeypatch):
    fake.mode = "malformed"
    app = am_app(tmp_path, monkeypatch, backend_at(fake.url))
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await wait_for_status(app, pilot, "am error")
        await pilot.press("5")
        await wait_for_screen(app, pilot, AlertsScreen)
        await wait_for_text(app, pilot, "not JSON")


# -- 401 ---------------------------------------------------------------------------------------
async def test_a_401_is_unauthorised(fake, tmp_path, monkeypatch):
    fake.mode = "unauthorized"
    app = am_app(tmp_path, monkeypatch, backend_at(fake.url))
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        bar = await wait_for_status(app, pilot, "am unauthorised")
        assert "never" in bar
        await pilot.press("5")
        await wait_for_screen(app, pilot, AlertsScreen)
        await wait_for_text(app, pilot, "Alerts unknown: am ")
        no_traceback(app)


# -- a hang ------------------------------------------------------------------------------------
async def test_the_keys_answer_while_a_poll_hangs(fake, tmp_path, monkeypatch):
    fake.mode = "hang"  # the fake holds every answer until released
    app = am_app(tmp_path, monkeypatch, backend_at(fake.url, timeout_seconds=60), refresh_seconds=None)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await wait_until(lambda: fake.requests, timeout=5, pilot=pilot)  # the first poll is hanging
        for key, kind, words in (
            ("2", RunsScreen, "Runs"),
            ("3", ModelsScreen, "Models"),
            ("5", AlertsScreen, "Alerts unknown: am "),
            ("1", OverviewScreen, "Overview"),
            ("5", AlertsScreen, "Alerts unknown: am "),
        ):
            await pilot.press(key)
            await wait_for_screen(app, pilot, kind)
            await wait_for_text(app, pilot, words)
            # the view opened, and the first poll has still not been answered: the keys did not wait for it
            assert "am pending" in status_line(app), f"{key} waited for the hanging poll"
            assert app.runtime.hub.snapshot.status_of("am").state.value == "pending"
        no_traceback(app)

        fake.mode = "ok"
        fake.release()  # the hanging request is let go; the next poll finds alerts
        await pilot.press("ctrl+r")
        await wait_for_text(app, pilot, "ModelDown", "fraud model is down")
        await wait_for_status(app, pilot, "am ok")
        no_traceback(app)


async def test_a_hang_is_unreachable_after_the_timeout_and_the_app_recovers(fake, tmp_path, monkeypatch):
    fake.mode = "hang"
    app = am_app(tmp_path, monkeypatch, backend_at(fake.url, timeout_seconds=1), refresh_seconds=None)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pilot.press("5")
        await wait_for_screen(app, pilot, AlertsScreen)
        bar = await wait_for_status(app, pilot, "am unreachable")
        assert "never" in bar
        assert fake.requests, "the poll reached the server and was given up on, not refused"
        no_traceback(app)

        fake.mode = "ok"  # it answers again
        await pilot.press("ctrl+r")
        await wait_for_text(app, pilot, "ModelDown", "fraud model is down")
        await wait_for_status(app, pilot, "am ok")
        no_traceback(app)
