"""Alerts in the demo world: ack (one, several), silence, expire a silence, copy as Markdown, regroup."""

from __future__ import annotations

import re

import pytest

from mlops_tui.domain import AlertState
from mlops_tui.ui.dialogs.confirm import ConfirmDialog
from mlops_tui.ui.dialogs.prompt import PromptDialog
from mlops_tui.ui.screens.alerts import AlertsScreen
from tests.conftest import wait_until
from tests.ui.support import (
    SIZE,
    USER,
    audit_lines,
    cursor_to,
    demo_app,
    focused_grid,
    incident_app,
    poll_now,
    screen,
    type_text,
    wait_for_data,
    wait_for_dialog,
    wait_for_text,
)


@pytest.fixture(autouse=True)
def app_user(monkeypatch):
    monkeypatch.setenv("MLOPS_TUI_USER", USER)


def steady_first(alert) -> tuple:
    """Prefer alerts that outlive a test: a stale champion stays stale, drift changes slowly."""
    return (alert.name != "ModelStale", alert.labels.get("kind") != "drift")


def pick_firing(app, count: int = 1):
    firing = sorted(app.snapshot.firing_alerts, key=steady_first)
    assert len(firing) >= count, "the demo world has too few firing alerts"
    return firing[:count]


def row_of(app, alert) -> str:
    """The line of the Alerts list that shows `alert`."""
    target = " / ".join(p for p in (alert.model, alert.deployment) if p)
    for line in screen(app).splitlines():
        if f" {alert.name} " in line and target[:20] in line:
            return line
    raise AssertionError(f"{alert.name} on {target} is not on screen:\n{screen(app)}")


def state_of(app, alert) -> AlertState | None:
    now = next((a for a in app.snapshot.alerts if a.fingerprint == alert.fingerprint), None)
    return now.state if now else None


async def open_alerts(app, pilot):
    await pilot.press("5")
    await pilot.pause()
    assert type(app.screen) is AlertsScreen
    return focused_grid(app)


async def test_a_acks_the_selected_alert_after_confirmation(tmp_path):
    app = demo_app(tmp_path)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await wait_for_data(app, pilot)
        alerts = await open_alerts(app, pilot)
        (alert,) = pick_firing(app)
        await cursor_to(pilot, alerts, lambda a: a.fingerprint == alert.fingerprint)
        assert row_of(app, alert).rstrip("│ ").endswith("firing")

        await pilot.press("a")
        text = await wait_for_dialog(app, pilot, ConfirmDialog, "Ack 1 alert")
        assert f"Ack 1 alert for 15 minutes: {alert.name}" in text
        assert f"created by {USER}" in text
        await pilot.press("y")
        await wait_until(lambda: state_of(app, alert) == AlertState.SUPPRESSED, timeout=5, pilot=pilot)
        await pilot.pause()  # the list, given that snapshot, repaints
        assert re.search(rf"acked by {USER} (?:\d+s ago|just now)", row_of(app, alert))
        await wait_for_text(app, pilot, "Acked 1 alert")
        entries = audit_lines(tmp_path)
        assert [(e["action"], e["outcome"], e["user"]) for e in entries] == [("ack", "ok", USER)]
        assert alert.fingerprint in entries[0]["target"]


async def test_space_marks_two_alerts_and_a_acks_both(tmp_path):
    app = incident_app(tmp_path)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await wait_for_data(app, pilot)
        alerts = await open_alerts(app, pilot)
        first, second = pick_firing(app, 2)
        await cursor_to(pilot, alerts, lambda a: a.fingerprint == first.fingerprint)
        await pilot.press("space")
        await cursor_to(pilot, alerts, lambda a: a.fingerprint == second.fingerprint)
        await pilot.press("space")
        assert {a.fingerprint for a in alerts.marked_rows} == {first.fingerprint, second.fingerprint}
        assert row_of(app, first).lstrip("│").startswith("●")
        assert row_of(app, second).lstrip("│").startswith("●")

        await pilot.press("a")
        text = await wait_for_dialog(app, pilot, ConfirmDialog, "Ack 2 alerts")
        assert "Ack 2 alerts for 15 minutes:" in text
        for alert in (first, second):  # each named with its model and deployment, not the bare name twice
            target = " / ".join(p for p in (alert.model, alert.deployment) if p)
            assert f"{alert.name} ({target})" in text
        await pilot.press("y")
        await wait_until(
            lambda: state_of(app, first) == state_of(app, second) == AlertState.SUPPRESSED, timeout=5, pilot=pilot
        )
        await pilot.pause()  # the list, given that snapshot, repaints
        for alert in (first, second):
            line = row_of(app, alert)
            assert f"acked by {USER}" in line
            assert not line.lstrip("│").startswith("●")  # marks are cleared after the write
        assert alerts.marked_rows == []
        entries = audit_lines(tmp_path)
        assert sorted(e["action"] + ":" + e["outcome"] for e in entries) == ["ack:ok", "ack:ok"]


