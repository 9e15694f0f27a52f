"""Alert text from a real Alertmanager stays inert and fits: bidi and zero-width characters are
shown by name in the list, the detail, the headless table and the JSON; a 10,000-character
alert name and a 100 KB annotation are cut for display, and `c` copies the whole alert."""

from __future__ import annotations

import json

from mlops_tui.cli import main
from tests.alertmanager.app_support import SIZE, alerts_grid, am_app
from tests.conftest import wait_until
from tests.helpers import cursor_to
from tests.helpers import screen_text as screen

BIDI_NAME = "Invoice\u202efdp.exe\u202c"  # a bidi terminal shows "Invoiceexe.pdf"
SHOWN_NAME = "Invoice<U+202E>fdp.exe<U+202C>"
ZW_SUMMARY = "pay\u200bpal login from a new\u2060device"
LONG_NAME = "Long" + "N" * 10_000
HUGE = ("frame at model_server.predict line 42 raised ValueError; " * 2000)[:100_000]


def lines_with(app, text: str) -> int:
    return sum(1 for line in screen(app).splitlines() if text in line)


def post_hostile(case) -> None:
    case.post(
        case.alert(name=BIDI_NAME, severity="critical", summary=ZW_SUMMARY),
        case.alert(name=LONG_NAME, severity="warning", summary="long name"),
        {
            **case.alert(name="HugeAnnotation", severity="warning", summary="huge"),
            "annotations": {"summary": "huge", "description": HUGE},
        },
    )


def config(tmp_path, case):
    path = tmp_path / "config.toml"
    path.write_text(
        f'[[backends]]\nname = "am"\nkind = "alertmanager"\nurl = "{case.server.url}"\n'
        f"filters = [{json.dumps(case.filter)}]\n"
    )
    return path


def test_headless_table_and_json_show_hidden_characters_and_cut_long_names(alertmanager_case, tmp_path, capsys):
    post_hostile(alertmanager_case)
    cfg = config(tmp_path, alertmanager_case)
    assert main(["alerts", "list", "--config", str(cfg)]) == 0
    table = capsys.readouterr().out
    assert main(["alerts", "list", "--json", "--config", str(cfg)]) == 0
    as_json = capsys.readouterr().out

    for raw in ("\u202e", "\u202c", "\u200b", "\u2060"):
        assert raw not in table and raw not in as_json
    assert SHOWN_NAME in table and "pay<U+200B>pal" in table
    assert max(len(line) for line in table.splitlines()) < 2_000  # the 10,000-character name is cut
    assert "Long" + "N" * 400 in table and "N…" in table
    # the JSON escapes them (\u202e): inert on screen, the same data for a program
    alerts = {a["labels"]["alertname"]: a for a in json.loads(as_json)["items"]}
    assert BIDI_NAME in alerts and LONG_NAME in alerts
    assert alerts["HugeAnnotation"]["annotations"]["description"] == HUGE


async def test_the_app_shows_hidden_characters_and_cuts_what_does_not_fit(alertmanager_case, tmp_path, monkeypatch):
    post_hostile(alertmanager_case)
    app = am_app(tmp_path, monkeypatch, alertmanager_case.backend())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("5")
        await wait_until(lambda: "Invoice<U+202E>" in screen(app), pilot=pilot, timeout=10)
        text = screen(app)
        assert "\u202e" not in text and "\u200b" not in text
        assert "pay<U+200B>pal" in text

        grid = alerts_grid(app)
        await cursor_to(pilot, grid, lambda a: a.name == BIDI_NAME)
        await pilot.press("enter")
        await wait_until(lambda: "<U+2060>device" in screen(app), pilot=pilot)
        assert SHOWN_NAME in screen(app) and "\u202e" not in app.export_screenshot()
        await pilot.press("escape")

        await cursor_to(pilot, grid, lambda a: a.name == LONG_NAME)
        await pilot.press("enter")
        await wait_until(lambda: "LongNNN" in screen(app), pilot=pilot)
        assert lines_with(app, "N" * 20) <= 8  # the name is cut, not wrapped over the screen
        await pilot.press("a")  # the ack dialog names it, cut too
        await wait_until(lambda: type(app.screen).__name__ == "ConfirmDialog", pilot=pilot)
        assert "LongNNN" in screen(app) and lines_with(app, "N" * 20) <= 14  # uncut: the whole screen
        await pilot.press("escape", "escape")

        await cursor_to(pilot, grid, lambda a: a.name == "HugeAnnotation")
        await pilot.press("enter")
        await wait_until(lambda: "100,000 in all: f shows them whole" in screen(app), pilot=pilot)
        await pilot.press("c")
        await wait_until(lambda: HUGE in (app.clipboard or ""), pilot=pilot)
