"""Comparing runs and versions against the real MLflow server: the compare screen, its chart
data, the headless JSON, three versions of a model, and MLflow 3 logged models."""

from __future__ import annotations

import json
from http.server import BaseHTTPRequestHandler

import pytest

from mlops_tui.backends.base import RunQuery
from mlops_tui.backends.http import HttpBackendOptions
from mlops_tui.backends.mlflow.client import MlflowHttp
from mlops_tui.backends.mlflow.logged_models import get_logged_model
from mlops_tui.cli import main
from mlops_tui.services import compare as cmp
from mlops_tui.ui.screens.compare import CompareScreen
from mlops_tui.ui.screens.models import ModelsScreen, VersionDetailScreen
from mlops_tui.ui.widgets.data_grid import DataGrid
from tests.conftest import wait_until
from tests.fakes.base import FakeServer
from tests.mlflow.app_support import (
    SIZE,
    cursor_to_row,
    mlflow_app,
    mlflow_backend,
    narrow,
    screen,
    wait_for_text,
    wait_for_version,
)
from tests.mlflow.server import RestError, ms

HISTORIES = {  # auc per step, for each of the three runs
    "cmp-small": [0.70, 0.80, 0.91],
    "cmp-deep": [0.72, 0.85, 0.90, 0.93],
    "cmp-lgbm": [0.60, 0.89],
}


@pytest.fixture
def drop_model(mlflow_server, mlflow_model_name):
    """Every poll walks the whole registry: leave the shared server's registry as found."""
    yield mlflow_model_name
    try:
        mlflow_server.rest("DELETE", "registered-models/delete", {"name": mlflow_model_name})
    except RestError:
        pass


def seed_runs(server, exp_id: str) -> dict[str, str]:
    """Three runs: shared and differing params, auc (higher is better) with a history of
    several steps, rmse (lower is better), a metric only one run has."""
    specs = {
        "cmp-small": ({"model": "xgb", "depth": "4", "seed": "7"}, {"rmse": 0.30}, {"team": "fraud"}),
        "cmp-deep": (
            {"model": "xgb", "depth": "8", "seed": "7"},
            {"rmse": 0.35, "f1": 0.7},
            {"team": "fraud", "note": "deep"},
        ),
        "cmp-lgbm": ({"model": "lgbm", "seed": "7", "leaves": "31"}, {"rmse": 0.28}, {"team": "fraud"}),
    }
    ids = {}
    start = ms(600)
    for name, (params, metrics, tags) in specs.items():
        run_id = server.create_run(
            exp_id, name=name, params=params, metrics=metrics, tags=tags, status="RUNNING", start_ms=start
        )
        for step, value in enumerate(HISTORIES[name]):
            server.log_batch(run_id, metrics={"auc": value}, at_ms=start + step, step=step)
        server.finish_run(run_id, end_ms=start + 60_000)
        ids[name] = run_id
    return ids


def compare_grid(app) -> DataGrid:
    return app.screen.query_one("#compare", DataGrid)


def shown_keys(app) -> set[tuple[str, str]]:
    return {line.key for line in compare_grid(app).visible_rows if line.row is not None}


def line_of(app, group: str, key: str):
    return next(line for line in compare_grid(app).visible_rows if line.key == (group, key))


async def cursor_to_metric(pilot, app, metric: str) -> None:
    await cursor_to_row(pilot, compare_grid(app), lambda line: line.key == ("metrics", metric))


def plot_data(app) -> tuple[list[str], list[list[float]], list[list[float]]]:
    """Labels, x and y of every line on the chart, as plotext holds them (not pixels)."""
    monitor = app.screen.query_one("#compare-chart").plt._active.monitor
    return list(monitor.label), [list(x) for x in monitor.x], [list(y) for y in monitor.y]


