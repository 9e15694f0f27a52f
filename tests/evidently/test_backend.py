"""The Evidently backend against a real `evidently ui` serving a workspace built for the tests.

The workspace (build_workspace.py): project "fraud", 4 snapshots 6 h apart, drift in age
(K-S), amount (PSI) and country (chi-square), none in income (K-S), tenure (Wasserstein) and
plan (Z-test), model name "fraud-xgb" in each snapshot's metadata; project "churn", 3
snapshots, drift in device (Jensen-Shannon), none in sessions (Hellinger), tag
"model=churn-lgbm"; project "live" (2 snapshots, for the add/delete test); project "empty".
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta, timezone

import httpx
import pytest

from mlops_tui.backends.errors import NotFound
from mlops_tui.backends.evidently.backend import CONCURRENCY, EvidentlyBackend
from mlops_tui.domain import BackendState
from mlops_tui.services.hub import Hub

FRAUD_DRIFTED = {"age": "K-S p_value", "amount": "psi", "country": "chi-square p_value"}
FRAUD_STABLE = {"income": "K-S p_value", "tenure": "wasserstein", "plan": "Z-test p_value"}


def by_key(scores):
    out: dict[tuple[str, str], list] = defaultdict(list)
    for s in scores:
        out[(s.model, s.feature)].append(s)
    return out


def manifest_times(server, project: str) -> list[datetime]:
    return [datetime.fromisoformat(s["timestamp"]) for s in server.manifest["projects"][project]["snapshots"]]


class RequestLog:
    """Every request one backend sends, through httpx's event hooks; and the most in flight."""

    def __init__(self, backend: EvidentlyBackend) -> None:
        self.paths: list[str] = []
        self.in_flight = 0
        self.most_in_flight = 0
        client = backend.http.client()
        client.event_hooks["request"].append(self._sent)
        client.event_hooks["response"].append(self._answered)

    async def _sent(self, request: httpx.Request) -> None:
        self.paths.append(request.url.path)
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)

    async def _answered(self, response: httpx.Response) -> None:
        self.in_flight -= 1

    def downloads(self) -> list[str]:
        return [p for p in self.paths if p.endswith("/download")]

    def clear(self) -> None:
        self.paths.clear()


async def test_drift_per_feature_with_method_threshold_and_direction(evidently_server, make_evidently_backend):
    backend = make_evidently_backend("ev")
    data = await backend.fetch()
    assert data.version == evidently_server.version == "0.7.23"
    assert data.alerts is None and data.drift
    scores = by_key(data.drift)
    assert {model for model, _ in scores} == {"fraud", "churn", "live"}  # "empty" has no snapshots
    for feature, method in {**FRAUD_DRIFTED, **FRAUD_STABLE}.items():
        history = scores[("fraud", feature)]
        assert len(history) == 4
        for s in history:
            assert s.method == method
            assert s.source == "evidently" and s.backend == "ev"
            assert s.drifted is (feature in FRAUD_DRIFTED), (feature, s.score, s.threshold)
    for s in scores[("fraud", "age")] + scores[("fraud", "income")] + scores[("fraud", "country")]:
        assert s.threshold == 0.05 and not s.higher_is_drift  # p-values: drift is below
    for s in scores[("fraud", "amount")] + scores[("fraud", "tenure")]:
        assert s.threshold == 0.1 and s.higher_is_drift  # distances: drift is above
    assert all(s.score > 1 for s in scores[("fraud", "amount")])  # PSI well past 0.1
    assert all(s.score == 1.0 for s in scores[("fraud", "income")])  # same values, shuffled
    churn_device = scores[("churn", "device")]
    assert [s.method for s in churn_device] == ["jensenshannon"] * 3 and all(s.drifted for s in churn_device)
    assert not any(s.drifted for s in scores[("churn", "sessions")])


async def test_history_is_one_score_per_snapshot_in_time_order(evidently_server, make_evidently_backend):
    backend = make_evidently_backend(projects=["fraud"])
    scores = by_key(await backend.list_drift())
    expected = manifest_times(evidently_server, "fraud")
    assert expected == sorted(expected) and len(expected) == 4
    for (model, feature), history in scores.items():
        assert model == "fraud"
        assert [s.time for s in history] == expected
        assert all(s.time.utcoffset() == timedelta(0) for s in history)
    # The builder shifts age further each snapshot: its K-S p-value never rises.
    ages = [s.score for s in scores[("fraud", "age")]]
    assert ages == sorted(ages, reverse=True)


