"""Fixtures for the Evidently tests: one real `evidently ui` per session (see server.py).

`evidently_workspace` is a private copy of the cached, built workspace; `evidently_server`
serves it (`.url`, `.pid`, `.version`, `.manifest`, `.project_id(name)`,
`.snapshot_ids(name)`); `make_evidently_backend(**options)` builds backends against it and
closes them after the test.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from mlops_tui.backends.evidently.backend import EvidentlyBackend
from tests.evidently.server import EvidentlyServer, cached_workspace
from tests.server_process import ServerError, started


@pytest.fixture(scope="session")
def evidently_workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    try:
        built = cached_workspace()
    except ServerError as exc:
        pytest.fail(str(exc), pytrace=False)
    copy = tmp_path_factory.mktemp("evidently") / "workspace"
    shutil.copytree(built, copy)
    return copy


@pytest.fixture(scope="session")
def evidently_server(evidently_workspace: Path) -> Iterator[EvidentlyServer]:
    server = EvidentlyServer(evidently_workspace)
    yield from started(server)


@pytest.fixture
async def make_evidently_backend(evidently_server: EvidentlyServer):
    made: list[EvidentlyBackend] = []

    def make(name: str = "evidently", **options) -> EvidentlyBackend:
        options.setdefault("url", evidently_server.url)
        backend = EvidentlyBackend(name, EvidentlyBackend.Options(**options))
        made.append(backend)
        return backend

    yield make
    for backend in made:
        await backend.close()
