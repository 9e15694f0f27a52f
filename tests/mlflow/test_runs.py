"""Experiments and runs from a real MLflow server: listing, server-side query, paging, refresh."""

from __future__ import annotations

import math
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from mlops_tui.backends.base import BackendData, RunQuery
from mlops_tui.domain import BackendState, RunStatus
from mlops_tui.services.hub import Hub
from tests.faults.proxy import FaultProxy
from tests.mlflow.server import MlflowServer, ms


def record_searches(backend) -> list[dict]:
    """The bodies of every runs/search the backend sends (wraps its REST client once open)."""
    bodies: list[dict] = []
    client = backend.client
    original = client.post

    async def post(path, body):
        if path == "/runs/search":
            bodies.append(dict(body))
        return await original(path, body)

    client.post = post
    return bodies


@pytest.fixture(scope="module")
def hundred_twenty(mlflow_server: MlflowServer) -> tuple[str, str]:
    """An experiment with 120 finished runs (enough for three pages of 50)."""
    name = f"paged-{time.time_ns()}"
    exp = mlflow_server.create_experiment(name)
    base = ms(3600)
    with ThreadPoolExecutor(4) as pool:
        list(
            pool.map(
                lambda i: mlflow_server.create_run(exp, name=f"p{i:03d}", start_ms=base + i * 1000),
                range(120),
            )
        )
    return exp, name


async def test_lists_experiments_and_runs_with_their_details(mlflow_server, mlflow_experiment, make_backend):
    exp_id, exp_name = mlflow_experiment
    mlflow_server.rest(
        "POST",
        "experiments/set-experiment-tag",
        {"experiment_id": exp_id, "key": "team", "value": "fraud"},
    )
    done = mlflow_server.create_run(
        exp_id,
        name="xgb-1",
        params={"model": "xgb", "depth": "6"},
        metrics={"auc": 0.93, "loss": float("nan")},
        tags={"team": "fraud"},
        user="alice",
    )
    running = mlflow_server.create_run(exp_id, name="lr-1", params={"model": "lr"}, status="RUNNING")
    failed = mlflow_server.create_run(exp_id, name="broken", status="FAILED")

    backend = make_backend(experiments=[exp_name])
    data = await backend.fetch()

    assert [(e.id, e.name, e.tags) for e in data.experiments] == [(exp_id, exp_name, {"team": "fraud"})]
    by_id = {r.id: r for r in data.runs}
    assert set(by_id) == {done, running, failed}
    run = by_id[done]
    assert run.name == "xgb-1" and run.user == "alice" and run.status == RunStatus.FINISHED
    assert run.params == {"model": "xgb", "depth": "6"}
    assert run.metrics["auc"] == pytest.approx(0.93) and math.isnan(run.metrics["loss"])
    assert run.tags["team"] == "fraud"
    assert run.duration_seconds == pytest.approx(60)
    assert by_id[running].status == RunStatus.RUNNING and by_id[running].end_time is None
    assert by_id[failed].status == RunStatus.FAILED
    assert data.version and data.version == mlflow_server.server_version()
    assert data.query_error == "" and data.progress == ""


async def test_filter_and_order_are_applied_by_the_server(mlflow_server, mlflow_experiment, make_backend):
    exp_id, exp_name = mlflow_experiment
    for name, model, auc in [
        ("a", "xgb", 0.95),
        ("b", "xgb", 0.85),
        ("c", "lr", 0.97),
        ("d", "xgb", 0.92),
    ]:
        mlflow_server.create_run(exp_id, name=name, params={"model": model}, metrics={"auc": auc})
    backend = make_backend(experiments=[exp_name])
    await backend.open()
    searches = record_searches(backend)
    query = RunQuery(filter="metrics.auc > 0.9 and params.model = 'xgb'", order_by=("metrics.auc DESC",))

    data = await backend.fetch(query)

    assert [r.name for r in data.runs] == ["a", "d"]
    assert searches[0]["filter"] == "metrics.auc > 0.9 and params.model = 'xgb'"
    assert searches[0]["order_by"] == ["metrics.auc DESC"]

    data = await backend.fetch(RunQuery(order_by=("metrics.auc ASC",)))
    assert [r.name for r in data.runs] == ["b", "d", "a", "c"]


