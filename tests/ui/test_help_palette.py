"""`?` lists the bindings of the screen underneath first, under its name, then every other view's
under its own heading; esc or `?` closes it."""

from __future__ import annotations

import re

from mlops_tui.ui.screens.alerts import AlertDetailScreen, AlertsScreen
from mlops_tui.ui.screens.help import HelpScreen
from mlops_tui.ui.screens.models import ModelsScreen
from tests.ui.support import box, demo_app, screen, wait_for_data, wait_for_dialog
from tests.ui.test_help_keys import TALL, sections


def help_rows(text: str) -> str:
    return box(text, "Keys: ")


def has_key(rows: str, keys: str, does: str) -> bool:
    return re.search(rf"^\s*{re.escape(keys)}\s+{re.escape(does)}\s*$", rows, re.M) is not None


async def test_question_mark_on_models_lists_its_promotion_keys(tmp_path):
    app = demo_app(tmp_path)
    async with app.run_test(size=TALL) as pilot:
        await wait_for_data(app, pilot)
        await pilot.press("3", "question_mark")
        text = await wait_for_dialog(app, pilot, HelpScreen, "Keys: Models  (esc closes)")
        rows = help_rows(text)
        for keys, does in [
            ("a", "Approve"),
            ("x", "Reject"),
            ("p", "Request promotion"),
            ("/", "Filter"),
            (">", "Sort"),
            ("<", "Sort by the column to the left"),
            ("S", "Reverse"),
            ("tab", "Next list"),
            ("esc", "Back"),
        ]:
            assert has_key(rows, keys, does), f"{keys} {does} missing from:\n{rows}"
        # `a` approves here; Alerts' `a` (Ack) is listed under the Alerts heading, not Models'
        groups = sections(rows)
        assert has_key(groups["Models (here)"], "a", "Approve") and not has_key(groups["Models (here)"], "a", "Ack")
        assert has_key(groups["Alerts"], "a", "Ack") and not has_key(groups["Alerts"], "a", "Approve")
        await pilot.press("escape")
        await pilot.pause()
        assert type(app.screen) is ModelsScreen
        assert "Keys: " not in screen(app)


async def test_question_mark_on_alerts_lists_ack_and_silence(tmp_path):
    app = demo_app(tmp_path)
    async with app.run_test(size=TALL) as pilot:
        await wait_for_data(app, pilot)
        await pilot.press("5", "question_mark")
        rows = help_rows(await wait_for_dialog(app, pilot, HelpScreen, "Keys: Alerts"))
        for keys, does in [
            ("a", "Ack"),
            ("s", "Silence"),
            ("u", "Expire silence / release ack"),
            ("c", "Copy md"),
            ("b", "Group by"),
            ("space", "Mark"),
            ("S", "Reverse"),
        ]:
            assert has_key(rows, keys, does), f"{keys} {does} missing from:\n{rows}"
        assert not has_key(rows, "s", "Sort")  # `s` silences on this screen
        here = sections(rows)["Alerts (here)"]
        assert has_key(here, "a", "Ack") and not has_key(here, "a", "Approve")
        assert has_key(sections(rows)["Models"], "a", "Approve")  # under its own view's heading
        await pilot.press("question_mark")  # `?` closes it too
        await pilot.pause()
        assert type(app.screen) is AlertsScreen

        # on an alert's detail: the jumps
        await pilot.press("enter")
        await pilot.pause()
        assert type(app.screen) is AlertDetailScreen
        await pilot.press("question_mark")
        rows = help_rows(await wait_for_dialog(app, pilot, HelpScreen, "Keys: Alerts › Alert detail"))
        here = sections(rows)["Alerts › Alert detail (here)"]
        for keys, does in [("m", "Open model"), ("d", "Open deployment"), ("r", "Open run"), ("a", "Ack")]:
            assert has_key(here, keys, does), f"{keys} {does} missing from:\n{rows}"
        await pilot.press("escape")
        await pilot.pause()
        assert type(app.screen) is AlertDetailScreen  # esc closed the help, not the detail
