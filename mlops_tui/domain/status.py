"""How one configured backend is doing, as the status bar shows it."""

from datetime import datetime
from enum import StrEnum

from mlops_tui.domain.base import DomainModel


class BackendState(StrEnum):
    PENDING = "pending"
    OK = "ok"
    SLOW = "slow"
    UNREACHABLE = "unreachable"
    UNAUTHORISED = "unauthorised"
    ERROR = "error"


class BackendStatus(DomainModel):
    name: str
    kind: str
    state: BackendState = BackendState.PENDING
    message: str = ""
    last_ok: datetime | None = None
    version: str = ""
    progress: str = ""  # e.g. "loading runs: 3,000 of ~10,000"
    query_error: str = ""  # the server refused the run filter; shown beside the filter
    capabilities: tuple[str, ...] = ()  # what the backend provides: "runs", "alerts", ...
    since: datetime | None = None  # when the current state began (a failure's start)