async def test_invalid_filter_is_a_query_error_not_a_broken_backend(mlflow_server, mlflow_experiment, make_backend):
    exp_id, exp_name = mlflow_experiment
    mlflow_server.create_run(exp_id, name="only", metrics={"auc": 0.9})
    backend = make_backend(experiments=[exp_name])

    data = await backend.fetch(RunQuery(filter="metrics.auc >"))
    assert "Invalid clause" in data.query_error and "metrics.auc" in data.query_error
    assert data.runs == ()
    assert data.models is not None  # the rest of the poll still came through

    # Through the hub: the backend stays OK, with the server's words beside the filter.
    backend = make_backend("via-hub", experiments=[exp_name])
    hub = Hub([backend], refresh_seconds=60)
    hub.set_run_query(RunQuery(filter="metrics.auc >"))
    hub.start()
    try:
        snapshot = hub.wait_for_first_poll(20)
        status = snapshot.statuses[0]
        assert status.state in (BackendState.OK, BackendState.SLOW)
        assert "Invalid clause" in status.query_error
        hub.set_run_query(RunQuery(filter="metrics.auc > 0.5"))
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not (hub.snapshot.runs and hub.snapshot.statuses[0].query_error == ""):
            time.sleep(0.05)
        assert [r.name for r in hub.snapshot.runs] == ["only"]
        assert hub.snapshot.statuses[0].query_error == ""
    finally:
        hub.stop(5)


async def test_pages_past_the_first_are_loaded_and_each_page_shown(hundred_twenty, make_backend):
    _, exp_name = hundred_twenty
    backend = make_backend(experiments=[exp_name], page_size=50)
    partials: list[BackendData] = []

    data = await backend.fetch(progress=partials.append)

    assert len(data.runs) == 120 and len({r.id for r in data.runs}) == 120
    assert [len(p.runs) for p in partials if p.runs is not None] == [50, 100, 120]
    assert partials[0].progress == "loading runs: 50…"
    assert partials[0].experiments and partials[0].experiments[0].name == exp_name
    # Server order (start_time DESC) is kept across pages.
    assert [r.name for r in data.runs[:3]] == ["p119", "p118", "p117"]


async def test_refresh_brings_new_finished_and_deleted_runs(mlflow_server, mlflow_experiment, make_backend):
    exp_id, exp_name = mlflow_experiment
    old = ms(600)
    keep = mlflow_server.create_run(exp_id, name="keep", metrics={"auc": 0.8}, start_ms=old)
    doomed = mlflow_server.create_run(exp_id, name="doomed", start_ms=old + 1)
    training = mlflow_server.create_run(exp_id, name="training", status="RUNNING", start_ms=old + 2)
    backend = make_backend(experiments=[exp_name])
    first = await backend.fetch()
    assert {r.name for r in first.runs} == {"keep", "doomed", "training"}

    fresh = mlflow_server.create_run(exp_id, name="fresh", metrics={"auc": 0.99})
    mlflow_server.log_batch(training, metrics={"auc": 0.91}, step=5)
    mlflow_server.finish_run(training)
    mlflow_server.delete_run(doomed)
    searches = record_searches(backend)

    second = await backend.fetch()

    by_name = {r.name: r for r in second.runs}
    assert set(by_name) == {"keep", "training", "fresh"}
    assert by_name["training"].status == RunStatus.FINISHED
    assert by_name["training"].metrics["auc"] == pytest.approx(0.91)
    assert by_name["fresh"].id == fresh and by_name["keep"].id == keep
    assert [r.name for r in second.runs] == ["fresh", "training", "keep"]  # still newest first
    # Only what can have changed was asked for: no unfiltered reload of the experiment.
    assert searches and all("filter" in s for s in searches if s["run_view_type"] == "ACTIVE_ONLY")


async def test_refresh_keeps_the_server_order_of_a_metric_sort(mlflow_server, mlflow_experiment, make_backend):
    exp_id, exp_name = mlflow_experiment
    for name, auc in [("mid", 0.85), ("low", 0.7), ("nan", float("nan")), ("high", 0.9)]:
        mlflow_server.create_run(exp_id, name=name, metrics={"auc": auc}, start_ms=ms(300))
    mlflow_server.create_run(exp_id, name="no-auc", start_ms=ms(300))
    backend = make_backend(experiments=[exp_name])
    by_auc = RunQuery(order_by=("metrics.auc DESC",))
    first = await backend.fetch(by_auc)
    assert [r.name for r in first.runs] == ["high", "mid", "low", "nan", "no-auc"]

    mlflow_server.create_run(exp_id, name="best", metrics={"auc": 0.99})
    mlflow_server.create_run(exp_id, name="worst", metrics={"auc": 0.1})
    second = await backend.fetch(by_auc)

    assert [r.name for r in second.runs] == ["best", "high", "mid", "low", "worst", "nan", "no-auc"]


