"""The demo world: a deterministic, living ML estate on a simulated clock. No I/O.

Everything that changes with time is a pure function of (seed, entity, time bucket):
deployment metrics, incidents, drift scores, and so the alerts derived from them. The
only state is what users change (promotions, aliases, silences) and the run history,
which is built once. Results are cached per time bucket, so repeated reads in the same
bucket return the very same tuples (callers use identity to skip work).
"""

from __future__ import annotations

import hashlib
import math
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timezone
from urllib.parse import quote

from mlops_tui.backends.demo import _rand
from mlops_tui.backends.demo.catalog import (
    APPROVERS,
    CI_USER,
    DEPLOYMENTS,
    ERROR_CRIT,
    ERROR_WARN,
    EXPERIMENT_BY_NAME,
    EXPERIMENTS,
    FEATURES,
    METHODS,
    MODELS,
    PREDICTION_FEATURE,
    PROMETHEUS_BASE,
    PROMOTION_NOTES,
    REJECT_REASONS,
    RUNBOOK_BASE,
    TEAM_BY_MODEL,
    USERS,
    DeploymentSpec,
    FeatureSpec,
    ModelSpec,
    Timing,
)
from mlops_tui.backends.demo.runs import ReservedRun, RunBook, run_ids, ts_to_dt
from mlops_tui.backends.errors import BackendError, NotFound, PromotionConflict
from mlops_tui.domain import (
    Alert,
    AlertState,
    Deployment,
    DeploymentHealth,
    DriftScore,
    Event,
    EventKind,
    Experiment,
    HealthSample,
    Matcher,
    MetricPoint,
    ModelVersion,
    PromotionRequest,
    PromotionState,
    RegisteredModel,
    Run,
    Silence,
    SilenceState,
)

UTC = timezone.utc
HOUR = 3600.0
DAY = 86400.0

METRIC_BUCKET = 15.0  # deployment metrics change every 15 simulated seconds
HEALTH_STEP = 60.0  # one health sample a simulated minute
HEALTH_SAMPLES = 30
INCIDENT_WINDOW = 1800.0  # at most one incident per deployment per 30 simulated minutes
DRIFT_STEP = 300.0  # drift is evaluated every 5 simulated minutes
DRIFT_SAMPLES = 24
EVENT_HORIZON = DAY  # list_events returns the last 24 simulated hours
SILENCE_RETENTION = DAY  # expired silences stay listed this long
ALIAS_ORDER = ("champion", "challenger")
_WALL_SLACK = 300.0  # a silence starting within 5 min of the wall clock means "from now"

# kind -> (alertname, share of incidents)
_INCIDENT_KINDS = (
    ("latency", "ModelLatencyHigh", 0.45),
    ("errors", "ModelErrorRateHigh", 0.30),
    ("replicas", "DeploymentNotReady", 0.25),
)


def _as_utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def fingerprint(labels: dict[str, str]) -> str:
    """Stable id of an alert: a sha1 prefix over its sorted label set."""
    text = "\x1f".join(f"{k}={v}" for k, v in sorted(labels.items()))
    return hashlib.sha1(text.encode()).hexdigest()[:16]


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

    latency_ms: float | None
    error_rate: float | None
    ready: int
    rps: float
    health: DeploymentHealth
    incident: Incident | None


@dataclass(frozen=True, slots=True)
class _Feature:
    model: str
    spec: FeatureSpec
    threshold: float
    higher_is_drift: bool
    level: float
    amp1: float
    amp2: float
    period1: float
    period2: float
    phase1: float
    phase2: float
    noise: float
    key: int

    def smooth(self, b: int) -> float:
        """The score's driver `z` in drift bucket `b` without its noise (|noise| < `noise`)."""
        tb = b * DRIFT_STEP
        return (
            self.level
            + self.amp1 * math.sin(math.tau * tb / self.period1 + self.phase1)
            + self.amp2 * math.sin(math.tau * tb / self.period2 + self.phase2)
        )

    def raw_score(self, z: float) -> float:
        """The unrounded score for a driver `z`: drift once z > 1 (increasing in z when
        higher_is_drift, else a p-value that falls with z)."""
        z = max(0.02, z)
        return self.threshold * z if self.higher_is_drift else min(1.0, self.threshold**z)


