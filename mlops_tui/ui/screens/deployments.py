"""Deployments: health of every deployment, and one deployment's history and served version."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Sparkline, Static

from mlops_tui.services.snapshot import Snapshot
from mlops_tui.ui.columns import HEALTH_STYLE, alert_columns, deployment_columns, health_text
from mlops_tui.ui.format import millis, percent
from mlops_tui.ui.literal import visible
from mlops_tui.ui.screens.base import BaseScreen
from mlops_tui.ui.widgets.data_grid import DataGrid
from mlops_tui.ui.widgets.key_values import KeyValues


class DeploymentsScreen(BaseScreen):
    VIEW = "deploy"

    def compose_body(self) -> ComposeResult:
        yield DataGrid(
            deployment_columns(self.snapshot), row_key=lambda d: d.name, id="deployments", empty_text="No deployments"
        )

    def on_mount(self) -> None:
        self.query_one("#deployments", DataGrid).focus()

    def show_snapshot(self, snapshot: Snapshot) -> None:
        grid = self.query_one("#deployments", DataGrid)
        grid.set_columns(deployment_columns(snapshot))
        grid.set_rows(snapshot.deployments)
        unhealthy = len(snapshot.unhealthy_deployments)
        grid.border_title = f"Deployments ({len(snapshot.deployments)}, {unhealthy} not healthy)"

    def on_data_grid_row_selected(self, event: DataGrid.RowSelected) -> None:
        self.mlops.open_deployment(event.row.name)


class DeploymentDetailScreen(BaseScreen):
    VIEW = "deploy"
    BINDINGS = [Binding("m", "open_version", "Open model version", id="deployment.version")]
    DEFAULT_CSS = """
    DeploymentDetailScreen .section { text-style: bold; color: $accent; margin-top: 1; padding: 0 1; }
    DeploymentDetailScreen .chart { height: 4; }
    DeploymentDetailScreen .chart Static { width: 24; padding: 0 1; }
    DeploymentDetailScreen .chart Sparkline { width: 1fr; height: 4; }
    DeploymentDetailScreen #deployment-alerts { height: 8; }
    """

    def __init__(self, name: str) -> None:
        super().__init__()
        self.deployment_name = name

    def crumb(self) -> str:
        return visible(f"deployment {self.deployment_name}")

    def compose_body(self) -> ComposeResult:
        with VerticalScroll():
            yield KeyValues(id="deployment-info")
            yield Static("Serves (m opens the model version)", classes="section")
            yield Static(id="deployment-serves")
            yield Static("Health over time", classes="section")
            with Horizontal(classes="chart"):
                yield Static("p95 latency", id="latency-label")
                yield Sparkline([], id="latency-chart")
            with Horizontal(classes="chart"):
                yield Static("error rate", id="errors-label")
                yield Sparkline([], id="errors-chart")
            yield Static("Alerts on this deployment", classes="section")
            yield DataGrid(
                alert_columns(self.snapshot, compact=True),
                row_key=lambda a: a.fingerprint,
                id="deployment-alerts",
                empty_text="no alert",
            )

    def show_snapshot(self, snapshot: Snapshot) -> None:
        d = snapshot.deployments_by_name.get(self.deployment_name)
        if d is None:
            self.query_one("#deployment-info", KeyValues).show([("deployment", "no longer reported")])
            return
        health = Text(health_text(d.health), style=HEALTH_STYLE[d.health])
        self.query_one("#deployment-info", KeyValues).show(
            [
                ("name", d.name),
                ("health", health),
                ("ready replicas", f"{d.ready_replicas}/{d.replicas}"),
                ("p95 latency", millis(d.latency_p95_ms)),
                ("error rate", percent(d.error_rate)),
                ("environment", d.environment or "-"),
                ("endpoint", d.endpoint or "-"),
                ("backend", d.backend),
            ]
        )
        version = snapshot.versions_by_key.get((d.model, d.version))
        serves = Text()
        serves.append(visible(f"{d.model} v{d.version}"), style="bold")
        if version is not None:
            serves.append(f"  aliases: {visible(', '.join(version.aliases) or '-')}")
        self.query_one("#deployment-serves", Static).update(serves)
        samples = snapshot.health_of(d.name)
        latencies = [s.latency_p95_ms for s in samples if s.latency_p95_ms is not None]
        errors = [s.error_rate for s in samples if s.error_rate is not None]
        self.query_one("#latency-chart", Sparkline).data = latencies
        self.query_one("#errors-chart", Sparkline).data = errors
        if latencies:
            self.query_one("#latency-label", Static).update(
                f"p95 latency\n{min(latencies):.0f}–{max(latencies):.0f} ms"
            )
        if errors:
            self.query_one("#errors-label", Static).update(
                f"error rate\n{min(errors) * 100:.2f}–{max(errors) * 100:.2f}%"
            )
        alerts = [a for a in snapshot.active_alerts if a.deployment == d.name]
        grid = self.query_one("#deployment-alerts", DataGrid)
        grid.set_columns(alert_columns(snapshot, compact=True))
        grid.set_rows(alerts)

    def action_open_version(self) -> None:
        d = self.snapshot.deployments_by_name.get(self.deployment_name)
        if d is not None:
            self.mlops.open_version(d.model, d.version)

    def on_data_grid_row_selected(self, event: DataGrid.RowSelected) -> None:
        self.mlops.open_alert(event.row.fingerprint)
