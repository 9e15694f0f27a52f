"""Stopping MLServer while the hub polls: its deployment says "server not answering" within a
refresh, and the other backends keep refreshing."""

from __future__ import annotations

from mlops_tui.backends.mlflow.backend import MlflowBackend
from mlops_tui.backends.oip.backend import OipBackend
from mlops_tui.domain import BackendState, DeploymentHealth
from mlops_tui.domain.base import utcnow
from mlops_tui.services.hub import Hub
from tests.server_process import wait_until


def test_stopping_mlserver_makes_its_deployment_not_answering_and_others_go_on(own_mlserver, mlflow_server):
    serving = OipBackend(
        "serving",
        OipBackend.Options(deployments=[{"name": "fraud-prod", "url": own_mlserver.url, "model": "fraud-detector"}]),
    )
    registry = MlflowBackend("mlflow", MlflowBackend.Options(url=mlflow_server.url))
    hub = Hub([serving, registry], refresh_seconds=0.5)
    hub.start()
    try:
        wait_until(
            lambda: (
                (d := hub.snapshot.deployments_by_name.get("fraud-prod")) is not None
                and d.health == DeploymentHealth.HEALTHY
            ),
            30,
            "fraud-prod was never healthy",
        )
        own_mlserver.stop()
        stopped_at = utcnow()
        wait_until(
            lambda: hub.snapshot.deployments_by_name["fraud-prod"].reason == "server not answering: connection refused",
            10,
            "no 'server not answering'",
        )
        d = hub.snapshot.deployments_by_name["fraud-prod"]
        assert (d.health, d.live) == (DeploymentHealth.DOWN, False)
        assert hub.snapshot.status_of("serving").state == BackendState.OK  # the poll itself worked

        def mlflow_polled_since_stop() -> bool:
            s = hub.snapshot.status_of("mlflow")
            return s.state == BackendState.OK and s.last_ok is not None and s.last_ok > stopped_at

        wait_until(mlflow_polled_since_stop, 10, "MLflow stopped refreshing")
    finally:
        hub.stop()
