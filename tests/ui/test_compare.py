"""The compare screen in the demo world, driven by keys: space marks, c compares, d toggles
differences only, y copies Markdown, c in the Models view compares a model's versions."""

from __future__ import annotations

from mlops_tui.backends.demo.backend import DemoBackend
from mlops_tui.backends.errors import BackendUnavailable
from mlops_tui.services import compare as cmp
from mlops_tui.ui.screens.compare import CompareScreen
from mlops_tui.ui.screens.runs import RunsScreen
from tests.conftest import wait_until
from tests.mlflow.app_support import wait_for_toast
from tests.ui.support import SIZE, cursor_to, demo_app, grid, screen, wait_for_data, wait_for_text


def shown_keys(app) -> set[tuple[str, str]]:
    return {line.key for line in grid(app, "#compare").visible_rows if line.row is not None}


async def open_runs(app, pilot):
    await wait_for_data(app, pilot)
    await pilot.press("2")
    await pilot.pause()
    assert isinstance(app.screen, RunsScreen)
    return grid(app, "#runs")


async def test_space_marks_runs_and_c_compares_them(tmp_path):
    app = demo_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        runs = await open_runs(app, pilot)
        picked = list(runs.visible_rows)[:3]
        await pilot.press("space", "space", "space")
        assert {r.id for r in runs.marked_rows} == {r.id for r in picked}
        await pilot.press("c")
        await wait_until(lambda: isinstance(app.screen, CompareScreen), pilot=pilot)
        text = await wait_for_text(app, pilot, "differences only", *(r.name for r in picked))
        assert [s.run_id for s in app.screen.comparison.subjects] == [r.id for r in picked]
        assert "▼ params" in text and "▼ metrics" in text
        # every row shown differs between the runs
        rows = [line.row for line in grid(app, "#compare").visible_rows if line.row is not None]
        assert rows and all(r.differs for r in rows)

        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, RunsScreen)
        assert len(grid(app, "#runs").marked_rows) == 3  # the marks stay for another try


async def test_d_toggles_differences_only(tmp_path):
    app = demo_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        runs = await open_runs(app, pilot)
        rows = list(runs.visible_rows)
        # two runs of one experiment: they share params such as the model type
        first = rows[0]
        second = next(r for r in rows[1:] if r.experiment_id == first.experiment_id)
        await cursor_to(pilot, runs, lambda r: r.id == first.id)
        await pilot.press("space")
        await cursor_to(pilot, runs, lambda r: r.id == second.id)
        await pilot.press("space", "c")
        await wait_until(lambda: isinstance(app.screen, CompareScreen), pilot=pilot)
        await wait_for_text(app, pilot, "differences only")
        comparison = app.screen.comparison
        same = {(r.group, r.key) for r in comparison.rows if not r.differs}
        assert same and not same & shown_keys(app)

        await pilot.press("d")
        text = await wait_for_text(app, pilot, "all rows")
        assert same <= shown_keys(app)
        assert len(shown_keys(app)) == len(comparison.rows)
        assert "team" in text  # a tag both runs share, now shown

        await pilot.press("d")
        await wait_for_text(app, pilot, "differences only")
        assert not same & shown_keys(app)


async def test_c_refuses_fewer_than_two_or_more_than_eight(tmp_path):
    app = demo_app(tmp_path)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        runs = await open_runs(app, pilot)
        await pilot.press("c")
        await wait_for_text(app, pilot, "at least 2 runs (0 marked")
        assert isinstance(app.screen, RunsScreen)
        await pilot.press(*["space"] * 9)
        assert len(runs.marked_rows) == 9
        await pilot.press("c")
        await wait_for_text(app, pilot, "at most 8 runs at once (9 marked)")
        assert isinstance(app.screen, RunsScreen)


