"""The demo world's timeline: registry history, deployment incidents and drift crossings,
merged for the last simulated day."""

from __future__ import annotations

from mlops_tui.backends.demo.catalog import DEPLOYMENTS
from mlops_tui.backends.demo.clock import DAY
from mlops_tui.backends.demo.deployments import Fleet
from mlops_tui.backends.demo.drift import DRIFT_STEP, Drift
from mlops_tui.backends.demo.registry import Registry
from mlops_tui.backends.demo.runs import ts_to_dt
from mlops_tui.domain import Event, EventKind

EVENT_HORIZON = DAY  # list_events returns the last 24 simulated hours


class Timeline:
    """What happened, memoised per incident window and per drift crossing."""

    def __init__(self, registry: Registry, fleet: Fleet, drift: Drift, backend: str) -> None:
        self.registry = registry
        self.fleet = fleet
        self.drift = drift
        self.backend = backend
        self._incident_events: dict[tuple[int, int], tuple[Event, ...]] = {}
        self._drift_events: tuple[int, tuple[Event, ...]] | None = None
        self._crossings: dict[tuple[int, int], Event] = {}

    def events(self, ts: float) -> tuple[Event, ...]:
        """What happened in the `EVENT_HORIZON` before `ts`, oldest first."""
        since = ts - EVENT_HORIZON
        out: list[Event] = [event for event in self.registry.events if since <= event.time.timestamp() <= ts]
        for index in range(len(DEPLOYMENTS)):
            for window in range(self.fleet.window(index, since), self.fleet.window(index, ts) + 1):
                out.extend(
                    event for event in self._incident_events_for(index, window) if since <= event.time.timestamp() <= ts
                )
        out.extend(event for event in self._drift_crossings(int(ts // DRIFT_STEP)) if event.time.timestamp() >= since)
        out.sort(key=lambda event: event.time)
        return tuple(out)

    def _incident_events_for(self, index: int, window: int) -> tuple[Event, ...]:
        key = (index, window)
        hit = self._incident_events.get(key)
        if hit is not None:
            return hit
        incident = self.fleet.incident(index, window)
        events: tuple[Event, ...] = ()
        if incident is not None:
            spec = DEPLOYMENTS[index]
            reading = self.fleet.reading(index, incident.start)
            if incident.kind == "latency":
                what = f"p95 latency {reading.latency_ms:.0f} ms > SLO {spec.slo_latency_ms:.0f} ms"
            elif incident.kind == "errors":
                what = f"error rate {100 * (reading.error_rate or 0):.1f}%"
            else:
                what = f"{reading.ready}/{spec.replicas} replicas ready"

            def event(ts: float, kind: EventKind, text: str) -> Event:
                return Event(
                    time=ts_to_dt(ts),
                    model=spec.model,
                    kind=kind,
                    text=text,
                    deployment=spec.name,
                    backend=self.backend,
                )

            happened = [event(incident.start, EventKind.HEALTH, f"{spec.name} {reading.health.value}: {what}")]
            if incident.severity == "critical":
                happened.append(
                    event(incident.start, EventKind.ALERT, f"{incident.alertname} (critical) firing for {spec.name}")
                )
            happened.append(event(incident.end, EventKind.HEALTH, f"{spec.name} recovered"))
            events = tuple(happened)
        if len(self._incident_events) > 5000:
            self._incident_events.clear()
        self._incident_events[key] = events
        return events

    def _drift_crossings(self, bucket: int) -> tuple[Event, ...]:
        """Every time a feature's score crossed its threshold in the horizon before `bucket`."""
        cached = self._drift_events
        if cached is not None and cached[0] == bucket:
            return cached[1]
        span = int(EVENT_HORIZON // DRIFT_STEP)
        out = []
        for index, feature in enumerate(self.drift.features):
            flags = self.drift.drifted_range(index, bucket - span - 1, bucket)
            before = flags[0]
            for past, drifted in zip(range(bucket - span, bucket + 1), flags[1:], strict=True):
                if drifted != before:
                    memo = self._crossings.get((index, past))
                    if memo is not None:
                        out.append(memo)
                        before = drifted
                        continue
                    higher = feature.higher_is_drift
                    compare = (">" if higher else "<") if drifted else ("<=" if higher else ">=")
                    state = "drifted" if drifted else "back within threshold"
                    crossing = Event(
                        time=ts_to_dt(past * DRIFT_STEP),
                        model=feature.model,
                        kind=EventKind.DRIFT,
                        text=f"{feature.spec.name} {state} ({feature.spec.method} {self.drift.score(index, past):g} "
                        f"{compare} {feature.threshold:g})",
                        backend=self.backend,
                    )
                    self._crossings[(index, past)] = crossing
                    out.append(crossing)
                before = drifted
        if len(self._crossings) > 20000:
            self._crossings = {key: event for key, event in self._crossings.items() if key[1] >= bucket - span - 1}
        result = tuple(out)
        self._drift_events = (bucket, result)
        return result
