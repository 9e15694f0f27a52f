"""Triage in the app against a REAL Alertmanager: ack, silence, expire, bulk, the Silences view,
copy, detail, read-only, and the notification of a newly firing critical alert.

Keys are pressed as a person would; what the app wrote is checked on the server through its own
API (`alertmanager_server.silences()`), never through the app; what the app shows is checked as
words on screen.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from mlops_tui.ui.dialogs.prompt import PromptDialog
from mlops_tui.ui.screens.alerts import AlertDetailScreen, AlertsScreen
from mlops_tui.ui.screens.silences import SilencesScreen
from tests.alertmanager.app_support import (
    SIZE,
    USER,
    alerts_grid,
    am_app,
    audit_lines,
    confirm,
    cursor_to,
    named,
    open_alerts,
    paste,
    row_of,
    screen,
    toasts,
    wait_for_row,
    wait_for_screen,
    wait_for_text,
)
from tests.alertmanager.server import iso
from tests.conftest import wait_until
from tests.helpers import poll_now, wait_for_writes


# -- helpers -------------------------------------------------------------------------------------
def wire_matchers(labels: dict[str, str]) -> list[dict[str, Any]]:
    """Equality matchers for exactly these labels, as Alertmanager returns them (sorted by name)."""
    return [{"name": k, "value": v, "isRegex": False, "isEqual": True} for k, v in sorted(labels.items())]


def by_name(matchers: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(matchers, key=lambda m: (m["name"], m["value"]))


def new_silences(server, before: set[str]) -> list[dict[str, Any]]:
    return [s for s in server.silences() if s["id"] not in before]


def live_silences(server) -> set[str]:
    return {s["id"] for s in server.silences() if s["status"]["state"] != "expired"}


def window(silence: dict[str, Any]) -> timedelta:
    return datetime.fromisoformat(silence["endsAt"]) - datetime.fromisoformat(silence["startsAt"])


def post_silence(server, matchers: dict[str, str], created_by: str, comment: str, minutes: int = 60) -> str:
    """A silence made on the server by someone else (not through the app)."""
    now = datetime.now(UTC)
    response = server.http.post(
        "/api/v2/silences",
        json={
            "matchers": wire_matchers(matchers),
            "startsAt": iso(now),
            "endsAt": iso(now + timedelta(minutes=minutes)),
            "createdBy": created_by,
            "comment": comment,
        },
    )
    response.raise_for_status()
    return response.json()["silenceID"]


# -- 1. ack ------------------------------------------------------------------------------------
async def test_a_then_y_acks_the_selected_alert_with_a_15_minute_silence_on_its_exact_labels(
    alertmanager_case, alertmanager_server, tmp_path, monkeypatch
):
    case = alertmanager_case
    latency = case.alert("ModelLatencyHigh", "warning", "fraud", "fraud-prod")
    case.post(latency, case.alert("ModelDown", "critical", "churn", "churn-canary"))
    before = {s["id"] for s in alertmanager_server.silences()}
    app = am_app(tmp_path, monkeypatch, case.backend())
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await open_alerts(app, pilot, "ModelLatencyHigh", "ModelDown")
        assert "firing" in row_of(app, "ModelLatencyHigh")
        await cursor_to(pilot, alerts_grid(app), named("ModelLatencyHigh"))
        await pilot.press("a")
        await confirm(app, pilot, "Ack 1 alert for 15 minutes: ModelLatencyHigh", f"created by {USER}")

        await wait_until(lambda: new_silences(alertmanager_server, before), timeout=10, pilot=pilot)
        [silence] = new_silences(alertmanager_server, before)
        assert silence["matchers"] == wire_matchers(latency["labels"])  # exactly the labels, no more
        assert silence["createdBy"] == USER
        assert silence["comment"].startswith("ACK!")
        assert silence["status"]["state"] == "active"
        assert abs(window(silence) - timedelta(minutes=15)) < timedelta(seconds=5)

        line = await wait_for_row(app, pilot, "ModelLatencyHigh", f"acked by {USER}")
        assert "firing" not in line
        assert "firing" in row_of(app, "ModelDown")  # only the selected alert was acked
        await wait_for_text(app, pilot, "Acked 1 alert")
    [entry] = [e for e in audit_lines(tmp_path) if e["action"] == "ack"]
    assert entry["outcome"] == "ok" and entry["user"] == USER and "ModelLatencyHigh" in entry["target"]


# -- 2. silence dialog -------------------------------------------------------------------------
async def test_s_silences_for_2h_with_a_required_comment_and_the_edited_matchers(
    alertmanager_case, alertmanager_server, tmp_path, monkeypatch
):
    case = alertmanager_case
    latency = case.alert("ModelLatencyHigh", "warning", "fraud", "fraud-prod")
    case.post(latency)
    before = {s["id"] for s in alertmanager_server.silences()}
    app = am_app(tmp_path, monkeypatch, case.backend())
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await open_alerts(app, pilot, "ModelLatencyHigh")
        await cursor_to(pilot, alerts_grid(app), named("ModelLatencyHigh"))
        await pilot.press("s")
        await wait_for_screen(app, pilot, PromptDialog)
        # the matchers are shown, prefilled with the alert's labels
        shown = await wait_for_text(
            app, pilot, "Silence 1 alert: ModelLatencyHigh", "Duration", "Matchers", 'alertname="ModelLatencyHigh"'
        )
        assert "Comment (required)" in shown

        await pilot.press("end", "ctrl+u", *"2h", "enter")  # duration
        await pilot.press("enter")  # an empty comment: on to the matchers
        await pilot.press("enter")  # submit
        await wait_for_text(app, pilot, "Comment is required")
        assert isinstance(app.screen, PromptDialog), "an empty comment must not close the dialog"
        assert new_silences(alertmanager_server, before) == []

        await pilot.press("shift+tab")  # back to the comment
        await pilot.press(*"deploying fraud v7", "enter")
        # edit the matchers: drop severity, widen deployment to a regex
        edited = f'alertname="ModelLatencyHigh" deployment=~"fraud-.*" model="fraud" test="{case.tag}"'
        await pilot.press("end", "ctrl+u")  # clear the field, paste the edited matchers
        await paste(app, pilot, edited)
        assert app.screen.query_one("#field-matchers").value == edited
        await pilot.press("enter")

        await wait_until(lambda: new_silences(alertmanager_server, before), timeout=10, pilot=pilot)
        [silence] = new_silences(alertmanager_server, before)
        assert by_name(silence["matchers"]) == [
            {"name": "alertname", "value": "ModelLatencyHigh", "isRegex": False, "isEqual": True},
            {"name": "deployment", "value": "fraud-.*", "isRegex": True, "isEqual": True},
            {"name": "model", "value": "fraud", "isRegex": False, "isEqual": True},
            {"name": "test", "value": case.tag, "isRegex": False, "isEqual": True},
        ]
        assert silence["createdBy"] == USER
        assert silence["comment"] == "deploying fraud v7"
        assert abs(window(silence) - timedelta(hours=2)) < timedelta(seconds=5)

        until = datetime.fromisoformat(silence["endsAt"]).astimezone().strftime("%H:%M")
        line = await wait_for_row(app, pilot, "ModelLatencyHigh", f"silenced until {until} by {USER}")
        assert re.search(rf"silenced until \d\d:\d\d by {USER}", line)
    [entry] = [e for e in audit_lines(tmp_path) if e["action"] == "silence"]
    assert entry["outcome"] == "ok" and entry["detail"]["comment"] == "deploying fraud v7"


async def test_accepting_the_default_matchers_silences_exactly_the_alerts_labels(
    alertmanager_case, alertmanager_server, tmp_path, monkeypatch
):
    case = alertmanager_case
    alert = case.alert("ModelErrorRateHigh", "warning", "fraud", "fraud-prod", query="code!=200")
    case.post(alert)
    before = {s["id"] for s in alertmanager_server.silences()}
    app = am_app(tmp_path, monkeypatch, case.backend())
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await open_alerts(app, pilot, "ModelErrorRateHigh")
        await pilot.press("s")
        await wait_for_screen(app, pilot, PromptDialog)
        await pilot.press("enter", *"planned load test", "enter", "enter")  # defaults: 1h, the labels
        await wait_until(
            lambda: new_silences(alertmanager_server, before) or "Not silenced" in screen(app),
            timeout=10,
            pilot=pilot,
        )
        made = new_silences(alertmanager_server, before)
        assert made, f"no silence was created; screen:\n{screen(app)}"
        [silence] = made
        assert silence["matchers"] == wire_matchers(alert["labels"])


async def test_an_absurd_duration_is_refused_with_a_message_not_a_crash(
    alertmanager_case, alertmanager_server, tmp_path, monkeypatch
):
    case = alertmanager_case
    case.post(case.alert("ModelLatencyHigh"))
    before = {s["id"] for s in alertmanager_server.silences()}
    app = am_app(tmp_path, monkeypatch, case.backend())
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await open_alerts(app, pilot, "ModelLatencyHigh")
        await pilot.press("s")
        await wait_for_screen(app, pilot, PromptDialog)
        await pilot.press("end", "ctrl+u", *"99999999999d", "enter", *"oops", "enter", "enter")
        await wait_until(lambda: not app.is_running or "not a duration" in screen(app), timeout=3, pilot=pilot)
        assert app.is_running, "the app exited"
        await wait_for_text(app, pilot, "not a duration")
        assert new_silences(alertmanager_server, before) == []


async def test_a_failing_silence_always_tells_the_user(alertmanager_case, alertmanager_server, tmp_path, monkeypatch):
    case = alertmanager_case
    case.post(case.alert("ModelLatencyHigh"))
    before = {s["id"] for s in alertmanager_server.silences()}
    app = am_app(tmp_path, monkeypatch, case.backend())
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await open_alerts(app, pilot, "ModelLatencyHigh")
        await pilot.press("s")
        await wait_for_screen(app, pilot, PromptDialog)
        await pilot.press("end", "ctrl+u", *"9999999d", "enter", *"oops", "enter", "enter")
        await wait_until(lambda: not isinstance(app.screen, PromptDialog), timeout=3, pilot=pilot)
        try:  # whatever the words, the person is told that nothing was silenced
            await wait_until(lambda: toasts(app), timeout=1.5, pilot=pilot)
        except AssertionError:
            raise AssertionError(f"nothing on screen says the silence failed:\n{screen(app)}") from None
        assert new_silences(alertmanager_server, before) == []
        assert app.is_running


# -- 3. expire ---------------------------------------------------------------------------------
async def test_u_expires_the_silence_on_the_selected_alert_and_it_fires_again(
    alertmanager_case, alertmanager_server, tmp_path, monkeypatch
):
    case = alertmanager_case
    latency = case.alert("ModelLatencyHigh", "warning", "fraud", "fraud-prod")
    case.post(latency)
    sid = post_silence(alertmanager_server, latency["labels"], "bob", "maintenance window")
    app = am_app(tmp_path, monkeypatch, case.backend())
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await open_alerts(app, pilot, "ModelLatencyHigh")
        await wait_for_row(app, pilot, "ModelLatencyHigh", "by bob")
        await cursor_to(pilot, alerts_grid(app), named("ModelLatencyHigh"))
        await pilot.press("u")
        await confirm(app, pilot, f"Expire silence {sid} by bob:", "maintenance window")

        await wait_until(
            lambda: alertmanager_server.silence(sid)["status"]["state"] == "expired", timeout=10, pilot=pilot
        )
        await wait_for_row(app, pilot, "ModelLatencyHigh", "firing")
        await wait_for_text(app, pilot, f"Expired silence {sid}")
    [entry] = [e for e in audit_lines(tmp_path) if e["action"] == "expire silence"]
    assert entry["outcome"] == "ok" and sid in entry["target"]


# -- 4. bulk -----------------------------------------------------------------------------------
async def test_space_marks_two_alerts_and_a_acks_both_after_one_confirmation(
    alertmanager_case, alertmanager_server, tmp_path, monkeypatch
):
    case = alertmanager_case
    down = case.alert("ModelDown", "critical", "churn", "churn-canary")
    latency = case.alert("ModelLatencyHigh", "warning", "fraud", "fraud-prod")
    errors = case.alert("ModelErrorRateHigh", "info", "demand", "demand-api")
    case.post(down, latency, errors)
    before = {s["id"] for s in alertmanager_server.silences()}
    app = am_app(tmp_path, monkeypatch, case.backend())
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await open_alerts(app, pilot, "ModelDown", "ModelLatencyHigh", "ModelErrorRateHigh")
        grid = alerts_grid(app)
        await cursor_to(pilot, grid, named("ModelDown"))  # critical first: the top row
        await pilot.press("space", "space")  # marks ModelDown, moves down, marks ModelLatencyHigh
        await pilot.pause()  # the marks painted
        assert "●" in row_of(app, "ModelDown") and "●" in row_of(app, "ModelLatencyHigh")
        assert "●" not in row_of(app, "ModelErrorRateHigh")

        await pilot.press("a")
        await confirm(app, pilot, "Ack 2 alerts", "ModelDown", "ModelLatencyHigh")

        await wait_until(lambda: len(new_silences(alertmanager_server, before)) == 2, timeout=10, pilot=pilot)
        made = new_silences(alertmanager_server, before)
        assert sorted((by_name(s["matchers"]) for s in made), key=repr) == sorted(
            [wire_matchers(down["labels"]), wire_matchers(latency["labels"])], key=repr
        )
        assert all(s["createdBy"] == USER and s["comment"].startswith("ACK!") for s in made)

        await wait_for_row(app, pilot, "ModelDown", f"acked by {USER}")
        await wait_for_row(app, pilot, "ModelLatencyHigh", f"acked by {USER}")
        assert "firing" in row_of(app, "ModelErrorRateHigh")
        # the marks are cleared
        assert not grid.marked_keys
        assert not any("●" in row_of(app, n) for n in ("ModelDown", "ModelLatencyHigh", "ModelErrorRateHigh"))
    assert [e["outcome"] for e in audit_lines(tmp_path) if e["action"] == "ack"] == ["ok", "ok"]


# -- 5. the Silences view ----------------------------------------------------------------------
async def test_v_lists_the_active_silences_with_the_ack_and_u_there_expires_one(
    alertmanager_case, alertmanager_server, tmp_path, monkeypatch
):
    case = alertmanager_case
    latency = case.alert("ModelLatencyHigh", "warning", "fraud", "fraud-prod")
    down = case.alert("ModelDown", "critical", "churn", "churn-canary")
    case.post(latency, down)
    other = post_silence(alertmanager_server, down["labels"], "bob", "churn retraining")
    before = {s["id"] for s in alertmanager_server.silences()}
    app = am_app(tmp_path, monkeypatch, case.backend())
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await open_alerts(app, pilot, "ModelLatencyHigh", "ModelDown")
        await cursor_to(pilot, alerts_grid(app), named("ModelLatencyHigh"))
        await pilot.press("a")
        await confirm(app, pilot, "Ack 1 alert")
        await wait_until(lambda: new_silences(alertmanager_server, before), timeout=10, pilot=pilot)
        [ack] = new_silences(alertmanager_server, before)
        await wait_for_row(app, pilot, "ModelLatencyHigh", f"acked by {USER}")

        live = live_silences(alertmanager_server)
        assert {other, ack["id"]} <= live
        await pilot.press("v")
        await wait_for_screen(app, pilot, SilencesScreen)
        shown = await wait_for_text(app, pilot, f"Silences ({len(live)} active or pending)")
        lines = shown.splitlines()
        ack_line = next(line for line in lines if f" {USER} " in line)
        assert re.search(rf"\back\s+active\s+{USER}\b", ack_line), ack_line
        assert "ACK!" in ack_line and 'alertname="ModelLatencyHigh"' in ack_line
        bob_line = next(line for line in lines if " bob " in line)
        assert re.search(r"\bsilence\s+active\s+bob\b", bob_line) and "churn retraining" in bob_line

        # u on bob's silence
        grid = app.screen.query_one("#silences")
        await cursor_to(pilot, grid, lambda s: s.id == other)
        await pilot.press("u")
        await confirm(app, pilot, f"Expire silence {other} by bob:", "churn retraining")
        await wait_until(
            lambda: alertmanager_server.silence(other)["status"]["state"] == "expired", timeout=10, pilot=pilot
        )
        assert alertmanager_server.silence(ack["id"])["status"]["state"] == "active"  # only that one
        shown = await wait_for_text(app, pilot, f"Silences ({len(live) - 1} active or pending)")
        assert "churn retraining" not in shown and "ACK!" in shown

        await pilot.press("escape")
        await wait_for_screen(app, pilot, AlertsScreen)
        await wait_for_row(app, pilot, "ModelDown", "firing")


# -- 6. copy -----------------------------------------------------------------------------------
async def test_c_copies_the_selected_alert_as_markdown(alertmanager_case, tmp_path, monkeypatch):
    case = alertmanager_case
    case.post(case.alert("ModelLatencyHigh", "warning", "fraud", "fraud-prod", summary="p95 over 300ms"))
    monkeypatch.setenv("MLOPS_TUI_OSC52", "1")  # a terminal known to take OSC 52: "Copied", not "Saved"
    app = am_app(tmp_path, monkeypatch, case.backend())
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await open_alerts(app, pilot, "ModelLatencyHigh")
        await pilot.press("c")
        await wait_for_text(app, pilot, "Copied 1 alert as Markdown")
        copied = app.clipboard
    assert "### WARNING: ModelLatencyHigh" in copied
    assert "- **Summary:** p95 over 300ms" in copied
    assert "- **Runbook:** https://runbooks.example/ModelLatencyHigh" in copied
    assert "| label | value |" in copied
    for name, value in (
        ("alertname", "ModelLatencyHigh"),
        ("severity", "warning"),
        ("model", "fraud"),
        ("deployment", "fraud-prod"),
        ("test", case.tag),
    ):
        assert f"| {name} | {value} |" in copied


# -- 7. detail ---------------------------------------------------------------------------------
async def test_enter_opens_the_detail_with_labels_annotations_runbook_and_generator(
    alertmanager_case, tmp_path, monkeypatch
):
    case = alertmanager_case
    alert = case.alert(
        "ModelLatencyHigh",
        "warning",
        "fraud",
        "fraud-prod",
        summary="p95 over 300ms",
        runbook_url="https://runbooks.example/latency",
        team="ml-platform",
    )
    alert["annotations"]["description"] = "p95 latency above 300ms for 10 minutes"
    case.post(alert)
    app = am_app(tmp_path, monkeypatch, case.backend())
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await open_alerts(app, pilot, "ModelLatencyHigh")
        await pilot.press("enter")
        await wait_for_screen(app, pilot, AlertDetailScreen)
        shown = await wait_for_text(app, pilot, "Labels", "Annotations", "p95 over 300ms")
        lines = shown.splitlines()

        def value_of(key: str) -> str:
            line = next((line for line in lines if re.match(rf"\s*{re.escape(key)}\s", line)), None)
            assert line is not None, f"no {key!r} line on screen:\n{shown}"
            return line.split(key, 1)[1].strip()

        assert value_of("runbook (o)") == "https://runbooks.example/latency"
        assert value_of("generator") == "http://prometheus.example/graph?g0.expr=ModelLatencyHigh"
        for key, value in (
            ("alertname", "ModelLatencyHigh"),
            ("severity", "warning"),
            ("team", "ml-platform"),
            ("test", case.tag),
            ("description", "p95 latency above 300ms for 10 minutes"),
        ):
            assert value_of(key) == value
        assert "firing" in shown
        await pilot.press("escape")
        await wait_for_screen(app, pilot, AlertsScreen)


# -- 8. read-only ------------------------------------------------------------------------------
async def test_read_only_refuses_the_ack_and_sends_nothing(
    alertmanager_case, alertmanager_server, tmp_path, monkeypatch
):
    case = alertmanager_case
    case.post(case.alert("ModelLatencyHigh"))
    before = {s["id"] for s in alertmanager_server.silences()}
    app = am_app(tmp_path, monkeypatch, case.backend(), read_only=True)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await open_alerts(app, pilot, "ModelLatencyHigh")
        assert "READ-ONLY" in screen(app)
        await pilot.press("a")
        await confirm(app, pilot, "Ack 1 alert")
        await wait_for_text(app, pilot, "Not acked", "read-only mode: nothing was changed")
        await wait_for_writes(app, pilot)  # a write, were one started, has ended
        await poll_now(app, pilot)  # and the list shows the server's state after it
        assert new_silences(alertmanager_server, before) == []
        assert "firing" in row_of(app, "ModelLatencyHigh")
    [entry] = audit_lines(tmp_path)
    assert (entry["action"], entry["outcome"]) == ("ack", "refused")
    assert "read-only" in entry["detail"]["reason"]


# -- 9. notification ---------------------------------------------------------------------------
async def test_a_newly_firing_critical_alert_is_notified_in_another_view(alertmanager_case, tmp_path, monkeypatch):
    from mlops_tui.ui.screens.runs import RunsScreen

    case = alertmanager_case
    case.post(case.alert("ModelDown", "critical", "churn", "churn-canary"))  # already firing at start
    app = am_app(tmp_path, monkeypatch, case.backend(), refresh_seconds=None)  # 15 s: only ctrl+r polls
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await open_alerts(app, pilot, "ModelDown")
        await pilot.press("2")
        await wait_for_screen(app, pilot, RunsScreen)
        assert "CRITICAL alert firing" not in screen(app)  # what fired before the app started is known

        case.post(case.alert("ModelErrorRateHigh", "critical", "fraud", "fraud-prod", summary="5xx at 12%"))
        await pilot.press("ctrl+r")
        shown = await wait_for_text(app, pilot, "CRITICAL alert firing", "ModelErrorRateHigh on fraud")
        assert "5xx at 12%" in shown
        assert "ModelDown on churn" not in shown
        assert isinstance(app.screen, RunsScreen)
