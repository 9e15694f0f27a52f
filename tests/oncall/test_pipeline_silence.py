"""A silence shows what it will hit, on the REAL pipeline: the dialog's live count and second y,
`alerts silence --dry-run`, and the Silences view's mark on silences that match nothing."""

from __future__ import annotations

from mlops_tui.ui.dialogs.silence import SilenceDialog
from tests.alertmanager.app_support import alerts_grid, named, paste, wait_for_screen
from tests.helpers import audit_lines, cursor_to, wait_for_text
from tests.oncall.support import oncall_app, open_alerts, wait_on, write_config

DOWN, SLOW = "OncallModelDown", "OncallLatencyHigh"


def fire_both(case) -> None:
    case.switch("down", True)
    case.switch("latency", True)
    case.wait_firing(DOWN)
    case.wait_firing(SLOW)


async def set_matchers(app, pilot, text: str) -> None:
    field = app.screen.query_one("#field-matchers")
    field.focus()
    await pilot.press("end", "ctrl+u")
    await paste(app, pilot, text)


async def test_the_dialog_counts_what_the_matchers_hit_and_a_wide_silence_needs_a_second_y(
    oncall, tmp_path, monkeypatch
):
    fire_both(oncall)
    app = oncall_app(tmp_path, monkeypatch, oncall)
    async with app.run_test(size=(160, 48), notifications=True) as pilot:
        await open_alerts(app, pilot, DOWN, SLOW)
        await cursor_to(pilot, alerts_grid(app), named(DOWN))
        await pilot.press("s")
        await wait_for_screen(app, pilot, SilenceDialog)
        await wait_for_text(app, pilot, f"matches 1 active alert: {DOWN}")

        await set_matchers(app, pilot, f'model="{oncall.model}"')
        shown = await wait_for_text(
            app, pilot, f"matches 2 active alerts: {SLOW}, {DOWN}", "! it matches alerts of 2 different names"
        )
        await set_matchers(app, pilot, f'model=~"{oncall.model}" alertname!~"Oncall.*"')
        await wait_for_text(app, pilot, "matches 0 active alerts", "! it matches no active alert")
        await set_matchers(app, pilot, f'model="{oncall.model}" alertname=~"OncallModel.*"')
        shown = await wait_for_text(app, pilot, f"matches 1 active alert: {DOWN}")
        assert "! it matches" not in shown

        # wide again: enter only warns; y then creates it
        await set_matchers(app, pilot, f'model="{oncall.model}"')
        await wait_for_text(app, pilot, "matches 2 active alerts")
        await pilot.press("shift+tab")
        await pilot.press(*"deploy both", "enter")  # comment -> matchers
        await pilot.press("enter")  # submit: a warning, nothing created
        await wait_for_text(app, pilot, "Press y to create it")
        assert isinstance(app.screen, SilenceDialog) and oncall.silences() == []
        await pilot.press("y")
        [silence] = await wait_on(pilot, oncall.silences, 10, "the confirmed silence was not created")
    assert [(m["name"], m["value"]) for m in silence["matchers"]] == [("model", oncall.model)]
    assert silence["comment"] == "deploy both"
    assert [e["outcome"] for e in audit_lines(tmp_path) if e["action"] == "silence"] == ["ok"]


def test_dry_run_lists_exactly_the_matching_alerts_and_creates_nothing(oncall, tmp_path, capsys):
    from mlops_tui.cli import main

    fire_both(oncall)
    fingerprint = oncall.am_alerts(DOWN)[0]["fingerprint"]
    others = {a["fingerprint"] for a in oncall.am_alerts()}
    config = write_config(tmp_path, oncall)
    before = oncall.am.silences()
    argv = ["--config", str(config), "alerts", "silence", fingerprint, "--for", "1h", "--comment", "x", "--dry-run"]
    assert main([*argv, "--matchers", f'model="{oncall.model}" alertname=~"Oncall(Model|Latency).*"']) == 0
    out = capsys.readouterr().out
    assert out.startswith("dry run: the silence matches 2 active alerts") and "nothing was created" in out
    assert {line.split()[-1] for line in out.splitlines() if line.startswith("Oncall")} == others
    assert "warning: it matches alerts of 2 different names" in out

    assert main([*argv]) == 0  # the alert's own labels: exactly that alert
    out = capsys.readouterr().out
    rows = [line for line in out.splitlines() if line.startswith("Oncall")]
    assert len(rows) == 1 and rows[0].startswith(DOWN) and rows[0].endswith(fingerprint)
    assert "warning" not in out
    assert oncall.am.silences() == before  # nothing was created
    assert not [line for line in audit_lines(tmp_path) if line["action"] == "silence"]


async def test_the_silences_view_marks_a_silence_that_matches_no_alert(oncall, tmp_path, monkeypatch):
    from tests.oncall.test_pipeline_acks import post_ack

    fire_both(oncall)
    post_ack(oncall, DOWN, by="erin", seconds=600)
    post_ack(oncall, "OncallGone", by="bob", seconds=600)  # matches nothing that fires
    app = oncall_app(tmp_path, monkeypatch, oncall)
    async with app.run_test(size=(160, 48), notifications=True) as pilot:
        await open_alerts(app, pilot, DOWN)
        await pilot.press("v")
        shown = await wait_for_text(app, pilot, "1 match no active alert", " bob ", " erin ")
        [bob] = [line for line in shown.splitlines() if " bob " in line]
        [erin] = [line for line in shown.splitlines() if " erin " in line]
        assert "! none" in bob and "! none" not in erin
