"""The backend contract: an async base class with declared capabilities and typed options.

A backend implements the capability methods it declares (checked when its class is made);
the hub calls `fetch(query, progress)`, which gathers every declared capability into one
`BackendData` stamped with the backend's name.
"""

from __future__ import annotations

import abc
import asyncio
import math
import typing
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, ClassVar, Generic, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError

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
from mlops_tui.domain.model_card import VersionCard


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
    # Read in chunks and refused once past this, before any parse: a runaway answer (a proxy's
    # error page, a misconfigured query) costs neither memory nor keystrokes (see backends/http.py).
    max_response_mb: float = Field(
        default=16.0,
        gt=0,
        le=4096,
        description="the largest answer read from the server, in MB; a bigger one is refused, said in words",
    )


def _fraction(value: float | None) -> float | None:
    if value is not None and not (math.isfinite(value) and 0 <= value <= 1):
        raise ValueError("must be a fraction between 0 and 1, e.g. 0.05 for 5%")
    return value


def _milliseconds(value: float | None) -> float | None:
    if value is not None and not (math.isfinite(value) and value > 0):
        raise ValueError("must be a positive number of milliseconds")
    return value


# A deployment's thresholds, as every backend that configures deployments takes them.
MaxErrorRate = Annotated[float | None, AfterValidator(_fraction), Field(description="0..1; more makes it degraded")]
MaxLatencyMs = Annotated[
    float | None, AfterValidator(_milliseconds), Field(description="a slower p95 makes it degraded")
]


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
    # The answer was cut down for memory (e.g. "showing 10,000 of 200,000 alerts (cap: ...)").
    cut: str = ""


@dataclass(frozen=True, slots=True)
class RunQuery:
    """What the Runs view asks of backends that filter and sort on the server."""

    filter: str = ""
    order_by: tuple[str, ...] = ()
    experiment_ids: tuple[str, ...] = ()


def _frozen(items: Sequence[Any] | None) -> tuple[Any, ...] | None:
    if items is None or isinstance(items, tuple):
        return items
    return tuple(items)


# BackendData's collections, in the order the snapshot lists them.
DATA_FIELDS = (
    "experiments",
    "runs",
    "models",
    "versions",
    "promotions",
    "deployments",
    "health",
    "alerts",
    "silences",
    "drift",
    "events",
)
# Health samples belong to a deployment, not to a backend: they carry no backend name.
_STAMPED = tuple(field for field in DATA_FIELDS if field != "health")


def _stamp_items(items: tuple[Any, ...], name: str) -> tuple[Any, ...]:
    # The common case (the backend set its own name) costs one pass and no copy.
    if all(item.backend == name for item in items):
        return items
    return tuple(item if item.backend == name else item.model_copy(update={"backend": name}) for item in items)


class _Stamper:
    """Puts a backend's name on everything it returns: writes are routed by that field.

    Remembers the last tuple of each field that was checked, so a backend that hands back the
    same tuple while nothing changed (the demo's 100,000 runs) is not walked again each poll.
    """

    def __init__(self, name: str) -> None:
        self.name = name
        # field -> (the tuple the backend returned, the same with the name on everything)
        self._last: dict[str, tuple[tuple[Any, ...], tuple[Any, ...]]] = {}

    def __call__(self, data: BackendData) -> BackendData:
        updates: dict[str, Any] = {}
        for field in _STAMPED:
            items = getattr(data, field)
            if not items:
                continue
            last = self._last.get(field)
            if last is not None and last[0] is items:
                stamped = last[1]
            else:
                stamped = _stamp_items(items, self.name)
                self._last[field] = (items, stamped)
            if stamped is not items:
                updates[field] = stamped
        return replace(data, **updates) if updates else data


Progress = Callable[[BackendData], None]
"""What `fetch` hands mid-poll data to (e.g. the first pages of runs); see `report_partial`."""

# What each capability needs: a class that declares one must override all of its methods.
REQUIRED_METHODS: dict[Capability, tuple[str, ...]] = {
    Capability.RUNS: ("list_experiments", "list_runs"),
    Capability.REGISTRY: ("list_models", "list_versions", "alias_holder"),
    Capability.PROMOTIONS: (
        "list_promotions",
        "request_promotion",
        "approve_promotion",
        "reject_promotion",
    ),
    Capability.DEPLOYMENTS: ("list_deployments",),
    Capability.ALERTS: ("list_alerts",),
    Capability.SILENCES: ("list_silences", "create_silence", "expire_silence"),
    Capability.DRIFT: ("list_drift",),
}

OptionsT = TypeVar("OptionsT", bound=BackendOptions)


def _options_from_generic(cls: type) -> type[BackendOptions] | None:
    """`AlertmanagerOptions` for `class AlertmanagerBackend(Backend[AlertmanagerOptions])`."""
    for base in cls.__dict__.get("__orig_bases__", ()):  # its own bases, not a parent's
        if typing.get_origin(base) is Backend:
            args = typing.get_args(base)
            if args and isinstance(args[0], type) and issubclass(args[0], BackendOptions):
                return args[0]
    return None


