"""Deployments: the health of every deployment, and one deployment's metrics, metadata and registry entry."""

from __future__ import annotations

from datetime import UTC, datetime

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Sparkline, Static

from mlops_tui.domain import Deployment, ModelVersion
from mlops_tui.domain.deployments import TensorSpec
from mlops_tui.services.snapshot import Snapshot
from mlops_tui.ui import glyphs
from mlops_tui.ui.columns import (
    HEALTH_STYLE,
    MATCHED,
    MISMATCH,
    OVER,
    UNKNOWN,
    alert_columns,
    deployment_columns,
    error_text,
    health_text,
    latency_text,
    over_error,
    over_latency,
    rate_text,
)
from mlops_tui.ui.format import ago, local_time
from mlops_tui.ui.literal import visible
from mlops_tui.ui.screens.base import BaseScreen
from mlops_tui.ui.themes import ink
from mlops_tui.ui.widgets.data_grid import DataGrid
from mlops_tui.ui.widgets.key_values import KeyValues


def lasted(since: datetime, now: datetime) -> str:
    """How long something has lasted, the way a person says it: "1h 12m", "3d 4h", "40s"."""
    seconds = max(0, int((now - since).total_seconds()))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes:02d}m"
    return f"{minutes}m" if minutes else f"{seconds}s"


def registry_line(d: Deployment) -> Text:
    """Registry against serving in one line: "≠ mismatch: serves v6, champion is v7 for 1h 12m"."""
    text = Text()
    if not (d.registered_model and d.alias):
        text.append("no registry alias is configured for it: nothing to compare", style="dim")
        return text
    alias, model = visible(d.alias), visible(d.registered_model)
    if not d.expected_version:
        text.append(f"{UNKNOWN} unknown: ", style="dim")
        text.append(f"the registry did not say which version {model} {alias} is")
        return text
    if not d.version:
        text.append(f"{UNKNOWN} unknown: ", style="dim")
        text.append(f"{alias} is v{visible(d.expected_version)}; the server does not say which version it serves")
        return text
    served, expected = visible(d.version), visible(d.expected_version)
    if d.mismatch:
        text.append(f"{MISMATCH} mismatch: ", style=ink("degraded", "bold"))
        text.append(f"serves v{served}, {alias} is v{expected}")
        if d.mismatch_since is not None:
            now = d.checked_at or datetime.now(UTC)
            text.append(f" for {lasted(d.mismatch_since, now)}", style="bold")
            text.append(f" (since {local_time(d.mismatch_since)})", style="dim")
        return text
    text.append(f"{MATCHED} matches: ", style=ink("ok"))
    text.append(f"serves v{served}, {alias} is v{expected}")
    return text


def tensor_table(inputs: tuple[TensorSpec, ...], outputs: tuple[TensorSpec, ...]) -> Table | Text:
    if not inputs and not outputs:
        return Text("the server gave no inputs or outputs", style="dim")
    table = Table(box=None, header_style="bold", pad_edge=False)
    for name in ("", "name", "datatype", "shape"):
        table.add_column(name)
    for direction, specs in (("input", inputs), ("output", outputs)):
        for spec in specs:
            shape = "[" + ", ".join("-1" if n < 0 else str(n) for n in spec.shape) + "]" if spec.shape else UNKNOWN
            table.add_row(direction, Text(visible(spec.name)), Text(visible(spec.datatype or UNKNOWN)), shape)
    return table


def _yes_no(value: bool | None, yes: str, no: str) -> Text:
    if value is None:
        return Text(f"{UNKNOWN} unknown", style="dim")
    return (
        Text(f"{glyphs.OK} {yes}", style=ink("ok"))
        if value
        else Text(f"{glyphs.FAILED} {no}", style=ink("down", "bold"))
    )


