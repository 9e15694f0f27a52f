"""A list given new rows repaints only the lines that look different.

Every poll hands each view a new snapshot, and the view gives its list new rows and new
columns. Most polls change nothing on screen (and every poll of a backend that is down changes
only its status), so repainting every line (15-25 ms at 160x48) was work a keystroke arriving
then waited for. The list now renders its lines again and repaints those that differ.
"""

from __future__ import annotations

from dataclasses import replace

from tests.ui.support import SIZE, incident_app, open_list, screen


def watch_repaints(monkeypatch, grid) -> list[object]:
    """From now on, each line `grid` asks to repaint (its y), or "all" for the whole grid."""
    painted: list[object] = []
    refresh = grid.refresh

    def watched(*regions, **kw):
        painted.append(regions[0].y if regions else "all")
        return refresh(*regions, **kw)

    monkeypatch.setattr(grid, "refresh", watched)
    return painted


async def test_new_rows_that_look_the_same_repaint_nothing_and_a_changed_row_only_its_line(tmp_path, monkeypatch):
    app = incident_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        grid = await open_list(app, pilot, "2")
        columns = [replace(column) for column in grid.columns]  # new objects, as each poll makes
        rows = list(grid.visible_rows)
        painted = watch_repaints(monkeypatch, grid)
        grid.set_data(columns, tuple(rows))  # the same runs again, in a new tuple
        assert painted == []

        rows[2] = rows[2].model_copy(update={"name": "renamed-run-1"})
        grid.set_data(columns, tuple(rows))
        assert painted == [3]  # line 0 is the header: the third run is on line 3
        await pilot.pause()
        lines = screen(app).splitlines()
        assert "renamed-run-1" in lines[5]  # below the top bar, the border and the header

        await pilot.press("G")  # scrolled: the grid is repainted whole by its scroll
        await pilot.pause()
        painted.clear()
        rows[-1] = rows[-1].model_copy(update={"name": "renamed-run-2"})
        grid.set_data(columns, tuple(rows))
        assert len(painted) == 1 and painted[0] != "all"
        await pilot.pause()
        assert "renamed-run-2" in screen(app)


async def test_a_short_list_repaints_neither_its_rows_nor_the_blank_lines_below_and_empties_visibly(
    tmp_path, monkeypatch
):
    app = incident_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        grid = await open_list(app, pilot, "5")
        columns = [replace(column) for column in grid.columns]
        rows = tuple(grid.visible_rows)
        assert 0 < len(rows) < grid.scrollable_content_region.height - 1, "a list shorter than the view"
        painted = watch_repaints(monkeypatch, grid)
        grid.set_data(columns, tuple(rows))
        assert painted == []

        grid.set_data(columns, ())  # every alert gone: the list says so
        await pilot.pause()
        assert painted and rows[0].name not in screen(app)
        grid.set_data(columns, rows)  # and back
        await pilot.pause()
        assert rows[0].name in screen(app)
