"""The `mlflow` backend: runs, the model registry and promotion requests from an MLflow server.

Talks to MLflow's REST API (`/api/2.0/mlflow`) with httpx; the `mlflow` package is not
needed. Promotion requests live in model-version tags (see `promotions.py`), so everyone
using the same server sees them.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import os
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from pydantic import ConfigDict, Field, field_validator

from mlops_tui.backends.base import Backend, BackendData, BackendOptions, Capability, RunQuery
from mlops_tui.backends.errors import BackendError, NotFound
from mlops_tui.backends.http import HttpAuth, HttpBackendOptions, check_http_url
from mlops_tui.backends.mlflow import cache as run_cache
from mlops_tui.backends.mlflow import convert, logged_models, model_card
from mlops_tui.backends.mlflow import promotions as tags_scheme
from mlops_tui.backends.mlflow.cache import CachedRuns, QueryKey
from mlops_tui.backends.mlflow.client import ApiError, MlflowHttp
from mlops_tui.backends.mlflow.runs import RunState, RunSync
from mlops_tui.domain import (
    Event,
    EventKind,
    Experiment,
    LoggedModel,
    MetricPoint,
    ModelVersion,
    PromotionRequest,
    PromotionState,
    RegisteredModel,
    Run,
)
from mlops_tui.domain.base import utcnow
from mlops_tui.domain.model_card import VersionCard

log = logging.getLogger(__name__)
T = TypeVar("T")

STAGES = {"none": "None", "staging": "Staging", "production": "Production", "archived": "Archived"}
_MODEL_GETS_AT_ONCE = 8
# A poll waits for the runs at most this share of its timeout, and at most this long (the
# hub calls a poll over 3 s "slow"); then it returns what has arrived and the loading goes on
# in the background, handing the hub each further page (see runs.py).
_RUNS_SHARE_OF_POLL = 0.6
_RUNS_WAIT_SECONDS = 2.0


AuthOptions = HttpAuth  # the shared auth options: `type = "none" | "bearer" | "basic"`


class MlflowOptions(BackendOptions):
    model_config = ConfigDict(extra="forbid", frozen=True, hide_input_in_errors=True)

    url: str | None = None  # None: $MLFLOW_TRACKING_URI
    auth: HttpAuth | None = None  # None: $MLFLOW_TRACKING_USERNAME/PASSWORD or _TOKEN
    verify: bool = True
    ca_bundle: str | None = None
    experiments: list[str] = []  # names; empty: every active experiment
    page_size: int = Field(default=1000, ge=1, le=50_000)
    promotion_target: str = "champion"
    use_stages: bool = False
    target_stage: str = "Production"
    # How long an approval waits for rival approvals' claims to land (see promotions.py).
    approval_settle_seconds: float = Field(default=1.0, gt=0, le=30)
    cache: bool = True
    # Incremental refreshes cannot see every change (a tag added to a finished run);
    # a full reload in the background catches those. 0 turns it off.
    full_reload_seconds: float = Field(default=600.0, ge=0)

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            return check_http_url(value)
        except ValueError:
            raise ValueError("must be an http:// or https:// URL of an MLflow tracking server") from None

    @field_validator("target_stage")
    @classmethod
    def _known_stage(cls, value: str) -> str:
        stage = STAGES.get(value.strip().lower())
        if stage is None or stage in ("None", "Archived"):
            raise ValueError("must be Staging or Production")
        return stage


class MlflowBackend(Backend[MlflowOptions]):
    kind = "mlflow"
    description = "An MLflow tracking server and model registry (runs, models, promotions), over REST."
    capabilities = frozenset({Capability.RUNS, Capability.REGISTRY, Capability.PROMOTIONS})
    server_side_run_query = True

    def __init__(self, name: str = "mlflow", options: MlflowOptions | Mapping[str, Any] | None = None) -> None:
        super().__init__(name, options)
        self.url = self.options.url or ""
        self._client: MlflowHttp | None = None
        self._runs: RunSync | None = None
        self._experiments: tuple[Experiment, ...] | None = None
        self._poll_memo: dict[str, asyncio.Future[Any]] | None = None  # each name its own result type
        self._poll_deadline: float | None = None
        self._cache_path: Path | None = None
        self._cache_key = ""
        self._cache_checked = False
        self._runs_progress = ""

    # -- life cycle ----------------------------------------------------------------------
    async def open(self) -> None:
        if self._client is not None:
            return
        url = self.options.url
        if url is None:
            url = os.environ.get("MLFLOW_TRACKING_URI", "").strip()
            if not url:
                raise BackendError("no MLflow URL: set url in the config or MLFLOW_TRACKING_URI")
            try:
                url = check_http_url(url)
            except ValueError as exc:
                raise BackendError(f"MLFLOW_TRACKING_URI {exc}; mlops-tui talks to a tracking server") from None
        connection = HttpBackendOptions(
            url=url,
            auth=self.options.auth or _auth_from_environment() or HttpAuth(),
            verify=self.options.verify,
            ca_bundle=self.options.ca_bundle,
            timeout_seconds=self.options.timeout_seconds,
            max_response_mb=self.options.max_response_mb,
        )
        client = MlflowHttp(connection)
        client.client()  # reads the secrets now, so a missing one shows at once
        self.url = url
        self._client = client
        self._runs = RunSync(
            client,
            backend=self.name,
            page_size=self.options.page_size,
            full_reload_seconds=self.options.full_reload_seconds,
            report=self._report_runs,
            settled=self._save_cache if self.options.cache else None,
        )
        if self.options.cache:
            self._cache_key = run_cache.cache_key(url, self.options.experiments)
            self._cache_path = run_cache.cache_path(url, self.options.experiments)

    async def close(self) -> None:
        if self._runs is not None:
            await self._runs.stop()
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    @property
    def client(self) -> MlflowHttp:
        if self._client is None:
            raise BackendError("the MLflow backend is not open")
        return self._client

    # -- the poll ------------------------------------------------------------------------
    async def server_version(self) -> str:
        try:
            return await self.client.version()
        except BackendError:
            return ""  # not worth failing a poll that otherwise worked

    async def collect(self, query: RunQuery) -> BackendData:
        await self.open()
        if not self._cache_checked:
            # The runs of the last session, shown before any request is made.
            await self._publish_cached_runs(query)
        loop = asyncio.get_running_loop()
        self._poll_memo = {}
        self._runs_progress = ""
        self._poll_deadline = loop.time() + min(self.options.timeout_seconds * _RUNS_SHARE_OF_POLL, _RUNS_WAIT_SECONDS)
        try:
            data = await super().collect(query)
        finally:
            self._poll_memo = None
            self._poll_deadline = None
        return dataclasses.replace(data, progress=self._runs_progress)

    async def _once(self, name: str, load: Callable[[], Awaitable[T]]) -> T:
        """During a poll, one shared load per name (models and versions both need aliases)."""
        memo = self._poll_memo
        if memo is None:
            return await load()
        future: asyncio.Future[T] | None = memo.get(name)
        if future is None:
            future = memo[name] = asyncio.ensure_future(load())
        return await future

    # -- runs ----------------------------------------------------------------------------
    async def list_experiments(self) -> Sequence[Experiment]:
        return await self._once("experiments", self._load_experiments)

    async def _load_experiments(self) -> tuple[Experiment, ...]:
        answer = await self._paginate(
            "POST",
            "/experiments/search",
            {"max_results": 1000, "view_type": "ACTIVE_ONLY"},
            "experiments",
        )
        found = [convert.experiment(e, self.name) for e in answer]
        wanted = self.options.experiments
        if wanted:
            by_name = {e.name: e for e in found}
            missing = [n for n in wanted if n not in by_name]
            if missing:
                raise NotFound(
                    f"no active experiment named {', '.join(repr(n) for n in missing)} on {self.client.where}"
                )
            found = [by_name[n] for n in wanted]
        self._experiments = tuple(found)
        return self._experiments

    @staticmethod
    def _query_key(query: RunQuery, experiments: Sequence[Experiment]) -> QueryKey:
        ids = [e.id for e in experiments]
        if query.experiment_ids:
            ids = [i for i in query.experiment_ids if i in set(ids)]
        return (query.filter.strip(), tuple(query.order_by), tuple(sorted(set(ids))))

    async def list_runs(self, query: RunQuery) -> Sequence[Run]:
        experiments = await self.list_experiments()
        assert self._runs is not None
        runs, self._runs_progress = await self._runs.runs(self._query_key(query, experiments), self._poll_deadline)
        return runs

    def _report_runs(self, runs: tuple[Run, ...] | None, progress: str) -> None:
        self.report_partial(BackendData(experiments=self._experiments, runs=runs, progress=progress))

    async def metric_history(self, run_id: str, key: str) -> Sequence[MetricPoint]:
        params = {"run_id": run_id, "metric_key": key, "max_results": 25_000}
        return convert.metric_points(await self._paginate("GET", "/metrics/get-history", params, "metrics"))

    async def _paginate(self, method: str, path: str, request: dict[str, Any], items: str) -> list[dict[str, Any]]:
        """Every item of a paged MLflow list (`items` of each page), following next_page_token.

        GET lists take the request as query parameters, POST searches as a JSON body.
        """
        found: list[dict[str, Any]] = []
        token = None
        while True:
            page_request = dict(request, page_token=token) if token else request
            if method == "GET":
                page = await self.client.call(method, path, params=page_request)
            else:
                page = await self.client.call(method, path, json_body=page_request)
            found.extend(page.get(items) or ())
            token = page.get("next_page_token")
            if not token:
                return found

    # -- the runs cache ----------------------------------------------------------------------
    async def _publish_cached_runs(self, query: RunQuery) -> None:
        """Show the runs of the last session at once, before any request is made."""
        self._cache_checked = True
        if self._cache_path is None or self._runs is None or self._runs.state is not None:
            return
        cached = await asyncio.to_thread(run_cache.load, self._cache_path, self._cache_key)
        if cached is None or cached.query[:2] != self._query_key(query, ())[:2]:
            return  # nothing cached, or the answer to another filter or sort
        try:
            runs = await asyncio.to_thread(self._runs.adopt, cached)
        except Exception as exc:  # rows that no longer fit the domain models: a miss
            log.info("runs cache ignored: %s", type(exc).__name__)
            self._runs.state = None
            return
        self._experiments = tuple(Experiment(id=i, name=n, tags=t, backend=self.name) for i, n, t in cached.experiments)
        self.report_partial(BackendData(experiments=self._experiments, runs=runs, progress="checking for new runs…"))

    async def _save_cache(self, state: RunState) -> None:
        if self._cache_path is None:
            return
        cached = CachedRuns(
            query=state.query,
            experiments=tuple((e.id, e.name, dict(e.tags)) for e in self._experiments or ()),
            rows=list(state.rows.values()),
            deleted=tuple(sorted(state.deleted or ())),
            loaded_at=state.loaded_at,
        )
        await asyncio.to_thread(run_cache.save, self._cache_path, self._cache_key, cached)

    def clear_cache(self) -> int:
        """Forget this server's cached runs (the next launch loads them from the server)."""
        return run_cache.clear_cache(self.url, self.options.experiments) if self.url else 0

    # -- registry ------------------------------------------------------------------------
    async def _load_models(self) -> list[dict[str, Any]]:
        """Every registered model as `registered-models/get` answers it (with its aliases)."""
        params = {"max_results": min(self.options.page_size, 1000)}
        found = await self._paginate("GET", "/registered-models/search", params, "registered_models")
        names = [str(m.get("name")) for m in found]
        # Search answers may leave aliases out (MLflow issues 16734, 9952): ask each model.
        gate = asyncio.Semaphore(_MODEL_GETS_AT_ONCE)

        async def get(name: str) -> dict[str, Any] | None:
            async with gate:
                try:
                    answer = await self.client.get("/registered-models/get", {"name": name})
                except NotFound:  # deleted since the search
                    return None
            return answer.get("registered_model") or None

        models = await asyncio.gather(*(get(n) for n in names))
        return [m for m in models if m is not None]

    async def _load_versions(self) -> list[dict[str, Any]]:
        params = {"max_results": self.options.page_size}
        return await self._paginate("GET", "/model-versions/search", params, "model_versions")

    async def _aliases(self) -> dict[str, dict[str, str]]:
        models = await self._once("models", self._load_models)
        return {str(m.get("name")): convert.alias_map(m) for m in models}

    async def list_models(self) -> Sequence[RegisteredModel]:
        models = await self._once("models", self._load_models)
        versions = await self._once("versions", self._load_versions)
        latest: dict[str, str] = {}
        for v in versions:
            name, number = str(v.get("name")), str(v.get("version"))
            if _version_number(number) > _version_number(latest.get(name, "")):
                latest[name] = number
        return sorted(
            (
                convert.registered_model(m, convert.alias_map(m), latest.get(str(m.get("name")), ""), self.name)
                for m in models
            ),
            key=lambda m: m.name,
        )

    async def list_versions(self) -> Sequence[ModelVersion]:
        # Promotions and events are built from the same list: convert once per poll.
        return await self._once("model_versions", self._build_versions)

    async def _build_versions(self) -> list[ModelVersion]:
        aliases = await self._aliases()
        versions = await self._once("versions", self._load_versions)
        out = [convert.model_version(v, aliases.get(str(v.get("name")), {}), self.name) for v in versions]
        out.sort(key=convert.version_sort_key)
        return out

    async def alias_holder(self, model: str, alias: str) -> str | None:
        try:
            if self.options.use_stages:
                return await self._stage_holder(model, self._stage_for(alias))
            answer = await self.client.get("/registered-models/alias", {"name": model, "alias": alias})
        except NotFound:  # no such model (404 RESOURCE_DOES_NOT_EXIST): nobody holds it
            return None
        except ApiError as exc:
            # MLflow answers a missing alias with 400 INVALID_PARAMETER_VALUE "... not found".
            if "not found" in exc.server_message.lower():
                return None
            raise
        version = (answer.get("model_version") or {}).get("version")
        return str(version) if version is not None else None

    def _stage_for(self, target: str) -> str:
        """A request's target as a stage: a stage name itself, else the configured stage."""
        return STAGES.get(target.strip().lower()) or self.options.target_stage

    async def _stage_holder(self, model: str, stage: str) -> str | None:
        answer = await self.client.post("/registered-models/get-latest-versions", {"name": model, "stages": [stage]})
        held = [
            str(v.get("version"))
            for v in answer.get("model_versions") or ()
            if str(v.get("current_stage", "")).lower() == stage.lower()
        ]
        return max(held, key=_version_number, default=None)

    # -- promotions ----------------------------------------------------------------------
    async def list_promotions(self) -> Sequence[PromotionRequest]:
        versions = await self.list_versions()
        now = utcnow()
        found = []
        for v in versions:
            request = tags_scheme.from_tags(
                v.model,
                v.version,
                v.tags,
                default_target=self.promotion_target,
                fallback_time=v.created or now,
                backend=self.name,
            )
            if request is not None:
                found.append(request)
            found.extend(
                tags_scheme.past_requests(
                    v.model,
                    v.version,
                    v.tags,
                    default_target=self.promotion_target,
                    backend=self.name,
                )
            )
        return found

    @property
    def promotion_target(self) -> str:
        """What a new request should ask for: the alias, or in stages mode the stage."""
        return self.options.target_stage if self.options.use_stages else self.options.promotion_target

    async def list_events(self) -> Sequence[Event]:
        """New versions and promotion requests and decisions, oldest first."""
        events = [
            Event(
                time=v.created,
                model=v.model,
                kind=EventKind.NEW_VERSION,
                text=f"v{v.version} registered" + (f" by {v.user}" if v.user else ""),
                backend=self.name,
            )
            for v in await self.list_versions()
            if v.created is not None
        ]
        for p in await self.list_promotions():
            if p.state == PromotionState.PENDING:
                text = f"v{p.version} requested for {p.target} by {p.requester}"
            else:
                text = f"v{p.version} {p.state.value} for {p.target} by {p.decided_by}"
                text += f": {p.reason}" if p.reason else ""
            at = p.decided_at or p.requested_at
            events.append(Event(time=at, model=p.model, kind=EventKind.PROMOTION, text=text, backend=self.name))
        events.sort(key=lambda e: e.time)
        return events

    # -- promotion writes: in promotions.py, on this server's client ----------------------
    async def request_promotion(self, request: PromotionRequest) -> None:
        await tags_scheme.write_request(self.client, request)

    async def approve_promotion(self, request: PromotionRequest, approver: str, at: datetime) -> None:
        stage = self._stage_for(request.target) if self.options.use_stages else None
        await tags_scheme.approve(
            self.client,
            request,
            approver,
            at,
            stage=stage,
            read_holder=lambda: self.alias_holder(request.model, request.target),
            settle=self.options.approval_settle_seconds,
        )

    async def record_approval(self, request: PromotionRequest, approver: str, at: datetime) -> tuple[str, ...]:
        """One approval of several the policy wants: a tag; the alias does not move."""
        return await tags_scheme.record_approval(self.client, request, approver, at)

    async def reject_promotion(self, request: PromotionRequest, approver: str, at: datetime, reason: str) -> None:
        await tags_scheme.reject(self.client, request, approver, at, reason)

    # -- the approval card: signature and dataset inputs (model_card.py) --------------------
    async def version_card(self, model: str, version: str) -> VersionCard:
        """The version's signature and its source run's dataset inputs (unknown is said)."""
        return await model_card.version_card(self.client, model, version)

    # -- MLflow 3 logged models (logged_models.py) -----------------------------------------
    async def logged_model(self, model_id: str) -> LoggedModel | None:
        """The logged model a version points at; None on servers without them (before 3.0)."""
        return await logged_models.get_logged_model(self.client, model_id, self.name)


def _auth_from_environment() -> HttpAuth | None:
    """The variables MLflow's own client reads, as references to them (basic wins)."""
    if os.environ.get("MLFLOW_TRACKING_USERNAME") and os.environ.get("MLFLOW_TRACKING_PASSWORD"):
        return HttpAuth(
            type="basic",
            username="env:MLFLOW_TRACKING_USERNAME",
            password="env:MLFLOW_TRACKING_PASSWORD",
        )
    if os.environ.get("MLFLOW_TRACKING_TOKEN"):
        return HttpAuth(type="bearer", token="env:MLFLOW_TRACKING_TOKEN")
    return None


def _version_number(version: str) -> int:
    try:
        return int(version)
    except ValueError:
        return -1


__all__ = ["AuthOptions", "MlflowBackend", "MlflowOptions"]
