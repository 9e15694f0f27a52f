"""The hub polls every backend on its own thread, with timeouts and backoff, into snapshots."""

from __future__ import annotations

import asyncio
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest

from mlops_tui.backends.base import Backend, BackendOptions, Capability
from mlops_tui.backends.errors import BackendUnavailable, Unauthorized
from mlops_tui.domain import Alert, AlertState, BackendState, Deployment, DeploymentHealth
from mlops_tui.services.hub import Hub
from mlops_tui.services.snapshot import by_severity
from tests.conftest import wait_until


class Options(BackendOptions):
    timeout_seconds: float = 0.5


class Deploys(Backend):
    """Answers one deployment per poll; counts polls and checks they never overlap."""

    kind = "test-deploys"
    capabilities = frozenset({Capability.DEPLOYMENTS})
    Options = Options

    def __init__(self, name, options=None, *, behaviour="ok", sleep=0.0):
        super().__init__(name, options)
        self.behaviour = behaviour
        self.sleep = sleep
        self.polls = 0
        self.running = 0
        self.overlapped = False

    async def list_deployments(self):
        self.running += 1
        self.overlapped |= self.running > 1
        try:
            self.polls += 1
            if self.behaviour == "hang":
                await asyncio.sleep(3600)
            if self.behaviour == "block":
                time.sleep(self.sleep)  # a badly written plugin that blocks its loop
            elif self.sleep:
                await asyncio.sleep(self.sleep)
            if self.behaviour == "down":
                raise BackendUnavailable("connection refused")
            if self.behaviour == "401":
                raise Unauthorized("401 from server")
            if self.behaviour == "boom":
                raise ZeroDivisionError("division by zero")
            return [Deployment(name=f"{self.name}-api", model="m", health=DeploymentHealth.HEALTHY)]
        finally:
            self.running -= 1


def make_hub(*backends, refresh=0.05, **kw):
    return Hub(list(backends), refresh_seconds=refresh, **kw)


async def test_snapshot_merges_every_backend_and_is_immutable():
    hub = make_hub(Deploys("a"), Deploys("b"))
    hub.start()
    try:
        await wait_until(lambda: len(hub.snapshot.deployments) == 2)
        snap = hub.snapshot
        assert {d.name for d in snap.deployments} == {"a-api", "b-api"}
        assert isinstance(snap.deployments, tuple)
        with pytest.raises(Exception):
            snap.deployments = ()  # type: ignore[misc]
        assert {s.name: s.state for s in snap.statuses} == {"a": BackendState.OK, "b": BackendState.OK}
        assert all(s.last_ok is not None for s in snap.statuses)
    finally:
        hub.stop()


@pytest.mark.parametrize(
    ("behaviour", "state", "words"),
    [
        ("down", BackendState.UNREACHABLE, "connection refused"),
        ("401", BackendState.UNAUTHORISED, "401"),
        ("boom", BackendState.ERROR, "division by zero"),
        ("hang", BackendState.UNREACHABLE, "no answer in time"),
    ],
)
async def test_failures_become_the_backends_own_state(behaviour, state, words):
    bad, good = Deploys("bad", behaviour=behaviour), Deploys("good")
    hub = make_hub(bad, good)
    hub.start()
    try:
        await wait_until(lambda: hub.snapshot.status_of("bad").state == state, timeout=5)
        await wait_until(lambda: hub.snapshot.status_of("good").state == BackendState.OK)
        status = hub.snapshot.status_of("bad")
        assert words in status.message
        assert "Traceback" not in status.message
        # the other backend is untouched
        assert [d.name for d in hub.snapshot.deployments] == ["good-api"]
    finally:
        hub.stop()


async def test_a_backend_that_blocks_its_loop_delays_no_other_backend():
    blocker = Deploys("blocker", behaviour="block", sleep=30.0)
    fast = Deploys("fast")
    hub = make_hub(blocker, fast)
    hub.start()
    try:
        await wait_until(lambda: fast.polls >= 5, timeout=20)
        # five polls of the fast backend while the blocker is still stuck in its first one
        assert blocker.polls == 1
    finally:
        hub.stop(timeout=0.1)


async def test_polls_never_overlap_and_failures_back_off():
    slow = Deploys("slow", sleep=0.1)
    down = Deploys("down", behaviour="down")
    hub = make_hub(slow, down, refresh=0.01, max_backoff_seconds=0.4)
    hub.start()
    try:
        await wait_until(lambda: slow.polls >= 3 and down.polls >= 3, timeout=20)
        assert not slow.overlapped
    finally:
        hub.stop()
    # the schedule itself, not a count of polls in wall-clock time: each failure doubles the
    # wait from the refresh interval, up to the cap; a success goes back to the interval
    runner = hub.runners["down"]
    delays = []
    for failures in range(1, 8):
        runner.failures = failures
        delays.append(runner.next_delay())
    assert delays == [0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.4]
    runner.failures = 0
    assert runner.next_delay() == 0.01


