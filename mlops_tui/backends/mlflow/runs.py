"""Keeping the runs of one query in step with MLflow: one full load, then cheap refreshes.

A full load pages through `runs/search` and hands every page to the hub as it arrives. After
that a refresh asks only for what can have changed, as far as the API allows:

- runs started since the newest one seen (`attributes.start_time >= T`),
- runs that were RUNNING or SCHEDULED (`attributes.run_id IN (...)`), to pick up metrics
  and their end,
- deleted runs (`run_view_type=DELETED_ONLY`), to drop them; runs restored since are
  fetched back by id.

What the API cannot tell cheaply (a tag added to a finished run, a run created with a start
time in the past) is caught by a full reload every `full_reload_seconds`, done in the
background while the old set stays on screen.

The loading happens in a task that outlives a poll: a poll waits for it only until its
deadline and then returns what is there with a progress note, so paging through a huge
experiment is never killed by the hub's per-poll timeout.
"""

from __future__ import annotations

import asyncio
import logging
import math
import re
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any

from mlops_tui.backends.errors import InvalidFilter
from mlops_tui.backends.mlflow.cache import CachedRuns, QueryKey
from mlops_tui.backends.mlflow.client import ApiError, MlflowHttp
from mlops_tui.backends.mlflow.convert import RunRow, run_from_row, run_row
from mlops_tui.core.heap import settling
from mlops_tui.domain import Run

log = logging.getLogger(__name__)

ACTIVE_STATUSES = frozenset({"RUNNING", "SCHEDULED"})
_IDS_PER_QUERY = 200
MAX_PAGE = 50_000  # runs/search refuses more

Report = Callable[[tuple[Run, ...] | None, str], None]
Settled = Callable[["RunState"], Awaitable[None]]


@dataclass
class RunState:
    """The runs of one query as last seen; `rows` are ordered as they are shown."""

    query: QueryKey
    rows: dict[str, RunRow]
    runs: dict[str, Run]
    deleted: set[str] | None  # ids seen deleted at the last refresh; None: not looked yet
    loaded_at: float  # wall-clock seconds of the last full load

    def ordered(self) -> tuple[Run, ...]:
        return tuple(self.runs.values())


def and_filter(*parts: str) -> str:
    return " and ".join(p.strip() for p in parts if p and p.strip())


def _quote(value: str) -> str:
    return "'" + value.replace("'", "") + "'"


