"""Deployments of model versions, what the serving side says about them, and samples of
their serving metrics over time."""

from datetime import datetime
from enum import StrEnum

from mlops_tui.domain.base import DomainModel


class DeploymentHealth(StrEnum):
    HEALTHY = "healthy"
    DEGRADED = "degraded"
    DOWN = "down"
    UNKNOWN = "unknown"


class TensorSpec(DomainModel):
    """One input or output named in a model's metadata."""

    name: str
    datatype: str = ""
    shape: tuple[int, ...] = ()


class HealthSample(DomainModel):
    """One point of a deployment's serving metrics (sparklines, charts)."""

    deployment: str
    time: datetime
    requests_per_second: float | None = None
    error_rate: float | None = None  # 0..1
    latency_p50_ms: float | None = None
    latency_p95_ms: float | None = None
    ready: bool = True


class Deployment(DomainModel):
    name: str
    model: str = ""  # the model's name on the server
    version: str = ""  # the version served; "" = nobody can tell
    endpoint: str = ""
    environment: str = ""
    health: DeploymentHealth = DeploymentHealth.UNKNOWN
    ready: bool | None = None  # model ready; None = unknown
    live: bool | None = None  # server answers health/live; None = unknown
    ready_replicas: int = 0
    replicas: int = 0
    requests_per_second: float | None = None  # None = unknown, never 0 for unknown
    error_rate: float | None = None  # 0..1
    latency_p50_ms: float | None = None
    latency_p95_ms: float | None = None
    max_error_rate: float | None = None  # thresholds from config; over one => degraded
    max_latency_p95_ms: float | None = None
    metrics_note: str = ""  # why metrics are unknown or partial ("prom unreachable", a query error)
    registered_model: str = ""  # registry model it is expected to serve (config)
    alias: str = ""  # alias it is expected to serve (config)
    expected_version: str = ""  # version `alias` points at in the registry (services join)
    mismatch_since: datetime | None = None  # services join; carried from snapshot to snapshot
    reason: str = ""  # one line: why it is not healthy
    repository_state: str = ""  # READY / UNAVAILABLE / LOADING ... from the repository index
    inputs: tuple[TensorSpec, ...] = ()
    outputs: tuple[TensorSpec, ...] = ()
    platform: str = ""  # e.g. server name + version from GET /v2
    checked_at: datetime | None = None
    sources: tuple[str, ...] = ()  # backends that reported on it (after the join)
    backend: str = ""  # the backend that owns it (the first source)

    @property
    def mismatch(self) -> bool:
        """The registry and the serving disagree on the version."""
        return bool(
            self.registered_model
            and self.alias
            and self.version
            and self.expected_version
            and self.version != self.expected_version
        )


# How a deployment's reason words a metric against its threshold: the join in services and
# the demo world say it alike.
def percent(rate: float) -> str:
    """0.38 -> "38%", 0.004 -> "0.4%"."""
    value = rate * 100
    text = f"{value:.0f}" if value >= 10 or value == 0 else f"{value:.1f}".rstrip("0").rstrip(".")
    return f"{text}%"


def duration_ms(millis: float) -> str:
    """1200 -> "1.2 s", 500 -> "500 ms"."""
    if millis >= 1000:
        return f"{millis / 1000:.1f}".rstrip("0").rstrip(".") + " s"
    return f"{millis:.0f} ms"
