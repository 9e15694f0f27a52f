"""Demo deployments: metrics, incidents and health as pure functions of (seed, deployment,
time bucket), and which version each serves as its alias moves (with a rollout delay)."""

from __future__ import annotations

import math
from dataclasses import dataclass

from mlops_tui.backends.demo import _rand
from mlops_tui.backends.demo.catalog import (
    DEPLOYMENTS,
    ERROR_CRIT,
    ERROR_WARN,
    LOAD_FAILURES,
    SIGNATURES,
    DeploymentSpec,
)
from mlops_tui.backends.demo.clock import DAY
from mlops_tui.backends.demo.registry import Registry
from mlops_tui.backends.demo.runs import ts_to_dt
from mlops_tui.domain import Deployment, DeploymentHealth, HealthSample
from mlops_tui.domain.deployments import TensorSpec, duration_ms, percent

METRIC_BUCKET = 15.0  # deployment metrics change every 15 simulated seconds
HEALTH_STEP = 120.0  # one health sample every two simulated minutes
HEALTH_SAMPLES = 30  # the last hour: sparklines and the detail's charts (cheap enough for the launch)
INCIDENT_WINDOW = 1800.0  # at most one incident per deployment per 30 simulated minutes

# kind -> (alertname, share of incidents)
_INCIDENT_KINDS = (
    ("latency", "ModelLatencyHigh", 0.45),
    ("errors", "ModelErrorRateHigh", 0.30),
    ("replicas", "DeploymentNotReady", 0.25),
)


@dataclass(frozen=True, slots=True)
class Incident:
    deployment: int  # index into DEPLOYMENTS
    kind: str  # latency | errors | replicas
    alertname: str
    severity: str  # critical | warning
    start: float
    end: float
    magnitude: float  # 0..1


@dataclass(frozen=True, slots=True)
class Reading:
    """What a deployment looks like in one metric bucket."""

    latency_ms: float | None  # p95
    error_rate: float | None
    ready: int
    rps: float | None  # None: nobody can tell (the server does not answer its scrape)
    health: DeploymentHealth
    incident: Incident | None
    p50_ms: float | None = None
    live: bool = True  # the server answers at all