async def test_runs_compare_differences_best_marks_and_one_chart_line_per_run(
    mlflow_server, mlflow_experiment, tmp_path
):
    exp_id, exp_name = mlflow_experiment
    ids = seed_runs(mlflow_server, exp_id)
    app = mlflow_app(tmp_path, mlflow_backend(mlflow_server.url, [exp_name]))
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(lambda: all(i in app.snapshot.runs_by_id for i in ids.values()), timeout=20, pilot=pilot)
        await pilot.press("2")
        await pilot.pause()
        runs = app.screen.query_one("#runs", DataGrid)
        for run_id in ids.values():
            await cursor_to_row(pilot, runs, lambda r, i=run_id: r.id == i)
            await pilot.press("space")
        await pilot.press("c")
        await wait_until(lambda: isinstance(app.screen, CompareScreen), pilot=pilot)
        await pilot.pause()
        text = await wait_for_text(app, pilot, "cmp-small", "cmp-deep", "cmp-lgbm", "differences only")

        # differences only: what all three share is hidden, what differs (or is missing) shown
        keys = shown_keys(app)
        assert ("params", "depth") in keys and ("params", "model") in keys
        assert ("params", "leaves") in keys and ("metrics", "f1") in keys and ("tags", "note") in keys
        assert ("params", "seed") not in keys and ("tags", "team") not in keys
        assert ("attributes", "status") not in keys

        # best marks: auc's latest values 0.91, 0.93, 0.89 -> deep; rmse lowest -> lgbm
        columns = [s.key for s in app.screen.comparison.subjects]
        auc, rmse = line_of(app, "metrics", "auc"), line_of(app, "metrics", "rmse")
        assert [columns[i] for i in auc.best] == [ids["cmp-deep"]]
        assert [columns[i] for i in rmse.best] == [ids["cmp-lgbm"]]
        assert f"0.93 {cmp.BEST}" in text and f"0.28 {cmp.BEST}" in text
        assert f"auc {cmp.HIGHER}" in text and f"rmse {cmp.LOWER}" in text

        # d shows every row; d again hides the shared ones
        await pilot.press("d")
        await pilot.pause()
        assert ("params", "seed") in shown_keys(app) and ("attributes", "status") in shown_keys(app)
        await wait_for_text(app, pilot, "all rows")
        await pilot.press("d")
        await pilot.pause()
        assert ("params", "seed") not in shown_keys(app)

        # enter on auc: one chart, one line per run, each the run's logged history
        await cursor_to_metric(pilot, app, "auc")
        await pilot.press("enter")
        await wait_until(lambda: app.screen.charted == "auc" and len(app.screen.series) == 3, timeout=10, pilot=pilot)
        labels, xs, ys = plot_data(app)
        assert labels == [s.label for s in app.screen.comparison.subjects]  # column order
        assert sorted(labels) == sorted(HISTORIES)
        assert ys == [HISTORIES[n] for n in labels]
        assert xs == [list(range(len(HISTORIES[n]))) for n in labels]
        markers = [s.marker for s in app.screen.series]
        colours = [s.color for s in app.screen.series]
        assert len(set(markers)) == 3 and len(set(colours)) == 3  # colour AND marker
        await wait_for_text(app, pilot, "auc by step")

        # esc closes the chart, a second esc goes back to the runs
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, CompareScreen) and app.screen.charted == ""


