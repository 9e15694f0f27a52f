"""Demo alerts, derived from the rest of the world: deployment incidents, drifted features and
stale champions, each worded as the Prometheus rule that would fire it, and silenced as
Alertmanager would silence it."""

from __future__ import annotations

import hashlib
from urllib.parse import quote

from mlops_tui.backends.demo.catalog import (
    DEPLOYMENTS,
    ERROR_CRIT,
    ERROR_WARN,
    MODELS,
    PREDICTION_FEATURE,
    PROMETHEUS_BASE,
    RUNBOOK_BASE,
    TEAM_BY_MODEL,
    DeploymentSpec,
)
from mlops_tui.backends.demo.clock import DAY
from mlops_tui.backends.demo.deployments import Fleet, Incident, Reading
from mlops_tui.backends.demo.drift import DRIFT_STEP, Drift, Feature
from mlops_tui.backends.demo.registry import Registry
from mlops_tui.backends.demo.runs import ts_to_dt
from mlops_tui.backends.demo.silences import Silences
from mlops_tui.domain import Alert, AlertState, DriftScore

# labels, annotations, when it started, the PromQL expression that fires it
RawAlert = tuple[dict[str, str], dict[str, str], float, str]


def fingerprint(labels: dict[str, str]) -> str:
    """Stable id of an alert: a sha1 prefix over its sorted label set."""
    text = "\x1f".join(f"{name}={value}" for name, value in sorted(labels.items()))
    return hashlib.sha1(text.encode()).hexdigest()[:16]


def build_alerts(
    ts: float, fleet: Fleet, drift: Drift, registry: Registry, silences: Silences, backend: str
) -> tuple[Alert, ...]:
    """Every alert firing at `ts`, most severe first."""
    raw: list[RawAlert] = []
    for index, spec in enumerate(DEPLOYMENTS):
        reading = fleet.reading(index, ts)
        if reading.incident is not None:
            raw.append(_incident_alert(spec, reading.incident, reading))
    bucket = int(ts // DRIFT_STEP)
    for index, feature in enumerate(drift.features):
        score = drift.drift_score(index, bucket)
        if score.drifted:
            start = drift.streak_start(index, bucket) * DRIFT_STEP
            raw.append(_drift_alert(feature, score, start))
    raw.extend(_stale_alerts(ts, registry))

    active = silences.active(ts)
    alerts = []
    for labels, notes, starts, expr in raw:
        notes.setdefault("runbook_url", f"{RUNBOOK_BASE}/{_kebab(labels['alertname'])}")
        silenced_by = tuple(silence.id for silence in active if silence.matches(labels))
        alerts.append(
            Alert(
                fingerprint=fingerprint(labels),
                labels=labels,
                annotations=notes,
                starts_at=ts_to_dt(starts),
                state=AlertState.SUPPRESSED if silenced_by else AlertState.FIRING,
                silenced_by=silenced_by,
                generator_url=f"{PROMETHEUS_BASE}/graph?g0.expr={quote(expr, safe='')}&g0.tab=1",
                backend=backend,
            )
        )
    alerts.sort(key=lambda alert: (alert.severity.rank, alert.starts_at, alert.fingerprint))
    return tuple(alerts)


def _incident_alert(spec: DeploymentSpec, incident: Incident, reading: Reading) -> RawAlert:
    labels = {
        "alertname": incident.alertname,
        "severity": incident.severity,
        "model": spec.model,
        "deployment": spec.name,
        "environment": spec.environment,
        "team": TEAM_BY_MODEL[spec.model],
    }
    selector = f'deployment="{spec.name}"'
    if incident.kind == "latency":
        limit = spec.slo_latency_ms * (2.0 if incident.severity == "critical" else 1.0)
        summary = f"p95 latency of {spec.name} is {reading.latency_ms:.0f} ms (SLO {spec.slo_latency_ms:.0f} ms)"
        description = (
            f"{spec.name} serving {spec.model} has answered slower than {limit:.0f} ms at p95 for more than 5 minutes."
        )
        expr = (
            f"histogram_quantile(0.95, sum by (le) (rate(model_request_duration_seconds_bucket{{{selector}}}"
            f"[5m]))) > {limit / 1000:g}"
        )
    elif incident.kind == "errors":
        limit = ERROR_CRIT if incident.severity == "critical" else ERROR_WARN
        summary = f"{spec.name} is failing {100 * (reading.error_rate or 0):.1f}% of requests"
        description = f"Error rate of {spec.name} above {100 * limit:.0f}% for 5 minutes."
        expr = (
            f'sum(rate(model_requests_total{{{selector},code=~"5.."}}[5m])) / '
            f"sum(rate(model_requests_total{{{selector}}}[5m])) > {limit:g}"
        )
    else:
        summary = f"{spec.name} has {reading.ready}/{spec.replicas} replicas ready"
        description = f"Pods of {spec.name} are not ready; the model may be unavailable or under capacity."
        expr = f"kube_deployment_status_replicas_ready{{{selector}}} < kube_deployment_spec_replicas{{{selector}}}"
    return labels, {"summary": summary, "description": description}, incident.start, expr


def _drift_alert(feature: Feature, score: DriftScore, start: float) -> RawAlert:
    prediction = feature.spec.name == PREDICTION_FEATURE
    labels = {
        "alertname": "PredictionDriftHigh" if prediction else "FeatureDriftDetected",
        "severity": "critical" if prediction else "warning",
        "kind": "drift",
        "model": feature.model,
        "feature": feature.spec.name,
        "team": TEAM_BY_MODEL[feature.model],
    }
    compare = ">" if feature.higher_is_drift else "<"
    what = "prediction distribution" if prediction else f"feature {feature.spec.name}"
    summary = (
        f"{what} of {feature.model} drifted ({feature.spec.method} {score.score:g} {compare} {feature.threshold:g})"
    )
    description = (
        f"The {feature.spec.method} statistic between the training reference and the last hour of "
        f"traffic for {what} of {feature.model} crossed its threshold."
    )
    expr = f'model_drift_score{{model="{feature.model}",feature="{feature.spec.name}"}} {compare} {feature.threshold:g}'
    return labels, {"summary": summary, "description": description}, start, expr


def _stale_alerts(ts: float, registry: Registry) -> list[RawAlert]:
    """A champion older than its model's `stale_days` wants a retrain."""
    out: list[RawAlert] = []
    for spec in MODELS:
        champion = registry.champion_created(spec.name)
        if champion is None:
            continue
        number, created = champion
        stale_at = created.timestamp() + spec.stale_days * DAY
        if stale_at <= ts:
            age = (ts - created.timestamp()) / DAY
            labels = {
                "alertname": "ModelStale",
                "severity": "info",
                "model": spec.name,
                "team": TEAM_BY_MODEL[spec.name],
            }
            annotations = {
                "summary": f"{spec.name} champion v{number} is {age:.0f} days old",
                "description": f"The champion of {spec.name} was trained more than {spec.stale_days:.0f} days "
                "ago; schedule a retrain or promote the challenger.",
            }
            expr = f'model_version_age_days{{model="{spec.name}",alias="champion"}} > {spec.stale_days:.0f}'
            out.append((labels, annotations, stale_at, expr))
    return out


def _kebab(name: str) -> str:
    """ModelLatencyHigh -> model-latency-high."""
    out = []
    for index, char in enumerate(name):
        if char.isupper() and index:
            out.append("-")
        out.append(char.lower())
    return "".join(out)