class RunSync:
    """The runs of the current query: what is on screen, and the task that brings it up to date."""

    def __init__(
        self,
        client: MlflowHttp,
        *,
        backend: str,
        page_size: int,
        full_reload_seconds: float,
        report: Report,
        settled: Settled | None = None,
    ) -> None:
        self.client = client
        self.backend = backend
        self.page_size = max(1, min(page_size, MAX_PAGE))
        self.full_reload_seconds = full_reload_seconds
        self._report = report
        self._settled = settled
        self.state: RunState | None = None
        self.current: tuple[Run, ...] = ()
        self.progress = ""
        self._task: asyncio.Task[None] | None = None
        self._task_query: QueryKey | None = None
        self._awaited = False

    # -- what the backend calls ------------------------------------------------------------
    def adopt(self, cached: CachedRuns) -> tuple[Run, ...]:
        """Take runs from the disk cache as the state to refresh from (no network)."""
        rows: dict[str, RunRow] = {}
        runs: dict[str, Run] = {}
        for row in settling(cached.rows):  # not 50,000 new runs at once on the UI thread
            rows[row[0]] = row
            runs[row[0]] = run_from_row(row, self.backend)
        self.state = RunState(cached.query, rows, runs, set(cached.deleted), cached.loaded_at)
        self.current = self.state.ordered()
        return self.current

    async def runs(self, query: QueryKey, deadline: float | None) -> tuple[tuple[Run, ...], str]:
        """The runs for `query` and what is still loading ("" when complete).

        Waits for the loading task until `deadline` (loop time; None: to the end).
        """
        if self._task is not None and self._task.done():
            # Finished in the background since the last poll: report its failure now, or
            # go on to a refresh as usual.
            finished, self._task = self._task, None
            if not finished.cancelled():
                finished.result()
        if self._task is not None and self._task_query != query:
            self._task.cancel()  # the query changed: what it was loading is no use any more
            self._task = None
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._work(query))
            self._task_query = query
        task = self._task
        self._awaited = True
        try:
            if deadline is None:
                await asyncio.wait({task})
            else:
                remaining = deadline - asyncio.get_running_loop().time()
                if remaining > 0:
                    await asyncio.wait({task}, timeout=remaining)
        finally:
            self._awaited = False
        if not task.done():
            return self.current, self.progress or "loading runs…"
        self._task = None
        task.result()  # raises what the loading raised
        return self.current, ""

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is None:
            return
        if not task.done():
            task.cancel()
        try:
            await task  # also collects the error of a load that failed unobserved
        except BaseException:
            pass

    # -- the work --------------------------------------------------------------------------
    async def _work(self, query: QueryKey) -> None:
        state = self.state
        if state is None or state.query != query:
            await self._full_load(query, background=False)
        elif self.full_reload_seconds > 0 and time.time() - state.loaded_at > self.full_reload_seconds:
            await self._full_load(query, background=True)
        else:
            # A cancelled load of another query may have left its pages in `current`.
            self.current = state.ordered()
            await self._refresh(state)
        self.progress = ""
        if not self._awaited:  # nobody is waiting: tell the hub ourselves that it is complete
            self._report(self.current, "")

    async def _full_load(self, query: QueryKey, *, background: bool) -> None:
        experiment_ids, user_filter, order_by = query[2], query[0], query[1]
        rows: dict[str, RunRow] = {}
        runs: dict[str, Run] = {}

        def on_page(page: list[RunRow]) -> None:
            for row in settling(page):  # not 50,000 new runs at once on the UI thread
                rows[row[0]] = row
                runs[row[0]] = run_from_row(row, self.backend)
            if background:
                self.progress = f"refreshing runs: {len(runs):,}…"
                self._report(None, self.progress)
            else:
                self.current = tuple(runs.values())
                self.progress = f"loading runs: {len(runs):,}…"
                self._report(self.current, self.progress)

        if experiment_ids:
            await self._pages(experiment_ids, user_filter, order_by, "ACTIVE_ONLY", on_page, query)
        state = RunState(query, rows, runs, None, time.time())
        self.state = state
        self.current = state.ordered()
        await self._persist(state)

    async def _refresh(self, state: RunState) -> None:
        query = state.query
        user_filter, order_by, experiment_ids = query
        if not experiment_ids:
            return
        newest = max((row[4] for row in state.rows.values()), default=0)
        active = [run_id for run_id, row in state.rows.items() if row[3] in ACTIVE_STATUSES]

        found: list[RunRow] = []

        async def collect(extra: str, view: str = "ACTIVE_ONLY", into: list[RunRow] | None = None) -> None:
            sink = found if into is None else into
            # No order_by: the merge below sorts locally, and unordered searches are cheaper.
            await self._pages(experiment_ids, and_filter(user_filter, extra), (), view, sink.extend, query)

        deleted_rows: list[RunRow] = []
        active_rows: list[RunRow] = []
        jobs = [
            collect(f"attributes.start_time >= {int(newest)}"),
            collect("", "DELETED_ONLY", deleted_rows),
            *(collect(self._ids_clause(chunk), into=active_rows) for chunk in _chunks(active)),
        ]
        await asyncio.gather(*jobs)
        deleted = {row[0] for row in deleted_rows}

        restored: list[RunRow] = []
        if state.deleted is not None:
            back = [run_id for run_id in state.deleted - deleted if run_id not in state.rows]
            await asyncio.gather(*(collect(self._ids_clause(chunk), into=restored) for chunk in _chunks(back)))

        changed = False
        seen_active = {row[0] for row in active_rows}
        for run_id in active:
            if run_id not in seen_active and run_id in state.rows:
                # Gone from the active view: deleted, or it no longer matches the filter.
                del state.rows[run_id], state.runs[run_id]
                changed = True
        for row in (*found, *active_rows, *restored):
            old = state.rows.get(row[0])
            if old is None or not _same_row(old, row):
                state.rows[row[0]] = row
                state.runs[row[0]] = run_from_row(row, self.backend)
                changed = True
        for run_id in deleted & state.rows.keys():
            del state.rows[run_id], state.runs[run_id]
            changed = True
        state_changed = changed or state.deleted != deleted
        state.deleted = deleted
        if changed:
            order = sort_rows(list(state.rows.values()), order_by)
            state.rows = {row[0]: row for row in order}
            state.runs = {row[0]: state.runs[row[0]] for row in order}
            self.current = state.ordered()
        if state_changed:
            await self._persist(state)

    async def _persist(self, state: RunState) -> None:
        if self._settled is not None:
            try:
                await self._settled(state)
            except Exception:  # the cache is a convenience: never fail a poll for it
                log.warning("could not write the MLflow runs cache", exc_info=True)

    @staticmethod
    def _ids_clause(ids: list[str]) -> str:
        return f"attributes.run_id IN ({', '.join(_quote(i) for i in ids)})"

    async def _pages(
        self,
        experiment_ids: tuple[str, ...],
        filter_string: str,
        order_by: tuple[str, ...],
        view: str,
        on_page: Callable[[list[RunRow]], object],
        query: QueryKey,
    ) -> None:
        """Every page of one search, in order. The next page is asked for before this one is
        converted, so the server builds it while we work."""
        body: dict[str, Any] = {
            "experiment_ids": list(experiment_ids),
            "max_results": self.page_size,
            "run_view_type": view,
        }
        if filter_string:
            body["filter"] = filter_string
        if order_by:
            body["order_by"] = list(order_by)
        user_query = bool(query[0] or query[1])

        async def page(token: str | None) -> dict[str, Any]:
            request = dict(body, page_token=token) if token else body
            try:
                return await self.client.post("/runs/search", request)
            except ApiError as exc:
                if user_query and exc.error_code == "INVALID_PARAMETER_VALUE":
                    raise InvalidFilter(exc.server_message or str(exc)) from None
                raise

        loop = asyncio.get_running_loop()
        pending: asyncio.Task[dict[str, Any]] | None = loop.create_task(page(None))
        try:
            while pending is not None:
                answer = await pending
                token = answer.get("next_page_token")
                pending = loop.create_task(page(token)) if token else None
                if pending is not None:
                    await asyncio.sleep(0)  # let the next request go out first
                on_page([run_row(wire) for wire in answer.get("runs") or ()])
        finally:
            if pending is not None and not pending.done():
                pending.cancel()


