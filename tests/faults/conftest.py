"""The real servers of the fault matrix (the fixtures of each backend's own tests), and the
backend × fault table printed at the end of the run."""

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


RESULTS: dict[tuple[str, str], str] = {}


def pytest_terminal_summary(terminalreporter) -> None:
    if not RESULTS:
        return
    from tests.faults.proxy import FAULTS

    kinds = list(dict.fromkeys(kind for kind, _ in RESULTS))
    faults = [f for f in FAULTS if any((k, f) in RESULTS for k in kinds)]
    terminalreporter.write_line("")
    terminalreporter.write_line("fault matrix (backend × fault)")
    terminalreporter.write_line("| backend | " + " | ".join(faults) + " |")
    terminalreporter.write_line("|---|" + "---|" * len(faults))
    for kind in kinds:
        cells = [RESULTS.get((kind, f), "-") for f in faults]
        terminalreporter.write_line(f"| {kind} | " + " | ".join(cells) + " |")
    for (kind, fault), result in RESULTS.items():
        if result != "pass":
            terminalreporter.write_line(f"  {kind} × {fault}: {result}")
