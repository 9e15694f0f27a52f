"""Deployments in the demo world: health, reasons, metrics with trends, and where serving and the
registry disagree — in the list, the detail, the Overview, the approval dialog and an alert's timeline."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from textual.widgets import Sparkline

from mlops_tui.backends.demo.backend import DemoBackend
from mlops_tui.domain import DeploymentHealth
from mlops_tui.ui.dialogs.approval import ApprovalDialog
from mlops_tui.ui.screens.alerts import AlertDetailScreen
from mlops_tui.ui.screens.deployments import DeploymentDetailScreen, DeploymentsScreen
from mlops_tui.ui.screens.models import VersionDetailScreen
from mlops_tui.ui.screens.runs import RunDetailScreen
from tests.conftest import wait_until
from tests.ui.support import (
    SIZE,
    USER,
    box,
    cursor_to,
    demo_app,
    focused_grid,
    grid,
    poll_now,
    screen,
    wait_for_data,
    wait_for_dialog,
    wait_for_text,
)

# A frozen moment of the demo world (seed 7) where every case is on screen at once:
# churn-batch-scorer serves the old champion 72 minutes after churn-lgbm's promotion and its p95
# is over its threshold (ModelLatencyHigh fires); fraud-api-prod and ranker-online fail more
# requests than allowed; fraud-api-canary's server does not answer, so its metrics are unknown.
EPOCH = datetime(2025, 3, 3, 16, 0, tzinfo=UTC)
LAGGING = "churn-batch-scorer"
GONE = "fraud-api-canary"


def frozen_app(tmp_path, **kw):
    backend = DemoBackend("demo", DemoBackend.Options(runs=300, epoch=EPOCH, speed=0.0))
    return demo_app(tmp_path, backends=[backend], **kw)


def row(text: str, name: str) -> str:
    """The list row of deployment `name` on screen."""
    return next(line for line in text.splitlines() if re.search(rf"│{re.escape(name)}\s", line))


async def open_deployments(app, pilot) -> str:
    await wait_for_data(app, pilot)
    await pilot.press("4")
    await wait_until(lambda: isinstance(app.screen, DeploymentsScreen), pilot=pilot)
    return await wait_for_text(app, pilot, "Reason")


async def test_the_list_shows_mismatch_health_reason_and_metrics_with_their_trends(tmp_path):
    app = frozen_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        text = await open_deployments(app, pilot)
        snap = app.snapshot
        lagging = snap.deployments_by_name[LAGGING]
        assert lagging.mismatch, "the pinned moment has the batch scorer behind its champion"
        assert "≠ 1 mismatched" in text
        header = next(line for line in text.splitlines() if "Deployment" in line and "Reason" in line)
        for label in ("Env", "Health", "Model", "Serves", "Expected", "Req/s", "Errors", "p95", "Checked"):
            assert label in header  # at 160 columns every column is there

        # the mismatch: served version, a symbol and a word beside the expected one
        line = row(text, LAGGING)
        assert re.search(rf"v{lagging.version} ≠ v{lagging.expected_version} mismatch", line), line
        for d in snap.deployments:
            line = row(text, d.name)
            # health as a symbol and a word, and the reason beside it
            assert re.search(rf"{d.name}\s+{d.environment}\s+\S {d.health.value}", line), line
            if d.health != DeploymentHealth.HEALTHY:
                assert d.reason and d.reason[:20] in line, line
            if not d.mismatch:
                assert f"= v{d.expected_version} {d.alias}"[:13] in line

        # over a threshold: a marker and the value, not colour alone
        failing = next(d for d in snap.deployments if d.error_rate and d.error_rate > d.max_error_rate)
        assert re.search(rf"▲\s*{d_pct(failing.error_rate)} [▁▂▃▄▅▆▇█ ]+", row(text, failing.name))
        assert re.search(r"▲\s*\d\.\d s [▁▂▃▄▅▆▇█ ]+", row(text, LAGGING))  # p95 over 2.5 s
        # each metric of a deployment with samples comes with its trend
        healthy = next(d for d in snap.deployments if d.health == DeploymentHealth.HEALTHY)
        assert len(re.findall(r"[▁▂▃▄▅▆▇█]{4,}", row(text, healthy.name))) == 3

        # a server that does not answer: its metrics are unknown, never 0
        gone = snap.deployments_by_name[GONE]
        assert gone.requests_per_second is None and gone.health == DeploymentHealth.DOWN
        line = row(text, GONE)
        assert "server not answering" in line
        assert len(re.findall(r"\s\?\s", line)) >= 3, line
        assert not re.search(r"\b0(\.0+)?(%| ms)", line), line


def d_pct(rate: float) -> str:
    return re.escape(f"{rate * 100:.2f}%" if rate < 0.1 else f"{rate * 100:.1f}%")


async def test_at_80_columns_name_health_mismatch_and_reason_stay(tmp_path):
    app = frozen_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        text = await open_deployments(app, pilot)
        snap = app.snapshot
        assert all(len(line) <= 80 for line in text.splitlines())
        for d in snap.deployments:
            line = row(text, d.name)
            assert f"{d.health.value}" in line
            if d.mismatch:
                assert f"≠ v{d.expected_version} mismatch" in line
            if d.reason:
                assert d.reason[:10] in line, line


async def test_enter_opens_the_detail_with_charts_metadata_and_how_long_the_mismatch_lasts(tmp_path):
    app = frozen_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await open_deployments(app, pilot)
        lagging = await cursor_to(pilot, focused_grid(app), lambda d: d.name == LAGGING)
        await pilot.press("enter")
        await wait_until(lambda: isinstance(app.screen, DeploymentDetailScreen), pilot=pilot)
        text = await wait_for_text(app, pilot, "Model metadata")
        model = lagging.registered_model
        # 72 minutes after the promotion, on the world's frozen clock
        assert f"≠ mismatch: serves v{lagging.version}, champion is v{lagging.expected_version} for 1h 12m" in text
        assert re.search(r"health\s+◊ degraded", text)
        assert re.search(rf"reason\s+{re.escape(lagging.reason)}", text)
        assert re.search(r"repository state\s+READY", text)
        assert re.search(rf"version\s+{model} v{lagging.version}", text)
        # charts over the last hour (the demo samples every two minutes), the current value, the range
        samples = app.snapshot.health_of(LAGGING)
        assert len(samples) == 30 and samples[-1].time - samples[0].time == timedelta(minutes=58)
        for chart in ("#rate-chart", "#errors-chart", "#latency-chart"):
            assert len(app.screen.query_one(chart, Sparkline).data) == 30
        assert re.search(r"p95 ▲ \d\.\d s > 2\.5 s", text)
        assert re.search(r"requests/s \d+\.\d", text)
        # the model metadata: inputs and outputs with types and shapes
        for spec in lagging.inputs + lagging.outputs:
            assert re.search(rf"{spec.name}\s+{spec.datatype}\s+\[", text), spec
        assert re.search(r"input\s+features\s+FP32\s+\[-1, 24\]", text)

        # m: the registry's entry for the version it serves; r: the run that trained it
        await pilot.press("m")
        await wait_until(lambda: isinstance(app.screen, VersionDetailScreen), pilot=pilot)
        assert (app.screen.model, app.screen.version) == (model, lagging.version)
        await pilot.press("escape")  # one step back: the deployment's detail
        await wait_until(lambda: isinstance(app.screen, DeploymentDetailScreen), pilot=pilot)
        run_id = app.snapshot.versions_by_key[(model, lagging.version)].run_id
        await pilot.press("r")
        await wait_until(lambda: isinstance(app.screen, RunDetailScreen), pilot=pilot)
        assert f"run {app.snapshot.runs_by_id[run_id].name}" in screen(app).splitlines()[0]


async def test_the_detail_lists_its_alerts_and_opens_one(tmp_path):
    app = frozen_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await open_deployments(app, pilot)
        await cursor_to(pilot, focused_grid(app), lambda d: d.name == LAGGING)
        await pilot.press("enter")
        await wait_until(lambda: isinstance(app.screen, DeploymentDetailScreen), pilot=pilot)
        alerts = [a for a in app.snapshot.active_alerts if a.deployment == LAGGING]
        assert [a.name for a in alerts] == ["ModelLatencyHigh"]
        for _ in range(3):  # tab reaches the list of alerts
            if app.screen.focused is grid(app, "#deployment-alerts"):
                break
            await pilot.press("tab")
        assert focused_grid(app).id == "deployment-alerts"
        await wait_for_text(app, pilot, "ModelLatencyHigh")
        await pilot.press("enter")
        await wait_until(lambda: isinstance(app.screen, AlertDetailScreen), pilot=pilot)
        # and its "what changed" names the start of the mismatch, 14 minutes before the alert
        text = await wait_for_text(app, pilot, "What changed before it started")
        timeline = text.split("What changed before it started")[1].split("Labels")[0]
        lagging = app.snapshot.deployments_by_name[LAGGING]
        assert re.search(
            rf"mismatch\s+{LAGGING} still serves v{lagging.version} while champion is v{lagging.expected_version}",
            timeline,
        ), timeline


async def test_the_overview_lists_mismatched_deployments_beside_unhealthy_ones(tmp_path):
    app = frozen_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_data(app, pilot)
        snap = app.snapshot
        unhealthy = snap.unhealthy_deployments
        text = await wait_for_text(app, pilot, "≠ 1 mismatched")
        panel = box(text, f"Unhealthy deployments ({len(unhealthy)} of {len(snap.deployments)})")
        lagging = snap.deployments_by_name[LAGGING]
        assert re.search(
            rf"{LAGGING}\s+◊ degraded\s+v{lagging.version} ≠ v{lagging.expected_version} mismatch", panel
        ), panel
        for d in unhealthy:
            assert re.search(rf"{d.name}\s+\S {d.health.value}.*{re.escape(d.reason[:12])}", panel), panel


async def test_a_healthy_deployment_left_behind_is_in_the_overview_too(tmp_path, monkeypatch):
    """Approving fraud-xgb's pending request: the dialog names fraud-api-prod as left behind until it
    rolls out; once approved the list and the Overview flag it."""
    monkeypatch.setenv("MLOPS_TUI_USER", USER)
    app = frozen_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_data(app, pilot)
        snap = app.snapshot
        request = next(p for p in snap.pending_promotions if p.model == "fraud-xgb")
        followers = {
            d.name: d for d in snap.deployments if d.registered_model == request.model and d.alias == request.target
        }
        assert set(followers) == {"fraud-api-prod"}  # the canary follows the challenger
        await pilot.press("3")
        await cursor_to(pilot, grid(app, "#requests"), lambda p: p.key == request.key and p.state == "pending")
        await pilot.press("a")
        text = await wait_for_dialog(app, pilot, ApprovalDialog, "Policy checks")
        note = text.split(f"now held by v{followers['fraud-api-prod'].version}")[1].split("Metrics")[0]
        assert f"≠ 1 deployment will be mismatched until they roll v{request.version} out:" in note
        assert re.search(rf"fraud-api-prod\s+serves v{followers['fraud-api-prod'].version} \(prod\)", note)
        assert GONE not in note
        await pilot.press("y")
        await wait_until(lambda: not isinstance(app.screen, ApprovalDialog), pilot=pilot)
        await wait_until(
            lambda: app.snapshot.models_by_name[request.model].aliases["champion"] == request.version,
            timeout=5,
            pilot=pilot,
        )
        await poll_now(app, pilot)
        prod = app.snapshot.deployments_by_name["fraud-api-prod"]
        assert prod.mismatch and prod.expected_version == request.version
        await pilot.press("1")
        text = await wait_for_text(app, pilot, "≠ 2 mismatched")
        panel = box(text, "Unhealthy deployments")
        assert re.search(
            rf"fraud-api-prod\s+\S {prod.health.value}\s+v{prod.version} ≠ v{request.version} mismatch", panel
        ), panel
