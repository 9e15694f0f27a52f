"""Fixtures for the Prometheus tests: a real Prometheus scraping a tiny drift exporter."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.prometheus.server import DriftExporter, PrometheusServer
from tests.server_process import ServerError, wait_until

# What the exporter serves from the start (metric, model, feature) -> value.
INITIAL = {
    ("model_drift_score", "fraud", "amount"): 0.3,
    ("model_drift_score", "fraud", "country"): 0.1,
    ("model_drift_score", "churn", "tenure"): float("nan"),
    ("model_drift_score", "churn", "plan"): float("inf"),
    ("model_drift_score", "churn", "region"): float("-inf"),
    ("model_drift_pvalue", "fraud", "amount"): 0.01,
    ("model_drift_pvalue", "fraud", "country"): 0.4,
}


@pytest.fixture(scope="session")
def drift_exporter() -> Iterator[DriftExporter]:
    exporter = DriftExporter()
    for key, value in INITIAL.items():
        exporter.set(*key, value)
    exporter.start()
    try:
        yield exporter
    finally:
        exporter.stop()


@pytest.fixture(scope="session")
def prometheus_server(tmp_path_factory, drift_exporter) -> Iterator[PrometheusServer]:
    """A Prometheus that has scraped the exporter at least once (`.url`, `.exporter`, `.query`)."""
    server = PrometheusServer(tmp_path_factory.mktemp("prometheus"), drift_exporter)
    try:
        server.start()
        wait_until(lambda: server.query("model_drift_score"), 20, "no drift samples in Prometheus")
    except ServerError as exc:
        server.stop()
        pytest.fail(str(exc), pytrace=False)
    try:
        yield server
    finally:
        server.stop()
