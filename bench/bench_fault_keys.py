"""Benchmark: keystroke -> repaint while a real server behind the fault proxy misbehaves.

Run:  .venv/bin/python bench/bench_fault_keys.py [--servers alertmanager,prometheus,mlflow,oip]
                     [--faults refused,hang,...] [--rounds 5] [--clock paint|pilot] [--in-process-proxy]

For each server (started here on 127.0.0.1, as the tests start them) the app runs headless on
two backends: the server's backend through tests/faults/proxy.py's FaultProxy, and a demo
backend with 300 runs (rows to move through). Polls every second. For each fault of the matrix
(and "none" first, as the baseline; after one untimed pass that mounts each view): the fault is switched on, the app's state must show it,
then the keys of bench_keys_during_hang.py (the view switches 2 3 4 5 6 1) and j/k in each view
are pressed. Prints p50 and p99 per server and fault, the worst key, and the process's peak RSS
after that fault; "newest p99" is the view keys' p99 to the first paint with the newest
snapshot (a view shown again paints as it was left, then what the 1 s polls brought). The
issue's target: p99 <= 50 ms.

The clock (--clock paint, the default) runs from the key event reaching the app until the first
paint that shows its effect (the new view is current, or the grid's cursor moved): the app's
paint is wrapped, and also renders the frame to terminal bytes as a real terminal's driver does
(the headless driver skips that). A key with nothing to move (an empty grid) is counted as
"no effect", not timed. --clock pilot is the older measure: Textual's Pilot.press + pause, which
waits for the whole process to be idle (process CPU time over 20 ms slices, >= 3 slices a key),
so it can never go below ~60 ms and counts every thread's work, not the keystroke's.

The proxy runs in a process of its own (a misbehaving server is another process);
--in-process-proxy runs it on a thread of this process, as the tests do, which adds its 20 MB
writes etc. to the app's process.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


from bench.bench_keys_during_hang import KEYS, PaintClock, up_to_date
from mlops_tui.backends.alertmanager.backend import AlertmanagerBackend
from mlops_tui.backends.base import Backend
from mlops_tui.backends.demo.backend import DemoBackend
from mlops_tui.backends.mlflow.backend import MlflowBackend
from mlops_tui.backends.oip.backend import OipBackend
from mlops_tui.backends.prometheus.backend import PrometheusBackend
from mlops_tui.services.runtime import build_runtime
from mlops_tui.ui.app import MlopsApp
from tests.faults.proxy import FAULTS, FaultProxy

TIMEOUT = 2.0
ROOT = Path(__file__).resolve().parents[1]


@contextmanager
def alertmanager(tmp: Path) -> Iterator[tuple[int, Callable[[str], Backend]]]:
    from tests.alertmanager.server import AlertmanagerServer

    server = AlertmanagerServer(tmp / "am", "bench")
    server.start()
    try:
        server.post_alerts(
            [
                {"labels": {"alertname": f"Bench{i}", "severity": "warning", "model": "fraud"}, "annotations": {}}
                for i in range(20)
            ]
        )
        yield (
            server.port,
            lambda url: AlertmanagerBackend("am", AlertmanagerBackend.Options(url=url, timeout_seconds=TIMEOUT)),
        )
    finally:
        server.stop()


@contextmanager
def prometheus(tmp: Path) -> Iterator[tuple[int, Callable[[str], Backend]]]:
    from tests.prometheus.server import DriftExporter, PrometheusServer

    exporter = DriftExporter()
    exporter.set("model_drift_score", "fraud", "amount", 0.3)
    exporter.start()
    server = PrometheusServer(tmp / "prom", exporter)
    try:
        server.start()
        yield (
            server.port,
            lambda url: PrometheusBackend("prom", PrometheusBackend.Options(url=url, timeout_seconds=TIMEOUT)),
        )
    finally:
        server.stop()
        exporter.stop()


@contextmanager
def mlflow(tmp: Path) -> Iterator[tuple[int, Callable[[str], Backend]]]:
    from tests.mlflow.server import MlflowServer

    server = MlflowServer(tmp / "mlflow").start()
    try:
        yield (
            server.port,
            lambda url: MlflowBackend("mlflow", MlflowBackend.Options(url=url, timeout_seconds=TIMEOUT, cache=False)),
        )
    finally:
        server.stop()


@contextmanager
def oip(tmp: Path) -> Iterator[tuple[int, Callable[[str], Backend]]]:
    from tests.mlserver.server import MLServerProcess

    server = MLServerProcess(tmp / "mlserver", {"fraud-detector": "6"})
    server.start()
    try:
        yield (
            server.port,
            lambda url: OipBackend(
                "serving",
                OipBackend.Options(
                    deployments=[{"name": "fraud-prod", "url": url, "model": "fraud-detector"}],
                    timeout_seconds=TIMEOUT,
                    server_timeout_seconds=1.0,
                ),
            ),
        )
    finally:
        server.stop()


SERVERS = {"alertmanager": alertmanager, "prometheus": prometheus, "mlflow": mlflow, "oip": oip}


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class ProxyProcess:
    """tests/faults/proxy.py in a subprocess, with FaultProxy's url and set_fault."""

    def __init__(self, upstream_port: int) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.faults.proxy", str(upstream_port)],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,  # its loop stopping under a 20 MB write prints asyncio noise
            text=True,
        )
        assert self.process.stdout is not None
        self.url = f"http://127.0.0.1:{int(self.process.stdout.readline())}"

    def start(self) -> ProxyProcess:
        return self

    def set_fault(self, fault: str | None) -> None:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(f"{fault or 'none'}\n")
        self.process.stdin.flush()
        assert self.process.stdout.readline().strip() == "ok"

    def stop(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()


def _cursor(app: MlopsApp) -> tuple[object, int | None, int]:
    """(the focused widget, its cursor line, how many rows it has) for a grid, else None."""
    focused = app.focused
    index = getattr(focused, "cursor_index", None)
    order = getattr(getattr(focused, "_index", None), "order", ())
    return focused, index, len(order)


async def press_all(app: MlopsApp, pilot, rounds: int, clock: str) -> tuple[list[tuple[str, float]], int, list[float]]:
    """(key, seconds from press to painted) for the view keys, and j/k in each view; how many
    j/k had nothing to move; and per view key, the seconds to the first paint with the newest
    snapshot (paint clock only: a view shown again paints as it was left first)."""
    took: list[tuple[str, float]] = []
    fresh: list[float] = []
    no_effect = 0
    paint = PaintClock.of(app) if clock == "paint" else None
    for _ in range(rounds):
        for key, mode in KEYS:
            if paint is not None:
                took.append(
                    (
                        key,
                        await paint.time_key(
                            key, lambda mode=mode: app.current_mode == mode, settled=lambda: up_to_date(app)
                        ),
                    )
                )
                fresh.append(await paint.then())
                await asyncio.sleep(0.05)  # let the new view settle (its first data), as a person would
            else:
                started = time.perf_counter()
                await pilot.press(key)
                while app.current_mode != mode:
                    await pilot.pause(0.001)
                await pilot.pause()  # painted
                took.append((key, time.perf_counter() - started))
            for move in ("j", "j", "k"):
                if paint is not None:
                    focused, line, rows = _cursor(app)
                    if line is None or (move == "j" and line + 1 >= rows) or (move == "k" and line == 0):
                        no_effect += 1
                        continue
                    moved = lambda focused=focused, line=line: _cursor(app)[:2] != (focused, line)  # noqa: E731
                    took.append((f"{key}{move}", await paint.time_key(move, moved)))
                    await asyncio.sleep(0.02)
                else:
                    started = time.perf_counter()
                    await pilot.press(move)
                    await pilot.pause()
                    took.append((f"{key}{move}", time.perf_counter() - started))
    return took, no_effect, fresh


async def one_server(
    make: Callable[[str], Backend], port: int, faults: list[str], rounds: int, tmp: Path, clock: str, in_process: bool
):
    proxy = FaultProxy(port).start() if in_process else ProxyProcess(port)
    backend = make(proxy.url)
    demo = DemoBackend("demo", DemoBackend.Options(runs=300))
    runtime = build_runtime(None, backends=[backend, demo], audit_path=tmp / "audit.jsonl")
    runtime.hub.max_backoff_seconds = 1.0
    for runner in runtime.hub.runners.values():
        runner.refresh_seconds = 1.0
    app = MlopsApp(runtime)
    results: dict[str, tuple[list[tuple[str, float]], int, list[float], float, str]] = {}
    try:
        async with app.run_test(size=(160, 48)) as pilot:
            while any(s.state.value == "pending" for s in app.snapshot.statuses):
                await pilot.pause(0.05)
            await press_all(app, pilot, 1, clock)  # not timed: each view's first visit mounts it
            for fault in ["none", *faults]:
                runner = runtime.hub.runners[backend.name]
                failures = runner.failures
                proxy.set_fault(None if fault == "none" else fault)
                # until a second failed poll under this fault (or an answer, for "none"): the
                # state shown is this fault's, not the last one's; at most 15 s
                deadline = time.monotonic() + 15
                while time.monotonic() < deadline:
                    state = app.snapshot.status_of(backend.name).state.value
                    if fault == "none" and state in ("ok", "slow"):
                        break
                    if fault != "none" and state not in ("ok", "slow") and runner.failures >= failures + 2:
                        break
                    if runner.failures < failures:
                        failures = runner.failures  # an answer in between (e.g. after "none")
                    await pilot.pause(0.05)
                said = app.snapshot.status_of(backend.name)
                took, no_effect, fresh = await press_all(app, pilot, rounds, clock)
                results[fault] = (took, no_effect, fresh, peak_rss_mb(), f"{said.state.value} {said.message}"[:50])
            # stop polling before the app closes: a snapshot handed to an app whose screens are
            # gone ends run_test with ScreenStackError (on_snapshot_ready reads self.screen)
            runtime.hub.stop()
            await pilot.pause()
    finally:
        proxy.stop()
    return results


def p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--servers", default=",".join(SERVERS))
    parser.add_argument("--faults", default=",".join(FAULTS))
    parser.add_argument(
        "--rounds",
        type=int,
        default=5,
        help="passes over the keys per fault (5: ~100 keys, so that p99 is not simply the slowest key)",
    )
    parser.add_argument("--clock", choices=("paint", "pilot"), default="paint", help="see the docstring")
    parser.add_argument("--in-process-proxy", action="store_true", help="the proxy on a thread of this process")
    parser.add_argument("--switch-interval", type=float, help="sys.setswitchinterval (seconds) before the app starts")
    args = parser.parse_args()
    if args.switch_interval:
        sys.setswitchinterval(args.switch_interval)
    logging.getLogger("mlops_tui").setLevel(logging.ERROR)  # the hub's warning per failed poll
    faults = [f for f in args.faults.split(",") if f]
    print(
        f"keystroke -> repaint under faults ({args.rounds} rounds of 6 view keys + 18 j/k per fault;"
        f" clock: {args.clock}; proxy {'in this process' if args.in_process_proxy else 'in its own process'})"
    )
    print(
        f"{'server':<13}{'fault':<11}{'keys':>5}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}  worst  {'RSS MB':>7}"
        "  no-op  j/k p99  view p99  newest p99  state"
    )
    with tempfile.TemporaryDirectory() as tmp_dir:
        for name in args.servers.split(","):
            tmp = Path(tmp_dir) / name
            tmp.mkdir()
            with SERVERS[name](tmp) as (port, make):
                results = asyncio.run(
                    one_server(make, port, faults, args.rounds, tmp, args.clock, args.in_process_proxy)
                )
            for fault, (took, no_effect, fresh, rss, state) in results.items():
                ms = [t * 1000 for _, t in took]
                worst = max(took, key=lambda kt: kt[1])[0]
                moves = [t * 1000 for k, t in took if len(k) > 1] or [0.0]  # "2j": j in view 2
                views = [t * 1000 for k, t in took if len(k) == 1]
                print(
                    f"{name:<13}{fault:<11}{len(ms):>5}{statistics.median(ms):>9.1f}{p99(ms):>9.1f}{max(ms):>9.1f}"
                    f"  {worst:<5}  {rss:>7.0f}  {no_effect:>5}  {p99(moves):>7.1f}  {p99(views):>8.1f}"
                    f"  {p99([t * 1000 for t in fresh] or [0.0]):>10.1f}  {state}"
                )
    print("target: p99 <= 50 ms (issue #11)")


if __name__ == "__main__":
    from bench.user_dirs import isolated_user_dirs

    with isolated_user_dirs():  # never the user's real journal, caches or audit log
        main()
