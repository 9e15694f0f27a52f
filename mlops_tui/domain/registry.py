"""The model registry: registered models, their versions, and promotion requests."""

from datetime import datetime
from enum import StrEnum

from mlops_tui.domain.base import DomainModel


class RegisteredModel(DomainModel):
    name: str
    description: str = ""
    aliases: dict[str, str] = {}  # alias -> version
    latest_version: str = ""
    tags: dict[str, str] = {}
    backend: str = ""


class ModelVersion(DomainModel):
    model: str
    version: str
    status: str = "READY"
    stage: str = "None"
    aliases: tuple[str, ...] = ()
    tags: dict[str, str] = {}
    run_id: str = ""
    source: str = ""
    created: datetime | None = None
    user: str = ""
    backend: str = ""
    model_id: str = ""  # MLflow 3: the logged model (`models:/m-…`) the version points at

    @property
    def key(self) -> tuple[str, str]:
        return (self.model, self.version)


class LoggedModel(DomainModel):
    """An MLflow 3 logged model: a model with params and metrics of its own, maybe from a run."""

    id: str
    name: str = ""
    source_run_id: str = ""
    experiment_id: str = ""
    status: str = ""
    params: dict[str, str] = {}
    metrics: dict[str, float] = {}
    tags: dict[str, str] = {}
    created: datetime | None = None
    backend: str = ""


class PromotionState(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class PromotionRequest(DomainModel):
    model: str
    version: str
    target: str = "champion"
    requester: str
    requested_at: datetime
    note: str = ""
    state: PromotionState = PromotionState.PENDING
    decided_by: str = ""
    decided_at: datetime | None = None
    reason: str = ""
    override: str = ""  # why an approval went past failing policy checks (break-glass)
    approvals: tuple[str, ...] = ()  # who approved so far, when the policy wants several
    previous_holder: str = ""  # approved: the version that held the target just before
    checks: str = ""  # approved: the policy's checks as they stood, e.g. "3 passed, 1 failed: ..."
    backend: str = ""

    @property
    def key(self) -> tuple[str, str]:
        return (self.model, self.version)
