"""Benchmark: an alert carrying one 100 KB annotation, opened in the alert detail.

Run:  .venv/bin/python bench/bench_alert_detail.py [--size 100000] [--repeat 5]

An in-process backend serves one critical alert whose `description` annotation is `--size`
characters (the text is not the point; its length is). The app runs headless (Textual's
`run_test`); the script times, from the key event to the detail's first paint with the
alert's text on it (open and return: `PaintClock` of bench_keys_during_hang.py, which also
renders each frame to terminal bytes as a real terminal's driver does):

- open: Alerts list -> enter -> the detail is drawn;
- return: escape back to the list, enter again (the case the issue measured at 3.8 s);
- copy: `c` on the detail -> the Markdown (with the whole annotation) is on the clipboard;
- full: `f` on the detail -> the whole text in its scrollable view, then `G` -> its last
  characters are drawn.

Each figure is the median of `--repeat` runs (min and max shown), wall clock and the UI
thread's own CPU time (time.thread_time: on a machine shared by many processes the wall figure
is mostly waiting for a core). Target: <= 100 ms. The same is timed for a `--baseline` alert
with a short annotation: the difference is what the big text costs (the detail shows
DETAIL_VALUE_LIMIT characters of it, with a note; `f` shows it whole, `c` copies it), the rest
is the screen itself on this machine at its current load.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.bench_keys_during_hang import PaintClock
from mlops_tui.backends.base import Backend, Capability
from mlops_tui.domain import Alert
from mlops_tui.services.runtime import build_runtime
from mlops_tui.ui.app import MlopsApp

END = "END-OF-TEXT"


def big_alert(size: int) -> Alert:
    words = "stack frame at model_server.predict line 42 raised ValueError: input shape mismatch; " * (size // 80 + 1)
    words = words[: size - len(END)] + END
    return Alert(
        fingerprint="big",
        labels={"alertname": "HugeAnnotation", "severity": "critical", "model": "fraud"},
        annotations={"summary": "an alert whose description is huge", "description": words},
        starts_at=datetime.now(UTC) - timedelta(minutes=3),
        backend="big",
    )


class BigBackend(Backend):
    kind = "big"
    capabilities = frozenset({Capability.ALERTS})

    def __init__(self, name: str, size: int) -> None:
        super().__init__(name)
        self.size = size

    async def list_alerts(self):
        return [big_alert(self.size)]

    async def list_silences(self):
        return []


async def until(pilot, check, timeout: float = 30.0) -> float | None:
    """Seconds until `check()` holds; None if it never did within `timeout`."""
    start = time.perf_counter()
    while not check():
        if time.perf_counter() - start > timeout:
            return None
        await pilot.pause(0)
    return time.perf_counter() - start


def on_detail(app) -> bool:
    return (
        type(app.screen).__name__ == "AlertDetailScreen"
        and app.screen.is_mounted
        and "an alert whose description is huge" in str(app.screen.query_one("#alert-head").render())
    )


def drawn(app) -> str:
    """The full view's lines on screen, joined again (it cuts long lines at its width)."""
    log = app.screen.query_one("#alert-text")
    top = round(log.scroll_y)
    return "".join(str(log.lines[i]) for i in range(top, min(len(log.lines), top + log.size.height)))


async def run(size: int, repeat: int) -> tuple[dict[str, list[float]], dict[str, list[float]]]:
    times: dict[str, list[float]] = {"open": [], "return": [], "copy": [], "full": []}
    cpu: dict[str, list[float]] = {k: [] for k in times}
    with tempfile.TemporaryDirectory() as tmp:
        runtime = build_runtime(None, backends=[BigBackend("big", size)], audit_path=Path(tmp) / "a.jsonl")
        app = MlopsApp(runtime)
        async with app.run_test(size=(160, 48)) as pilot:
            if await until(pilot, lambda: bool(app.snapshot.alerts)) is None:
                raise SystemExit("the backend never answered")
            await pilot.press("5")
            await pilot.pause(0.3)
            for i in range(repeat):
                start_cpu = time.thread_time()
                try:  # key event -> the first paint with the detail showing the alert
                    took = await PaintClock.of(app).time_key("enter", lambda: on_detail(app))
                except TimeoutError:
                    raise SystemExit("the alert detail never showed the alert") from None
                kind = "return" if i else "open"
                times[kind].append(took)
                cpu[kind].append(time.thread_time() - start_cpu)
                await pilot.pause(0.1)
                start, start_cpu = time.perf_counter(), time.thread_time()
                await pilot.press("c")
                if await until(pilot, lambda: len(app.clipboard or "") >= size, 3.0) is not None:
                    times["copy"].append(time.perf_counter() - start)
                    cpu["copy"].append(time.thread_time() - start_cpu)
                else:
                    print("  copy: the clipboard never held the whole annotation")
                app.copy_to_clipboard("")
                start, start_cpu = time.perf_counter(), time.thread_time()
                await pilot.press("f")
                opened = await until(
                    pilot, lambda: type(app.screen).__name__ == "AlertTextScreen" and app.screen.is_mounted, 5.0
                )
                if opened is None:
                    print("  full: f did not open the whole text")
                else:
                    await pilot.press("G")
                    if await until(pilot, lambda: END in drawn(app), 5.0) is not None:
                        await pilot.pause(0)
                        times["full"].append(time.perf_counter() - start)
                        cpu["full"].append(time.thread_time() - start_cpu)
                    else:
                        print("  full: the end of the text was never drawn")
                    await pilot.press("escape")
                    await pilot.pause(0.1)
                await pilot.press("escape")
                await pilot.pause(0.1)
    return times, cpu


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument(
        "--baseline",
        type=int,
        default=100,
        help="also time an alert with an annotation this long (0: skip): what the screen costs "
        "without a big text, on the same machine at the same load",
    )
    args = parser.parse_args()
    for size in (args.size, args.baseline) if args.baseline else (args.size,):
        times, cpu = asyncio.run(run(size, args.repeat))
        print(f"alert detail with a {size:,}-character annotation ({args.repeat} runs; load {os.getloadavg()[0]:.1f})")
        for name, values in times.items():
            if values:
                ms = [v * 1000 for v in values]
                own = [v * 1000 for v in cpu[name]]
                print(
                    f"  {name:<7} wall median {statistics.median(ms):7.1f} ms   min {min(ms):7.1f}   max {max(ms):7.1f}"
                    f" | UI-thread CPU median {statistics.median(own):6.1f} ms  ({len(ms)} runs)"
                )


if __name__ == "__main__":
    from bench.user_dirs import isolated_user_dirs

    with isolated_user_dirs():  # never the user's real journal, caches or audit log
        main()
