"""`?` groups the keys by view: the screen underneath first, under its name, then each main view
under its heading, with the keys its screen declares, then the screens reached from a view; the
help fits and scrolls at 80x24 and 160x48."""

from __future__ import annotations

import re

import pytest
from textual.binding import Binding
from textual.containers import VerticalScroll

from mlops_tui.ui.screens.alerts import AlertsScreen
from mlops_tui.ui.screens.drift import DriftScreen
from mlops_tui.ui.screens.help import HelpScreen
from mlops_tui.ui.screens.models import ModelsScreen
from mlops_tui.ui.screens.overview import OverviewScreen
from mlops_tui.ui.screens.runs import RunsScreen
from mlops_tui.ui.screens.silences import SilencesScreen
from tests.conftest import wait_until
from tests.ui.support import box, demo_app, screen, wait_for_data, wait_for_dialog
from tests.ui.test_help_keys import SHARED, TALL, key_rows, sections

MAIN_VIEWS = ["Overview", "Runs", "Models", "Deployments", "Alerts", "Drift"]


def declared(cls: type) -> list[tuple[str, str]]:
    """(key, description) of every binding `cls` itself declares, read straight from BINDINGS."""
    pairs = []
    for binding in vars(cls).get("BINDINGS", ()):
        assert isinstance(binding, Binding)
        for key in binding.key.split(","):
            pairs.append(({"less_than_sign": "<", "greater_than_sign": ">"}.get(key, key), binding.description))
    return pairs


def listed(text: str) -> set[tuple[str, str]]:
    return {(key, does) for keys, does in key_rows(text) for key in keys.split()}


async def test_help_from_models_shows_models_first_then_every_view_under_its_heading(tmp_path):
    app = demo_app(tmp_path)
    async with app.run_test(size=TALL) as pilot:
        await wait_for_data(app, pilot)
        await pilot.press("3", "question_mark")
        text = box(await wait_for_dialog(app, pilot, HelpScreen, "Keys: Models"), "Keys: ")
        groups = sections(text)
        titles = list(groups)
        assert titles[0] == "Models (here)", titles
        # then the other main views, in their key order, before any screen reached from one
        others = [t for t in titles if t in MAIN_VIEWS]
        assert others == [v for v in MAIN_VIEWS if v != "Models"], titles
        assert titles.index("Drift") < min(titles.index(t) for t in titles if "›" in t)
        assert titles[-3:] == [SHARED, "Everywhere", "Commands (type : then one of these, enter)"]

        # each view's keys come from its screen's BINDINGS, under its own heading
        for title, cls in [
            ("Models (here)", ModelsScreen),
            ("Overview", OverviewScreen),
            ("Runs", RunsScreen),
            ("Alerts", AlertsScreen),
            ("Drift", DriftScreen),
            ("Alerts › Silences", SilencesScreen),
        ]:
            missing = set(declared(cls)) - listed(groups[title])
            assert not missing, f"{cls.__name__}'s {missing} not under {title!r}:\n{text}"
        assert "no keys of its own" in groups["Deployments"]  # its list's keys are the shared ones
        assert ("f", "Query (MLflow syntax)") in listed(groups["Runs"])
        assert ("f", "Query (MLflow syntax)") not in listed(groups["Models (here)"])
        # the list keys, once, in their own group
        assert {("/", "Filter"), ("esc", "Back"), ("j", "Down"), (">", "Sort")} <= listed(groups[SHARED])
        assert not any(("j", "Down") in listed(groups[t]) for t in titles if t != SHARED)


async def test_help_from_alerts_leads_with_alerts_and_still_lists_models(tmp_path):
    app = demo_app(tmp_path)
    async with app.run_test(size=TALL) as pilot:
        await wait_for_data(app, pilot)
        await pilot.press("5", "question_mark")
        groups = sections(box(await wait_for_dialog(app, pilot, HelpScreen, "Keys: Alerts"), "Keys: "))
        assert list(groups)[:2] == ["Alerts (here)", "Overview"]
        assert "Alerts" not in groups  # this view is listed once, first
        assert ("a", "Approve") in listed(groups["Models"]) and ("a", "Ack") in listed(groups["Alerts (here)"])


@pytest.mark.parametrize("size", [(80, 24), (160, 48)])
async def test_help_fits_the_terminal_and_scrolls_to_the_commands(tmp_path, size):
    app = demo_app(tmp_path)
    async with app.run_test(size=size) as pilot:
        await wait_for_data(app, pilot)
        await pilot.press("3", "question_mark")
        shown = await wait_for_dialog(app, pilot, HelpScreen, "Keys: Models")
        lines = shown.splitlines()
        top = next(i for i, line in enumerate(lines) if "Keys: Models" in line)
        assert any(line.lstrip().startswith("╰") for line in lines[top + 1 :]), "the help's bottom border is off screen"
        assert "Models (here)" in shown and ":ctx" not in shown  # the start, not all of it
        scroll = app.screen.query_one(VerticalScroll)
        assert scroll.max_scroll_y > 0
        scroll.focus()
        await pilot.press("end")
        await wait_until(lambda: re.search(r":ctx \[NAME\]\s+switch context", screen(app)) is not None, pilot=pilot)
        assert "Models (here)" not in screen(app)
