"""Compare: 2-8 runs (or a model's versions) side by side, differences only, metric charts.

The rows come from `services.compare` (no Textual there); this screen lays them out in a
`DataGrid`, one column per run, and charts a metric's history for every compared run on one
textual-plotext chart: one line per run, told apart by colour and by marker.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

from rich.text import Text
from textual import work
from textual.app import ComposeResult, RenderResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Static
from textual_plotext import PlotextPlot

from mlops_tui.domain import LoggedModel, ModelVersion, Run
from mlops_tui.services import compare as cmp
from mlops_tui.services import compare_loading
from mlops_tui.services.snapshot import Snapshot
from mlops_tui.ui import glyphs
from mlops_tui.ui.format import plural
from mlops_tui.ui.literal import visible
from mlops_tui.ui.screens.base import BaseScreen
from mlops_tui.ui.themes import ink
from mlops_tui.ui.widgets.data_grid import Column, DataGrid

# One marker and one colour per column (Okabe-Ito, readable by most colour-blind people);
# the column header carries the same marker as the chart's line.
MARKERS = glyphs.CHART_MARKERS
COLORS = (
    (0, 114, 178), (230, 159, 0), (0, 158, 115), (204, 121, 167),
    (86, 180, 233), (213, 94, 0), (240, 228, 66), (150, 150, 150),
)  # fmt: skip
Mode = Literal["runs", "versions"]


@dataclass(frozen=True)
class Line:
    """One line of the grid: a group heading (row None) or a comparison row."""

    key: tuple[str, str]
    label: str
    cells: tuple[str, ...] = ()
    best: tuple[int, ...] = ()
    row: cmp.Row | None = None


@dataclass(frozen=True)
class Series:
    """One line of the chart, as plotted (after downsampling)."""

    label: str
    marker: str
    color: tuple[int, int, int]
    x: tuple[float, ...]
    y: tuple[float, ...]


def grid_lines(comparison: cmp.Comparison, differences_only: bool) -> list[Line]:
    rows = comparison.shown(differences_only)
    total = {g: 0 for g in cmp.GROUPS}
    for r in comparison.rows:
        total[r.group] += 1
    shown = {g: 0 for g in cmp.GROUPS}
    for r in rows:
        shown[r.group] += 1
    lines: list[Line] = []
    group = ""
    for r in rows:
        if r.group != group:
            group = r.group
            count = f"{shown[group]} of {total[group]} differ" if differences_only else f"{total[group]}"
            lines.append(Line(("", group), f"{glyphs.GROUP_OPEN} {group} ({count})"))
        lines.append(Line((r.group, r.key), "  " + r.label, r.cells, r.best, r))
    return lines


def _cell(index: int) -> Callable[[Line], str]:
    def text(line: Line) -> str:
        return line.cells[index] if index < len(line.cells) else ""

    return text


def _best_style(index: int) -> Callable[[Line], str | None]:
    def style(line: Line) -> str | None:
        return ink("ok", "bold") if index in line.best else None

    return style


def grid_columns(subjects: Sequence[cmp.Subject]) -> list[Column[Line]]:
    columns: list[Column[Line]] = [
        Column(
            "row",
            "",
            lambda line: line.label,
            width=30,
            min_width=14,
            style=lambda line: "bold" if line.row is None else None,
        )
    ]
    for i, s in enumerate(subjects):
        label = f"{MARKERS[i]} {s.label}"
        columns.append(
            Column(
                f"s{i}",
                label,
                _cell(i),
                width=max(12, min(24, len(label) + 1)),
                min_width=8,
                flex=True,
                style=_best_style(i),
            )
        )
    return columns


class ComparePlot(PlotextPlot):
    """A plotext chart that builds its picture once per data, size and theme: plotext's
    build costs ~0.1 s for 8 lines, and a layout change alone must not pay it again."""

    _built: tuple[tuple[object, ...], RenderResult] | None = None

    def replot(self) -> None:
        self._built = None
        self.refresh()

    def render(self) -> RenderResult:
        key = (self.size, self.app.theme, self.theme)
        if self._built is not None and self._built[0] == key:
            return self._built[1]
        picture = super().render()
        self._built = (key, picture)
        return picture


class CompareGrid(DataGrid[Line]):
    """The comparison's rows stay grouped: no sorting here."""

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("sort_left", "sort_right", "reverse_sort"):
            return False
        return super().check_action(action, parameters)


