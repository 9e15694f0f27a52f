"""The hub: polls every configured backend concurrently, off the UI thread, into snapshots.

Each backend runs on a thread and event loop of its own, so a backend that hangs, even one
that blocks its loop, delays neither the other backends nor the keyboard. A backend's next
poll is armed only after its last one finished (polls never overlap); each poll has a
timeout, and failures back off exponentially. After every poll the hub merges the latest
data of all backends into a new immutable `Snapshot` and hands it to `on_snapshot`.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import threading
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import fields, replace
from typing import Any, TypeVar

from mlops_tui.backends.base import Backend, BackendData, RunQuery
from mlops_tui.backends.errors import BackendUnavailable, NotFound, Unauthorized
from mlops_tui.core.secrets import redact, redact_data
from mlops_tui.domain import BackendState, BackendStatus
from mlops_tui.domain.base import utcnow
from mlops_tui.services.snapshot import Snapshot

log = logging.getLogger(__name__)
T = TypeVar("T")


def describe_error(exc: BaseException) -> tuple[BackendState, str]:
    """The state and the one-line message a user sees for a failed poll (secrets masked)."""
    state, message = _describe(exc)
    return state, redact(message)


def _describe(exc: BaseException) -> tuple[BackendState, str]:
    if isinstance(exc, (asyncio.TimeoutError, TimeoutError)):
        return BackendState.UNREACHABLE, "no answer in time"
    if isinstance(exc, BackendUnavailable):
        return BackendState.UNREACHABLE, str(exc) or "unreachable"
    if isinstance(exc, Unauthorized):
        return BackendState.UNAUTHORISED, str(exc) or "credentials refused"
    message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return BackendState.ERROR, redact(message, 200)  # mask, then cut


class BackendRunner:
    """One backend on its own thread and loop: polls it and runs calls against it."""

    def __init__(self, hub: Hub, backend: Backend[Any], refresh_seconds: float) -> None:
        self.hub = hub
        self.backend = backend
        hint = backend.refresh_hint_seconds
        self.refresh_seconds = min(refresh_seconds, hint) if hint else refresh_seconds
        self.timeout = float(getattr(backend.options, "timeout_seconds", 10.0))
        self.status = BackendStatus(
            name=backend.name, kind=backend.kind, capabilities=tuple(sorted(backend.capabilities))
        )
        self.data: BackendData | None = None
        self.failures = 0
        self.loop = asyncio.new_event_loop()
        self._wake: asyncio.Event | None = None
        self._stopping = False
        self._ready = threading.Event()
        self.thread = threading.Thread(target=self._run, name=f"mlops-tui-backend-{backend.name}", daemon=True)
        # The Runs view's server-side filter and sort; read and written on this runner's loop.
        self.run_query = RunQuery()

    def _on_partial(self, partial: BackendData) -> None:
        """A backend's mid-poll data (first pages of runs): show it before the poll ends."""
        base, partial = self.data or BackendData(), redact_data(partial)
        updates = {
            f.name: getattr(partial, f.name)
            for f in fields(BackendData)
            if getattr(partial, f.name) is not None and f.name not in ("version", "query_error", "progress", "cut")
        }
        self.data = replace(base, **updates)
        self.status = self.status.model_copy(update={"progress": partial.progress})
        self.hub._publish()

    def start(self) -> None:
        self.thread.start()
        self._ready.wait(5)

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self._wake = asyncio.Event()
        self._ready.set()
        try:
            self.loop.run_until_complete(self._poll_forever())
        finally:
            try:
                self.loop.run_until_complete(asyncio.wait_for(self.backend.close(), 2))
            except Exception:  # closing is best effort
                pass
            self.loop.close()

    async def _poll_forever(self) -> None:
        assert self._wake is not None
        opened = False
        while not self._stopping:
            if not opened:
                opened = await self._guarded(self.backend.open())
            if opened:
                await self.poll_once()
            if self._stopping:
                break
            delay = self.next_delay()
            try:
                await asyncio.wait_for(self._wake.wait(), delay)
            except TimeoutError:
                pass
            self._wake.clear()

    def next_delay(self) -> float:
        if self.failures == 0:
            return self.refresh_seconds
        return min(self.refresh_seconds * 2.0 ** (self.failures - 1), self.hub.max_backoff_seconds)

    async def _guarded(self, coro: Awaitable[object]) -> bool:
        try:
            await asyncio.wait_for(coro, self.timeout)
            return True
        except Exception as exc:
            self._fail(exc)
            self.hub._publish()
            return False

    async def poll_once(self) -> None:
        started = time.monotonic()
        try:
            data = redact_data(
                await asyncio.wait_for(self.backend.fetch(self.run_query, self._on_partial), self.timeout)
            )  # echoed secrets
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            self._fail(exc)
        else:
            took = time.monotonic() - started
            if not self.status.version and data.version:
                version = data.version
            else:
                version = data.version or self.status.version
            state = BackendState.SLOW if took > self.hub.slow_seconds else BackendState.OK
            message = f"answered in {took:.1f}s" if state == BackendState.SLOW else ""
            self.data = data
            self.failures = 0
            self.status = self.status.model_copy(
                update={
                    "state": state,
                    "message": message,
                    "since": None,
                    "last_ok": utcnow(),
                    "version": version,
                    "progress": data.progress,
                    "query_error": data.query_error,
                }
            )
        self.hub._publish()

    def _fail(self, exc: BaseException) -> None:
        state, message = describe_error(exc)
        named = getattr(exc, "for_backend", None)  # e.g. "raise max_response_mb for am"
        if callable(named):
            message = redact(str(named(self.backend.name)))
        log.warning("backend %s: %s", self.backend.name, message)
        self.failures += 1
        since = self.status.since if self.status.state == state and self.status.since else utcnow()
        self.status = self.status.model_copy(update={"state": state, "message": message, "since": since})

    def wake(self) -> None:
        if self._wake is not None and not self.loop.is_closed():
            self.loop.call_soon_threadsafe(self._wake.set)

    def set_run_query(self, query: RunQuery) -> None:
        """Use `query` from the next poll on, and poll now (thread-safe)."""

        def apply() -> None:
            self.run_query = query
            if self._wake is not None:
                self._wake.set()

        if self.loop.is_closed():
            return
        if self._ready.is_set():
            self.loop.call_soon_threadsafe(apply)
        else:  # not started yet: no loop thread to hand it to
            self.run_query = query

    def submit(self, coro: Awaitable[T], timeout: float | None = None) -> concurrent.futures.Future[T]:
        return asyncio.run_coroutine_threadsafe(asyncio.wait_for(coro, timeout or self.timeout), self.loop)

    def stop(self) -> None:
        self._stopping = True
        self.wake()


