"""Overview panels, detail screens and the links between them; the status and top bars."""

from __future__ import annotations

import re

import pytest

from mlops_tui.ui.screens.alerts import AlertDetailScreen
from mlops_tui.ui.screens.deployments import DeploymentDetailScreen
from mlops_tui.ui.screens.drift import DriftHistoryScreen
from mlops_tui.ui.screens.models import ModelsScreen, VersionDetailScreen
from mlops_tui.ui.screens.overview import OverviewScreen
from mlops_tui.ui.screens.runs import RunDetailScreen
from mlops_tui.ui.widgets.top_bar import DEMO_HINT
from tests.ui.support import (
    SIZE,
    USER,
    box,
    cursor_to,
    demo_app,
    focused_grid,
    grid,
    incident_app,
    screen,
    wait_for_data,
)


@pytest.fixture(autouse=True)
def app_user(monkeypatch):
    monkeypatch.setenv("MLOPS_TUI_USER", USER)


def crumb(app) -> str:
    """The breadcrumb at the end of the top bar ("" on a view's own list)."""
    top = screen(app).splitlines()[0]
    return top.split("› ", 1)[1].strip() if "› " in top else ""


async def test_overview_shows_what_on_call_checks_first_and_tab_moves_between_panels(tmp_path):
    app = incident_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_data(app, pilot)
        snap = app.snapshot
        text = screen(app)
        firing = snap.firing_alerts
        assert firing, "the pinned demo moment has firing alerts"
        by_severity = "  ".join(
            f"{n} {sev}"
            for sev in ("critical", "warning", "info")
            if (n := sum(1 for a in firing if a.severity.value == sev))
        )
        assert f"Firing alerts ({len(firing)}): {by_severity}" in text
        for alert in firing:
            assert alert.name in text
        critical_first = [a.severity.rank for a in focused_grid(app).visible_rows]
        assert critical_first == sorted(critical_first)

        unhealthy = snap.unhealthy_deployments
        assert unhealthy
        title = f"Unhealthy deployments ({len(unhealthy)} of {len(snap.deployments)})"
        panel = box(text, title)
        for d in unhealthy:
            assert re.search(rf"{d.name}\s+\S+ {d.health.value}", panel)
        for d in snap.deployments:
            if d not in unhealthy and not d.mismatch:
                assert d.name not in panel  # healthy ones are not listed (unless mismatched)

        assert f"Pending promotions ({len(snap.pending_promotions)})" in text
        for p in snap.pending_promotions:
            # whole: the request's age is readable, not cut ("20h00m a…")
            assert re.search(rf"{p.model}\s+{p.version} {p.target}\s+{p.requester}\s+\w+ ago pending", text)

        assert f"Latest runs (of {len(snap.runs)})" in text
        for run in snap.latest_runs[:5]:
            assert run.name in text

        # the status bar: context, user, the backend with its state and age; the top bar
        lines = text.splitlines()
        status = next(line for line in lines if "ctx " in line)
        assert re.search(rf"ctx demo\s+user {USER}\s+│ ● demo ok (?:\d+s ago|just now)", status), status
        assert "READ-ONLY" not in status
        assert lines[0].lstrip().startswith("mlops-tui  DEMO ")
        assert DEMO_HINT in lines[0]
        assert "? Help" in lines[-1] and "q Quit" in lines[-1]  # the footer

        # tab goes round the four panels, never through a hidden widget
        order = [focused_grid(app).id]
        for _ in range(4):
            await pilot.press("tab")
            order.append(focused_grid(app).id)
        assert order == ["ov-alerts", "ov-deployments", "ov-promotions", "ov-runs", "ov-alerts"]
        await pilot.press("shift+tab")
        assert focused_grid(app).id == "ov-runs"


async def test_overview_enter_opens_each_panel_row_in_its_own_view(tmp_path):
    app = incident_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_data(app, pilot)
        snap = app.snapshot

        # a firing alert -> its detail, one step from the Overview
        alert = await cursor_to(pilot, focused_grid(app), lambda a: a.deployment != "")
        await pilot.press("enter")
        await pilot.pause()
        assert app.current_mode == "overview"
        assert type(app.screen) is AlertDetailScreen
        assert crumb(app) == f"alert {alert.name}"
        assert alert.fingerprint in screen(app)
        await pilot.press("escape")
        await pilot.pause()
        assert type(app.screen) is OverviewScreen  # back where the user was, not on the Alerts list

        # an unhealthy deployment -> its detail, in the Deployments view
        await pilot.press("1", "tab")
        assert focused_grid(app).id == "ov-deployments"
        deployment = focused_grid(app).cursor_row
        assert deployment.health != "healthy"
        await pilot.press("enter")
        await pilot.pause()
        assert app.current_mode == "overview"
        assert type(app.screen) is DeploymentDetailScreen
        assert crumb(app) == f"deployment {deployment.name}"

        # the second pending request -> the Models view (never opened before), that request selected
        await pilot.press("1", "tab")
        assert focused_grid(app).id == "ov-promotions"
        await pilot.press("j")
        request = focused_grid(app).cursor_row
        assert request.key == snap.pending_promotions[1].key
        await pilot.press("enter")
        await pilot.pause()
        assert app.current_mode == "overview"
        assert type(app.screen) is ModelsScreen
        requests = grid(app, "#requests")
        assert requests.has_focus
        assert requests.cursor_row.key == request.key
        assert requests.cursor_row.state == "pending"

        # a latest run -> its detail, in the Runs view
        await pilot.press("1", "tab")
        assert focused_grid(app).id == "ov-runs"
        run = focused_grid(app).cursor_row
        await pilot.press("enter")
        await pilot.pause()
        assert app.current_mode == "overview"
        assert type(app.screen) is RunDetailScreen
        assert crumb(app) == f"run {run.name}"
        await pilot.press("1")
        assert type(app.screen) is OverviewScreen


