"""Runs: the run history of every experiment, and one run's params, metrics and history."""

from __future__ import annotations

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Sparkline, Static

from mlops_tui.domain import MetricPoint, Run
from mlops_tui.services.snapshot import Snapshot
from mlops_tui.ui.columns import RUN_STATUS_STYLE, run_columns, top_metric_keys
from mlops_tui.ui.format import duration, local_time, number
from mlops_tui.ui.literal import literal, visible
from mlops_tui.ui.screens.base import BaseScreen
from mlops_tui.ui.widgets.data_grid import DataGrid
from mlops_tui.ui.widgets.key_values import KeyValues


class RunsScreen(BaseScreen):
    VIEW = "runs"
    DEFAULT_CSS = """
    RunsScreen #runs { height: 1fr; }
    """

    def compose_body(self) -> ComposeResult:
        yield DataGrid(run_columns(self.snapshot, []), row_key=lambda r: r.id, id="runs", empty_text="No runs yet")

    def on_mount(self) -> None:
        super().on_mount()
        self._source: tuple[Run, ...] | None = None
        self.show_snapshot(self.snapshot)
        self.query_one("#runs", DataGrid).focus()

    def show_snapshot(self, snapshot: Snapshot) -> None:
        if snapshot.runs is self._source:
            return  # nothing changed: no work for 100k rows
        grid = self.query_one("#runs", DataGrid)
        if self._source is None or len(self._source) == 0:
            grid.set_columns(run_columns(snapshot, top_metric_keys(snapshot.runs)))
        self._source = snapshot.runs
        grid.set_rows(snapshot.runs)
        grid.border_title = f"Runs ({len(snapshot.runs):,})"

    def on_data_grid_row_selected(self, event: DataGrid.RowSelected) -> None:
        self.mlops.open_run(event.row.id)


class RunDetailScreen(BaseScreen):
    VIEW = "runs"
    DEFAULT_CSS = """
    RunDetailScreen #run-body { height: 1fr; }
    RunDetailScreen .section { text-style: bold; color: $accent; margin-top: 1; padding: 0 1; }
    RunDetailScreen .metric-row { height: 3; }
    RunDetailScreen .metric-row Static { width: 28; padding: 0 1; }
    RunDetailScreen .metric-row Sparkline { width: 1fr; height: 3; }
    """

    def __init__(self, run_id: str) -> None:
        super().__init__()
        self.run_id = run_id
        self.histories: dict[str, list[MetricPoint]] = {}

    @property
    def run(self) -> Run | None:
        return self.snapshot.runs_by_id.get(self.run_id)

    def crumb(self) -> str:
        run = self.run
        return visible(f"run {run.name}") if run else f"run {self.run_id}"

    def compose_body(self) -> ComposeResult:
        with VerticalScroll(id="run-body"):
            yield Static(id="run-title")
            yield KeyValues(id="run-info")
            yield Static("Metrics (history over steps)", classes="section")
            yield Vertical(id="run-metrics")
            yield Static("Params", classes="section")
            yield KeyValues(id="run-params")
            yield Static("Tags", classes="section")
            yield KeyValues(id="run-tags")

    def on_mount(self) -> None:
        super().on_mount()
        self.show_snapshot(self.snapshot)
        self.load_histories()

    def show_snapshot(self, snapshot: Snapshot) -> None:
        run = snapshot.runs_by_id.get(self.run_id)
        if run is None:
            self.query_one("#run-title", Static).update(Text(f"run {self.run_id} is no longer loaded"))
            return
        if run is getattr(self, "_shown_run", None):
            return  # same immutable run: nothing to repaint
        self._shown_run = run
        title = Text()
        title.append(visible(run.name), style="bold")
        title.append(f"  {run.status.value}", style=RUN_STATUS_STYLE.get(run.status, ""))
        self.query_one("#run-title", Static).update(title)
        exp = snapshot.experiments_by_id.get(run.experiment_id)
        self.query_one("#run-info", KeyValues).show(
            [
                ("run id", run.id),
                ("experiment", exp.name if exp else run.experiment_id),
                ("status", run.status.value),
                ("user", run.user),
                ("started", local_time(run.start_time)),
                ("ended", local_time(run.end_time)),
                ("duration", duration(run.duration_seconds)),
                ("backend", run.backend),
            ]
        )
        self.query_one("#run-params", KeyValues).show(sorted(run.params.items()))
        self.query_one("#run-tags", KeyValues).show(sorted(run.tags.items()))
        self._show_metrics(run)

    def _show_metrics(self, run: Run) -> None:
        box = self.query_one("#run-metrics", Vertical)
        box.remove_children()
        rows = []
        for key, value in sorted(run.metrics.items()):
            points = self.histories.get(key)
            label = Text()
            label.append(visible(key), style="bold")
            label.append(f"  {number(value)}")
            if points is not None:
                label.append(f"\n{len(points)} steps", style="dim")
            else:
                label.append("\nloading history…", style="dim")
            rows.append(
                Horizontal(
                    Static(label),
                    Sparkline([p.value for p in points] if points else [], summary_function=max),
                    classes="metric-row",
                )
            )
        if rows:
            box.mount_all(rows)
        else:
            box.mount(Static(literal("(no metrics)", "dim")))

    @work(exclusive=True, group="metric-history", exit_on_error=False)
    async def load_histories(self) -> None:
        run = self.run
        if run is None:
            return
        hub = self.mlops.runtime.hub
        for key in sorted(run.metrics):
            try:
                points = await hub.call(run.backend, lambda b, k=key: b.metric_history(run.id, k))
            except Exception as exc:  # one metric failing must not hide the others
                self.notify(f"history of {key}: {exc}", severity="warning", markup=False)
                points = []
            self.histories[key] = list(points)
        current = self.run
        if current is not None:
            self._show_metrics(current)
