"""Benchmark the compare screen: 8 runs x 300 params x 200 metrics, and a chart of 8 histories
of 10,000 points each, in the real app (headless), with the data already in memory.

Run:  .venv/bin/python bench/bench_compare.py [--repeat 5]

Figures (medians of --repeat, min and max beside them):
- open: `open_compare_runs(8 runs)` -> the compare grid's visible lines all painted
  (building the comparison, the screen's mount, layout, first paint);
- toggle: `d` -> the grid repainted with the other set of rows;
- chart (data in memory): `plot_series` with 8 x 10,000 points -> the chart painted
  (downsampling to the chart's width, plotext's build, Textual's paint);
- chart (enter): `enter` on a metric row -> painted, including the 8 histories fetched
  through the hub from an in-memory backend.
Each line also gives the CPU seconds this process spent over the same span: on a machine
shared with other work the wall figure grows with the load average, the CPU figure much less.
Targets: open <= 0.2 s, toggle <= 0.05 s, chart <= 0.3 s. Histories are training curves
(a rise to a plateau, noise sd 0.01); a noisy one (sd 0.1) is the worst case for plotext,
whose cost grows with the cells its lines cross. "reference: any screen" is pushing a bare
screen of this app (its top bar, status bar and footer): what any view pays on this machine.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import math
import random

from mlops_tui.backends.base import Backend, Capability, RunQuery
from mlops_tui.domain import Experiment, MetricPoint, Run, RunStatus
from mlops_tui.services.runtime import build_runtime
from mlops_tui.ui.app import MlopsApp
from mlops_tui.ui.screens.base import BaseScreen
from mlops_tui.ui.screens.compare import CompareGrid, ComparePlot, CompareScreen

RUNS, PARAMS, METRICS, POINTS = 8, 300, 200, 10_000
T0 = datetime(2026, 1, 1, tzinfo=UTC)


def make_runs() -> list[Run]:
    runs = []
    for r in range(RUNS):
        runs.append(
            Run(
                id=f"{r:032x}",
                experiment_id="1",
                name=f"bench-run-{r}",
                status=RunStatus.FINISHED,
                start_time=T0 + timedelta(minutes=r),
                end_time=T0 + timedelta(minutes=r + 30),
                # half the params are shared by every run, half differ
                params={f"param_{p:03d}": str(p if p % 2 else p * 100 + r) for p in range(PARAMS)},
                metrics={f"metric_{m:03d}": (m + r) / 1000 for m in range(METRICS)},
                tags={"team": "bench", "seed": str(r)},
                backend="bench",
            )
        )
    return runs


class BenchBackend(Backend):
    kind = "bench"
    capabilities = frozenset({Capability.RUNS})

    def __init__(self, runs: Sequence[Run]) -> None:
        super().__init__("bench")
        self.runs = tuple(runs)

    async def list_experiments(self):
        return [Experiment(id="1", name="bench", backend="bench")]

    async def list_runs(self, query: RunQuery):
        return self.runs

    async def metric_history(self, run_id: str, key: str):
        return [MetricPoint(step=s, value=v) for s, v in enumerate(curve(int(run_id, 16), 0.01))]


def curve(seed: int, noise: float) -> list[float]:
    """A training curve: rising to a plateau, with per-step noise of `noise` (sd)."""
    rng = random.Random(seed)
    return [0.5 + 0.4 * (1 - math.exp(-s / (1500 + 200 * seed))) + rng.gauss(0, noise) for s in range(POINTS)]


class EmptyScreen(BaseScreen):
    """Reference: the cost of showing any screen of this app (top bar, status bar, footer)."""


class Painted:
    """When a widget class last finished painting a line (or a whole render)."""

    def __init__(self, cls, method: str) -> None:
        self.at = 0.0
        self.cpu_at = 0.0
        original = getattr(cls, method)

        def wrapped(widget, *args, **kwargs):
            result = original(widget, *args, **kwargs)
            self.at = time.perf_counter()
            self.cpu_at = time.process_time()
            return result

        setattr(cls, method, wrapped)


CPU: dict[str, list[float]] = {}  # the same figures in this process's CPU seconds
_cpu_started = 0.0


def start() -> float:
    global _cpu_started
    _cpu_started = time.process_time()
    return time.perf_counter()


async def until_painted(pilot, painted: Painted, started: float, predicate=lambda: True, name: str = "") -> float:
    deadline = time.perf_counter() + 10
    while True:
        await pilot.pause()
        if painted.at > started and predicate():
            CPU.setdefault(name, []).append(painted.cpu_at - _cpu_started)
            return painted.at - started
        if time.perf_counter() > deadline:
            raise RuntimeError("not painted within 10 s")


async def measure(repeat: int) -> dict[str, list[float]]:
    runs = make_runs()
    smooth = {r.id: (list(range(POINTS)), curve(i, 0.01)) for i, r in enumerate(runs)}
    noisy = {r.id: (list(range(POINTS)), curve(i, 0.1)) for i, r in enumerate(runs)}
    grid_painted = Painted(CompareGrid, "render_line")
    chart_painted = Painted(ComparePlot, "render")
    empty_painted = Painted(EmptyScreen, "_compositor_refresh")
    figures: dict[str, list[float]] = {
        "reference: any screen": [],
        "open": [],
        "toggle": [],
        "chart (data in memory)": [],
        "chart, noisy (sd 0.1)": [],
        "chart (enter, through the hub)": [],
    }
    runtime = build_runtime(None, backends=[BenchBackend(runs)])
    app = MlopsApp(runtime)
    async with app.run_test(size=(160, 48)) as pilot:
        while len(app.snapshot.runs) < RUNS:
            await pilot.pause(0.05)
        await pilot.press("2")
        await pilot.pause()
        for _ in range(repeat):
            started = start()
            await app.push_screen(EmptyScreen())
            figures["reference: any screen"].append(
                await until_painted(pilot, empty_painted, started, name="reference: any screen")
            )
            await pilot.press("escape")
            await pilot.pause()

            started = start()
            app.open_compare_runs(list(app.snapshot.runs))
            figures["open"].append(
                await until_painted(pilot, grid_painted, started, lambda: isinstance(app.screen, CompareScreen), "open")
            )
            screen = app.screen
            assert len(screen.comparison.subjects) == RUNS and len(screen.comparison.rows) > 500

            for _ in range(2):
                started = start()
                await pilot.press("d")
                figures["toggle"].append(await until_painted(pilot, grid_painted, started, name="toggle"))

            screen.charted = "metric_000"
            screen.query_one("#compare-chart-box").add_class("shown")
            await pilot.pause()
            for name, data in (("chart (data in memory)", smooth), ("chart, noisy (sd 0.1)", noisy)):
                started = start()
                screen.plot_series("metric_000", "step", [(i, r.name, *data[r.id]) for i, r in enumerate(runs)])
                figures[name].append(await until_painted(pilot, chart_painted, started, name=name))
            width = screen.query_one("#compare-chart").size.width
            assert len(screen.series) == RUNS and all(len(s.x) <= width for s in screen.series)

            grid = screen.query_one("#compare", CompareGrid)
            index = next(i for i, line in enumerate(grid.visible_rows) if line.row and line.row.group == "metrics")
            grid.move_cursor(index)
            screen.series = ()
            await pilot.pause()
            started = start()
            await pilot.press("enter")
            figures["chart (enter, through the hub)"].append(
                await until_painted(
                    pilot, chart_painted, started, lambda: len(screen.series) == RUNS, "chart (enter, through the hub)"
                )
            )
            await pilot.press("escape", "escape")  # close the chart, leave the screen
            await pilot.pause()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    figures = asyncio.run(measure(args.repeat))
    targets = {
        "reference: any screen": "-",
        "open": 0.2,
        "toggle": 0.05,
        "chart (data in memory)": 0.3,
        "chart, noisy (sd 0.1)": 0.3,
        "chart (enter, through the hub)": "- (includes 80,000 MetricPoint models)",
    }
    print(f"compare: {RUNS} runs x {PARAMS} params x {METRICS} metrics; chart {RUNS} x {POINTS:,} points")
    for name, values in figures.items():
        print(
            f"  {name:32s} median {statistics.median(values):.3f} s  "
            f"(min {min(values):.3f}, max {max(values):.3f}; target <= {targets[name]})  "
            f"cpu median {statistics.median(CPU[name]):.3f} s"
        )
    print(f"load average while measuring: {' '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} cores")


if __name__ == "__main__":
    from bench.user_dirs import isolated_user_dirs

    with isolated_user_dirs():  # never the user's real journal, caches or audit log
        main()