class Fleet:
    """Every deployment of the catalog (by index into DEPLOYMENTS), memoised per bucket."""

    def __init__(self, seed: int, registry: Registry, backend: str) -> None:
        self.seed = seed
        self.registry = registry
        self.backend = backend
        self._incidents: dict[tuple[int, int], Incident | None] = {}
        self._readings: dict[tuple[int, int], Reading] = {}
        self._samples: dict[tuple[int, int], HealthSample] = {}
        self._phases = [
            (
                _rand.unit(seed, "phase", spec.name, 1) * math.tau,
                _rand.unit(seed, "phase", spec.name, 2) * math.tau,
                (20.0 + 30.0 * _rand.unit(seed, "period", spec.name)) * 60.0,
            )
            for spec in DEPLOYMENTS
        ]
        # each deployment's incident windows start at its own offset, so that no moment
        # (say, every full hour) is calm everywhere at once
        self._window_shift = [
            METRIC_BUCKET * int(_rand.unit(seed, "window", spec.name) * INCIDENT_WINDOW / METRIC_BUCKET)
            for spec in DEPLOYMENTS
        ]
        self._noise_keys = [
            tuple(_rand.derive(seed, "metric", spec.name, part) for part in (1, 2, 3)) for spec in DEPLOYMENTS
        ]

    # -- incidents ------------------------------------------------------------------------------
    def incident(self, index: int, window: int) -> Incident | None:
        """Deployment `index`'s incident in its incident window `window`, if it has one."""
        key = (index, window)
        if key in self._incidents:
            return self._incidents[key]
        spec = DEPLOYMENTS[index]
        draw = _rand.rng(self.seed, "incident", spec.name, window)
        incident = None
        if draw.random() < spec.incident_rate:
            duration = METRIC_BUCKET * round((360.0 + 1320.0 * draw.random()) / METRIC_BUCKET)
            offset = METRIC_BUCKET * int(draw.random() * (INCIDENT_WINDOW - duration) / METRIC_BUCKET)
            pick, cumulative = draw.random(), 0.0
            kind, alertname = _INCIDENT_KINDS[-1][:2]
            for candidate, name, share in _INCIDENT_KINDS:
                cumulative += share
                if pick < cumulative:
                    kind, alertname = candidate, name
                    break
            severity = "critical" if draw.random() < 0.72 else "warning"
            start = self._window_shift[index] + window * INCIDENT_WINDOW + offset
            incident = Incident(index, kind, alertname, severity, start, start + duration, draw.random())
        if len(self._incidents) > 20000:
            self._incidents.clear()
        self._incidents[key] = incident
        return incident

    def window(self, index: int, ts: float) -> int:
        """The incident window of deployment `index` that holds `ts`."""
        return int((ts - self._window_shift[index]) // INCIDENT_WINDOW)

    def _active_incident(self, index: int, ts: float) -> Incident | None:
        incident = self.incident(index, self.window(index, ts))
        if incident is not None and incident.start <= ts < incident.end:
            return incident
        return None

    # -- metrics --------------------------------------------------------------------------------
    def reading(self, index: int, ts: float) -> Reading:
        """Deployment `index`'s metrics in the bucket holding `ts`."""
        bucket = int(ts // METRIC_BUCKET)
        key = (index, bucket)
        hit = self._readings.get(key)
        if hit is not None:
            return hit
        spec = DEPLOYMENTS[index]
        bucket_ts = bucket * METRIC_BUCKET
        phase1, phase2, period = self._phases[index]
        diurnal = math.sin(math.tau * bucket_ts / DAY + phase1)
        wave = math.sin(math.tau * bucket_ts / period + phase2)
        key1, key2, key3 = self._noise_keys[index]
        noise1, noise2, noise3 = _rand.mix(key1, bucket), _rand.mix(key2, bucket), _rand.mix(key3, bucket)
        rps: float | None = spec.base_rps * (1.0 + 0.35 * diurnal + 0.05 * wave + 0.04 * noise1)
        calm_latency = spec.base_latency_ms * (1.0 + 0.12 * diurnal + 0.1 * wave + 0.05 * noise2)
        latency: float | None = calm_latency
        error: float | None = spec.base_error_rate * (1.0 + 0.4 * wave + 0.3 * noise3)
        ready = spec.replicas
        live = True
        incident = self._active_incident(index, bucket_ts)
        if incident is not None:
            magnitude, critical = incident.magnitude, incident.severity == "critical"
            if incident.kind == "latency":
                factor = (2.1 + 1.4 * magnitude) if critical else (1.15 + 0.45 * magnitude)
                latency = spec.slo_latency_ms * factor * (1 + 0.04 * noise2)
            elif incident.kind == "errors":
                error = (ERROR_CRIT * 1.2 + 0.14 * magnitude) if critical else (ERROR_WARN * 1.25 + 0.015 * magnitude)
                error *= 1.0 + 0.05 * noise3
                latency = calm_latency * 1.1
            elif critical:
                # the model failed to load (the server answers), or the server is gone
                ready, latency, error, rps = 0, None, None, 0.0
                live = magnitude < 0.5
                if not live:
                    rps = None
            else:
                ready = max(1, spec.replicas - 1 - int(magnitude * (spec.replicas // 2)))
                latency = calm_latency * (1.0 + 0.3 * (spec.replicas - ready) / spec.replicas)
        health = _health(spec, latency, error, ready)
        # the median moves less than the tail: about half of p95 when calm, less in an incident
        p50 = None if latency is None else min(latency, spec.base_latency_ms * (0.5 + 0.04 * noise1))
        reading = Reading(
            None if latency is None else round(latency, 1),
            None if error is None else round(error, 5),
            ready,
            None if rps is None else round(rps, 1),
            health,
            incident,
            None if p50 is None else round(p50, 1),
            live,
        )
        if len(self._readings) > 20000:
            self._readings.clear()
        self._readings[key] = reading
        return reading

    def deployments(self, ts: float) -> tuple[Deployment, ...]:
        return tuple(self._deployment(index, ts) for index in range(len(DEPLOYMENTS)))

    def _deployment(self, index: int, ts: float) -> Deployment:
        spec = DEPLOYMENTS[index]
        reading = self.reading(index, ts)
        served, expected, since = self._rollout(spec, ts)
        inputs, outputs = SIGNATURES[spec.model]
        loaded = reading.ready > 0
        return Deployment(
            name=spec.name,
            model=spec.model,
            version=str(served),
            endpoint=spec.endpoint,
            environment=spec.environment,
            health=reading.health,
            ready=loaded if reading.live else None,
            live=reading.live,
            ready_replicas=reading.ready,
            replicas=spec.replicas,
            requests_per_second=reading.rps,
            error_rate=reading.error_rate,
            latency_p50_ms=reading.p50_ms,
            latency_p95_ms=reading.latency_ms,
            max_error_rate=ERROR_WARN,
            max_latency_p95_ms=spec.slo_latency_ms,
            metrics_note="" if reading.live else "no metrics: the server does not answer its scrape",
            registered_model=spec.model,
            alias=spec.alias,
            expected_version=str(expected),
            mismatch_since=None if since is None else ts_to_dt(since),
            reason=self._reason(index, reading),
            repository_state=("READY" if loaded else "UNAVAILABLE") if reading.live else "",
            inputs=tuple(TensorSpec(name=name, datatype=datatype, shape=shape) for name, datatype, shape in inputs),
            outputs=tuple(TensorSpec(name=name, datatype=datatype, shape=shape) for name, datatype, shape in outputs),
            platform=spec.platform,
            checked_at=ts_to_dt(METRIC_BUCKET * int(ts // METRIC_BUCKET)),
            sources=(self.backend,),
            backend=self.backend,
        )

    def _rollout(self, spec: DeploymentSpec, ts: float) -> tuple[int, int, float | None]:
        """The version `spec` serves at `ts`, the one its alias points at, and since when they differ.

        A deployment picks a move of its alias up `rollout_minutes` later: until then it
        serves what the alias pointed at that long ago.
        """
        moves = self.registry.alias_moves[(spec.model, spec.alias)]
        cutoff = ts - spec.rollout_minutes * 60.0
        served = moves[0][1]
        expected = served
        since: float | None = None
        for when, number in moves:  # oldest first: every move up to `cutoff` comes before the others
            if when > ts:
                break
            if when <= cutoff:
                served = number
            elif number == served:
                since = None  # moved back before the rollout: nothing to roll out
            elif expected == served:
                since = when
            expected = number
        return served, expected, since if served != expected else None

    def _reason(self, index: int, reading: Reading) -> str:
        """One line: why deployment `index` is not healthy, in the words its servers would use."""
        if reading.health == DeploymentHealth.HEALTHY:
            return ""
        spec = DEPLOYMENTS[index]
        if not reading.live:
            return "server not answering: connection refused"
        if reading.ready == 0:
            incident = reading.incident
            magnitude = incident.magnitude if incident else 0.0
            failure = LOAD_FAILURES[int(magnitude * 2 * len(LOAD_FAILURES)) % len(LOAD_FAILURES)]
            return f"server up, model {spec.model} not loaded: {failure} (repository index)"
        # worded as the services join words a threshold (services/deployments.py), with this
        # backend as the source of the metric
        parts = []
        if reading.error_rate is not None and reading.error_rate > ERROR_WARN:
            parts.append(f"ready, but {percent(reading.error_rate)} of requests fail ({self.backend})")
        if reading.latency_ms is not None and reading.latency_ms > spec.slo_latency_ms:
            parts.append(f"p95 {duration_ms(reading.latency_ms)} over the {duration_ms(spec.slo_latency_ms)} threshold")
        if reading.ready < spec.replicas:
            parts.append(f"{reading.ready}/{spec.replicas} replicas ready")
        return "; ".join(parts)

    # -- health history -------------------------------------------------------------------------
    def health(self, step: int) -> tuple[HealthSample, ...]:
        """The `HEALTH_SAMPLES` samples up to health step `step` of every deployment, oldest first."""
        return tuple(
            self._sample(index, past)
            for index in range(len(DEPLOYMENTS))
            for past in range(step - HEALTH_SAMPLES + 1, step + 1)
        )

    def _sample(self, index: int, step: int) -> HealthSample:
        key = (index, step)
        hit = self._samples.get(key)
        if hit is None:
            ts = step * HEALTH_STEP
            reading = self.reading(index, ts)
            hit = HealthSample(
                deployment=DEPLOYMENTS[index].name,
                time=ts_to_dt(ts),
                requests_per_second=reading.rps,
                error_rate=reading.error_rate,
                latency_p50_ms=reading.p50_ms,
                latency_p95_ms=reading.latency_ms,
                ready=reading.ready > 0,
            )
            if len(self._samples) > 5000:
                self._samples = {
                    held: sample for held, sample in self._samples.items() if held[1] > step - 2 * HEALTH_SAMPLES
                }
            self._samples[key] = hit
        return hit


def _health(spec: DeploymentSpec, latency: float | None, error: float | None, ready: int) -> DeploymentHealth:
    if ready == 0 or (error is not None and error >= 0.25):
        return DeploymentHealth.DOWN
    if (
        ready < spec.replicas
        or (latency is not None and latency > spec.slo_latency_ms)
        or (error is not None and error > ERROR_WARN)
    ):
        return DeploymentHealth.DEGRADED
    return DeploymentHealth.HEALTHY
