"""The Drift view says what it cannot show: NaN scores as "no value", +Inf as drifted.

A real Prometheus scrapes an exporter that serves NaN, +Inf and -Inf drift gauges next to
ordinary ones (tests/prometheus/conftest.py); every series it answers is a row on screen.
"""

from __future__ import annotations

from mlops_tui.backends.prometheus.backend import PrometheusBackend
from mlops_tui.services.runtime import build_runtime
from mlops_tui.ui.app import MlopsApp
from mlops_tui.ui.widgets.data_grid import DataGrid
from tests.conftest import wait_until
from tests.helpers import screen_text


def prometheus_app(server, tmp_path) -> MlopsApp:
    backend = PrometheusBackend("prom", PrometheusBackend.Options(url=server.url, drift_window="2m", drift_step="1s"))
    return MlopsApp(build_runtime(None, backends=[backend], audit_path=tmp_path / "audit.jsonl"))


def row_text(app: MlopsApp, feature: str) -> str:
    return next(line for line in screen_text(app).splitlines() if f" {feature} " in line)


async def test_nan_and_infinite_scores_are_listed_and_said(prometheus_server, tmp_path):
    # every (model, feature) Prometheus has for the view's query, NaN and ±Inf included
    served = {
        (s["metric"]["model"], s["metric"]["feature"]): s["value"][1]
        for s in prometheus_server.query("max by (model, feature) (model_drift_score)")
    }
    assert served[("churn", "tenure")] == "NaN" and served[("churn", "plan")] == "+Inf"
    app = prometheus_app(prometheus_server, tmp_path)
    async with app.run_test(size=(180, 40)) as pilot:
        await pilot.press("6")
        await wait_until(lambda: "tenure" in screen_text(app), pilot=pilot, timeout=15)
        grid = app.screen.query_one("#drift", DataGrid)
        shown = {(d.model, d.feature) for d in app.snapshot.latest_drift}
        assert set(served) <= shown  # nothing Prometheus returned disappeared
        assert {(d.model, d.feature) for d in grid.visible_rows} == shown

        tenure, plan, region = row_text(app, "tenure"), row_text(app, "plan"), row_text(app, "region")
        assert "no value" in tenure and "? no value" in tenure
        assert "+Inf" in plan and "× drift" in plan
        assert "-Inf" in region and "√ ok" in region
        drifted = sum(1 for d in app.snapshot.latest_drift if d.drifted)
        no_value = sum(1 for d in app.snapshot.latest_drift if not d.has_value)
        assert no_value >= 1 and drifted >= 2  # fraud/amount and churn/plan
        assert f"Drift ({drifted} of {len(shown)} features drifted, {no_value} with no value)" in screen_text(app)

        # the history of the NaN feature says so too, and draws without failing
        await grid_to(app, pilot, grid, "tenure")
        await pilot.press("enter")
        await wait_until(lambda: "the latest score is NaN" in screen_text(app), pilot=pilot)
        assert "no value" in screen_text(app)
        await pilot.press("escape")
        await grid_to(app, pilot, grid, "plan")
        await pilot.press("enter")
        await wait_until(lambda: "× drifted" in screen_text(app), pilot=pilot)
        assert "+Inf" in screen_text(app)


async def grid_to(app, pilot, grid: DataGrid, feature: str) -> None:
    from tests.helpers import cursor_to

    await cursor_to(pilot, grid, lambda d: d.feature == feature)