async def test_only_the_newest_snapshots_form_the_history(evidently_server, make_evidently_backend):
    backend = make_evidently_backend(projects=["fraud", "churn"], snapshots=2)
    log = RequestLog(backend)
    scores = by_key(await backend.list_drift())
    assert [s.time for s in scores[("fraud", "age")]] == manifest_times(evidently_server, "fraud")[-2:]
    assert [s.time for s in scores[("churn", "device")]] == manifest_times(evidently_server, "churn")[-2:]
    assert len(log.downloads()) == 4 and backend.cached_reports == 4  # older reports never fetched


async def test_model_from_snapshot_metadata_or_tag(make_evidently_backend):
    backend = make_evidently_backend(projects=["fraud", "churn"], model_from="tag")
    models = {s.model for s in await backend.list_drift()}
    assert models == {"fraud-xgb", "churn-lgbm"}  # metadata {"model": ...}; tag "model=..."
    other = make_evidently_backend(projects=["fraud"], model_from="tag", model_tag="team")
    assert {s.model for s in await other.list_drift()} == {"fraud"}  # no such key: the project


async def test_unknown_project_name_is_named_in_the_error(make_evidently_backend):
    backend = make_evidently_backend(projects=["fraud", "frud"])
    with pytest.raises(NotFound, match=r"no project named 'frud' \(its projects: churn, empty, fraud, live\)"):
        await backend.list_drift()


async def test_second_poll_downloads_no_report_again(evidently_server, make_evidently_backend):
    backend = make_evidently_backend(projects=["fraud", "churn"])
    log = RequestLog(backend)
    first = await backend.list_drift()
    assert len(log.downloads()) == 7 == len(set(log.downloads()))  # 4 + 3 snapshots, each once
    assert log.most_in_flight <= CONCURRENCY
    log.clear()
    second = await backend.list_drift()
    assert log.downloads() == []
    assert sorted(log.paths) == sorted(
        ["/api/projects"] + [f"/api/projects/{evidently_server.project_id(p)}/snapshots" for p in ("fraud", "churn")]
    )
    assert second == first


async def test_a_new_snapshot_is_the_only_download_and_old_ones_leave_the_cache(
    evidently_server, make_evidently_backend
):
    backend = make_evidently_backend(projects=["live"], snapshots=2)
    log = RequestLog(backend)
    old_ids = evidently_server.snapshot_ids("live")
    before = await backend.list_drift()
    assert len(log.downloads()) == 2 and backend.cached_reports == 2

    newer = evidently_server.stored_snapshot("live", old_ids[-1])
    newest_time = max(s.time for s in before) + timedelta(hours=1)
    newer["timestamp"] = newest_time.isoformat()
    new_id = evidently_server.add_snapshot("live", newer)
    try:
        log.clear()
        after = await backend.list_drift()
        assert [p.rsplit("/", 2)[1] for p in log.downloads()] == [new_id]
        assert backend.cached_reports == 2  # the oldest dropped out of the newest 2
        assert sorted({s.time for s in after}) == [max(s.time for s in before), newest_time]
    finally:
        evidently_server.delete_snapshot("live", new_id)
    log.clear()
    assert {s.time for s in await backend.list_drift()} == {s.time for s in before}
    assert len(log.downloads()) == 1  # the snapshot that came back into the newest 2


async def test_hub_polls_evidently_into_the_snapshot(evidently_server):
    backend = EvidentlyBackend("ev", EvidentlyBackend.Options(url=evidently_server.url, projects=["churn"]))
    hub = Hub([backend], refresh_seconds=60)
    hub.start()
    try:
        snapshot = hub.wait_for_first_poll(20)
    finally:
        hub.stop()
    status = {s.name: s for s in snapshot.statuses}["ev"]
    assert status.state == BackendState.OK, status
    assert {(d.model, d.feature) for d in snapshot.drift} == {("churn", "device"), ("churn", "sessions")}
    assert [d.time for d in snapshot.drift_history("churn", "device")] == manifest_times(evidently_server, "churn")
    assert datetime.now(timezone.utc) > snapshot.drift[0].time
