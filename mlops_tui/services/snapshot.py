"""The immutable picture of the whole estate that the hub hands to the screens."""

from __future__ import annotations

import heapq
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import Any

from mlops_tui.backends.base import DATA_FIELDS, BackendData
from mlops_tui.domain import (
    Alert,
    AlertState,
    BackendState,
    BackendStatus,
    Deployment,
    DeploymentHealth,
    DriftScore,
    Event,
    Experiment,
    HealthSample,
    ModelVersion,
    PromotionRequest,
    PromotionState,
    RegisteredModel,
    Run,
    Severity,
    Silence,
)
from mlops_tui.domain.base import utcnow
from mlops_tui.services.deployments import join_deployments

_FIELDS = DATA_FIELDS


# cached lookups and the fields they are computed from: carried to the next snapshot as long
# as those fields are the very same tuples
_DERIVED = {
    "runs_by_id": ("runs",),
    "latest_runs": ("runs",),
    "experiments_by_id": ("experiments",),
    "versions_by_key": ("versions",),
    "models_by_name": ("models",),
    "deployments_by_name": ("deployments",),
    "pending_promotions": ("promotions",),
    "active_alerts": ("alerts",),
    "alerts_by_severity": ("alerts",),
    "active_by_severity": ("alerts",),
    "firing_alerts": ("alerts",),
    "firing_severities": ("alerts",),
    "unhealthy_deployments": ("deployments",),
    "latest_drift": ("drift",),
    "drift_histories": ("drift",),
    "health_histories": ("health",),
    "silences_by_id": ("silences",),
}


_ANSWERED = (BackendState.OK, BackendState.SLOW)


def _local_time(when: datetime) -> str:
    return when.astimezone().strftime("%H:%M")


@dataclass(frozen=True)
class Coverage:
    """Whether every source of one kind of data ("alerts", "runs", ...) answered in full.

    `sources` are the backends that provide the kind; `missing` those of them whose data is
    not (or not yet, or not wholly) there: failed, never answered, or still loading.
    """

    capability: str
    sources: tuple[BackendStatus, ...]
    missing: tuple[BackendStatus, ...]

    @property
    def complete(self) -> bool:
        """Every source answered and none is still loading (also False with no source at all)."""
        return bool(self.sources) and not self.missing

    @property
    def failed(self) -> tuple[BackendStatus, ...]:
        """Missing sources that failed (as opposed to not answered yet or still loading)."""
        return tuple(s for s in self.missing if s.state not in (*_ANSWERED, BackendState.PENDING))

    @property
    def settled(self) -> bool:
        """Nothing more will come without a retry: complete, or every missing source failed."""
        return bool(self.sources) and len(self.failed) == len(self.missing)

    @staticmethod
    def describe_source(status: BackendStatus) -> str:
        """ "am-eu unreachable since 10:02 (connection refused)", "mlflow loading runs: 2,000…" """
        if status.state in _ANSWERED:
            return f"{status.name} {status.progress or 'still loading'}"
        if status.state == BackendState.PENDING:
            return f"{status.name} has not answered yet"
        text = f"{status.name} {status.state.value}"
        if status.since is not None:  # before the message: a narrow panel cuts the end off
            text += f" since {_local_time(status.since)}"
        if status.message:
            text += f" ({status.message})"
        return text

    def describe(self) -> str:
        """What is missing, in words; "" when complete."""
        if not self.sources:
            return f"no configured backend provides {self.capability}"
        return "; ".join(self.describe_source(s) for s in self.missing)


