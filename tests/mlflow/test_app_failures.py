"""When the MLflow server fails, the app says so plainly and recovers once the server is back.

The real `mlflow server` where it can play the part (down, then back; a filter it refuses);
the fault fake (tests/fakes/mlflow_faults.py) for a 500, a 401 and a hanging answer.
"""

from __future__ import annotations

import re
import uuid

from mlops_tui.backends.base import RunQuery
from mlops_tui.ui.screens.deployments import DeploymentsScreen
from mlops_tui.ui.screens.models import ModelsScreen
from mlops_tui.ui.screens.overview import OverviewScreen
from mlops_tui.ui.screens.runs import RunsScreen
from tests.conftest import wait_until
from tests.fakes.mlflow_faults import FaultyMlflow
from tests.mlflow.app_support import (
    SIZE,
    Forwarder,
    mlflow_app,
    mlflow_backend,
    screen,
    status_of,
    type_text,
    wait_for_state,
    wait_for_text,
)


def no_traceback(text: str) -> bool:
    return "Traceback" not in text and 'File "' not in text


async def show_runs(app, pilot) -> str:
    await pilot.press("2")
    await pilot.pause()
    assert isinstance(app.screen, RunsScreen)
    return screen(app)


async def test_a_server_that_is_down_is_unreachable_until_it_comes_back(mlflow_server, mlflow_experiment, tmp_path):
    exp_id, exp_name = mlflow_experiment
    run_name = f"alive-{uuid.uuid4().hex[:6]}"
    mlflow_server.create_run(exp_id, name=run_name, metrics={"auc": 0.91})
    door = Forwarder(mlflow_server.port)  # a closed port until door.start()
    try:
        app = mlflow_app(tmp_path, mlflow_backend(door.url, [exp_name], timeout_seconds=3))
        async with app.run_test(size=SIZE) as pilot:
            await wait_for_state(app, pilot, "unreachable")
            text = await show_runs(app, pilot)
            assert "× mlflow unreachable never" in text  # never a good refresh yet
            assert "connection refused" in text  # and why, in a few words
            assert "Runs (0)" in text and run_name not in text
            assert no_traceback(text)

            door.start()  # the server is back
            await pilot.press("ctrl+r")  # poll now, not after the back-off
            await wait_for_state(app, pilot, "ok")
            text = await wait_for_text(app, pilot, run_name)
            assert "● mlflow ok" in text and "Runs (1)" in text
    finally:
        door.stop()


async def test_500_is_an_error_until_the_server_answers_again(tmp_path):
    with FaultyMlflow("500") as fake:
        app = mlflow_app(tmp_path, mlflow_backend(fake.url, timeout_seconds=3))
        async with app.run_test(size=SIZE) as pilot:
            await wait_for_state(app, pilot, "error")
            text = await show_runs(app, pilot)
            assert "× mlflow error never" in text
            assert "HTTP 500" in text and "database is locked" in text  # the server's own words
            assert "Runs (0)" in text and no_traceback(text)

            fake.mode = "ok"
            await pilot.press("ctrl+r")
            await wait_for_state(app, pilot, "ok")
            text = await wait_for_text(app, pilot, "Runs (1)")
            assert "● mlflow ok" in text and "only" in text


async def test_401_is_unauthorised(tmp_path):
    with FaultyMlflow("401") as fake:
        app = mlflow_app(tmp_path, mlflow_backend(fake.url, timeout_seconds=3))
        async with app.run_test(size=SIZE) as pilot:
            await wait_for_state(app, pilot, "unauthorised")
            text = await show_runs(app, pilot)
            assert "× mlflow unauthorised never" in text
            assert "refused the credentials" in text
            assert "Runs (0)" in text and no_traceback(text)


async def test_a_hanging_server_is_unreachable_and_the_keys_answer_meanwhile(tmp_path):
    with FaultyMlflow("hang", hang_seconds=30) as fake:
        # 8 s: room for five view switches on a loaded machine while the poll still hangs
        app = mlflow_app(tmp_path, mlflow_backend(fake.url, timeout_seconds=8))
        async with app.run_test(size=SIZE) as pilot:
            await wait_until(lambda: fake.requests, timeout=10, pilot=pilot)  # the poll is waiting
            for key, kind in [
                ("2", RunsScreen),
                ("3", ModelsScreen),
                ("4", DeploymentsScreen),
                ("1", OverviewScreen),
                ("2", RunsScreen),
            ]:
                await pilot.press(key)
                await pilot.pause()
                assert type(app.screen) is kind
            assert status_of(app).state.value == "pending"  # all of it while the poll hangs

            await wait_for_state(app, pilot, "unreachable", timeout=20)
            text = await wait_for_text(app, pilot, "× mlflow unreachable")
            assert re.search(r"no answer in time|did not answer within 8s", text)
            assert "Runs (0)" in text and no_traceback(text)
            await pilot.press("3")  # still answering
            await pilot.pause()
            assert type(app.screen) is ModelsScreen


