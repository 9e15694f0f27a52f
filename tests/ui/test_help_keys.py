"""`?` lists this app's keys only, grouped by view, once within each group (the keys every list
shares and the app's own keys once in all), and every `:` command from the one registry; `R` in
Alerts is listed and says what it did; no toast is ever drawn over the help."""

from __future__ import annotations

import re

import pytest

from mlops_tui.ui import commands as command_registry
from mlops_tui.ui.commands import Command, commands
from mlops_tui.ui.screens.alerts import AlertDetailScreen, AlertsScreen
from mlops_tui.ui.screens.deployments import DeploymentDetailScreen
from mlops_tui.ui.screens.help import HelpScreen
from mlops_tui.ui.screens.overview import OverviewScreen
from tests.conftest import wait_until
from tests.ui.support import SIZE, USER, box, cursor_to, incident_app, screen, type_text, wait_for_dialog, wait_for_text

TALL = (160, 150)  # the whole help fits: what is read is what is drawn
TEXTUAL_WORDS = ("Page Left", "Page Right", "Copy selected text", "ctrl+pageup", "Scroll", "Focus Next", "Maximize")


@pytest.fixture(autouse=True)
def app_user(monkeypatch):
    monkeypatch.setenv("MLOPS_TUI_USER", USER)


async def open_help(app, pilot, title: str) -> str:
    await pilot.press("question_mark")
    text = await wait_for_dialog(app, pilot, HelpScreen, f"Keys: {title}")
    assert not app.screen.query_one("VerticalScroll").max_scroll_y, "the help is read whole on a tall terminal"
    return box(text, "Keys: ")


def key_rows(help_text: str) -> list[tuple[str, str]]:
    """(keys, does) of each row; section titles and wrapped continuations left out."""
    rows = []
    for line in help_text.splitlines():
        m = re.match(r"^\s{0,2}(\S+(?: \S+)*?)\s{2,}(\S.*)$", line)
        if m and not line.startswith("    "):
            rows.append((m.group(1), m.group(2).strip()))
    return rows


def sections(help_text: str) -> dict[str, str]:
    """Each group of the help by its heading (a line at the left edge with no gap of two spaces
    in it), in the order drawn."""
    found: dict[str, list[str]] = {}
    title = ""
    for line in help_text.splitlines():
        if re.match(r"^\s?\S", line) and not re.search(r"\S\s{2,}\S", line) and not line.startswith("  "):
            title = line.strip()
            found[title] = []
        elif title and line.strip():
            found[title].append(line)
    return {t: "\n".join(lines) for t, lines in found.items()}


SHARED = "In every view and list"


def assert_clean(help_text: str) -> None:
    for word in TEXTUAL_WORDS:
        assert word not in help_text, f"Textual's own {word!r} in the help:\n{help_text}"
    groups = sections(help_text)
    for title, text in groups.items():
        keys = [key for keys, _ in key_rows(text) for key in keys.split()]
        twice = {k for k in keys if keys.count(k) > 1}
        assert not twice, f"keys listed twice under {title!r}: {twice}\n{help_text}"
    # the keys every list shares and the app's own keys are listed once, in their own group
    for once in (SHARED, "Everywhere"):
        for row in key_rows(groups[once]):
            elsewhere = [t for t, text in groups.items() if t != once and row in key_rows(text)]
            assert not elsewhere, f"{row} of {once!r} listed again under {elsewhere}\n{help_text}"
    everywhere = {key for keys, _ in key_rows(groups["Everywhere"]) for key in keys.split()}
    for title, text in groups.items():
        if title != "Everywhere" and not title.startswith("Commands"):
            keys = {key for keys, _ in key_rows(text) for key in keys.split()}
            assert not keys & everywhere, f"app-wide keys {keys & everywhere} under {title!r}"
    for command in commands():  # every command, from the registry the command line runs
        assert re.search(rf"^\s*{re.escape(command.usage)}\s", help_text, re.M), f"{command.usage} missing"


