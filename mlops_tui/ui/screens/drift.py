"""Drift: every model's features with score against threshold (`p 0.035 < 0.05`, `dist 0.31 > 0.2`),
method, verdict and history."""

from __future__ import annotations

import math

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Sparkline, Static

from mlops_tui.core.wording import drift_rule, drift_score_text, drift_verdict
from mlops_tui.domain import DriftScore
from mlops_tui.services.snapshot import Snapshot
from mlops_tui.ui import glyphs
from mlops_tui.ui.columns import alert_columns, drift_columns
from mlops_tui.ui.format import local_time
from mlops_tui.ui.literal import visible
from mlops_tui.ui.screens.base import BaseScreen
from mlops_tui.ui.themes import ink
from mlops_tui.ui.widgets.data_grid import DataGrid
from mlops_tui.ui.widgets.key_values import key_value_table


def chart_points(history: list[DriftScore]) -> list[float]:
    """Scores a chart can draw: NaN left out (the table lists it), ±Inf as the extremes."""
    values = [d.score for d in history if d.has_value]
    finite = [v for v in values if math.isfinite(v)] or [0.0]
    low, high = min(finite), max(finite)
    return [v if math.isfinite(v) else (high if v > 0 else low) for v in values]


class DriftScreen(BaseScreen):
    VIEW = "drift"
    BINDINGS = [
        Binding("m", "open_model", "Open model", id="drift.model"),
        Binding("d", "open_deployment", "Open deployment", id="drift.deployment"),
        Binding("a", "open_alerts", "Model's alerts", id="drift.alerts"),
        Binding("tab", "app.focus_next", "Next list", id="drift.next"),
    ]
    DEFAULT_CSS = """
    DriftScreen #drift { height: 3fr; }
    DriftScreen #drift-alerts { height: 1fr; min-height: 5; }
    """

    def compose_body(self) -> ComposeResult:
        yield DataGrid(
            drift_columns(self.snapshot),
            row_key=lambda d: (d.model, d.feature, d.backend),
            id="drift",
            noun="drift scores",
            empty_text="No drift scores",
        )
        yield DataGrid(
            alert_columns(self.snapshot, compact=True),
            row_key=lambda a: a.fingerprint,
            id="drift-alerts",
            noun="drift alerts",
            empty_text="No drift alert",
        )

    def on_mount(self) -> None:
        self.query_one("#drift", DataGrid).focus()

    def show_snapshot(self, snapshot: Snapshot) -> None:
        grid = self.query_one("#drift", DataGrid)
        grid.set_data(drift_columns(snapshot), snapshot.latest_drift)
        latest = snapshot.latest_drift
        drifted = sum(1 for d in latest if d.drifted)
        no_value = sum(1 for d in latest if not d.has_value)
        title = f"Drift ({drifted} of {len(latest)} features drifted"
        grid.border_title = title + (f", {no_value} with no value)" if no_value else ")")
        alerts = self.query_one("#drift-alerts", DataGrid)
        drift_alerts = [a for a in snapshot.active_alerts if a.is_drift]
        alerts.set_data(
            alert_columns(snapshot, compact=True),
            sorted(drift_alerts, key=lambda a: (a.severity.rank, -a.starts_at.timestamp())),
        )
        alerts.border_title = f"Drift alerts ({len(drift_alerts)})"
        self.honest_empty(grid, "drift", snapshot=snapshot)
        self.honest_empty(alerts, "alerts", snapshot=snapshot)

    def on_data_grid_row_selected(self, event: DataGrid.RowSelected) -> None:
        if event.grid.id == "drift-alerts":
            self.mlops.open_alert(event.row.fingerprint)
        else:
            self.app.push_screen(DriftHistoryScreen(event.row.model, event.row.feature))

    def action_open_alerts(self) -> None:
        row = self.query_one("#drift", DataGrid).cursor_row
        if row is not None:
            self.mlops.open_alerts_for(row.model)

    def action_open_model(self) -> None:
        row = self.query_one("#drift", DataGrid).cursor_row
        if row is not None:
            self.mlops.open_model(row.model)

    def action_open_deployment(self) -> None:
        row = self.query_one("#drift", DataGrid).cursor_row
        if row is None:
            return
        serving = [d for d in self.snapshot.deployments if d.model == row.model]
        if serving:
            self.mlops.open_deployment(serving[0].name)
        else:
            self.notify(f"{row.model} is not deployed", markup=False)


class DriftHistoryScreen(BaseScreen):
    VIEW = "drift"
    DEFAULT_CSS = """
    DriftHistoryScreen Sparkline { height: 6; margin: 1 1; }
    DriftHistoryScreen .section { text-style: bold; color: $accent; margin-top: 1; padding: 0 1; }
    """

    def __init__(self, model: str, feature: str) -> None:
        super().__init__()
        self.model = model
        self.feature = feature

    def crumb(self) -> str:
        return visible(f"drift {self.model} / {self.feature}")

    def compose_body(self) -> ComposeResult:
        with VerticalScroll():
            yield Static(id="drift-head")
            yield Sparkline([], id="drift-chart")
            yield Static("History", classes="section")
            yield Static(id="drift-table")

    def show_snapshot(self, snapshot: Snapshot) -> None:
        history = snapshot.drift_history(self.model, self.feature)
        if not history:
            self.query_one("#drift-head", Static).update(Text("no drift scores for this feature"))
            return
        last = history[-1]
        head = Text()
        head.append(visible(f"{last.model} / {last.feature}"), style="bold")
        head.append(f"  method {visible(last.method)}  {drift_rule(last)}  ")
        if last.drifted:
            head.append(f"{glyphs.FAILED} drifted", style=ink("critical", "bold"))
        elif last.has_value:
            head.append(f"{glyphs.OK} no drift", style=ink("ok"))
        else:
            head.append("? no value: the latest score is NaN", style=ink("warning", "bold"))
        self.query_one("#drift-head", Static).update(head)
        self.query_one("#drift-chart", Sparkline).data = chart_points(history)
        rows = [
            (
                local_time(d.time),
                Text(
                    f"{drift_score_text(d)}  {drift_verdict(d)}",
                    style=ink("critical") if d.drifted else "" if d.has_value else ink("warning"),
                ),
            )
            for d in reversed(history)
        ]
        self.query_one("#drift-table", Static).update(key_value_table(rows))
