"""Columns get the width their content needs: no cell is cut while blank width remains, what
tells rows apart stays at 80x24, and numbers are right-aligned in every table."""

from __future__ import annotations

import re
from typing import Any

import pytest
from rich.cells import cell_len

from mlops_tui.ui.columns import _alert_target
from mlops_tui.ui.literal import visible
from mlops_tui.ui.widgets.data_grid import DataGrid
from mlops_tui.ui.widgets.grid_column import safe_text
from tests.conftest import wait_until
from tests.ui.support import box, incident_app, screen, wait_for_data

VIEWS = [[], ["2"], ["3"], ["4"], ["5"], ["5", "v"], ["6"]]
SIZES = [(160, 48), (80, 24)]
NUMBER = re.compile(r"^[<>]? ?[-+]?(\d[\d,]*(\.\d+)?|\.\d+)(e[-+]?\d+)? ?(%|ms|s|k)?$")
NO_VALUE = {"", "-", "?", "no value"}


def cells(grid: DataGrid[Any], column, limit: int = 500) -> list[str]:
    return [visible(safe_text(column, row)) for row in list(grid.visible_rows)[:limit]]


def grids_with_rows(app) -> list[DataGrid[Any]]:
    return [g for g in app.screen.query(DataGrid) if g.display and g.visible_rows and g.size.width]


async def open_view(app, pilot, keys: list[str]) -> None:
    await wait_for_data(app, pilot)
    for key in keys:
        await pilot.press(key)
    await wait_until(lambda: grids_with_rows(app), pilot=pilot)
    await pilot.pause()


def blank_while_cut(grid: DataGrid[Any]) -> tuple[list[str], int]:
    """The cut cells, and the blank width: unused at the right end plus what any column has
    beyond what its widest cell, its label and its minimum need."""
    slots = grid.slots
    cut, blank = [], grid.scrollable_content_region.width - (slots[-1].x + slots[-1].width)
    for slot in slots:
        texts = cells(grid, slot.column, limit=10_000)
        widest = max(cell_len(t) for t in texts)
        label = cell_len(slot.column.label) + (2 if grid.sort_column == slot.column.key else 0)
        blank += max(0, slot.width - max(widest, label, slot.column.min_width))
        cut += [f"{slot.column.key}: {t!r} in {slot.width}" for t in texts if cell_len(t) > slot.width]
    return cut, blank


@pytest.mark.parametrize("size", SIZES, ids=["160x48", "80x24"])
@pytest.mark.parametrize("keys", VIEWS, ids=["overview", "runs", "models", "deploy", "alerts", "silences", "drift"])
async def test_no_cell_is_cut_while_blank_width_remains(tmp_path, keys, size):
    app = incident_app(tmp_path)
    async with app.run_test(size=size) as pilot:
        await open_view(app, pilot, keys)
        for grid in grids_with_rows(app):
            cut, blank = blank_while_cut(grid)
            assert not (cut and blank), f"{grid.id}: {blank} blank cells while cut: {cut[:5]}"


@pytest.mark.parametrize("keys", VIEWS, ids=["overview", "runs", "models", "deploy", "alerts", "silences", "drift"])
async def test_numbers_are_right_aligned(tmp_path, keys):
    app = incident_app(tmp_path)
    async with app.run_test(size=(160, 48)) as pilot:
        await open_view(app, pilot, keys)
        checked = 0
        for grid in grids_with_rows(app):
            lines = [grid.render_line(y).text for y in range(1, min(len(grid.visible_rows), 20) + 1)]
            for slot in grid.slots:
                texts = [t for t in cells(grid, slot.column, limit=len(lines)) if t not in NO_VALUE]
                if not texts or not all(NUMBER.match(t) for t in texts):
                    continue
                checked += 1
                assert slot.column.align == "right", f"{grid.id}.{slot.column.key} holds numbers: {texts[:3]}"
                for line, text in zip(lines, cells(grid, slot.column, limit=len(lines))):
                    drawn = line[slot.x : slot.x + slot.width]
                    if text and cell_len(text) <= slot.width:
                        assert drawn.endswith(text), f"{grid.id}.{slot.column.key}: {drawn!r}"
        if keys in (["2"], ["3"]):
            assert checked, "these views show numbers"


async def test_drift_shows_every_method_whole_at_160(tmp_path):
    app = incident_app(tmp_path)
    async with app.run_test(size=(160, 48)) as pilot:
        await open_view(app, pilot, ["6"])
        grid = app.screen.query_one("#drift", DataGrid)
        methods = {d.method for d in grid.visible_rows}
        assert "jensenshannon" in methods
        text = screen(app)
        for method in methods:
            assert re.search(rf"\b{method}\b", text), method
        assert "jensenshann…" not in text


async def test_alerts_at_80x24_keep_model_and_deployment(tmp_path):
    app = incident_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_view(app, pilot, ["5"])
        grid = app.screen.query_one("#alerts", DataGrid)
        lines = box(screen(app), "Alerts (").splitlines()[1:]
        alerts = list(grid.visible_rows)
        assert len({(a.name, _alert_target(a)) for a in alerts}) > 1
        for alert, line in zip(alerts, lines):
            assert alert.name in line and _alert_target(alert) in line, line
        assert len({line.strip() for line in lines[: len(alerts)]}) == len(alerts)  # no two read the same


async def test_overview_at_80x24_names_each_alerts_deployment_or_model(tmp_path):
    app = incident_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_view(app, pilot, [])
        grid = app.screen.query_one("#ov-alerts", DataGrid)
        lines = box(screen(app), "Firing alerts (").splitlines()
        alerts = list(grid.visible_rows)
        assert alerts
        for alert in alerts[: len(lines) - 1]:
            target = alert.deployment or alert.model
            assert target and any(target in line and alert.name[:10] in line for line in lines), target
        drawn = [line.strip() for line in lines[1 : len(alerts) + 1]]
        assert len(set(drawn)) == len(drawn), drawn  # no two rows read the same
