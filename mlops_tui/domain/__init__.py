"""Frozen domain models: what every backend turns its wire format into."""

from mlops_tui.domain.alerts import Alert, AlertState, Matcher, Severity, Silence, SilenceState
from mlops_tui.domain.deployments import Deployment, DeploymentHealth, HealthSample, TensorSpec
from mlops_tui.domain.drift import DriftScore
from mlops_tui.domain.events import Event, EventKind
from mlops_tui.domain.registry import LoggedModel, ModelVersion, PromotionRequest, PromotionState, RegisteredModel
from mlops_tui.domain.runs import Experiment, MetricPoint, Run, RunStatus
from mlops_tui.domain.status import BackendState, BackendStatus

__all__ = [
    "Alert",
    "AlertState",
    "BackendState",
    "BackendStatus",
    "Deployment",
    "DeploymentHealth",
    "DriftScore",
    "Event",
    "EventKind",
    "Experiment",
    "HealthSample",
    "LoggedModel",
    "Matcher",
    "MetricPoint",
    "ModelVersion",
    "PromotionRequest",
    "PromotionState",
    "RegisteredModel",
    "Run",
    "RunStatus",
    "Severity",
    "Silence",
    "SilenceState",
    "TensorSpec",
]
