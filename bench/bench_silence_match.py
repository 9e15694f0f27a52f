"""Benchmark: the silence dialog's live match count with 5,000 firing alerts.

Run:  .venv/bin/python bench/bench_silence_match.py [--alerts 5000] [--keys 40]

Builds 5,000 alerts (40 names, 200 models, 3 deployments each), opens the real `SilenceDialog`
in a Textual app (`run_test`) and types a matcher text key by key into its matchers field.
For every keystroke it times press -> the `#impact` line showing the new count (the figure
the issue sets at <= 50 ms), and separately the pure `impact()` call the dialog makes (regex
and equality matchers over the index). Prints median, p95 and max in milliseconds.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from textual.app import App
from textual.widgets import Input, Static

from mlops_tui.domain import Alert
from mlops_tui.services.silence_match import AlertIndex, impact, parse_matchers
from mlops_tui.ui.dialogs.silence import SilenceDialog

TYPED = 'alertname=~"Model.*" model="model-17" deployment!~".*canary"'


def make_alerts(n: int) -> list[Alert]:
    t = datetime(2026, 11, 30, tzinfo=UTC)
    return [
        Alert(
            fingerprint=f"{i:016x}",
            starts_at=t,
            labels={
                "alertname": f"Model{['Down', 'Slow', 'Drift', 'Errors'][i % 4]}{i % 10}",
                "severity": ["critical", "warning", "info"][i % 3],
                "model": f"model-{i % 200}",
                "deployment": f"model-{i % 200}-{['prod', 'canary', 'shadow'][i % 3]}",
                "team": f"team-{i % 7}",
            },
        )
        for i in range(n)
    ]


def pct(values: list[float], q: float) -> float:
    return sorted(values)[min(len(values) - 1, int(q * len(values)))]


async def in_app(alerts: list[Alert], text: str) -> tuple[list[float], list[float], list[float]]:
    dialog = SilenceDialog(
        "Silence",
        "bench",
        [
            ("duration", "Duration", "1h", True),
            ("comment", "Comment", "bench", True),
            ("matchers", "Matchers", "", True),
        ],
        alerts=alerts,
        parse=parse_matchers,
        warn_over=20,
    )

    class Bench(App):
        def on_mount(self) -> None:
            self.push_screen(dialog)

    recounts: list[float] = []
    original = dialog.recount

    def timed_recount() -> None:
        started = time.perf_counter()
        original()
        recounts.append((time.perf_counter() - started) * 1000)

    dialog.recount = timed_recount  # type: ignore[method-assign]
    app = Bench()
    times = []
    baseline = []
    async with app.run_test(size=(120, 50)) as pilot:
        await pilot.pause()
        # the test harness' own cost of one key press, in a field that triggers no recount
        dialog.query_one("#field-comment", Input).focus()
        for ch in "abcdefghijklmnopqrst":
            started = time.perf_counter()
            await pilot.press(ch)
            baseline.append((time.perf_counter() - started) * 1000)
        dialog.query_one("#field-matchers", Input).focus()
        recounts.clear()
        impact_line = dialog.query_one("#impact", Static)
        for ch in text:
            before = dialog.impact
            started = time.perf_counter()
            await pilot.press(ch if ch != " " else "space")
            # press() returns once the key is processed; the recount ran in its handler
            while dialog.impact is before and parse_matchers(dialog.query_one("#field-matchers", Input).value):
                await asyncio.sleep(0)
            times.append((time.perf_counter() - started) * 1000)
        assert impact_line is dialog.query_one("#impact", Static)
    return times, baseline, recounts


def pure(alerts: list[Alert], text: str) -> list[float]:
    index = AlertIndex(alerts)
    times = []
    for end in range(1, len(text) + 1):
        matchers = parse_matchers(text[:end])
        started = time.perf_counter()
        impact(matchers, index)
        times.append((time.perf_counter() - started) * 1000)
    return times


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--alerts", type=int, default=5000)
    args = p.parse_args()
    alerts = make_alerts(args.alerts)
    started = time.perf_counter()
    AlertIndex(alerts)
    print(f"{args.alerts} alerts; building the index once per dialog: {(time.perf_counter() - started) * 1000:.1f} ms")
    p_times = pure(alerts, TYPED)
    print(
        f"impact() per keystroke ({len(p_times)} keys): median {statistics.median(p_times):.2f} ms, "
        f"p95 {pct(p_times, 0.95):.2f} ms, max {max(p_times):.2f} ms"
    )
    a_times, baseline, recounts = asyncio.run(in_app(alerts, TYPED))

    def line(what: str, values: list[float]) -> str:
        return (
            f"{what} ({len(values)} keys): median {statistics.median(values):.1f} ms, "
            f"p95 {pct(values, 0.95):.1f} ms, max {max(values):.1f} ms"
        )

    print(
        line("the dialog's recount on each keystroke (parse, match, list, update the line)", recounts)
        + "  <- target <= 50 ms"
    )
    print(line("pilot.press -> count shown, matchers field", a_times))
    print(line("pilot.press alone, comment field (no recount): the harness' own cost", baseline))
    final = impact(parse_matchers(TYPED), AlertIndex(alerts))
    print(f"final matchers {TYPED!r}: {final.summary()}")


if __name__ == "__main__":
    main()
