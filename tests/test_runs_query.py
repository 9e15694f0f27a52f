"""The Runs view's `f` query: MLflow syntax, sent to servers that filter, evaluated locally otherwise."""

from __future__ import annotations

from mlops_tui.backends.base import Backend, Capability, RunQuery
from mlops_tui.ui.screens.runs import order_by_for
from tests.conftest import wait_until
from tests.helpers import demo_app, screen_text, wait_for_data, wait_for_text


async def test_a_query_narrows_the_demo_runs_locally(tmp_path):
    app = demo_app(tmp_path)
    async with app.run_test(size=(160, 40)) as pilot:
        await wait_for_data(app, pilot)
        await pilot.press("2", "f", *"metrics.auc > 0.95", "enter")
        await wait_for_text(app, pilot, "filter (local): metrics.auc > 0.95")
        grid = app.screen.query_one("#runs")
        await wait_until(lambda: len(grid.visible_rows) < len(app.snapshot.runs), pilot=pilot)
        shown = list(grid.visible_rows)
        assert shown and all(r.metrics["auc"] > 0.95 for r in shown)
        # an empty query clears it
        await pilot.press("f", "ctrl+u", "enter")
        await wait_until(lambda: len(grid.visible_rows) == len(app.snapshot.runs), pilot=pilot)
        assert "filter (local)" not in screen_text(app)


async def test_a_bad_query_says_why_next_to_the_filter_and_keeps_the_runs(tmp_path):
    app = demo_app(tmp_path)
    async with app.run_test(size=(160, 40)) as pilot:
        await wait_for_data(app, pilot)
        await pilot.press("2", "f", *"auc >> 1", "enter")
        await wait_for_text(app, pilot, "× cannot read 'auc >> 1'")
        assert len(app.screen.query_one("#runs").visible_rows) == len(app.snapshot.runs)
        assert app.snapshot.statuses[0].state.value == "ok"  # not a backend error


class ServerSide(Backend):
    """Records the query of every poll, as a server that filters would receive it."""

    kind = "server-side"
    capabilities = frozenset({Capability.RUNS})
    server_side_run_query = True

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.seen: list[RunQuery] = []

    async def list_experiments(self):
        return []

    async def list_runs(self, query: RunQuery):
        self.seen.append(query)
        return []


async def test_query_and_sort_reach_a_server_side_backend(tmp_path):
    server = ServerSide("srv")
    app = demo_app(tmp_path, backends=[server])
    wanted = RunQuery(filter="params.model = 'xgb'")
    async with app.run_test(size=(160, 40)) as pilot:
        await wait_for_data(app, pilot)
        await pilot.press("2", "f", *"params.model = 'xgb'", "enter")
        await wait_until(lambda: server.seen[-1] == wanted, pilot=pilot)  # the server saw it
        await wait_for_text(app, pilot, "filter (server)")
        await pilot.press(">")  # sort by the first column: the run name
        sorted_query = RunQuery(filter=wanted.filter, order_by=("attributes.run_name ASC",))
        await wait_until(lambda: server.seen[-1] == sorted_query, pilot=pilot)


def test_order_by_keys_match_mlflow():
    assert order_by_for("metric:auc", True) == ("metrics.`auc` DESC",)
    assert order_by_for("start", False) == ("attributes.start_time ASC",)
    assert order_by_for("experiment", False) == ()  # no server key: sorted locally only
    assert order_by_for(None, False) == ()
