"""The join of deployments across backends: health from model servers, metrics from
Prometheus, the expected version from the registry, and one reason for the whole.

Backends stay independent of each other: each reports the deployments it knows by name, and
this module joins them. Health is the worst a source reports; a metric over its threshold
makes a deployment degraded; a source whose last poll failed has its metrics shown as unknown,
never as its last (stale) numbers.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from mlops_tui.domain import (
    BackendState,
    BackendStatus,
    Deployment,
    DeploymentHealth,
    ModelVersion,
    RegisteredModel,
)
from mlops_tui.domain.deployments import duration_ms, percent

_RANK = {
    DeploymentHealth.DOWN: 0,
    DeploymentHealth.DEGRADED: 1,
    DeploymentHealth.UNKNOWN: 2,
    DeploymentHealth.HEALTHY: 3,
}
_METRICS = ("requests_per_second", "error_rate", "latency_p50_ms", "latency_p95_ms")
_FAILED = (BackendState.UNREACHABLE, BackendState.UNAUTHORISED, BackendState.ERROR)


def expected_versions(
    models: Iterable[RegisteredModel], versions: Iterable[ModelVersion]
) -> dict[tuple[str, str], str]:
    """(registered model, alias) -> the version the alias points at, as the registry says."""
    out: dict[tuple[str, str], str] = {}
    for v in versions:
        for alias in v.aliases:
            out[(v.model, alias)] = v.version
    for m in models:  # the model's own alias table is the more reliable one (MLflow 16734)
        for alias, version in m.aliases.items():
            out[(m.name, alias)] = version
    return out


def _stale(d: Deployment, status: BackendStatus) -> Deployment:
    """What is left of a deployment when its backend's last poll failed: who and what, no state.

    A source that says whether the model is up (it names the model, or its readiness) makes
    that failure the reason; a metrics-only source (Prometheus) only makes its metrics unknown,
    so that the model server's word on health stands.
    """
    note = f"{status.name}: {status.message or status.state.value}"
    says_health = bool(d.model) or d.ready is not None
    return d.model_copy(
        update={
            **{m: None for m in _METRICS},
            "health": DeploymentHealth.UNKNOWN,
            "ready": None,
            "live": None,
            "reason": f"health unknown: {note}" if says_health else "",
            "metrics_note": note,
        }
    )


def _counts(d: Deployment) -> bool:
    """Whether this source's health says something (a bare UNKNOWN says nothing)."""
    return d.health != DeploymentHealth.UNKNOWN or bool(d.reason)


def _first(parts: Sequence[Deployment], field: str, empty: tuple[object, ...] = ("", None, ())) -> Any:
    for p in parts:
        value = getattr(p, field)
        if value not in empty:
            return value
    return getattr(parts[0], field)


def _metric_source(parts: Sequence[Deployment], field: str) -> str:
    for p in parts:
        if getattr(p, field) is not None:
            return p.backend
    return ""


def join_one(parts: Sequence[Deployment]) -> Deployment:
    """Several backends' views of one deployment -> one deployment with one health and reason."""
    sources = tuple(dict.fromkeys(s for p in parts for s in (p.sources or (p.backend,)) if s))
    judged = [p for p in parts if _counts(p)]
    if judged:
        worst = min(judged, key=lambda p: _RANK[p.health])
        health, reason = worst.health, worst.reason
        if not reason:
            reason = next((p.reason for p in judged if p.health == health and p.reason), "")
    else:
        health, reason = DeploymentHealth.UNKNOWN, next((p.reason for p in parts if p.reason), "")
    fields = {
        name: _first(parts, name)
        for name in (
            "model", "version", "endpoint", "environment", "registered_model", "alias", "platform",
            "repository_state", "inputs", "outputs", "ready", "live", "max_error_rate",
            "max_latency_p95_ms", *_METRICS,
        )
    }  # fmt: skip
    if not any(p.ready_replicas or p.replicas for p in parts[1:]):
        fields["ready_replicas"], fields["replicas"] = parts[0].ready_replicas, parts[0].replicas
    else:
        fields["ready_replicas"] = _first(parts, "ready_replicas", (0,))
        fields["replicas"] = _first(parts, "replicas", (0,))
    notes = list(dict.fromkeys(p.metrics_note for p in parts if p.metrics_note))
    checked = [p.checked_at for p in parts if p.checked_at is not None]
    joined = parts[0].model_copy(
        update={
            **fields,
            "health": health,
            "reason": reason,
            "metrics_note": "; ".join(notes),
            "checked_at": max(checked) if checked else None,
            "sources": sources,
            "backend": parts[0].backend or (sources[0] if sources else ""),
        }
    )
    return _thresholds(joined, parts)


