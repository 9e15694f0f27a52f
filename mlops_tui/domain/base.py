"""The one base class every domain model shares: frozen, strict about unknown fields."""

from datetime import UTC, datetime

from pydantic import BaseModel, ConfigDict


class DomainModel(BaseModel):
    # defer_build: a model's validator is built when it first validates, not at import;
    # start-up then pays only for the models a session actually creates.
    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)


def utcnow() -> datetime:
    return datetime.now(UTC)
