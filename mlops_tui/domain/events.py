"""Things that happened to a model: the "what changed" timeline on-call reads."""

from datetime import datetime
from enum import StrEnum

from mlops_tui.domain.base import DomainModel


class EventKind(StrEnum):
    PROMOTION = "promotion"
    ALIAS_MOVED = "alias moved"
    NEW_VERSION = "new version"
    DRIFT = "drift"
    HEALTH = "health"
    ALERT = "alert"
    MISMATCH = "mismatch"  # a deployment started serving another version than its alias


class Event(DomainModel):
    time: datetime
    model: str
    kind: EventKind
    text: str
    deployment: str = ""
    backend: str = ""
