"""What changed before an alert: a model's promotions, new versions, drift crossings, health changes,
and deployments that stopped serving what the registry says.

Backends may report events themselves (the demo does); the rest is derived from what every
snapshot already holds, so the timeline works with MLflow, Alertmanager, Prometheus and
Evidently without any of them knowing about it.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from datetime import datetime, timedelta

from mlops_tui.core.wording import drift_score_text
from mlops_tui.domain import Alert, DriftScore, Event, EventKind, HealthSample, PromotionState
from mlops_tui.domain.alerts import FiringInterval
from mlops_tui.services.snapshot import Snapshot


def _derived(snapshot: Snapshot, model: str, deployments: set[str]) -> list[Event]:
    events: list[Event] = []
    for p in snapshot.promotions:
        if p.model != model:
            continue
        if p.state == PromotionState.PENDING:
            events.append(
                Event(
                    time=p.requested_at,
                    model=model,
                    kind=EventKind.PROMOTION,
                    text=f"v{p.version} → {p.target} requested by {p.requester}",
                )
            )
        elif p.decided_at is not None:
            verb = "approved" if p.state == PromotionState.APPROVED else "rejected"
            kind = EventKind.ALIAS_MOVED if p.state == PromotionState.APPROVED else EventKind.PROMOTION
            events.append(
                Event(
                    time=p.decided_at,
                    model=model,
                    kind=kind,
                    text=f"v{p.version} → {p.target} {verb} by {p.decided_by}",
                )
            )
    for v in snapshot.versions:
        if v.model == model and v.created is not None:
            events.append(
                Event(
                    time=v.created,
                    model=model,
                    kind=EventKind.NEW_VERSION,
                    text=f"v{v.version} registered" + (f" by {v.user}" if v.user else ""),
                )
            )
    features: dict[tuple[str, str], list[DriftScore]] = {}
    for d in snapshot.drift:
        if d.model == model:
            features.setdefault((d.feature, d.backend), []).append(d)
    for (feature, _), history in features.items():
        history = sorted((d for d in history if d.has_value), key=lambda d: d.time)  # NaN crosses nothing
        for before, after in itertools.pairwise(history):
            if before.drifted != after.drifted:
                # "under" would be wrong for a p-value, which drifts below its threshold
                state = "crossed" if after.drifted else "back within"
                events.append(
                    Event(
                        time=after.time,
                        model=model,
                        kind=EventKind.DRIFT,
                        text=f"{feature} {state} its threshold ({drift_score_text(after)})",
                    )
                )
    samples: dict[str, list[HealthSample]] = {}
    for h in snapshot.health:
        if h.deployment in deployments:
            samples.setdefault(h.deployment, []).append(h)
    for name, readings in samples.items():
        readings.sort(key=lambda h: h.time)
        for was, now in itertools.pairwise(readings):
            if was.ready != now.ready:
                events.append(
                    Event(
                        time=now.time,
                        model=model,
                        deployment=name,
                        kind=EventKind.HEALTH,
                        text=f"{name} {'ready again' if now.ready else 'not ready'}",
                    )
                )
    for dep in snapshot.deployments:
        if dep.name in deployments and dep.mismatch and dep.mismatch_since is not None:
            events.append(
                Event(
                    time=dep.mismatch_since,
                    model=model,
                    deployment=dep.name,
                    kind=EventKind.MISMATCH,
                    text=f"{dep.name} still serves v{dep.version} while {dep.alias} is "
                    f"v{dep.expected_version}: mismatch starts",
                )
            )
    return events


def what_changed(
    snapshot: Snapshot,
    model: str,
    deployment: str,
    before: datetime,
    hours: float = 6.0,
    limit: int = 30,
) -> list[Event]:
    """Events about `model` (or `deployment`) in the `hours` before `before`, newest first."""
    if not model and deployment:
        served = snapshot.deployments_by_name.get(deployment)
        model = (served.registered_model or served.model) if served else ""
    deployments = {d.name for d in snapshot.deployments if model and model in (d.model, d.registered_model)}
    deployments |= {deployment} if deployment else set()
    start, end = before - timedelta(hours=hours), before + timedelta(minutes=5)
    reported = [e for e in snapshot.events if e.model == model or (e.deployment and e.deployment in deployments)]
    # A kind of event a backend reports itself is not derived again (in other words).
    reported_kinds = {e.kind for e in snapshot.events}
    merged = reported + [e for e in _derived(snapshot, model, deployments) if e.kind not in reported_kinds]
    window = [e for e in merged if start <= e.time <= end]
    window.sort(key=lambda e: e.time, reverse=True)
    return window[:limit]


# -- on-call: earlier firings of the same alert (alert history), kept apart from the above ------
def earlier_firings(alert: Alert, intervals: Iterable[FiringInterval], before: datetime) -> list[Event]:
    """`intervals` (FiringInterval) of `alert` that began before `before`, as timeline events."""
    out: list[Event] = []
    for i in intervals:
        if i.starts_at >= before - timedelta(seconds=1):
            continue
        lasted = (
            f"for {((i.ends_at or before) - i.starts_at).total_seconds() / 60:.0f} min" if i.ends_at else "still firing"
        )
        out.append(
            Event(
                time=i.starts_at,
                model=alert.model,
                kind=EventKind.ALERT,
                deployment=alert.deployment,
                text=f"{alert.name} fired earlier ({lasted}, from {i.source or 'history'})",
            )
        )
    return out
