"""History with hand-written expectations: ALERTS matrices -> intervals, flapping, the strip,
the summary, and the SQLite journal across a restart."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

from mlops_tui.backends.prometheus.alert_history import (
    alerts_query,
    intervals_by_series,
    intervals_from_matrix,
    step_for,
)
from mlops_tui.domain import Alert, AlertState, BackendState, BackendStatus, Matcher, Silence, SilenceState
from mlops_tui.domain.alerts import FiringInterval
from mlops_tui.services.alert_history import AlertHistory, is_flapping
from mlops_tui.services.alert_journal import AlertJournal, JournalRecorder
from mlops_tui.services.snapshot import Snapshot

T0 = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
LABELS = {"alertname": "Down", "model": "fraud", "severity": "critical"}


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def matrix(*series) -> dict:
    return {
        "status": "success",
        "data": {
            "resultType": "matrix",
            "result": [
                {
                    "metric": {"__name__": "ALERTS", "alertstate": "firing", **labels},
                    "values": [[T0.timestamp() + s, "1"] for s in seconds],
                }
                for labels, seconds in series
            ],
        },
    }


def test_points_in_runs_become_intervals_and_a_run_reaching_the_end_still_fires():
    body = matrix((LABELS, [10, 11, 12, 13, 30, 31, 58, 59, 60]))
    got = intervals_from_matrix(body, LABELS, step=1, end=at(60))
    assert [(i.starts_at, i.ends_at) for i in got] == [(at(10), at(14)), (at(30), at(32)), (at(58), None)]


def test_only_series_whose_labels_the_alert_carries_count():
    other = {**LABELS, "model": "churn"}
    body = matrix((LABELS, [1, 2]), (other, [5, 6]))
    # the alert's copy in Alertmanager carries an external label the TSDB lacks: still its series
    got = intervals_from_matrix(body, {**LABELS, "cluster": "eu"}, step=1, end=at(100))
    assert [(i.starts_at, i.ends_at) for i in got] == [(at(1), at(3))]
    assert [labels["model"] for labels, _ in intervals_by_series(body, step=1, end=at(100))] == ["churn", "fraud"]


def test_step_and_query():
    assert step_for(timedelta(minutes=10)) == 1
    assert step_for(timedelta(days=7)) == 61  # 604800 s / 10000 points, rounded up
    assert alerts_query('Di"sk') == 'ALERTS{alertname="Di\\"sk",alertstate="firing"}'
    assert (
        alerts_query("Down", {"model": "a\\b", "alertstate": "x"})
        == 'ALERTS{alertname="Down",alertstate="firing",model="a\\\\b"}'
    )
    assert alerts_query(None) == 'ALERTS{alertstate="firing"}'


def test_flapping_is_more_than_threshold_starts_within_an_hour():
    def starts(*minutes):
        return [
            FiringInterval(starts_at=T0 + timedelta(minutes=m), ends_at=T0 + timedelta(minutes=m + 1)) for m in minutes
        ]

    assert not is_flapping(starts(0, 20, 40), 3)
    assert is_flapping(starts(0, 20, 40, 59), 3)
    assert not is_flapping(starts(0, 20, 40, 61), 3)


def test_summary_and_strip():
    intervals = (
        FiringInterval(
            starts_at=T0 - timedelta(days=6),
            ends_at=T0 - timedelta(days=6) + timedelta(minutes=10),
            source="prometheus",
        ),
        FiringInterval(starts_at=T0 - timedelta(hours=1), ends_at=T0 - timedelta(minutes=40), source="prometheus"),
        FiringInterval(starts_at=T0 - timedelta(minutes=30), ends_at=None, source="prometheus"),
    )
    h = AlertHistory(intervals, 7, "prometheus", now=T0)
    assert h.summary() == "fired 3 times in 7 days (median 20 min) (prometheus)"
    assert h.strip(7) == "·█····█"  # a cell a day, oldest left: 6 days ago, then the last day
    assert AlertHistory((), 7, "journal", now=T0).summary() == "did not fire in 7 days (journal)"
    assert AlertHistory((), 7, "", ("prom: refused",), now=T0).summary() == "history unknown: prom: refused"


# -- the journal ----------------------------------------------------------------------------------
def snap(generation, alerts=(), silences=(), state=BackendState.OK):
    return Snapshot(
        generation=generation,
        statuses=(BackendStatus(name="am", kind="alertmanager", state=state),),
        alerts=tuple(alerts),
        silences=tuple(silences),
    )


def test_the_journal_records_firings_and_acks_and_survives_a_restart(tmp_path):
    path = tmp_path / "state" / "journal.sqlite3"
    t0 = datetime.now(UTC) - timedelta(minutes=5)  # the journal orders by real times
    alert = Alert(fingerprint="f1", labels=LABELS, starts_at=t0, backend="am")
    ack = Silence(
        id="s1",
        matchers=(Matcher(name="alertname", value="Down"),),
        starts_at=t0,
        ends_at=t0 + timedelta(minutes=15),
        created_by="erin",
        comment="ACK! acknowledged by erin in mlops-tui",
        backend="am",
    )
    hub = SimpleNamespace(snapshot=snap(1, [alert]))
    journal = AlertJournal(path)
    recorder = JournalRecorder(hub, journal)
    recorder.step()
    hub.snapshot = snap(2, [alert.model_copy(update={"state": AlertState.SUPPRESSED, "silenced_by": ("s1",)})], [ack])
    recorder.step()
    hub.snapshot = snap(3, [], [ack], state=BackendState.UNREACHABLE)  # Alertmanager unreachable: nothing resolves
    recorder.step()
    hub.snapshot = snap(4, [], [ack.model_copy(update={"state": SilenceState.EXPIRED})])
    recorder.step()
    journal.close()

    reopened = AlertJournal(path)  # a restart: a new process opens the same file
    kinds = [(e.kind, e.fingerprint or e.silence_id) for e in reopened.events()]
    assert kinds == [("alert appeared", "f1"), ("ack created", "s1"), ("alert resolved", "f1"), ("ack expired", "s1")]
    [interval] = reopened.intervals("f1", t0 - timedelta(days=1))
    assert interval.starts_at == t0 and interval.ends_at is not None and interval.source == "journal"
    last = reopened.last_ack(LABELS)
    assert last is not None and last.kind == "ack expired" and last.actor == "erin"
    # a restarted recorder records a new firing once, however often it looks
    refired = alert.model_copy(update={"starts_at": datetime.now(UTC)})
    again = JournalRecorder(SimpleNamespace(snapshot=snap(1, [refired])), reopened)
    again.step()
    again.hub.snapshot = snap(2, [refired])
    again.step()
    assert [e.kind for e in reopened.events(fingerprint="f1")] == ["alert appeared", "alert resolved", "alert appeared"]
    reopened.close()


def test_a_resolution_is_journalled_with_the_labels_of_that_alerts_last_appearance(tmp_path):
    """Among 1,200 other alerts' appearances (more than one query's worth of fingerprints),
    each alert that resolves carries the labels it last appeared with."""
    journal = AlertJournal(tmp_path / "j.sqlite3")
    now = datetime.now(UTC)
    others = [
        Alert(fingerprint=f"o{k}", labels={"alertname": "Other", "k": str(k)}, starts_at=now, backend="am")
        for k in range(1_200)
    ]
    first = Alert(fingerprint="f1", labels={"alertname": "Down", "v": "old"}, starts_at=now, backend="am")
    relabelled = first.model_copy(update={"labels": {"alertname": "Down", "v": "new"}})
    journal.record("alert appeared", at=now - timedelta(minutes=9), alert=first)
    journal.record("alert resolved", at=now - timedelta(minutes=8), alert=first)
    journal.record("alert appeared", at=now - timedelta(minutes=7), alert=relabelled)
    hub = SimpleNamespace(snapshot=snap(1, [relabelled, *others]))
    recorder = JournalRecorder(hub, journal)
    recorder.step()
    hub.snapshot = snap(2, others[600:])  # f1 and the first 600 others resolve
    recorder.step()
    resolved = {e.fingerprint: e.labels for e in journal.events(kinds=("alert resolved",), since=now)}
    assert len(resolved) == 601
    assert resolved["f1"] == {"alertname": "Down", "v": "new"}
    assert resolved["o599"] == {"alertname": "Other", "k": "599"}
    assert journal.last_appeared(["o1", "nowhere"]).keys() == {"o1"}
    journal.close()


def test_the_journal_is_bounded_by_age_and_rows(tmp_path):
    journal = AlertJournal(tmp_path / "j.sqlite3", max_age=timedelta(days=30), max_rows=5)
    now = datetime.now(UTC)
    journal.record("alert appeared", at=now - timedelta(days=40))
    for k in range(8):
        journal.record("alert appeared", at=now - timedelta(minutes=10 - k), actor=f"u{k}")
    journal.prune()
    assert [e.actor for e in journal.events()] == ["u3", "u4", "u5", "u6", "u7"]
    journal.close()


def test_an_alert_that_appeared_more_than_flap_threshold_times_in_an_hour_reads_flapping(tmp_path):
    from mlops_tui.services.triage import set_flapping, triage_in

    journal = AlertJournal(tmp_path / "j.sqlite3")
    now = datetime.now(UTC)
    flappy = Alert(fingerprint="f1", labels=LABELS, starts_at=now, backend="am")
    steady = Alert(fingerprint="f2", labels={**LABELS, "model": "churn"}, starts_at=now, backend="am")
    for k in range(4):
        journal.record("alert appeared", at=now - timedelta(minutes=50 - 10 * k), alert=flappy)
        journal.record("alert resolved", at=now - timedelta(minutes=48 - 10 * k), alert=flappy)
    journal.record("alert appeared", at=now - timedelta(hours=2), alert=steady)
    journal.record("alert appeared", at=now - timedelta(minutes=5), alert=steady)
    assert journal.flapping(3) == {"f1"} and journal.flapping(4) == set()
    set_flapping(journal.flapping(3))
    try:
        s = snap(1, [flappy, steady])
        assert triage_in(flappy, s).text() == "♦ firing ↕ flapping" and triage_in(steady, s).text() == "♦ firing"
        assert triage_in(flappy, s).as_json()["flapping"] is True
    finally:
        set_flapping(())
        journal.close()
