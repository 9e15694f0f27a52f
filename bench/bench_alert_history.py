"""Benchmark: one alert's history from Prometheus (ALERTS) and the SQLite journal, with 5,000
alerts firing.

Run:  .venv/bin/python bench/bench_alert_history.py [--alerts 5000] [--repeat 5] [--journal 100000]

Starts the test pipeline of tests/oncall (a stdlib exporter, a real Prometheus with the oncall
rules, a real Alertmanager), switches on `OncallModelDown` for `--alerts` models, waits until
Prometheus reports them all firing, seeds a journal file with `--journal` events (spread over
7 days and all the alerts), then times `load_history()` (the detail's call: ALERTS over 7 days
through the backend + the journal's intervals and last ack) for single alerts. Prints median
and max; the issue's target is <= 0.3 s. Servers are stopped by PID at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mlops_tui.backends.prometheus.backend import PrometheusBackend
from mlops_tui.domain import Alert
from mlops_tui.services.alert_history import load_history
from mlops_tui.services.alert_journal import AlertJournal
from mlops_tui.services.hub import Hub
from tests.oncall.pipeline import METRIC, PipelineAlertmanager, PipelinePrometheus
from tests.prometheus.server import DriftExporter
from tests.server_process import wait_until


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--alerts", type=int, default=5000)
    p.add_argument("--repeat", type=int, default=5)
    p.add_argument("--journal", type=int, default=100_000)
    args = p.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-history-"))
    exporter = DriftExporter().start()
    am = PipelineAlertmanager(work / "am", "bench")
    prom = PipelinePrometheus(work / "prom", exporter, am)
    try:
        am.start()
        models = [f"bench-{i:05d}" for i in range(args.alerts)]
        for m in models:
            exporter.set(METRIC, m, "down", 1.0)
        prom.start()
        started = time.perf_counter()
        wait_until(
            lambda: len(prom.query('ALERTS{alertname="OncallModelDown",alertstate="firing"}')) >= args.alerts,
            180,
            "Prometheus never had every alert firing",
        )
        # each alert's labels as Alertmanager has them (the rule's labels and the series')
        real = {
            r["metric"]["model"]: {k: v for k, v in r["metric"].items() if k not in ("__name__", "alertstate")}
            for r in prom.query('ALERTS{alertname="OncallModelDown",alertstate="firing"}')
        }
        print(f"{args.alerts} alerts firing in Prometheus after {time.perf_counter() - started:.1f} s")

        journal = AlertJournal(work / "journal.sqlite3", max_rows=args.journal * 2)
        now = datetime.now(UTC)
        started = time.perf_counter()
        with journal._lock:  # bulk seed in one transaction (the recorder writes one row at a time)
            journal._db.execute("BEGIN")
            journal._db.executemany(
                "INSERT INTO events (at, kind, fingerprint, alertname, labels, silence_id, actor, detail) "
                "VALUES (?, ?, ?, 'OncallModelDown', '{}', '', 'bench', '{}')",
                [
                    (
                        (now - timedelta(days=7) * (k / args.journal)).timestamp(),
                        "alert appeared" if k % 2 == 0 else "alert resolved",
                        f"fp-{(k // 2) % args.alerts}",
                    )
                    for k in range(args.journal)
                ],
            )
            journal._db.execute("COMMIT")
        print(f"journal seeded with {args.journal:,} events in {time.perf_counter() - started:.1f} s")

        # a drift metric nothing exports: the hub's own poll stays light; only history is timed
        backend = PrometheusBackend("prom", PrometheusBackend.Options(url=prom.url, drift_metric="bench_none"))
        hub = Hub([backend], refresh_seconds=3600)
        hub.start()
        hub.wait_for_first_poll(60)  # the hub's own first poll is not part of the figure
        times = []
        try:
            for k in range(args.repeat):
                m = models[(k * 997) % len(models)]
                alert = Alert(fingerprint=f"fp-{(k * 997) % len(models)}", starts_at=now, labels=real[m])

                async def timed(alert=alert):  # inside one running loop, as in the app's worker
                    started = time.perf_counter()
                    history = await load_history(hub, journal, alert, 7.0)
                    return history, time.perf_counter() - started

                history, took = asyncio.run(timed())
                times.append(took)
                if history.source != "prometheus" or len(history.intervals) != 1:
                    raise SystemExit(f"unexpected history for {m}: {history.summary()} {history.problems}")
            prom_times, journal_times = [], []
            for k in range(args.repeat):
                m = models[(k * 991) % len(models)]
                started = time.perf_counter()
                hub.submit(
                    "prom", lambda b, m=m: b.alert_history("OncallModelDown", real[m], timedelta(days=7))
                ).result()
                prom_times.append(time.perf_counter() - started)
                started = time.perf_counter()
                journal.intervals(f"fp-{k}", now - timedelta(days=7))
                journal.last_ack(real[m])
                journal_times.append(time.perf_counter() - started)
            print(
                f"  of which Prometheus alone: median {statistics.median(prom_times) * 1000:.0f} ms; "
                f"journal alone: median {statistics.median(journal_times) * 1000:.0f} ms"
            )
            print(
                f"one alert's history (Prometheus ALERTS over 7 days + journal), {args.repeat} alerts: "
                f"median {statistics.median(times) * 1000:.0f} ms, max {max(times) * 1000:.0f} ms (target <= 300 ms)"
            )
            print(f"  e.g. {history.summary()}")
        finally:
            hub.stop()
            journal.close()
    finally:
        prom.stop()
        am.stop()
        exporter.stop()


if __name__ == "__main__":
    main()
