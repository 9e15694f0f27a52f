"""Grouping (`b` in Alerts): a header line per group with its count; `enter` on it folds and unfolds."""

from __future__ import annotations

from collections import Counter

from mlops_tui.ui.dialogs.confirm import ConfirmDialog
from mlops_tui.ui.screens.alerts import AlertsScreen
from tests.conftest import wait_until
from tests.ui.support import SIZE, box, focused_grid, incident_app, screen, wait_for_data, wait_for_text


async def open_alerts(app, pilot):
    await wait_for_data(app, pilot)
    await pilot.press("5")
    await wait_until(lambda: isinstance(app.screen, AlertsScreen), pilot=pilot)
    return focused_grid(app)


async def test_b_shows_severity_groups_with_counts_and_enter_folds_them(tmp_path):
    app = incident_app(tmp_path)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        grid = await open_alerts(app, pilot)
        alerts = list(grid.visible_rows)
        counts = Counter(a.severity.value for a in alerts)
        assert len(counts) > 1 and not grid.groups
        assert "grouped by" not in screen(app)

        await pilot.press("b")
        text = await wait_for_text(app, pilot, "grouped by severity")
        order = [s for s in ("critical", "warning", "info", "none") if s in counts]
        assert [(g.label, g.count) for g in grid.groups] == [(s, counts[s]) for s in order]
        lines = [line.strip() for line in box(text, "grouped by severity").splitlines()[1:] if line.strip()]
        headers = [line for line in lines if line.startswith("▼")]
        assert headers == [f"▼ {s} ({counts[s]})" for s in order]
        # each header comes right before its alerts
        first = lines.index(f"▼ {order[0]} ({counts[order[0]]})")
        assert all(order[0] in line for line in lines[first + 1 : first + 1 + counts[order[0]]])

        # the cursor stays on the alert it was on; `k` reaches the header: nothing is skipped
        assert grid.cursor_row is not None and grid.cursor_row.severity.value == order[0]
        await pilot.press("k")
        await wait_until(lambda: grid.cursor_group is not None, pilot=pilot)
        assert grid.cursor_row is None and grid.cursor_group.label == order[0]
        seen = 1
        while True:
            before = grid.cursor_index
            await pilot.press("j")
            if grid.cursor_index == before:
                break
            seen += 1
        assert seen == len(alerts) + len(order)  # every header and every alert is a line

        # ack on a header refuses, with a message, before any dialog
        await pilot.press("g")
        await wait_until(lambda: grid.cursor_group is not None, pilot=pilot)
        await pilot.press("a")
        await wait_for_text(app, pilot, "Select an alert to ack")
        assert not isinstance(app.screen, ConfirmDialog)

        # enter folds the group: its alerts go, the header stays with its count
        folded = order[0]
        await pilot.press("enter")
        text = await wait_for_text(app, pilot, f"► {folded} ({counts[folded]})")
        assert isinstance(app.screen, AlertsScreen)  # it did not open anything
        assert all(a.severity.value != folded for a in grid.visible_rows)
        assert len(grid.visible_rows) == len(alerts) - counts[folded]
        assert grid.cursor_group is not None and grid.cursor_group.label == folded
        # a new snapshot keeps it folded
        generation = app.snapshot.generation
        await pilot.press("ctrl+r")
        await wait_until(lambda: app.snapshot.generation > generation, pilot=pilot, timeout=15)
        await pilot.pause()
        assert f"► {folded} ({counts[folded]})" in screen(app)

        await pilot.press("enter")  # unfolds
        await wait_for_text(app, pilot, f"▼ {folded} ({counts[folded]})")
        assert len(grid.visible_rows) == len(alerts)


async def test_b_cycles_model_deployment_then_no_groups_and_filters_recount(tmp_path):
    app = incident_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        grid = await open_alerts(app, pilot)
        alerts = list(grid.visible_rows)

        await pilot.press("b", "b")
        await wait_for_text(app, pilot, "grouped by model")
        by_model = Counter(a.model or "(no model)" for a in alerts)
        labels = [g.label for g in grid.groups]
        assert labels == sorted(by_model, key=lambda m: (m == "(no model)", m))
        assert {g.label: g.count for g in grid.groups} == dict(by_model)
        models = [a.model or "(no model)" for a in grid.visible_rows]
        assert models == sorted(models, key=labels.index)  # rows shown group by group

        await pilot.press("b")
        await wait_for_text(app, pilot, "grouped by deployment")
        by_deployment = Counter(a.deployment or "(no deployment)" for a in alerts)
        assert {g.label: g.count for g in grid.groups} == dict(by_deployment)
        for label, count in by_deployment.items():
            assert f"▼ {label} ({count})" in screen(app)

        # a filter counts what it leaves in each group
        await pilot.press("slash", *"fraud", "enter")
        await wait_until(lambda: 0 < len(grid.visible_rows) < len(alerts), pilot=pilot)
        fraud = Counter(a.deployment or "(no deployment)" for a in alerts if "fraud" in (a.model or ""))
        assert {g.label: g.count for g in grid.groups} == dict(fraud)

        await pilot.press("escape", "b")
        await wait_until(lambda: not grid.groups, pilot=pilot)
        assert "grouped by" not in screen(app) and "▼" not in screen(app)
        assert len(grid.visible_rows) == len(alerts)