@dataclass(frozen=True, eq=False)
class Snapshot:
    generation: int = 0
    statuses: tuple[BackendStatus, ...] = ()
    experiments: tuple[Experiment, ...] = ()
    runs: tuple[Run, ...] = ()
    models: tuple[RegisteredModel, ...] = ()
    versions: tuple[ModelVersion, ...] = ()
    promotions: tuple[PromotionRequest, ...] = ()
    deployments: tuple[Deployment, ...] = ()
    health: tuple[HealthSample, ...] = ()
    alerts: tuple[Alert, ...] = ()
    silences: tuple[Silence, ...] = ()
    drift: tuple[DriftScore, ...] = ()
    events: tuple[Event, ...] = ()
    # What was cut down for memory, one line per backend: "am-eu: showing 10,000 of 200,000 alerts (cap: ...)"
    cut_notes: tuple[str, ...] = ()

    @classmethod
    def merge(
        cls,
        generation: int,
        statuses: tuple[BackendStatus, ...],
        datas: Mapping[str, BackendData],
        previous: Snapshot | None = None,
    ) -> Snapshot:
        """Join every backend's latest data; a field backed by one backend reuses its tuple."""
        merged: dict[str, tuple[Any, ...]] = {}  # each field holds its own item type
        for name in _FIELDS:
            parts = [getattr(d, name) for d in datas.values() if getattr(d, name) is not None]
            if not parts:
                merged[name] = ()
            elif len(parts) == 1:
                merged[name] = parts[0]
            else:
                merged[name] = tuple(item for part in parts for item in part)
        if len([d for d in datas.values() if d.alerts]) > 1:
            # Several Alertmanagers of one HA cluster report the same alerts.
            seen: dict[str, Alert] = {}
            for alert in merged["alerts"]:
                seen.setdefault(alert.fingerprint, alert)
            merged["alerts"] = tuple(seen.values())
        if len([d for d in datas.values() if d.silences]) > 1:
            # ... and share their silences.
            by_id: dict[str, Silence] = {}
            for silence in merged["silences"]:
                by_id.setdefault(silence.id, silence)
            merged["silences"] = tuple(by_id.values())
        merged["deployments"], join_inputs = _joined_deployments(statuses, datas, merged, previous)
        cut = tuple(f"{name}: {data.cut}" for name, data in datas.items() if data.cut)
        snapshot = cls(generation=generation, statuses=statuses, cut_notes=cut, **merged)
        snapshot.__dict__["_deployment_inputs"] = join_inputs
        if previous is not None:
            snapshot._inherit(previous)
        return snapshot

    def _inherit(self, previous: Snapshot) -> None:
        """Reuse lookups of `previous` whose source tuples did not change (100k runs)."""
        for prop, sources in _DERIVED.items():
            if prop in previous.__dict__ and all(getattr(self, src) is getattr(previous, src) for src in sources):
                self.__dict__[prop] = previous.__dict__[prop]

    # -- lookups the screens need; computed once per snapshot ------------------------------
    @cached_property
    def runs_by_id(self) -> dict[str, Run]:
        return {r.id: r for r in self.runs}

    @cached_property
    def experiments_by_id(self) -> dict[str, Experiment]:
        return {e.id: e for e in self.experiments}

    @cached_property
    def versions_by_key(self) -> dict[tuple[str, str], ModelVersion]:
        return {v.key: v for v in self.versions}

    @cached_property
    def models_by_name(self) -> dict[str, RegisteredModel]:
        return {m.name: m for m in self.models}

    @cached_property
    def deployments_by_name(self) -> dict[str, Deployment]:
        return {d.name: d for d in self.deployments}

    @cached_property
    def pending_promotions(self) -> tuple[PromotionRequest, ...]:
        return tuple(
            sorted(
                (p for p in self.promotions if p.state == PromotionState.PENDING),
                key=lambda p: p.requested_at,
            )
        )

    @cached_property
    def active_alerts(self) -> tuple[Alert, ...]:
        return tuple(a for a in self.alerts if a.state != AlertState.RESOLVED)

    @cached_property
    def alerts_by_severity(self) -> tuple[Alert, ...]:
        """Every alert in the order the Alerts view and the Overview show them (`by_severity`).
        A list cut from it keeps that order: the views filter it, they do not sort again."""
        return tuple(by_severity(self.alerts))

    @cached_property
    def active_by_severity(self) -> tuple[Alert, ...]:
        resolved = AlertState.RESOLVED
        return tuple(a for a in self.alerts_by_severity if a.state != resolved)

    @cached_property
    def firing_alerts(self) -> tuple[Alert, ...]:
        firing = AlertState.FIRING
        return tuple(a for a in self.alerts_by_severity if a.state == firing)

    @cached_property
    def firing_severities(self) -> Mapping[Severity, int]:
        """How many alerts fire at each severity (the Overview's panel title)."""
        return Counter(alert_severity(a) for a in self.firing_alerts)

    def warm(self) -> None:
        """Compute now, on the calling thread, the lookups the views need on every poll that
        brought new alerts. The hub calls it on its own thread before the hand-off: sorting
        10,000 alerts (10-15 ms) and counting their severities (5-12 ms) were the UI thread's
        work in such a repaint, and a key that came then waited for it. Unchanged alerts
        inherit these from the last snapshot."""
        self.active_by_severity  # noqa: B018  (computed for its cache)
        self.firing_alerts  # noqa: B018
        self.firing_severities  # noqa: B018

    @cached_property
    def unhealthy_deployments(self) -> tuple[Deployment, ...]:
        order = {DeploymentHealth.DOWN: 0, DeploymentHealth.DEGRADED: 1, DeploymentHealth.UNKNOWN: 2}
        return tuple(
            sorted(
                (d for d in self.deployments if d.health != DeploymentHealth.HEALTHY),
                key=lambda d: (order.get(d.health, 3), d.name),
            )
        )

    @cached_property
    def latest_runs(self) -> tuple[Run, ...]:
        return tuple(heapq.nlargest(50, self.runs, key=lambda r: r.start_time))

    def health_of(self, deployment: str) -> list[HealthSample]:
        return list(self.health_histories.get(deployment, ()))

    def drift_history(self, model: str, feature: str) -> list[DriftScore]:
        return list(self.drift_histories.get((model, feature), ()))

    @cached_property
    def health_histories(self) -> dict[str, tuple[HealthSample, ...]]:
        """Each deployment's health samples, oldest first (one pass, not one per deployment)."""
        grouped: dict[str, list[HealthSample]] = {}
        for h in self.health:
            grouped.setdefault(h.deployment, []).append(h)
        return {name: tuple(sorted(samples, key=lambda h: h.time)) for name, samples in grouped.items()}

    @cached_property
    def drift_histories(self) -> dict[tuple[str, str], tuple[DriftScore, ...]]:
        """Each (model, feature)'s scores, oldest first: the Drift list draws one sparkline a
        row, and scanning every score for each row was most of a poll's repaint of that view."""
        grouped: dict[tuple[str, str], list[DriftScore]] = {}
        for d in self.drift:
            grouped.setdefault((d.model, d.feature), []).append(d)
        return {key: tuple(sorted(scores, key=lambda d: d.time)) for key, scores in grouped.items()}

    @cached_property
    def latest_drift(self) -> tuple[DriftScore, ...]:
        """The newest score of every (model, feature)."""
        latest: dict[tuple[str, str, str], DriftScore] = {}
        for d in self.drift:
            key = (d.model, d.feature, d.backend)
            if key not in latest or d.time > latest[key].time:
                latest[key] = d
        return tuple(sorted(latest.values(), key=lambda d: (d.model, d.feature)))

    @cached_property
    def silences_by_id(self) -> dict[str, Silence]:
        return {s.id: s for s in self.silences}

    def silence_for(self, alert: Alert) -> Silence | None:
        by_id = self.silences_by_id
        for sid in alert.silenced_by:
            if sid in by_id:
                return by_id[sid]
        return None

    def coverage(self, capability: str) -> Coverage:
        """Did every backend providing `capability` answer, fully loaded? Names what is missing."""
        sources = tuple(s for s in self.statuses if capability in s.capabilities)
        # A progress note is about runs streaming in pages (the only data loaded that way).
        loading = capability == "runs"
        missing = tuple(s for s in sources if s.state not in _ANSWERED or (loading and s.progress))
        return Coverage(capability, sources, missing)

    def cut_note(self, what: str) -> str:
        """The cut-down notes about `what` ("alerts"), joined; "" when nothing was cut."""
        return "; ".join(n for n in self.cut_notes if f" {what} (cap" in n)

    def status_of(self, backend: str) -> BackendStatus | None:
        return next((s for s in self.statuses if s.name == backend), None)