async def test_y_copies_the_comparison_as_markdown_and_says_where(tmp_path):
    app = demo_app(tmp_path)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        runs = await open_runs(app, pilot)
        picked = list(runs.visible_rows)[:2]
        await pilot.press("space", "space", "c")
        await wait_until(lambda: isinstance(app.screen, CompareScreen), pilot=pilot)
        await pilot.pause()
        await pilot.press("y")
        words = await wait_for_toast(app, pilot, "Copied")
        assert "as a Markdown table to the terminal's clipboard (OSC 52)" in words
        copied = app.clipboard
        assert copied == cmp.to_markdown(app.screen.comparison, differences_only=True)
        assert copied.splitlines()[0] == f"|  | {picked[0].name} | {picked[1].name} |"


async def test_enter_on_a_metric_charts_every_run_and_esc_closes_it(tmp_path):
    app = demo_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        runs = await open_runs(app, pilot)
        rows = list(runs.visible_rows)
        first = next(r for r in rows if r.metrics)
        second = next(r for r in rows if r.id != first.id and set(r.metrics) & set(first.metrics))
        metric = sorted(set(first.metrics) & set(second.metrics))[0]
        for run in (first, second):
            await cursor_to(pilot, runs, lambda r, i=run.id: r.id == i)
            await pilot.press("space")
        await pilot.press("c")
        await wait_until(lambda: isinstance(app.screen, CompareScreen), pilot=pilot)
        await pilot.pause()
        if ("metrics", metric) not in shown_keys(app):
            await pilot.press("d")
        await cursor_to(pilot, grid(app, "#compare"), lambda line: line.key == ("metrics", metric))
        await pilot.press("enter")
        await wait_until(lambda: len(app.screen.series) == 2, timeout=10, pilot=pilot)
        width = app.screen.query_one("#compare-chart").size.width
        for series in app.screen.series:
            assert 0 < len(series.x) <= width  # never more points than cells across
        assert len({s.marker for s in app.screen.series}) == 2
        await wait_for_text(app, pilot, f"{metric} by step")
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, CompareScreen) and f"{metric} by step" not in screen(app)


async def test_c_in_the_models_view_compares_the_versions_of_a_model(tmp_path):
    app = demo_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_data(app, pilot)
        await pilot.press("3")
        await pilot.pause()
        versions = grid(app, "#versions")
        versions.focus()
        await pilot.pause()
        version = versions.cursor_row
        count = sum(1 for v in app.snapshot.versions if v.model == version.model)
        await pilot.press("c")
        await wait_until(lambda: isinstance(app.screen, CompareScreen), pilot=pilot)
        await wait_for_text(app, pilot, f"versions of {version.model}")
        subjects = app.screen.comparison.subjects
        assert len(subjects) == min(count, cmp.MAX_SUBJECTS)
        numbers = [s.order for s in subjects]
        assert numbers == sorted(numbers)  # version order
        holders = [v for v in app.snapshot.versions if v.model == version.model and v.aliases]
        for holder in holders:
            label = next(s.label for s in subjects if s.key == f"{holder.model}/{holder.version}")
            assert all(f"@{a}" in label for a in holder.aliases)


class LoggedModelsDown(DemoBackend):
    """Fault injection: the demo's versions point at logged models the backend cannot read."""

    async def list_versions(self):
        return [v.model_copy(update={"model_id": f"m-{v.model}-{v.version}"}) for v in await super().list_versions()]

    async def logged_model(self, model_id: str):
        raise BackendUnavailable("cannot reach the logged models")


async def test_a_logged_model_that_cannot_be_read_is_said_not_hidden(tmp_path):
    app = demo_app(tmp_path, backends=[LoggedModelsDown("demo", DemoBackend.Options(runs=300))])
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_data(app, pilot)
        model = app.snapshot.versions[0].model
        app.open_compare_versions(model)
        await wait_until(lambda: isinstance(app.screen, CompareScreen), pilot=pilot)
        text = await wait_for_text(app, pilot, "not read: cannot reach the logged models")
        assert "Loading logged models" not in text
        await pilot.press("escape")
        await pilot.pause()
        version = app.snapshot.versions[0]
        app.open_version(version.model, version.version)
        await wait_for_text(
            app,
            pilot,
            "Logged model (MLflow 3)",
            f"m-{version.model}-{version.version}",
            "could not be read: cannot reach the logged models",
        )