class Backend(abc.ABC, Generic[OptionsT]):
    """Base class of every backend kind.

    A subclass names its options class as the type parameter (`Backend[MyOptions]`), sets
    `kind`, `description` and `capabilities`, and overrides the methods of the capabilities it
    declares (checked when the class is created; see `REQUIRED_METHODS`). The hub calls
    `fetch(query, progress)`; everything it returns carries this backend's name.
    """

    kind: ClassVar[str]
    description: ClassVar[str] = ""
    capabilities: ClassVar[frozenset[Capability]] = frozenset()
    Options: ClassVar[type[BackendOptions]] = BackendOptions
    # A backend whose data changes fast (the demo's simulated clock) may ask to be polled
    # more often than the configured refresh interval.
    refresh_hint_seconds: ClassVar[float | None] = None

    # True for backends that apply the Runs view's `RunQuery` themselves (MLflow's filter syntax).
    server_side_run_query: ClassVar[bool] = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "fetch" in cls.__dict__:  # the name stamping and the version live there
            raise TypeError(f"{cls.__module__}.{cls.__qualname__} overrides fetch(); override collect(query) instead")
        declared = _options_from_generic(cls)
        if declared is not None and "Options" not in cls.__dict__:
            cls.Options = declared
        missing = [
            method
            for capability in sorted(cls.capabilities)
            for method in REQUIRED_METHODS.get(capability, ())
            if getattr(cls, method) is getattr(Backend, method)
        ]
        if missing:
            raise TypeError(
                f"{cls.__module__}.{cls.__qualname__} declares "
                f"{', '.join(sorted(c.value for c in cls.capabilities))} but does not implement "
                f"{', '.join(dict.fromkeys(missing))}"
            )

    def __init__(self, name: str, options: OptionsT | Mapping[str, Any] | None = None) -> None:
        self.name = name
        if options is None:
            try:
                options = typing.cast(OptionsT, self.Options())
            except ValidationError as exc:
                needed = ", ".join(str(e["loc"][0]) for e in exc.errors() if e["loc"])
                raise TypeError(f"{type(self).__name__} needs options ({needed})") from None
        elif isinstance(options, Mapping):
            options = typing.cast(OptionsT, self.Options.model_validate(options))
        elif not isinstance(options, self.Options):
            raise TypeError(f"{type(self).__name__} takes {self.Options.__name__}, not {type(options).__name__}")
        self.options: OptionsT = options
        self.__stamp = _Stamper(name)
        self.__progress: Progress | None = None
        self.__server_version: str | None = None

    def report_partial(self, data: BackendData) -> None:
        """Hand the hub what is loaded so far (e.g. the first pages of runs) mid-poll.

        Goes to the `progress` callback of the latest `fetch`, and may be called after that
        fetch returned (loading that outlives a poll). Fields left None keep their last polled
        value; `progress` says what is still coming.
        """
        progress = self.__progress
        if progress is not None:
            progress(self.__stamp(data))

    def has(self, capability: Capability) -> bool:
        return capability in self.capabilities

    # -- life cycle ----------------------------------------------------------------------
    async def open(self) -> None:
        """Open connections; called once on the hub's loop before the first poll."""

    async def close(self) -> None:
        """Release connections; called once when the hub stops."""

    async def server_version(self) -> str:
        """The server's version, asked once per session (after the first poll)."""
        return ""

    # -- the poll ------------------------------------------------------------------------
    async def fetch(self, query: RunQuery = RunQuery(), progress: Progress | None = None) -> BackendData:
        """One poll: `collect(query)`, with the server version and this backend's name on it.

        Override `collect`, not this.
        """
        self.__progress = progress
        data = await self.collect(query)
        if not data.version:
            if self.__server_version is None:  # it does not change while we run: ask once
                self.__server_version = await self.server_version()
            if self.__server_version:
                data = replace(data, version=self.__server_version)
        return self.__stamp(data)

    async def collect(self, query: RunQuery) -> BackendData:
        """Every declared capability, fetched concurrently."""
        caps = self.capabilities
        names: list[str] = []
        coros: list[Awaitable[Sequence[Any]]] = []

        def want(field: str, coro: Awaitable[Sequence[Any]]) -> None:
            names.append(field)
            coros.append(coro)

        query_error = ""

        async def runs_or_query_error() -> Sequence[Run]:
            nonlocal query_error
            try:
                return await self.list_runs(query)
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
        collected: dict[str, Any] = {n: _frozen(r) for n, r in zip(names, results)}
        data = BackendData(**collected)
        return replace(data, query_error=query_error) if query_error else data

    # -- runs ----------------------------------------------------------------------------
    async def list_experiments(self) -> Sequence[Experiment]:
        raise NotSupported(f"{self.kind} has no experiments")

    async def list_runs(self, query: RunQuery) -> Sequence[Run]:
        """The runs; a `server_side_run_query` backend filters and sorts them by `query`."""
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

    async def record_approval(self, request: PromotionRequest, approver: str, at: datetime) -> tuple[str, ...]:
        """One approval of several the policy wants, recorded without moving the alias.

        Optional: a backend without it cannot serve a policy with `approvers` above 1.
        """
        raise NotSupported(f"{self.kind} cannot record approvals one by one")

    @classmethod
    def records_approvals(cls) -> bool:
        return cls.record_approval is not Backend.record_approval

    async def version_card(self, model: str, version: str) -> VersionCard:
        """A version's signature and its source run's dataset inputs, for the approval card.

        Optional: without it the card says "signature unknown: <kind> cannot tell".
        """
        raise NotSupported(f"{self.kind} cannot tell")

    @classmethod
    def reads_version_cards(cls) -> bool:
        return cls.version_card is not Backend.version_card

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
