"""The runs cache: a relaunch shows the last session's runs before the first request."""

from __future__ import annotations

import pytest

from mlops_tui.backends.base import BackendData, RunQuery
from mlops_tui.backends.errors import BackendUnavailable
from mlops_tui.backends.mlflow import clear_cache
from mlops_tui.backends.mlflow.backend import MlflowBackend
from mlops_tui.backends.mlflow.cache import cache_path
from mlops_tui.backends.mlflow.client import MlflowHttp
from tests.fakes.mlflow_faults import FaultyMlflow


@pytest.fixture
def timeline(monkeypatch):
    """What happened, in order: ("request", path) for each HTTP call, ("shown", n) for each
    partial result handed to the hub."""
    events: list[tuple[str, object]] = []
    original = MlflowHttp.request

    async def send(self, method, path, **kwargs):
        events.append(("request", path))
        return await original(self, method, path, **kwargs)

    monkeypatch.setattr(MlflowHttp, "request", send)
    return events


class Watch:
    """A `fetch` progress callback that notes each partial result, and ("shown", n) in `events`."""

    def __init__(self, events: list) -> None:
        self.events = events
        self.partials: list[BackendData] = []

    def __call__(self, data: BackendData) -> None:
        self.partials.append(data)
        if data.runs is not None:
            self.events.append(("shown", len(data.runs)))


async def test_a_relaunch_shows_cached_runs_before_the_network(
    mlflow_server, mlflow_experiment, make_backend, timeline
):
    exp_id, exp_name = mlflow_experiment
    for i in range(3):
        mlflow_server.create_run(exp_id, name=f"r{i}", metrics={"auc": 0.9})
    first = make_backend(experiments=[exp_name])
    assert len((await first.fetch()).runs) == 3
    await first.close()
    mlflow_server.create_run(exp_id, name="while-away")
    timeline.clear()

    again = make_backend(experiments=[exp_name])
    watch = Watch(timeline)
    await again.open()
    data = await again.fetch(progress=watch)

    assert timeline[0] == ("shown", 3)  # on screen before a single request was made
    assert ("request", "/api/2.0/mlflow/experiments/search") in timeline[1:]
    assert watch.partials[0].progress == "checking for new runs…"
    assert [e.name for e in watch.partials[0].experiments] == [exp_name]
    assert sorted(r.name for r in data.runs) == ["r0", "r1", "r2", "while-away"]
    searches = [p for kind, p in timeline if kind == "request" and p.endswith("/runs/search")]
    assert len(searches) == 2  # new runs + deleted runs: no full reload


async def test_cached_runs_show_while_the_server_is_down(timeline):
    with FaultyMlflow("ok") as fake:
        url = fake.url
        first = MlflowBackend("m", MlflowBackend.Options(url=url))
        await first.fetch()
        await first.close()

    again = MlflowBackend("m", MlflowBackend.Options(url=url))
    watch = Watch(timeline)
    await again.open()
    with pytest.raises(BackendUnavailable):
        await again.fetch(progress=watch)
    assert [r.name for r in watch.partials[0].runs] == ["only"]  # shown before the failure
    await again.close()


async def test_clear_cache_forgets_the_runs(timeline):
    with FaultyMlflow("ok") as fake:
        first = MlflowBackend("m", MlflowBackend.Options(url=fake.url))
        await first.fetch()
        await first.close()
        assert cache_path(fake.url, []).exists()

        assert clear_cache() == 1
        again = MlflowBackend("m", MlflowBackend.Options(url=fake.url))
        watch = Watch(timeline)
        await again.fetch(progress=watch)
        assert not [p for p in watch.partials if p.progress == "checking for new runs…"]
        await again.close()
        assert again.clear_cache() == 1  # the per-server way
        assert not cache_path(fake.url, []).exists()


async def test_another_server_experiment_set_or_filter_gets_nothing_from_the_cache(timeline):
    with FaultyMlflow("ok") as fake:
        first = MlflowBackend("m", MlflowBackend.Options(url=fake.url))
        await first.fetch()
        await first.close()
        others = [
            MlflowBackend("m", MlflowBackend.Options(url=fake.url, experiments=["fake"])),
            MlflowBackend("m", MlflowBackend.Options(url=fake.url.replace("127.0.0.1", "localhost"))),
        ]
        queries = [RunQuery(), RunQuery(), RunQuery(filter="metrics.auc > 0.5")]
        others.append(MlflowBackend("m", MlflowBackend.Options(url=fake.url)))
        for backend, query in zip(others, queries):
            watch = Watch(timeline)
            await backend.fetch(query, watch)
            cached = [p for p in watch.partials if p.progress == "checking for new runs…"]
            assert cached == [], backend.options
            await backend.close()


async def test_no_cache_option_writes_nothing(timeline):
    with FaultyMlflow("ok") as fake:
        backend = MlflowBackend("m", MlflowBackend.Options(url=fake.url, cache=False))
        await backend.fetch()
        await backend.close()
        assert not cache_path(fake.url, []).exists()


async def test_a_damaged_cache_file_is_ignored(timeline):
    with FaultyMlflow("ok") as fake:
        path = cache_path(fake.url, [])
        path.parent.mkdir(parents=True)
        path.write_bytes(b"\x80\x05garbage")
        backend = MlflowBackend("m", MlflowBackend.Options(url=fake.url))
        watch = Watch(timeline)
        data = await backend.fetch(progress=watch)
        await backend.close()
    assert [p.runs for p in watch.partials if p.runs is not None] == [data.runs]  # only the network page
    assert [r.name for r in data.runs] == ["only"]


class _Evil:
    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        import os

        return (os.mkdir, (self.marker,))


async def test_a_planted_cache_file_cannot_run_code(timeline, tmp_path):
    import pickle

    marker = tmp_path / "pwned"
    with FaultyMlflow("ok") as fake:
        path = cache_path(fake.url, [])
        path.parent.mkdir(parents=True)
        path.write_bytes(pickle.dumps(_Evil(str(marker))))
        backend = MlflowBackend("m", MlflowBackend.Options(url=fake.url))
        await backend.fetch()  # reads the cache first
        await backend.close()
    assert not marker.exists()
