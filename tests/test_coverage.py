"""Snapshot.coverage: does every source of a kind of data answer in full, and what is missing?"""

from __future__ import annotations

from datetime import UTC, datetime

from mlops_tui.backends.base import Backend, BackendOptions, Capability
from mlops_tui.backends.errors import BackendUnavailable
from mlops_tui.domain import Alert, BackendState, BackendStatus
from mlops_tui.services.hub import Hub
from mlops_tui.services.snapshot import Snapshot
from tests.server_process import wait_until


def status(name, state=BackendState.OK, caps=("alerts", "silences"), **kw) -> BackendStatus:
    return BackendStatus(name=name, kind="alertmanager", state=state, capabilities=caps, **kw)


def test_every_source_answered_is_complete():
    snap = Snapshot(statuses=(status("am-eu"), status("am-us", BackendState.SLOW)))
    cov = snap.coverage("alerts")
    assert cov.complete and cov.settled
    assert cov.describe() == ""


def test_a_failed_source_is_named_with_state_message_and_since():
    since = datetime(2026, 1, 5, 10, 2, tzinfo=UTC)
    snap = Snapshot(
        statuses=(
            status("am-us"),
            status("am-eu", BackendState.UNREACHABLE, message="connection refused", since=since),
        )
    )
    cov = snap.coverage("alerts")
    assert not cov.complete
    assert [s.name for s in cov.missing] == ["am-eu"]
    local = since.astimezone().strftime("%H:%M")
    assert cov.describe() == f"am-eu unreachable since {local} (connection refused)"
    assert cov.settled  # nothing more comes without a retry


def test_a_source_not_answered_yet_is_missing_but_not_settled():
    snap = Snapshot(statuses=(status("am-eu", BackendState.PENDING),))
    cov = snap.coverage("alerts")
    assert not cov.complete and not cov.settled
    assert cov.describe() == "am-eu has not answered yet"


def test_runs_still_loading_are_incomplete_but_other_kinds_of_that_backend_are_not():
    mlflow = BackendStatus(
        name="mlflow",
        kind="mlflow",
        state=BackendState.OK,
        capabilities=("promotions", "registry", "runs"),
        progress="loading runs: 2,000…",
    )
    snap = Snapshot(statuses=(mlflow,))
    assert not snap.coverage("runs").complete
    assert snap.coverage("runs").describe() == "mlflow loading runs: 2,000…"
    assert not snap.coverage("runs").settled  # it is still coming: wait for it
    assert snap.coverage("registry").complete


def test_only_sources_of_the_kind_count():
    snap = Snapshot(
        statuses=(
            status("am"),
            BackendStatus(
                name="mlflow", kind="mlflow", state=BackendState.ERROR, message="500", capabilities=("runs",)
            ),
        )
    )
    assert snap.coverage("alerts").complete
    assert not snap.coverage("runs").complete


def test_no_source_of_the_kind_is_not_complete():
    cov = Snapshot(statuses=(status("am"),)).coverage("drift")
    assert not cov.complete
    assert cov.describe() == "no configured backend provides drift"


# -- through the hub: capabilities and since come from the backend ---------------------------


class Options(BackendOptions):
    timeout_seconds: float = 0.5


class Flaky(Backend):
    kind = "test-flaky-alerts"
    capabilities = frozenset({Capability.ALERTS})
    Options = Options

    def __init__(self, name, options=None):
        super().__init__(name, options)
        self.down = True

    async def list_alerts(self):
        if self.down:
            raise BackendUnavailable("connection refused")
        return [Alert(fingerprint="f1", labels={"alertname": "HighLatency"}, starts_at=datetime.now(UTC))]


def test_hub_statuses_carry_capabilities_and_failure_start():
    backend = Flaky("am-eu")
    hub = Hub([backend], refresh_seconds=0.05, max_backoff_seconds=0.05)
    assert hub.snapshot.coverage("alerts").sources[0].name == "am-eu"
    hub.start()
    try:
        wait_until(lambda: hub.snapshot.status_of("am-eu").state == BackendState.UNREACHABLE, 10, "am-eu unreachable")
        first = hub.snapshot.status_of("am-eu").since
        assert first is not None
        cov = hub.snapshot.coverage("alerts")
        assert "am-eu unreachable since " in cov.describe()
        assert cov.describe().endswith("(connection refused)")
        # a failure that goes on keeps the time it began
        generation = hub.snapshot.generation
        wait_until(lambda: hub.snapshot.generation > generation + 2, 10, "two more polls")
        assert hub.snapshot.status_of("am-eu").since == first
        backend.down = False
        wait_until(lambda: hub.snapshot.coverage("alerts").complete, 10, "alerts complete again")
        assert hub.snapshot.status_of("am-eu").since is None
    finally:
        hub.stop()