async def test_an_invalid_run_filter_is_a_query_error_and_the_backend_stays_ok(
    mlflow_server, mlflow_experiment, tmp_path
):
    exp_id, exp_name = mlflow_experiment
    mlflow_server.create_run(exp_id, name="good", metrics={"auc": 0.93})
    app = mlflow_app(tmp_path, mlflow_backend(mlflow_server.url, [exp_name]))
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_state(app, pilot, "ok")
        await wait_for_text(app, pilot, "● mlflow ok")
        hub = app.runtime.hub

        hub.set_run_query(RunQuery(filter="metrics.auc >>> 1"))
        await wait_until(lambda: status_of(app).query_error, timeout=10, pilot=pilot)
        status = status_of(app)
        assert status.state.value == "ok"
        assert ">>>" in status.query_error  # the server's own words, naming the bad part
        assert app.snapshot.runs == ()
        assert "● mlflow ok" in await show_runs(app, pilot)

        hub.set_run_query(RunQuery(filter="metrics.auc > 0.5"))
        await wait_until(lambda: not status_of(app).query_error, timeout=10, pilot=pilot)
        assert [r.name for r in app.snapshot.runs] == ["good"]
        await wait_for_text(app, pilot, "Runs (1)")


async def test_a_filter_typed_in_the_runs_view_is_applied_by_the_server(mlflow_server, mlflow_experiment, tmp_path):
    exp_id, exp_name = mlflow_experiment
    mlflow_server.create_run(exp_id, name="good", metrics={"auc": 0.93})
    mlflow_server.create_run(exp_id, name="weak", metrics={"auc": 0.31})
    app = mlflow_app(tmp_path, mlflow_backend(mlflow_server.url, [exp_name]))
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_state(app, pilot, "ok")
        await show_runs(app, pilot)
        await wait_for_text(app, pilot, "Runs (2)")
        await pilot.press("f")
        await type_text(pilot, "metrics.auc > 0.5")
        await pilot.press("enter")
        text = await wait_for_text(app, pilot, "Runs (1 matching)")
        assert "filter (server): metrics.auc > 0.5" in text
        assert "good" in text and "weak" not in text
        assert status_of(app).state.value == "ok"


# -- what the app does not do yet ---------------------------------------------------------------


async def test_a_filter_only_the_server_can_judge_is_left_to_the_server(mlflow_server, mlflow_experiment, tmp_path):
    exp_id, exp_name = mlflow_experiment
    mlflow_server.create_run(exp_id, name="good", metrics={"auc": 0.93})
    mlflow_server.create_run(exp_id, name="weak", metrics={"auc": 0.31})
    app = mlflow_app(tmp_path, mlflow_backend(mlflow_server.url, [exp_name]))
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_state(app, pilot, "ok")
        await show_runs(app, pilot)
        await wait_for_text(app, pilot, "Runs (2)")

        # invalid: the server's complaint shows beside the query line, the backend stays ok
        await pilot.press("f")
        await type_text(pilot, "metrics.auc >>> 1")
        await pilot.press("enter")
        await wait_until(lambda: status_of(app).query_error, timeout=3, pilot=pilot)
        text = await wait_for_text(app, pilot, "× " + status_of(app).query_error[:40], timeout=2)
        assert "filter (server): metrics.auc >>> 1" in text
        assert "● mlflow ok" in text

        # valid for MLflow (a bare attribute name), though run_filter cannot read it
        await pilot.press("f", "ctrl+u")
        await type_text(pilot, "run_name = 'good'")
        await pilot.press("enter")
        text = await wait_for_text(app, pilot, "Runs (1 matching)", timeout=3)
        assert "good" in text and "weak" not in text and "×" not in text
        assert "filter (server): run_name = 'good'" in text