async def test_changing_the_query_reloads_in_full(mlflow_server, mlflow_experiment, make_backend):
    exp_id, exp_name = mlflow_experiment
    for i in range(4):
        mlflow_server.create_run(exp_id, name=f"r{i}", params={"model": "xgb" if i % 2 else "lr"})
    backend = make_backend(experiments=[exp_name])
    assert len((await backend.fetch()).runs) == 4
    lr = RunQuery(filter="params.model = 'lr'")
    assert sorted(r.name for r in (await backend.fetch(lr)).runs) == ["r0", "r2"]
    assert len((await backend.fetch(RunQuery())).runs) == 4


async def test_metric_history_is_every_logged_step(mlflow_server, mlflow_experiment, make_backend):
    exp_id, exp_name = mlflow_experiment
    run = mlflow_server.create_run(exp_id, name="curve", status="RUNNING")
    for step in range(5):
        mlflow_server.log_batch(run, metrics={"loss": 1.0 / (step + 1)}, step=step)
    backend = make_backend(experiments=[exp_name])
    await backend.open()

    points = await backend.metric_history(run, "loss")

    assert [p.step for p in points] == [0, 1, 2, 3, 4]
    assert [p.value for p in points] == pytest.approx([1.0, 0.5, 1 / 3, 0.25, 0.2])
    assert all(p.timestamp is not None for p in points)
    assert await backend.metric_history(run, "never-logged") == []


@pytest.mark.timeout(240)  # the module's 120-run fixture may be built in this test's setup
async def test_a_long_load_outlives_the_poll_timeout_and_still_completes(hundred_twenty, mlflow_server, make_backend):
    """Paging through many runs is not killed by the hub's per-poll timeout."""
    _, exp_name = hundred_twenty
    # 40 pages of three runs, each request held 150 ms on the way: the whole load takes at least
    # 6 s, well past the 3 s per-poll timeout, while one poll's own few requests fit in it even
    # on a loaded machine.
    proxy = FaultProxy(mlflow_server.port).start()
    proxy.latency_seconds = 0.15
    timeout = 3.0
    backend = make_backend(url=proxy.url, experiments=[exp_name], page_size=3, timeout_seconds=timeout)
    hub = Hub([backend], refresh_seconds=60)
    progress_seen: list[str] = []
    states: list[BackendState] = []

    def on_snapshot(snapshot) -> None:
        status = snapshot.statuses[0]
        states.append(status.state)
        if status.progress:
            progress_seen.append(status.progress)

    hub.on_snapshot = on_snapshot
    started = time.monotonic()
    hub.start()
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and not (
            len(hub.snapshot.runs) == 120 and hub.snapshot.statuses[0].progress == ""
        ):
            time.sleep(0.05)
        took = time.monotonic() - started
        assert len(hub.snapshot.runs) == 120
        assert hub.snapshot.statuses[0].progress == ""
        assert took > timeout, f"the load took {took:.1f}s: it did not outlast the timeout, so it proves nothing"
        assert any(p.startswith("loading runs:") for p in progress_seen)
        assert BackendState.UNREACHABLE not in states and BackendState.ERROR not in states
        # The first poll ended before all 120 pages were in: it was not held until the end.
        assert states.count(BackendState.OK) + states.count(BackendState.SLOW) >= 1
    finally:
        hub.stop(5)
        proxy.stop()


async def test_a_restored_run_comes_back(mlflow_server, mlflow_experiment, make_backend):
    exp_id, exp_name = mlflow_experiment
    mlflow_server.create_run(exp_id, name="stays", start_ms=ms(120))
    flaky = mlflow_server.create_run(exp_id, name="flaky", start_ms=ms(100))
    backend = make_backend(experiments=[exp_name])
    assert len((await backend.fetch()).runs) == 2

    mlflow_server.delete_run(flaky)
    assert [r.name for r in (await backend.fetch()).runs] == ["stays"]
    mlflow_server.rest("POST", "runs/restore", {"run_id": flaky})
    assert [r.name for r in (await backend.fetch()).runs] == ["flaky", "stays"]


async def test_the_periodic_full_reload_catches_what_refreshes_cannot(mlflow_server, mlflow_experiment, make_backend):
    """A tag added to a finished run is invisible to the cheap refresh; the background full
    reload picks it up, and the old list stays on screen while it runs."""
    exp_id, exp_name = mlflow_experiment
    run = mlflow_server.create_run(exp_id, name="done", start_ms=ms(60))
    backend = make_backend(experiments=[exp_name], full_reload_seconds=0.001)
    await backend.fetch()
    mlflow_server.rest("POST", "runs/set-tag", {"run_id": run, "key": "verdict", "value": "keep"})
    partials: list[BackendData] = []
    time.sleep(0.01)

    data = await backend.fetch(progress=partials.append)

    assert data.runs[0].tags["verdict"] == "keep"
    assert partials and all(p.runs is None for p in partials)  # never a half list on screen
    assert partials[0].progress == "refreshing runs: 1…"