class Hub:
    """Owns one `BackendRunner` per backend and the latest merged `Snapshot`."""

    def __init__(
        self,
        backends: Sequence[Backend[Any]],
        *,
        refresh_seconds: float = 15.0,
        slow_seconds: float = 3.0,
        max_backoff_seconds: float = 300.0,
        on_snapshot: Callable[[Snapshot], None] | None = None,
    ) -> None:
        names = [b.name for b in backends]
        if len(set(names)) != len(names):
            raise ValueError(f"backend names must be unique: {names}")
        self.slow_seconds = slow_seconds
        self.max_backoff_seconds = max_backoff_seconds
        self.on_snapshot = on_snapshot
        self._lock = threading.Lock()
        self._generation = 0
        self._snapshot = Snapshot(
            statuses=tuple(
                BackendStatus(name=b.name, kind=b.kind, capabilities=tuple(sorted(b.capabilities))) for b in backends
            )
        )
        self.runners = {b.name: BackendRunner(self, b, refresh_seconds) for b in backends}
        self._started = False

    @property
    def backends(self) -> list[Backend[Any]]:
        return [r.backend for r in self.runners.values()]

    @property
    def snapshot(self) -> Snapshot:
        return self._snapshot

    def start(self) -> None:
        if self._started:
            return
        self._started = True
        for runner in self.runners.values():
            runner.start()

    def stop(self, timeout: float = 2.0) -> None:
        for runner in self.runners.values():
            runner.stop()
        deadline = time.monotonic() + timeout
        for runner in self.runners.values():
            if runner.thread.is_alive():
                runner.thread.join(max(0.0, deadline - time.monotonic()))

    def set_run_query(self, query: RunQuery) -> None:
        """Send the Runs view's server-side filter and sort to the backends that take one."""
        for runner in self.runners.values():
            if runner.backend.server_side_run_query:
                runner.set_run_query(query)

    @property
    def has_server_side_run_query(self) -> bool:
        return any(r.backend.server_side_run_query for r in self.runners.values())

    def refresh(self, backend: str | None = None) -> None:
        """Poll now (one backend, or all) instead of waiting for the next interval."""
        for name, runner in self.runners.items():
            if backend is None or name == backend:
                runner.wake()

    def _publish(self) -> None:
        with self._lock:
            self._generation += 1
            statuses = tuple(r.status for r in self.runners.values())
            datas = {n: r.data for n, r in self.runners.items() if r.data is not None}
            snapshot = Snapshot.merge(self._generation, statuses, datas, self._snapshot)
            self._snapshot = snapshot
        snapshot.warm()  # here, not on the UI thread that shows it
        callback = self.on_snapshot
        if callback is not None:
            try:
                callback(snapshot)
            except Exception:
                log.exception("snapshot callback failed")

    # -- calls from the UI or the CLI ------------------------------------------------------
    def backend(self, name: str) -> Backend[Any]:
        try:
            return self.runners[name].backend
        except KeyError:
            raise NotFound(f"no backend named {name!r}") from None

    def submit(
        self, name: str, call: Callable[[Backend[Any]], Awaitable[T]], timeout: float | None = None
    ) -> concurrent.futures.Future[T]:
        """Run `call(backend)` on that backend's own loop; thread-safe."""
        runner = self.runners.get(name)
        if runner is None:
            future: concurrent.futures.Future[T] = concurrent.futures.Future()
            future.set_exception(NotFound(f"no backend named {name!r}"))
            return future
        return runner.submit(call(runner.backend), timeout)

    async def call(self, name: str, call: Callable[[Backend[Any]], Awaitable[T]], timeout: float | None = None) -> T:
        """Await `call(backend)` from any event loop (the UI's, the CLI's)."""
        return redact_data(await asyncio.wrap_future(self.submit(name, call, timeout)))

    def wait_for_first_poll(self, timeout: float = 30.0) -> Snapshot:
        """Block until every backend has been polled once (for headless commands)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if all(r.status.state != BackendState.PENDING for r in self.runners.values()):
                break
            time.sleep(0.02)
        return self._snapshot


__all__ = ["BackendRunner", "Hub", "describe_error"]
