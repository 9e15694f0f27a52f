"""Serving metrics through a real Prometheus: every preset's PromQL is accepted by Prometheus
(with and without a selector), and the mlserver preset gives a last-hour series for the charts."""

from __future__ import annotations

import asyncio
import time

import pytest

from mlops_tui.backends.http import HttpBackendOptions, JsonHttp
from mlops_tui.backends.prometheus.serving import PRESETS, ServingTarget, poll_target


@pytest.fixture
async def prom_http(serving_prometheus):
    http = JsonHttp("Prometheus", HttpBackendOptions(url=serving_prometheus.url))
    yield http
    await http.aclose()


@pytest.mark.parametrize("preset", sorted(PRESETS))
@pytest.mark.parametrize("selector", ['{job="mlserver"}', ""])
async def test_every_preset_query_is_valid_promql(prom_http, preset, selector):
    target = ServingTarget(deployment="d", preset=preset, selector=selector, model="fraud-detector")
    deployment, _ = await poll_target(prom_http, target, backend="prom", now=time.time())
    assert "refused" not in deployment.metrics_note, deployment.metrics_note


async def test_mlserver_preset_gives_a_series_for_the_charts(prom_http, mlserver):
    target = ServingTarget(deployment="fraud-prod", selector='{job="mlserver"}', model="fraud-detector",
                           window="1m", history="5m", step="1s")  # fmt: skip
    deadline = time.monotonic() + 40
    while True:
        for i in range(5):
            assert mlserver.infer("fraud-detector", [float(i)]).status_code == 200
        deployment, samples = await poll_target(prom_http, target, backend="prom", now=time.time())
        if any(s.requests_per_second for s in samples) and deployment.requests_per_second:
            break
        assert time.monotonic() < deadline, f"no request rate in the series: {deployment.metrics_note}"
        await asyncio.sleep(0.5)
    assert deployment.live is True and deployment.health.value == "healthy"
    assert all(s.deployment == "fraud-prod" for s in samples)
    assert [s.time for s in samples] == sorted(s.time for s in samples)
    assert any(s.latency_p95_ms is not None for s in samples)


async def test_the_history_is_read_again_only_once_a_step_has_passed(prom_http):
    target = ServingTarget(deployment="d", selector='{job="mlserver"}', step="1m")
    cache: dict = {}
    now = time.time()
    _, first = await poll_target(prom_http, target, backend="prom", now=now, cache=cache)
    read_at = cache[target][0]
    _, again = await poll_target(prom_http, target, backend="prom", now=now + 15, cache=cache)
    assert cache[target][0] == read_at and [s.time for s in again] == [s.time for s in first]
    await poll_target(prom_http, target, backend="prom", now=now + 61, cache=cache)
    assert cache[target][0] == now + 61
