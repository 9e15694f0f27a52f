"""Fixtures for the on-call tests: a real Prometheus -> Alertmanager pipeline (pipeline.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.oncall.pipeline import Pipeline, PipelineAlertmanager, PipelineCase, PipelinePrometheus
from tests.prometheus.server import DriftExporter
from tests.server_process import ServerError


@pytest.fixture(scope="session")
def pipeline(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pipeline]:
    exporter = DriftExporter().start()
    am = PipelineAlertmanager(tmp_path_factory.mktemp("oncall-am"), "oncall")
    prom = PipelinePrometheus(tmp_path_factory.mktemp("oncall-prom"), exporter, am)
    try:
        am.start()
        prom.start()
    except ServerError as exc:
        prom.stop()
        am.stop()
        exporter.stop()
        pytest.fail(str(exc), pytrace=False)
    try:
        yield Pipeline(exporter, prom, am)
    finally:
        prom.stop()
        am.stop()
        exporter.stop()


@pytest.fixture
def oncall(pipeline: Pipeline) -> Iterator[PipelineCase]:
    case = PipelineCase(pipeline)
    try:
        yield case
    finally:
        case.cleanup()
