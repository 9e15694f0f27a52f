"""The backend contract: an async base class with declared capabilities and typed options.

A backend implements only the capability methods it declares; the hub calls `fetch()`,
which gathers every declared capability into one `BackendData`.
"""

from __future__ import annotations

import abc
import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from typing import ClassVar

from pydantic import BaseModel, ConfigDict

from mlops_tui.backends.errors import InvalidFilter, NotSupported
from mlops_tui.domain import (
    Alert,
    Deployment,
    DriftScore,
    Event,
    Experiment,
    HealthSample,
    MetricPoint,
    ModelVersion,
    PromotionRequest,
    RegisteredModel,
    Run,
    Silence,
)


class Capability(StrEnum):
    RUNS = "runs"
    REGISTRY = "registry"
    PROMOTIONS = "promotions"
    DEPLOYMENTS = "deployments"
    ALERTS = "alerts"
    SILENCES = "silences"
    DRIFT = "drift"


class BackendOptions(BaseModel):
    """Options shared by every backend; a backend subclasses this for its own."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    timeout_seconds: float = 10.0


@dataclass(frozen=True, slots=True)
class BackendData:
    """What one poll of one backend returned; None means "this backend has no such thing"."""

    experiments: tuple[Experiment, ...] | None = None
    runs: tuple[Run, ...] | None = None
    models: tuple[RegisteredModel, ...] | None = None
    versions: tuple[ModelVersion, ...] | None = None
    promotions: tuple[PromotionRequest, ...] | None = None
    deployments: tuple[Deployment, ...] | None = None
    health: tuple[HealthSample, ...] | None = None
    alerts: tuple[Alert, ...] | None = None
    silences: tuple[Silence, ...] | None = None
    drift: tuple[DriftScore, ...] | None = None
    events: tuple[Event, ...] | None = None
    version: str = ""
    # The server refused the user's run filter: shown next to the filter, not as an error state.
    query_error: str = ""
    # Work still under way (e.g. "loading runs: 3,000 of ~10,000"); empty when complete.
    progress: str = ""


@dataclass(frozen=True, slots=True)
class RunQuery:
    """What the Runs view asks of backends that filter and sort on the server."""

    filter: str = ""
    order_by: tuple[str, ...] = ()
    experiment_ids: tuple[str, ...] = ()


def _frozen(items: Sequence | None) -> tuple | None:
    if items is None or isinstance(items, tuple):
        return items
    return tuple(items)


class Backend(abc.ABC):
    """Base class of every backend kind.

    Subclasses set `kind`, `description`, `capabilities` and `Options`, and override the
    methods of the capabilities they declare.
    """

    kind: ClassVar[str]
    description: ClassVar[str] = ""
    capabilities: ClassVar[frozenset[Capability]] = frozenset()
    Options: ClassVar[type[BackendOptions]] = BackendOptions
    # A backend whose data changes fast (the demo's simulated clock) may ask to be polled
    # more often than the configured refresh interval.
    refresh_hint_seconds: ClassVar[float | None] = None

    # True for backends that apply `run_query` themselves (MLflow's filter syntax).
    server_side_run_query: ClassVar[bool] = False

    def __init__(self, name: str, options: BackendOptions | None = None) -> None:
        self.name = name
        self.options = options if options is not None else self.Options()
        self.run_query = RunQuery()
        self._partial_hook: Callable[[BackendData], None] | None = None

    def report_partial(self, data: BackendData) -> None:
        """Hand the hub what is loaded so far (e.g. the first pages of runs) mid-poll.

        Fields left None keep their last polled value; `progress` says what is still coming.
        """
        hook = self._partial_hook
        if hook is not None:
            hook(data)

    def has(self, capability: Capability) -> bool:
        return capability in self.capabilities

    # -- life cycle ----------------------------------------------------------------------
    async def open(self) -> None:
        """Open connections; called once on the hub's loop before the first poll."""

    async def close(self) -> None:
        """Release connections; called once when the hub stops."""

    async def server_version(self) -> str:
        return ""

    # -- the poll ------------------------------------------------------------------------
    async def fetch(self) -> BackendData:
        """One poll: every declared capability, fetched concurrently."""
        caps = self.capabilities
        names: list[str] = []
        coros = []

        def want(field: str, coro) -> None:
            names.append(field)
            coros.append(coro)

        query_error = ""

        async def runs_or_query_error():
            nonlocal query_error
            try:
                return await self.list_runs()
            except InvalidFilter as exc:  # the user's filter, not the backend, is wrong
                query_error = str(exc)
                return ()

        if Capability.RUNS in caps:
            want("experiments", self.list_experiments())
            want("runs", runs_or_query_error())
        if Capability.REGISTRY in caps:
            want("models", self.list_models())
            want("versions", self.list_versions())
        if Capability.PROMOTIONS in caps:
            want("promotions", self.list_promotions())
        if Capability.DEPLOYMENTS in caps:
            want("deployments", self.list_deployments())
            want("health", self.list_health())
        if Capability.ALERTS in caps:
            want("alerts", self.list_alerts())
        if Capability.SILENCES in caps:
            want("silences", self.list_silences())
        if Capability.DRIFT in caps:
            want("drift", self.list_drift())
        want("events", self.list_events())
        results = await asyncio.gather(*coros)
        data = BackendData(**{n: _frozen(r) for n, r in zip(names, results)})
        return replace(data, query_error=query_error) if query_error else data

    # -- runs ----------------------------------------------------------------------------
    async def list_experiments(self) -> Sequence[Experiment]:
        raise NotSupported(f"{self.kind} has no experiments")

    async def list_runs(self) -> Sequence[Run]:
        raise NotSupported(f"{self.kind} has no runs")

    async def metric_history(self, run_id: str, key: str) -> Sequence[MetricPoint]:
        raise NotSupported(f"{self.kind} has no metric history")

    # -- registry ------------------------------------------------------------------------
    async def list_models(self) -> Sequence[RegisteredModel]:
        raise NotSupported(f"{self.kind} has no model registry")

    async def list_versions(self) -> Sequence[ModelVersion]:
        raise NotSupported(f"{self.kind} has no model registry")

    async def alias_holder(self, model: str, alias: str) -> str | None:
        """The version that holds `alias` right now, read fresh from the server."""
        raise NotSupported(f"{self.kind} has no model registry")

    # -- promotions ----------------------------------------------------------------------
    @property
    def promotion_target(self) -> str:
        """What a new promotion request asks for by default: an alias (or a stage)."""
        return "champion"

    async def list_promotions(self) -> Sequence[PromotionRequest]:
        raise NotSupported(f"{self.kind} has no promotions")

    async def request_promotion(self, request: PromotionRequest) -> None:
        raise NotSupported(f"{self.kind} has no promotions")

    async def approve_promotion(self, request: PromotionRequest, approver: str, at: datetime) -> None:
        raise NotSupported(f"{self.kind} has no promotions")

    async def reject_promotion(self, request: PromotionRequest, approver: str, at: datetime, reason: str) -> None:
        raise NotSupported(f"{self.kind} has no promotions")

    # -- deployments ---------------------------------------------------------------------
    async def list_deployments(self) -> Sequence[Deployment]:
        raise NotSupported(f"{self.kind} has no deployments")

    async def list_health(self) -> Sequence[HealthSample]:
        return ()

    # -- alerts and silences -------------------------------------------------------------
    async def list_alerts(self) -> Sequence[Alert]:
        raise NotSupported(f"{self.kind} has no alerts")

    async def list_silences(self) -> Sequence[Silence]:
        raise NotSupported(f"{self.kind} has no silences")

    async def create_silence(self, silence: Silence) -> str:
        """Create the silence; returns its id as the server assigned it."""
        raise NotSupported(f"{self.kind} cannot silence")

    async def expire_silence(self, silence_id: str) -> None:
        raise NotSupported(f"{self.kind} cannot expire silences")

    async def update_silence(self, silence: Silence) -> str:
        """Change an existing silence (e.g. a later endsAt); returns the id it has now, which
        may be a new one (Alertmanager can expire the old silence and create another)."""
        raise NotSupported(f"{self.kind} cannot update silences")

    # -- drift ---------------------------------------------------------------------------
    async def list_drift(self) -> Sequence[DriftScore]:
        raise NotSupported(f"{self.kind} has no drift")

    # -- events --------------------------------------------------------------------------
    async def list_events(self) -> Sequence[Event]:
        """Events the backend knows about (promotions, alias moves, ...). Optional."""
        return ()
