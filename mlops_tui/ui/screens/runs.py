"""Runs: the run history of every experiment, and one run's params, metrics and history."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Input, Sparkline, Static

from mlops_tui.backends.base import RunQuery
from mlops_tui.backends.errors import InvalidFilter
from mlops_tui.domain import MetricPoint, Run
from mlops_tui.services import run_filter
from mlops_tui.services.metric_order import metric_order
from mlops_tui.services.snapshot import Snapshot
from mlops_tui.ui import glyphs
from mlops_tui.ui.columns import RUN_STATUS_STYLE, run_columns, top_metric_keys
from mlops_tui.ui.format import duration, local_time, number
from mlops_tui.ui.literal import literal, visible
from mlops_tui.ui.screens.base import BaseScreen
from mlops_tui.ui.widgets.data_grid import Column, DataGrid
from mlops_tui.ui.widgets.key_values import KeyValues
from mlops_tui.ui.widgets.query_bar import QueryBar

# Runs-view columns and the MLflow order_by key that sorts the same way on the server.
_ORDER_KEYS = {
    "name": "attributes.run_name",
    "status": "attributes.status",
    "start": "attributes.start_time",
    "user": "attributes.user_id",
    "duration": "attributes.end_time",
}


def order_by_for(column: str | None, reverse: bool) -> tuple[str, ...]:
    if column is None:
        return ()
    key = f"metrics.`{column[7:]}`" if column.startswith("metric:") else _ORDER_KEYS.get(column)
    return (f"{key} {'DESC' if reverse else 'ASC'}",) if key else ()


class RunsScreen(BaseScreen):
    VIEW = "runs"
    DEFAULT_CSS = """
    RunsScreen #runs { height: 1fr; }
    """
    BINDINGS = [
        Binding("f", "query", "Query (MLflow syntax)", id="runs.query"),
        Binding("c", "compare", "Compare marked", id="runs.compare"),
    ]

    def compose_body(self) -> ComposeResult:
        yield QueryBar()
        yield DataGrid(
            run_columns(self.snapshot, []),
            row_key=lambda r: r.id,
            id="runs",
            empty_text="No runs yet",
            markable=True,
            noun="runs",
        )

    def on_mount(self) -> None:
        self._source: tuple[Run, ...] | None = None
        self._query = ""
        self._local_problem = ""
        self._shown_state: tuple[object, ...] = ()
        self.query_one("#runs", DataGrid).focus()

    # -- data -------------------------------------------------------------------------------
    def _server_side(self) -> bool:
        return self.mlops.runtime.hub.has_server_side_run_query

    def show_snapshot(self, snapshot: Snapshot) -> None:
        grid = self.query_one("#runs", DataGrid)
        progress = "; ".join(f"{s.name}: {s.progress}" for s in snapshot.statuses if s.progress)
        server_problem = "; ".join(s.query_error for s in snapshot.statuses if s.query_error)
        state = (snapshot.runs, progress, server_problem, self._query, snapshot.coverage("runs").describe())
        if state == self._shown_state:
            return  # nothing changed: no work for 100k rows
        self._shown_state = state
        columns: Sequence[Column[Run]] = grid.columns  # the metric columns are chosen once, from the first runs
        if self._source is None or len(self._source) == 0:
            columns = run_columns(snapshot, top_metric_keys(snapshot.runs))
        self._source = snapshot.runs
        grid.set_data(columns, self._visible_runs(snapshot))
        grid.border_title = f"Runs ({self._counts(grid, snapshot)})" + (
            f"  {glyphs.BUSY} {progress}" if progress else ""
        )
        grid.border_subtitle = "f query  / quick filter  < > sort  S reverse"
        where = "server" if self._server_side() else "local"
        self.query_one(QueryBar).show_state(self._query, server_problem or self._local_problem, where)
        # a query that matches nothing says so, naming it; "No runs yet" is for an empty server
        empty = f"No runs match the query “{visible(self._query)}”" if self._query else "No runs yet"
        self.honest_empty(grid, "runs", empty_text=empty, snapshot=snapshot)

    def _counts(self, grid: DataGrid[Run], snapshot: Snapshot) -> str:
        """ "37 of 100,000" while a query is on (of the runs loaded without it, when known)."""
        if not self._query:
            return f"{len(snapshot.runs):,}"
        shown = len(grid.visible_rows)
        if self._server_side():
            return f"{shown:,} matching"  # the server filtered: the total without the query is not loaded
        return f"{shown:,} of {len(snapshot.runs):,}"

    def _visible_runs(self, snapshot: Snapshot) -> Sequence[Run]:
        """Runs of servers that filter are already filtered; the others are filtered here."""
        if not self._query:
            return snapshot.runs
        server = {b.name for b in self.mlops.runtime.hub.backends if b.server_side_run_query}
        try:
            keep = run_filter.matcher(self._query)
        except InvalidFilter:
            # Our reader cannot judge it: servers judge their own syntax; local-only sessions
            # keep every run and show the problem beside the query.
            return [r for r in snapshot.runs if r.backend in server] if server else snapshot.runs
        return [r for r in snapshot.runs if r.backend in server or keep(r)]

    # -- the query line ---------------------------------------------------------------------
    def action_query(self) -> None:
        self.query_one(QueryBar).open(self._query)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id != "query-input":
            return  # the filter line: BaseScreen's own handler (Textual calls each class's)
        event.stop()
        self.apply_query(event.value.strip())
        self.query_one(QueryBar).close()
        self.query_one("#runs", DataGrid).focus()

    def apply_query(self, text: str) -> None:
        self._query = text
        try:
            run_filter.parse(text)
            self._local_problem = ""
        except InvalidFilter as exc:
            # A backend that filters on the server has the last word on its own syntax.
            self._local_problem = "" if self._server_side() else str(exc)
        grid = self.query_one("#runs", DataGrid)
        self.mlops.runtime.hub.set_run_query(
            RunQuery(filter=text, order_by=order_by_for(grid.sort_column, grid.sort_reverse))
        )
        self._shown_state = ()
        self.show_snapshot(self.snapshot)

    def on_data_grid_sort_changed(self, event: DataGrid.SortChanged) -> None:
        # The server returns pages in this order, so the first page is the top of the sort.
        if event.grid.id == "runs" and self._server_side():
            self.mlops.runtime.hub.set_run_query(
                RunQuery(filter=self._query, order_by=order_by_for(event.column, event.reverse))
            )

    def action_back(self) -> None:
        bar = self.query_one(QueryBar)
        if bar.input.has_focus:
            bar.close()
            self.query_one("#runs", DataGrid).focus()
            return
        super().action_back()

    def on_data_grid_row_selected(self, event: DataGrid.RowSelected) -> None:
        self.mlops.open_run(event.row.id)

    def action_compare(self) -> None:
        """`space` marks runs (any experiments, any backends); `c` compares 2 to 8 of them."""
        self.mlops.open_compare_runs(self.query_one("#runs", DataGrid).marked_rows)


class RunDetailScreen(BaseScreen):
    VIEW = "runs"
    DEFAULT_CSS = """
    RunDetailScreen #run-body { height: 1fr; }
    RunDetailScreen .section { text-style: bold; color: $accent; margin-top: 1; padding: 0 1; }
    RunDetailScreen #run-metrics { height: auto; }
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
        self.load_histories()

    def show_snapshot(self, snapshot: Snapshot) -> None:
        run = snapshot.runs_by_id.get(self.run_id)
        if run is None:
            self.query_one("#run-title", Static).update(Text(f"run {visible(self.run_id)} is no longer loaded"))
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
        for key in metric_order(self.snapshot.runs, [run], count=None):  # the list's column order
            value = run.metrics[key]
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
                points = await hub.call(run.backend, lambda b: b.metric_history(run.id, key))  # noqa: B023 - awaited here
            except Exception as exc:  # one metric failing must not hide the others
                self.notify(f"history of {key}: {exc}", severity="warning", markup=False)
                points = []
            self.histories[key] = list(points)
        current = self.run
        if current is not None:
            self._show_metrics(current)
