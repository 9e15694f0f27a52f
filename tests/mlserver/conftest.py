"""Fixtures for the deployment-health tests: a real MLServer with the tests' runtime, a real
Prometheus scraping its metrics port, and (re-exported) the real MLflow server of tests/mlflow.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.mlflow.conftest import mlflow_server  # noqa: F401  (the real MLflow, shared)
from tests.mlserver.server import MLServerProcess
from tests.prometheus.server import DriftExporter, PrometheusServer
from tests.server_process import ServerError, started


@pytest.fixture(scope="session")
def mlserver(tmp_path_factory) -> Iterator[MLServerProcess]:
    """One MLServer for the session: fraud-detector v6 and churn v3. Tests that unload a
    model load it again before they end."""
    server = MLServerProcess(tmp_path_factory.mktemp("mlserver"), {"fraud-detector": "6", "churn": "3"})
    yield from started(server)


@pytest.fixture
def own_mlserver(tmp_path) -> Iterator[MLServerProcess]:
    """An MLServer of this test's own, for tests that stop it."""
    server = MLServerProcess(tmp_path / "own-mlserver", {"fraud-detector": "6"})
    yield from started(server)


@pytest.fixture(scope="session")
def serving_prometheus(tmp_path_factory, mlserver) -> Iterator[PrometheusServer]:
    """Debian's Prometheus scraping MLServer's metrics port every second (job "mlserver")."""
    exporter = DriftExporter().start()
    server = PrometheusServer(
        tmp_path_factory.mktemp("serving-prometheus"), exporter, jobs={"mlserver": mlserver.metrics_target}
    )
    try:
        server.start()
    except ServerError as exc:
        server.stop()
        exporter.stop()
        pytest.fail(str(exc), pytrace=False)
    try:
        yield server
    finally:
        server.stop()
        exporter.stop()
