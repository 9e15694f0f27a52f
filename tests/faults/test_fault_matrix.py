"""Every backend × every fault, through a fault-injecting proxy in front of the real server.

For each pair: the backend first answers through the proxy; then the fault is switched on and
the backend's state must say what happened, in words, within one refresh plus the timeout; the
kinds of data it provides must read as not complete (the views then say "unknown"); another
backend keeps refreshing; nothing logs a traceback. Then the fault clears and the backend must
answer again within one refresh plus the timeout. Refresh and timeout are short to keep it fast.

The model servers (`oip` in front of MLServer, `mlflow-serving` in front of `mlflow models
serve`) keep one server's trouble as that deployment's health and reason, so their poll can
succeed while the server is broken: for them "says what happened" is the deployment's reason
(or the backend's state, when the poll itself failed), "unknown, not healthy" is the deployment
not reading as healthy (or the deployments reading as not complete), and "recovered" is the
deployment healthy again.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from mlops_tui.backends.alertmanager.backend import AlertmanagerBackend
from mlops_tui.backends.base import Backend
from mlops_tui.backends.demo.backend import DemoBackend
from mlops_tui.backends.evidently.backend import EvidentlyBackend
from mlops_tui.backends.mlflow.backend import MlflowBackend
from mlops_tui.backends.mlflow_serving.backend import MlflowServingBackend
from mlops_tui.backends.oip.backend import OipBackend
from mlops_tui.backends.prometheus.backend import PrometheusBackend
from mlops_tui.domain import BackendState, DeploymentHealth
from mlops_tui.services.hub import Hub
from tests.faults.proxy import FAULTS, FaultProxy

REFRESH = 1.0
TIMEOUT = 2.0
SERVER_TIMEOUT = 1.0  # the model servers' per-server timeout (shorter than the poll's)
SLACK = 4.0  # a busy 2-core machine: scheduling, server start-up of a connection, the poll itself
WITHIN = REFRESH + TIMEOUT + SLACK


@dataclass(frozen=True)
class Row:
    fixture: str  # the real server's fixture
    make: Callable[[str], Backend]  # the backend under test, given the proxy's URL
    deployments: bool = False  # a model server: faults show as the deployments' health and reason


def _model_server(cls, deployment: dict) -> Callable[[str], Backend]:
    def make(url: str) -> Backend:
        options = cls.Options(
            deployments=[dict(deployment, url=url)], timeout_seconds=TIMEOUT, server_timeout_seconds=SERVER_TIMEOUT
        )
        return cls("under-test", options)

    return make


BACKENDS = {
    "mlflow": Row(
        "mlflow_server",
        lambda url: MlflowBackend("under-test", MlflowBackend.Options(url=url, timeout_seconds=TIMEOUT, cache=False)),
    ),
    "alertmanager": Row(
        "alertmanager_server",
        lambda url: AlertmanagerBackend("under-test", AlertmanagerBackend.Options(url=url, timeout_seconds=TIMEOUT)),
    ),
    "prometheus": Row(
        "prometheus_server",
        lambda url: PrometheusBackend("under-test", PrometheusBackend.Options(url=url, timeout_seconds=TIMEOUT)),
    ),
    "evidently": Row(
        "evidently_server",
        lambda url: EvidentlyBackend("under-test", EvidentlyBackend.Options(url=url, timeout_seconds=TIMEOUT)),
    ),
    "oip-mlserver": Row(
        "mlserver",
        _model_server(OipBackend, {"name": "fraud-prod", "model": "fraud-detector"}),
        deployments=True,
    ),
    "mlflow-serving": Row(
        "scoring_server",
        _model_server(MlflowServingBackend, {"name": "scoring-prod", "version": "1"}),
        deployments=True,
    ),
}

# Words the state or message must hold for the faults whose cause the client can know.
SAYS = {
    "refused": ("refused",),
    "hang": ("did not answer", "no answer"),
    "500": ("500",),
    "401": ("unauthorised", "credentials refused", "refused the credentials"),
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
    row = BACKENDS[kind]
    server = request.getfixturevalue(row.fixture)
    proxy = FaultProxy(server.port).start()
    backend = row.make(proxy.url)
    other = DemoBackend("other", DemoBackend.Options(runs=20))
    hub = Hub([backend, other], refresh_seconds=REFRESH, max_backoff_seconds=REFRESH)
    runner = hub.runners["under-test"]
    capabilities = [str(c) for c in backend.capabilities]

    def status():
        return hub.snapshot.status_of("under-test")

    def served():
        return [d for d in hub.snapshot.deployments if d.backend == "under-test"]

    def complete() -> bool:
        if not all(hub.snapshot.coverage(c).complete for c in capabilities):
            return False
        return not row.deployments or (bool(served()) and all(d.health == DeploymentHealth.HEALTHY for d in served()))

    def shows_fault() -> bool:
        if status().state not in ANSWERED:
            return True
        return row.deployments and any(d.health != DeploymentHealth.HEALTHY for d in served())

    def said_words() -> str:
        said = status()
        words = f"{said.state.value} {said.message}" if said.message else ""
        if row.deployments and said.state in ANSWERED:
            words = " ".join(f"{d.health.value} {d.reason}" for d in served() if d.reason)
        return words.lower()

    def polls() -> tuple:
        return (runner.failures, status().last_ok)

    hub.start()
    try:
        try:
            wait_for(complete, 60, "the first answer through the proxy")
            proxy.set_fault(fault)
            took = wait_for(shows_fault, WITHIN, "the state shows the fault")
            # the next poll began after the fault for sure (not a connection cut by it)
            seen_states = []
            before = polls()

            def next_poll() -> bool:
                seen_states.append(said_words()[:80])
                return polls() != before and shows_fault()

            try:
                wait_for(next_poll, WITHIN, "a second poll under the fault")
            except AssertionError:
                raise AssertionError(
                    f"a second poll under the fault: not within {WITHIN:.0f}s; seen "
                    f"{list(dict.fromkeys(seen_states))[:6]}"
                ) from None
            words = said_words()
            assert words, f"no words for {status().state.value}"
            if fault in SAYS:
                assert any(w in words for w in SAYS[fault]), f"says {words!r}"
            assert "traceback" not in words and 'file "' not in words
            if row.deployments:
                # listed, each not healthy; or the whole kind reads as not complete
                unknown = not hub.snapshot.coverage("deployments").complete
                assert unknown or (served() and all(d.health != DeploymentHealth.HEALTHY for d in served())), (
                    f"deployments read as {[d.health.value for d in served()]}"
                )
            else:
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
            request.node.user_properties.append(("fault_matrix", (kind, fault, f"FAIL ({exc})".splitlines()[0][:160])))
            raise
        request.node.user_properties.append(("fault_matrix", (kind, fault, "pass")))
        print(f"{kind} × {fault}: state after {took:.1f}s ({words}); recovered in {back:.1f}s")
    finally:
        hub.stop()
        proxy.stop()
