"""The one base class every domain model shares: frozen, strict about unknown fields."""

from datetime import UTC, datetime
from typing import TypeVar

from pydantic import BaseModel, ConfigDict


class DomainModel(BaseModel):
    # defer_build: a model's validator is built when it first validates, not at import;
    # start-up then pays only for the models a session actually creates.
    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)


def utcnow() -> datetime:
    return datetime.now(UTC)


M = TypeVar("M", bound=DomainModel)

_FIELDS_SETS: dict[frozenset[str], set[str]] = {}


def shared_fields_set(model: M) -> M:
    """`model`, its set of the field names it was given shared with every model given the same.

    Pydantic keeps that set per instance: 728 bytes for an alert's nine names, more than the
    alert and its dict together, and one more object each collection walks. 10,000 alerts held
    7 MB of identical sets. Pydantic only reads it (`model_fields_set`, `exclude_unset`) and
    copies it before a change (`model_copy`); the models are frozen, so nothing changes it
    in place. For the backends' bulk conversions (thousands of alerts or runs a poll)."""
    given = model.__pydantic_fields_set__
    shared = _FIELDS_SETS.setdefault(frozenset(given), given)
    if shared is not given:
        object.__setattr__(model, "__pydantic_fields_set__", shared)  # a frozen model
    return model
