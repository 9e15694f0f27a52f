"""The real servers of the fault matrix (the fixtures of each backend's own tests). The
backend × fault table is printed at the end of the run by tests/conftest.py."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.alertmanager.fixtures import alertmanager_case, alertmanager_server  # noqa: F401
from tests.evidently.conftest import evidently_server, evidently_workspace  # noqa: F401
from tests.mlflow.conftest import mlflow_server  # noqa: F401
from tests.mlserver.conftest import mlserver  # noqa: F401  (MLServer: the `oip` backend's server)
from tests.mlserver.scoring_server import ScoringServer
from tests.prometheus.conftest import drift_exporter, prometheus_server  # noqa: F401
from tests.server_process import started


@pytest.fixture(scope="session")
def scoring_server(tmp_path_factory) -> Iterator[ScoringServer]:
    """One `mlflow models serve` for the session (the `mlflow-serving` backend's server): its
    start (saving a model, then uvicorn) costs seconds, so the ten faults share it."""
    yield from started(ScoringServer(tmp_path_factory.mktemp("scoring")))
