"""The same words on screen as in headless output: metric columns in one order (Runs view,
version detail, `runs list`), no Stage column of None, drift scores with their direction."""

from __future__ import annotations

import re

from mlops_tui.backends.registry import load_kind
from mlops_tui.cli import main
from mlops_tui.ui.scenes import FROZEN_AT, SEED
from tests.ui.support import SIZE, demo_app, grid, screen, wait_for_data, wait_for_text

RUNS = 300  # the Pilot apps' demo world; the CLI is asked for the same one


def metric_labels(columns) -> list[str]:
    return [c.label for c in columns if c.key.startswith("metric:")]


async def test_metric_columns_come_in_one_order_in_runs_version_detail_and_cli(tmp_path, capsys):
    app = demo_app(tmp_path, runs=RUNS)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_data(app, pilot)
        await pilot.press("2")
        await wait_for_text(app, pilot, "Runs (")
        in_view = metric_labels(grid(app, "#runs").columns)
        assert len(in_view) == 3

        # a version whose run shares at least two of those metrics, so the order can be compared
        runs = app.snapshot.runs_by_id
        version = next(
            v
            for v in app.snapshot.versions
            if v.run_id in runs and len(set(runs[v.run_id].metrics) & set(in_view)) >= 2
        )
        app.open_version(version.model, version.version)
        await wait_for_text(app, pilot, "Source run")
        in_detail = metric_labels(grid(app, "#version-run").columns)
        shared = [k for k in in_detail if k in in_view]
        assert len(shared) >= 2 and shared == [k for k in in_view if k in shared], (in_view, in_detail)

    code = main(["--demo", "--demo-runs", str(RUNS), "runs", "list", "--limit", "5"])
    out, err = capsys.readouterr()
    assert code == 0, err
    header = out.splitlines()[0].split()
    in_cli = header[header.index("started") + 1 :]
    assert in_cli[:3] == in_view  # the CLI has room for one more


async def test_models_view_has_no_stage_column_of_none_and_drift_scores_say_their_direction(tmp_path):
    # the demo world stopped at a moment with drift (the screenshots' moment): a live demo world
    # drifts and recovers with the clock, and some minutes have no drifted feature at all
    world = load_kind("demo")("demo", {"seed": SEED, "runs": RUNS, "speed": 0.0, "epoch": FROZEN_AT})
    app = demo_app(tmp_path, runs=RUNS, backends=[world])
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_data(app, pilot)
        await pilot.press("3")
        await wait_for_text(app, pilot, "Aliases")
        assert [c.label for c in grid(app, "#versions").columns if c.key == "stage"] == []
        assert not re.search(r"\bStage\b", screen(app))

        await pilot.press("6")
        await wait_for_text(app, pilot, "Score vs threshold")
        text = screen(app)
        assert re.search(r"\bp \d\S* [<≥] 0\.05\b", text), text  # p-values: drift below
        assert re.search(r"\bdist \d\S* [>≤] 0\.\d+\b", text), text  # distances: drift above
        # the comparison shown is the one that holds: < or > on a drifted row, ≥ or ≤ on a calm one
        rows = [line for line in text.splitlines() if "× drift" in line or "√ ok" in line]
        assert any("× drift" in r for r in rows), text
        for row in rows:
            drifted = re.search(r"\b(p \S+ <|dist \S+ >) \S+", row)
            calm = re.search(r"\b(p \S+ ≥|dist \S+ ≤) \S+", row)
            assert (drifted if "× drift" in row else calm) and not (calm if "× drift" in row else drifted), row

        # a feature's history says the rule once and each score with its direction
        first = grid(app, "#drift").cursor_row
        await pilot.press("enter")
        kind = "dist >" if first.higher_is_drift else "p <"
        history = await wait_for_text(app, pilot, f"drift when {kind}")
        shown = [line for line in history.splitlines() if re.search(r"\d\d:\d\d", line)]
        assert shown and all(re.search(r"(p|dist) \S+ [<>≤≥] \S+\s+(drift|ok)\b|no value", s) for s in shown), history
