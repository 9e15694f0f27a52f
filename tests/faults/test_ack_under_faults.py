"""An ack against a failing Alertmanager (the real one, behind the fault proxy): nothing shows as
acked, the audit log says "failed", and the alert stays in the list with the error beside it
(`× ack failed: HTTP 500` in its state cell, and in its detail) until an ack succeeds or the
user dismisses the note with `u`.

Two faults: the server answers 500 to the silence POST only (its reads still work, so the list
is fresh and the alert is certainly there), and the server is down (connection refused).
"""

from __future__ import annotations

import pytest

from mlops_tui.domain import AlertState
from mlops_tui.services.runtime import build_runtime
from mlops_tui.services.triage import clear_ack_failed
from mlops_tui.ui.app import MlopsApp
from mlops_tui.ui.dialogs.confirm import ConfirmDialog
from mlops_tui.ui.screens.alerts import AlertDetailScreen, AlertsScreen
from tests.conftest import wait_until
from tests.faults.proxy import FaultProxy
from tests.ui.support import SIZE, USER, audit_lines, cursor_to, focused_grid, screen, wait_for_dialog, wait_for_text

SILENCES = "/api/v2/silences"


@pytest.fixture(autouse=True)
def app_user(monkeypatch):
    monkeypatch.setenv("MLOPS_TUI_USER", USER)


@pytest.fixture
def proxy(alertmanager_server):
    p = FaultProxy(alertmanager_server.port).start()
    try:
        yield p
    finally:
        p.stop()


def app_on(case, proxy, tmp_path) -> MlopsApp:
    backend = case.backend("am", url=proxy.url, timeout_seconds=2.0)
    runtime = build_runtime(None, backends=[backend], audit_path=tmp_path / "audit.jsonl")
    runtime.hub.max_backoff_seconds = 1.0
    for runner in runtime.hub.runners.values():
        runner.refresh_seconds = 1.0
    return MlopsApp(runtime)


def row_of(app, name: str) -> str:
    lines = [line for line in screen(app).splitlines() if f" {name} " in line]
    assert len(lines) == 1, f"{name} is on {len(lines)} lines:\n{screen(app)}"
    return lines[0]


def active_silences(server, case) -> list[dict]:
    return [
        s
        for s in server.silences()
        if s["status"]["state"] == "active" and any(m["value"] == case.tag for m in s["matchers"])
    ]


async def ack_selected(app, pilot, name: str) -> None:
    await pilot.press("a")
    await wait_for_dialog(app, pilot, ConfirmDialog, "Ack 1 alert")
    await pilot.press("y")


async def open_alert(app, pilot, name: str):
    await pilot.press("5")
    await wait_until(lambda: type(app.screen) is AlertsScreen, timeout=5, pilot=pilot)
    await wait_for_text(app, pilot, name, timeout=20)
    return await cursor_to(pilot, focused_grid(app), lambda a: a.name == name)


async def test_an_ack_answered_500_is_not_acked_is_audited_failed_and_stays_beside_the_alert(
    alertmanager_server, alertmanager_case, proxy, tmp_path
):
    name = "AckFails500"
    alertmanager_case.post(alertmanager_case.alert(name=name, severity="critical"))
    app = app_on(alertmanager_case, proxy, tmp_path)
    try:
        async with app.run_test(size=SIZE, notifications=True) as pilot:
            alert = await open_alert(app, pilot, name)
            proxy.fail_only(f"POST {SILENCES}")  # the poll's GET of the same path still works
            await ack_selected(app, pilot, name)
            await wait_for_text(app, pilot, "Not acked", "HTTP 500")
            await wait_until(lambda: "× ack failed: HTTP 500" in row_of(app, name), timeout=5, pilot=pilot)
            assert ("POST", SILENCES) in proxy.failed
            # the audit says failed; the server holds no silence; later polls do not make it acked
            entries = audit_lines(tmp_path)
            assert [(e["action"], e["outcome"]) for e in entries] == [("ack", "failed")]
            assert "500" in entries[0]["detail"]["error"] and alert.fingerprint in entries[0]["target"]
            assert active_silences(alertmanager_server, alertmanager_case) == []
            generation = app.snapshot.generation
            await wait_until(lambda: app.snapshot.generation > generation + 1, timeout=10, pilot=pilot)
            await pilot.pause()
            row = row_of(app, name)
            assert "× ack failed: HTTP 500" in row and "acked by" not in row
            assert next(a for a in app.snapshot.alerts if a.name == name).state == AlertState.FIRING

            # the detail says it too, with the server's words
            await pilot.press("enter")
            await wait_until(lambda: type(app.screen) is AlertDetailScreen, timeout=5, pilot=pilot)
            text = await wait_for_text(app, pilot, "ack failed", "not acked: a ack tries again")
            assert "answered HTTP 500" in text and "injected fault" in text

            # the server is well again: a second ack succeeds and the note goes
            proxy.fail_only()  # forward everything again
            await ack_selected(app, pilot, name)
            await wait_for_text(app, pilot, f"acked by {USER}", timeout=15)
            # the detail's note goes (the first notification may still be on screen: not the detail)
            await wait_until(lambda: "a ack tries again" not in screen(app), timeout=5, pilot=pilot)
            await pilot.press("escape")
            await wait_until(lambda: type(app.screen) is AlertsScreen, timeout=5, pilot=pilot)
            await wait_until(lambda: f"acked by {USER}" in row_of(app, name), timeout=10, pilot=pilot)
            assert "ack failed" not in row_of(app, name)
            assert [(e["action"], e["outcome"]) for e in audit_lines(tmp_path)] == [("ack", "failed"), ("ack", "ok")]
            assert len(active_silences(alertmanager_server, alertmanager_case)) == 1
    finally:
        clear_ack_failed(app.snapshot.alerts)


async def test_an_ack_against_a_down_alertmanager_says_unreachable_until_dismissed(
    alertmanager_server, alertmanager_case, proxy, tmp_path
):
    name = "AckFailsDown"
    alertmanager_case.post(alertmanager_case.alert(name=name, severity="critical"))
    app = app_on(alertmanager_case, proxy, tmp_path)
    try:
        async with app.run_test(size=SIZE, notifications=True) as pilot:
            await open_alert(app, pilot, name)
            proxy.set_fault("refused")
            await ack_selected(app, pilot, name)
            await wait_for_text(app, pilot, "Not acked")
            await wait_until(lambda: "× ack failed: unreachable" in row_of(app, name), timeout=5, pilot=pilot)
            assert "acked by" not in row_of(app, name)
            assert [(e["action"], e["outcome"]) for e in audit_lines(tmp_path)] == [("ack", "failed")]
            assert active_silences(alertmanager_server, alertmanager_case) == []
            # `u` dismisses the note; the alert is still not acked
            await pilot.press("u")
            await wait_for_text(app, pilot, "Dismissed the failed-ack note")
            await wait_until(lambda: "ack failed" not in row_of(app, name), timeout=5, pilot=pilot)
            assert "acked by" not in row_of(app, name)
    finally:
        proxy.set_fault(None)
        clear_ack_failed(app.snapshot.alerts)