async def test_refresh_polls_now_instead_of_waiting():
    backend = Deploys("a")
    hub = make_hub(backend, refresh=60)
    hub.start()
    try:
        await wait_until(lambda: backend.polls == 1)
        await asyncio.sleep(0.1)
        assert backend.polls == 1
        hub.refresh()
        await wait_until(lambda: backend.polls == 2, timeout=2)
    finally:
        hub.stop()


async def test_recovers_when_the_backend_comes_back():
    backend = Deploys("a", behaviour="down")
    hub = make_hub(backend, refresh=0.02, max_backoff_seconds=0.05)
    hub.start()
    try:
        await wait_until(lambda: hub.snapshot.status_of("a").state == BackendState.UNREACHABLE)
        backend.behaviour = "ok"
        await wait_until(lambda: hub.snapshot.status_of("a").state == BackendState.OK, timeout=3)
        assert [d.name for d in hub.snapshot.deployments] == ["a-api"]
    finally:
        hub.stop()


async def test_snapshots_arrive_on_hub_threads_not_the_callers():
    seen: list[str] = []
    hub = make_hub(Deploys("a"), on_snapshot=lambda s: seen.append(threading.current_thread().name))
    hub.start()
    try:
        await wait_until(lambda: len(seen) >= 2)
        assert all(name.startswith("mlops-tui-backend-") for name in seen)
    finally:
        hub.stop()


class Storm(Backend):
    """Answers the same mixed alerts each poll: firing, silenced and resolved, any severity."""

    kind = "test-alerts"
    capabilities = frozenset({Capability.ALERTS})
    Options = Options

    def __init__(self, name, options=None):
        super().__init__(name, options)
        states = [AlertState.FIRING, AlertState.SUPPRESSED, AlertState.RESOLVED]
        severities = ["info", "critical", "warning", "page", "bogus"]
        start = datetime(2026, 12, 1, tzinfo=UTC)
        self.alerts = [
            Alert(
                fingerprint=f"{i:04x}",
                labels={"alertname": f"A{i}", "severity": severities[i % 5]},
                starts_at=start + timedelta(minutes=i % 7),
                state=states[i % 3],
                backend=name,
            )
            for i in range(300)
        ]

    async def list_alerts(self):
        return self.alerts


async def test_new_alerts_come_to_the_views_already_in_order():
    """The views' severity order is sorted on the hub's thread: a snapshot reaches the UI with
    it computed (the UI thread would otherwise sort 10,000 alerts in a repaint that a key
    waits for), and each view's list is that order cut, the same as sorting the cut."""
    handed: list[tuple[str, set[str]]] = []
    hub = make_hub(
        Storm("am"),
        on_snapshot=lambda s: handed.append((threading.current_thread().name, set(vars(s)))),
    )
    hub.start()
    try:
        await wait_until(lambda: len(hub.snapshot.alerts) == 300)
        snap = hub.snapshot
    finally:
        hub.stop()
    with_alerts = [(thread, computed) for thread, computed in handed if "alerts_by_severity" in computed]
    assert with_alerts, "no snapshot with its alerts in order was handed over"
    for thread, computed in with_alerts:
        assert thread.startswith("mlops-tui-backend-")
        assert {"active_by_severity", "firing_alerts", "firing_severities"} <= computed

    def names(alerts):
        return [a.name for a in alerts]

    active = [a for a in snap.alerts if a.state != AlertState.RESOLVED]
    firing = [a for a in snap.alerts if a.state == AlertState.FIRING]
    assert names(snap.alerts_by_severity) == names(by_severity(snap.alerts))
    assert names(snap.active_by_severity) == names(by_severity(active))
    assert names(snap.firing_alerts) == names(by_severity(firing))
    assert snap.active_by_severity[0].severity.rank <= snap.active_by_severity[-1].severity.rank
    assert dict(snap.firing_severities) == {
        severity: sum(1 for a in firing if a.severity == severity) for severity in {a.severity for a in firing}
    }


async def test_calls_run_on_the_backends_loop_and_time_out():
    backend = Deploys("a")
    hub = make_hub(backend, refresh=60)
    hub.start()
    try:
        deployments = await hub.call("a", lambda b: b.list_deployments())
        assert deployments[0].name == "a-api"
        with pytest.raises(asyncio.TimeoutError):
            await hub.call("a", lambda b: asyncio.sleep(5), timeout=0.1)
    finally:
        hub.stop()
