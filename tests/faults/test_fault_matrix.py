"""Every backend × every fault, through a fault-injecting proxy in front of the real server.

For each pair: the backend first answers through the proxy; then the fault is switched on and
the backend's state must say what happened, in words, within one refresh plus the timeout; the
kinds of data it provides must read as not complete (the views then say "unknown"); another
backend keeps refreshing; nothing logs a traceback. Then the fault clears and the backend must
answer again within one refresh plus the timeout. Refresh and timeout are short to keep it fast.
"""

from __future__ import annotations

import logging
import time

import pytest

from mlops_tui.backends.alertmanager.backend import AlertmanagerBackend
from mlops_tui.backends.demo.backend import DemoBackend
from mlops_tui.backends.evidently.backend import EvidentlyBackend
from mlops_tui.backends.mlflow.backend import MlflowBackend
from mlops_tui.backends.prometheus.backend import PrometheusBackend
from mlops_tui.domain import BackendState
from mlops_tui.services.hub import Hub
from tests.faults.conftest import RESULTS
from tests.faults.proxy import FAULTS, FaultProxy

REFRESH = 1.0
TIMEOUT = 2.0
SLACK = 4.0  # a busy 2-core machine: scheduling, server start-up of a connection, the poll itself
WITHIN = REFRESH + TIMEOUT + SLACK

BACKENDS = {
    "mlflow": (
        "mlflow_server",
        lambda url: MlflowBackend("under-test", MlflowBackend.Options(url=url, timeout_seconds=TIMEOUT, cache=False)),
    ),
    "alertmanager": (
        "alertmanager_server",
        lambda url: AlertmanagerBackend("under-test", AlertmanagerBackend.Options(url=url, timeout_seconds=TIMEOUT)),
    ),
    "prometheus": (
        "prometheus_server",
        lambda url: PrometheusBackend("under-test", PrometheusBackend.Options(url=url, timeout_seconds=TIMEOUT)),
    ),
    "evidently": (
        "evidently_server",
        lambda url: EvidentlyBackend("under-test", EvidentlyBackend.Options(url=url, timeout_seconds=TIMEOUT)),
    ),
}

# Words the state or message must hold for the faults whose cause the client can know.
SAYS = {
    "refused": ("refused",),
    "hang": ("did not answer", "no answer"),
    "500": ("500",),
    "401": ("unauthorised",),
    "403": ("unauthorised", "403", "forbidden"),
    "trickle": ("did not answer", "no answer"),
    "redirect": ("redirect",),
}
ANSWERED = (BackendState.OK, BackendState.SLOW)


def wait_for(predicate, within: float, what: str) -> float:
    """Seconds until `predicate()` held; fails naming `what` after `within` seconds."""
    started = time.monotonic()
    while not predicate():
        if time.monotonic() - started > within:
            raise AssertionError(f"{what}: not within {within:.0f}s")
        time.sleep(0.02)
    return time.monotonic() - started


@pytest.mark.parametrize("fault", FAULTS)
@pytest.mark.parametrize("kind", list(BACKENDS))
def test_fault_matrix(kind, fault, request, caplog):
    caplog.set_level(logging.WARNING)
    fixture, make = BACKENDS[kind]
    server = request.getfixturevalue(fixture)
    proxy = FaultProxy(server.port).start()
    backend = make(proxy.url)
    other = DemoBackend("other", DemoBackend.Options(runs=20))
    hub = Hub([backend, other], refresh_seconds=REFRESH, max_backoff_seconds=REFRESH)
    runner = hub.runners["under-test"]
    capabilities = [str(c) for c in backend.capabilities]

    def status():
        return hub.snapshot.status_of("under-test")

    def complete() -> bool:
        return all(hub.snapshot.coverage(c).complete for c in capabilities)

    hub.start()
    try:
        try:
            wait_for(complete, 60, "the first answer through the proxy")
            proxy.set_fault(fault)
            took = wait_for(lambda: status().state not in ANSWERED, WITHIN, "the state shows the fault")
            # the second failed poll began after the fault for sure (not a connection cut by it)
            seen_states = []

            def second_failure() -> bool:
                seen_states.append((status().state.value, status().message[:60], runner.failures))
                return runner.failures >= 2

            try:
                wait_for(second_failure, WITHIN, "a second poll under the fault")
            except AssertionError:
                raise AssertionError(
                    f"a second poll under the fault: not within {WITHIN:.0f}s; seen "
                    f"{list(dict.fromkeys(seen_states))[:6]}"
                ) from None
            said = status()
            words = f"{said.state.value} {said.message}".lower()
            assert said.message, f"no words for {said.state.value}"
            if fault in SAYS:
                assert any(w in words for w in SAYS[fault]), f"says {words!r}"
            assert "traceback" not in words and 'file "' not in words
            for capability in capabilities:
                assert not hub.snapshot.coverage(capability).complete, f"{capability} reads as complete"
            seen = hub.snapshot.status_of("other").last_ok
            wait_for(lambda: hub.snapshot.status_of("other").last_ok != seen, WITHIN, "the other backend refreshes")
            proxy.set_fault(None)
            back = wait_for(complete, WITHIN, "recovery after the fault clears")
            assert not [r for r in caplog.records if r.exc_info and r.name.startswith("mlops_tui")], (
                "the app logged a traceback"
            )
        except AssertionError as exc:
            RESULTS[(kind, fault)] = f"FAIL ({exc})".splitlines()[0][:160]
            raise
        RESULTS[(kind, fault)] = "pass"
        print(f"{kind} × {fault}: state after {took:.1f}s ({words}); recovered in {back:.1f}s")
    finally:
        hub.stop()
        proxy.stop()
