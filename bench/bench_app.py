"""Benchmark the whole app on the demo world: the Runs view with 100,000 runs, and launch time.

Run:  .venv/bin/python bench/bench_app.py [--runs 100000] [--repeat 5]

Prints, each as the median of --repeat runs (min-max beside it, the machine is noisy):
- data in memory -> first painted Runs view: the hub already holds 100k runs; the clock runs from
  the key that opens the Runs view until every visible line of its grid has been rendered;
- filter keystroke -> repaint: from a key typed into the `/` filter until the grid repainted;
- re-sort: from `s` (sort by the next column) until the grid repainted;
- peak RSS of the process (ru_maxrss) with 100k runs loaded;
- launch -> full Overview: a fresh interpreter (`bench/launch_probe.py`) runs the `mlops-tui`
  entry point from process start until the Overview panels are painted with demo data
  (headless: no terminal write); at least 9 launches, with the package's bytecode compiled.

"Painted" is measured by wrapping the grid's render_line (see bench/bench_grid.py for why); it
includes our work and Textual's compositing but not the terminal's own drawing.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from mlops_tui.services.runtime import build_runtime  # noqa: E402
from mlops_tui.ui.app import MlopsApp  # noqa: E402
from mlops_tui.ui.widgets.data_grid import DataGrid  # noqa: E402
from textual.widgets import Input  # noqa: E402

TARGETS = {
    "first paint": 0.2,
    "filter": 0.1,
    "sort": 0.1,
    "overview": 0.4,
}


class PaintClock:
    """Records when the visible lines of a grid were last rendered."""

    def __init__(self) -> None:
        self.calls: list[tuple[float, int]] = []
        self._original = DataGrid.render_line
        clock = self

        def render_line(grid, y):  # noqa: ANN001
            strip = clock._original(grid, y)
            if grid.id == clock.grid_id:
                clock.calls.append((time.perf_counter(), y))
            return strip

        self.grid_id = "runs"
        DataGrid.render_line = render_line  # type: ignore[method-assign]

    def reset(self) -> None:
        self.calls.clear()

    def painted_after(self, start: float, lines: int) -> float | None:
        seen = {y for t, y in self.calls if t >= start}
        if len(seen) >= lines:
            return max(t for t, _ in self.calls if t >= start) - start
        return None


async def measure(pilot, clock: PaintClock, start: float, lines: int, timeout: float = 30.0) -> float:
    deadline = time.perf_counter() + timeout
    while True:
        await pilot.pause()
        took = clock.painted_after(start, lines)
        if took is not None:
            return took
        if time.perf_counter() > deadline:
            raise RuntimeError("the grid never repainted")


async def one_round(runs: int, tmp: Path) -> dict[str, float]:
    """The Runs view is open when the hub publishes the 100k runs; then filter and sort."""
    clock = PaintClock()
    runtime = build_runtime(None, demo=True, demo_runs=runs, audit_path=tmp / "audit.jsonl")
    published: list[float] = []
    hub_callback = None

    def record(snapshot):  # runs on the hub's thread, right after the data is in memory
        if len(snapshot.runs) >= runs and not published:
            published.append(time.perf_counter())
        hub_callback(snapshot)

    app = MlopsApp(runtime, initial_view="runs")
    out: dict[str, float] = {}
    lines = 20  # comfortably fewer than the grid's visible lines at 160x48
    async with app.run_test(size=(160, 48)) as pilot:
        hub_callback = runtime.hub.on_snapshot
        runtime.hub.on_snapshot = record
        clock.reset()
        while not published:
            await pilot.pause(0.01)
        out["first paint"] = await measure(pilot, clock, published[0], lines)
        grid = app.screen.query_one("#runs", DataGrid)
        # the filter index and sort orders are built on a thread once the rows are painted
        while not (grid.filter_ready and grid.sort_ready):
            await pilot.pause(0.05)
        await pilot.press("slash")
        while not isinstance(app.focused, Input):  # the filter line mounts on the first /
            await pilot.pause(0.01)
        clock.reset()
        start = time.perf_counter()
        await pilot.press("b")
        out["filter"] = await measure(pilot, clock, start, lines)
        assert grid.filter_text == "b", "the keystroke did not reach the filter"
        out["rows"] = float(len(grid.visible_rows))
        await pilot.press("escape")
        await pilot.pause()
        for key in ("s", "s", "S"):  # sort by name, by experiment, experiment reversed
            clock.reset()
            start = time.perf_counter()
            await pilot.press(key)
            out["sort"] = max(out.get("sort", 0.0), await measure(pilot, clock, start, lines))

    DataGrid.render_line = clock._original  # type: ignore[method-assign]
    return out


async def first_visit(runs: int, tmp: Path) -> dict[str, float]:
    """The data is in memory while the user is on the Overview; then `2` opens the Runs view."""
    clock = PaintClock()
    app = MlopsApp(build_runtime(None, demo=True, demo_runs=runs, audit_path=tmp / "audit.jsonl"))
    async with app.run_test(size=(160, 48)) as pilot:
        while len(app.snapshot.runs) < runs:
            await pilot.pause(0.05)
        await pilot.pause(0.5)
        clock.reset()
        start = time.perf_counter()
        await pilot.press("2")
        out = {"first visit": await measure(pilot, clock, start, 20)}
        clock.reset()
        start = time.perf_counter()
        await pilot.press("s")  # straight away: before the idle precompute ran
        out["sort cold"] = await measure(pilot, clock, start, 20)
    DataGrid.render_line = clock._original  # type: ignore[method-assign]
    return out


def compile_package() -> None:
    """Write the package's bytecode, as `pip install` (or any first run) does.

    Without it every launch recompiles each changed module (~40 ms) when
    PYTHONDONTWRITEBYTECODE is set, as it is on some machines (this one included).
    """
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "mlops_tui")], check=True)


def launch_to_overview(home: Path, probe_name: str = "launch_probe.py") -> float:
    probe = ROOT / "bench" / probe_name
    env = {**os.environ, **{f"XDG_{d}_HOME": str(home / d.lower()) for d in ("CONFIG", "DATA", "STATE", "CACHE")}}
    start = time.time()
    result = subprocess.run(
        [sys.executable, str(probe), repr(start)], capture_output=True, text=True, timeout=120, env=env
    )
    if result.returncode != 0:
        raise RuntimeError(result.stderr)
    return float(result.stdout.strip().splitlines()[-1])


def summary(name: str, values: list[float], target_key: str = "") -> str:
    med = statistics.median(values)
    target = TARGETS.get(target_key)
    verdict = "" if target is None else (" ok" if med <= target else " OVER")
    goal = "" if target is None else f"  target <= {target:.2f} s{verdict}"
    return f"{name:<36} {med:7.3f} s  (min {min(values):.3f}, max {max(values):.3f}){goal}"


def child(kind: str, runs: int) -> None:
    import json

    with tempfile.TemporaryDirectory() as tmp:
        if kind == "data":
            out = asyncio.run(one_round(runs, Path(tmp)))
        else:
            out = asyncio.run(first_visit(runs, Path(tmp)))
    out["rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(out))


def run_child(kind: str, runs: int) -> dict[str, float]:
    import json

    result = subprocess.run(
        [sys.executable, __file__, "--child", kind, "--runs", str(runs)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    if result.returncode != 0:
        raise RuntimeError(result.stderr[-2000:])
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--child", choices=("data", "visit"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.runs)
        return

    results: dict[str, list[float]] = {}
    for _ in range(args.repeat):  # alternate the cases; each in a fresh process
        for kind in ("data", "visit"):
            for key, value in run_child(kind, args.runs).items():
                results.setdefault(key, []).append(value)
    compile_package()
    with tempfile.TemporaryDirectory() as home:  # no user config, logs or audit touched
        launches, empty = [], []
        for _ in range(max(args.repeat, 9)):  # interleaved, so both see the same machine
            launches.append(launch_to_overview(Path(home)))
            empty.append(launch_to_overview(Path(home), "empty_app_probe.py"))
    rss_mb = max(results["rss_mb"])
    print(f"mlops-tui app bench: {args.runs:,} demo runs, 160x48, median of {args.repeat}")
    print(summary("data in memory -> Runs painted", results["first paint"], "first paint"))
    print(summary("first visit: key 2 -> Runs painted", results["first visit"]))
    print(summary("filter keystroke -> repaint", results["filter"], "filter"))
    print(f"{'':<36} ({int(results['rows'][0]):,} of {args.runs:,} rows match 'b')")
    print(summary("re-sort -> repaint (worst of 3)", results["sort"], "sort"))
    print(summary("  sort right after first paint", results["sort cold"]))
    print(
        f"{'peak RSS (whole process, worst)':<36} {rss_mb:7.0f} MB   target <= 300 MB"
        f"{' ok' if rss_mb <= 300 else ' OVER'}"
    )
    print(f"launches: median of {len(launches)}, each a fresh process")
    print(summary("launch -> full Overview (demo)", launches, "overview"))
    print(summary("  reference: an empty Textual app", empty))


if __name__ == "__main__":
    main()