# What a deployment join is computed from: each reporting backend's status and deployments,
# then the registry's models and versions (compared by identity, see _same_inputs).
_JoinInputs = tuple[tuple[tuple[BackendStatus | None, tuple[Deployment, ...]], ...], tuple[Any, ...], tuple[Any, ...]]


def _joined_deployments(
    statuses: tuple[BackendStatus, ...],
    datas: Mapping[str, BackendData],
    merged: Mapping[str, tuple[Any, ...]],
    previous: Snapshot | None,
) -> tuple[tuple[Deployment, ...], _JoinInputs]:
    """One deployment per name across backends, with the registry's expected version
    (services/deployments.py); mismatch_since is carried over from `previous`.

    Also returns what the join was computed from: when the next merge has the very same
    objects (another backend polled), it reuses this join instead of redoing it.
    """
    by_name = {s.name: s for s in statuses}
    reported = tuple((by_name.get(name), data.deployments) for name, data in datas.items() if data.deployments)
    inputs = (reported, merged["models"], merged["versions"])
    if not reported:
        return (), inputs
    if previous is not None and _same_inputs(previous.__dict__.get("_deployment_inputs"), inputs):
        return previous.deployments, inputs
    joined = join_deployments(
        reported,
        models=merged["models"],
        versions=merged["versions"],
        previous=previous.deployments_by_name if previous is not None else None,
        now=utcnow(),
    )
    return joined, inputs


