"""The one base class every domain model shares: frozen, strict about unknown fields."""

from datetime import datetime, timezone

from pydantic import BaseModel, ConfigDict


class DomainModel(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


def utcnow() -> datetime:
    return datetime.now(timezone.utc)