class DemoWorld:
    """A simulated estate. `now` runs at `speed` simulated seconds per real second."""

    def __init__(
        self,
        seed: int = 7,
        runs: int = 300,
        speed: float = 1.0,
        epoch: datetime | None = None,
        backend: str = "demo",
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if runs < 0:
            raise ValueError("runs must be >= 0")
        if speed < 0:
            raise ValueError("speed must be >= 0")
        self.seed = seed
        self.run_count = runs
        self.speed = speed
        self.backend = backend
        self.epoch = _as_utc(epoch) if epoch is not None else datetime.now(UTC)
        self._epoch_ts = self.epoch.timestamp()
        self._clock = clock
        self._t0 = clock()
        self._offset = 0.0

        self._experiments = tuple(
            Experiment(
                id=e.id,
                name=e.name,
                backend=backend,
                tags={"team": e.team, "task": e.task, "mlflow.note.content": e.description},
            )
            for e in EXPERIMENTS
        )

        # registry state (changed by promotions)
        self._versions: dict[str, list[ModelVersion]] = {}
        self._aliases: dict[str, dict[str, int]] = {}
        self._requests: list[PromotionRequest] = []
        self._registry_events: list[Event] = []
        self._registry_rev = 0
        self._registry_cache: tuple[int, tuple, tuple, tuple] | None = None
        reserved = self._build_registry()

        # runs: built once, lazily (100k take a second or two)
        self._runbook = RunBook(seed, runs, self._epoch_ts, backend, reserved)
        self._runs_lock = threading.Lock()
        self._runs: tuple[Run, ...] | None = None

        # deployments, drift: memoised pure functions of time
        self._incidents: dict[tuple[int, int], Incident | None] = {}
        self._readings: dict[tuple[int, int], Reading] = {}
        self._samples: dict[tuple[int, int], HealthSample] = {}
        self._deploy_phase = [
            (
                _rand.unit(seed, "phase", d.name, 1) * math.tau,
                _rand.unit(seed, "phase", d.name, 2) * math.tau,
                (20.0 + 30.0 * _rand.unit(seed, "period", d.name)) * 60.0,
            )
            for d in DEPLOYMENTS
        ]
        # each deployment's incident windows start at its own offset, so that no moment
        # (say, every full hour) is calm everywhere at once
        self._window_shift = [
            METRIC_BUCKET * int(_rand.unit(seed, "window", d.name) * INCIDENT_WINDOW / METRIC_BUCKET)
            for d in DEPLOYMENTS
        ]
        self._deploy_keys = [tuple(_rand.derive(seed, "metric", d.name, i) for i in (1, 2, 3)) for d in DEPLOYMENTS]
        self._features = self._build_features()
        self._drift: dict[tuple[int, int], DriftScore] = {}
        self._scores: dict[tuple[int, int], float] = {}
        self._incident_events: dict[tuple[int, int], tuple[Event, ...]] = {}
        self._drift_events: tuple[int, tuple[Event, ...]] | None = None
        self._crossings: dict[tuple[int, int], Event] = {}

        # silences
        self._silences: dict[str, Silence] = {}
        self._silence_counter = 0
        self._silence_rev = 0
        self._seed_silences()

        # per-bucket caches: key -> tuple
        self._cache: dict[str, tuple[object, tuple]] = {}

    # -- the clock ------------------------------------------------------------------------
    def now_ts(self) -> float:
        return self._epoch_ts + self.speed * (self._clock() - self._t0) + self._offset

    @property
    def now(self) -> datetime:
        """The simulated time: epoch + speed x real elapsed seconds + advanced seconds."""
        return ts_to_dt(self.now_ts())

    def advance(self, seconds: float) -> datetime:
        """Move simulated time forward explicitly (tests, or a fast-forward key)."""
        if seconds < 0:
            raise ValueError("time only moves forward")
        self._offset += seconds
        return self.now

    def _cached(self, name: str, key: object, build: Callable[[], tuple]) -> tuple:
        """The tuple built for `key`; when a new key builds the same content, the old tuple."""
        hit = self._cache.get(name)
        if hit is not None and hit[0] == key:
            return hit[1]
        value = build()
        if hit is not None and _same(hit[1], value):
            value = hit[1]
        self._cache[name] = (key, value)
        return value

    # -- runs -----------------------------------------------------------------------------
    @property
    def runs_built(self) -> bool:
        return self._runs is not None

    def ensure_runs(self) -> None:
        """Build the run history if not yet built (thread-safe; may run in a worker thread)."""
        if self._runs is not None:
            return
        with self._runs_lock:
            if self._runs is None:
                self._runbook.build()
                self._runs = tuple(self._runbook.runs)

    def experiments(self) -> tuple[Experiment, ...]:
        return self._experiments

    def runs(self) -> tuple[Run, ...]:
        """Every run, newest first; the same tuple object until some run changes."""
        self.ensure_runs()
        if self._runbook.pending and self._runbook.finish_due(self.now_ts()):
            self._runs = tuple(self._runbook.runs)
        assert self._runs is not None
        return self._runs

    def metric_history(self, run_id: str, key: str) -> tuple[MetricPoint, ...]:
        self.runs()
        run = self._runbook.find(run_id)
        if run is None:
            raise NotFound(f"no run {run_id!r}")
        return self._runbook.metric_history(run, key)

    # -- registry -------------------------------------------------------------------------
    def _build_registry(self) -> list[ReservedRun]:
        """Replay ~90 days of registry history; returns the runs the versions came from."""
        seed, epoch = self.seed, self._epoch_ts
        total = sum(m.version_count for m in MODELS)
        ids = run_ids(seed, min(total, self.run_count))
        reserved: list[ReservedRun] = []
        script: list[tuple[float, int, Callable[[float], None]]] = []
        order = 0

        def at(ts: float, fn: Callable[[float], None]) -> None:
            nonlocal order
            script.append((ts, order, fn))
            order += 1

        for spec in MODELS:
            self._versions[spec.name] = []
            self._aliases[spec.name] = {}
            exp = EXPERIMENT_BY_NAME[spec.experiment]
            r = _rand.rng(seed, "registry", spec.name)
            timings = _version_timings(spec, r)
            for k, timing in enumerate(timings, start=1):
                created = epoch - timing.created_h * HOUR
                j = len(reserved)
                user = timing.requester or r.choice(USERS[:6])
                reserved.append(ReservedRun(exp, spec.family, created - (0.5 + 5.5 * r.random()) * HOUR, user))
                run_id = ids[j] if j < len(ids) else ""
                at(created, _bind(self._add_version, spec, k, user, run_id))
                outcome = "" if k == 1 else spec.plan[k - 2]
                if outcome in ("A", "R", "P") and timing.requested_h is not None:
                    requester = timing.requester or r.choice(USERS)
                    note = timing.note or r.choice(PROMOTION_NOTES)
                    req = PromotionRequest(
                        model=spec.name,
                        version=str(k),
                        target="champion",
                        requester=requester,
                        requested_at=ts_to_dt(epoch - timing.requested_h * HOUR),
                        note=note,
                        backend=self.backend,
                    )
                    at(epoch - timing.requested_h * HOUR, _bind(self._add_request, req))
                    if outcome in ("A", "R") and timing.decided_h is not None:
                        decider = timing.decider or r.choice(APPROVERS)
                        decided = epoch - timing.decided_h * HOUR
                        if outcome == "A":
                            at(decided, _bind(self._decide, req, decider, ts_to_dt(decided), True, ""))
                        else:
                            reason = timing.reason or r.choice(REJECT_REASONS)
                            at(decided, _bind(self._decide, req, decider, ts_to_dt(decided), False, reason))
        for ts, _, fn in sorted(script, key=lambda s: (s[0], s[1])):
            fn(ts)
        return reserved

    def _add_version(self, spec: ModelSpec, k: int, user: str, run_id: str, ts: float) -> None:
        exp = EXPERIMENT_BY_NAME[spec.experiment]
        version = ModelVersion(
            model=spec.name,
            version=str(k),
            status="READY",
            tags={
                "framework": spec.family,
                "validation_status": "passed",
                "team": exp.team,
            },
            run_id=run_id,
            source=f"mlflow-artifacts:/{exp.id}/{run_id or 'unknown'}/artifacts/model",
            created=ts_to_dt(ts),
            user=user,
            backend=self.backend,
        )
        self._versions[spec.name].append(version)
        self._event(ts, spec.name, EventKind.NEW_VERSION, f"{spec.name} v{k} registered by {user}")
        if k == 1:
            self._move_alias(spec.name, "champion", 1, CI_USER, ts)
        self._move_alias(spec.name, "challenger", k, CI_USER, ts)

    def _add_request(self, request: PromotionRequest, ts: float) -> None:
        self._requests.append(request)
        text = f"{request.requester} requested v{request.version} -> {request.target}"
        if request.note:
            text += f": {request.note}"
        self._event(ts, request.model, EventKind.PROMOTION, text)
        self._registry_rev += 1

    def _decide(
        self, request: PromotionRequest, approver: str, decided_at: datetime, approve: bool, reason: str, ts: float
    ) -> None:
        i = self._find_request(request)
        stored = self._requests[i]
        updated = stored.model_copy(
            update={
                "state": PromotionState.APPROVED if approve else PromotionState.REJECTED,
                "decided_by": approver,
                "decided_at": decided_at,
                "reason": reason,
            }
        )
        self._requests[i] = updated
        if approve:
            self._event(
                ts, request.model, EventKind.PROMOTION, f"{approver} approved v{request.version} -> {request.target}"
            )
            self._move_alias(request.model, request.target, int(request.version), approver, ts)
        else:
            text = f"{approver} rejected v{request.version} -> {request.target}"
            self._event(ts, request.model, EventKind.PROMOTION, f"{text}: {reason}" if reason else text)
        self._registry_rev += 1

    def _find_request(self, request: PromotionRequest) -> int:
        for i in range(len(self._requests) - 1, -1, -1):
            r = self._requests[i]
            if (r.model, r.version, r.target) == (request.model, request.version, request.target):
                if r.state == PromotionState.PENDING:
                    return i
        for i in range(len(self._requests) - 1, -1, -1):
            r = self._requests[i]
            if (r.model, r.version, r.target, r.requested_at) == (
                request.model,
                request.version,
                request.target,
                request.requested_at,
            ):
                return i
        return -1

    def _move_alias(self, model: str, alias: str, k: int, by: str, ts: float) -> None:
        aliases = self._aliases[model]
        old = aliases.get(alias)
        aliases[alias] = k
        versions = self._versions[model]
        for v in {old, k} - {None}:
            assert v is not None
            held = tuple(a for a in _alias_order(aliases) if aliases[a] == v)
            versions[v - 1] = versions[v - 1].model_copy(update={"aliases": held})
        self._registry_rev += 1
        if old is None:
            text = f"{alias} set to v{k} by {by}"
        elif old == k:
            text = f"{alias} stays on v{k} ({by})"
        else:
            text = f"{alias} moved v{old} -> v{k} by {by}"
        self._event(ts, model, EventKind.ALIAS_MOVED, text)

    def _event(self, ts: float, model: str, kind: EventKind, text: str, deployment: str = "") -> None:
        self._registry_events.append(
            Event(time=ts_to_dt(ts), model=model, kind=kind, text=text, deployment=deployment, backend=self.backend)
        )

    def _registry(self) -> tuple[tuple, tuple, tuple]:
        cache = self._registry_cache
        if cache is not None and cache[0] == self._registry_rev:
            return cache[1], cache[2], cache[3]
        models = tuple(
            RegisteredModel(
                name=spec.name,
                description=spec.description,
                aliases={a: str(self._aliases[spec.name][a]) for a in _alias_order(self._aliases[spec.name])},
                latest_version=self._versions[spec.name][-1].version,
                tags={"team": TEAM_BY_MODEL[spec.name], "experiment": spec.experiment, "framework": spec.family},
                backend=self.backend,
            )
            for spec in MODELS
        )
        versions = tuple(v for spec in MODELS for v in self._versions[spec.name])
        promotions = tuple(sorted(self._requests, key=lambda r: r.requested_at))
        self._registry_cache = (self._registry_rev, models, versions, promotions)
        return models, versions, promotions

    def models(self) -> tuple[RegisteredModel, ...]:
        return self._registry()[0]

    def versions(self) -> tuple[ModelVersion, ...]:
        return self._registry()[1]

    def promotions(self) -> tuple[PromotionRequest, ...]:
        return self._registry()[2]

    def alias_holder(self, model: str, alias: str) -> str | None:
        if model not in self._aliases:
            raise NotFound(f"no registered model {model!r}")
        k = self._aliases[model].get(alias)
        return None if k is None else str(k)

    def _check_version(self, model: str, version: str) -> int:
        if model not in self._versions:
            raise NotFound(f"no registered model {model!r}")
        try:
            k = int(version)
        except ValueError:
            raise NotFound(f"{model} has no version {version!r}") from None
        if not 1 <= k <= len(self._versions[model]):
            raise NotFound(f"{model} has no version {version!r}")
        return k

    def request_promotion(self, request: PromotionRequest) -> None:
        self._check_version(request.model, request.version)
        for r in self._requests:
            if r.state == PromotionState.PENDING and (r.model, r.version, r.target) == (
                request.model,
                request.version,
                request.target,
            ):
                return  # already pending: asking twice is asking once
        stored = request.model_copy(
            update={
                "state": PromotionState.PENDING,
                "decided_by": "",
                "decided_at": None,
                "reason": "",
                "requested_at": _as_utc(request.requested_at),
                "backend": self.backend,
            }
        )
        self._add_request(stored, self.now_ts())

    def approve_promotion(self, request: PromotionRequest, approver: str, at: datetime) -> None:
        self._decide_runtime(request, approver, at, True, "")

    def reject_promotion(self, request: PromotionRequest, approver: str, at: datetime, reason: str) -> None:
        self._decide_runtime(request, approver, at, False, reason)

    def _decide_runtime(
        self, request: PromotionRequest, approver: str, at: datetime, approve: bool, reason: str
    ) -> None:
        self._check_version(request.model, request.version)
        i = self._find_request(request)
        if i < 0:  # a request this world never saw: record it, then decide it
            self._add_request(
                request.model_copy(update={"state": PromotionState.PENDING, "backend": self.backend}),
                self.now_ts(),
            )
        else:
            stored = self._requests[i]
            if stored.state != PromotionState.PENDING:
                raise PromotionConflict(
                    f"{stored.model} v{stored.version} -> {stored.target} was already "
                    f"{stored.state.value} by {stored.decided_by or 'someone'}"
                )
        self._decide(request, approver, _as_utc(at), approve, reason, self.now_ts())

    # -- deployments ----------------------------------------------------------------------
    def _incident(self, d: int, window: int) -> Incident | None:
        key = (d, window)
        if key in self._incidents:
            return self._incidents[key]
        spec = DEPLOYMENTS[d]
        r = _rand.rng(self.seed, "incident", spec.name, window)
        incident = None
        if r.random() < spec.incident_rate:
            duration = METRIC_BUCKET * round((360.0 + 1320.0 * r.random()) / METRIC_BUCKET)
            offset = METRIC_BUCKET * int(r.random() * (INCIDENT_WINDOW - duration) / METRIC_BUCKET)
            x, acc = r.random(), 0.0
            kind, alertname = _INCIDENT_KINDS[-1][:2]
            for k, name, share in _INCIDENT_KINDS:
                acc += share
                if x < acc:
                    kind, alertname = k, name
                    break
            severity = "critical" if r.random() < 0.72 else "warning"
            start = self._window_shift[d] + window * INCIDENT_WINDOW + offset
            incident = Incident(d, kind, alertname, severity, start, start + duration, r.random())
        if len(self._incidents) > 20000:
            self._incidents.clear()
        self._incidents[key] = incident
        return incident

    def _window(self, d: int, ts: float) -> int:
        return int((ts - self._window_shift[d]) // INCIDENT_WINDOW)

    def _active_incident(self, d: int, ts: float) -> Incident | None:
        inc = self._incident(d, self._window(d, ts))
        if inc is not None and inc.start <= ts < inc.end:
            return inc
        return None

    def reading(self, d: int, ts: float) -> Reading:
        """Deployment `d`'s metrics in the bucket holding `ts`."""
        b = int(ts // METRIC_BUCKET)
        key = (d, b)
        hit = self._readings.get(key)
        if hit is not None:
            return hit
        spec = DEPLOYMENTS[d]
        tb = b * METRIC_BUCKET
        ph1, ph2, period = self._deploy_phase[d]
        diurnal = math.sin(math.tau * tb / DAY + ph1)
        wave = math.sin(math.tau * tb / period + ph2)
        k1, k2, k3 = self._deploy_keys[d]
        n1, n2, n3 = _rand.mix(k1, b), _rand.mix(k2, b), _rand.mix(k3, b)
        rps = spec.base_rps * (1.0 + 0.35 * diurnal + 0.05 * wave + 0.04 * n1)
        latency: float | None = spec.base_latency_ms * (1.0 + 0.12 * diurnal + 0.1 * wave + 0.05 * n2)
        error: float | None = spec.base_error_rate * (1.0 + 0.4 * wave + 0.3 * n3)
        ready = spec.replicas
        inc = self._active_incident(d, tb)
        if inc is not None:
            m, crit = inc.magnitude, inc.severity == "critical"
            if inc.kind == "latency":
                latency = spec.slo_latency_ms * ((2.1 + 1.4 * m) if crit else (1.15 + 0.45 * m)) * (1 + 0.04 * n2)
            elif inc.kind == "errors":
                error = (ERROR_CRIT * 1.2 + 0.14 * m) if crit else (ERROR_WARN * 1.25 + 0.015 * m)
                error *= 1.0 + 0.05 * n3
                latency = latency * 1.1
            elif crit:
                ready, latency, error, rps = 0, None, None, 0.0
            else:
                ready = max(1, spec.replicas - 1 - int(m * (spec.replicas // 2)))
                latency = latency * (1.0 + 0.3 * (spec.replicas - ready) / spec.replicas)
        health = _health(spec, latency, error, ready)
        reading = Reading(
            None if latency is None else round(latency, 1),
            None if error is None else round(error, 5),
            ready,
            round(rps, 1),
            health,
            inc,
        )
        if len(self._readings) > 20000:
            self._readings.clear()
        self._readings[key] = reading
        return reading

    def deployments(self) -> tuple[Deployment, ...]:
        ts = self.now_ts()
        key = (int(ts // METRIC_BUCKET), self._registry_rev)
        return self._cached("deployments", key, lambda: tuple(self._deployment(d, ts) for d in range(len(DEPLOYMENTS))))

    def _deployment(self, d: int, ts: float) -> Deployment:
        spec = DEPLOYMENTS[d]
        reading = self.reading(d, ts)
        return Deployment(
            name=spec.name,
            model=spec.model,
            version=self.alias_holder(spec.model, spec.alias) or "",
            endpoint=spec.endpoint,
            environment=spec.environment,
            health=reading.health,
            ready_replicas=reading.ready,
            replicas=spec.replicas,
            latency_p95_ms=reading.latency_ms,
            error_rate=reading.error_rate,
            requests_per_second=reading.rps,
            backend=self.backend,
        )

    def health(self) -> tuple[HealthSample, ...]:
        """The last 30 one-minute samples of every deployment, oldest first per deployment."""
        minute = int(self.now_ts() // HEALTH_STEP)
        return self._cached(
            "health",
            minute,
            lambda: tuple(
                self._sample(d, m)
                for d in range(len(DEPLOYMENTS))
                for m in range(minute - HEALTH_SAMPLES + 1, minute + 1)
            ),
        )

    def _sample(self, d: int, minute: int) -> HealthSample:
        key = (d, minute)
        hit = self._samples.get(key)
        if hit is None:
            ts = minute * HEALTH_STEP
            r = self.reading(d, ts)
            hit = HealthSample(
                deployment=DEPLOYMENTS[d].name,
                time=ts_to_dt(ts),
                latency_p95_ms=r.latency_ms,
                error_rate=r.error_rate,
                ready=r.ready > 0,
            )
            if len(self._samples) > 5000:
                self._samples = {k: v for k, v in self._samples.items() if k[1] > minute - 2 * HEALTH_SAMPLES}
            self._samples[key] = hit
        return hit

    # -- drift ----------------------------------------------------------------------------
    def _build_features(self) -> tuple[_Feature, ...]:
        out = []
        for spec in MODELS:
            for f in FEATURES[spec.name]:
                threshold, hib = METHODS[f.method]
                r = _rand.rng(self.seed, "feature", spec.name, f.name)
                if f.susceptible:
                    level, amp1, amp2, noise = 0.58 + 0.06 * r.random(), 0.42, 0.2, 0.03
                else:
                    level, amp1, amp2, noise = 0.25 + 0.25 * r.random(), 0.12, 0.05, 0.04
                out.append(
                    _Feature(
                        spec.name,
                        f,
                        threshold,
                        hib,
                        level,
                        amp1,
                        amp2,
                        (3.0 + 6.0 * r.random()) * HOUR,
                        (1.0 + 1.5 * r.random()) * HOUR,
                        r.random() * math.tau,
                        r.random() * math.tau,
                        noise,
                        _rand.derive(self.seed, "drift", spec.name, f.name),
                    )
                )
        return tuple(out)

    def _score(self, f: int, b: int) -> float:
        """Feature `f`'s raw score in drift bucket `b` (memoised)."""
        key = (f, b)
        hit = self._scores.get(key)
        if hit is not None:
            return hit
        feat = self._features[f]
        score = float(f"{feat.raw_score(feat.smooth(b) + feat.noise * _rand.mix(feat.key, b)):.3g}")
        if len(self._scores) > 60000:
            self._scores = {k: v for k, v in self._scores.items() if k[1] > b - 400}
        self._scores[key] = score
        return score

    def _drifted(self, f: int, b: int) -> bool:
        feat, score = self._features[f], self._score(f, b)
        return score > feat.threshold if feat.higher_is_drift else score < feat.threshold

    def _drifted_range(self, f: int, first: int, last: int) -> list[bool]:
        """`_drifted(f, b)` for every bucket from `first` to `last`, without memoising each.

        The first poll asks for a day of buckets per feature (~8,600 scores). Rounding to 3
        significant digits moves a score by under 1%, so only a score within 1% of the
        threshold is rounded (and memoised) by `_score`; elsewhere the raw score decides.
        And since the noise term is bounded (|mix| < 1), most buckets are decided from the
        smooth part alone, without drawing their noise.
        """
        feat = self._features[f]
        threshold, hib, noise = feat.threshold, feat.higher_is_drift, feat.noise
        zone_low, zone_high = 0.99 * threshold, threshold / 0.99  # where rounding can matter
        out = []
        for b in range(first, last + 1):
            score = self._scores.get((f, b))
            if score is None:
                smooth = feat.smooth(b)
                # the scores the noise can give lie between these two (hib: increasing in z)
                low, high = feat.raw_score(smooth - noise), feat.raw_score(smooth + noise)
                low, high = (low, high) if hib else (high, low)
                if low > zone_high or high < zone_low:
                    out.append((low > threshold) == hib)
                    continue
                score = feat.raw_score(smooth + noise * _rand.mix(feat.key, b))
                if zone_low <= score <= zone_high:
                    score = self._score(f, b)
            out.append(score > threshold if hib else score < threshold)
        return out

    def drift_score(self, f: int, b: int) -> DriftScore:
        """Feature `f`'s score in drift bucket `b`."""
        key = (f, b)
        hit = self._drift.get(key)
        if hit is not None:
            return hit
        feat = self._features[f]
        hit = DriftScore(
            model=feat.model,
            feature=feat.spec.name,
            score=self._score(f, b),
            threshold=feat.threshold,
            method=feat.spec.method,
            time=ts_to_dt(b * DRIFT_STEP),
            higher_is_drift=feat.higher_is_drift,
            source="evidently",
            backend=self.backend,
        )
        if len(self._drift) > 5000:
            self._drift = {k: v for k, v in self._drift.items() if k[1] > b - 2 * DRIFT_SAMPLES}
        self._drift[key] = hit
        return hit

    def drift(self) -> tuple[DriftScore, ...]:
        """The last 24 scores (5-minute spacing) of every feature, oldest first per feature."""
        b = int(self.now_ts() // DRIFT_STEP)
        return self._cached(
            "drift",
            b,
            lambda: tuple(
                self.drift_score(f, k) for f in range(len(self._features)) for k in range(b - DRIFT_SAMPLES + 1, b + 1)
            ),
        )

    def _drift_streak_start(self, f: int, b: int) -> int:
        """First bucket of the drifted streak that includes bucket b."""
        start = b
        for k in range(b - 1, b - 289, -1):
            if not self._drifted(f, k):
                break
            start = k
        return start

    # -- alerts ---------------------------------------------------------------------------
    def alerts(self) -> tuple[Alert, ...]:
        ts = self.now_ts()
        active = tuple(s.id for s in self._current_silences(ts) if s.state == SilenceState.ACTIVE)
        key = (int(ts // METRIC_BUCKET), int(ts // DRIFT_STEP), active, self._registry_rev, self._silence_rev)
        return self._cached("alerts", key, lambda: self._build_alerts(ts))

    def _build_alerts(self, ts: float) -> tuple[Alert, ...]:
        raw: list[tuple[dict[str, str], dict[str, str], float, str]] = []
        for d, spec in enumerate(DEPLOYMENTS):
            reading = self.reading(d, ts)
            inc = reading.incident
            if inc is not None:
                raw.append(self._incident_alert(spec, inc, reading))
        b = int(ts // DRIFT_STEP)
        for f, feat in enumerate(self._features):
            score = self.drift_score(f, b)
            if score.drifted:
                start = self._drift_streak_start(f, b) * DRIFT_STEP
                raw.append(self._drift_alert(feat, score, start))
        for spec in MODELS:
            champion = self._aliases[spec.name].get("champion")
            if champion is None:
                continue
            created = self._versions[spec.name][champion - 1].created
            assert created is not None
            stale_at = created.timestamp() + spec.stale_days * DAY
            if stale_at <= ts:
                age = (ts - created.timestamp()) / DAY
                labels = {
                    "alertname": "ModelStale",
                    "severity": "info",
                    "model": spec.name,
                    "team": TEAM_BY_MODEL[spec.name],
                }
                ann = {
                    "summary": f"{spec.name} champion v{champion} is {age:.0f} days old",
                    "description": f"The champion of {spec.name} was trained more than {spec.stale_days:.0f} days "
                    "ago; schedule a retrain or promote the challenger.",
                }
                expr = f'model_version_age_days{{model="{spec.name}",alias="champion"}} > {spec.stale_days:.0f}'
                raw.append((labels, ann, stale_at, expr))

        silences = [s for s in self._current_silences(ts) if s.state == SilenceState.ACTIVE]
        alerts = []
        for labels, annotations, starts, expr in raw:
            name = labels["alertname"]
            annotations.setdefault("runbook_url", f"{RUNBOOK_BASE}/{_kebab(name)}")
            silenced_by = tuple(s.id for s in silences if s.matches(labels))
            alerts.append(
                Alert(
                    fingerprint=fingerprint(labels),
                    labels=labels,
                    annotations=annotations,
                    starts_at=ts_to_dt(starts),
                    state=AlertState.SUPPRESSED if silenced_by else AlertState.FIRING,
                    silenced_by=silenced_by,
                    generator_url=f"{PROMETHEUS_BASE}/graph?g0.expr={quote(expr, safe='')}&g0.tab=1",
                    backend=self.backend,
                )
            )
        alerts.sort(key=lambda a: (a.severity.rank, a.starts_at, a.fingerprint))
        return tuple(alerts)

    def _incident_alert(
        self, spec: DeploymentSpec, inc: Incident, reading: Reading
    ) -> tuple[dict[str, str], dict[str, str], float, str]:
        labels = {
            "alertname": inc.alertname,
            "severity": inc.severity,
            "model": spec.model,
            "deployment": spec.name,
            "environment": spec.environment,
            "team": TEAM_BY_MODEL[spec.model],
        }
        sel = f'deployment="{spec.name}"'
        if inc.kind == "latency":
            limit = spec.slo_latency_ms * (2.0 if inc.severity == "critical" else 1.0)
            summary = f"p95 latency of {spec.name} is {reading.latency_ms:.0f} ms (SLO {spec.slo_latency_ms:.0f} ms)"
            description = (
                f"{spec.name} serving {spec.model} has answered slower than {limit:.0f} ms at p95 "
                "for more than 5 minutes."
            )
            expr = (
                f"histogram_quantile(0.95, sum by (le) (rate(model_request_duration_seconds_bucket{{{sel}}}[5m])))"
                f" > {limit / 1000:g}"
            )
        elif inc.kind == "errors":
            limit = ERROR_CRIT if inc.severity == "critical" else ERROR_WARN
            summary = f"{spec.name} is failing {100 * (reading.error_rate or 0):.1f}% of requests"
            description = f"Error rate of {spec.name} above {100 * limit:.0f}% for 5 minutes."
            expr = (
                f'sum(rate(model_requests_total{{{sel},code=~"5.."}}[5m])) / '
                f"sum(rate(model_requests_total{{{sel}}}[5m])) > {limit:g}"
            )
        else:
            summary = f"{spec.name} has {reading.ready}/{spec.replicas} replicas ready"
            description = f"Pods of {spec.name} are not ready; the model may be unavailable or under capacity."
            expr = f"kube_deployment_status_replicas_ready{{{sel}}} < kube_deployment_spec_replicas{{{sel}}}"
        return labels, {"summary": summary, "description": description}, inc.start, expr

    def _drift_alert(
        self, feat: _Feature, score: DriftScore, start: float
    ) -> tuple[dict[str, str], dict[str, str], float, str]:
        prediction = feat.spec.name == PREDICTION_FEATURE
        labels = {
            "alertname": "PredictionDriftHigh" if prediction else "FeatureDriftDetected",
            "severity": "critical" if prediction else "warning",
            "kind": "drift",
            "model": feat.model,
            "feature": feat.spec.name,
            "team": TEAM_BY_MODEL[feat.model],
        }
        cmp = ">" if feat.higher_is_drift else "<"
        what = "prediction distribution" if prediction else f"feature {feat.spec.name}"
        summary = f"{what} of {feat.model} drifted ({feat.spec.method} {score.score:g} {cmp} {feat.threshold:g})"
        description = (
            f"The {feat.spec.method} statistic between the training reference and the last hour of "
            f"traffic for {what} of {feat.model} crossed its threshold."
        )
        expr = f'model_drift_score{{model="{feat.model}",feature="{feat.spec.name}"}} {cmp} {feat.threshold:g}'
        return labels, {"summary": summary, "description": description}, start, expr

    # -- silences -------------------------------------------------------------------------
    def _seed_silences(self) -> None:
        e = self._epoch_ts
        self._store_silence(
            Silence(
                id="",
                matchers=(
                    Matcher(name="alertname", value="DeploymentNotReady"),
                    Matcher(name="deployment", value="churn-batch-scorer"),
                ),
                starts_at=ts_to_dt(e - HOUR),
                ends_at=ts_to_dt(e + 3 * HOUR),
                created_by="dave",
                comment="Batch node pool is being drained for the cluster upgrade.",
            )
        )
        self._store_silence(
            Silence(
                id="",
                matchers=(
                    Matcher(name="alertname", value="ModelLatencyHigh"),
                    Matcher(name="deployment", value="ranker-online"),
                ),
                starts_at=ts_to_dt(e - 6 * HOUR),
                ends_at=ts_to_dt(e - 5 * HOUR),
                created_by="carol",
                comment="ACK! looking at the GPU node pool",
            )
        )

    def _next_silence_id(self) -> str:
        self._silence_counter += 1
        digest = hashlib.blake2b(repr((self.seed, "silence", self._silence_counter)).encode(), digest_size=16)
        return str(uuid.UUID(bytes=digest.digest(), version=4))

    def _store_silence(self, silence: Silence) -> str:
        sid = silence.id if silence.id in self._silences else self._next_silence_id()
        self._silences[sid] = silence.model_copy(update={"id": sid, "backend": self.backend})
        self._silence_rev += 1
        return sid

    def _current_silences(self, ts: float) -> list[Silence]:
        out = []
        for s in self._silences.values():
            state = _silence_state(s, ts)
            out.append(s if s.state == state else s.model_copy(update={"state": state}))
        return out

    def silences(self) -> tuple[Silence, ...]:
        """Active, pending and recently expired silences."""
        ts = self.now_ts()
        current = [
            s
            for s in self._current_silences(ts)
            if s.state != SilenceState.EXPIRED or s.ends_at.timestamp() >= ts - SILENCE_RETENTION
        ]
        key = (self._silence_rev, tuple((s.id, s.state) for s in current))
        return self._cached("silences", key, lambda: tuple(current))

    def create_silence(self, silence: Silence) -> str:
        if not silence.matchers:
            raise BackendError("a silence needs at least one matcher")
        starts, ends = _as_utc(silence.starts_at).timestamp(), _as_utc(silence.ends_at).timestamp()
        if ends <= starts:
            raise BackendError("a silence must end after it starts")
        now = self.now_ts()
        if abs(starts - time.time()) <= _WALL_SLACK:
            # "from now" on the client's wall clock means from now on this world's clock
            starts, ends = now, ends + (now - starts)
        elif starts < now:  # like Alertmanager: a silence cannot start in the past
            starts = now
        if ends <= now:
            raise BackendError("a silence must end in the future")
        stored = silence.model_copy(update={"starts_at": ts_to_dt(starts), "ends_at": ts_to_dt(ends)})
        stored = stored.model_copy(update={"state": _silence_state(stored, now)})
        return self._store_silence(stored)

    def expire_silence(self, silence_id: str) -> None:
        s = self._silences.get(silence_id)
        if s is None:
            raise NotFound(f"no silence {silence_id!r}")
        now = self.now_ts()
        if _silence_state(s, now) == SilenceState.EXPIRED:
            return
        starts = min(s.starts_at, ts_to_dt(now))
        self._silences[silence_id] = s.model_copy(
            update={"starts_at": starts, "ends_at": ts_to_dt(now), "state": SilenceState.EXPIRED}
        )
        self._silence_rev += 1

    # -- events ---------------------------------------------------------------------------
    def events(self) -> tuple[Event, ...]:
        """What happened in the last 24 simulated hours, oldest first."""
        ts = self.now_ts()
        key = (int(ts // METRIC_BUCKET), self._registry_rev, len(self._registry_events))
        return self._cached("events", key, lambda: self._build_events(ts))

    def _build_events(self, ts: float) -> tuple[Event, ...]:
        since = ts - EVENT_HORIZON
        out: list[Event] = [e for e in self._registry_events if since <= e.time.timestamp() <= ts]
        for d in range(len(DEPLOYMENTS)):
            for w in range(self._window(d, since), self._window(d, ts) + 1):
                for e in self._incident_events_for(d, w):
                    if since <= e.time.timestamp() <= ts:
                        out.append(e)
        out.extend(e for e in self._drift_crossings(int(ts // DRIFT_STEP)) if e.time.timestamp() >= since)
        out.sort(key=lambda e: e.time)
        return tuple(out)

    def _incident_events_for(self, d: int, window: int) -> tuple[Event, ...]:
        key = (d, window)
        hit = self._incident_events.get(key)
        if hit is not None:
            return hit
        inc = self._incident(d, window)
        events: tuple[Event, ...] = ()
        if inc is not None:
            spec = DEPLOYMENTS[d]
            reading = self.reading(d, inc.start)
            if inc.kind == "latency":
                what = f"p95 latency {reading.latency_ms:.0f} ms > SLO {spec.slo_latency_ms:.0f} ms"
            elif inc.kind == "errors":
                what = f"error rate {100 * (reading.error_rate or 0):.1f}%"
            else:
                what = f"{reading.ready}/{spec.replicas} replicas ready"
            mk = lambda t, kind, text: Event(  # noqa: E731
                time=ts_to_dt(t), model=spec.model, kind=kind, text=text, deployment=spec.name, backend=self.backend
            )
            evs = [mk(inc.start, EventKind.HEALTH, f"{spec.name} {reading.health.value}: {what}")]
            if inc.severity == "critical":
                evs.append(mk(inc.start, EventKind.ALERT, f"{inc.alertname} (critical) firing for {spec.name}"))
            evs.append(mk(inc.end, EventKind.HEALTH, f"{spec.name} recovered"))
            events = tuple(evs)
        if len(self._incident_events) > 5000:
            self._incident_events.clear()
        self._incident_events[key] = events
        return events

    def _drift_crossings(self, b: int) -> tuple[Event, ...]:
        cached = self._drift_events
        if cached is not None and cached[0] == b:
            return cached[1]
        span = int(EVENT_HORIZON // DRIFT_STEP)
        out = []
        for f, feat in enumerate(self._features):
            flags = self._drifted_range(f, b - span - 1, b)
            before = flags[0]
            for k, drifted in zip(range(b - span, b + 1), flags[1:]):
                if drifted != before:
                    memo = self._crossings.get((f, k))
                    if memo is not None:
                        out.append(memo)
                        before = drifted
                        continue
                    hib = feat.higher_is_drift
                    cmp = (">" if hib else "<") if drifted else ("<=" if hib else ">=")
                    state = "drifted" if drifted else "back within threshold"
                    event = Event(
                        time=ts_to_dt(k * DRIFT_STEP),
                        model=feat.model,
                        kind=EventKind.DRIFT,
                        text=f"{feat.spec.name} {state} ({feat.spec.method} {self._score(f, k):g} {cmp} "
                        f"{feat.threshold:g})",
                        backend=self.backend,
                    )
                    self._crossings[(f, k)] = event
                    out.append(event)
                before = drifted
        if len(self._crossings) > 20000:
            self._crossings = {key: e for key, e in self._crossings.items() if key[1] >= b - span - 1}
        result = tuple(out)
        self._drift_events = (b, result)
        return result

    # -- for tests and tools ----------------------------------------------------------------
    def incidents_between(self, start: datetime, end: datetime) -> list[Incident]:
        """Every deployment incident that overlaps [start, end)."""
        a, z = _as_utc(start).timestamp(), _as_utc(end).timestamp()
        out = []
        for d in range(len(DEPLOYMENTS)):
            for w in range(self._window(d, a), self._window(d, z) + 1):
                inc = self._incident(d, w)
                if inc is not None and inc.start < z and inc.end > a:
                    out.append(inc)
        return out


# -- helpers ----------------------------------------------------------------------------------
def _same(old: tuple, new: tuple) -> bool:
    if len(old) != len(new):
        return False
    if all(a is b for a, b in zip(old, new)):
        return True
    return len(new) <= 64 and old == new


def _bind(fn: Callable[..., None], *args: object) -> Callable[[float], None]:
    return lambda ts: fn(*args, ts)


def _alias_order(aliases: Iterable[str]) -> list[str]:
    return sorted(aliases, key=lambda a: (ALIAS_ORDER.index(a) if a in ALIAS_ORDER else len(ALIAS_ORDER), a))


def _version_timings(spec: ModelSpec, r) -> list[Timing]:
    """Creation / request / decision hours of every version, oldest version first."""
    n = spec.version_count
    recent = list(spec.recent)
    older = n - len(recent)
    first_h, last_h = 88.0 * 24.0, recent[0].created_h if recent else 24.0
    out: list[Timing] = []
    for k in range(1, older + 1):
        gap = (first_h - last_h) / max(1, older)
        created = first_h - (k - 1) * gap - r.random() * 0.25 * gap
        outcome = "" if k == 1 else spec.plan[k - 2]
        if outcome in ("A", "R", "P"):
            requested = created - (6.0 + 24.0 * r.random())
            decided = requested - (2.0 + 18.0 * r.random()) if outcome != "P" else None
            out.append(Timing(created, requested, decided))
        else:
            out.append(Timing(created))
    return out + recent


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


def _silence_state(s: Silence, ts: float) -> SilenceState:
    if s.ends_at.timestamp() <= ts:
        return SilenceState.EXPIRED
    if s.starts_at.timestamp() > ts:
        return SilenceState.PENDING
    return SilenceState.ACTIVE


def _kebab(name: str) -> str:
    out = []
    for i, ch in enumerate(name):
        if ch.isupper() and i:
            out.append("-")
        out.append(ch.lower())
    return "".join(out)


__all__ = ["DemoWorld", "Incident", "Reading", "fingerprint"]
