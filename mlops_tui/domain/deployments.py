"""Deployments of model versions and samples of their health over time."""

from datetime import datetime
from enum import StrEnum

from mlops_tui.domain.base import DomainModel


class DeploymentHealth(StrEnum):
    HEALTHY = "healthy"
    DEGRADED = "degraded"
    DOWN = "down"
    UNKNOWN = "unknown"


class HealthSample(DomainModel):
    deployment: str
    time: datetime
    latency_p95_ms: float | None = None
    error_rate: float | None = None
    ready: bool = True


class Deployment(DomainModel):
    name: str
    model: str
    version: str = ""
    endpoint: str = ""
    environment: str = ""
    health: DeploymentHealth = DeploymentHealth.UNKNOWN
    ready_replicas: int = 0
    replicas: int = 0
    latency_p95_ms: float | None = None
    error_rate: float | None = None
    requests_per_second: float | None = None
    backend: str = ""

    @property
    def is_healthy(self) -> bool:
        return self.health == DeploymentHealth.HEALTHY
