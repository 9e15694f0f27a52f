"""Overview: what on-call checks first, on one screen; `enter` opens an entry in its own view."""

from __future__ import annotations

import time
from collections.abc import Sequence

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid

from mlops_tui.domain import Alert, Deployment, PromotionRequest, Run, Severity
from mlops_tui.services.snapshot import Snapshot
from mlops_tui.services.triage import acked_alerts
from mlops_tui.ui.columns import (
    MISMATCH,
    SEVERITY_STYLE,
    alert_columns,
    deployment_columns,
    request_columns,
    run_columns,
    top_metric_keys,
)
from mlops_tui.ui.screens.base import BaseScreen
from mlops_tui.ui.widgets.data_grid import Column, DataGrid


class OverviewScreen(BaseScreen):
    VIEW = "overview"
    DEFAULT_CSS = """
    OverviewScreen #panels {
        grid-size: 2 2;
        grid-columns: 1fr 1fr;
        grid-rows: 1fr 1fr;
    }
    OverviewScreen DataGrid {
        border: round $panel-lighten-2;
        border-title-style: bold;
        height: 100%;
    }
    OverviewScreen DataGrid:focus-within, OverviewScreen DataGrid:focus {
        border: round $primary;
    }
    """
    BINDINGS = [
        Binding("tab", "app.focus_next", "Next panel", id="overview.next"),
        Binding("shift+tab", "app.focus_previous", "Prev panel", show=False, id="overview.prev"),
    ]

    def compose_body(self) -> ComposeResult:
        snap = self.snapshot
        with Grid(id="panels"):
            yield DataGrid(
                alert_columns(snap, compact=True),
                row_key=lambda a: a.fingerprint,
                id="ov-alerts",
                noun="alerts",
                empty_text="No alert firing",
            )
            yield DataGrid(
                deployment_columns(snap, compact=True),
                row_key=lambda d: d.name,
                id="ov-deployments",
                noun="deployments",
                empty_text="Every deployment is healthy and serves what the registry says",
            )
            yield DataGrid(
                request_columns(),
                row_key=lambda p: p.key,
                id="ov-promotions",
                noun="promotions",
                empty_text="No pending promotion request",
            )
            yield DataGrid(
                run_columns(snap, [], compact=True),
                row_key=lambda r: r.id,
                id="ov-runs",
                noun="runs",
                empty_text="No runs",
            )

    def on_mount(self) -> None:
        self.query_one("#ov-alerts", DataGrid).focus()

    def show_snapshot(self, snapshot: Snapshot) -> None:
        alerts = self.query_one("#ov-alerts", DataGrid)
        deployments = self.query_one("#ov-deployments", DataGrid)
        promotions = self.query_one("#ov-promotions", DataGrid)
        runs = self.query_one("#ov-runs", DataGrid)
        firing = snapshot.firing_alerts
        acked = acked_alerts(snapshot)  # still firing, and owned: shown with who acked them
        # 20,000 alerts: rebuild the panel only when they changed (ages move: once a minute)
        shown = (firing, snapshot.silences, acked, int(time.monotonic() // 60))
        last = self.__dict__.get("_alerts_shown")
        if last is None or shown[0] is not last[0] or shown[1] is not last[1] or shown[2:] != last[2:]:
            self.__dict__["_alerts_shown"] = shown
            alerts.set_data(alert_columns(snapshot, compact=True), (*firing, *acked))
        counts = snapshot.firing_severities
        summary = "  ".join(f"{counts[s]} {s.value}" for s in Severity if counts.get(s))
        alerts.border_title = (
            f"Firing alerts ({len(firing)}"
            + (f", {len(acked)} acked" if acked else "")
            + ")"
            + (f": {summary}" if summary else "")
        )
        alerts.border_subtitle = "enter: open alert"
        # not healthy first (worst first), then the healthy ones that serve another version than expected
        unhealthy = snapshot.unhealthy_deployments
        mismatched = tuple(d for d in snapshot.deployments if d.mismatch and d not in unhealthy)
        deployments.set_data(deployment_columns(snapshot, compact=True), unhealthy + mismatched)  # fitted to the names
        deployments.border_title = f"Unhealthy deployments ({len(unhealthy)} of {len(snapshot.deployments)})"
        count = sum(1 for d in snapshot.deployments if d.mismatch)
        deployments.border_subtitle = f"{MISMATCH} {count} mismatched" if count else ""
        promotions.set_rows(snapshot.pending_promotions)
        promotions.border_title = f"Pending promotions ({len(snapshot.pending_promotions)})"
        latest = snapshot.latest_runs
        run_cols: Sequence[Column[Run]] = runs.columns
        if runs.total_rows == 0 or getattr(self, "_runs_source", None) is not snapshot.runs:
            run_cols = run_columns(snapshot, top_metric_keys(latest, 1), compact=True)
            self._runs_source = snapshot.runs
        runs.set_data(run_cols, latest)
        runs.border_title = f"Latest runs (of {len(snapshot.runs):,})"
        for grid, kind in (
            (alerts, "alerts"),
            (deployments, "deployments"),
            (promotions, "promotions"),
            (runs, "runs"),
        ):
            self.honest_empty(grid, kind, snapshot=snapshot)  # "unknown", never "none", when a source failed

    def on_data_grid_row_selected(self, event: DataGrid.RowSelected) -> None:
        row = event.row
        app = self.mlops
        if isinstance(row, Alert):
            app.open_alert(row.fingerprint)
        elif isinstance(row, Deployment):
            app.open_deployment(row.name)
        elif isinstance(row, PromotionRequest):
            app.open_promotion(row.model, row.version)
        elif isinstance(row, Run):
            app.open_run(row.id)


__all__ = ["SEVERITY_STYLE", "OverviewScreen"]
