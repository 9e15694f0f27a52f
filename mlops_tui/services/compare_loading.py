"""What the compare screen reads beyond the snapshot, through the hub: metric histories of
the compared runs and the logged models of compared versions (MLflow 3)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from mlops_tui.backends.base import Backend
from mlops_tui.domain import LoggedModel, MetricPoint, ModelVersion
from mlops_tui.services.hub import Hub


async def metric_histories(
    hub: Hub, runs: Sequence[tuple[str, str]], key: str
) -> list[Sequence[MetricPoint] | BaseException]:
    """The history of `key` for each (backend, run id), fetched at once; a run whose
    backend failed gets its exception in its place, so one failure hides no other run."""

    async def one(backend: str, run_id: str) -> Sequence[MetricPoint]:
        return await hub.call(backend, lambda b: b.metric_history(run_id, key))

    return list(await asyncio.gather(*(one(b, r) for b, r in runs), return_exceptions=True))


async def logged_model(hub: Hub, version: ModelVersion) -> LoggedModel | None:
    """The logged model `version` points at; None when it points at none, or its backend
    has no logged models (only MLflow 3 servers do)."""
    if not version.model_id:
        return None
    model_id = version.model_id

    async def fetch(backend: Backend[Any]) -> LoggedModel | None:
        method = getattr(backend, "logged_model", None)
        return await method(model_id) if method is not None else None

    return await hub.call(version.backend, fetch)


async def logged_models(hub: Hub, versions: Sequence[ModelVersion]) -> list[LoggedModel | BaseException | None]:
    return list(await asyncio.gather(*(logged_model(hub, v) for v in versions), return_exceptions=True))
