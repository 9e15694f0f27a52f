"""The `mlflow-serving` backend against a real `mlflow models serve`: healthy with the MLflow
version as its platform and the configured version; down once the server stops."""

from __future__ import annotations

import pytest

from mlops_tui.backends.mlflow_serving.backend import MlflowServingBackend
from mlops_tui.domain import DeploymentHealth
from tests.mlserver.scoring_server import ScoringServer
from tests.server_process import started


@pytest.fixture
def scoring(tmp_path):
    server = ScoringServer(tmp_path / "scoring")
    yield from started(server)


async def test_scoring_server_health_and_the_configured_version(scoring):
    backend = MlflowServingBackend("scoring", MlflowServingBackend.Options(deployments=[
        {"name": "churn-prod", "url": scoring.url, "model": "churn", "version": "4",
         "registered_model": "churn", "alias": "champion"},
    ], timeout_seconds=30, server_timeout_seconds=20))  # fmt: skip  # generous: a loaded CI machine is slow, not down
    try:
        (d,) = await backend.list_deployments()
        assert (d.health, d.ready, d.live, d.version, d.reason) == (DeploymentHealth.HEALTHY, True, True, "4", "")
        assert d.platform.startswith("mlflow 3.")
        assert d.endpoint == f"{scoring.url}/invocations"
        scoring.stop()
        (d,) = await backend.list_deployments()
    finally:
        await backend.close()
    assert (d.health, d.ready, d.live) == (DeploymentHealth.DOWN, False, False)
    assert d.reason == "server not answering: connection refused"
