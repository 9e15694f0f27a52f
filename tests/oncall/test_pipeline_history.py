"""History on the REAL pipeline: two firings of a rule show as two intervals from Prometheus'
ALERTS series, in `alerts history` and in the alert detail."""

from __future__ import annotations

import json

import pytest

from mlops_tui.backends.alertmanager.backend import AlertmanagerBackend
from mlops_tui.backends.prometheus.backend import PrometheusBackend
from mlops_tui.config.settings import Settings
from mlops_tui.services.runtime import build_runtime
from mlops_tui.ui.app import MlopsApp
from mlops_tui.ui.screens.alerts import AlertDetailScreen
from tests.alertmanager.app_support import USER, alerts_grid, named
from tests.conftest import wait_until as wait_async
from tests.helpers import cursor_to, wait_for_text
from tests.oncall.support import open_alerts, write_config
from tests.server_process import wait_until

DOWN = "OncallModelDown"


def evaluations(prom) -> float:
    """How many times Prometheus has evaluated the oncall rule group (its own /metrics)."""
    text = prom.http.get("/metrics").text
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith("prometheus_rule_group_iterations_total") and "oncall" in line
    )


def firing_in_prometheus(case) -> bool:
    return bool(
        case.pipeline.prometheus.query(f'ALERTS{{alertname="{DOWN}",model="{case.model}",alertstate="firing"}}')
    )


def fire_once(case) -> None:
    """On until Prometheus has seen it fire for 3 evaluations, then off for 3 more."""
    prom = case.pipeline.prometheus
    case.switch("down", True)
    wait_until(lambda: firing_in_prometheus(case), 30, "the rule never fired")
    mark = evaluations(prom)
    wait_until(lambda: evaluations(prom) >= mark + 3, 30, "Prometheus stopped evaluating")
    case.switch("down", False)
    wait_until(lambda: not firing_in_prometheus(case), 30, "the rule never stopped firing")
    mark = evaluations(prom)
    wait_until(lambda: evaluations(prom) >= mark + 3, 30, "Prometheus stopped evaluating")


def config_with_prometheus(tmp_path, case):
    path = write_config(tmp_path, case)
    path.write_text(
        path.read_text()
        + "\n".join(
            [
                "[[contexts.default.backends]]",
                'name = "prom"',
                'kind = "prometheus"',
                f'url = "{case.pipeline.prometheus.url}"',
                'drift_metric = "oncall_switch"',
                "",
            ]
        )
    )
    return path


@pytest.mark.timeout(180)
async def test_two_firings_are_two_intervals_in_alerts_history_and_the_detail(oncall, tmp_path, monkeypatch, capsys):
    from mlops_tui.cli import main

    fire_once(oncall)
    fire_once(oncall)
    config = config_with_prometheus(tmp_path, oncall)
    assert main(["--config", str(config), "alerts", "history", "--since", "10m", "--alert", DOWN, "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["prometheus_problems"] == []
    [series] = [s for s in out["prometheus"] if s["labels"].get("model") == oncall.model]
    assert series["labels"]["alertname"] == DOWN and series["backend"] == "prom"
    assert len(series["intervals"]) == 2 and all(i["ends_at"] for i in series["intervals"])
    first, second = series["intervals"]
    assert first["ends_at"] < second["starts_at"]

    assert main(["--config", str(config), "alerts", "history", "--since", "10m", "--alert", DOWN]) == 0
    table = capsys.readouterr().out
    assert "firing intervals from Prometheus ALERTS" in table
    assert len([line for line in table.splitlines() if line.startswith(DOWN) and oncall.model in line]) == 2

    # a third firing: the detail counts the two earlier ones and the one on now
    oncall.switch("down", True)
    oncall.wait_firing(DOWN)
    monkeypatch.setenv("MLOPS_TUI_USER", USER)
    backends = [
        AlertmanagerBackend("am", AlertmanagerBackend.Options(url=oncall.am.url, filters=[oncall.filter])),
        PrometheusBackend(
            "prom", PrometheusBackend.Options(url=oncall.pipeline.prometheus.url, drift_metric="oncall_switch")
        ),
    ]
    runtime = build_runtime(
        Settings(refresh_seconds=1.0, history_days=0.01), backends=backends, audit_path=tmp_path / "audit.jsonl"
    )
    app = MlopsApp(runtime)
    async with app.run_test(size=(160, 60)) as pilot:
        await open_alerts(app, pilot, DOWN)
        await cursor_to(pilot, alerts_grid(app), named(DOWN))
        await pilot.press("enter")
        await wait_async(lambda: isinstance(app.screen, AlertDetailScreen), timeout=5, pilot=pilot)
        shown = await wait_for_text(app, pilot, "fired 3 times in 0.01 days", "(prometheus)", timeout=15)
        assert "█" in shown and "fired earlier" in shown  # the strip, and the timeline's earlier firings


async def test_the_journal_records_what_the_app_saw_and_survives_a_restart(oncall, tmp_path, monkeypatch):
    from mlops_tui.core.paths import alert_journal_path
    from mlops_tui.services.alert_journal import AlertJournal
    from tests.oncall.support import confirm, oncall_app, wait_on

    oncall.switch("down", True)
    oncall.wait_firing(DOWN)

    def journal_events():
        if not alert_journal_path().exists():
            return []
        j = AlertJournal(alert_journal_path())
        try:
            return j.events()
        finally:
            j.close()

    def mine(events):
        return [
            (e.kind, e.actor)
            for e in events
            if (e.labels or {}).get("model") == oncall.model or oncall.model in str(e.detail)
        ]

    app = oncall_app(tmp_path, monkeypatch, oncall)
    async with app.run_test(size=(160, 48)) as pilot:
        await open_alerts(app, pilot, DOWN)
        await cursor_to(pilot, alerts_grid(app), named(DOWN))
        await pilot.press("a")
        await confirm(app, pilot, DOWN)
        await wait_on(
            pilot,
            lambda: ("ack created", USER) in mine(journal_events()),
            15,
            f"the journal never recorded the ack: {journal_events()}",
        )
    assert alert_journal_path().parent.name == "mlops-tui"  # in the (test's own) state dir
    assert mine(journal_events())[0] == ("alert appeared", "")

    # a new process: the journal is still there, and the same firing is not recorded twice
    app = oncall_app(tmp_path, monkeypatch, oncall, history_days=0.01)
    async with app.run_test(size=(160, 60)) as pilot:
        await open_alerts(app, pilot, DOWN)
        await cursor_to(pilot, alerts_grid(app), named(DOWN))
        await pilot.press("enter")
        await wait_async(lambda: isinstance(app.screen, AlertDetailScreen), timeout=5, pilot=pilot)
        await wait_for_text(app, pilot, "last ack", f"by {USER}; still on", timeout=15)
    kinds = [k for k, _ in mine(journal_events())]
    assert kinds.count("alert appeared") == 1 and kinds.count("ack created") == 1
