"""The runs cache: a relaunch shows the last session's runs before the first request."""

from __future__ import annotations

import pytest

from mlops_tui.backends.base import BackendData, RunQuery
from mlops_tui.backends.errors import BackendUnavailable
from mlops_tui.backends.mlflow import clear_cache
from mlops_tui.backends.mlflow.backend import MlflowBackend
from mlops_tui.backends.mlflow.cache import cache_path
from mlops_tui.backends.mlflow.client import RestClient
from tests.fakes.mlflow_faults import FaultyMlflow


@pytest.fixture
def timeline(monkeypatch):
    """What happened, in order: ("request", path) for each HTTP call, ("shown", n) for each
    partial result handed to the hub."""
    events: list[tuple[str, object]] = []
    original = RestClient._send

    async def send(self, method, path, **kwargs):
        events.append(("request", path))
        return await original(self, method, path, **kwargs)

    monkeypatch.setattr(RestClient, "_send", send)
    return events


def watch(backend: MlflowBackend, events: list) -> list[BackendData]:
    partials: list[BackendData] = []

    def hook(data: BackendData) -> None:
        partials.append(data)
        if data.runs is not None:
            events.append(("shown", len(data.runs)))

    backend._partial_hook = hook
    return partials


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
    partials = watch(again, timeline)
    await again.open()

    assert timeline == [("shown", 3)]  # on screen, and not one request made yet
    assert partials[0].progress == "checking for new runs…"
    assert [e.name for e in partials[0].experiments] == [exp_name]
    data = await again.fetch()
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
    partials = watch(again, timeline)
    await again.open()
    assert [r.name for r in partials[0].runs] == ["only"]
    with pytest.raises(BackendUnavailable):
        await again.fetch()
    await again.close()


async def test_clear_cache_forgets_the_runs(timeline):
    with FaultyMlflow("ok") as fake:
        first = MlflowBackend("m", MlflowBackend.Options(url=fake.url))
        await first.fetch()
        await first.close()
        assert cache_path(fake.url, []).exists()

        assert clear_cache() == 1
        again = MlflowBackend("m", MlflowBackend.Options(url=fake.url))
        partials = watch(again, timeline)
        await again.open()
        assert partials == []
        await again.fetch()
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
        filtered = MlflowBackend("m", MlflowBackend.Options(url=fake.url))
        filtered.run_query = RunQuery(filter="metrics.auc > 0.5")
        others.append(filtered)
        for backend in others:
            partials = watch(backend, timeline)
            await backend.open()
            assert partials == [], backend.opts
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
        partials = watch(backend, timeline)
        data = await backend.fetch()
        await backend.close()
    assert [p.runs for p in partials if p.runs is not None] == [data.runs]  # only the network page
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
        await backend.open()
        await backend.close()
    assert not marker.exists()
