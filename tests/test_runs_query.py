"""The Runs view's `f` query: MLflow syntax, sent to servers that filter, evaluated locally otherwise."""

from __future__ import annotations

from mlops_tui.backends.base import Backend, Capability, RunQuery
from mlops_tui.ui.screens.runs import order_by_for
from tests.helpers import demo_app, screen_text, wait_for_data


async def test_a_query_narrows_the_demo_runs_locally(tmp_path):
    app = demo_app(tmp_path)
    async with app.run_test(size=(160, 40)) as pilot:
        await wait_for_data(app, pilot)
        await pilot.press("2", "f", *"metrics.auc > 0.95", "enter")
        await pilot.pause(0.3)
        grid = app.screen.query_one("#runs")
        shown = list(grid.visible_rows)
        assert shown and all(r.metrics["auc"] > 0.95 for r in shown)
        assert len(shown) < len(app.snapshot.runs)
        assert "filter (local): metrics.auc > 0.95" in screen_text(app)
        # an empty query clears it
        await pilot.press("f", "ctrl+u", "enter")
        await pilot.pause(0.3)
        assert len(grid.visible_rows) == len(app.snapshot.runs)


async def test_a_bad_query_says_why_next_to_the_filter_and_keeps_the_runs(tmp_path):
    app = demo_app(tmp_path)
    async with app.run_test(size=(160, 40)) as pilot:
        await wait_for_data(app, pilot)
        await pilot.press("2", "f", *"auc >> 1", "enter")
        await pilot.pause(0.3)
        text = screen_text(app)
        assert "✖ cannot read 'auc >> 1'" in text
        assert len(app.screen.query_one("#runs").visible_rows) == len(app.snapshot.runs)
        assert app.snapshot.statuses[0].state.value == "ok"  # not a backend error


class ServerSide(Backend):
    kind = "server-side"
    capabilities = frozenset({Capability.RUNS})
    server_side_run_query = True
    seen: list[RunQuery] = []

    async def list_experiments(self):
        return []

    async def list_runs(self):
        ServerSide.seen.append(self.run_query)
        return []


async def test_query_and_sort_reach_a_server_side_backend(tmp_path):
    ServerSide.seen.clear()
    app = demo_app(tmp_path, backends=[ServerSide("srv")])
    async with app.run_test(size=(160, 40)) as pilot:
        await wait_for_data(app, pilot)
        await pilot.press("2", "f", *"params.model = 'xgb'", "enter")
        await pilot.pause(0.5)
        assert ServerSide.seen[-1].filter == "params.model = 'xgb'"
        assert "filter (server)" in screen_text(app)
        await pilot.press("s")  # sort by the first column: the run name
        await pilot.pause(0.5)
        assert ServerSide.seen[-1].order_by == ("attributes.run_name ASC",)
        assert ServerSide.seen[-1].filter == "params.model = 'xgb'"


def test_order_by_keys_match_mlflow():
    assert order_by_for("metric:auc", True) == ("metrics.`auc` DESC",)
    assert order_by_for("start", False) == ("attributes.start_time ASC",)
    assert order_by_for("experiment", False) == ()  # no server key: sorted locally only
    assert order_by_for(None, False) == ()