def _chunks(ids: list[str]) -> Iterable[list[str]]:
    for i in range(0, len(ids), _IDS_PER_QUERY):
        yield ids[i : i + _IDS_PER_QUERY]


def _same_float(a: float, b: float) -> bool:
    return a == b or (a != a and b != b)  # NaN equals NaN here


def _same_row(a: RunRow, b: RunRow) -> bool:
    if a == b:
        return True
    if a[:7] != b[:7] or a[7] != b[7] or a[9] != b[9]:
        return False
    ma, mb = a[8], b[8]
    return ma.keys() == mb.keys() and all(_same_float(ma[k], mb[k]) for k in ma)


# -- ordering, for merged results -------------------------------------------------------
_ATTRIBUTE_INDEX = {
    "run_id": 0,
    "experiment_id": 1,
    "run_name": 2,
    "run name": 2,
    "status": 3,
    "start_time": 4,
    "created": 4,
    "end_time": 5,
    "user_id": 6,
}
_CLAUSE = re.compile(
    r"^\s*(?:(?P<kind>metrics?|params?|parameters?|tags?|attributes?|attr|run)\.)?"
    r"(?P<key>`[^`]+`|\"[^\"]+\"|'[^']+'|.+?)\s*(?:\s(?P<dir>asc|desc))?\s*$",
    re.IGNORECASE,
)


def _clause_getter(clause: str) -> tuple[Callable[[RunRow], object], bool] | None:
    m = _CLAUSE.match(clause)
    if m is None:
        return None
    kind = (m.group("kind") or "attributes").lower()
    key = m.group("key").strip()
    if key[:1] in "`\"'" and key[-1:] == key[:1]:
        key = key[1:-1]
    descending = (m.group("dir") or "asc").lower() == "desc"
    if kind.startswith("metric"):
        return (lambda row: row[8].get(key)), descending
    if kind.startswith("param"):
        return (lambda row: row[7].get(key)), descending
    if kind.startswith("tag"):
        return (lambda row: row[9].get(key)), descending
    index = _ATTRIBUTE_INDEX.get(key.lower())
    if index is None:
        return None
    return (lambda row: row[index]), descending


def _sort_once(rows: list[RunRow], get: Callable[[RunRow], object], descending: bool) -> list[RunRow]:
    """One stable sort; as in MLflow, NaN comes after numbers and missing values last."""
    present, nan, missing = [], [], []
    for row in rows:
        value = get(row)
        if value is None:
            missing.append(row)
        elif isinstance(value, float) and math.isnan(value):
            nan.append(row)
        else:
            present.append(row)
    present.sort(key=get, reverse=descending)  # type: ignore[arg-type]
    return present + nan + missing


def sort_rows(rows: list[RunRow], order_by: tuple[str, ...]) -> list[RunRow]:
    """Rows ordered as runs/search orders them: the clauses, then start_time DESC, run_id."""
    clauses = []
    for clause in order_by:
        getter = _clause_getter(clause)
        if getter is None:  # a clause we cannot mimic: keep the order we have
            return rows
        clauses.append(getter)
    clauses.append(((lambda row: row[4]), True))
    clauses.append(((lambda row: row[0]), False))
    for get, descending in reversed(clauses):
        rows = _sort_once(rows, get, descending)
    return rows
