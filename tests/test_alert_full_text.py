"""An alert with a 100 KB annotation: the detail shows it cut, with a marker saying how much was
left out and how to see it whole; `f` shows it whole, literally, and scrolls to its end.

Against the real Alertmanager the suite already starts (tests/alertmanager/fixtures.py); the
time it takes is measured by bench/bench_alert_detail.py, not here.
"""

from __future__ import annotations

from mlops_tui.ui.screens.alert_text import AlertTextScreen
from tests.alertmanager import fixtures
from tests.alertmanager.app_support import SIZE, alerts_grid, am_app, wait_for_screen
from tests.conftest import wait_until
from tests.helpers import cursor_to
from tests.helpers import screen_text as screen

alertmanager_server = fixtures.alertmanager_server
alertmanager_case = fixtures.alertmanager_case

# literal text: markup and an escape must be drawn as they are, never acted on
HEAD = "[bold]not markup[/bold] \x1b[31m "
TAIL = "…and the very last words of the trace: END-OF-TRACE-7f3a"
HUGE = (HEAD + ("frame at model_server.predict line 42 raised ValueError; " * 2000))[: 100_000 - len(TAIL)] + TAIL


def unwrapped(text: str) -> str:
    """The screen's lines joined again (the full view cuts long lines at its width)."""
    return "".join(line.strip() for line in text.splitlines())


async def test_a_huge_annotation_is_cut_in_the_detail_and_whole_on_f(alertmanager_case, tmp_path, monkeypatch):
    case = alertmanager_case
    case.post({**case.alert("HugeAnnotation", "critical"), "annotations": {"summary": "huge", "description": HUGE}})
    app = am_app(tmp_path, monkeypatch, case.backend())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("5")
        grid = alerts_grid(app)
        await wait_until(lambda: grid.total_rows == 1, pilot=pilot, timeout=10)
        await cursor_to(pilot, grid, lambda a: a.name == "HugeAnnotation")
        await pilot.press("enter")
        marker = "(99,501 more characters, 100,000 in all: f shows them whole"  # (it wraps on)
        await wait_until(lambda: marker in screen(app), pilot=pilot)
        shown = screen(app)
        assert "[bold]not markup[/bold] ␛[31m" in shown  # literal, the escape as a symbol
        assert "END-OF-TRACE" not in shown  # cut: the end is not on the detail

        await pilot.press("f")
        await wait_for_screen(app, pilot, AlertTextScreen)
        await wait_until(lambda: "[bold]not markup[/bold] ␛[31m" in screen(app), pilot=pilot)
        assert "END-OF-TRACE" not in screen(app)  # the top of the text first
        await pilot.press("G")
        await wait_until(lambda: "END-OF-TRACE-7f3a" in unwrapped(screen(app)), pilot=pilot)
        assert "\x1b" not in app.export_screenshot()

        await pilot.press("escape")  # back to the detail, still cut
        await wait_until(lambda: marker in screen(app), pilot=pilot)
