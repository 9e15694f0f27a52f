"""The "what changed" timeline is derived from any backend's data, not only the demo's events."""

from datetime import UTC, datetime, timedelta

from mlops_tui.domain import (
    Deployment,
    DriftScore,
    EventKind,
    HealthSample,
    ModelVersion,
    PromotionRequest,
    PromotionState,
)
from mlops_tui.services.snapshot import Snapshot
from mlops_tui.services.timeline import what_changed

T = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


def snapshot() -> Snapshot:
    return Snapshot(
        versions=(
            ModelVersion(model="fraud", version="9", created=T - timedelta(hours=3), user="bob"),
            ModelVersion(model="other", version="1", created=T - timedelta(hours=1)),
        ),
        promotions=(
            PromotionRequest(
                model="fraud",
                version="9",
                requester="bob",
                requested_at=T - timedelta(hours=2),
                state=PromotionState.APPROVED,
                decided_by="alice",
                decided_at=T - timedelta(minutes=90),
            ),
        ),
        drift=tuple(
            DriftScore(model="fraud", feature="amount", score=s, threshold=0.2, time=T - timedelta(hours=h))
            for h, s in ((4, 0.1), (2, 0.15), (1, 0.3))
        ),
        deployments=(Deployment(name="fraud-api", model="fraud", version="9"),),
        health=(
            HealthSample(deployment="fraud-api", time=T - timedelta(minutes=40), ready=True),
            HealthSample(deployment="fraud-api", time=T - timedelta(minutes=20), ready=False),
        ),
    )


def test_the_hours_before_an_alert_show_promotion_new_version_drift_and_health():
    events = what_changed(snapshot(), "fraud", "", before=T)
    kinds = [e.kind for e in events]
    assert kinds == [EventKind.HEALTH, EventKind.DRIFT, EventKind.ALIAS_MOVED, EventKind.NEW_VERSION]
    assert "approved by alice" in events[2].text
    assert "amount crossed its threshold (dist 0.3 > 0.2)" in events[1].text  # the direction, said
    assert "not ready" in events[0].text


def test_other_models_and_older_events_are_left_out():
    events = what_changed(snapshot(), "fraud", "", before=T, hours=2.5)
    assert all(e.model == "fraud" for e in events)
    assert EventKind.NEW_VERSION not in [e.kind for e in events]  # 3 h before: outside 2.5 h


def test_an_alert_on_a_deployment_finds_the_model_it_serves():
    events = what_changed(snapshot(), "", "fraud-api", before=T)
    assert any(e.kind == EventKind.ALIAS_MOVED for e in events)


def test_kinds_a_backend_reports_are_not_derived_twice():
    from dataclasses import replace

    from mlops_tui.domain import Event

    reported = Event(time=T - timedelta(hours=1), model="fraud", kind=EventKind.DRIFT, text="amount drifted (psi)")
    events = what_changed(replace(snapshot(), events=(reported,)), "fraud", "", before=T)
    drift = [e for e in events if e.kind == EventKind.DRIFT]
    assert [e.text for e in drift] == ["amount drifted (psi)"]
    assert EventKind.ALIAS_MOVED in [e.kind for e in events]  # other kinds still derived


def test_a_deployment_left_on_the_old_version_shows_when_its_mismatch_started():
    from dataclasses import replace

    from mlops_tui.domain import Event

    behind = Deployment(
        name="fraud-api",
        model="fraud-server-name",
        version="8",
        registered_model="fraud",
        alias="champion",
        expected_version="9",
        mismatch_since=T - timedelta(minutes=90),
    )
    matched = Deployment(
        name="fraud-canary",
        model="fraud",
        version="9",
        registered_model="fraud",
        alias="champion",
        expected_version="9",
    )
    snap = replace(snapshot(), deployments=(behind, matched))
    events = what_changed(snap, "fraud", "", before=T)
    mismatches = [e for e in events if e.kind == EventKind.MISMATCH]
    assert [(e.deployment, e.time) for e in mismatches] == [("fraud-api", T - timedelta(minutes=90))]
    assert "fraud-api still serves v8 while champion is v9" in mismatches[0].text
    # an alert on the deployment alone finds it through its registered model, not its server-side name
    assert [e.kind for e in what_changed(snap, "", "fraud-api", before=T)].count(EventKind.MISMATCH) == 1
    # a backend that reports other kinds of events (the demo) does not hide it
    reported = Event(time=T - timedelta(hours=1), model="fraud", kind=EventKind.HEALTH, text="fraud-api degraded")
    assert EventKind.MISMATCH in [
        e.kind for e in what_changed(replace(snap, events=(reported,)), "fraud", "", before=T)
    ]
    # once it serves what the alias says, there is nothing to show
    rolled = replace(snap, deployments=(behind.model_copy(update={"version": "9", "mismatch_since": None}),))
    assert EventKind.MISMATCH not in [e.kind for e in what_changed(rolled, "fraud", "", before=T)]
