"""The immutable picture of the whole estate that the hub hands to the screens."""

from __future__ import annotations

import heapq
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property

from mlops_tui.backends.base import BackendData
from mlops_tui.domain import (
    Alert,
    AlertState,
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
    Silence,
)
from mlops_tui.domain.base import utcnow

_FIELDS = (
    "experiments",
    "runs",
    "models",
    "versions",
    "promotions",
    "deployments",
    "health",
    "alerts",
    "silences",
    "drift",
    "events",
)


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
    "firing_alerts": ("alerts",),
    "unhealthy_deployments": ("deployments",),
    "latest_drift": ("drift",),
    "silences_by_id": ("silences",),
}


@dataclass(frozen=True, eq=False)
class Snapshot:
    generation: int = 0
    taken_at: datetime = field(default_factory=utcnow)
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

    @classmethod
    def merge(
        cls,
        generation: int,
        statuses: tuple[BackendStatus, ...],
        datas: Mapping[str, BackendData],
        previous: Snapshot | None = None,
    ) -> Snapshot:
        """Join every backend's latest data; a field backed by one backend reuses its tuple."""
        merged: dict[str, tuple] = {}
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
        snapshot = cls(generation=generation, statuses=statuses, **merged)
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
    def firing_alerts(self) -> tuple[Alert, ...]:
        return tuple(
            sorted(
                (a for a in self.alerts if a.state == AlertState.FIRING),
                key=lambda a: (a.severity.rank, -a.starts_at.timestamp()),
            )
        )

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
        return sorted((h for h in self.health if h.deployment == deployment), key=lambda h: h.time)

    def drift_history(self, model: str, feature: str) -> list[DriftScore]:
        return sorted((d for d in self.drift if d.model == model and d.feature == feature), key=lambda d: d.time)

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

    def status_of(self, backend: str) -> BackendStatus | None:
        return next((s for s in self.statuses if s.name == backend), None)