class DeploymentsScreen(BaseScreen):
    VIEW = "deploy"

    def compose_body(self) -> ComposeResult:
        yield DataGrid(
            deployment_columns(self.snapshot),
            row_key=lambda d: d.name,
            id="deployments",
            noun="deployments",
            empty_text="No deployments",
        )

    def on_mount(self) -> None:
        self.query_one("#deployments", DataGrid).focus()

    def show_snapshot(self, snapshot: Snapshot) -> None:
        grid = self.query_one("#deployments", DataGrid)
        grid.set_data(deployment_columns(snapshot), snapshot.deployments)
        unhealthy = len(snapshot.unhealthy_deployments)
        mismatched = sum(1 for d in snapshot.deployments if d.mismatch)
        title = f"Deployments ({len(snapshot.deployments)}, {unhealthy} not healthy"
        grid.border_title = title + (f", {MISMATCH} {mismatched} mismatched)" if mismatched else ")")
        self.honest_empty(grid, "deployments", snapshot=snapshot)

    def on_data_grid_row_selected(self, event: DataGrid.RowSelected) -> None:
        self.mlops.open_deployment(event.row.name)


class DeploymentDetailScreen(BaseScreen):
    VIEW = "deploy"
    BINDINGS = [
        Binding("m", "open_version", "Open model version", id="deployment.version"),
        Binding("r", "open_run", "Open its run", id="deployment.run"),
        Binding("R", "rollback", "Propose rollback", id="deployment.rollback"),
    ]
    DEFAULT_CSS = """
    DeploymentDetailScreen .section { text-style: bold; color: $accent; margin-top: 1; padding: 0 1; }
    DeploymentDetailScreen #deployment-registry, DeploymentDetailScreen #deployment-metadata { padding: 0 1; }
    DeploymentDetailScreen .chart { height: 3; }
    DeploymentDetailScreen .chart Static { width: 24; padding: 0 1; }
    DeploymentDetailScreen .chart Sparkline { width: 1fr; height: 3; }
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
            yield Static("Serves (m opens the model version, r its run)", classes="section")
            yield Static(id="deployment-registry")
            yield KeyValues(id="deployment-version")
            yield Static("Last hour", classes="section")
            for key, label in (("rate", "requests/s"), ("errors", "errors"), ("latency", "p95 latency")):
                with Horizontal(classes="chart"):
                    yield Static(label, id=f"{key}-label")
                    yield Sparkline([], id=f"{key}-chart")
            yield Static("Server", classes="section")
            yield KeyValues(id="deployment-server")
            yield Static("Model metadata", classes="section")
            yield Static(id="deployment-metadata")
            yield Static("Alerts on this deployment (tab, then enter opens one)", classes="section")
            yield DataGrid(
                alert_columns(self.snapshot, compact=True),
                row_key=lambda a: a.fingerprint,
                id="deployment-alerts",
                noun="alerts",
                empty_text="no alert",
            )

    def _deployment(self) -> Deployment | None:
        return self.snapshot.deployments_by_name.get(self.deployment_name)

    @staticmethod
    def _entry(snapshot: Snapshot, d: Deployment) -> ModelVersion | None:
        """The registry's entry for what it serves (or, when that is unknown, for what it should)."""
        model = d.registered_model or d.model
        return snapshot.versions_by_key.get((model, d.version or d.expected_version))

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
                ("reason", Text(visible(d.reason), style="bold") if d.reason else Text("-", style="dim")),
                ("environment", d.environment or "-"),
                ("last checked", f"{local_time(d.checked_at)} ({ago(d.checked_at)})" if d.checked_at else UNKNOWN),
            ]
        )
        self.query_one("#deployment-server", KeyValues).show(
            [
                ("server", _yes_no(d.live, "answers", "not answering")),
                ("model ready", _yes_no(d.ready, "ready", "not ready")),
                ("model on the server", d.model or UNKNOWN),
                ("replicas ready", f"{d.ready_replicas}/{d.replicas}" if d.replicas else UNKNOWN),
                ("repository state", d.repository_state or UNKNOWN),
                ("platform", d.platform or UNKNOWN),
                ("endpoint", d.endpoint or "-"),
                ("metrics note", d.metrics_note or "-"),
                ("reported by", ", ".join(d.sources) or d.backend),
            ]
        )
        self.query_one("#deployment-registry", Static).update(registry_line(d))
        entry = self._entry(snapshot, d)
        model = d.registered_model or d.model
        rows: list[tuple[str, object]] = [("version", f"{model} v{d.version}" if d.version else f"{model} {UNKNOWN}")]
        if entry is not None:
            run = snapshot.runs_by_id.get(entry.run_id)
            rows += [
                ("aliases", ", ".join(entry.aliases) or "-"),
                ("registered", f"{local_time(entry.created)} by {entry.user or UNKNOWN}"),
                ("run", run.name if run else (entry.run_id or "-")),
            ]
        else:
            rows.append(("registry", "not in the registry"))
        self.query_one("#deployment-version", KeyValues).show(rows)
        self._show_charts(snapshot, d)
        self.query_one("#deployment-metadata", Static).update(tensor_table(d.inputs, d.outputs))
        alerts = [a for a in snapshot.active_alerts if a.deployment == d.name]
        grid = self.query_one("#deployment-alerts", DataGrid)
        grid.set_data(alert_columns(snapshot, compact=True), alerts)

    def _show_charts(self, snapshot: Snapshot, d: Deployment) -> None:
        samples = snapshot.health_of(d.name)
        if samples:
            since = samples[-1].time.timestamp() - 3600
            samples = [s for s in samples if s.time.timestamp() > since]
        charts = (
            ("rate", "requests/s", [s.requests_per_second for s in samples], d.requests_per_second, rate_text, False),
            ("errors", "errors", [s.error_rate for s in samples], d.error_rate, error_text, over_error(d)),
            ("latency", "p95", [s.latency_p95_ms for s in samples], d.latency_p95_ms, latency_text, over_latency(d)),
        )
        for key, label, values, now, fmt, over in charts:
            known = [v for v in values if v is not None]
            self.query_one(f"#{key}-chart", Sparkline).data = known
            text = Text()
            text.append(f"{label} ")
            text.append(f"{OVER} {fmt(now)}" if over else fmt(now), style=ink("critical", "bold") if over else "bold")
            if over and key == "errors" and d.max_error_rate is not None:
                text.append(f" > {error_text(d.max_error_rate)}", style=ink("critical"))
            if over and key == "latency" and d.max_latency_p95_ms is not None:
                text.append(f" > {latency_text(d.max_latency_p95_ms)}", style=ink("critical"))
            if known:
                text.append(f"\n{fmt(min(known))} – {fmt(max(known))}", style="dim")
            else:
                text.append("\nno samples", style="dim")
            self.query_one(f"#{key}-label", Static).update(text)

    def action_open_version(self) -> None:
        d = self._deployment()
        if d is None:
            return
        version = d.version or d.expected_version
        if not version:
            self.notify("Nobody can tell which version this deployment serves", severity="warning")
            return
        self.mlops.open_version(d.registered_model or d.model, version)

    def action_open_run(self) -> None:
        d = self._deployment()
        entry = self._entry(self.snapshot, d) if d is not None else None
        if entry is None or not entry.run_id:
            self.notify("No training run is known for the version it serves")
            return
        self.mlops.open_run(entry.run_id)

    def action_rollback(self) -> None:
        """`R`: an urgent request to move the alias this deployment follows back to its previous holder."""
        from mlops_tui.ui.dialogs.rollback import propose_rollback

        d = self._deployment()
        if d is None:
            return
        serving = f"serving v{d.version}" if d.version else "serving an unknown version"
        propose_rollback(self, d.registered_model or d.model, d.alias, f"deployment {d.name} ({serving})")

    def on_data_grid_row_selected(self, event: DataGrid.RowSelected) -> None:
        self.mlops.open_alert(event.row.fingerprint)
