"""Fixtures for the MLflow tests: one real `mlflow server` per test session (see server.py).

Reusable by app-level tests: `mlflow_server` has `.url`, `.rest(method, path, json=None)` and
seeding helpers; `mlflow_model_name` / `mlflow_experiment` give each test its own model name
and experiment, so tests sharing the server never see each other's data.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from mlops_tui.backends.mlflow.backend import MlflowBackend
from tests.mlflow.server import MlflowServer, RestError


@pytest.fixture(scope="session")
def mlflow_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MlflowServer]:
    server = MlflowServer(tmp_path_factory.mktemp("mlflow-server")).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def mlflow_model_name(mlflow_server: MlflowServer) -> Iterator[str]:
    """A registered-model name no other test uses (the model itself is not created here). If a
    test made it, it is deleted afterwards: every poll walks the whole registry, and other tests
    on the shared server slow down with each model left behind."""
    name = f"model-{uuid.uuid4().hex[:10]}"
    yield name
    try:
        mlflow_server.rest("DELETE", "registered-models/delete", {"name": name})
    except RestError:
        pass


@pytest.fixture
def mlflow_experiment(mlflow_server: MlflowServer) -> tuple[str, str]:
    """A fresh experiment: (id, name)."""
    name = f"exp-{uuid.uuid4().hex[:10]}"
    return mlflow_server.create_experiment(name), name


@pytest.fixture
async def make_backend(mlflow_server: MlflowServer):
    """Build MlflowBackend instances against the session server; closed after the test."""
    made: list[MlflowBackend] = []

    def make(name: str = "mlflow", **options) -> MlflowBackend:
        options.setdefault("url", mlflow_server.url)
        backend = MlflowBackend(name, MlflowBackend.Options(**options))
        made.append(backend)
        return backend

    yield make
    for backend in made:
        await backend.close()