def _same_inputs(before: _JoinInputs | None, now: _JoinInputs) -> bool:
    if before is None:
        return False
    (old_reported, old_models, old_versions), (reported, models, versions) = before, now
    if old_models is not models or old_versions is not versions or len(old_reported) != len(reported):
        return False
    for (old_status, old_deps), (status, deps) in zip(old_reported, reported):
        if old_deps is not deps:
            return False
        if (old_status is None) != (status is None):
            return False
        if (
            status is not None
            and old_status is not None
            and (status.name, status.state, status.message) != (old_status.name, old_status.state, old_status.message)
        ):
            return False
    return True


def by_severity(alerts: Sequence[Alert]) -> list[Alert]:
    """Most severe first, newest first within a severity, ties in their own order: what
    `sorted(alerts, key=lambda a: (a.severity.rank, -a.starts_at.timestamp()))` gives, in a
    third of its time for 10,000 alerts (two stable sorts of plain numbers, no key tuples, the
    severity label parsed once per spelling). The Alerts view and the Overview's panel both
    order by it."""
    newest = [-a.starts_at.timestamp() for a in alerts]
    by_rank = [alert_severity(a).rank for a in alerts]
    order = sorted(range(len(alerts)), key=newest.__getitem__)
    order.sort(key=by_rank.__getitem__)  # stable: newest first stays within each severity
    return [alerts[i] for i in order]


_SEVERITIES: dict[str | None, Severity] = {}


def alert_severity(alert: Alert) -> Severity:
    """`alert.severity`, its label parsed once per spelling: a list of 10,000 alerts asks for
    it in several columns of each measured and drawn row."""
    label = alert.labels.get("severity")
    severity = _SEVERITIES.get(label)
    if severity is None:
        if len(_SEVERITIES) > 256:  # labels are a backend's text: no unbounded growth
            _SEVERITIES.clear()
        severity = _SEVERITIES[label] = Severity.parse(label)
    return severity
