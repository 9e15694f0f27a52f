"""Experiments, runs and the metric history of a run."""

from datetime import datetime
from enum import StrEnum

from mlops_tui.domain.base import DomainModel


class RunStatus(StrEnum):
    RUNNING = "RUNNING"
    SCHEDULED = "SCHEDULED"
    FINISHED = "FINISHED"
    FAILED = "FAILED"
    KILLED = "KILLED"


class Experiment(DomainModel):
    id: str
    name: str
    backend: str = ""
    tags: dict[str, str] = {}


class Run(DomainModel):
    id: str
    experiment_id: str
    name: str
    status: RunStatus
    start_time: datetime
    end_time: datetime | None = None
    user: str = ""
    params: dict[str, str] = {}
    metrics: dict[str, float] = {}
    tags: dict[str, str] = {}
    backend: str = ""

    @property
    def duration_seconds(self) -> float | None:
        if self.end_time is None:
            return None
        return (self.end_time - self.start_time).total_seconds()


class MetricPoint(DomainModel):
    step: int
    value: float
    timestamp: datetime | None = None
