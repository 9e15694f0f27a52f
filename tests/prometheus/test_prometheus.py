"""The Prometheus backend against a real Prometheus scraping a drift gauge."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime, timedelta, timezone

import pytest

from mlops_tui.backends.errors import BackendUnavailable, BadResponse
from mlops_tui.backends.prometheus.backend import PrometheusBackend
from mlops_tui.domain import BackendState
from mlops_tui.services.hub import Hub
from tests.conftest import wait_until
from tests.server_process import free_port


def backend_for(server, name: str = "prom", **options) -> PrometheusBackend:
    opts = {"url": server.url, "drift_window": "2m", "drift_step": "1s", **options}
    return PrometheusBackend(name, PrometheusBackend.Options(**opts))


def by_key(scores):
    out: dict[tuple[str, str], list] = {}
    for s in scores:
        out.setdefault((s.model, s.feature), []).append(s)
    return out


async def test_drift_gauge_becomes_drift_scores(prometheus_server):
    backend = backend_for(prometheus_server)
    try:
        data = await backend.fetch()
    finally:
        await backend.close()
    assert data.version == prometheus_server.version
    assert data.alerts is None and data.drift is not None
    scores = by_key(data.drift)
    # NaN and +Inf samples are skipped, so those series vanish altogether.
    assert {("fraud", "amount"), ("fraud", "country")} <= set(scores)
    assert not any(model == "churn" for model, _ in scores)
    now = datetime.now(timezone.utc)
    for s in data.drift:
        assert s.threshold == 0.2 and s.higher_is_drift
        assert s.method == "prometheus" and s.source == "prometheus" and s.backend == "prom"
        assert s.time.utcoffset() == timedelta(0)
        assert now - timedelta(minutes=3) < s.time <= now + timedelta(seconds=1)
    assert all(s.score == 0.3 and s.drifted for s in scores[("fraud", "amount")])
    assert all(s.score == 0.1 and not s.drifted for s in scores[("fraud", "country")])
    # The exporter's model label won over the scrape target's (honor_labels).
    assert not any(s.model == "from-target-label-must-lose" for s in data.drift)


async def test_lower_is_drift_for_p_values(prometheus_server):
    backend = backend_for(
        prometheus_server, drift_metric="model_drift_pvalue", drift_threshold=0.05, drift_higher_is_drift=False
    )
    scores = by_key(await backend.list_drift())
    await backend.close()
    assert backend.drift_query == "min by (model, feature) (model_drift_pvalue)"
    assert all(s.drifted and not s.higher_is_drift for s in scores[("fraud", "amount")])
    assert not any(s.drifted for s in scores[("fraud", "country")])


async def test_history_follows_the_gauge(prometheus_server):
    exporter = prometheus_server.exporter
    exporter.set("model_drift_score", "ranker", "ctr", 0.05)
    backend = backend_for(prometheus_server)
    try:
        deadline = time.monotonic() + 10
        while True:
            history = sorted(by_key(await backend.list_drift()).get(("ranker", "ctr"), []), key=lambda s: s.time)
            if history and history[-1].score == 0.05:
                break
            assert time.monotonic() < deadline, "the first value never showed up"
            await asyncio.sleep(0.3)
        exporter.set("model_drift_score", "ranker", "ctr", 0.45)
        while True:
            history = sorted(by_key(await backend.list_drift())[("ranker", "ctr")], key=lambda s: s.time)
            if history[-1].score == 0.45:
                break
            assert time.monotonic() < deadline, "the new value never showed up"
            await asyncio.sleep(0.3)
    finally:
        await backend.close()
    values = [s.score for s in history]
    assert values[0] == 0.05 and values[-1] == 0.45
    assert [s.drifted for s in history][0] is False and history[-1].drifted is True
    assert [s.time for s in history] == sorted({s.time for s in history})  # one score per step


async def test_selector_and_labels_are_configurable(prometheus_server):
    backend = backend_for(
        prometheus_server, drift_metric='model_drift_score{model="fraud"}', model_label="feature", feature_label="model"
    )
    scores = by_key(await backend.list_drift())
    await backend.close()
    assert set(scores) == {("amount", "fraud"), ("country", "fraud")}


async def test_bad_query_is_bad_response(prometheus_server):
    backend = backend_for(prometheus_server, drift_metric="model_drift_score{")
    with pytest.raises(BadResponse, match=r"HTTP 400.*bad_data.*parse error"):
        await backend.list_drift()
    await backend.close()


async def test_server_down_is_unavailable():
    backend = PrometheusBackend("prom", PrometheusBackend.Options(url=f"http://127.0.0.1:{free_port()}"))
    with pytest.raises(BackendUnavailable, match="cannot reach Prometheus at .*connection refused"):
        await backend.fetch()
    await backend.close()


async def test_through_the_hub(prometheus_server):
    hub = Hub([backend_for(prometheus_server)], refresh_seconds=60)
    hub.start()
    try:
        await wait_until(lambda: hub.snapshot.statuses[0].state != BackendState.PENDING, timeout=10)
        snapshot = hub.snapshot
    finally:
        hub.stop()
    assert snapshot.statuses[0].state == BackendState.OK, snapshot.statuses[0]
    latest = {(d.model, d.feature): d for d in snapshot.latest_drift}
    assert latest[("fraud", "amount")].drifted and not latest[("fraud", "country")].drifted
    assert len(snapshot.drift_history("fraud", "amount")) >= 1
