"""Benchmark: how fast the views answer their keys while a backend's poll hangs.

Run:  .venv/bin/python bench/bench_keys_during_hang.py [--repeat 5]

The app runs headless on two demo backends: `demo` answers, `hung` never does (its poll waits
an hour). For each view key (2, 3, 4, 5, 6, 1) the clock runs from the key press until the new
view is the current screen and painted. Prints the median, min and max of --repeat rounds per
key. The tests check the order of events (each view is up while the poll is still pending);
this script gives the figure (the issue's target: under 1.5 s on a loaded machine, well under
0.1 s on an idle one).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mlops_tui.backends.demo.backend import DemoBackend
from mlops_tui.services.runtime import build_runtime
from mlops_tui.ui.app import MlopsApp

KEYS = [("2", "runs"), ("3", "models"), ("4", "deploy"), ("5", "alerts"), ("6", "drift"), ("1", "overview")]


async def one_round(tmp: Path) -> dict[str, float]:
    backends = [
        DemoBackend("demo", DemoBackend.Options(runs=300)),
        DemoBackend("hung", DemoBackend.Options(runs=0, delay_seconds=3600, timeout_seconds=3600)),
    ]
    runtime = build_runtime(None, backends=backends, audit_path=tmp / "audit.jsonl")
    app = MlopsApp(runtime)
    took: dict[str, float] = {}
    async with app.run_test(size=(160, 48)) as pilot:
        while not any(s.name == "demo" and s.state.value != "pending" for s in app.snapshot.statuses):
            await pilot.pause(0.05)
        for key, mode in KEYS:
            started = time.perf_counter()
            await pilot.press(key)
            while app.current_mode != mode:
                await pilot.pause(0.001)
            await pilot.pause()  # painted
            took[key] = time.perf_counter() - started
        hung = app.snapshot.status_of("hung").state.value
        if hung != "pending":
            raise SystemExit(f"the hung backend is {hung}, not pending: the figures are not during a hang")
    return took


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    rounds = []
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(args.repeat):
            rounds.append(asyncio.run(one_round(Path(tmp))))
    print(f"key -> view painted, while a poll hangs ({args.repeat} rounds)")
    for key, mode in KEYS:
        values = [r[key] * 1000 for r in rounds]
        print(
            f"  {key} {mode:<9} median {statistics.median(values):7.1f} ms"
            f"  (min {min(values):.1f}, max {max(values):.1f})"
        )


if __name__ == "__main__":
    main()