def _thresholds(d: Deployment, parts: Sequence[Deployment]) -> Deployment:
    """A metric over its configured threshold makes a serving deployment degraded, and says so."""
    if d.health not in (DeploymentHealth.HEALTHY, DeploymentHealth.DEGRADED, DeploymentHealth.UNKNOWN):
        return d
    over: list[str] = []
    if d.max_error_rate is not None and d.error_rate is not None and d.error_rate > d.max_error_rate:
        lead = "ready, but " if d.ready else ""
        source = _metric_source(parts, "error_rate")
        over.append(f"{lead}{percent(d.error_rate)} of requests fail ({source})")
    if d.max_latency_p95_ms is not None and d.latency_p95_ms is not None and d.latency_p95_ms > d.max_latency_p95_ms:
        over.append(f"p95 {duration_ms(d.latency_p95_ms)} over the {duration_ms(d.max_latency_p95_ms)} threshold")
    if not over:
        return d
    if all(o in d.reason for o in over):  # the backend said it already (the demo does)
        return d.model_copy(update={"health": DeploymentHealth.DEGRADED})
    if d.health == DeploymentHealth.UNKNOWN and d.ready is not True:
        # the metrics say it serves badly even though nobody could say it is up
        reason = "; ".join([*over, d.reason] if d.reason else over)
        return d.model_copy(update={"health": DeploymentHealth.DEGRADED, "reason": reason})
    reason = "; ".join(over if not d.reason or d.health == DeploymentHealth.HEALTHY else [d.reason, *over])
    return d.model_copy(update={"health": DeploymentHealth.DEGRADED, "reason": reason})


def join_deployments(
    reported: Sequence[tuple[BackendStatus | None, Sequence[Deployment]]],
    *,
    models: Iterable[RegisteredModel] = (),
    versions: Iterable[ModelVersion] = (),
    previous: Mapping[str, Deployment] | None = None,
    now: datetime,
) -> tuple[Deployment, ...]:
    """Every backend's deployments (in config order, with its status) -> one per name."""
    groups: dict[str, list[Deployment]] = {}
    for status, deployments in reported:
        failed = status is not None and status.state in _FAILED
        for d in deployments:
            if not d.backend and status is not None:
                d = d.model_copy(update={"backend": status.name})
            groups.setdefault(d.name, []).append(_stale(d, status) if failed and status else d)
    expected = expected_versions(models, versions)
    out: list[Deployment] = []
    for name, parts in groups.items():
        d = _with_expected(join_one(parts), expected, (previous or {}).get(name), now)
        out.append(d)
    return tuple(out)


def _with_expected(
    d: Deployment, expected: Mapping[tuple[str, str], str], before: Deployment | None, now: datetime
) -> Deployment:
    update: dict[str, object] = {}
    if d.registered_model and d.alias:
        want = expected.get((d.registered_model, d.alias), d.expected_version)
        if want != d.expected_version:
            update["expected_version"] = want
    probe = d.model_copy(update=update) if update else d
    if probe.mismatch:
        since = before.mismatch_since if before is not None and before.mismatch else None
        if probe.mismatch_since is None or since is not None:
            update["mismatch_since"] = since or probe.mismatch_since or now
    elif probe.mismatch_since is not None:
        update["mismatch_since"] = None
    return d.model_copy(update=update) if update else d
