"""Benchmark DataGrid with 100,000 in-memory rows (8 columns) in a headless Textual app.

Run:  .venv/bin/python bench/bench_grid.py [--rows 100000] [--repeat 5]

How "time to painted frame" is measured
---------------------------------------
The grid's `render_line` is wrapped (on the instance) to record the time of every call.
An operation (mount with rows, `set_rows`, `set_filter`, `sort_by`, a key press) starts the
clock; then `await pilot.pause()` lets Textual process every pending message and run the
screen update, which composites the screen and calls `render_line` for each visible line
(in headless mode the result is composited but not written to a terminal). The figure is
the time from the start of the operation to the moment every visible line has been
rendered at least once (for a cursor step, which repaints two lines, the last call). That includes our own work (sort,
filter, caches) plus Textual's layout and compositing, but not the up-to-1/60 s wait for
the screen's refresh timer nor the terminal write of a real session.

Every figure is the median of `--repeat` runs (the machine is noisy); min and max are shown
too. "first" figures run on a fresh rows object (so every per-rows cache is cold: text cache
for filtering, key lists for sorting); "cached" figures reuse them.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import random
import resource
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from pathlib import Path

from pydantic import BaseModel, ConfigDict
from textual.app import App, ComposeResult
from textual.pilot import Pilot

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mlops_tui.ui.widgets.data_grid import Column, DataGrid  # noqa: E402


class RunRow(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    experiment: str
    status: str
    user: str
    start: datetime
    loss: float | None
    accuracy: float
    f1: float


WORDS = (
    "amber brisk cedar dune ember fjord glade harbor iris juniper krill lumen "
    "maple nectar onyx prairie quartz raven sable tundra umber vale willow xenon yarrow zephyr"
).split()
STATUSES = ["RUNNING", "FINISHED", "FAILED", "KILLED", "SCHEDULED"]


def build_rows(count: int) -> list[RunRow]:
    rng = random.Random(42)
    base = datetime(2024, 1, 1)
    users = [f"{rng.choice(WORDS)}.{rng.choice(WORDS)}" for _ in range(40)]
    experiments = [f"exp-{rng.choice(WORDS)}-{n}" for n in range(60)]
    return [
        RunRow(
            name=f"{rng.choice(WORDS)}-{rng.choice(WORDS)}-{i:06d}",
            experiment=rng.choice(experiments),
            status=rng.choice(STATUSES),
            user=rng.choice(users),
            start=base + timedelta(seconds=rng.randrange(0, 30_000_000)),
            loss=None if i % 11 == 0 else rng.random() * 3,
            accuracy=rng.random(),
            f1=rng.random(),
        )
        for i in range(count)
    ]


def _fmt(value: float | None) -> str:
    return "" if value is None else f"{value:.4f}"


STATUS_STYLE = {"FAILED": "bold red", "RUNNING": "green", "KILLED": "yellow"}

COLUMNS: list[Column[RunRow]] = [
    Column("name", "Name", lambda r: r.name, width=28, flex=True, min_width=12),
    Column("experiment", "Experiment", lambda r: r.experiment, width=18, priority=2),
    Column("status", "Status", lambda r: r.status, width=9, style=lambda r: STATUS_STYLE.get(r.status)),
    Column("user", "User", lambda r: r.user, width=18, priority=3),
    Column(
        "start",
        "Started",
        lambda r: r.start.strftime("%Y-%m-%d %H:%M"),
        sort_key=lambda r: r.start,
        width=16,
        priority=1,
    ),
    Column("loss", "Loss", lambda r: _fmt(r.loss), sort_key=lambda r: r.loss, width=8, align="right"),
    Column("accuracy", "Acc", lambda r: _fmt(r.accuracy), sort_key=lambda r: r.accuracy, width=8, align="right"),
    Column("f1", "F1", lambda r: _fmt(r.f1), sort_key=lambda r: r.f1, width=8, align="right", priority=4),
]


class BenchApp(App[None]):
    def compose(self) -> ComposeResult:
        return iter(())


class PaintClock:
    """Records when the grid renders each visible line."""

    def __init__(self, grid: DataGrid[RunRow]) -> None:
        self.grid = grid
        self.calls: list[tuple[float, int]] = []
        original = grid.render_line

        def render_line(y: int):  # type: ignore[no-untyped-def]
            strip = original(y)
            self.calls.append((time.perf_counter(), y))
            return strip

        grid.render_line = render_line  # type: ignore[method-assign]

    def reset(self) -> None:
        self.calls.clear()

    def frame_end(self, full: bool = True) -> float | None:
        """End of the frame; `full`: every visible line must have been painted."""
        if not self.calls:
            if full:
                raise RuntimeError("nothing was painted")
            return None
        if not full:
            return max(t for t, _ in self.calls)
        # the first moment every visible line has been painted (Textual may paint a
        # second frame afterwards, e.g. after the Resize that follows a mount)
        missing = set(range(self.grid.size.height))
        for when, y in self.calls:
            missing.discard(y)
            if not missing:
                return when
        raise RuntimeError(f"lines {sorted(missing)[:5]}... were not painted")


async def timed(
    pilot: Pilot[None],
    clock: PaintClock,
    action: Callable[[], Awaitable[None] | None],
    full: bool = True,
) -> float:
    """Seconds from the start of `action` to the end of the frame it causes.

    `full=False` for changes that repaint only some lines (a cursor step) or none (a no-op
    `set_rows`); when nothing is painted, the time until `action` returned is used.
    """
    await pilot.pause()
    clock.reset()
    start = time.perf_counter()
    result = action()
    if result is not None:
        await result
    returned = time.perf_counter()
    await pilot.pause()
    end = clock.frame_end(full)
    return (returned if end is None else end) - start


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


async def run(count: int, repeat: int) -> None:
    t = time.perf_counter()
    rows = build_rows(count)
    print(f"built {count:,} frozen pydantic rows in {time.perf_counter() - t:.2f} s; peak RSS {rss_mb():.0f} MB")
    results: dict[str, list[float]] = {}

    def record(name: str, seconds: float) -> None:
        results.setdefault(name, []).append(seconds)

    app = BenchApp()
    async with app.run_test(size=(160, 48)) as pilot:
        for _ in range(repeat):
            # -- first paint: mount a grid that already has the rows
            grid: DataGrid[RunRow] = DataGrid(COLUMNS, row_key=lambda r: r.name, markable=True)
            clock = PaintClock(grid)
            await pilot.pause()
            start = time.perf_counter()
            grid.set_rows(list(rows))
            await app.mount(grid)
            grid.focus()
            await pilot.pause()
            record("first paint: mount grid with rows", clock.frame_end() - start)

            # -- set_rows on the mounted grid (a fresh rows object, e.g. a backend refresh)
            fresh = list(rows)
            record("set_rows (new object) -> paint", await timed(pilot, clock, lambda: grid.set_rows(fresh)))
            record("set_rows (same object, no-op)", await timed(pilot, clock, lambda: grid.set_rows(fresh), full=False))

            # -- keys
            record("key j -> paint", await timed(pilot, clock, lambda: pilot.press("j"), full=False))
            record("key pagedown -> paint", await timed(pilot, clock, lambda: pilot.press("pagedown"), full=False))
            record("key G -> paint", await timed(pilot, clock, lambda: pilot.press("G")))
            record("key g -> paint", await timed(pilot, clock, lambda: pilot.press("g")))

            # -- filter: the first keystroke builds the per-column text cache (cold)
            record("filter 'a' (first, cold cache) -> paint", await timed(pilot, clock, lambda: grid.set_filter("a")))
            record("filter 'ab' -> paint", await timed(pilot, clock, lambda: grid.set_filter("ab")))
            record("filter 'abe' -> paint", await timed(pilot, clock, lambda: grid.set_filter("abe")))
            record("filter backspace 'ab' -> paint", await timed(pilot, clock, lambda: grid.set_filter("ab")))
            record("filter 'e' (new query, warm) -> paint", await timed(pilot, clock, lambda: grid.set_filter("e")))
            record("filter clear -> paint", await timed(pilot, clock, lambda: grid.set_filter("")))

            # -- sort (cold: key list computed; warm: key list cached)
            record("sort float col (first) -> paint", await timed(pilot, clock, lambda: grid.sort_by("accuracy")))
            record(
                "sort float col reverse (cached keys) -> paint",
                await timed(pilot, clock, lambda: grid.sort_by("accuracy", True)),
            )
            record("sort float col w/ None (first) -> paint", await timed(pilot, clock, lambda: grid.sort_by("loss")))
            record("sort str col (first) -> paint", await timed(pilot, clock, lambda: grid.sort_by("name")))
            record(
                "sort str col reverse (cached keys) -> paint",
                await timed(pilot, clock, lambda: grid.sort_by("name", True)),
            )
            record("sort datetime col (first) -> paint", await timed(pilot, clock, lambda: grid.sort_by("start")))
            record(
                "set_rows while sorted (new object) -> paint",
                await timed(pilot, clock, lambda: grid.set_rows(list(rows))),
            )
            record("filter 'a' while sorted (cold) -> paint", await timed(pilot, clock, lambda: grid.set_filter("a")))
            record("sort while filtered -> paint", await timed(pilot, clock, lambda: grid.sort_by("f1")))

            await grid.remove()
            await pilot.pause()

    targets = {
        "first paint": 0.2,
        "filter": 0.1,
        "sort": 0.1,
    }
    print(f"\n{count:,} rows x {len(COLUMNS)} columns, 160x48, median of {repeat} (min..max)")
    print("cost of the column formatters over all rows (what a cold filter must pay):")
    for column in COLUMNS:
        t = time.perf_counter()
        list(map(column.text, rows))
        print(f"    {column.key:<12} text() x {count:,}: {(time.perf_counter() - t) * 1000:6.1f} ms")
    for name, values in results.items():
        median = statistics.median(values)
        target = next((v for k, v in targets.items() if name.startswith(k)), None)
        verdict = ""
        if target is not None:
            verdict = f"target <= {target * 1000:.0f} ms  {'OK' if median <= target else 'OVER'}"
        print(f"{name:<48} {median * 1000:8.1f} ms  ({min(values) * 1000:.1f}..{max(values) * 1000:.1f})  {verdict}")
    print(f"{'peak RSS (ru_maxrss)':<48} {rss_mb():8.1f} MB")
    t = time.perf_counter()
    gc.collect()
    print(
        f"(info) one full gc.collect() with the rows in memory: {(time.perf_counter() - t) * 1000:.0f} ms"
        " - the cause of the occasional outlier above"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    asyncio.run(run(args.rows, args.repeat))


if __name__ == "__main__":
    main()
