"""The `mlflow` backend: runs, the model registry and promotion requests from an MLflow server.

Talks to MLflow's REST API (`/api/2.0/mlflow`) with httpx; the `mlflow` package is not
needed. Promotion requests live in model-version tags (see `promotions.py`), so everyone
using the same server sees them.
"""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import logging
import os
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import Any, Literal, TypeVar

import httpx
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from mlops_tui.backends.base import Backend, BackendData, BackendOptions, Capability
from mlops_tui.backends.errors import (
    BackendError,
    NotFound,
    PromotionConflict,
    Unauthorized,
)
from mlops_tui.backends.mlflow import cache as run_cache
from mlops_tui.backends.mlflow import convert
from mlops_tui.backends.mlflow import promotions as tags_scheme
from mlops_tui.backends.mlflow.cache import CachedRuns, QueryKey
from mlops_tui.backends.mlflow.client import ApiError, RestClient, display_host
from mlops_tui.backends.mlflow.runs import RunState, RunSync
from mlops_tui.config.errors import SecretError
from mlops_tui.config.secrets import is_secret_ref, resolve_secret
from mlops_tui.domain import (
    Event,
    EventKind,
    Experiment,
    MetricPoint,
    ModelVersion,
    PromotionRequest,
    PromotionState,
    RegisteredModel,
    Run,
)
from mlops_tui.domain.base import utcnow

log = logging.getLogger(__name__)
T = TypeVar("T")

STAGES = {"none": "None", "staging": "Staging", "production": "Production", "archived": "Archived"}
_MODEL_GETS_AT_ONCE = 8
# A poll waits for the runs at most this share of its timeout, and at most this long (the
# hub calls a poll over 3 s "slow"); then it returns what has arrived and the loading goes on
# in the background, handing the hub each further page (see runs.py).
_RUNS_SHARE_OF_POLL = 0.6
_RUNS_WAIT_SECONDS = 2.0


class AuthOptions(BaseModel):
    """How to authenticate. Secrets are `keyring:NAME` or `env:VAR` references only."""

    # A rejected value may be a pasted secret: keep it out of validation messages.
    model_config = ConfigDict(extra="forbid", frozen=True, hide_input_in_errors=True)

    type: Literal["none", "bearer", "basic"] = "none"
    token: str | None = None
    username: str | None = None  # a plain name, or a reference
    password: str | None = None

    @field_validator("token", "password")
    @classmethod
    def _reference_only(cls, value: str | None) -> str | None:
        if value is not None and not is_secret_ref(value):
            # Never repeat the value: it is probably the secret itself.
            raise ValueError('must be a reference such as "keyring:NAME" or "env:VAR"')
        return value

    @model_validator(mode="after")
    def _complete(self) -> AuthOptions:
        if self.type == "bearer" and not self.token:
            raise ValueError('bearer auth needs token = "keyring:NAME" or "env:VAR"')
        if self.type == "basic" and not (self.username and self.password):
            raise ValueError("basic auth needs a username and a password reference")
        return self


