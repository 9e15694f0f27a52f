"""The demo world: a deterministic, living ML estate on a simulated clock. No I/O.

Everything that changes with time is a pure function of (seed, entity, time bucket):
deployment metrics, incidents, drift scores, and so the alerts derived from them. The
only state is what users change (promotions, aliases, silences) and the run history,
which is built once. Results are cached per time bucket, so repeated reads in the same
bucket return the very same tuples (callers use identity to skip work).

This module joins the parts, one module each: clock.py (simulated time and the bucket
cache), runs.py, registry.py, deployments.py, drift.py, silences.py, alerts.py and
events.py.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import datetime

from mlops_tui import domain
from mlops_tui.backends.demo.alerts import build_alerts, fingerprint
from mlops_tui.backends.demo.catalog import EXPERIMENTS
from mlops_tui.backends.demo.clock import BucketCache, SimClock
from mlops_tui.backends.demo.deployments import (
    HEALTH_STEP,
    METRIC_BUCKET,
    Fleet,
    Incident,
    Reading,
)
from mlops_tui.backends.demo.drift import DRIFT_STEP, Drift, Feature
from mlops_tui.backends.demo.events import EVENT_HORIZON, Timeline
from mlops_tui.backends.demo.registry import Registry
from mlops_tui.backends.demo.runs import RunBook
from mlops_tui.backends.demo.silences import Silences
from mlops_tui.backends.errors import NotFound


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
        self.clock = SimClock(epoch, speed, clock)
        self.epoch = self.clock.epoch

        self._experiments = tuple(
            domain.Experiment(
                id=spec.id,
                name=spec.name,
                backend=backend,
                tags={"team": spec.team, "task": spec.task, "mlflow.note.content": spec.description},
            )
            for spec in EXPERIMENTS
        )
        self.registry = Registry(seed, runs, self.clock, backend)
        reserved = self.registry.build()

        # runs: built once, lazily (100k take a second or two)
        self._runbook = RunBook(seed, runs, self.clock.epoch_ts, backend, reserved)
        self._runs_lock = threading.Lock()
        self._runs: tuple[domain.Run, ...] | None = None

        self.fleet = Fleet(seed, self.registry, backend)
        self.drift_model = Drift(seed, backend)
        self.timeline = Timeline(self.registry, self.fleet, self.drift_model, backend)
        self.silence_store = Silences(seed, self.clock, backend)
        self._buckets = BucketCache()

    # -- the clock ------------------------------------------------------------------------
    def now_ts(self) -> float:
        return self.clock.now_ts()

    @property
    def now(self) -> datetime:
        """The simulated time: epoch + speed x real elapsed seconds + advanced seconds."""
        return self.clock.now

    def advance(self, seconds: float) -> datetime:
        """Move simulated time forward explicitly (tests, or a fast-forward key)."""
        return self.clock.advance(seconds)

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

    def experiments(self) -> tuple[domain.Experiment, ...]:
        return self._experiments

    def runs(self) -> tuple[domain.Run, ...]:
        """Every run, newest first; the same tuple object until some run changes."""
        self.ensure_runs()
        if self._runbook.pending and self._runbook.finish_due(self.now_ts()):
            self._runs = tuple(self._runbook.runs)
        assert self._runs is not None
        return self._runs

    def metric_history(self, run_id: str, key: str) -> tuple[domain.MetricPoint, ...]:
        self.runs()
        run = self._runbook.find(run_id)
        if run is None:
            raise NotFound(f"no run {run_id!r}")
        return self._runbook.metric_history(run, key)

    # -- registry and promotions ------------------------------------------------------------
    def models(self) -> tuple[domain.RegisteredModel, ...]:
        return self.registry.models()

    def versions(self) -> tuple[domain.ModelVersion, ...]:
        return self.registry.versions()

    def promotions(self) -> tuple[domain.PromotionRequest, ...]:
        return self.registry.promotions()

    def alias_holder(self, model: str, alias: str) -> str | None:
        return self.registry.alias_holder(model, alias)

    def request_promotion(self, request: domain.PromotionRequest) -> None:
        self.registry.request_promotion(request)

    def approve_promotion(self, request: domain.PromotionRequest, approver: str, at: datetime) -> None:
        self.registry.approve_promotion(request, approver, at)

    def reject_promotion(self, request: domain.PromotionRequest, approver: str, at: datetime, reason: str) -> None:
        self.registry.reject_promotion(request, approver, at, reason)

    # -- deployments ----------------------------------------------------------------------
    def reading(self, index: int, ts: float) -> Reading:
        """Deployment `index`'s metrics in the bucket holding `ts`."""
        return self.fleet.reading(index, ts)

    def deployments(self) -> tuple[domain.Deployment, ...]:
        ts = self.now_ts()
        key = (int(ts // METRIC_BUCKET), self.registry.revision)
        return self._buckets.get("deployments", key, lambda: self.fleet.deployments(ts))

    def health(self) -> tuple[domain.HealthSample, ...]:
        """The last hour of samples (every two minutes) of every deployment, oldest first per deployment."""
        step = int(self.now_ts() // HEALTH_STEP)
        return self._buckets.get("health", step, lambda: self.fleet.health(step))

    # -- drift ----------------------------------------------------------------------------
    @property
    def _features(self) -> tuple[Feature, ...]:
        return self.drift_model.features

    def drift_score(self, index: int, bucket: int) -> domain.DriftScore:
        """Feature `index`'s score in drift bucket `bucket`."""
        return self.drift_model.drift_score(index, bucket)

    def drift(self) -> tuple[domain.DriftScore, ...]:
        """The last 24 scores (5-minute spacing) of every feature, oldest first per feature."""
        bucket = int(self.now_ts() // DRIFT_STEP)
        return self._buckets.get("drift", bucket, lambda: self.drift_model.latest(bucket))

    # -- alerts and silences ----------------------------------------------------------------
    def alerts(self) -> tuple[domain.Alert, ...]:
        ts = self.now_ts()
        active = tuple(silence.id for silence in self.silence_store.active(ts))
        key = (
            int(ts // METRIC_BUCKET),
            int(ts // DRIFT_STEP),
            active,
            self.registry.revision,
            self.silence_store.revision,
        )
        return self._buckets.get(
            "alerts",
            key,
            lambda: build_alerts(ts, self.fleet, self.drift_model, self.registry, self.silence_store, self.backend),
        )

    def silences(self) -> tuple[domain.Silence, ...]:
        """Active, pending and recently expired silences."""
        current = self.silence_store.listed(self.now_ts())
        key = (self.silence_store.revision, tuple((silence.id, silence.state) for silence in current))
        return self._buckets.get("silences", key, lambda: tuple(current))

    def create_silence(self, silence: domain.Silence) -> str:
        return self.silence_store.create(silence)

    def expire_silence(self, silence_id: str) -> None:
        self.silence_store.expire(silence_id)

    # -- events ---------------------------------------------------------------------------
    def events(self) -> tuple[domain.Event, ...]:
        """What happened in the last 24 simulated hours, oldest first."""
        ts = self.now_ts()
        key = (int(ts // METRIC_BUCKET), self.registry.revision, len(self.registry.events))
        return self._buckets.get("events", key, lambda: self.timeline.events(ts))


__all__ = ["DRIFT_STEP", "EVENT_HORIZON", "DemoWorld", "Incident", "Reading", "fingerprint"]