class CompareScreen(BaseScreen):
    VIEW = "runs"
    DEFAULT_CSS = """
    CompareScreen #compare { height: 1fr; border: round $panel-lighten-2; }
    CompareScreen #compare:focus { border: round $primary; }
    CompareScreen #compare-chart-box { height: 1fr; display: none; border: round $panel-lighten-2; }
    CompareScreen #compare-chart-box.shown { display: block; }
    CompareScreen #compare-chart-note { height: auto; padding: 0 1; color: $text-muted; }
    CompareScreen #compare-note { height: auto; padding: 0 1; color: $text-muted; }
    """
    BINDINGS = [
        Binding("d", "toggle_differences", "All rows / differences", id="compare.differences"),
        Binding("y", "copy", "Copy Markdown", id="compare.copy"),
        Binding("enter", "chart", "Chart metric", id="compare.chart", show=True),
    ]

    def __init__(
        self,
        mode: Mode,
        *,
        runs: Sequence[Run] = (),
        model: str = "",
        directions: cmp.MetricDirections = cmp.MetricDirections(),
    ) -> None:
        super().__init__()
        self.mode: Mode = mode
        self.model = model
        self.directions = directions
        self.run_ids = tuple(r.id for r in runs)
        self._runs: dict[str, Run] = {r.id: r for r in runs}
        self._versions: tuple[ModelVersion, ...] = ()
        self._logged: dict[tuple[str, str], LoggedModel | None] = {}
        self._problems: dict[str, str] = {}
        self._inputs: tuple[object, ...] = ()
        self.differences_only = True
        self.comparison: cmp.Comparison | None = None
        self._lines: dict[bool, list[Line]] = {}
        self.charted: str = ""
        self.series: tuple[Series, ...] = ()

    def crumb(self) -> str:
        if self.mode == "versions":
            return visible(f"compare {self.model}")
        return f"compare {len(self.run_ids)} runs"

    def compose_body(self) -> ComposeResult:
        yield Static(id="compare-note")
        yield CompareGrid(
            [Column("row", "", lambda line: line.label)],
            row_key=lambda line: line.key,
            id="compare",
            empty_text="Every compared value is the same (d shows all rows)",
        )
        with Vertical(id="compare-chart-box"):
            yield Static(id="compare-chart-note")
            yield ComparePlot(id="compare-chart")

    def on_mount(self) -> None:
        self.query_one("#compare", CompareGrid).focus()
        if self.mode == "versions":
            self._select_versions(self.snapshot)
            self.load_logged_models()

    # -- data -------------------------------------------------------------------------------
    def _select_versions(self, snapshot: Snapshot) -> None:
        """Up to 8 versions: every alias holder, then the newest; shown in version order."""
        mine = [v for v in snapshot.versions if v.model == self.model]
        newest = sorted(mine, key=lambda v: cmp.version_number(v.version), reverse=True)
        picked = [v for v in newest if v.aliases][: cmp.MAX_SUBJECTS]
        for v in newest:
            if len(picked) >= cmp.MAX_SUBJECTS:
                break
            if v not in picked:
                picked.append(v)
        self._all_versions = len(mine)
        self._versions = tuple(sorted(picked, key=lambda v: cmp.version_number(v.version)))

    def _subjects(self, snapshot: Snapshot) -> tuple[tuple[object, ...], list[cmp.Subject]]:
        names = {e.id: e.name for e in snapshot.experiments}
        if self.mode == "runs":
            for run_id in self.run_ids:
                fresh = snapshot.runs_by_id.get(run_id)
                if fresh is not None:
                    self._runs[run_id] = fresh  # else keep the last one seen (a filter hid it)
            runs = [self._runs[i] for i in self.run_ids]
            inputs = tuple(map(id, runs))
            return inputs, [cmp.run_subject(r, names.get(r.experiment_id, "")) for r in runs]
        by_key = snapshot.versions_by_key
        versions = [by_key.get(v.key, v) for v in self._versions]
        runs_by_id = snapshot.runs_by_id
        pairs = [(v, runs_by_id.get(v.run_id), self._logged.get(v.key)) for v in versions]
        inputs = tuple(id(x) for p in pairs for x in p)
        subjects = [
            cmp.version_subject(v, run, logged, names.get(run.experiment_id, "") if run else "")
            for v, run, logged in pairs
        ]
        return inputs, subjects

    def show_snapshot(self, snapshot: Snapshot) -> None:
        inputs, subjects = self._subjects(snapshot)
        if inputs == self._inputs and self.comparison is not None:
            return  # the same immutable runs: nothing to rebuild
        self._inputs = inputs
        self.show_comparison(cmp.compare(subjects, self.directions))

    def show_comparison(self, comparison: cmp.Comparison) -> None:
        grid = self.query_one("#compare", CompareGrid)
        old = self.comparison
        self.comparison = comparison
        self._lines = {}
        if old is None or [s.label for s in old.subjects] != [s.label for s in comparison.subjects]:
            grid.set_columns(grid_columns(comparison.subjects))
        self._show_lines()
        self._show_note()

    def _show_lines(self) -> None:
        comparison = self.comparison
        if comparison is None:
            return
        lines = self._lines.get(self.differences_only)
        if lines is None:
            lines = self._lines[self.differences_only] = grid_lines(comparison, self.differences_only)
        grid = self.query_one("#compare", CompareGrid)
        grid.set_rows(lines)
        what = "versions of " + visible(self.model) if self.mode == "versions" else "runs"
        shown = "differences only" if self.differences_only else "all rows"
        grid.border_title = (
            f"Compare {len(comparison.subjects)} {what} — {shown} "
            f"({len(comparison.differing)} of {len(comparison.rows)} rows differ)"
        )
        other = "all rows" if self.differences_only else "differences only"
        grid.border_subtitle = (
            f"{cmp.BEST} best  {cmp.HIGHER} higher is better  {cmp.LOWER} lower is better  "
            f"·  enter charts a metric  d {other}  y copy"
        )

    def _show_note(self) -> None:
        note = Text()
        if self.mode == "versions":
            total = getattr(self, "_all_versions", len(self._versions))
            if total > len(self._versions):
                note.append(f"{len(self._versions)} of {total} versions: the alias holders, then the newest. ")
            missing = [v.version for v in self._versions if v.run_id and v.run_id not in self.snapshot.runs_by_id]
            if missing:
                note.append(
                    "Source run not loaded for v" + ", v".join(map(visible, missing)) + ". ", style=ink("warning")
                )
            pending = [
                v
                for v in self._versions
                if v.model_id and v.key not in self._logged and f"v{v.version}" not in self._problems
            ]
            if pending:
                note.append("Loading logged models… ")
        for name, problem in self._problems.items():
            note.append(f"{visible(name)}: {visible(problem)}. ", style=ink("warning"))
        self.query_one("#compare-note", Static).update(note)
        self.query_one("#compare-note", Static).display = bool(note.plain)

    @work(exclusive=True, group="logged-models", exit_on_error=False)
    async def load_logged_models(self) -> None:
        versions = [v for v in self._versions if v.model_id]
        if not versions:
            return
        results = await compare_loading.logged_models(self.mlops.runtime.hub, versions)
        for v, result in zip(versions, results):
            if isinstance(result, BaseException):
                # unknown is not "none": say the logged model could not be read
                self._problems[f"v{v.version}"] = f"logged model {v.model_id} not read: {result}"
                self._logged.pop(v.key, None)
            else:
                self._logged[v.key] = result
        self._inputs = ()
        self.show_snapshot(self.snapshot)

    # -- keys -------------------------------------------------------------------------------
    def action_toggle_differences(self) -> None:
        self.differences_only = not self.differences_only
        self._show_lines()

    def action_copy(self) -> None:
        if self.comparison is None:
            return
        text = cmp.to_markdown(self.comparison, self.differences_only)
        where = copy_text(self, text)
        rows = len(self.comparison.shown(self.differences_only))
        self.notify(f"Copied the comparison ({rows} rows) as a Markdown table to {where}", title="Copied", markup=False)

    def action_chart(self) -> None:
        grid = self.query_one("#compare", CompareGrid)
        line = grid.cursor_row
        if line is None or line.row is None or line.row.group != "metrics":
            self.notify("enter on a metric row charts it", severity="warning")
            return
        self.chart(line.row.key)

    def on_data_grid_row_selected(self, event: DataGrid.RowSelected) -> None:
        event.stop()
        self.action_chart()

    def action_back(self) -> None:
        box = self.query_one("#compare-chart-box")
        if box.has_class("shown") and not self.query_one("#compare", CompareGrid).filter_text:
            box.remove_class("shown")
            self.charted = ""
            self.query_one("#compare", CompareGrid).focus()
            return
        super().action_back()

    # -- the chart --------------------------------------------------------------------------
    def chart(self, metric: str) -> None:
        self.charted = metric
        self.query_one("#compare-chart-box").add_class("shown")
        note = self.query_one("#compare-chart-note", Static)
        if self.mode == "versions":
            self.plot_across_versions(metric)
            return
        note.update(Text(f"loading the history of {visible(metric)} for {len(self.run_ids)} runs…"))
        self.load_and_plot(metric)

    def _chart_width(self) -> int:
        plot = self.query_one("#compare-chart", ComparePlot)
        return max(10, plot.size.width or self.size.width - 2)

    @work(exclusive=True, group="compare-chart", exit_on_error=False)
    async def load_and_plot(self, metric: str) -> None:
        runs = [self._runs[i] for i in self.run_ids]
        results = await compare_loading.metric_histories(
            self.mlops.runtime.hub, [(r.backend, r.id) for r in runs], metric
        )
        if metric != self.charted:
            return  # another metric was asked for meanwhile
        labels = [s.label for s in self.comparison.subjects] if self.comparison else [r.name for r in runs]
        histories: list[tuple[int, str, list[float], list[float]]] = []
        problems = []
        for i, (label, result) in enumerate(zip(labels, results)):
            if isinstance(result, BaseException):
                problems.append(f"{label}: history not read ({result})")
                continue
            xs, ys = cmp.finite_points([p.step for p in result], [p.value for p in result])
            if not xs:
                problems.append(f"{label}: no {metric} values")
                continue
            histories.append((i, label, xs, ys))
        self.plot_series(metric, "step", histories, problems)

    def plot_series(
        self,
        metric: str,
        xlabel: str,
        histories: Sequence[tuple[int, str, Sequence[float], Sequence[float]]],
        problems: Sequence[str] = (),
        xticks: tuple[Sequence[float], Sequence[str]] | None = None,
    ) -> None:
        """One line per history, downsampled to the chart's width, with legend and markers."""
        plot = self.query_one("#compare-chart", ComparePlot)
        width = self._chart_width()
        plt = plot.plt
        plt.clear_data()
        plt.clear_figure()
        series = []
        for index, label, xs, ys in histories:
            dx, dy = cmp.downsample(xs, ys, width)
            marker, color = MARKERS[index % len(MARKERS)], COLORS[index % len(COLORS)]
            plt.plot(dx, dy, label=label, marker=marker, color=color)
            series.append(Series(label, marker, color, tuple(dx), tuple(dy)))
        self.series = tuple(series)
        plt.title(f"{visible(metric)} by {xlabel}")
        plt.xlabel(xlabel)
        if xticks is not None:
            plt.xticks(list(xticks[0]), list(xticks[1]))
        plot.replot()
        note = Text(
            f"{visible(metric)}: {plural(len(series), 'line')}, at most {width} points each; esc closes the chart"
        )
        for problem in problems:
            note.append(f"\n{visible(problem)}", style=ink("warning"))
        self.query_one("#compare-chart-note", Static).update(note)

    def plot_across_versions(self, metric: str) -> None:
        """mlflow#4806: the metric per version, in version order (not per step)."""
        comparison = self.comparison
        row = comparison.metric_row(metric) if comparison is not None else None
        if comparison is None or row is None:
            return
        xs, ys, labels = cmp.across_versions(comparison, metric)
        plotted = set(labels)
        missing = [s.label for s in comparison.subjects if s.label not in plotted]
        problems = [f"no {metric} for {', '.join(missing)}"] if missing else []
        histories = [(0, metric, xs, ys)] if xs else []
        self.plot_series(metric, "version", histories, problems, xticks=(xs, [label.split()[0] for label in labels]))


class VersionCompareScreen(CompareScreen):
    """The versions of one model side by side, shown in the Models view."""

    VIEW = "models"

    def __init__(self, model: str, directions: cmp.MetricDirections = cmp.MetricDirections()) -> None:
        super().__init__("versions", model=model, directions=directions)


def copy_text(screen: BaseScreen, text: str) -> str:
    """Copy through the app's clipboard path (OSC 52 to the terminal); says where it went."""
    screen.app.copy_to_clipboard(text)
    return "the terminal's clipboard (OSC 52)"