class MlflowBackend(Backend):
    kind = "mlflow"
    description = "An MLflow tracking server and model registry (runs, models, promotions), over REST."
    capabilities = frozenset({Capability.RUNS, Capability.REGISTRY, Capability.PROMOTIONS})
    server_side_run_query = True

    class Options(BackendOptions):
        model_config = ConfigDict(extra="forbid", frozen=True, hide_input_in_errors=True)

        url: str | None = None  # None: $MLFLOW_TRACKING_URI
        auth: AuthOptions | None = None  # None: $MLFLOW_TRACKING_USERNAME/PASSWORD or _TOKEN
        verify: bool = True
        ca_bundle: str | None = None
        experiments: list[str] = []  # names; empty: every active experiment
        page_size: int = Field(default=1000, ge=1, le=50_000)
        promotion_target: str = "champion"
        use_stages: bool = False
        target_stage: str = "Production"
        cache: bool = True
        # Incremental refreshes cannot see every change (a tag added to a finished run);
        # a full reload in the background catches those. 0 turns it off.
        full_reload_seconds: float = Field(default=600.0, ge=0)

        @field_validator("url")
        @classmethod
        def _http_url(cls, value: str | None) -> str | None:
            if value is None:
                return None
            value = value.strip()
            if not _is_http_url(value):
                raise ValueError("must be an http:// or https:// URL of an MLflow tracking server")
            return value.rstrip("/")

        @field_validator("target_stage")
        @classmethod
        def _known_stage(cls, value: str) -> str:
            stage = STAGES.get(value.strip().lower())
            if stage is None or stage in ("None", "Archived"):
                raise ValueError("must be Staging or Production")
            return stage

    def __init__(self, name: str = "mlflow", options: BackendOptions | None = None) -> None:
        if options is not None and not isinstance(options, MlflowBackend.Options):
            options = MlflowBackend.Options.model_validate(options.model_dump())
        super().__init__(name, options)
        opts = self.options
        assert isinstance(opts, MlflowBackend.Options)
        self.opts: MlflowBackend.Options = opts
        self.url = opts.url or ""
        self._client: RestClient | None = None
        self._runs: RunSync | None = None
        self._version = ""
        self._experiments: tuple[Experiment, ...] | None = None
        self._poll_memo: dict[str, asyncio.Future] | None = None
        self._poll_deadline: float | None = None
        self._cache_path = None
        self._cache_key = ""
        self._cache_checked = False
        self._runs_progress = ""

    # -- life cycle ----------------------------------------------------------------------
    async def open(self) -> None:
        if self._client is not None:
            return
        url = self.opts.url or os.environ.get("MLFLOW_TRACKING_URI", "").strip().rstrip("/")
        if not url:
            raise BackendError("no MLflow URL: set url in the config or MLFLOW_TRACKING_URI")
        if not _is_http_url(url):
            raise BackendError("MLFLOW_TRACKING_URI is not an http(s) URL; mlops-tui talks to a tracking server")
        self.url = url
        headers = self._auth_headers(display_host(url))
        self._client = RestClient(
            url,
            headers=headers,
            verify=self.opts.verify,
            ca_bundle=self.opts.ca_bundle,
            timeout_seconds=self.opts.timeout_seconds,
        )
        self._runs = RunSync(
            self._client,
            backend=self.name,
            page_size=self.opts.page_size,
            full_reload_seconds=self.opts.full_reload_seconds,
            report=self._report_runs,
            settled=self._save_cache if self.opts.cache else None,
        )
        if self.opts.cache:
            self._cache_key = run_cache.cache_key(url, self.opts.experiments)
            self._cache_path = run_cache.cache_path(url, self.opts.experiments)
            await self._publish_cached_runs()

    async def close(self) -> None:
        if self._runs is not None:
            await self._runs.stop()
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    def _auth_headers(self, host: str) -> dict[str, str]:
        auth = self.opts.auth
        try:
            if auth is None:  # the variables MLflow's own client reads
                user = os.environ.get("MLFLOW_TRACKING_USERNAME")
                password = os.environ.get("MLFLOW_TRACKING_PASSWORD")
                token = os.environ.get("MLFLOW_TRACKING_TOKEN")
                if user and password:
                    return {"Authorization": _basic(user, password)}
                if token:
                    return {"Authorization": f"Bearer {token}"}
                return {}
            if auth.type == "bearer":
                return {"Authorization": f"Bearer {resolve_secret(auth.token or '')}"}
            if auth.type == "basic":
                user = auth.username or ""
                if is_secret_ref(user):
                    user = resolve_secret(user)
                return {"Authorization": _basic(user, resolve_secret(auth.password or ""))}
            return {}
        except SecretError as exc:
            raise Unauthorized(f"cannot read the credentials for {host}: {exc.problem}") from None

    @property
    def client(self) -> RestClient:
        if self._client is None:
            raise BackendError("the MLflow backend is not open")
        return self._client

    async def server_version(self) -> str:
        return await self.client.version()

    # -- the poll ------------------------------------------------------------------------
    async def fetch(self) -> BackendData:
        await self.open()
        loop = asyncio.get_running_loop()
        self._poll_memo = {}
        self._runs_progress = ""
        self._poll_deadline = loop.time() + min(self.opts.timeout_seconds * _RUNS_SHARE_OF_POLL, _RUNS_WAIT_SECONDS)
        try:
            data = await super().fetch()
        finally:
            self._poll_memo = None
            self._poll_deadline = None
        if not self._version:
            try:
                self._version = await self.server_version()
            except BackendError:
                pass  # not worth failing a poll that otherwise worked
        return dataclasses.replace(data, version=self._version, progress=self._runs_progress)

    async def _once(self, name: str, load: Callable[[], Awaitable[T]]) -> T:
        """During a poll, one shared load per name (models and versions both need aliases)."""
        memo = self._poll_memo
        if memo is None:
            return await load()
        future = memo.get(name)
        if future is None:
            future = memo[name] = asyncio.ensure_future(load())
        return await future

    # -- runs ----------------------------------------------------------------------------
    async def list_experiments(self) -> Sequence[Experiment]:
        return await self._once("experiments", self._load_experiments)

    async def _load_experiments(self) -> tuple[Experiment, ...]:
        found: list[Experiment] = []
        token = None
        while True:
            body: dict[str, Any] = {"max_results": 1000, "view_type": "ACTIVE_ONLY"}
            if token:
                body["page_token"] = token
            page = await self.client.post("/experiments/search", body)
            found.extend(convert.experiment(e, self.name) for e in page.get("experiments") or ())
            token = page.get("next_page_token")
            if not token:
                break
        wanted = self.opts.experiments
        if wanted:
            by_name = {e.name: e for e in found}
            missing = [n for n in wanted if n not in by_name]
            if missing:
                raise NotFound(
                    f"no active experiment named {', '.join(repr(n) for n in missing)} on {self.client.host}"
                )
            found = [by_name[n] for n in wanted]
        self._experiments = tuple(found)
        return self._experiments

    def _query_key(self, experiments: Sequence[Experiment]) -> QueryKey:
        ids = [e.id for e in experiments]
        asked = self.run_query.experiment_ids
        if asked:
            ids = [i for i in asked if i in set(ids)]
        return (
            self.run_query.filter.strip(),
            tuple(self.run_query.order_by),
            tuple(sorted(set(ids))),
        )

    async def list_runs(self) -> Sequence[Run]:
        experiments = await self.list_experiments()
        assert self._runs is not None
        if not self._cache_checked:
            await self._publish_cached_runs()
        runs, self._runs_progress = await self._runs.runs(self._query_key(experiments), self._poll_deadline)
        return runs

    def _report_runs(self, runs: tuple[Run, ...] | None, progress: str) -> None:
        self.report_partial(BackendData(experiments=self._experiments, runs=runs, progress=progress))

    async def metric_history(self, run_id: str, key: str) -> Sequence[MetricPoint]:
        points: list[dict] = []
        token = None
        while True:
            params: dict[str, Any] = {"run_id": run_id, "metric_key": key, "max_results": 25_000}
            if token:
                params["page_token"] = token
            page = await self.client.get("/metrics/get-history", params)
            points.extend(page.get("metrics") or ())
            token = page.get("next_page_token")
            if not token:
                break
        return convert.metric_points(points)

    # -- the runs cache ----------------------------------------------------------------------
    async def _publish_cached_runs(self) -> None:
        """Show the runs of the last session at once, before any request is made."""
        self._cache_checked = True
        if self._cache_path is None or self._runs is None or self._runs.state is not None:
            return
        cached = await asyncio.to_thread(run_cache.load, self._cache_path, self._cache_key)
        if cached is None or cached.query[:2] != self._query_key(())[:2]:
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
        return run_cache.clear_cache(self.url, self.opts.experiments) if self.url else 0

    # -- registry ------------------------------------------------------------------------
    async def _load_models(self) -> list[dict[str, Any]]:
        """Every registered model as `registered-models/get` answers it (with its aliases)."""
        names: list[str] = []
        token = None
        while True:
            params: dict[str, Any] = {"max_results": min(self.opts.page_size, 1000)}
            if token:
                params["page_token"] = token
            page = await self.client.get("/registered-models/search", params)
            names.extend(str(m.get("name")) for m in page.get("registered_models") or ())
            token = page.get("next_page_token")
            if not token:
                break
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
        versions: list[dict[str, Any]] = []
        token = None
        while True:
            params: dict[str, Any] = {"max_results": self.opts.page_size}
            if token:
                params["page_token"] = token
            page = await self.client.get("/model-versions/search", params)
            versions.extend(page.get("model_versions") or ())
            token = page.get("next_page_token")
            if not token:
                break
        return versions

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
            if self.opts.use_stages:
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
        return STAGES.get(target.strip().lower()) or self.opts.target_stage

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
        return found

    @property
    def promotion_target(self) -> str:
        """What a new request should ask for: the alias, or in stages mode the stage."""
        return self.opts.target_stage if self.opts.use_stages else self.opts.promotion_target

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

    async def _version_tags(self, model: str, version: str) -> dict[str, str]:
        answer = await self.client.get("/model-versions/get", {"name": model, "version": version})
        return convert.key_values((answer.get("model_version") or {}).get("tags"))

    async def _set_tags(self, model: str, version: str, tags: dict[str, str]) -> None:
        for key, value in tags.items():
            await self.client.post(
                "/model-versions/set-tag",
                {"name": model, "version": version, "key": key, "value": value},
            )

    async def _delete_tags(self, model: str, version: str, keys: Sequence[str]) -> None:
        for key in keys:
            await self.client.delete("/model-versions/delete-tag", {"name": model, "version": version, "key": key})

    async def request_promotion(self, request: PromotionRequest) -> None:
        current = await self._version_tags(request.model, request.version)
        new = tags_scheme.request_tags(request)
        await self._set_tags(request.model, request.version, new)
        # A new request starts clean: no decision of an earlier one, no stale note.
        stale = [k for k in (*tags_scheme.DECISION_TAGS, tags_scheme.NOTE) if k in current and k not in new]
        await self._delete_tags(request.model, request.version, stale)

    async def _check_still_pending(self, request: PromotionRequest) -> dict[str, str]:
        tags = await self._version_tags(request.model, request.version)
        label = f"{request.model} v{request.version}"
        state = tags.get(tags_scheme.STATE)
        if state:
            by = tags.get(tags_scheme.DECIDED_BY, "someone")
            raise PromotionConflict(f"{label}: the request was already {state} by {by}; nothing was changed")
        if not tags_scheme.is_pending(tags):
            raise PromotionConflict(f"{label} has no pending promotion request any more; nothing was changed")
        if tags.get(tags_scheme.TARGET) != request.target or tags.get(tags_scheme.REQUESTER) != request.requester:
            raise PromotionConflict(
                f"{label}: the request changed since you opened it (now {tags.get(tags_scheme.TARGET)} "
                f"requested by {tags.get(tags_scheme.REQUESTER)}); nothing was changed"
            )
        return tags

    async def approve_promotion(self, request: PromotionRequest, approver: str, at: datetime) -> None:
        tags = await self._check_still_pending(request)
        if self.opts.use_stages:
            await self.client.post(
                "/model-versions/transition-stage",
                {
                    "name": request.model,
                    "version": request.version,
                    "stage": self._stage_for(request.target),
                    "archive_existing_versions": True,
                },
            )
        else:
            await self.client.post(
                "/registered-models/alias",
                {"name": request.model, "alias": request.target, "version": request.version},
            )
        await self._decide(request, tags, PromotionState.APPROVED, approver, at, "")

    async def reject_promotion(self, request: PromotionRequest, approver: str, at: datetime, reason: str) -> None:
        tags = await self._check_still_pending(request)
        await self._decide(request, tags, PromotionState.REJECTED, approver, at, reason)

    async def _decide(
        self,
        request: PromotionRequest,
        current: dict[str, str],
        state: PromotionState,
        by: str,
        at: datetime,
        reason: str,
    ) -> None:
        decision = tags_scheme.decision_tags(state, by, at, reason)
        await self._set_tags(request.model, request.version, decision)
        gone = [k for k in (*tags_scheme.REQUEST_TAGS, tags_scheme.REASON) if k in current and k not in decision]
        await self._delete_tags(request.model, request.version, gone)


def _is_http_url(value: str) -> bool:
    if not value.lower().startswith(("http://", "https://")):
        return False
    try:
        return bool(httpx.URL(value).host)
    except Exception:
        return False


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode("ascii")


def _version_number(version: str) -> int:
    try:
        return int(version)
    except ValueError:
        return -1


__all__ = ["AuthOptions", "MlflowBackend"]