async def test_headless_compare_prints_json(mlflow_server, mlflow_experiment, tmp_path, capsys):
    exp_id, exp_name = mlflow_experiment
    ids = seed_runs(mlflow_server, exp_id)
    config = tmp_path / "config.toml"
    config.write_text(
        f'[[backends]]\nname = "mlflow"\nkind = "mlflow"\nurl = "{mlflow_server.url}"\n'
        f'experiments = ["{exp_name}"]\ncache = false\n'
        '[metrics]\nhigher_is_better = ["rmse"]\n'  # the config's override, to see it applied
    )
    small, deep, lgbm = ids["cmp-small"], ids["cmp-deep"], ids["cmp-lgbm"]
    code = main(["--config", str(config), "runs", "compare", small, deep, lgbm[:10], "--json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    data = json.loads(out)
    assert [c["key"] for c in data["columns"]] == [small, deep, lgbm]
    assert [c["label"] for c in data["columns"]] == ["cmp-small", "cmp-deep", "cmp-lgbm"]
    rows = {(r["group"], r["key"]): r for r in data["rows"]}
    assert rows[("params", "depth")]["values"] == {small: "4", deep: "8", lgbm: None}
    assert ("params", "seed") not in rows
    assert rows[("metrics", "auc")]["best"] == [deep] and rows[("metrics", "auc")]["better"] == "higher"
    assert rows[("metrics", "rmse")]["best"] == [deep] and rows[("metrics", "rmse")]["better"] == "higher"

    code = main(["--config", str(config), "runs", "compare", small, deep, "--all", "--json"])
    out, _ = capsys.readouterr()
    all_rows = {(r["group"], r["key"]) for r in json.loads(out)["rows"]}
    assert code == 0 and ("params", "seed") in all_rows

    code = main(["--config", str(config), "runs", "compare", small])
    _, err = capsys.readouterr()
    assert code == 1 and "at least 2" in err


async def test_three_versions_compare_and_chart_across_versions(mlflow_server, mlflow_experiment, drop_model, tmp_path):
    exp_id, exp_name = mlflow_experiment
    model = drop_model
    mlflow_server.create_model(model)
    aucs, rmses = [0.81, 0.86, 0.84], [0.40, 0.33, 0.35]
    for i, (auc, rmse) in enumerate(zip(aucs, rmses), start=1):
        run_id = mlflow_server.create_run(
            exp_id,
            name=f"{model}-train-{i}",
            params={"depth": str(2 + i), "seed": "1"},
            metrics={"auc": auc, "rmse": rmse},
        )
        mlflow_server.create_version(model, run_id)
    mlflow_server.set_alias(model, "champion", "1")
    app = mlflow_app(tmp_path, mlflow_backend(mlflow_server.url, [exp_name]))
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_version(app, pilot, model, "3")
        await wait_until(lambda: sum(r.name.startswith(model) for r in app.snapshot.runs) == 3, timeout=15, pilot=pilot)
        await pilot.press("3")
        await pilot.pause()
        assert isinstance(app.screen, ModelsScreen)
        versions = app.screen.query_one("#versions", DataGrid)
        versions.focus()
        await pilot.pause()
        await narrow(pilot, model)
        await cursor_to_row(pilot, versions, lambda v: v.model == model)
        await pilot.press("c")
        await wait_until(lambda: isinstance(app.screen, CompareScreen), pilot=pilot)
        await wait_for_text(app, pilot, "v1 @champion", "v2", "v3")
        comparison = app.screen.comparison
        assert [s.label for s in comparison.subjects] == ["v1 @champion", "v2", "v3"]
        auc = comparison.metric_row("auc")
        assert auc.values == tuple(aucs) and auc.best == (1,)
        assert comparison.metric_row("rmse").best == (1,)
        assert ("params", "depth") in shown_keys(app) and ("params", "seed") not in shown_keys(app)

        await cursor_to_metric(pilot, app, "auc")
        await pilot.press("enter")
        await wait_until(lambda: app.screen.charted == "auc" and len(app.screen.series) == 1, pilot=pilot)
        labels, xs, ys = plot_data(app)
        assert labels == ["auc"] and xs == [[1.0, 2.0, 3.0]] and ys == [aucs]  # per version
        await wait_for_text(app, pilot, "auc by version")


def seed_logged_model(server, exp_id: str, model: str) -> tuple[str, str]:
    """An MLflow 3 version: a run, a logged model from it with params and a metric of its
    own, a version whose source is `models:/m-…`. Returns (run id, model id)."""
    start = ms(300)
    run_id = server.create_run(exp_id, name=f"{model}-lm", params={"depth": "6"}, status="RUNNING", start_ms=start)
    body = {
        "experiment_id": exp_id,
        "name": "clf",
        "source_run_id": run_id,
        "params": [{"key": "calibrated", "value": "isotonic"}],
    }
    model_id = server.rest("POST", "logged-models", body)["model"]["info"]["model_id"]
    # the logged model's auc (step 0) and the run's own later auc (step 1) differ
    server.rest(
        "POST",
        "runs/log-batch",
        {
            "run_id": run_id,
            "metrics": [
                {"key": "auc", "value": 0.95, "timestamp": start, "step": 0, "model_id": model_id},
                {"key": "auc", "value": 0.80, "timestamp": start + 1, "step": 1},
            ],
        },
    )
    server.finish_run(run_id, end_ms=start + 60_000)
    server.rest("PATCH", f"logged-models/{model_id}", {"model_id": model_id, "status": "LOGGED_MODEL_READY"})
    server.rest(
        "POST",
        "model-versions/create",
        {"name": model, "source": f"models:/{model_id}", "run_id": run_id, "model_id": model_id},
    )
    return run_id, model_id


async def test_logged_models_on_mlflow_3(mlflow_server, mlflow_experiment, drop_model, make_backend):
    exp_id, exp_name = mlflow_experiment
    model = drop_model
    mlflow_server.create_model(model)
    run_id, model_id = seed_logged_model(mlflow_server, exp_id, model)
    backend = make_backend(experiments=[exp_name], cache=False)
    await backend.open()
    version = next(v for v in await backend.list_versions() if v.model == model)
    assert version.model_id == model_id

    logged = await backend.logged_model(model_id)
    assert logged is not None and logged.id == model_id and logged.source_run_id == run_id
    assert logged.params == {"calibrated": "isotonic"}
    assert logged.metrics == {"auc": 0.95}
    assert logged.status == "READY"
    assert await backend.logged_model("m-" + "0" * 32) is None  # 404: no such logged model

    run = next(r for r in await backend.list_runs(RunQuery()) if r.id == run_id)
    assert run.metrics["auc"] == 0.80
    subject = cmp.version_subject(version, run, logged)
    assert subject.metrics["auc"] == 0.95  # the logged model's metric, not the run's
    assert subject.params == {"depth": "6", "calibrated": "isotonic"}


async def test_version_detail_and_compare_show_the_logged_model(mlflow_server, mlflow_experiment, drop_model, tmp_path):
    exp_id, exp_name = mlflow_experiment
    model = drop_model
    mlflow_server.create_model(model)
    plain_run = mlflow_server.create_run(exp_id, name=f"{model}-plain", metrics={"auc": 0.85})
    mlflow_server.create_version(model, plain_run)  # v1: an older-style version from a run
    run_id, model_id = seed_logged_model(mlflow_server, exp_id, model)  # v2
    app = mlflow_app(tmp_path, mlflow_backend(mlflow_server.url, [exp_name]))
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_version(app, pilot, model, "2")
        await wait_until(lambda: run_id in app.snapshot.runs_by_id, timeout=15, pilot=pilot)
        app.open_version(model, "2")
        await wait_until(lambda: isinstance(app.screen, VersionDetailScreen), pilot=pilot)
        await wait_for_text(
            app,
            pilot,
            "Logged model (MLflow 3)",
            model_id,
            "param calibrated",
            "isotonic",
            "metric auc",
            "0.95",
            f"{run_id} (r opens it)",
        )
        await pilot.press("escape")
        await pilot.pause()

        app.open_version(model, "1")
        await wait_until(lambda: isinstance(app.screen, VersionDetailScreen), pilot=pilot)
        await app.workers.wait_for_complete()  # the logged-model lookup has answered
        await pilot.pause()
        assert "Logged model" not in screen(app)  # a version without one: as before
        await pilot.press("escape")
        await pilot.pause()

        app.open_compare_versions(model)
        await wait_until(lambda: isinstance(app.screen, CompareScreen), pilot=pilot)
        await wait_until(
            lambda: (
                app.screen.comparison is not None and app.screen.comparison.metric_row("auc").values == (0.85, 0.95)
            ),
            timeout=10,
            pilot=pilot,
        )
        assert app.screen.comparison.metric_row("auc").best == (1,)
        await wait_for_text(app, pilot, model_id, "isotonic")


async def test_a_server_without_logged_models_means_none():
    """Before MLflow 3 the route does not exist: a bare 404 page, not an error for the user."""

    class OldServer(FakeServer):
        def _handler_class(self):
            class Handler(BaseHTTPRequestHandler):
                def do_GET(self) -> None:
                    body = b"<html>Not Found</html>"
                    self.send_response(404)
                    self.send_header("Content-Type", "text/html")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)

                def log_message(self, *args) -> None:
                    pass

            return Handler

    with OldServer() as server:
        client = MlflowHttp(HttpBackendOptions(url=server.url))
        try:
            assert await get_logged_model(client, "m-abc", "mlflow") is None
            assert await get_logged_model(client, "", "mlflow") is None
        finally:
            await client.aclose()