async def test_s_silences_with_a_required_comment_and_u_expires_it(tmp_path):
    app = demo_app(tmp_path)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await wait_for_data(app, pilot)
        alerts = await open_alerts(app, pilot)
        (alert,) = pick_firing(app)
        await cursor_to(pilot, alerts, lambda a: a.fingerprint == alert.fingerprint)

        await pilot.press("s")  # silences here; it does not sort
        text = await wait_for_dialog(app, pilot, PromptDialog, "Silence 1 alert")
        assert f"Silence 1 alert: {alert.name}" in text
        assert "Duration (1h, 4h, 24h, or e.g. 90m)" in text and "Comment (required)" in text
        assert f'alertname="{alert.name}"' in text  # the matchers, ready to edit

        await pilot.press("enter", "enter", "enter")  # duration, (empty) comment, matchers
        await wait_for_text(app, pilot, "Comment is required")
        assert isinstance(app.screen, PromptDialog)
        await pilot.press("shift+tab")  # back to the comment
        await type_text(pilot, "hotfix-rollout")
        await pilot.press("enter", "enter")
        await wait_until(lambda: state_of(app, alert) == AlertState.SUPPRESSED, timeout=5, pilot=pilot)
        await pilot.pause()  # the list, given that snapshot, repaints
        assert re.search(rf"silenced until \d\d:\d\d by {USER}", row_of(app, alert))
        entries = audit_lines(tmp_path)
        assert [(e["action"], e["outcome"]) for e in entries] == [("silence", "ok")]
        assert entries[0]["detail"]["comment"] == "hotfix-rollout"
        assert entries[0]["detail"]["minutes"] == 60

        await pilot.press("u")
        text = await wait_for_dialog(app, pilot, ConfirmDialog, "Expire silence")
        assert f"by {USER}:" in text and "hotfix-rollout" in text
        await pilot.press("y")
        await wait_until(lambda: state_of(app, alert) == AlertState.FIRING, timeout=5, pilot=pilot)
        await pilot.pause()  # the list, given that snapshot, repaints
        assert row_of(app, alert).rstrip("│ ").endswith("firing")
        assert [e["action"] for e in audit_lines(tmp_path)] == ["silence", "expire silence"]


async def test_c_copies_the_alert_as_markdown(tmp_path):
    app = demo_app(tmp_path)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await wait_for_data(app, pilot)
        alerts = await open_alerts(app, pilot)
        (alert,) = pick_firing(app)
        await cursor_to(pilot, alerts, lambda a: a.fingerprint == alert.fingerprint)
        await pilot.press("c")
        await wait_for_text(app, pilot, "1 alert as Markdown")
        copied = app.clipboard
        assert copied.startswith(f"### {alert.severity.value.upper()}: {alert.name}\n")
        assert "- **State:** firing" in copied
        assert f"- **Model:** {alert.model}" in copied
        assert "| label | value |" in copied
        for key, value in alert.labels.items():
            assert f"| {key} | {value} |" in copied


async def test_read_only_refuses_to_ack(tmp_path):
    app = demo_app(tmp_path, read_only=True)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await wait_for_data(app, pilot)
        alerts = await open_alerts(app, pilot)
        (alert,) = pick_firing(app)
        await cursor_to(pilot, alerts, lambda a: a.fingerprint == alert.fingerprint)
        await pilot.press("a")
        await wait_for_dialog(app, pilot, ConfirmDialog, "Ack 1 alert")
        await pilot.press("y")
        await wait_for_text(app, pilot, "read-only mode: nothing was changed")
        assert "Not acked" in screen(app)
        await poll_now(app, pilot)  # the next snapshot: still unchanged
        assert state_of(app, alert) == AlertState.FIRING
        assert [e["outcome"] for e in audit_lines(tmp_path)] == ["refused"]
        assert all(not a.silenced_by for a in app.snapshot.alerts if a.fingerprint == alert.fingerprint)
