"""One sort scheme in every list: `<` `>` move the sort column, `S` reverses, the header shows ▲ ▼."""

from __future__ import annotations

from typing import Any

import pytest

from mlops_tui.ui.screens.alerts import AlertsScreen
from mlops_tui.ui.widgets.data_grid import DataGrid
from mlops_tui.ui.widgets.grid_column import safe_text
from tests.conftest import wait_until
from tests.ui.support import SIZE, focused_grid, incident_app, screen, wait_for_data

# (keys from the Overview, the id of the list they focus)
LISTS = [
    (["2"], "runs"),
    (["3"], "requests"),
    (["3", "tab"], "versions"),
    (["4"], "deployments"),
    (["5"], "alerts"),
    (["5", "v"], "silences"),
    (["6"], "drift"),
    ([], "ov-alerts"),
    (["tab"], "ov-deployments"),
    (["tab", "tab"], "ov-promotions"),
    (["tab", "tab", "tab"], "ov-runs"),
]


def sort_keys(grid: DataGrid[Any], key: str) -> list[Any]:
    """The sort key of every shown row, as the column defines it (None: no value)."""
    column = next(c for c in grid.columns if c.key == key)
    if column.sort_key is None:
        return [safe_text(column, row) for row in grid.visible_rows]
    return [column.sort_key(row) for row in grid.visible_rows]


def assert_sorted(grid: DataGrid[Any], key: str, reverse: bool) -> None:
    keys = sort_keys(grid, key)
    present = [k for k in keys if k is not None]
    assert keys[: len(present)] == present, "rows with no value go last, both ways"
    try:
        expected = sorted(present, reverse=reverse)
    except TypeError:
        expected = sorted(present, key=lambda k: (type(k).__name__, str(k)), reverse=reverse)
    assert present == expected, f"{grid.id} not sorted by {key} (reverse={reverse})"


def header_label(grid: DataGrid[Any], key: str) -> str:
    return next(c.label for c in grid.columns if c.key == key)


@pytest.mark.parametrize(("keys", "grid_id"), LISTS, ids=[g for _, g in LISTS])
async def test_angle_brackets_move_the_sort_column_and_S_reverses(tmp_path, keys, grid_id):
    app = incident_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_data(app, pilot)
        for key in keys:
            await pilot.press(key)
        await wait_until(lambda: getattr(app.screen.focused, "id", None) == grid_id, pilot=pilot)
        grid = focused_grid(app)
        shown = [c.key for c in grid.visible_columns]
        assert len(shown) >= 2
        assert grid.sort_column is None

        await pilot.press("greater_than_sign")  # unsorted: the first column
        await wait_until(lambda: grid.sort_column == shown[0], pilot=pilot)
        assert not grid.sort_reverse
        assert_sorted(grid, shown[0], reverse=False)
        assert f"{header_label(grid, shown[0])} ▲" in screen(app)

        await pilot.press("greater_than_sign")  # the next one, ascending
        await wait_until(lambda: grid.sort_column == shown[1], pilot=pilot)
        assert_sorted(grid, shown[1], reverse=False)
        text = screen(app)
        assert f"{header_label(grid, shown[1])} ▲" in text
        assert f"{header_label(grid, shown[0])} ▲" not in text

        await pilot.press("S")  # reversed
        await wait_until(lambda: grid.sort_reverse, pilot=pilot)
        assert grid.sort_column == shown[1]
        assert_sorted(grid, shown[1], reverse=True)
        assert f"{header_label(grid, shown[1])} ▼" in screen(app)

        await pilot.press("less_than_sign")  # back to the left, ascending again
        await wait_until(lambda: grid.sort_column == shown[0] and not grid.sort_reverse, pilot=pilot)
        assert_sorted(grid, shown[0], reverse=False)

        await pilot.press("less_than_sign")  # wraps round to the last shown column
        await wait_until(lambda: grid.sort_column == shown[-1], pilot=pilot)
        assert_sorted(grid, shown[-1], reverse=False)
        assert f"{header_label(grid, shown[-1])} ▲" in screen(app)


async def test_alerts_sort_by_keyboard_and_s_still_silences(tmp_path):
    app = incident_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_data(app, pilot)
        await pilot.press("5")
        await wait_until(lambda: isinstance(app.screen, AlertsScreen), pilot=pilot)
        grid = focused_grid(app)
        await pilot.press("greater_than_sign", "greater_than_sign")  # the alert name
        await wait_until(lambda: grid.sort_column == "name", pilot=pilot)
        names = [a.name for a in grid.visible_rows]
        assert names == sorted(names) and len(set(names)) > 1
        assert "Alert ▲" in screen(app)
        await pilot.press("s")
        await wait_until(lambda: type(app.screen).__name__ == "SilenceDialog", pilot=pilot)
        assert grid.sort_column == "name"  # `s` did not touch the sort
