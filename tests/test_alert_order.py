"""The Alerts view's fast order is the order it always had: most severe first, newest first
within a severity, alerts that tie in the order they came — for every severity spelling a
backend may send (page, high, WARN, none, missing) and for many alerts starting together."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from mlops_tui.domain import Alert
from mlops_tui.ui.screens.alerts import by_severity, order_alerts

SPELLINGS = ["critical", "page", "error", "HIGH", "warning", "warn", "Medium", "info", "low", "none", "bogus", None]


def alerts(count: int, seed: int) -> tuple[Alert, ...]:
    rng = random.Random(seed)
    base = datetime(2026, 11, 30, 12, tzinfo=UTC)
    made = []
    for i in range(count):
        labels = {"alertname": f"A{i}"}
        severity = rng.choice(SPELLINGS)
        if severity is not None:
            labels["severity"] = severity
        # few distinct start times: many ties, which keep the order the alerts came in
        starts = base - timedelta(seconds=rng.choice([0, 0, 1, 30, 3600]), microseconds=rng.choice([0, 1]))
        made.append(Alert(fingerprint=f"{i:04x}", labels=labels, starts_at=starts, backend="am"))
    return tuple(made)


def test_the_fast_order_is_the_tuple_key_order():
    for seed in range(5):
        given = alerts(500, seed)
        expected = sorted(given, key=lambda a: (a.severity.rank, -a.starts_at.timestamp()))
        assert [a.fingerprint for a in by_severity(given)] == [a.fingerprint for a in expected]
        assert [a.fingerprint for a in order_alerts(given, "severity")] == [a.fingerprint for a in expected]


def test_no_alerts_no_order():
    assert by_severity(()) == []


def test_the_overview_and_the_alerts_view_order_firing_alerts_alike():
    from mlops_tui.domain import AlertState
    from mlops_tui.services.snapshot import Snapshot

    given = tuple(
        a.model_copy(update={"state": AlertState.SUPPRESSED}) if i % 3 == 0 else a
        for i, a in enumerate(alerts(600, 11))
    )
    firing = [a for a in given if a.state == AlertState.FIRING]
    expected = sorted(firing, key=lambda a: (a.severity.rank, -a.starts_at.timestamp()))
    assert [a.fingerprint for a in Snapshot(alerts=given).firing_alerts] == [a.fingerprint for a in expected]
