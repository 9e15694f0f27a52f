"""The `evidently` backend: per-feature drift history read from an Evidently UI's snapshots.

Each project's newest N snapshots form the history; each snapshot's report (DataDriftPreset:
one `ValueDrift` metric per column) becomes one DriftScore per column. Snapshots never change
once written, so reports are cached by snapshot id and a poll downloads only new ones; the
cache keeps what a timed-out poll already fetched, so a slow first load still converges.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Literal, TypeVar
from urllib.parse import quote

import httpx
from pydantic import Field, field_validator

from mlops_tui.backends.http import HttpBackendOptions, HttpStatusFailure, JsonHttp
from mlops_tui.backends.base import Backend, BackendData, Capability
from mlops_tui.backends.errors import BackendError, BadResponse, NotFound
from mlops_tui.backends.evidently.convert import (
    ColumnDrift,
    ProjectRef,
    SnapshotRef,
    WireError,
    columns_from_report,
    model_for,
    newest,
    projects_from_wire,
    scores_for,
    snapshots_from_wire,
)
from mlops_tui.config.errors import ConfigError
from mlops_tui.config.secrets import is_secret_ref, resolve_secret
from mlops_tui.domain import DriftScore

API = "/api"
SECRET_HEADER = "evidently-secret"
# Requests in flight at once: the UI renders each report from disk, and it is one process.
CONCURRENCY = 4

T = TypeVar("T")


class EvidentlyOptions(HttpBackendOptions):
    projects: list[str] = Field(default=[], description="project names to read; empty = every project")
    model_from: Literal["project", "tag"] = Field(
        default="project",
        description='"project": the project name is the model; "tag": a snapshot metadata entry or tag',
    )
    model_tag: str = Field(
        default="model", description='with model_from = "tag": metadata key, or tag "KEY=NAME" / "KEY:NAME"'
    )
    snapshots: int = Field(default=24, ge=1, le=10_000, description="most recent snapshots per project to show")
    secret: str | None = Field(
        default=None,
        description="reference (keyring:NAME or env:VAR) for the evidently-secret header; reads rarely need it",
    )

    @field_validator("projects")
    @classmethod
    def _check_projects(cls, value: list[str]) -> list[str]:
        names = [name.strip() for name in value]
        if any(not name for name in names):
            raise ValueError("project names must not be empty")
        return list(dict.fromkeys(names))

    @field_validator("model_tag")
    @classmethod
    def _check_model_tag(cls, value: str) -> str:
        if not value.strip():
            raise ValueError('must name a metadata key or tag prefix, e.g. "model"')
        return value.strip()

    @field_validator("secret")
    @classmethod
    def _check_secret(cls, value: str | None) -> str | None:
        if value is not None and not is_secret_ref(value):
            raise ValueError('must be a secret reference such as "keyring:NAME" or "env:VAR", not the secret itself')
        return value


class EvidentlyHttp(JsonHttp):
    """JsonHttp plus the `evidently-secret` header, resolved when the client is built."""

    def __init__(self, options: EvidentlyOptions) -> None:
        super().__init__("Evidently UI", options)
        self.secret_ref = options.secret

    def client(self) -> httpx.AsyncClient:
        if self._client is None:
            headers = self._secret_header()  # before building: a missing secret leaves no client
            super().client().headers.update(headers)
        return super().client()

    def _secret_header(self) -> dict[str, str]:
        if not self.secret_ref:
            return {}
        try:
            return {SECRET_HEADER: resolve_secret(self.secret_ref)}
        except ConfigError as exc:
            fix = f" ({exc.fix.splitlines()[0]})" if getattr(exc, "fix", None) else ""
            raise BackendError(f"secret for {self.where}: {exc.problem}{fix}") from None


def _first_backend_error(group: BaseExceptionGroup) -> BaseException:
    """The exception to raise for a failed task group: a BackendError when there is one."""
    leaves: list[BaseException] = []

    def walk(exc: BaseException) -> None:
        if isinstance(exc, BaseExceptionGroup):
            for inner in exc.exceptions:
                walk(inner)
        else:
            leaves.append(exc)

    walk(group)
    for exc in leaves:
        if isinstance(exc, BackendError):
            return exc
    return leaves[0] if leaves else group


async def _bounded_all(call: Callable[..., Awaitable[T]], items: Iterable[tuple], limit: int) -> list[T]:
    """`call(*item)` for every item, at most `limit` at once, results in order.

    The first failure cancels the rest and is raised as itself (not as an ExceptionGroup).
    """
    gate = asyncio.Semaphore(limit)

    async def one(args: tuple) -> T:
        async with gate:  # the coroutine is made only once it may run: none is left unawaited
            return await call(*args)

    try:
        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(one(args)) for args in items]
    except BaseExceptionGroup as failed:
        raise _first_backend_error(failed) from None
    return [t.result() for t in tasks]


class EvidentlyBackend(Backend):
    kind = "evidently"
    description = "Evidently UI: per-feature drift history from the reports (snapshots) of its projects."
    capabilities = frozenset({Capability.DRIFT})
    Options = EvidentlyOptions

    def __init__(self, name: str = "evidently", options: EvidentlyOptions | None = None) -> None:
        if options is None:
            raise TypeError("EvidentlyBackend needs options with at least a url")
        if not isinstance(options, EvidentlyOptions):
            options = EvidentlyOptions.model_validate(options.model_dump())
        super().__init__(name, options)
        self.ev_options: EvidentlyOptions = options
        self.http = EvidentlyHttp(options)
        # snapshot id -> its columns' drift. Snapshots are immutable; entries leave the cache
        # when their snapshot drops out of the newest N (or is deleted).
        self._reports: dict[str, tuple[ColumnDrift, ...]] = {}
        self._version: str | None = None

    # -- life cycle ----------------------------------------------------------------------
    async def open(self) -> None:
        self.http.client()  # resolves the secret now, so a missing one shows at once

    async def close(self) -> None:
        await self.http.aclose()

    async def server_version(self) -> str:
        try:
            body = await self.http.get_json(f"{API}/version", what="the version")
        except HttpStatusFailure as exc:
            if exc.status == 404:  # not every Evidently UI has it
                return ""
            raise
        version = body.get("version") if isinstance(body, dict) else None
        return version if isinstance(version, str) else ""

    async def fetch(self) -> BackendData:
        data = await super().fetch()
        if self._version is None:  # it does not change while we run: ask once
            self._version = await self.server_version()
        return dataclasses.replace(data, version=self._version)

    @property
    def cached_reports(self) -> int:
        """How many snapshots' reports are held (tests and status lines)."""
        return len(self._reports)

    # -- drift ---------------------------------------------------------------------------
    async def list_drift(self) -> Sequence[DriftScore]:
        projects = await self._projects()
        histories = await _bounded_all(self._history, [(p,) for p in projects], CONCURRENCY)
        wanted = [(p, s) for p, snaps in zip(projects, histories) for s in snaps]
        missing = list({s.id: (p, s) for p, s in wanted if s.id not in self._reports}.values())
        # Each download lands in the cache as it completes, so a poll cut short by a timeout
        # or one failing report still keeps what it fetched.
        await _bounded_all(self._download, missing, CONCURRENCY)
        keep = {s.id for _, s in wanted}
        for sid in [sid for sid in self._reports if sid not in keep]:
            del self._reports[sid]

        o = self.ev_options
        scores: list[DriftScore] = []
        for project, snapshot in wanted:
            model = model_for(project, snapshot, o.model_from, o.model_tag)
            scores += scores_for(list(self._reports[snapshot.id]), model=model, time=snapshot.time, backend=self.name)
        return scores

    async def _projects(self) -> list[ProjectRef]:
        body = await self.http.get_json(f"{API}/projects", what="the project list")
        try:
            projects = projects_from_wire(body)
        except WireError as exc:
            raise BadResponse(f"{self.http.where} sent a project list we cannot read: {exc}") from None
        wanted = self.ev_options.projects
        if not wanted:
            return projects
        chosen = [p for p in projects if p.name in wanted]
        missing = [name for name in wanted if name not in {p.name for p in chosen}]
        if missing:
            known = ", ".join(sorted({p.name for p in projects})) or "none"
            if len(known) > 200:
                known = known[:199] + "…"
            raise NotFound(
                f"{self.http.where} has no project named {', '.join(map(repr, missing))} (its projects: {known})"
            )
        return chosen

    async def _history(self, project: ProjectRef) -> list[SnapshotRef]:
        path = f"{API}/projects/{quote(project.id, safe='')}/snapshots"
        body = await self.http.get_json(path, what=f"the snapshots of project {project.name!r}")
        try:
            return newest(snapshots_from_wire(body), self.ev_options.snapshots)
        except WireError as exc:
            raise BadResponse(
                f"{self.http.where} sent a snapshot list for project {project.name!r} we cannot read: {exc}"
            ) from None

    async def _download(self, project: ProjectRef, snapshot: SnapshotRef) -> None:
        path = f"{API}/projects/{quote(project.id, safe='')}/{quote(snapshot.id, safe='')}/download"
        what = f"the report of snapshot {snapshot.id} in project {project.name!r}"
        body = await self.http.get_json(path, params={"report_format": "json"}, what=what)
        try:
            columns = columns_from_report(body)
        except WireError as exc:
            raise BadResponse(f"{self.http.where} sent {what}, which we cannot read: {exc}") from None
        self._reports[snapshot.id] = tuple(columns)
