"""The built-in `demo` backend: a simulated, deterministic ML estate in memory.

It needs no server, so the app can be tried (and tested) anywhere. All the state lives in
a `DemoWorld`; this class only adapts it to the async `Backend` contract.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Sequence
from datetime import datetime

from pydantic import Field

from mlops_tui.backends.base import Backend, BackendData, BackendOptions, Capability
from mlops_tui.backends.demo.world import DemoWorld
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

WORLD_VERSION = 1


class DemoBackend(Backend):
    kind = "demo"
    description = "A simulated ML estate (runs, registry, deployments, drift, alerts) that needs no server."
    capabilities = frozenset(Capability)

    class Options(BackendOptions):
        seed: int = 7
        runs: int = Field(default=300, ge=0, le=1_000_000)  # size of the run history
        speed: float = Field(default=1.0, ge=0.0)  # simulated seconds per real second; 0 freezes
        epoch: datetime | None = None  # simulated "now" at start; None: the wall clock
        delay_seconds: float = Field(default=0.0, ge=0.0)  # every fetch sleeps this long first

    def __init__(self, name: str = "demo", options: BackendOptions | None = None) -> None:
        if options is not None and not isinstance(options, DemoBackend.Options):
            options = DemoBackend.Options.model_validate(options.model_dump())
        super().__init__(name, options)
        opts = self.options
        assert isinstance(opts, DemoBackend.Options)
        self.demo_options: DemoBackend.Options = opts
        self.world = DemoWorld(seed=opts.seed, runs=opts.runs, speed=opts.speed, epoch=opts.epoch, backend=name)

    # -- life cycle ----------------------------------------------------------------------
    async def open(self) -> None:
        await self._ensure_runs()

    async def _ensure_runs(self) -> None:
        # 100k runs take a second or two: build them off the event loop, once.
        if not self.world.runs_built:
            await asyncio.to_thread(self.world.ensure_runs)

    async def server_version(self) -> str:
        return f"demo {WORLD_VERSION} (seed {self.world.seed})"

    async def fetch(self) -> BackendData:
        delay = self.demo_options.delay_seconds
        if delay > 0:
            await asyncio.sleep(delay)
        data = await super().fetch()
        return dataclasses.replace(data, version=await self.server_version())

    # -- runs ----------------------------------------------------------------------------
    async def list_experiments(self) -> Sequence[Experiment]:
        return self.world.experiments()

    async def list_runs(self) -> Sequence[Run]:
        await self._ensure_runs()
        return self.world.runs()

    async def metric_history(self, run_id: str, key: str) -> Sequence[MetricPoint]:
        await self._ensure_runs()
        return self.world.metric_history(run_id, key)

    # -- registry ------------------------------------------------------------------------
    async def list_models(self) -> Sequence[RegisteredModel]:
        return self.world.models()

    async def list_versions(self) -> Sequence[ModelVersion]:
        return self.world.versions()

    async def alias_holder(self, model: str, alias: str) -> str | None:
        return self.world.alias_holder(model, alias)

    # -- promotions ----------------------------------------------------------------------
    async def list_promotions(self) -> Sequence[PromotionRequest]:
        return self.world.promotions()

    async def request_promotion(self, request: PromotionRequest) -> None:
        self.world.request_promotion(request)

    async def approve_promotion(self, request: PromotionRequest, approver: str, at: datetime) -> None:
        self.world.approve_promotion(request, approver, at)

    async def reject_promotion(self, request: PromotionRequest, approver: str, at: datetime, reason: str) -> None:
        self.world.reject_promotion(request, approver, at, reason)

    # -- deployments ---------------------------------------------------------------------
    async def list_deployments(self) -> Sequence[Deployment]:
        return self.world.deployments()

    async def list_health(self) -> Sequence[HealthSample]:
        return self.world.health()

    # -- alerts and silences -------------------------------------------------------------
    async def list_alerts(self) -> Sequence[Alert]:
        return self.world.alerts()

    async def list_silences(self) -> Sequence[Silence]:
        return self.world.silences()

    async def create_silence(self, silence: Silence) -> str:
        return self.world.create_silence(silence)

    async def expire_silence(self, silence_id: str) -> None:
        self.world.expire_silence(silence_id)

    # -- drift ---------------------------------------------------------------------------
    async def list_drift(self) -> Sequence[DriftScore]:
        return self.world.drift()

    # -- events --------------------------------------------------------------------------
    async def list_events(self) -> Sequence[Event]:
        return self.world.events()