async def test_help_on_every_kind_of_screen_lists_only_this_apps_keys_once(tmp_path):
    app = incident_app(tmp_path)
    async with app.run_test(size=TALL) as pilot:
        await wait_until(lambda: app.snapshot.generation > 0, pilot=pilot)
        await pilot.pause()
        help_text = await open_help(app, pilot, "Overview")
        assert_clean(help_text)
        assert "Next panel" in sections(help_text)["Overview (here)"]
        assert re.search(r"^\s*1-6\s+views", help_text, re.M)
        await pilot.press("escape")

        await pilot.press("5")
        await wait_until(lambda: type(app.screen) is AlertsScreen, pilot=pilot)
        await pilot.pause()
        help_text = await open_help(app, pilot, "Alerts")
        assert_clean(help_text)
        assert re.search(r"^\s*R\s+Show resolved\s*$", sections(help_text)["Alerts (here)"], re.M)
        assert re.search(r"^\s*:silences\s+every active and pending silence", help_text, re.M)
        assert re.search(r"^\s*:ctx \[NAME\]\s+switch context", help_text, re.M)
        await pilot.press("escape")

        await cursor_to(pilot, app.screen.focused, lambda a: a.deployment)
        await pilot.press("enter", "d")
        await wait_until(lambda: type(app.screen) is DeploymentDetailScreen, pilot=pilot)
        await pilot.pause()
        # focus on the scrolling body: Textual's scroll keys are active, and still not listed
        help_text = await open_help(app, pilot, "Deployments › Deployment detail")
        assert_clean(help_text)
        here = sections(help_text)["Deployments › Deployment detail (here)"]
        assert re.search(r"^\s*m\s+Open model version\s*$", here, re.M)
        await pilot.press("escape", "escape")
        await wait_until(lambda: type(app.screen) is AlertDetailScreen, pilot=pilot)
        await pilot.pause()
        assert_clean(await open_help(app, pilot, "Alerts › Alert detail"))


async def test_a_registered_command_is_listed_in_the_help_and_runs_from_the_command_line(tmp_path):
    ran: list[tuple[str, ...]] = []
    extra = Command(("wave",), "Wave", "wave at the team", lambda app, args: ran.append(tuple(args)), "[WHO]")
    command_registry.register(extra)
    try:
        with pytest.raises(ValueError):
            command_registry.register(Command(("wave",), "Again", "twice", lambda app, args: None))
        app = incident_app(tmp_path)
        async with app.run_test(size=TALL) as pilot:
            await wait_until(lambda: app.snapshot.generation > 0, pilot=pilot)
            await pilot.pause()
            help_text = await open_help(app, pilot, "Overview")
            assert re.search(r"^\s*:wave \[WHO\]\s+wave at the team\s*$", help_text, re.M), help_text
            await pilot.press("escape")
            await pilot.press("colon")
            assert ":wave [WHO]" in await wait_for_text(app, pilot, ":overview")  # the line's hint too
            await type_text(pilot, "wave ops")
            await pilot.press("enter")
            await wait_until(lambda: ran == [("ops",)], pilot=pilot)
    finally:
        command_registry.unregister(extra)
    assert command_registry.find("wave") is None


async def test_R_in_alerts_says_what_it_switched(tmp_path):
    app = incident_app(tmp_path)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await wait_until(lambda: app.snapshot.generation > 0, pilot=pilot)
        await pilot.press("5")
        await wait_until(lambda: type(app.screen) is AlertsScreen, pilot=pilot)
        await pilot.press("R")
        await wait_for_text(app, pilot, "Showing resolved alerts too")
        await pilot.press("R")
        await wait_for_text(app, pilot, "Resolved alerts hidden")


async def test_no_toast_is_drawn_over_the_help_and_none_is_lost(tmp_path):
    app = incident_app(tmp_path)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await wait_until(lambda: app.snapshot.generation > 0, pilot=pilot)
        await pilot.pause()
        app.notify("toast before the help", timeout=30)
        await wait_for_text(app, pilot, "toast before the help")
        await pilot.press("question_mark")
        await wait_for_dialog(app, pilot, HelpScreen, "Keys: Overview")
        app.notify("toast while the help is open", timeout=30)
        await pilot.pause()
        text = screen(app)
        assert "toast before the help" not in text and "toast while the help is open" not in text
        await pilot.press("escape")
        await wait_until(lambda: type(app.screen) is OverviewScreen, pilot=pilot)
        await wait_for_text(app, pilot, "toast before the help", "toast while the help is open")