async def test_version_detail_shows_its_source_run_and_opens_it(tmp_path):
    app = demo_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_data(app, pilot)
        await pilot.press("3", "tab")
        versions = focused_grid(app)
        assert versions.id == "versions"
        runs = app.snapshot.runs_by_id
        version = await cursor_to(pilot, versions, lambda v: "champion" in v.aliases and v.run_id in runs)
        run = runs[version.run_id]
        await pilot.press("enter")
        await pilot.pause()
        assert type(app.screen) is VersionDetailScreen
        assert crumb(app) == f"{version.model} v{version.version}"
        text = screen(app)
        assert "Source run (enter or r opens it)" in text
        source = text.split("Source run (enter or r opens it)")[1].split("Deployments serving it")[0]
        assert run.name in source  # the source run's row is visible, not only its header
        assert re.search(r"aliases\s+.*champion", text)
        assert version.run_id in text

        await pilot.press("enter")  # on the source run
        await pilot.pause()
        assert app.current_mode == "models"
        assert type(app.screen) is RunDetailScreen
        assert crumb(app) == f"{version.model} v{version.version} › run {run.name}"
        await pilot.press("escape")
        await pilot.pause()
        assert type(app.screen) is VersionDetailScreen  # one step back: the version

        await pilot.press("r")
        await pilot.pause()
        assert type(app.screen) is RunDetailScreen
        assert crumb(app) == f"{version.model} v{version.version} › run {run.name}"


async def test_deployment_detail_shows_the_served_version_and_m_opens_it(tmp_path):
    app = demo_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_data(app, pilot)
        await pilot.press("4")
        deployments = focused_grid(app)
        known = app.snapshot.versions_by_key
        deployment = await cursor_to(pilot, deployments, lambda d: (d.model, d.version) in known)
        await pilot.press("enter")
        await pilot.pause()
        assert type(app.screen) is DeploymentDetailScreen
        text = screen(app)
        assert crumb(app) == f"deployment {deployment.name}"
        assert "Serves (m opens the model version, r its run)" in text
        assert f"{deployment.model} v{deployment.version}" in text.split("Serves")[1]
        health = app.snapshot.deployments_by_name[deployment.name].health  # it may change meanwhile
        assert re.search(rf"health\s+\S+ {health.value}", text)

        await pilot.press("m")
        await pilot.pause()
        assert app.current_mode == "deploy"
        assert type(app.screen) is VersionDetailScreen
        assert crumb(app) == f"deployment {deployment.name} › {deployment.model} v{deployment.version}"
        assert deployment.name in screen(app).split("Deployments serving it")[1]
        await pilot.press("escape")
        await pilot.pause()
        assert type(app.screen) is DeploymentDetailScreen


async def test_alert_detail_jumps_to_model_deployment_and_run(tmp_path):
    app = incident_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_data(app, pilot)
        await pilot.press("5")
        alert = await cursor_to(pilot, focused_grid(app), lambda a: a.deployment and a.model)
        snap = app.snapshot
        served = snap.deployments_by_name[alert.deployment]
        run = snap.runs_by_id[snap.versions_by_key[(served.model, served.version)].run_id]
        champion = snap.models_by_name[alert.model].aliases["champion"]

        await pilot.press("enter")
        await pilot.pause()
        assert type(app.screen) is AlertDetailScreen
        text = screen(app)
        related = text.split("Related (m model, d deployment, r run)")[1].split("What changed")[0]
        assert re.search(rf"model\s+{alert.model}\b", related)
        assert re.search(rf"deployment\s+{alert.deployment}\b", related)
        assert re.search(rf"run\s+{run.name}\b", related)
        assert re.search(rf"alertname\s+{alert.name}\b", text)  # the labels

        await pilot.press("d")
        await pilot.pause()
        assert app.current_mode == "alerts"
        assert type(app.screen) is DeploymentDetailScreen
        assert crumb(app) == f"alert {alert.name} › deployment {alert.deployment}"

        await pilot.press("escape")  # one step back: the alert's detail
        await pilot.pause()
        assert type(app.screen) is AlertDetailScreen
        await pilot.press("m")
        await pilot.pause()
        assert type(app.screen) is VersionDetailScreen
        assert crumb(app) == f"alert {alert.name} › {alert.model} v{champion}"

        await pilot.press("escape", "r")
        await pilot.pause()
        assert app.current_mode == "alerts"
        assert type(app.screen) is RunDetailScreen
        assert crumb(app) == f"alert {alert.name} › run {run.name}"


async def test_drift_enter_shows_history_and_m_opens_the_model(tmp_path):
    app = demo_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_data(app, pilot)
        await pilot.press("6")
        score = focused_grid(app).cursor_row
        await pilot.press("enter")
        await pilot.pause()
        assert type(app.screen) is DriftHistoryScreen
        text = screen(app)
        assert crumb(app) == f"drift {score.model} / {score.feature}"
        assert f"{score.model} / {score.feature}  method {score.method}" in text
        assert "History" in text
        await pilot.press("escape")
        await pilot.pause()
        assert app.current_mode == "drift"
        await pilot.press("m")
        await pilot.pause()
        assert app.current_mode == "drift"
        assert type(app.screen) is VersionDetailScreen
        champion = app.snapshot.models_by_name[score.model].aliases["champion"]
        assert crumb(app) == f"{score.model} v{champion}"
