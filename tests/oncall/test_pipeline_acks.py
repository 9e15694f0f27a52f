"""Acks as ownership on a REAL pipeline (exporter -> Prometheus rule -> Alertmanager -> app).

What the app wrote is read back from Alertmanager's own API; what it shows is read as words on
screen. No fixed sleeps: every wait is on a condition with a deadline.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest

from mlops_tui.ui.dialogs.confirm import ConfirmDialog
from mlops_tui.ui.screens.alerts import AlertDetailScreen
from tests.alertmanager.app_support import USER, alerts_grid, named, row_of, screen, toasts
from tests.alertmanager.server import iso
from tests.conftest import wait_until
from tests.helpers import audit_lines, cursor_to, wait_for_text
from tests.oncall.support import confirm, oncall_app, open_alerts, wait_for_row, wait_on, write_config
from tests.server_process import REPO

DOWN, SLOW = "OncallModelDown", "OncallLatencyHigh"


def active(silences):
    return [s for s in silences if s["status"]["state"] == "active"]


def post_ack(case, name: str, *, by: str = "erin", seconds: float = 20) -> str:
    """An ack made on the server by someone else, ending in `seconds`."""
    now = datetime.now(UTC)
    r = case.am.http.post(
        "/api/v2/silences",
        json={
            "matchers": [
                {"name": "alertname", "value": name, "isRegex": False, "isEqual": True},
                {"name": "model", "value": case.model, "isRegex": False, "isEqual": True},
            ],
            "startsAt": iso(now),
            "endsAt": iso(now + timedelta(seconds=seconds)),
            "createdBy": by,
            "comment": f"ACK! acknowledged by {by} in mlops-tui",
        },
    )
    r.raise_for_status()
    return r.json()["silenceID"]


def extensions(tmp_path) -> list[dict]:
    return [e for e in audit_lines(tmp_path) if e["action"] == "extend ack"]


@pytest.mark.timeout(300)
async def test_an_ack_is_extended_while_its_alert_fires_and_left_to_expire_once_it_resolves(
    oncall, tmp_path, monkeypatch
):
    oncall.switch("down", True)
    oncall.wait_firing(DOWN)
    app = oncall_app(tmp_path, monkeypatch, oncall, ack_minutes=1.0)
    async with app.run_test(size=(160, 48), notifications=True) as pilot:
        await open_alerts(app, pilot, DOWN)
        await cursor_to(pilot, alerts_grid(app), named(DOWN))
        await pilot.press("a")
        await confirm(app, pilot, "for 1 minutes", DOWN)
        [ack] = await wait_on(pilot, lambda: active(oncall.silences()), 15, "the ack never reached Alertmanager")
        first_end = datetime.fromisoformat(ack["endsAt"])
        await wait_for_row(app, pilot, DOWN, f"√ acked by {USER}")

        # about half a minute before the minute is up, the running app extends it by a minute
        def extended():
            return [s for s in active(oncall.silences()) if "extended 1x" in s["comment"]]

        [ext] = await wait_on(pilot, extended, 75, f"the ack was never extended:\n{oncall.silences()}")
        assert datetime.fromisoformat(ext["endsAt"]) > first_end
        assert ext["createdBy"] == USER  # still the acker's, whoever's process extended it
        assert ext["comment"].startswith(f"ACK! acknowledged by {USER}")
        [entry, *_] = extensions(tmp_path)
        assert entry["outcome"] == "ok" and entry["user"] == USER and entry["detail"]["silence_id"] == ext["id"]
        # the ack's age is counted from the first ack, not from the extension
        line = row_of(app, DOWN)
        assert f"acked by {USER}" in line

        # the alert resolves: the ack is not extended any more and simply runs out
        oncall.switch("down", False)
        oncall.wait_resolved(DOWN)
        await wait_on(pilot, lambda: DOWN not in screen(app), 15, "the app still lists the resolved alert")
        count = len(extensions(tmp_path))
        await wait_on(
            pilot,
            lambda: not active(oncall.silences()),
            75,
            f"the ack outlived its resolved alert:\n{oncall.silences()}",
        )
        assert len(extensions(tmp_path)) == count
        assert not [s for s in oncall.silences() if f"extended {count + 1}x" in s["comment"]]


async def test_u_releases_an_ack_after_a_confirm_and_the_alert_is_unowned_again(oncall, tmp_path, monkeypatch):
    oncall.switch("down", True)
    oncall.wait_firing(DOWN)
    sid = post_ack(oncall, DOWN, by="erin", seconds=600)
    app = oncall_app(tmp_path, monkeypatch, oncall)
    async with app.run_test(size=(160, 48), notifications=True) as pilot:
        await open_alerts(app, pilot, DOWN)
        await wait_for_row(app, pilot, DOWN, "√ acked by erin")
        await cursor_to(pilot, alerts_grid(app), named(DOWN))
        await pilot.press("u")
        await confirm(app, pilot, "Release the ack by erin", sid)
        await wait_on(
            pilot,
            lambda: oncall.am.silence(sid)["status"]["state"] == "expired",
            10,
            "the ack's silence was not expired",
        )
        await wait_for_row(app, pilot, DOWN, "♦ firing")
        # the detail still lists the ack that held it, now expired
        await pilot.press("enter")
        await wait_until(lambda: isinstance(app.screen, AlertDetailScreen), timeout=5, pilot=pilot)
        await wait_for_text(app, pilot, "Ownership", "expired ack", "by erin, ended")
    [entry] = [e for e in audit_lines(tmp_path) if e["action"] == "release ack"]
    assert entry["outcome"] == "ok" and entry["detail"]["acked_by"] == "erin" and sid in entry["target"]


async def test_u_on_an_ack_is_refused_in_read_only_before_any_confirm(oncall, tmp_path, monkeypatch):
    oncall.switch("down", True)
    oncall.wait_firing(DOWN)
    sid = post_ack(oncall, DOWN, by="erin", seconds=600)
    app = oncall_app(tmp_path, monkeypatch, oncall, read_only=True)
    async with app.run_test(size=(160, 48), notifications=True) as pilot:
        await open_alerts(app, pilot, DOWN)
        await wait_for_row(app, pilot, DOWN, "√ acked by erin")
        await cursor_to(pilot, alerts_grid(app), named(DOWN))
        await pilot.press("u")
        await wait_until(lambda: any("read-only" in t for t in toasts(app)), timeout=5, pilot=pilot)
        assert not isinstance(app.screen, ConfirmDialog)
    assert oncall.am.silence(sid)["status"]["state"] == "active"
    [entry] = [e for e in audit_lines(tmp_path) if e["action"] == "release ack"]
    assert entry["outcome"] == "refused"


async def test_an_inhibited_alert_shows_as_inhibited_naming_its_inhibitor_and_i_hides_it(oncall, tmp_path, monkeypatch):
    oncall.switch("latency", True)
    oncall.switch("down", True)
    oncall.wait_firing(DOWN)
    wait_until_inhibited = lambda: [a for a in oncall.am_alerts(SLOW) if a["status"]["inhibitedBy"]]  # noqa: E731
    from tests.server_process import wait_until as wait_sync

    wait_sync(wait_until_inhibited, 30, "Alertmanager never inhibited the latency alert")
    app = oncall_app(tmp_path, monkeypatch, oncall)
    async with app.run_test(size=(160, 48), notifications=True) as pilot:
        await open_alerts(app, pilot, DOWN, SLOW)
        line = await wait_for_row(app, pilot, SLOW, f"ø inhibited by {DOWN}")
        assert "firing" not in line and "silenced" not in line and "acked" not in line
        assert "♦ firing" in row_of(app, DOWN)

        await pilot.press("i")
        await wait_for_text(app, pilot, "1 inhibited hidden")
        assert row_of(app, SLOW) == "" and row_of(app, DOWN)
        await pilot.press("i")
        await wait_for_row(app, pilot, SLOW, "inhibited by")

        await cursor_to(pilot, alerts_grid(app), named(SLOW))
        await pilot.press("enter")
        await wait_until(lambda: isinstance(app.screen, AlertDetailScreen), timeout=5, pilot=pilot)
        shown = await wait_for_text(app, pilot, "Ownership", "inhibited by")
        # the head says "ø inhibited by ..."; the Ownership section has its own "inhibited by" row
        rows = [line for line in shown.splitlines() if "inhibited by" in line and "ø" not in line]
        assert rows and DOWN in rows[0]


@pytest.mark.timeout(180)
def test_keep_acks_extends_an_ack_logs_it_and_exits_0_on_sigterm(oncall, tmp_path, monkeypatch):
    oncall.switch("down", True)
    oncall.wait_firing(DOWN)
    sid = post_ack(oncall, DOWN, by="erin", seconds=20)  # within the half-minute margin of a 1-minute ack
    config = write_config(tmp_path, oncall, ack_minutes=1.0)
    monkeypatch.setenv("MLOPS_TUI_USER", "keeper-bot")
    log = tmp_path / "keep-acks.log"
    with open(log, "wb") as err:
        proc = subprocess.Popen(
            [sys.executable, "-m", "mlops_tui", "--config", str(config), "alerts", "keep-acks"],
            stdout=subprocess.DEVNULL,
            stderr=err,
            cwd=REPO,
            env=os.environ.copy(),
        )
    try:
        from tests.server_process import wait_until as wait_sync

        wait_sync(lambda: "extended ack" in log.read_text(), 60, "keep-acks logged no extension")
        [ext] = [s for s in active(oncall.silences()) if "extended 1x" in s["comment"]]
        assert ext["createdBy"] == "erin" and "last extended by keeper-bot" in ext["comment"]
        assert datetime.fromisoformat(ext["endsAt"]) > datetime.now(UTC) + timedelta(seconds=40)
        assert sid in log.read_text() and "erin" in log.read_text()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=15) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    text = log.read_text()
    assert "SIGTERM: stopping" in text and "stopped after 1 extension" in text
    assert "Traceback" not in text


def test_alerts_list_says_who_acked_in_the_table_and_the_json(oncall, tmp_path, monkeypatch, capsys):
    import json

    from mlops_tui.cli import main

    oncall.switch("down", True)
    oncall.switch("latency", True)
    oncall.wait_firing(DOWN)
    sid = post_ack(oncall, DOWN, by="erin", seconds=600)
    from tests.server_process import wait_until as wait_sync

    wait_sync(lambda: [a for a in oncall.am_alerts(DOWN) if a["status"]["silencedBy"]], 15, "ack not applied")
    wait_sync(lambda: [a for a in oncall.am_alerts(SLOW) if a["status"]["inhibitedBy"]], 30, "not inhibited")
    config = write_config(tmp_path, oncall)
    assert main(["--config", str(config), "alerts", "list", "--json"]) == 0
    listed = {a["labels"]["alertname"]: a["triage"] for a in json.loads(capsys.readouterr().out)["items"]}
    assert listed[DOWN]["state"] == "acked" and listed[DOWN]["acked_by"] == "erin"
    assert listed[DOWN]["silence_id"] == sid and listed[DOWN]["acked_at"]
    assert listed[SLOW] == {
        "state": "inhibited",
        "acked_by": None,
        "acked_at": None,
        "silence_id": None,
        "inhibited_by": [DOWN],
        "flapping": False,
    }
    assert main(["--config", str(config), "alerts", "list"]) == 0
    table = capsys.readouterr().out
    [down_line] = [line for line in table.splitlines() if f" {DOWN} " in line and SLOW not in line]
    assert re.search(r"√ acked by erin (just now|\d+[smhd] ago)", down_line), down_line
    [slow_line] = [line for line in table.splitlines() if SLOW in line]
    assert f"ø inhibited by {DOWN}" in slow_line


async def test_the_overview_lists_an_acked_alert_with_who_acked_it(oncall, tmp_path, monkeypatch):
    from tests.helpers import wait_for_data

    oncall.switch("down", True)
    oncall.switch("latency", False)
    oncall.wait_firing(DOWN)
    post_ack(oncall, DOWN, by="erin", seconds=600)
    app = oncall_app(tmp_path, monkeypatch, oncall)
    # a wide terminal: in a narrow one the half-width panel keeps severity, name, target and age
    async with app.run_test(size=(220, 48)) as pilot:
        await wait_for_data(app, pilot)
        shown = await wait_for_text(app, pilot, "Firing alerts (0, 1 acked)", DOWN, "√ acked by erin", timeout=15)
        assert re.search(
            r"acked by erin (just now|\d+[smhd] ago)", next(line for line in shown.splitlines() if DOWN in line)
        )
